"""Reproduction report: ``opentangle reproduce [--out results] [--quick | --full]``.

Runs every available study's ``reproduce(out/<study>, level=...)``, each in its
own process (so a crash, a hang or a segfault becomes a failed section rather
than ending the report), and writes ``out/index.html``: one section per study
with its figures and a table of headline numbers.  Each row has a kind
(:data:`opentangle.studies._base.KINDS`): a ``check`` compares with an analytic
value, an independent method or a paper's number and carries a pass/fail mark;
an ``info`` row (a timing, a theorem's slack, a normalisation, a quantity equal by
construction) carries none and never counts as a pass; a ``refuted`` row shows a
claim the computation refutes (amber, never green; red if the refutation is not
reproduced).  ``out/headlines.json`` holds the same rows, with their kinds and
per-study counts, for machines.

Levels: ``quick`` (CI-sized grids), ``default`` (what ``make run`` runs) and
``full`` (the papers' resolution).

Example
-------
>>> from opentangle.report import reproduce_all
>>> rep = reproduce_all("results", level="quick")     # doctest: +SKIP
>>> rep.passed                                         # doctest: +SKIP
True
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import json
import os
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentangle import __version__
from opentangle._io import begin_outputs, check_output_path, record_outputs, write_text_atomic
from opentangle._limits import check_timeout
from opentangle.errors import InvalidParameterError
from opentangle.studies._base import Headline, to_jsonable

__all__ = ["LEVELS", "Report", "StudyReport", "command", "reproduce_all", "write_index"]

LEVELS = ("quick", "default", "full")
#: per-study wall-clock limit (s) by level; generous multiples of the budgets in CONTRIBUTING.md
TIMEOUTS = {"quick": 180.0, "default": 400.0, "full": 1200.0}


@dataclass
class StudyReport:
    """One study's part of the report."""

    name: str
    status: str  # "pass", "fail", "error", "timeout"
    seconds: float
    headlines: list[Headline] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)  # paths relative to the report folder
    data: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def counts(self) -> dict[str, int]:
        """Rows by outcome: passed and failed checks, informative rows, refutations (reproduced or not)."""
        h = self.headlines
        return {
            "check_pass": sum(r.kind == "check" and r.passed is True for r in h),
            "check_fail": sum(r.kind == "check" and r.passed is False for r in h),
            "info": sum(r.kind == "info" for r in h),
            "refuted": sum(r.kind == "refuted" and r.passed is True for r in h),
            "refutation_failed": sum(r.kind == "refuted" and r.passed is False for r in h),
        }

    def __repr__(self) -> str:
        c = self.counts()
        checked = c["check_pass"] + c["check_fail"]
        return (
            f"StudyReport({self.name!r}, status={self.status!r}, checks={c['check_pass']}/{checked}, "
            f"info={c['info']}, refuted={c['refuted']}, figures={len(self.figures)}, seconds={self.seconds:.1f})"
        )


@dataclass
class Report:
    """The whole reproduction run; ``index`` is the written ``index.html``."""

    out: Path
    level: str
    studies: list[StudyReport]
    seconds: float
    index: Path | None = None

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.studies)

    def summary(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "index": str(self.index) if self.index else None,
            "level": self.level,
            "passed": self.passed,
            "seconds": round(self.seconds, 2),
            "opentangle_version": __version__,
            "studies": [
                {
                    "name": s.name,
                    "status": s.status,
                    "seconds": round(s.seconds, 2),
                    "figures": s.figures,
                    "data": s.data,
                    "error": s.error,
                    "counts": s.counts(),
                    "headlines": [to_jsonable(h.as_dict()) for h in s.headlines],
                }
                for s in self.studies
            ],
        }

    def __repr__(self) -> str:
        body = ", ".join(f"{s.name}={s.status}" for s in self.studies)
        return f"Report(level={self.level!r}, {body or 'no studies'}, seconds={self.seconds:.1f}, out='{self.out}')"


# ----------------------------------------------------------------------------- running studies


