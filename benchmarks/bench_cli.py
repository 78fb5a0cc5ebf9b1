"""Start-up time of the command line: ``import opentangle``, each subcommand's import, and whole calls.

Usage: ``PYTHONPATH=src python benchmarks/bench_cli.py [--repeat 3] [--compare OTHER/src] [--quick] [--qutip 8]``

Every number comes from fresh interpreters (``OMP_NUM_THREADS=1``), the median of ``--repeat``:

* the import time of ``opentangle``, ``opentangle.cli`` and of each subcommand's module
  (``python -X importtime``, cumulative, in seconds), and the wall time of ``opentangle <cmd> --help``;
* the wall time of ``opentangle --help``, ``opentangle reset --n 2 --json`` (issue 19, target 1:
  under 1 s on an idle machine), ``reset --n 8 --g 5 --gamma 1 --r 8 --json`` and
  ``reset --n 12 --json`` (target 8), and for scale ``python -c pass``, ``import numpy`` and the
  scipy modules the symmetric solver needs (the floor of a reset call).

Bytecode is cached as an installed package has it: ``PYTHONDONTWRITEBYTECODE`` is dropped and
``.pyc`` files go to a private ``PYTHONPYCACHEPREFIX`` (warmed by one untimed run per tree);
``--no-bytecode-cache`` compiles every opentangle module on every start instead (a source checkout
run with ``PYTHONDONTWRITEBYTECODE=1``).

``--compare OTHER/src`` times a second source tree (e.g. the main checkout) in the same run,
interleaved with this one, and prints the ratio.  The machine is shared: ratios measured in
one run are meaningful, absolute times only with the load average printed next to them.
``--qutip N`` (issue 19, target 3) adds the whole ``reset --n N --g 5 --gamma 1 --r 8 --json`` call
(best of ``--repeat``) against QuTiP ``steadystate(method="direct", solver="lgmres")`` in this
process at matched residual (``bench_reset.qutip_lgmres_matched``: tolerances tightened until
QuTiP's ``||L vec(rho)||`` is at most the CLI's residual or 1e-14), with the CPU time of both.
It also lists the heavy modules (studies, xarray, matplotlib, dask, scipy, typer, pydantic) that
``opentangle --help`` and ``opentangle reset --n 2 --json`` import.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
PY = sys.executable
HEAVY = ("opentangle.studies.", "xarray", "matplotlib", "dask", "scipy", "typer", "pydantic", "rich")
COMMANDS = ("reset", "waveguide", "thermalize", "ladder", "ensembles", "sweep", "plot", "reproduce")
MODULES = {name: f"opentangle.studies.{name}" for name in COMMANDS[:5]}
MODULES.update(sweep="opentangle.sweep", plot="opentangle.plot", reproduce="opentangle.report")
CALLS = {
    "--help": ["--help"],
    "reset --n 2 --json": ["reset", "--n", "2", "--json"],
    "reset --n 8 --g 5 --gamma 1 --r 8 --json": ["reset", "--n", "8", "--g", "5", "--gamma", "1", "--r", "8", "--json"],
    "reset --n 12 --json": ["reset", "--n", "12", "--json"],
}
FLOOR = {
    "python -c pass": "pass",
    "import numpy": "import numpy",
    "import scipy.sparse.linalg, csgraph, special": "import scipy.sparse.linalg, scipy.sparse.csgraph, scipy.special",
}


#: where the bytecode goes (None: not cached); set from the command line
OPTS: dict[str, str | None] = {"cache": os.path.join(tempfile.gettempdir(), "opentangle-bench-cli-pycache")}


def env(src: str) -> dict[str, str]:
    out = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": src}
    if OPTS["cache"] is not None:
        out.pop("PYTHONDONTWRITEBYTECODE", None)
        out["PYTHONPYCACHEPREFIX"] = os.path.join(OPTS["cache"], hashlib.sha1(src.encode()).hexdigest()[:12])
    return out


def wall(args: list[str], src: str) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(args, env=env(src), capture_output=True, check=False)
    if out.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {out.stderr.decode()[-500:]}")
    return time.perf_counter() - t0


def import_time(module: str, src: str) -> float:
    """Cumulative import time (s) of ``module`` in a fresh interpreter, from ``-X importtime``."""
    err = subprocess.run(
        [PY, "-X", "importtime", "-c", f"import {module}"], env=env(src), capture_output=True, text=True
    ).stderr
    rows = [line for line in err.splitlines() if re.search(rf"\|\s+{re.escape(module)}$", line)]
    return int(rows[-1].split("|")[1]) / 1e6 if rows else float("nan")


def heavy_imports(args: list[str], src: str) -> list[str]:
    err = subprocess.run([PY, "-X", "importtime", *args], env=env(src), capture_output=True, text=True).stderr
    names = [line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if line.startswith("import time:")]
    return sorted({n.split(".")[0] if not n.startswith("opentangle") else n for n in names if n.startswith(HEAVY)})


def cpu_wall(args: list[str], src: str) -> tuple[float, float, str]:
    """Wall and CPU (user + sys of the child) seconds and stdout of one fresh process."""
    before = os.times()
    t0 = time.perf_counter()
    out = subprocess.run(args, env=env(src), capture_output=True, text=True, check=False)
    t = time.perf_counter() - t0
    after = os.times()
    if out.returncode:
        raise SystemExit(f"{' '.join(args)} failed: {out.stderr[-500:]}")
    return (
        t,
        (after.children_user - before.children_user) + (after.children_system - before.children_system),
        out.stdout,
    )


def against_qutip(n: int, srcs: list[str], repeat: int) -> None:
    """The whole reset call of each tree against QuTiP lgmres in this process at matched residual (target 3)."""
    import json

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_reset import qutip_lgmres_matched

    g, gamma, r = 5.0, 1.0, 8.0
    args = [PY, "-m", "opentangle.cli", "reset", "--n", str(n), "--g", "5", "--gamma", "1", "--r", "8", "--json"]
    print(f"\ntarget 3: `opentangle reset --n {n} --g 5 --gamma 1 --r 8 --json` against QuTiP (load {_load()})")
    best: list[tuple[float, float, str]] = []
    for src in srcs:
        cpu_wall(args, src)  # warm
        best.append(min(cpu_wall(args, src) for _ in range(repeat)))
    ours = json.loads(best[0][2])
    before = time.process_time()
    rows = qutip_lgmres_matched(n, g, r, gamma, max(float(ours["residual"]), 1e-14))
    q_cpu = time.process_time() - before
    tol, t_q, res_q, _ = rows[-1]
    for i, (t, cpu, text) in enumerate(best):
        res = json.loads(text)["residual"]
        print(
            f"  CLI ({'this' if i == 0 else 'compare'}, whole call, best of {repeat}): {t:7.3f} s wall, {cpu:6.3f} s CPU, "
            f"residual {res:.1e}; QuTiP / CLI {t_q / t:5.2f}x"
        )
    steps = ", ".join(f"{a:.0e}->{b:.1e}" for a, _, b, _ in rows)
    print(
        f"  QuTiP steadystate direct/lgmres rtol={tol:.0e} in process: {t_q:7.3f} s wall (solve only; CPU of all "
        f"tolerance steps {q_cpu:.3f} s), residual {res_q:.1e} (steps: {steps}); load {_load()}"
    )


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def row(label: str, fn, srcs: list[str], repeat: int) -> None:
    """One line: the median for each tree, measured interleaved, and the ratio other / this."""
    samples: list[list[float]] = [[] for _ in srcs]
    for _ in range(repeat):
        for i, src in enumerate(srcs):
            samples[i].append(fn(src))
    meds = [statistics.median(s) for s in samples]
    cells = "".join(f"{m:10.3f}" for m in meds)
    ratio = f"{meds[1] / meds[0]:8.2f}x" if len(meds) == 2 and meds[0] > 0 else ""
    print(f"{label:44s}{cells}{ratio}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--compare", default=None, help="a second source tree, timed in the same run")
    ap.add_argument("--quick", action="store_true", help="skip the per-subcommand rows")
    ap.add_argument("--no-bytecode-cache", action="store_true", help="compile opentangle's modules on every start")
    ap.add_argument(
        "--qutip", type=int, default=None, metavar="N", help="the reset --n N call against QuTiP (target 3)"
    )
    a = ap.parse_args()
    if a.no_bytecode_cache:
        OPTS["cache"] = None
    srcs = [os.path.abspath(HERE)] + ([os.path.abspath(a.compare)] if a.compare else [])
    cli = [PY, "-m", "opentangle.cli"]
    for src in srcs:  # warm the bytecode cache (and the OS file cache), untimed
        wall(cli + CALLS["reset --n 2 --json"], src)
    print(f"bytecode cache: {'off (compiled on every start)' if OPTS['cache'] is None else 'on'}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    head = "".join(f"{'this' if i == 0 else 'compare':>10s}" for i in range(len(srcs)))
    print(f"{'seconds (median of ' + str(a.repeat) + ', fresh processes)':44s}{head}{'  ratio' if a.compare else ''}")
    for label, code in FLOOR.items():
        row(label + " (wall)", lambda src, c=code: wall([PY, "-c", c], src), srcs[:1], a.repeat)
    row("import opentangle (importtime)", lambda src: import_time("opentangle", src), srcs, a.repeat)
    row("import opentangle.cli (importtime)", lambda src: import_time("opentangle.cli", src), srcs, a.repeat)
    for label, args in CALLS.items():
        row(f"opentangle {label} (wall)", lambda src, x=args: wall(cli + x, src), srcs, a.repeat)
    print()
    print("subcommand: import of its module (importtime), then `opentangle <cmd> --help` (wall)")
    for name in () if a.quick else COMMANDS:
        row(f"  import {MODULES[name]}", lambda src, m=MODULES[name]: import_time(m, src), srcs, a.repeat)
        row(f"  opentangle {name} --help", lambda src, n=name: wall(cli + [n, "--help"], src), srcs, a.repeat)
    print()
    for label, args in (("--help", ["--help"]), ("reset --n 2 --json", CALLS["reset --n 2 --json"])):
        for i, src in enumerate(srcs):
            mods = heavy_imports(["-m", "opentangle.cli", *args], src)
            print(
                f"heavy modules imported by `opentangle {label}` ({'this' if i == 0 else 'compare'}): "
                f"{', '.join(mods) or 'none'}"
            )
    if a.qutip:
        against_qutip(a.qutip, srcs, a.repeat)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
