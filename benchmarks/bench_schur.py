"""Benchmark: exact negativities of permutation-invariant states in the Schur basis (opentangle.spins.schur).

Run:  OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/bench_schur.py [N ...] [--no-reference] [--workers W]
      [--half-only]

Default N = 8 50.  For each N, the steady state of the reset model at the parameters of
``opentangle reset --n N --g 3 --gamma 1 --r 4`` (Ising g = 3, dephasing gamma = 1, reset r = 4):

* solve: the permutation-symmetric (Pauli) solve and its Schur blocks, as the reset CLI gets them
  (``PIState.from_symmetric``: a second solve on the Schur blocks for 17 <= N <= 80; above N = 80
  this benchmark asks for ``method="schur"`` explicitly);
* fast: ``negativity(N // 2)`` (half|half), then ``negativities()`` (every k | N-k cut and the average
  over all 2^(N-1) - 1 bipartitions; it reuses the half|half blocks) on a fresh copy of the state;
* reference (unless ``--no-reference``): the same with ``method="reference"``, the previous
  implementation, in the same process on another fresh copy, and the largest difference.

Targets (issue 12): N = 50 solve + half|half + average within 30 s; N = 100 within 10 min.  At N <= 10
the peer is the full space in the same run (``opentangle.measures.negativity`` and
``average_negativity(symmetric=True)`` on the state of the full-space solver).  Every line prints wall
and CPU seconds and the load average (the machine is shared); nothing is asserted.
"""

from __future__ import annotations

import os
import sys
import time


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return (time.perf_counter() - w, time.process_time() - c), out


def fmt(t) -> str:
    return f"{t[0]:7.2f} s wall {t[1]:7.2f} s CPU"


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def negativities(st, method: str, workers: int, half_only: bool):
    from opentangle.spins import PIState

    fresh = PIState(n=st.n, blocks=st.blocks, errors=st.errors)
    t_half, half = timed(lambda: fresh.negativity(st.n // 2, method=method, workers=workers))
    if half_only:
        return t_half, (0.0, 0.0), half, None
    t_all, neg = timed(lambda: fresh.negativities(method=method, workers=workers))
    return t_half, t_all, half, neg


def bench(n: int, reference: bool, workers: int, half_only: bool) -> None:
    from opentangle.spins import PIState
    from opentangle.studies import reset as R

    p = R.ResetParams(n=n, g=3.0, r=4.0, gamma=1.0)
    if n >= R.SCHUR_SOLVE_MIN_N:  # as the study does: one solve on the Schur blocks
        solve, ss = timed(lambda: R.schur_solve(p))
        st = ss.state
        print(f"N = {n:3d} solve {fmt(solve)} (Schur blocks, error {ss.error:.1e}); {load()}")
    else:
        t_pauli, ss = timed(lambda: R.symmetric_solve(p))
        t_blocks, st = timed(lambda: PIState.from_symmetric(ss))
        solve = (t_pauli[0] + t_blocks[0], t_pauli[1] + t_blocks[1])
        print(
            f"N = {n:3d} solve {fmt(solve)} (Pauli solve {t_pauli[0]:.2f} s + Schur blocks {t_blocks[0]:.2f} s); "
            f"{load()}"
        )
    methods = ["fast", "reference"] if reference else ["fast"]
    res = {}
    for m in methods:
        t_half, t_all, half, neg = negativities(st, m, workers, half_only)
        res[m] = (half, neg)
        total = (solve[0] + t_half[0] + t_all[0], solve[1] + t_half[1] + t_all[1])
        line = f"      {m:9s} half|half {fmt(t_half)}"
        if neg is not None:
            line += f" | other cuts + average {fmt(t_all)}"
        print(f"{line} | total with solve {fmt(total)}; {load()}")
        if neg is None:
            print(f"                half|half {half:.14f}")
        else:
            print(
                f"                half|half {half:.14f} +- {neg.errors[-1]:.1e}, average {neg.average:.14f} +- "
                f"{neg.average_error:.1e}, symmetry {neg.symmetry}"
            )
    if reference:
        (hf, nf), (hr, nr) = res["fast"], res["reference"]
        diff = f"|fast - reference| half {abs(hf - hr):.1e}"
        if nf is not None:
            diff += f", every cut {abs(nf.by_k - nr.by_k).max():.1e}, average {abs(nf.average - nr.average):.1e}"
        print(f"                {diff}")
    if n <= 10:
        from opentangle.measures import average_negativity, negativity

        _, res_full = timed(lambda: R.solve(p, solver="full"))
        dims = [2] * n
        t_fneg, fneg = timed(
            lambda: (
                negativity(res_full.rho, dims, part_a=list(range(n // 2))),
                average_negativity(res_full.rho, dims, symmetric=True),
            )
        )
        half, neg = res["fast"]
        avg = f", average {abs(fneg[1] - neg.average):.1e}" if neg is not None else ""
        print(f"      full space: measures {fmt(t_fneg)}; |full - Schur| half {abs(fneg[0] - half):.1e}{avg}")


def main(argv: list[str]) -> None:
    reference = "--no-reference" not in argv
    half_only = "--half-only" in argv
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 1
    skip = {argv.index("--workers") + 1} if "--workers" in argv else set()
    ns = [int(a) for i, a in enumerate(argv) if not a.startswith("--") and i not in skip] or [8, 50]
    for n in ns:
        bench(n, reference, workers, half_only)
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
