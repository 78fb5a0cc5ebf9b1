"""Benchmark of the reset study against QuTiP, measured in one process.

Run:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_reset.py [--quick] [--big] [--cli N [--gap]]

1. Fig. 1 grid (201 x 201 two-qubit steady states + negativity) as one batched
   ``steady_state_linear`` call, versus ``qutip.steadystate`` per point (timed on a
   sample of points and extrapolated).
2. One N-qubit steady state: opentangle full space (iterative), the
   permutation-symmetric solver, and ``qutip.steadystate``.
3. ``--cli N``: the whole ``opentangle reset --n N --g 5 --gamma 1 --r 8 --json`` call (a fresh
   process: start-up, steady state and measures; bytecode cached as for an installed package),
   for the default (symmetric) solver (best of 3) and for ``--solver full``, against
   ``qutip.steadystate(method="direct", solver="lgmres")`` at tolerances tightened until its
   residual ``||L vec(rho)||`` matches the full-space residual (issue 19, target 3), then where the
   default call spends its compute, and the peer's whole call too (a fresh process that imports
   QuTiP, builds the model and solves it at that tolerance); with ``--gap`` also the in-process steady states and
   ``spectral_gap`` against ``spectrum`` (slow).
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
    print(
        f"[grid] {npts}x{npts} = {G.size} points: opentangle batched {t_ours:.3f} s "
        f"(max |N - closed form| = {err:.1e}); qutip per point {1e3 * t_q / len(sample):.2f} ms "
        f"-> {t_q_all:.1f} s extrapolated; ratio qutip/opentangle = {t_q_all / t_ours:.0f}x"
    )


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
    print(
        f"[N={n}] full space {t_full:.3f} s, symmetric {t_sym:.4f} s, qutip {t_q:.3f} s; "
        f"qutip/full = {t_q / t_full:.1f}x, qutip/symmetric = {t_q / t_sym:.0f}x; "
        f"max|rho - rho_qutip| = {diff:.1e}, max|pair_full - pair_sym| = {np.max(np.abs(pair - sym.rho2)):.1e}"
    )


def _cli_call(args: list[str]) -> tuple[float, dict]:
    """Wall time and JSON of one fresh ``opentangle`` process (bytecode cached, as for an installed package)."""
    import json
    import os
    import subprocess
    import tempfile

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "opentangle-bench-reset-pycache")
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "opentangle.cli", *args], capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - t
    if out.returncode:
        raise SystemExit(f"opentangle {' '.join(args)} failed: {out.stderr.strip()}")
    return wall, json.loads(out.stdout)


_QUTIP_SCRIPT = """
import math, sys, time
t0 = time.perf_counter()
import qutip as qt
n, g, r, gamma, tol = int(sys.argv[1]), *map(float, sys.argv[2:])
sz, I = qt.sigmaz(), qt.qeye(2)
plus = (qt.basis(2, 0) + qt.basis(2, 1)).unit()
site = lambda op, i: qt.tensor([op if k == i else I for k in range(n)])
H = sum(g * site(sz, i) * site(sz, j) for i in range(n) for j in range(i + 1, n))
c = [math.sqrt(gamma / 2) * site(sz, i) for i in range(n)]
c += [math.sqrt(r) * site(plus * qt.basis(2, k).dag(), i) for i in range(n) for k in range(2)]
rho = qt.steadystate(H, c, method="direct", solver="lgmres", atol=tol * 1e-2, rtol=tol)
rho2 = rho.ptrace([0, 1])
print(time.perf_counter() - t0)
"""


def _qutip_process(n: int, g: float, r: float, gamma: float, tol: float) -> float:
    """Wall time of a fresh Python process that imports QuTiP, builds the model and solves it (the peer's whole call)."""
    import os
    import subprocess

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    args = [sys.executable, "-c", _QUTIP_SCRIPT, str(n), str(g), str(r), str(gamma), str(tol)]
    t = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t
    if out.returncode:
        raise SystemExit(f"the QuTiP process failed: {out.stderr.strip()[-400:]}")
    return wall


def _load() -> str:
    import os

    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def call_pieces(n: int, g: float, gamma: float, r: float) -> None:
    """Where the default call spends its time after start-up (in-process, imports warm)."""
    from opentangle.studies import reset as R
    from opentangle.studies.reset.measures import (
        negativity_lower_bound,
        pair_measures,
        schur_negativities,
        spin_squeezing_witness,
    )

    p, o = R.STUDY.split(dict(n=n, g=g, gamma=gamma, r=r))
    R.STUDY.evaluate(p, o)  # warm
    t_all, _ = _best(lambda: R.STUDY.evaluate(p, o))
    t_solve, ss = _best(lambda: R.symmetric_solve(p))
    t_schur, _ = _best(lambda: schur_negativities(ss, n))
    t_lb, _ = _best(lambda: negativity_lower_bound(None, n, symmetric=ss))
    t_rest, _ = _best(lambda: (pair_measures(ss.rho2), spin_squeezing_witness(ss.rho1, ss.rho2, n)))
    print(
        f"[N={n}] in-process compute of the default call {t_all:.3f} s: symmetric solve {t_solve:.3f} s "
        f"(dimension {ss.dimension}), Schur negativities {t_schur:.3f} s, lower bound {t_lb:.3f} s, "
        f"pair + squeezing {t_rest:.4f} s (best of 3; load {_load()})"
    )


def qutip_lgmres_matched(n: int, g: float, r: float, gamma: float, target: float) -> list:
    """QuTiP ``steadystate(method="direct", solver="lgmres")`` in this process, tolerances tightened
    (1e-6 ... 1e-12) until its residual ``||L vec(rho)||`` is at most ``target``: rows
    ``(rtol, seconds, residual, rho)``, the last one the matched solve (the Liouvillian is built untimed)."""
    import qutip as qt

    H = qt.liouvillian(*qutip_model(n, g, r, gamma))
    Lq = H.full() if n <= 5 else H.data.as_scipy()
    rows = []
    for tol in (1e-6, 1e-8, 1e-10, 1e-12):
        t0 = time.perf_counter()
        rho_q = qt.steadystate(H, method="direct", solver="lgmres", atol=tol * 1e-2, rtol=tol)
        t_q = time.perf_counter() - t0
        res_q = float(np.linalg.norm(Lq @ rho_q.full().reshape(-1, order="F")))
        rows.append((tol, t_q, res_q, rho_q))
        if res_q <= target:
            break
    return rows


def bench_cli(n: int) -> None:
    """Target 3: the whole CLI call against QuTiP lgmres at matched residual, same run."""
    from opentangle.lindblad import spectral_gap, spectrum, steady_state
    from opentangle.studies import reset as R

    g, gamma, r = 5.0, 1.0, 8.0
    base = ["reset", "--n", str(n), "--g", str(g), "--gamma", str(gamma), "--r", str(r), "--json"]
    print(f"load average at start: {_load()}")
    _cli_call(base)  # warm the bytecode cache, untimed
    t_def, out_def = min(_cli_call(base) for _ in range(3))
    t_full, out_full = _cli_call([*base, "--solver", "full"])
    target = max(float(out_full["residual"]), 1e-14)
    rows = qutip_lgmres_matched(n, g, r, gamma, target)
    tol, t_q, res_q, rho_q = rows[-1]
    ss = steady_state(R.build_model(n=n, g=g, r=r, gamma=gamma))
    diff = float(np.abs(ss.rho - rho_q.full()).max())
    print(
        f"[N={n}] opentangle reset --json (default, symmetric): {t_def:7.2f} s  residual {out_def['residual']:.1e} "
        f"gap {out_def.get('gap')}"
    )
    print(
        f"[N={n}] opentangle reset --json --solver full:        {t_full:7.2f} s  residual {out_full['residual']:.1e} "
        f"gap {out_full.get('gap')}"
    )
    print(
        f"[N={n}] QuTiP steadystate direct/lgmres rtol={tol:.0e}:  {t_q:7.2f} s  residual {res_q:.1e} "
        f"(steps: {', '.join(f'{a:.0e}->{b:.1e}' for a, _, b, _ in rows)}); max|rho - rho_qutip| {diff:.1e}"
    )
    print(
        f"[N={n}] ratio QuTiP / CLI: default {t_q / t_def:5.2f}x   --solver full {t_q / t_full:5.2f}x "
        f"(target >= 2x; the CLI times include interpreter start-up and the measures; default: best of 3; "
        f"load {_load()})"
    )
    _qutip_process(n, g, r, gamma, tol)  # warm its bytecode cache, untimed
    t_qp = min(_qutip_process(n, g, r, gamma, tol) for _ in range(3))
    print(
        f"[N={n}] fresh processes, both sides whole (interpreter, imports, model, solve): QuTiP script "
        f"{t_qp:7.2f} s vs opentangle CLI {t_def:7.2f} s -> {t_qp / t_def:5.2f}x (best of 3; load {_load()})"
    )
    call_pieces(n, g, gamma, r)
    if "--gap" not in sys.argv:
        return
    m = R.build_model(n=n, g=g, r=r, gamma=gamma)
    t_ss, ss = _best(lambda: steady_state(m), repeat=1)
    t_sym, _ = _best(lambda: R.symmetric_solve(R.ResetParams(n=n, g=g, r=r, gamma=gamma).validate()), repeat=1)
    t_gap, gp = _best(lambda: spectral_gap(m), repeat=1)
    t_spec, sp_ = _best(lambda: spectrum(m, k=6), repeat=1)
    print(
        f"[N={n}] pieces: full-space steady state {t_ss:.2f} s ({ss.method}), symmetric {t_sym:.3f} s, "
        f"spectral_gap {t_gap:.2f} s ({gp.matvecs} products, gap {gp.gap:.12g}) vs spectrum {t_spec:.2f} s "
        f"(gap {sp_.gap:.12g}): {t_spec / t_gap:.1f}x"
    )


def main() -> None:
    if "--cli" in sys.argv:
        bench_cli(int(sys.argv[sys.argv.index("--cli") + 1]))
        return
    quick = "--quick" in sys.argv
    bench_grid(51 if quick else 201)
    # N = 7 (qutip.steadystate takes minutes on the shared 2-core machine) only with --big
    for n in [4] if quick else [4, 5, 6] + ([7] if "--big" in sys.argv else []):
        bench_single(n)


if __name__ == "__main__":
    main()
