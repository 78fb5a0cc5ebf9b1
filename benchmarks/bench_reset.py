"""Benchmark of the reset study against QuTiP, measured in one process.

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_reset.py [--quick] [--big]

1. Fig. 1 grid (201 x 201 two-qubit steady states + negativity) as one batched
   ``steady_state_linear`` call, versus ``qutip.steadystate`` per point (timed on a
   sample of points and extrapolated).
2. One N-qubit steady state: opentangle full space (iterative), the
   permutation-symmetric solver, and ``qutip.steadystate``.
Prints times and ratios; the machine is shared, so only ratios are meaningful.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np


def _best(fn, repeat=3):
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def qutip_model(n, g, r, gamma):
    import qutip as qt

    sz, I = qt.sigmaz(), qt.qeye(2)
    plus = (qt.basis(2, 0) + qt.basis(2, 1)).unit()

    def site(op, i):
        return qt.tensor([op if k == i else I for k in range(n)])

    H = sum(g * site(sz, i) * site(sz, j) for i in range(n) for j in range(i + 1, n))
    c_ops = []
    for i in range(n):
        c_ops.append(math.sqrt(gamma / 2) * site(sz, i))
        c_ops += [math.sqrt(r) * site(plus * qt.basis(2, k).dag(), i) for k in range(2)]
    return H, c_ops


def bench_grid(npts: int) -> None:
    import qutip as qt

    from opentangle.measures import negativity
    from opentangle.studies import reset as R

    g = np.linspace(0.1, 20.0, npts)
    r = np.linspace(0.1, 20.0, npts)
    G, Rr = np.meshgrid(g, r, indexing="ij")
    R.liouvillian_terms(n=2)  # build the terms once (cached), as a sweep would

    def ours():
        rho, _ = R.steady_states_grid(n=2, g=G, r=Rr, gamma=1.0)
        return negativity(rho)

    t_ours, neg = _best(ours, repeat=2)
    err = np.max(np.abs(neg - R.two_qubit_negativity(g=G, r=Rr)))
    rng = np.random.default_rng(0)
    sample = rng.integers(0, npts, size=(100, 2))

    def theirs():
        for i, j in sample:
            H, c = qutip_model(2, G[i, j], Rr[i, j], 1.0)
            rho = qt.steadystate(H, c)
            qt.partial_transpose(rho, [0, 1]).eigenenergies()

    t_q, _ = _best(theirs, repeat=1)
    t_q_all = t_q / len(sample) * G.size
    print(f"[grid] {npts}x{npts} = {G.size} points: opentangle batched {t_ours:.3f} s "
          f"(max |N - closed form| = {err:.1e}); qutip per point {1e3 * t_q / len(sample):.2f} ms "
          f"-> {t_q_all:.1f} s extrapolated; ratio qutip/opentangle = {t_q_all / t_ours:.0f}x")


def bench_single(n: int) -> None:
    import qutip as qt

    from opentangle.lindblad import steady_state
    from opentangle.operators import partial_trace
    from opentangle.studies import reset as R

    g, r, gamma = 5.0, 10.0, 1.0
    t_full, ss = _best(lambda: steady_state(R.build_model(n=n, g=g, r=r, gamma=gamma)), repeat=2)
    t_sym, sym = _best(lambda: R.symmetric_solve(R.ResetParams(n=n, g=g, r=r, gamma=gamma)), repeat=2)
    H, c = qutip_model(n, g, r, gamma)
    t_q, rho_q = _best(lambda: qt.steadystate(H, c), repeat=1)
    diff = np.max(np.abs(ss.rho - rho_q.full()))
    pair = partial_trace(ss.rho, [0, 1], [2] * n)
    print(f"[N={n}] full space {t_full:.3f} s, symmetric {t_sym:.4f} s, qutip {t_q:.3f} s; "
          f"qutip/full = {t_q / t_full:.1f}x, qutip/symmetric = {t_q / t_sym:.0f}x; "
          f"max|rho - rho_qutip| = {diff:.1e}, max|pair_full - pair_sym| = {np.max(np.abs(pair - sym.rho2)):.1e}")


def main() -> None:
    quick = "--quick" in sys.argv
    bench_grid(51 if quick else 201)
    # N = 7 (qutip.steadystate takes minutes on the shared 2-core machine) only with --big
    for n in ([4] if quick else [4, 5, 6] + ([7] if "--big" in sys.argv else [])):
        bench_single(n)


if __name__ == "__main__":
    main()
