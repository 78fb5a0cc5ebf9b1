"""Benchmark: exact negativities of permutation-invariant states in the Schur basis (opentangle.spins.schur).

Run:  OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/bench_schur.py [N ...]

Default N = 8 50.  For each N, the reset steady state (Ising g = 3, dephasing gamma = 1,
reset r = 20) from the permutation-symmetric solver, then: the conversion of its
symmetric Pauli correlations to Schur blocks, the half|half negativity, every k | N-k
negativity and the average over all 2^(N-1) - 1 bipartitions, with their rounding-error
estimates.  Targets (issue 12): N = 50 within 30 s, N = 100 within 10 min.  At N <= 10 the
peer is the full space in the same run: ``opentangle.measures.negativity`` and
``average_negativity(symmetric=True)`` on the 2^N x 2^N state of the full-space solver.
Prints times and ratios, asserts nothing; the machine is shared, so absolute times vary.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench(n: int) -> None:
    from opentangle.spins import PIState
    from opentangle.studies import reset as R

    p = R.ResetParams(n=n, g=3.0, r=20.0, gamma=1.0)
    t_solve, ss = timed(lambda: R.symmetric_solve(p))
    t_conv, st = timed(lambda: PIState.from_symmetric(ss))
    t_half, half = timed(lambda: st.negativity(n // 2))
    t_all, neg = timed(st.negativities)
    schur = t_conv + t_half + t_all
    print(f"N = {n:3d}: symmetric solve {t_solve:7.2f} s | Schur: conversion {t_conv:6.2f} s, half|half "
          f"{t_half:6.2f} s, all other cuts + average {t_all:6.2f} s, total {schur:6.2f} s "
          f"(with the solve {schur + t_solve:6.2f} s)")
    print(f"         half|half {half:.12f} +- {neg.errors[-1]:.1e}, average {neg.average:.12f} +- "
          f"{neg.average_error:.1e}, symmetry {neg.symmetry}, min block eigenvalue {st.min_eigenvalue():.1e}")
    if n <= 10:
        from opentangle.measures import average_negativity, negativity

        t_full, res = timed(lambda: R.solve(solver="full", gap=False, **p))
        dims = [2] * n
        t_fneg, fneg = timed(lambda: (negativity(res.rho, dims, part_a=list(range(n // 2))),
                                      average_negativity(res.rho, dims, symmetric=True)))
        print(f"         full space: solve {t_full:.2f} s, negativity + average {t_fneg:.2f} s "
              f"(Schur / full-space measures: {schur / t_fneg:.2f}x); |diff| half "
              f"{abs(fneg[0] - half):.1e}, average {abs(fneg[1] - neg.average):.1e}")


def main(argv: list[str]) -> None:
    ns = [int(a) for a in argv] or [8, 50]
    for n in ns:
        bench(n)
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
