"""Benchmark of the permutation-symmetric solver (opentangle.lindblad.permutation).

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_permutation.py [--quick] [--large]

1. Reset model of Hartmann et al. (Ising g = 5, dephasing gamma = 1, reset to |+> at r = 8)
   against QuTiP's full-space ``steadystate`` (default method) for N = 4..6, same run.
2. A model PIQS supports (Ising g = 1 + field 0.7 sum sx, local emission 1, local dephasing
   0.5) against ``qutip.piqs`` ``Dicke(...).liouvillian()`` + ``steadystate``, same run.
3. Reset model scaling: N = 10 ... 50 (``--large``: up to 90), time to the reduced
   two-qubit steady state, with and without the uniqueness check of the other blocks.
   ``--piqs N ...`` runs only this comparison (``--piqs-max M``: PIQS itself only up to M).
5. ``--schur N ...``: the Schur-block solver on the reset model, ``method="iterative"`` (GMRES with
   a block Gauss-Seidel preconditioner over J) against ``method="direct"`` (sparse LU, the
   reference; only up to ``--direct-max``) in the same run, with the load average.
6. ``--schur N ... --compare OLD/src``: ``method="auto"`` of this tree against another source tree
   (e.g. ``git archive main src | tar -x -C OLD``), each N in a fresh process: wall, CPU (user +
   sys of the solve), error estimate, an entry of rho2, peak memory, load.
4. ``--certificate``: share of the LU certificate (forward-error estimate, four triangular
   solves) in the factorisation of the identity block, and the certificate itself, for the
   reset model (unique) and driven superradiance (singular: must be O(1) at every N).
Timings are best of ``--repeat`` runs; the machine may be shared, so compare ratios.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from opentangle.lindblad.permutation import SymmetricHamiltonian, schur_steady_state, symmetric_steady_state
from opentangle.operators import embed, partial_trace, sigma_minus, sigma_z

PLUS = np.array([1.0, 1.0]) / math.sqrt(2)
RESET = [(np.outer(PLUS, [1, 0]), 8.0), (np.outer(PLUS, [0, 1]), 8.0)]


def reset_model(g=5.0, gamma=1.0):
    return dict(hamiltonian=SymmetricHamiltonian.ising(g), local_jumps=[(sigma_z(), gamma / 2), *RESET])


def best_of(fn, repeat):
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_vs_qutip_full(ns, repeat):
    import qutip

    print("\n[1] reset model, full-space qutip.steadystate (default) vs symmetric solver")
    print(f"{'N':>3} {'qutip s':>9} {'ours s':>9} {'ratio':>7} {'max|drho2|':>11} {'neg(rho2)':>10}")
    for n in ns:
        dims = [2] * n
        h = sum(5.0 * embed(sigma_z(), i, dims) @ embed(sigma_z(), j, dims) for i in range(n) for j in range(i + 1, n))
        ops = [(sigma_z(), 0.5), *RESET]
        c_ops = [qutip.Qobj(math.sqrt(r) * embed(op, i, dims), dims=[dims, dims]) for op, r in ops for i in range(n)]
        hq = qutip.Qobj(h, dims=[dims, dims])
        # the full-space reference gets slow fast (tens of seconds at N = 6): time it once there
        tq, rho = best_of(lambda hq=hq, c_ops=c_ops: qutip.steadystate(hq, c_ops), repeat if n < 6 else 1)
        to, ss = best_of(lambda n=n: symmetric_steady_state(n=n, **reset_model()), repeat)
        diff = np.abs(partial_trace(rho.full(), [0, 1], dims) - ss.rho2).max()
        print(f"{n:>3} {tq:9.4f} {to:9.4f} {tq / to:7.1f} {diff:11.1e} {ss.negativity():10.6f}")


def bench_vs_piqs(ns, repeat, piqs_max=None, pauli=True):
    import qutip

    try:
        from qutip.piqs.piqs import Dicke, jspin
    except ImportError:
        print("\n[2] qutip.piqs not available; skipped")
        return
    print(
        "\n[2] PIQS-supported model: Dicke(...).liouvillian() + steadystate vs symmetric solver "
        "(Pauli basis; and on the Schur blocks, schur_steady_state)"
    )
    print(
        f"{'N':>3} {'piqs s':>9} {'ours s':>9} {'ratio':>7} {'schur s':>9} {'ratio':>7} {'max|d<J>|':>10} "
        f"{'max|d<J^2>|':>12} {'|d rho2| P-S':>12}"
    )
    for n in ns:
        jx, jy, jz = jspin(n)
        h = 0.5 * ((2 * jz) ** 2 - n) + 2 * 0.7 * jx

        def piqs(n=n, h=h):
            return qutip.steadystate(Dicke(n, hamiltonian=h, emission=1.0, dephasing=0.5).liouvillian())

        def ours(n=n):
            return symmetric_steady_state(
                n=n,
                hamiltonian=SymmetricHamiltonian.ising(1.0) + SymmetricHamiltonian.field(x=0.7),
                local_jumps=[(sigma_minus(), 1.0), (sigma_z(), 0.5 / 4)],
            )

        def schur(n=n):
            return schur_steady_state(
                n=n,
                hamiltonian=SymmetricHamiltonian.ising(1.0) + SymmetricHamiltonian.field(x=0.7),
                local_jumps=[(sigma_minus(), 1.0), (sigma_z(), 0.5 / 4)],
            )

        tp, rho = best_of(piqs, repeat) if piqs_max is None or n <= piqs_max else (math.nan, None)
        to, ss = best_of(ours, repeat) if pauli else (math.nan, None)
        ts, sc = best_of(schur, repeat)
        if ss is None:
            d1 = (
                np.abs(np.array([qutip.expect(o, rho) for o in (jx, jy, jz)]) - _mean_j(sc.state)).max()
                if rho
                else math.nan
            )
            print(f"{n:>3} {tp:9.4f} {'-':>9} {'-':>7} {ts:9.4f} {tp / ts:7.1f} {d1:10.1e}  load {_load()}", flush=True)
            continue
        if rho is not None:
            d1 = np.abs(np.array([qutip.expect(o, rho) for o in (jx, jy, jz)]) - ss.moments.mean).max()
            d2 = np.abs(np.array([qutip.expect(o * o, rho) for o in (jx, jy, jz)]) - np.diag(ss.moments.second)).max()
        else:
            d1 = d2 = math.nan
        print(
            f"{n:>3} {tp:9.4f} {to:9.4f} {tp / to:7.1f} {ts:9.4f} {tp / ts:7.1f} {d1:10.1e} {d2:12.1e} "
            f"{np.abs(ss.rho2 - sc.rho2).max():12.1e}",
            flush=True,
        )


def bench_scaling(ns, repeat):
    print("\n[3] reset model (g=5, gamma=1, r=8): time to rho2, dimension C(N+3,3)")
    print(
        f"{'N':>3} {'dim':>7} {'blocks':>6} {'checked s':>10} {'unchecked s':>12} {'residual_max':>12} "
        f"{'neg(rho2)':>10} {'xi2_R':>8}"
    )
    for n in ns:
        tc, ss = best_of(lambda n=n: symmetric_steady_state(n=n, **reset_model()), repeat)
        tu, _ = best_of(lambda n=n: symmetric_steady_state(n=n, **reset_model(), check_unique=False), repeat)
        sq = ss.spin_squeezing()
        print(
            f"{n:>3} {ss.dimension:>7} {ss.blocks:>6} {tc:10.2f} {tu:12.2f} {ss.residual_max:12.1e} "
            f"{ss.negativity():10.6f} {sq.xi2_wineland:8.3f}",
            flush=True,
        )


def _mean_j(state) -> np.ndarray:
    """<J_x>, <J_y>, <J_z> of a PIState (sum_J d_J tr(rho_J J_a))."""
    from opentangle.operators import spin_operators

    return np.array(
        [
            sum(
                d * np.trace(b @ spin_operators(t / 2)[a]).real
                for t, b, d in zip(state.twojs, state.blocks, state.multiplicities)
            )
            for a in range(3)
        ]
    )


def _load() -> str:
    import os

    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def bench_schur(ns, direct_max):
    print("\n[5] reset model on the Schur blocks: method='iterative' vs 'direct' (sparse LU), same run")
    print(
        f"{'N':>3} {'dim':>7} {'iter s':>8} {'error':>8} {'direct s':>9} {'error':>8} {'ratio':>6} {'max|d sigma|':>12}  load"
    )
    for n in ns:
        ti, it = best_of(lambda n=n: schur_steady_state(n=n, **reset_model(), method="iterative"), 1)
        td, dr, diff = math.nan, None, math.nan
        if n <= direct_max:
            td, dr = best_of(lambda n=n: schur_steady_state(n=n, **reset_model(), method="direct"), 1)
            diff = max(
                float(np.abs(a - b).max()) * d
                for a, b, d in zip(it.state.blocks, dr.state.blocks, it.state.multiplicities)
            )
        print(
            f"{n:>3} {it.dimension:>7} {ti:8.2f} {it.error:8.1e} {td:9.2f} {dr.error if dr else math.nan:8.1e} "
            f"{td / ti:6.1f} {diff:12.1e}  {_load()}",
            flush=True,
        )


_CHILD = """
import math, os, resource, sys, time
import numpy as np
from opentangle.lindblad.permutation import SymmetricHamiltonian, schur_steady_state
from opentangle.operators import sigma_z
plus = np.array([1.0, 1.0]) / math.sqrt(2)
kw = dict(hamiltonian=SymmetricHamiltonian.ising(5.0),
          local_jumps=[(sigma_z(), 0.5), (np.outer(plus, [1, 0]), 8.0), (np.outer(plus, [0, 1]), 8.0)])
