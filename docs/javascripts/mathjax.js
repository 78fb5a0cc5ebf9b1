// MathJax configuration: pymdownx.arithmatex output (class "arithmatex", \( \) and \[ \]) in the
// pages and API reference, and $ / $$ math in the executed notebooks (inside .jupyter-wrapper).
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true
  },
  options: { ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex|jupyter-wrapper" }
};
document$.subscribe(() => {
  if (!(window.MathJax && MathJax.startup && MathJax.typesetPromise)) return;  // offline: keep the TeX source
  MathJax.startup.output.clearCache();
  MathJax.typesetClear();
  MathJax.texReset();
  MathJax.typesetPromise();
});