@contextlib.contextmanager
def _single_threaded_blas():
    """Children inherit one BLAS thread each unless the user chose otherwise.

    Studies run side by side (``--jobs``) and parallelise over processes
    themselves; measured on 2 cores, threaded BLAS under that load made the
    ensembles study 5x slower.  The variables must be set before the child
    imports NumPy, hence around ``Process.start`` with the spawn context.
    """
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    added = [n for n in names if n not in os.environ]
    for n in added:
        os.environ[n] = "1"
    try:
        yield
    finally:
        for n in added:
            os.environ.pop(n, None)


def _child(study: str, out_dir: str, level: str, conn: Any) -> None:
    """Run one study's reproduce in a fresh process; send back headlines or a traceback."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        from opentangle.sweep import resolve_study

        module = resolve_study(study)
        rows = module.reproduce(Path(out_dir), level=level)
        rows = [r if isinstance(r, Headline) else Headline(**r) for r in (rows or [])]
        conn.send(("ok", [r.as_dict() for r in rows]))
    except BaseException as exc:  # report everything, including SystemExit from a study
        tb = traceback.format_exc(limit=8)
        conn.send(("error", f"{type(exc).__name__}: {exc}\n\n{tb}"))
    finally:
        conn.close()


def _is_png(path: Path) -> bool:
    """PNG signature followed by an IHDR chunk."""
    with path.open("rb") as fh:
        head = fh.read(16)
    return head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"


def _dirname(study: str) -> str:
    return study.rsplit(".", 1)[-1]


def _finish(name: str, out_dir: Path, root: Path, msg: Any, seconds: float, exitcode: int | None) -> StudyReport:
    pngs = sorted(out_dir.glob("*.png"))
    figures = [str(p.relative_to(root)) for p in pngs if _is_png(p)]
    broken = [p.name for p in pngs if not _is_png(p)]
    data = sorted(str(p.relative_to(root)) for p in out_dir.glob("*.nc"))
    if broken and msg is not None and msg[0] == "ok":
        msg = ("error", f"the study wrote files that are not valid PNG images: {', '.join(broken)}")
    if msg is None:
        how = "timeout" if exitcode is None else "error"
        text = (
            f"no result within the time limit ({seconds:.0f} s)"
            if exitcode is None
            else f"the study process died (exit code {exitcode}) before reporting"
        )
        return StudyReport(name, how, seconds, figures=figures, data=data, error=text)
    kind, payload = msg
    if kind == "error":
        return StudyReport(name, "error", seconds, figures=figures, data=data, error=payload)
    rows = [Headline(**d) for d in payload]
    status = "fail" if any(h.failed for h in rows) else "pass"
    return StudyReport(name, status, seconds, headlines=rows, figures=figures, data=data)


def _prepare(out_dir: Path) -> None:
    """Fresh study folder: remove only what an earlier reproduce wrote (its manifest), never other files."""
    begin_outputs(out_dir)


def reproduce_all(
    out: str | os.PathLike = "results",
    *,
    level: str = "default",
    studies: Sequence[str] | None = None,
    timeout: float | None = None,
    jobs: int = 1,
    log: Any = None,
) -> Report:
    """Run the studies' ``reproduce`` and write ``out/index.html``.

    Parameters
    ----------
    out : path
        Report folder; study ``s`` writes into ``out/s/``.
    level : {"quick", "default", "full"}
    studies : names
        Default: every study in :func:`opentangle.studies.available_studies`.
        Dotted module paths of study-like modules are accepted too.
    timeout : float
        Per-study limit in seconds (default :data:`TIMEOUTS` by level).
    jobs : int
        Studies run at the same time (each in its own process).
    log : callable(str) or None
        Called with one line per finished study.
    """
    import multiprocessing as mp

    from opentangle.studies import available_studies
    from opentangle.sweep import resolve_study

    if level not in LEVELS:
        raise InvalidParameterError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if jobs < 1:
        raise InvalidParameterError(f"--jobs must be >= 1, got {jobs}")
    names = list(studies) if studies else list(available_studies())
    for s in names:
        resolve_study(s)  # unknown names fail before any work
    if len({_dirname(s) for s in names}) != len(names):
        raise InvalidParameterError("two studies would write the same folder; give each study once")
    root = Path(out)
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise InvalidParameterError(f"cannot write the report folder {root}: {exc.strerror or exc}") from None
    limit = check_timeout(timeout) if timeout is not None else TIMEOUTS[level]
    for name in ("index.html", "headlines.json"):
        check_output_path(root / name)

    ctx = mp.get_context("spawn")
    t0 = time.perf_counter()
    results: dict[str, StudyReport] = {}
    queue = list(names)
    running: dict[str, tuple[Any, Any, float, Path]] = {}
    try:
        while queue or running:
            while queue and len(running) < jobs:
                name = queue.pop(0)
                out_dir = root / _dirname(name)
                _prepare(out_dir)
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(name, str(out_dir), level, send), daemon=False)
                with _single_threaded_blas():
                    proc.start()
                send.close()
                running[name] = (proc, recv, time.perf_counter(), out_dir)
            for name, (proc, recv, start, out_dir) in list(running.items()):
                elapsed = time.perf_counter() - start
                msg, finished, exitcode = None, False, None
                if recv.poll(0.05):
                    try:
                        msg = recv.recv()
                    except EOFError:
                        msg = None
                    proc.join(10)
                    finished, exitcode = True, proc.exitcode
                elif not proc.is_alive():
                    finished, exitcode = True, proc.exitcode
                elif elapsed > limit:
                    proc.kill()
                    proc.join()
                    finished, exitcode = True, None
                if finished:
                    recv.close()
                    del running[name]
                    rep = _finish(name, out_dir, root, msg, elapsed, exitcode if msg is None else 0)
                    written = set(record_outputs(out_dir))  # list only this run's files, not the user's
                    rep.figures = [f for f in rep.figures if Path(f).name in written]
                    rep.data = [d for d in rep.data if Path(d).name in written]
                    results[name] = rep
                    if log is not None:
                        log(f"{rep.name}: {rep.status} ({rep.seconds:.1f} s)")
            if running:
                time.sleep(0.05)
    finally:
        for proc, _, _, _ in running.values():  # interrupted: leave no orphans
            proc.kill()
            proc.join()
    report = Report(root, level, [results[n] for n in names], time.perf_counter() - t0)
    report.index = write_index(report)
    write_text_atomic(root / "headlines.json", json.dumps(report.summary(), indent=1))
    return report


# ----------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;
 padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} .meta{color:#666;margin-top:0}
section{border-top:1px solid #ddd;margin-top:2rem;padding-top:.5rem}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;color:#fff;font-size:.8rem;vertical-align:middle}
.pass{background:#1a7f37}.fail,.error,.timeout{background:#cf222e}
table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;font-variant-numeric:tabular-nums}
th{background:#f6f8fa} td.ok{color:#1a7f37;font-weight:bold} td.bad{color:#cf222e;font-weight:bold}
td.info{color:#57606a} td.refuted{color:#9a6700;font-weight:bold} tr.info td{color:#57606a}
.figs{display:flex;flex-wrap:wrap;gap:1rem} figure{margin:0;max-width:520px}
figure img{max-width:100%;border:1px solid #eee} figcaption{font-size:.85rem;color:#555}
pre{white-space:pre-wrap;background:#fff5f5;border:1px solid #f5c2c7;padding:.6rem;overflow-x:auto;font-size:.8rem}
"""

