"""Griffe extension: render the Sphinx/RST markup used in opentangle's docstrings in mkdocstrings.

The docstrings are numpy-style but use Sphinx roles, which mkdocstrings does not understand:

* a numpy section titled ``Example`` -> ``Examples`` (so that its doctest is rendered as code);
* a numpy entry ``name : prose description.`` (the type slot holding a description) ->
  ``name`` with the description below it, so that it is rendered as Markdown;
* ``:math:`x``` -> ``\\(x\\)`` (arithmatex inline math, typeset by MathJax);
* a ``.. math::`` directive with its indented body -> a ``$$ ... $$`` display block;
* ``:func:`name```, ``:class:``, ``:mod:``, ``:meth:``, ``:attr:``, ``:exc:``, ``:data:``,
  ``:obj:`` -> an *optional* autorefs cross-reference: a link when the target has a page, a code
  span otherwise (never a build warning, so modules added later cannot break ``--strict``).

The source files are not touched; the conversion happens on griffe's in-memory docstrings
before mkdocstrings parses them.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_MATH = re.compile(r":math:`([^`]+)`")
_XREF = re.compile(r":(?:py:)?(func|class|mod|meth|attr|exc|data|obj|const):`(~?)([^`<]+?)(?:\s*<([^>]+)>)?`")
_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<rest>.*)$")
# numpy style spells the section "Examples"; the singular is plain text to griffe (its ">>>" lines too)
_EXAMPLE = re.compile(r"^(?P<indent>[ \t]*)Example\n(?P=indent)-{7}[ \t]*$", re.MULTILINE)


def _math_blocks(text: str) -> str:
    """Replace ``.. math::`` directives (body indented deeper than the directive) by ``$$`` blocks."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        indent = len(m["indent"].expandtabs())
        body = [m["rest"]] if m["rest"].strip() else []
        i += 1
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        pad = " " * indent
        stripped = [b.strip() for b in body if b.strip()]
        out += ["", f"{pad}$$", *[f"{pad}{b}" for b in stripped], f"{pad}$$", ""]
    return "\n".join(out)


_SECTIONS = {"parameters", "other parameters", "attributes", "returns", "yields", "raises", "warns", "receives"}
_ENTRY = re.compile(r"^(?P<indent>[ \t]*)(?P<name>[\w*][\w*, .]*?)\s+:\s+(?P<text>\S.*)$")
_ROLE_PLAIN = re.compile(r":(?:py:)?[a-z]+:`~?([^`]+)`")


def _is_prose(text: str) -> bool:
    """Whether the part after ``name :`` is a description rather than a type."""
    words = len(text.split())
    return text.rstrip().endswith(".") or ";" in text or ":math:" in text or words > 5 or ("(" in text and words > 3)


def _entries(text: str) -> str:
    """In numpy entry sections, move a prose ``name : description`` into the description.

    Many docstrings write ``tol : bound on the residual ...``: numpy style reads the part after
    the colon as the *type*, which mkdocstrings shows verbatim in a type column.  The entry becomes
    ``name`` followed by the description indented below it; real types (``int``, ``str or module``)
    stay, with any Sphinx role inside reduced to its name (the type column is not Markdown).
    """
    lines = text.split("\n")
    out: list[str] = []
    section, base = None, None
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        stripped = line.strip()
        if stripped and re.fullmatch(r"-{3,}", nxt.strip() or "x") and len(nxt.strip()) >= len(stripped) - 1:
            section = stripped.lower() if stripped.lower() in _SECTIONS else None
            base = len(line) - len(line.lstrip())
            out.append(line)
            continue
        m = _ENTRY.match(line) if section else None
        if m and len(m["indent"]) == base:
            if _is_prose(m["text"]):
                out += [f"{m['indent']}{m['name']}", f"{m['indent']}    {m['text']}"]
            else:
                out.append(f"{m['indent']}{m['name']} : {_ROLE_PLAIN.sub(lambda r: r[1], m['text'])}")
            continue
        out.append(line)
    return "\n".join(out)


def _resolve(obj: Any, name: str) -> str:
    """The full path of ``name`` as seen from ``obj`` (best effort; unresolved names stay as given)."""
    if name.startswith("opentangle."):
        return name
    head, _, tail = name.partition(".")
    scope = obj
    while scope is not None:
        try:
            base = scope.resolve(head)
        except Exception:  # griffe raises NameResolutionError and others
            scope = scope.parent
            continue
        return f"{base}.{tail}" if tail else base
    return name


def _xref(obj: Any, m: re.Match) -> str:
    tilde, name, target = m[2], m[3].strip(), m[4]
    name = name.rstrip("()")
    ident = _resolve(obj, (target or name).lstrip("~"))
    shown = name.rsplit(".", 1)[-1] if tilde else name
    if m[1] in ("func", "meth"):
        shown += "()"
    return f'<autoref identifier="{html.escape(ident)}" optional><code>{html.escape(shown)}</code></autoref>'


def convert(text: str, obj: Any = None) -> str:
    """The docstring ``text`` with Sphinx math and cross-reference roles rewritten for mkdocstrings."""
    text = _EXAMPLE.sub(lambda m: f"{m['indent']}Examples\n{m['indent']}--------", text)
    text = _entries(text)
    text = _math_blocks(text)
    text = _MATH.sub(lambda m: r"\(" + m[1] + r"\)", text)
    return _XREF.sub(lambda m: _xref(obj, m), text)


class SphinxRoles(griffe.Extension):
    """Rewrite every docstring of the loaded package once it is fully loaded (names resolve then)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self._walk(pkg, set())

    def _walk(self, obj: Any, seen: set[int]) -> None:
        if id(obj) in seen or obj.is_alias:
            return
        seen.add(id(obj))
        if obj.docstring is not None and not getattr(obj.docstring, "_ot_converted", False):
            obj.docstring.value = convert(obj.docstring.value, obj)
            obj.docstring._ot_converted = True
        for member in obj.members.values():
            if not member.is_alias:
                self._walk(member, seen)
