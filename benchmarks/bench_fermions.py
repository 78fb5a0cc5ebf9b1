"""Benchmark of the Gaussian fermion engine on the monitored ladder (issue 7).

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_fermions.py [--target] [--workers 2]

1. Cost per cycle against L for the engine (orbitals + FFT propagator + rank-1
   measurement updates) and for the textbook reference measured in the same
   process: the 2L x 2L correlation matrix evolved as D -> conj(U) D U^T with
   dense U and the rank-1 D updates of REFERENCES.md section 4.  Both draw the
   same random numbers, so they follow the same trajectory; the script checks
   that they agree.
2. ``--target``: the acceptance run L = 128 (256 modes), 200 cycles,
   100 trajectories with ``--workers`` processes, wall time printed.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from opentangle.fermions import CirculantPropagator, GaussianState, ladder_hopping, propagator, run_monitored
from opentangle.fermions.correlations import binary_entropy
from opentangle.studies.ladder import simulate_ladder


def _observe(L):
    a, b, s = slice(0, L // 2), slice(L // 2, L), slice(0, L)

    def obs(st):
        sa, sb, sab = (float(np.sum(binary_entropy(st._spectrum(x)))) for x in (a, b, s))
        return {"S": sa, "I": sa + sb - sab}

    return obs


def engine(L, occ, probs, cycles, seed, h):
    rng = np.random.default_rng(seed)
    st = GaussianState.from_occupations(occ)
    t = time.perf_counter()
    tr = run_monitored(
        st,
        probabilities=probs,
        cycles=cycles,
        rng=rng,
        half_step=CirculantPropagator(h, n_chains=2, dt=0.5),
        record_from=cycles // 2,
        observe=_observe(L),
    )
    return time.perf_counter() - t, tr.observables["S"]


def reference(L, occ, probs, cycles, seed, h):
    """Dense correlation-matrix evolution, same random stream as run_monitored."""
    rng = np.random.default_rng(seed)
    m = 2 * L
    u = propagator(h, 0.5)
    uc, ut = u.conj(), u.T
    d = np.diag(occ).astype(complex)
    out = []
    t = time.perf_counter()
    for c in range(cycles):
        d = uc @ d @ ut
        which = rng.random(m) < probs
        uo = rng.random(m)
        for k in np.flatnonzero(which):
            dkk = d[k, k].real
            if uo[k] < dkk:
                d = d - np.outer(d[:, k], d[k, :]) / dkk
                d[k, k] += 1
            else:
                f = -d.copy()
                f[np.diag_indices(m)] += 1
                d = d + np.outer(f[:, k], f[k, :]) / (1 - dkk)
                d[k, k] -= 1
        d = uc @ d @ ut
        if c >= cycles // 2:  # same three spectra as the engine: S_A, S_B, S_AB
            sa, _sb, _sab = (
                float(np.sum(binary_entropy(np.linalg.eigvalsh(d[x, x]))))
                for x in (slice(0, L // 2), slice(L // 2, L), slice(0, L))
            )
            out.append(sa)
    return time.perf_counter() - t, np.array(out)


def per_cycle(Ls, cycles, p1, p2):
    print(f"cost per cycle (p1={p1}, p2={p2}, t2=4, t12=0.5; entropies on the last half of {cycles} cycles)")
    print(f"{'L':>5} {'modes':>6} {'engine ms/cycle':>16} {'dense-D ms/cycle':>17} {'speedup':>8} {'max|dS|':>9}")
    for L in Ls:
        rng = np.random.default_rng(L)
        occ = np.zeros(2 * L, int)
        occ[rng.choice(L, L // 2, replace=False)] = 1
        occ[L + rng.choice(L, L // 2, replace=False)] = 1
        probs = np.r_[np.full(L, p1), np.full(L, p2)]
        h = ladder_hopping(L, t1=1.0, t2=4.0, t12=0.5)
        te, se = engine(L, occ, probs, cycles, 7, h)
        if L <= 128:
            tr, sr = reference(L, occ, probs, cycles, 7, h)
            dev = float(np.abs(se - sr).max())
            print(f"{L:5d} {2 * L:6d} {1e3 * te / cycles:16.3f} {1e3 * tr / cycles:17.3f} {tr / te:8.1f} {dev:9.1e}")
        else:
            print(f"{L:5d} {2 * L:6d} {1e3 * te / cycles:16.3f} {'(skipped)':>17}")


def target(workers):
    t = time.perf_counter()
    r = simulate_ladder(
        L=128, t1=1.0, t2=4.0, t12=0.5, p1=0.1, p2=0.3, cycles=200, trajectories=100, seed=1, workers=workers
    )
    wall = time.perf_counter() - t
    print(
        f"target L=128 (256 modes), 200 cycles, 100 trajectories, workers={workers}: {wall:.1f} s wall "
        f"(budget 300 s); measurements/cycle {r.measurements_per_cycle:.1f}, max drift {r.max_drift:.1e}"
    )
    print(r.summary())


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", action="store_true", help="run the L=128 x 200 cycles x 100 trajectories target")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cycles", type=int, default=40)
    args = ap.parse_args()
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, load average {os.getloadavg()[0]:.1f}")
    per_cycle([16, 32, 64, 128, 256], args.cycles, 0.1, 0.3)
    if args.target:
        target(args.workers)
