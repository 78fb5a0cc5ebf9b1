"""Where the error of Schur-block negativities comes from (issue 12): Pauli basis against Schur basis.

Run:  OMP_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python benchmarks/bench_schur_error.py [N ...]   (default 20 30 40)

For the reset steady state (Ising g = 3, dephasing gamma = 1, reset r = 20) at each N:
1. the Pauli-basis solution t, converted to Schur blocks (``PIState.from_symmetric(method="correlations")``):
   its half|half negativity and the conversion's own rounding estimate;
2. the same t perturbed by one ulp per entry (relative) and by an absolute 1e-16 per entry: how far the
   negativity moves (the conditioning of t -> negativity; absolute errors are amplified like ~2^N);
3. the same model solved on the Schur blocks (``schur_steady_state``): negativity and certified estimate,
   and the actual difference from 1.
Prints, asserts nothing.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def main(ns: list[int]) -> None:
    from opentangle.lindblad.permutation import SymmetricHamiltonian, schur_steady_state, symmetric_steady_state
    from opentangle.operators import sigma_z
    from opentangle.spins import PIState

    plus = np.array([1.0, 1.0]) / np.sqrt(2)
    model = dict(
        hamiltonian=SymmetricHamiltonian.ising(3.0),
        local_jumps=[(sigma_z(), 0.5), (np.outer(plus, [1, 0]), 20.0), (np.outer(plus, [0, 1]), 20.0)],
    )
    rng = np.random.default_rng(1)
    for n in ns:
        k = n // 2
        t0 = time.perf_counter()
        ss = symmetric_steady_state(n=n, **model)
        liou, t = ss.liouvillian, ss.correlations

        def half(tt, n=n, liou=liou, k=k):
            st = PIState.from_correlations(tt, n=n, occupations=liou.occupations, lookup=liou.lookup)
            return st.negativity(k), st.negativity_error(k)

        h0, e0 = half(t)
        t_rel = t * (1 + 2.2e-16 * rng.choice([-1.0, 1.0], size=t.size))
        t_abs = t + 1e-16 * rng.standard_normal(t.size)
        t_rel[0] = t_abs[0] = 1.0
        d_rel, d_abs = abs(half(t_rel)[0] - h0), abs(half(t_abs)[0] - h0)
        t1 = time.perf_counter()
        sc = schur_steady_state(n=n, **model)
        h1, e1 = sc.state.negativity(k), sc.state.negativity_error(k)
        t2 = time.perf_counter()
        print(
            f"N = {n:3d}: Pauli path {h0:.14f} (conversion estimate {e0:.1e}; {t1 - t0:.1f} s) | moved by "
            f"{d_rel:.1e} (1 ulp relative in t), {d_abs:.1e} (1e-16 absolute in t) | Schur basis {h1:.14f} "
            f"+- {e1:.1e} ({t2 - t1:.1f} s) | |Pauli - Schur| {abs(h0 - h1):.1e}",
            flush=True,
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20, 30, 40])