# after load: mark whether every image decoded (read by the headless-browser test)
_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  document.body.setAttribute('data-images', bad.length ? 'broken:' + bad.length : 'ok:' + imgs.length);
});
"""


def _fmt(x: Any) -> str:
    if x is None:
        return "&mdash;"
    if isinstance(x, float):
        return html.escape(f"{x:.6g}")
    return html.escape(str(x))


def _mark(h: Headline) -> str:
    """The check cell: only a passed ``check`` row is green; ``info`` rows carry no mark."""
    if h.kind == "info":
        return '<td class="info">info</td>'
    if h.kind == "refuted":
        return (
            '<td class="refuted">&#9888; claim refuted</td>'
            if h.passed
            else '<td class="bad">&#10007; refutation not reproduced</td>'
        )
    return '<td class="ok">&#10003; pass</td>' if h.passed else '<td class="bad">&#10007; fail</td>'


def _section(s: StudyReport) -> str:
    e = html.escape
    parts = [
        f'<section id="{e(s.name)}"><h2>{e(s.name)} <span class="badge {e(s.status)}">{e(s.status)}</span></h2>',
        f'<p class="meta">{s.seconds:.1f} s &middot; <a href="../site/gallery/{e(s.name)}/index.html" '
        f'title="built by make docs next to results/">gallery page</a></p>',
    ]
    if s.error:
        parts.append(f"<pre>{e(s.error)}</pre>")
    if s.headlines:
        parts.append(
            "<table><tr><th>quantity</th><th>value</th><th>reference</th><th>tolerance</th>"
            "<th>check</th><th>source</th><th>note</th></tr>"
        )
        for h in s.headlines:
            mark = _mark(h)
            parts.append(
                f'<tr class="{e(h.kind)}" data-kind="{e(h.kind)}"><td>{e(h.label)}</td><td>{_fmt(h.value)}</td>'
                f"<td>{_fmt(h.reference)}</td>"
                f"<td>{_fmt(h.tolerance)}</td>{mark}<td>{e(h.source)}</td><td>{e(h.note)}</td></tr>"
            )
        parts.append("</table>")
    if s.figures:
        parts.append('<div class="figs">')
        for f in s.figures:
            parts.append(
                f'<figure><a href="{e(f)}"><img src="{e(f)}" alt="{e(f)}" loading="eager"></a>'
                f"<figcaption>{e(Path(f).name)}</figcaption></figure>"
            )
        parts.append("</div>")
    if s.data:
        links = ", ".join(f'<a href="{e(d)}">{e(Path(d).name)}</a>' for d in s.data)
        parts.append(f"<p>Data (NetCDF): {links}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _totals(report: Report) -> str:
    c = {k: sum(s.counts()[k] for s in report.studies) for k in report.studies[0].counts()} if report.studies else {}
    if not c:
        return "no rows"
    return (
        f"{c['check_pass']} checks pass, {c['check_fail']} fail &middot; {c['info']} informative rows "
        f"(no pass mark) &middot; {c['refuted']} claims refuted"
    )


def write_index(report: Report) -> Path:
    """Write ``report.out/index.html`` (atomically) and return its path."""
    e = html.escape
    n_pass = sum(s.passed for s in report.studies)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = " &middot; ".join(
        f'<a href="#{e(s.name)}">{e(s.name)}</a> <span class="badge {e(s.status)}">{e(s.status)}</span>'
        for s in report.studies
    )
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>opentangle reproduction report ({e(report.level)})</title>
<style>{_CSS}</style></head>
<body>
<h1>opentangle reproduction report</h1>
<p class="meta">level <b>{e(report.level)}</b> &middot; opentangle {e(__version__)} &middot; {stamp} &middot;
{report.seconds:.1f} s &middot; {n_pass}/{len(report.studies)} studies pass &middot;
{_totals(report)}</p>
<p>{nav or "No studies are installed."}</p>
{"".join(_section(s) for s in report.studies)}
<script>{_SCRIPT}</script>
</body></html>
"""
    return write_text_atomic(report.out / "index.html", doc)


# ----------------------------------------------------------------------------- CLI

import typer  # noqa: E402


def command(
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Report folder."),
    quick: bool = typer.Option(False, "--quick", help="CI-sized grids (under 3 minutes on 2 cores)."),
    full: bool = typer.Option(False, "--full", help="The papers' resolution (under 30 minutes)."),
    study: list[str] = typer.Option(None, "--study", help="Only this study (repeatable)."),
    timeout: float = typer.Option(None, "--timeout", help="Per-study limit in seconds."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Studies run at the same time."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON summary instead of progress lines."),
) -> None:
    """Run every study's headline figures and write OUT/index.html (exit 1 if a check fails)."""
    if quick and full:
        raise InvalidParameterError("--quick and --full exclude each other; give one")
    level = "quick" if quick else "full" if full else "default"

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    rep = reproduce_all(out, level=level, studies=study or None, timeout=timeout, jobs=jobs, log=None if json_ else log)
    if json_:
        print(json.dumps(rep.summary()))
    else:
        print(
            f"wrote {rep.index} ({sum(s.passed for s in rep.studies)}/{len(rep.studies)} studies pass, "
            f"{rep.seconds:.1f} s)"
        )
    if not rep.passed:
        raise typer.Exit(1)
