"""Overhead of ``opentangle.sweep`` against evaluating the same grid by hand, in the same process.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_sweep.py``.
The reference is what a user would write without the sweep tool: one
``evaluate_batch`` call on the meshgrid (batch studies) or a Python loop over
``evaluate`` (pointwise studies).  Ratio = sweep time / reference time (1 = no
overhead); ``us/point`` is the added cost per grid point.  Uses the analytic test study ``tests/sweepfakes/grid.py`` so that
the numbers measure the tool, not a physics engine.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from sweepfakes import grid

from opentangle.sweep import run_sweep


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    run_sweep("sweepfakes.grid", axes=["r=0:1:3"])  # warm imports
    tmp = Path(tempfile.mkdtemp())
    print(f"{'case':52s} {'sweep':>9s} {'reference':>10s} {'ratio':>7s} {'us/point':>9s}")
    for num in (51, 201):
        r, g = np.meshgrid(np.linspace(0, 10, num), np.linspace(0, 5, num), indexing="ij")
        ref = best(lambda r=r, g=g: grid.evaluate_batch({"r": r, "g": g}, {"gamma": 1.0}))
        axes = [f"r=0:10:{num}", f"g=0:5:{num}"]
        t_mem = best(lambda axes=axes: run_sweep("sweepfakes.grid", axes=axes))
        t_file = best(lambda axes=axes: run_sweep("sweepfakes.grid", axes=axes, out=tmp / "g.nc"))
        print(
            f"{f'batch {num}x{num}, in memory':52s} {t_mem:9.3f} {ref:10.4f} {t_mem / ref:7.1f} {1e6 * (t_mem - ref) / num**2:9.2f}"
        )
        print(
            f"{f'batch {num}x{num}, checkpoint + NetCDF file':52s} {t_file:9.3f} {ref:10.4f} {t_file / ref:7.1f} {1e6 * (t_file - ref) / num**2:9.2f}"
        )
    xs = np.linspace(0, 10, 2000)
    ref = best(lambda: [grid.evaluate(r=x, g=2.5, gamma=1.0) for x in xs])
    t_loop = best(lambda: run_sweep("sweepfakes.grid", axes=["r=0:10:2000"], batch=False, workers=1, out=tmp / "p.nc"))
    print(
        f"{'pointwise 2000 points, 1 process, with file':52s} {t_loop:9.3f} {ref:10.4f} {t_loop / ref:7.1f} {1e6 * (t_loop - ref) / xs.size:9.2f}"
    )
    print("absolute times in seconds; the machine is shared, so compare ratios")


if __name__ == "__main__":
    main()