t0, c0 = time.perf_counter(), time.process_time()
ss = schur_steady_state(n=int(sys.argv[1]), **kw)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(wall, cpu, ss.error, ss.solver, ss.rho2[0, 3].real, ru.ru_maxrss / 1e6)
"""


def bench_schur_compare(ns, old_src):
    """The reset model on the Schur blocks (method="auto"), this tree against ``old_src``, each N in a
    fresh process (wall and CPU time of the solve alone, imports excluded), same run."""
    import os
    import subprocess
    import sys

    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    print(f"\n[6] reset model, schur_steady_state(method='auto'): this tree vs {old_src}, fresh processes")
    print(
        f"{'N':>3} {'tree':>5} {'wall s':>8} {'cpu s':>8} {'error':>8} {'solver':>10} {'rho2[0,3]':>14} {'GB':>5}  load"
    )
    for n in ns:
        for name, src in (("new", here), ("old", old_src)):
            env = dict(os.environ, PYTHONPATH=os.path.abspath(src), OMP_NUM_THREADS="1")
            out = subprocess.run([sys.executable, "-c", _CHILD, str(n)], env=env, capture_output=True, text=True)
            if out.returncode:
                print(f"{n:>3} {name:>5} failed: {out.stderr.strip().splitlines()[-1]}", flush=True)
                continue
            wall, cpu, err, solver, neg, gb = out.stdout.split()
            print(
                f"{n:>3} {name:>5} {float(wall):8.2f} {float(cpu):8.2f} {float(err):8.1e} {solver:>10} "
                f"{float(neg):14.11f} {float(gb):5.2f}  {_load()}",
                flush=True,
            )


def bench_certificate(ns):
    import scipy.sparse.linalg as spla

    from opentangle.lindblad.permutation import _factor, symmetric_liouvillian

    print("\n[4] LU certificate ||A^-1|| ||b - Ax|| / ||x||: cost share and value (identity block)")
    print(f"{'N':>3} {'model':>14} {'LU s':>8} {'LU+cert s':>10} {'share':>6} {'estimate':>9}")
    for n in ns:
        cases = {
            "reset": reset_model(),
            "superradiance": dict(
                hamiltonian=SymmetricHamiltonian.field(x=0.4 * n / 2), collective_jumps=[(sigma_minus(), 1.0)]
            ),
        }
        for name, kw in cases.items():
            a = symmetric_liouvillian(n=n, **kw).matrix.tocsc()[1:, 1:]
            t_lu, _ = best_of(lambda a=a: spla.splu(a, permc_spec="COLAMD"), 1)
            t0 = time.perf_counter()
            try:
                _, est = _factor(a, what="identity block")
            except Exception as exc:  # the singular case: the estimate is in the message
                est = float(str(exc).split("estimate ")[1].split(" ")[0])
            t_all = time.perf_counter() - t0
            print(
                f"{n:>3} {name:>14} {t_lu:8.3f} {t_all:10.3f} {100 * (t_all - t_lu) / t_all:5.1f}% {est:9.1e}",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--large", action="store_true", help="also N = 60..100 (minutes, GBs of memory)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--certificate", type=int, nargs="*", help="only the certificate benchmark at these N")
    ap.add_argument("--piqs", type=int, nargs="*", help="only the PIQS comparison at these N")
    ap.add_argument("--piqs-max", type=int, default=None, help="skip PIQS itself above this N (its time is minutes)")
    ap.add_argument("--no-pauli", action="store_true", help="--piqs: skip the Pauli-basis solver (minutes at N >= 80)")
    ap.add_argument("--schur", type=int, nargs="*", help="only the Schur iterative-vs-direct comparison at these N")
    ap.add_argument("--direct-max", type=int, default=60, help="--schur: run the direct LU only up to this N")
    ap.add_argument("--compare", help="--schur: instead, time this tree against another src/ (e.g. main's) per N")
    a = ap.parse_args()
    print(f"load average at start: {_load()}")
    if a.piqs:
        bench_vs_piqs(a.piqs, 1, a.piqs_max, pauli=not a.no_pauli)
        return
    if a.schur and a.compare:
        bench_schur_compare(a.schur, a.compare)
        return
    if a.schur:
        bench_schur(a.schur, a.direct_max)
        return
    if a.certificate:
        bench_certificate(a.certificate)
        return
    repeat = 1 if a.quick else a.repeat
    bench_vs_qutip_full([4, 5] if a.quick else [4, 5, 6], repeat)
    bench_vs_piqs([10, 20] if a.quick else [10, 20, 30, 40], repeat)
    ns = [10, 20, 30] if a.quick else [10, 20, 30, 40, 50]
    if a.large:
        ns += [60, 70, 80, 90, 100]
    bench_scaling(ns, 1 if a.large else repeat)


if __name__ == "__main__":
    main()
