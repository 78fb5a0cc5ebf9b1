"""Lindblad engine benchmarks against QuTiP, measured in the same process.

Model (issue 3): N qubits, all-to-all Ising g = 5, dephasing gamma = 1, reset to |+> at r = 8.

    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py            # N = 6, 7, 8, 10 + batched grid
    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py --quick    # N = 6, 7, 8, grid 101 x 101
    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py --n 10 11 12  # large N: triangular vs iterative (to N=11)
    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py --vs-direct 3 4 5 6  # triangular vs sparse LU (auto threshold)
    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py --n 10 --old /work/main/src  # against an older tree
    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py --spectrum 7 8 9 10  # spectral gap only
    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py --gap 6 7 8 10       # spectral_gap vs spectrum (issue 19)
    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py --dicke 20 60 100    # one large spin (issue 12)
    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py --unique-cost 4 5 6  # uniqueness-check share
    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py --unique-iterative 8 10  # issue 19 target 9
    OMP_NUM_THREADS=1 python benchmarks/bench_lindblad.py --products 11 12    # one folded product: CPU, page faults

Times are wall clock and CPU (process) seconds, with the load average: on a shared machine the CPU
time is the comparable number.

Every line prints opentangle time, QuTiP time (when measured) and their ratio.
Timings on a shared machine are noisy: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import sys
import time

import numpy as np

from opentangle.lindblad import (
    Model,
    amplitude_damping,
    dephasing,
    liouvillian,
    reset,
    steady_state,
    steady_state_linear,
)
from opentangle.measures import negativity
from opentangle.operators import embed, sigma_z

PLUS = np.array([1.0, 1.0]) / np.sqrt(2)


def model(N: int, *, g: float = 5.0, gamma: float = 1.0, r: float = 8.0) -> Model:
    dims = [2] * N
    z = [embed(sigma_z(), i, dims, sparse=True) for i in range(N)]
    H = sum(g * z[i] @ z[j] for i in range(N) for j in range(i + 1, N))
    jumps = []
    for i in range(N):
        jumps += dephasing(site=i, rate=gamma, dims=dims)
        jumps += reset(site=i, rate=r, state=PLUS, dims=dims)
    return Model(hamiltonian=H, jumps=jumps, dims=dims)


def qutip_model(m: Model):
    import qutip

    dims = [m.dims, m.dims]
    H = qutip.Qobj(m.hamiltonian, dims=dims)
    c_ops = [qutip.Qobj(np.sqrt(j.rate) * j.op, dims=dims) for j in m.jumps]
    return H, c_ops


def timed(f, *a, **k):
    t = time.perf_counter()
    out = f(*a, **k)
    return out, time.perf_counter() - t


def timed_cpu(f, *a, **k):
    """(result, wall seconds, CPU seconds of this process)."""
    t, c = time.perf_counter(), time.process_time()
    out = f(*a, **k)
    return out, time.perf_counter() - t, time.process_time() - c


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def damped_model(N: int) -> Model:
    """Unique steady state that the structural test cannot prove (amplitude damping: |0> invariant per site)."""
    dims = [2] * N
    z = [embed(sigma_z(), i, dims, sparse=True) for i in range(N)]
    H = sum(z[i] @ z[j] for i in range(N) for j in range(i + 1, N))
    jumps = dephasing(site=0, rate=0.5, dims=dims) + [amplitude_damping(site=i, rate=1.0, dims=dims) for i in range(N)]
    return Model(hamiltonian=H, jumps=jumps, dims=dims)


def old_steady_state(src: str):
    """``steady_state`` of another source tree (e.g. /work/main/src), loaded next to this one."""
    spec = importlib.util.spec_from_file_location("_old_steady", f"{src}/opentangle/lindblad/steady.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["_old_steady"] = mod
    spec.loader.exec_module(mod)
    return mod.steady_state


def bench_n(
    N: int, *, with_qutip: bool, qutip_default: bool = False, old: str | None = None, iterative: bool = False
) -> None:
    m = model(N)
    # issue 19: the exact block-triangular solver (auto picks it from N = 11: steady.TRIANGULAR_MIN)
    ss, t_ot, c_ot = timed_cpu(steady_state, m, method="triangular" if N >= 6 else "auto")
    line = (
        f"N={N:2d}  opentangle {ss.method:9s} {t_ot:8.3f} s (cpu {c_ot:.1f} s, {load()})  residual {ss.residual:.1e}  "
        f"matvecs {ss.iterations}  maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB"
    )
    if iterative:  # the previous large-N path (folded GMRES), same tree, same run
        si, t_i, c_i = timed_cpu(steady_state, m, method="iterative")
        line += (
            f" | iterative {t_i:8.3f} s (cpu {c_i:.1f} s, {load()}) matvecs {si.iterations} residual "
            f"{si.residual:.1e} ratio(cpu) {c_i / c_ot:.1f}x max|diff| {np.abs(si.rho - ss.rho).max():.1e}"
        )
    if old:
        so, t_o, c_o = timed_cpu(old_steady_state(old), m)
        line += (
            f" | old tree {t_o:8.3f} s (cpu {c_o:.1f} s, {load()}) matvecs {so.iterations} ratio(cpu) "
            f"{c_o / c_ot:.2f}x max|diff| {np.abs(so.rho - ss.rho).max():.1e}"
        )
    if with_qutip:
        import qutip

        H, c_ops = qutip_model(m)
        rq, t_q = timed(qutip.steadystate, H, c_ops, solver="gmres")
        res_q = float(np.linalg.norm(liouvillian(m) @ rq.full().reshape(-1, order="F")))
        diff = float(np.abs(rq.full() - ss.rho).max())
        line += f" | QuTiP gmres {t_q:8.3f} s  residual {res_q:.1e}  ratio {t_q / t_ot:6.1f}x  max|diff| {diff:.1e}"
        if qutip_default:
            _, t_d = timed(qutip.steadystate, H, c_ops)
            line += f" | QuTiP default {t_d:.3f} s ratio {t_d / t_ot:.1f}x"
    print(line, flush=True)


def bench_vs_direct(N: int, repeat: int = 3) -> None:
    """method='triangular' against method='direct' (best CPU time of ``repeat``): where auto should switch."""
    m = model(N)
    best = {}
    for method in ("triangular", "direct"):
        cpu = []
        for _ in range(repeat):
            ss, _, c = timed_cpu(steady_state, m, method=method)
            cpu.append(c)
        best[method] = (min(cpu), ss)
    (ct, st), (cd, sd) = best["triangular"], best["direct"]
    print(
        f"N={N:2d}  triangular cpu {ct:.3f} s  direct cpu {cd:.3f} s  ratio {cd / ct:.2f}x  "
        f"max|diff| {np.abs(st.rho - sd.rho).max():.1e}  ({load()})",
        flush=True,
    )


def two_qubit_terms():
    dims = [2, 2]
    zz = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    LH = liouvillian(Model(hamiltonian=zz, dims=dims))
    Ld = liouvillian(Model(jumps=[dephasing(site=i, rate=1.0, dims=dims) for i in range(2)], dims=dims))
    Lr = liouvillian(Model(jumps=[reset(site=i, rate=1.0, state=PLUS, dims=dims) for i in range(2)], dims=dims))
    return [LH, Ld, Lr]


def bench_grid(n: int, *, qutip_points: int = 200) -> None:
    import qutip

    g = np.linspace(0.0, 5.0, n)
    r = np.linspace(0.0, 10.0, n)
    G, R = np.meshgrid(g, r, indexing="ij")
    coeff = np.stack([G.ravel(), np.ones(G.size), R.ravel()], axis=1)

    def run():
        terms = two_qubit_terms()
        t1 = time.perf_counter()
        out = steady_state_linear(terms=terms, coefficients=coeff, nonunique="nan")
        t2 = time.perf_counter()
        rho = out.rho
        rho[~out.unique] = np.eye(4) / 4  # r = 0 edge: no unique steady state
        return out, negativity(rho), t1, t2

    times = []
    for _ in range(3):  # first call is cold (imports, page faults); report the median of three
        t0 = time.perf_counter()
        out, neg, t1, t2 = run()
        t3 = time.perf_counter()
        times.append((t3 - t0, t1 - t0, t2 - t1, t3 - t2))
    t_ot, t_terms, t_solve, t_neg = sorted(times)[1]
    print(
        f"  grid timings (total, terms, solve, negativity) cold {np.round(times[0], 3).tolist()} "
        f"median {np.round([t_ot, t_terms, t_solve, t_neg], 3).tolist()} s",
        flush=True,
    )
    # QuTiP per-point loop (steadystate + negativity) on a sample of the grid
    rng = np.random.default_rng(0)
    idx = rng.choice(G.size, size=min(qutip_points, G.size), replace=False)
    idx = idx[out.unique[idx]]
    sz = qutip.sigmaz()
    I2 = qutip.qeye(2)
    plus = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()
    t0 = time.perf_counter()
    errs = []
    for i in idx:
        gi, ri = coeff[i, 0], coeff[i, 2]
        H = gi * qutip.tensor(sz, sz)
        c_ops = [qutip.tensor(sz, I2) / np.sqrt(2), qutip.tensor(I2, sz) / np.sqrt(2)]
        for k in range(2):
            op = np.sqrt(ri) * plus * qutip.basis(2, k).dag()
            c_ops += [qutip.tensor(op, I2), qutip.tensor(I2, op)]
        rho = qutip.steadystate(H, c_ops)
        nq = qutip.negativity(rho, 0)
        errs.append(abs(nq - neg[i]))
    t_q = (time.perf_counter() - t0) / max(len(idx), 1)
    print(
        f"batched 2-qubit grid {n}x{n} with negativity: opentangle {t_ot:.3f} s total "
        f"({1e6 * t_ot / G.size:.1f} us/point, max residual {np.nanmax(out.residual):.1e}, "
        f"{int((~out.unique).sum())} non-unique points -> NaN) | QuTiP loop {1e3 * t_q:.2f} ms/point "
        f"(sampled {len(idx)} points) -> {n * n} points ~{t_q * n * n:.1f} s, ratio {t_q * n * n / t_ot:.0f}x, "
        f"max|dN| {max(errs) if errs else float('nan'):.1e}",
        flush=True,
    )


def bench_spectrum(N: int, k: int = 6) -> None:
    """Spectral gap of the reset model (rightmost eigenvalues, ARPACK which='LR' on the real form)."""
    from opentangle.lindblad import spectrum

    sp_, t = timed(spectrum, model(N), k=k)
    print(
        f"spectrum N={N:2d} k={k}  {t:8.2f} s  gap {sp_.gap:.10f}  maxrss "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB",
        flush=True,
    )


def bench_gap(N: int, *, reference: bool = True) -> None:
    """Issue 19 target 2: ``spectral_gap`` (deflated Arnoldi, certified) against ``spectrum`` in the same run."""
    from opentangle.lindblad import spectral_gap, spectrum

    m = model(N)
    g, t_g = timed(spectral_gap, m)
    line = (
        f"gap N={N:2d}  spectral_gap {t_g:8.2f} s  gap {g.gap:.12f}  residual {g.residual:.1e}  "
        f"products {g.matvecs}  maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB"
    )
    if reference:
        s, t_s = timed(spectrum, m, k=6)
        line += (
            f" | spectrum(k=6) {t_s:8.2f} s  gap {s.gap:.12f}  ratio {t_s / t_g:5.1f}x  |diff| {abs(s.gap - g.gap):.1e}"
        )
    print(line, flush=True)


def bench_dicke(n: int) -> None:
    """Driven superradiance on the (N+1)-dim Dicke manifold: auto (cost model) vs forced methods vs QuTiP."""
    import qutip

    from opentangle.lindblad.steady import direct_cost

    jx, jm = (qutip.jmat(n / 2, k) for k in ("x", "-"))
    m = Model(hamiltonian=0.4 * n * jx.full(), jumps=[(jm.full(), 1.0)])
    cost, t_cost = timed(direct_cost, m)
    auto, t_auto = timed(steady_state, m)
    _, t_dir = timed(steady_state, m, method="direct")
    _, t_q = timed(qutip.steadystate, 0.4 * n * jx, [jm])
    line = (
        f"Dicke N={n:3d} (D={n + 1})  auto->{auto.method} {t_auto:7.3f} s (cost model {t_cost:.3f} s, "
        f"predicted LU {cost['lu_seconds']:.2g} s)  direct {t_dir:7.3f} s  QuTiP {t_q:7.3f} s  "
        f"ratio QuTiP/auto {t_q / t_auto:5.2f}"
    )
    if n <= 60:  # the pre-cost-model choice (D**2 > 1024 -> iterative): 12.6 s at N = 60 in issue 12
        _, t_it = timed(steady_state, m, method="iterative")
        line += f"  iterative {t_it:7.3f} s"
    print(line, flush=True)


def bench_unique_cost(N: int) -> None:
    """Share of the uniqueness checks (structure + LU certificate) in a direct solve."""
    m = model(N)
    best = {}
    for check in (False, True):
        best[check] = min(timed(steady_state, m, method="direct", check_unique=check)[1] for _ in range(3))
    share = (best[True] - best[False]) / best[True]
    print(
        f"N={N:2d} direct  check_unique=False {best[False]:7.3f} s  True {best[True]:7.3f} s  "
        f"uniqueness share {100 * share:5.1f} %",
        flush=True,
    )


def bench_unique_iterative(N: int) -> None:
    """Issue 19 target 9: share of the uniqueness check in an iterative solve (CPU seconds, one run each).

    Reset model: the structural proof (local algebras) applies, so the check is that test alone.  Damped
    model: the structure is inconclusive and the numerical confirmation (second, loose solve) runs.
    """
    for name, m in (("reset", model(N)), ("damped", damped_model(N))):
        off, _, c_off = timed_cpu(steady_state, m, method="iterative", check_unique=False)
        on, _, c_on = timed_cpu(steady_state, m, method="iterative", check_unique=True)
        from opentangle.lindblad.steady import _local_algebras_full

        proof, _, c_proof = timed_cpu(_local_algebras_full, m)
        print(
            f"N={N:2d} {name:6s} iterative  check_unique=False cpu {c_off:7.2f} s ({off.iterations} products)  "
            f"True cpu {c_on:7.2f} s ({on.iterations} products)  structural proof {proof} in {c_proof * 1e3:.1f} ms  "
            f"uniqueness share {100 * (c_on - c_off) / c_on:5.1f} %  {load()}",
            flush=True,
        )


def bench_products(N: int, repeat: int = 3) -> None:
    """One folded preconditioned product of the full-space iterative solve: CPU, system time, page faults."""
    import resource

    import opentangle.lindblad.steady as S
    from opentangle.lindblad._folded import FoldedOperator

    m = model(N)
    op = FoldedOperator.build(S._MatrixFree(m, precondition=False), m.rate_scale())
    x = np.random.default_rng(0).standard_normal(m.dim**2)
    op(x)  # the first call allocates the work arrays
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(repeat):
        op(x)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    user, system = (r1.ru_utime - r0.ru_utime) / repeat, (r1.ru_stime - r0.ru_stime) / repeat
    print(
        f"N = {N:2d}  product {user + system:.2f} s CPU ({system:.3f} s system, "
        f"{(r1.ru_minflt - r0.ru_minflt) / repeat:.0f} page faults), {(user + system) / m.dim**2:.2e} s per entry  "
        f"{load()}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N = 6, 7, 8 and a 101 x 101 grid")
    ap.add_argument("--n", type=int, nargs="*", help="only these N (no QuTiP above N = 8)")
    ap.add_argument("--qutip-default", action="store_true", help="also time QuTiP's default solver at N = 6")
    ap.add_argument("--spectrum", type=int, nargs="*", help="only time spectrum() at these N (e.g. 7 8 9 10)")
    ap.add_argument("--gap", type=int, nargs="*", help="spectral_gap vs spectrum at these N (spectrum only to N = 9)")
    ap.add_argument("--dicke", type=int, nargs="*", help="one large spin N/2 (Dicke manifold) at these N")
    ap.add_argument("--unique-cost", type=int, nargs="*", help="uniqueness-check share of a direct solve at these N")
    ap.add_argument("--unique-iterative", type=int, nargs="*", help="uniqueness share, iterative solve (issue 19)")
    ap.add_argument("--old", help="also time steady_state of this source tree (e.g. /work/main/src) with --n")
    ap.add_argument("--products", type=int, nargs="*", help="time one folded iterative-solver product at these N")
    ap.add_argument("--iterative-max", type=int, default=11, help="with --n: also time method='iterative' up to this N")
    ap.add_argument("--vs-direct", type=int, nargs="*", help="triangular against the sparse LU at these N (threshold)")
    args = ap.parse_args()
    if args.products:
        for N in args.products:
            bench_products(N)
        return
    if args.unique_iterative:
        for N in args.unique_iterative:
            bench_unique_iterative(N)
        return
    if args.dicke or args.unique_cost:
        for n in args.dicke or []:
            bench_dicke(n)
        for N in args.unique_cost or []:
            bench_unique_cost(N)
        return
    if args.gap:
        for N in args.gap:
            bench_gap(N, reference=N <= 9)
        return
    if args.spectrum:
        for N in args.spectrum:
            bench_spectrum(N)
        return
    if args.vs_direct:
        for N in args.vs_direct:
            bench_vs_direct(N)
        return
    if args.n:
        for N in args.n:
            bench_n(N, with_qutip=N <= 8, old=args.old, iterative=args.iterative_max >= N)
        return
    for N in (6, 7, 8):
        bench_n(N, with_qutip=True, qutip_default=args.qutip_default and N == 6)
    if not args.quick:
        bench_n(10, with_qutip=False)
    bench_grid(101 if args.quick else 201)


if __name__ == "__main__":
    main()
