"""Time evolution against QuTiP (and dynamiqs when importable) in the same process.

Run (about a minute on an idle 2-core machine):

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/bench_dynamics.py [--n 6] [--points 1000]

dynamiqs is optional: install it anywhere on the path (e.g. ``pip install --target /tmp/dq dynamiqs``
and add that folder at the end of ``PYTHONPATH``); the row is skipped when it is missing.

Rows:
1. ``evolve(method="bdf")`` on the N-qubit Ising-reset model (t = 0..2, 11 times, atol 1e-8,
   rtol 1e-6) against QuTiP ``mesolve(method="bdf")`` on the same (sparse) Liouvillian,
   ``method="krylov"`` against QuTiP ``bdf`` and ``adams`` (``--no-adams`` skips it), and dynamiqs
   ``mesolve`` (Tsit5, dense operators); max state difference printed.
2. A batched evolution of ``--points`` two-qubit reset models (g in [1, 5], r in [1, 10]) to
   t = 20 (101 times): ``evolve_batch`` on ``affine_liouvillians`` (stacked exponentials) against a
   loop over ``evolve``, a loop over QuTiP ``mesolve`` (both timed on 50 points and scaled) and
   dynamiqs' batched ``mesolve`` (Tsit5 and Expm, warm: timed on the second call).
3. A cos-driven qubit (time-dependent path, ``adaptive`` and ``dop853``) against QuTiP ``mesolve``
   (``adams``, ``dop853``) at atol 1e-10, rtol 1e-8.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import qutip

from opentangle.lindblad import (
    Jump,
    Model,
    affine_liouvillians,
    dephasing,
    evolve,
    evolve_batch,
    liouvillian,
    reset,
)
from opentangle.operators import embed, sigma_minus, sigma_x, sigma_z

PLUS = np.array([1.0, 1.0]) / np.sqrt(2)


def ising_reset(n, g, gamma, r):
    dims = [2] * n
    z = [embed(sigma_z(), i, dims, sparse=True) for i in range(n)]
    H = sum(g * z[i] @ z[j] for i in range(n) for j in range(i + 1, n))
    jumps = [dephasing(site=i, rate=gamma, dims=dims) + reset(site=i, rate=r, state=PLUS, dims=dims) for i in range(n)]
    return Model(hamiltonian=H, jumps=jumps, dims=dims)


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def row_bdf(n, adams=True, dq_n_max=6):
    m = ising_reset(n, 5.0, 1.0, 8.0)
    D = m.dim
    times = np.linspace(0, 2, 11)
    rho0 = np.zeros((D, D))
    rho0[0, 0] = 1
    Lq = qutip.Qobj(liouvillian(m), dims=[[[2] * n, [2] * n]] * 2, superrep="super").to("csr")
    r0 = qutip.Qobj(rho0, dims=[[2] * n, [2] * n])
    pairs = [("bdf", "bdf"), ("krylov", "bdf"), ("krylov", "adams")] if adams else [("bdf", "bdf"), ("krylov", "bdf")]
    ref = None
    for ours, peer in pairs:
        q, tq = timed(
            lambda peer=peer: qutip.mesolve(Lq, r0, times, options={"method": peer, "atol": 1e-8, "rtol": 1e-6})
        )
        e, to = timed(lambda ours=ours: evolve(m, rho0, times, method=ours, atol=1e-8, rtol=1e-6))
        diff = max(np.abs(e.states[i] - q.states[i].full()).max() for i in range(times.size))
        ref = e if ours == "krylov" else ref
        print(
            f"N={n} evolve({ours!r}) {to:7.3f} s | QuTiP mesolve({peer!r}) {tq:7.3f} s | ratio {to / tq:5.2f} "
            f"| max |diff| {diff:.1e}",
            flush=True,
        )
    if n <= dq_n_max:
        row_dynamiqs_n(m, rho0, times, ref)
    else:
        print(f"N={n} dynamiqs row skipped (--dq-n-max {dq_n_max}; Tsit5 on dense operators costs ~16x per qubit pair)")


def row_dynamiqs_n(m, rho0, times, ref):
    """dynamiqs ``mesolve`` (Tsit5, rtol 1e-6, atol 1e-8, dense operators, CPU, warm) on the same model."""
    try:
        import dynamiqs as dq
    except ImportError:
        print("dynamiqs: not importable, row skipped")
        return
    dq.set_precision("double")
    dq.set_device("cpu")
    H = m.hamiltonian.toarray().astype(complex)
    jumps = [np.sqrt(j.rate) * j.op.toarray().astype(complex) for j in m.jumps]
    method = dq.method.Tsit5(rtol=1e-6, atol=1e-8)

    def run():
        res = dq.mesolve(H, jumps, rho0.astype(complex), times, method=method, progress_meter=False)
        return np.asarray(dq.to_jax(res.states).block_until_ready())

    _, t_first = timed(run)
    out, t_dq = timed(run)
    diff = max(np.abs(out[i] - ref.states[i]).max() for i in range(times.size)) if ref is not None else float("nan")
    print(
        f"N={int(np.log2(m.dim))} dynamiqs mesolve (Tsit5, CPU, warm) {t_dq:7.3f} s (first call {t_first:.2f} s) "
        f"| max |diff| vs evolve('krylov') {diff:.1e}",
        flush=True,
    )


def row_batch(points):
    dims = [2, 2]
    zz = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    G, R = np.meshgrid(np.linspace(1, 5, 25), np.linspace(1, 10, max(1, points // 25)))
    pts = np.column_stack([G.ravel(), R.ravel()])[:points]
    B = len(pts)
    times = np.linspace(0, 20, 101)
    psi0 = np.array([1.0, 0, 0, 0])

    def ours():
        parts = [
            Model(hamiltonian=zz, dims=dims),
            Model(jumps=[reset(site=i, rate=1.0, state=PLUS, dims=dims) for i in range(2)], dims=dims),
            Model(jumps=[dephasing(site=i, rate=1.0, dims=dims) for i in range(2)], dims=dims),
        ]
        S = affine_liouvillians(parts, np.column_stack([pts[:, 0], pts[:, 1], np.ones(B)]))
        return evolve_batch(S, psi0, times, e_ops={"zz": zz}, store_states=False)

    _, t_ours_first = timed(ours)  # first call: lazy imports
    ev, t_ours = timed(ours)
    k = min(50, B)
    ms = [ising_reset(2, g, 1.0, r) for g, r in pts[:k]]
    loop, t_loop = timed(lambda: [evolve(m, psi0, times, e_ops=[zz], store_states=False).expect[0] for m in ms])
    zq = qutip.tensor(qutip.sigmaz(), qutip.sigmaz())

    def qutip_loop():
        out = []
        for m in ms:
            Lq = qutip.Qobj(liouvillian(m), dims=[[[2, 2], [2, 2]]] * 2, superrep="super")
            res = qutip.mesolve(
                Lq,
                qutip.Qobj(np.outer(psi0, psi0), dims=[[2, 2], [2, 2]]),
                times,
                e_ops=[zq],
                options={"atol": 1e-10, "rtol": 1e-8},
            )
            out.append(np.asarray(res.expect[0]))
        return out

    ql, t_q = timed(qutip_loop)
    diff = max(np.abs(np.array(loop) - ev.expect[:k, 0]).max(), np.abs(np.array(ql) - ev.expect[:k, 0]).max())
    print(
        f"{B} two-qubit points to t=20: evolve_batch {t_ours:.3f} s (first call {t_ours_first:.2f} s) | evolve loop {t_loop * B / k:.2f} s (scaled "
        f"from {k}) | QuTiP mesolve loop {t_q * B / k:.2f} s (scaled) | max |diff| {diff:.1e}"
    )
    try:
        import dynamiqs as dq
    except ImportError:
        print("dynamiqs: not importable, row skipped")
        return
    dq.set_precision("double")
    dq.set_device("cpu")
    Hs = pts[:, 0, None, None] * zz[None]
    jumps = [np.broadcast_to(np.sqrt(0.5) * embed(sigma_z(), i, dims), (B, 4, 4)) for i in range(2)]
    for i in range(2):
        for kk in range(2):
            op = embed(np.outer(PLUS, np.eye(2)[kk]), i, dims)
            jumps.append(np.sqrt(pts[:, 1])[:, None, None] * op[None])
    Hs, jumps = Hs.astype(complex), [np.ascontiguousarray(j, dtype=complex) for j in jumps]
    rho_dq, zz_c = np.outer(psi0, psi0).astype(complex), zz.astype(complex)

    def run(method):
        return dq.mesolve(
            Hs,
            jumps,
            rho_dq,
            times,
            exp_ops=[zz_c],
            method=method,
            save_states=False,
            cartesian_batching=False,
            progress_meter=False,
        ).expects.block_until_ready()

    for label, method in (("Tsit5 default tolerances", dq.method.Tsit5()), ("Expm", dq.method.Expm())):
        run_m = lambda method=method: run(method)  # noqa: E731
        _, t_first = timed(run_m)
        out, t_dq = timed(run_m)
        e_dq = np.asarray(out).reshape(B, -1, times.size)[:, 0]
        print(
            f"dynamiqs batched mesolve (CPU, {label}, warm) {t_dq:.3f} s (first call {t_first:.2f} s) | ratio "
            f"ours/dynamiqs {t_ours / t_dq:.2f} | max |diff| {np.abs(e_dq.real - ev.expect[:, 0]).max():.1e}",
            flush=True,
        )


def row_timedep():
    w0, A, g = 1.0, 0.4, 0.2
    times = np.linspace(0, 50, 201)
    m = Model(
        hamiltonian=[0.5 * w0 * sigma_z(), [sigma_x(), lambda t, w: A * np.cos(w * t)]],
        args={"w": 1.1},
        jumps=[Jump(sigma_minus(), g)],
    )
    H = [0.5 * w0 * qutip.sigmaz(), [qutip.sigmax(), lambda t, w: A * np.cos(w * t)]]
    for ours, peer in (("adaptive", "adams"), ("dop853", "dop853")):
        run_o = lambda ours=ours: evolve(m, [1, 0], times, e_ops=[sigma_z()], atol=1e-10, rtol=1e-8, method=ours)  # noqa: E731
        run_q = (  # noqa: E731
            lambda peer=peer: qutip.mesolve(
                H,
                qutip.basis(2, 0),
                times,
                [np.sqrt(g) * qutip.sigmam()],
                e_ops=[qutip.sigmaz()],
                args={"w": 1.1},
                options={"atol": 1e-10, "rtol": 1e-8, "method": peer},
            )
        )
        run_o(), run_q()  # warm: lazy imports and coefficient compilation are not timed
        e, to = timed(run_o)
        q, tq = timed(run_q)
        print(
            f"cos-driven qubit, t=0..50 (warm): evolve(method={ours!r}, time-dependent) {to:.3f} s | QuTiP mesolve({peer!r}) "
            f"{tq:.3f} s | ratio {to / tq:.2f} | max |diff| {np.abs(e.expect[0] - np.asarray(q.expect[0])).max():.1e}",
            flush=True,
        )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--rows", default="batch,bdf,timedep", help="comma-separated subset of batch,bdf,timedep")
    ap.add_argument("--no-adams", action="store_true", help="skip QuTiP adams (about 2 min at N = 8, idle)")
    ap.add_argument("--dq-n-max", type=int, default=6, help="largest N of the dynamiqs N-qubit row")
    a = ap.parse_args()
    rows = set(a.rows.split(","))
    import os

    print(f"load average {os.getloadavg()[0]:.2f} at start", flush=True)
    if "batch" in rows:
        row_batch(a.points)
    if "bdf" in rows:
        row_bdf(a.n, adams=not a.no_adams, dq_n_max=a.dq_n_max)
    if "timedep" in rows:
        row_timedep()
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
