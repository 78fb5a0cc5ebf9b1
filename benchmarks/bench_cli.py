"""Start-up time of the command line: ``import opentangle``, each subcommand's import, and whole calls.

Usage: ``PYTHONPATH=src python benchmarks/bench_cli.py [--repeat 3]``

For each subcommand it prints the import time of its module in a fresh interpreter
(``python -X importtime``, the cumulative microseconds of the top-level import) and
the wall time of ``opentangle <cmd> --help``; then the wall time of ``opentangle --help``
and ``opentangle reset --n 2 --json`` (target: under 1 s each on an idle machine) and,
for scale, of a bare ``python -c pass``.  The best of ``--repeat`` runs is shown.
It also checks that ``opentangle --help`` imports no study, xarray, matplotlib or dask.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from opentangle.cli import COMMANDS

PY = sys.executable
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
HEAVY = ("opentangle.studies.", "xarray", "matplotlib", "dask", "scipy")


def wall(args: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(args, env=ENV, capture_output=True, check=False)
        best = min(best, time.perf_counter() - t0)
    return best


def import_time(module: str, repeat: int) -> float:
    """Cumulative import time (s) of ``module`` in a fresh interpreter, from ``-X importtime``."""
    best = float("inf")
    for _ in range(repeat):
        err = subprocess.run(
            [PY, "-X", "importtime", "-c", f"import {module}"], env=ENV, capture_output=True, text=True
        ).stderr
        rows = [line for line in err.splitlines() if re.search(rf"\|\s+{re.escape(module)}$", line)]
        if rows:
            best = min(best, int(rows[-1].split("|")[1]) / 1e6)
    return best


def heavy_imports(args: list[str]) -> list[str]:
    err = subprocess.run([PY, "-X", "importtime", *args], env=ENV, capture_output=True, text=True).stderr
    names = [line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if line.startswith("import time:")]
    return sorted({n for n in names if n.startswith(HEAVY)})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    cli = [PY, "-m", "opentangle.cli"]
    print(f"python -c pass                      {wall([PY, '-c', 'pass'], a.repeat):7.3f} s")
    print(f"import opentangle                   {import_time('opentangle', a.repeat):7.3f} s (importtime)")
    print(f"import opentangle.cli               {import_time('opentangle.cli', a.repeat):7.3f} s (importtime)")
    print(f"opentangle --help                   {wall(cli + ['--help'], a.repeat):7.3f} s (wall)")
    print(f"opentangle reset --n 2 --json       {wall(cli + ['reset', '--n', '2', '--json'], a.repeat):7.3f} s (wall)")
    print()
    print(f"{'subcommand':12s} {'import (s)':>10s} {'<cmd> --help (s)':>17s}")
    for name, module in COMMANDS.items():
        print(f"{name:12s} {import_time(module, a.repeat):10.3f} {wall(cli + [name, '--help'], a.repeat):17.3f}")
    heavy = heavy_imports(["-m", "opentangle.cli", "--help"])
    print()
    print(f"heavy modules imported by `opentangle --help`: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
