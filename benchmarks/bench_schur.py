"""Benchmark: exact negativities of permutation-invariant states in the Schur basis (opentangle.spins.schur).

Run:  OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/bench_schur.py [N ...]

Default N = 8 50.  For each N, the reset steady state (Ising g = 3, dephasing gamma = 1,
reset r = 20): (a) the Pauli-basis solver and the conversion of its correlations to Schur
blocks; (b) (unless --no-schur; N <= 80) the same model solved on the Schur blocks
(``schur_steady_state``, certified).  Each prints the half|half negativity, every k | N-k
negativity and the average over all 2^(N-1) - 1 bipartitions, with their error estimates,
and the difference (a) - (b).  (b) is skipped above N = 80: at N = 100 the Schur-basis solve
alone took 130 s of CPU (490 s wall at load 10; error estimate 1.2e-12), and the negativity
tables there are estimated at ~4 min CPU for half|half and ~20 min for the average (eigenvalues
of blocks up to 1300 x 1300 for ~1900 (j_A, j_B) pairs).  Targets (issue 12): N = 50 within 30 s, N = 100 within 10 min.  At N <= 10 the
peer is the full space in the same run: ``opentangle.measures.negativity`` and
``average_negativity(symmetric=True)`` on the 2^N x 2^N state of the full-space solver.
Prints times and ratios, asserts nothing; the machine is shared, so absolute times vary.
"""

from __future__ import annotations

import sys
import time


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench(n: int, schur: bool) -> None:
    from opentangle.lindblad._schur_steady import schur_solve_memory_estimate
    from opentangle.spins import PIState
    from opentangle.studies import reset as R

    p = R.ResetParams(n=n, g=3.0, r=20.0, gamma=1.0)
    t_solve, ss = timed(lambda: R.symmetric_solve(p))
    # (a) Pauli-basis solve + conversion of its correlations (estimates cover the conversion's rounding only)
    t_conv, st = timed(lambda: PIState.from_symmetric(ss, method="correlations"))
    t_half, half = timed(lambda: st.negativity(n // 2))
    t_all, neg = timed(st.negativities)
    schur = t_conv + t_half + t_all
    print(
        f"N = {n:3d} (a) Pauli solve {t_solve:7.2f} s | conversion {t_conv:6.2f} s, half|half {t_half:6.2f} s, "
        f"all other cuts + average {t_all:6.2f} s; total {schur + t_solve:6.2f} s"
    )
    print(
        f"          half|half {half:.14f} +- {neg.errors[-1]:.1e}, average {neg.average:.14f} +- "
        f"{neg.average_error:.1e} (conversion rounding only)"
    )
    dim = ss.dimension
    if schur:
        # (b) the same model solved on the Schur blocks: certified (the estimate includes the solve)
        t_s, st2 = timed(ss.schur_state)
        t_h2, half2 = timed(lambda: st2.negativity(n // 2))
        t_a2, neg2 = timed(st2.negativities)
        print(
            f"      (b) Schur-basis solve {t_s:7.2f} s | half|half {t_h2:6.2f} s, all other cuts + average "
            f"{t_a2:6.2f} s; total {t_s + t_h2 + t_a2:6.2f} s"
        )
        print(
            f"          half|half {half2:.14f} +- {neg2.errors[-1]:.1e}, average {neg2.average:.14f} +- "
            f"{neg2.average_error:.1e} (certified); |(a) - (b)| half {abs(half - half2):.1e}, average "
            f"{abs(neg.average - neg2.average):.1e}, symmetry {neg2.symmetry}"
        )
    else:
        print(
            f"      (b) Schur-basis solve skipped (--schur); its LU needs ~{schur_solve_memory_estimate(dim) / 1e9:.1f} GB"
        )
    if n <= 10:
        from opentangle.measures import average_negativity, negativity

        t_full, res = timed(lambda: R.solve(solver="full", gap=False, **p))
        dims = [2] * n
        t_fneg, fneg = timed(
            lambda: (
                negativity(res.rho, dims, part_a=list(range(n // 2))),
                average_negativity(res.rho, dims, symmetric=True),
            )
        )
        print(
            f"          full space: solve {t_full:.2f} s, negativity + average {t_fneg:.2f} s "
            f"(Schur / full-space measures: {schur / t_fneg:.2f}x); |diff| half "
            f"{abs(fneg[0] - half):.1e}, average {abs(fneg[1] - neg.average):.1e}"
        )


def main(argv: list[str]) -> None:
    schur = "--no-schur" not in argv
    ns = [int(a) for a in argv if not a.startswith("--")] or [8, 50]
    for n in ns:
        bench(n, schur and n <= 80)
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
