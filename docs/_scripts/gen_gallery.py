"""mkdocs-gen-files script: one gallery page per study, from a quick reproduction run.

Where the run comes from, in order:

1. ``$OPENTANGLE_REPORT``: a folder written by ``opentangle reproduce --out DIR`` that also holds
   ``summary.json`` (the ``--json`` output), e.g. the run CI makes once for the docs and the
   browser tests;
2. ``build/docs-report/`` when it already holds a ``summary.json`` (a cache of step 3);
3. otherwise ``reproduce_all(build/docs-report, level="quick")`` runs now (a few minutes on
   2 cores) and writes that cache.  ``OPENTANGLE_DOCS_NO_REPRODUCE=1`` skips it: the gallery then
   says that no run was available.

Each page lists the headline numbers next to the paper's (or the analytic) values and shows
every figure; the figures are copied into the site so that the pages stand alone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import mkdocs_gen_files

CACHE = Path("build/docs-report")


def _run_dir() -> Path | None:
    env = os.environ.get("OPENTANGLE_REPORT")
    if env:
        d = Path(env)
        if not (d / "summary.json").is_file():
            raise SystemExit(f"OPENTANGLE_REPORT={env} has no summary.json (opentangle reproduce --json > it)")
        return d
    if (CACHE / "summary.json").is_file():
        return CACHE
    if os.environ.get("OPENTANGLE_DOCS_NO_REPRODUCE", "0") not in ("", "0"):
        return None
    from opentangle.report import reproduce_all

    CACHE.mkdir(parents=True, exist_ok=True)
    rep = reproduce_all(CACHE, level="quick", jobs=int(os.environ.get("OPENTANGLE_DOCS_JOBS", "2")))
    (CACHE / "summary.json").write_text(json.dumps(rep.summary()), encoding="utf-8")
    return CACHE


def _fmt(x) -> str:
    if x is None:
        return "&mdash;"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x).replace("|", "\\|")


def _mark(passed) -> str:
    return {True: "&#10003; pass", False: "&#10007; **fail**"}.get(passed, "&mdash;")


def _page(study: dict, run: Path) -> str:
    name = study["name"]
    lines = [
        f"# Gallery: `{name}`",
        "",
        f"Quick reproduction (`opentangle reproduce --quick`): status **{study['status']}**, "
        f"{study['seconds']:.1f} s. The study's conventions and the paper are described on the "
        f"[`{name}` page](../{name}.md).",
        "",
    ]
    if study.get("error"):
        lines += [
            '!!! failure "The study did not finish"',
            "",
            "    ```",
            *("    " + ln for ln in study["error"].splitlines()[-20:]),
            "    ```",
            "",
        ]
    heads = study.get("headlines") or []
    if heads:
        lines += [
            "## Headline numbers",
            "",
            "| quantity | opentangle | paper / analytic | tolerance | check | source |",
            "|---|---|---|---|---|---|",
        ]
        for h in heads:
            lines.append(
                f"| {_fmt(h['label'])} | {_fmt(h['value'])} | {_fmt(h.get('reference'))} | "
                f"{_fmt(h.get('tolerance'))} | {_mark(h.get('passed'))} | {_fmt(h.get('source'))} |"
            )
        lines.append("")
    figs = study.get("figures") or []
    if figs:
        lines += ["## Figures", ""]
        for f in figs:
            src = run / f
            dest = f"gallery/{name}/{Path(f).name}"
            with open(src, "rb") as inp, mkdocs_gen_files.open(dest, "wb") as out:
                out.write(inp.read())
            lines += [f"![{Path(f).name}]({name}/{Path(f).name})", "", f"*{Path(f).name}*", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    run = _run_dir()
    studies = json.loads((run / "summary.json").read_text(encoding="utf-8"))["studies"] if run else []
    index = [
        "# Gallery",
        "",
        "One page per study, made from a quick reproduction run at build time: every figure the "
        "study writes and its headline numbers next to the paper's values. `opentangle reproduce` "
        "writes the same numbers and figures into `results/index.html`.",
        "",
    ]
    if not studies:
        index.append("No reproduction run was available when this site was built.")
    else:
        index += ["| study | status | checks | time |", "|---|---|---|---|"]
    nav = ["* [Overview](index.md)"]
    for s in studies:
        heads = s.get("headlines") or []
        ok = sum(h.get("passed") is True for h in heads)
        checked = sum(h.get("passed") is not None for h in heads)
        index.append(f"| [{s['name']}]({s['name']}.md) | {s['status']} | {ok}/{checked} | {s['seconds']:.1f} s |")
        nav.append(f"* [{s['name']}]({s['name']}.md)")
        with mkdocs_gen_files.open(f"gallery/{s['name']}.md", "w") as fh:
            fh.write(_page(s, run))
    with mkdocs_gen_files.open("gallery/index.md", "w") as fh:
        fh.write("\n".join(index) + "\n")
    with mkdocs_gen_files.open("gallery/SUMMARY.md", "w") as fh:
        fh.write("\n".join(nav) + "\n")


main()
