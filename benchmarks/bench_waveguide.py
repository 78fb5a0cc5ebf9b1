"""Benchmark: waveguide steady states, opentangle vs QuTiP, measured in the same run.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_waveguide.py [--points 400]``
Prints the time ratio QuTiP / opentangle for (a) one steady state, (b) a grid of
(Omega, delta) points solved in one batch, (c) a saturating probe spectrum of two giant
atoms, (d) the freeze as one time-dependent model (Pulse schedules, exact propagation) against
QuTiP ``mesolve`` with step coefficients, and the largest disagreement of each.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import qutip as qt

from opentangle.lindblad import steady_state
from opentangle.studies import waveguide as wg

FIXED = dict(gamma1=1.0, gamma2=1.0, gamma12=0.98, g=0.1, gamma_loss=0.01, gamma_phi=0.005)


def _qutip_parts():
    sm, i2 = qt.sigmam(), qt.qeye(2)
    s1, s2 = qt.tensor(sm, i2), qt.tensor(i2, sm)
    h_delta = s2.dag() * s2 - s1.dag() * s1
    h_omega = s1 + s1.dag() + s2 + s2.dag()
    h_g = FIXED["g"] * (s1.dag() * s2 + s2.dag() * s1)
    gam = np.array([[FIXED["gamma1"], FIXED["gamma12"]], [FIXED["gamma12"], FIXED["gamma2"]]])
    w, v = np.linalg.eigh(gam)
    c_ops = [np.sqrt(wk) * (v[0, k] * s1 + v[1, k] * s2) for k, wk in enumerate(w) if wk > 1e-14]
    c_ops += [np.sqrt(FIXED["gamma_loss"]) * s for s in (s1, s2)]
    c_ops += [
        np.sqrt(FIXED["gamma_phi"] / 2) * qt.tensor(qt.sigmaz(), i2),
        np.sqrt(FIXED["gamma_phi"] / 2) * qt.tensor(i2, qt.sigmaz()),
    ]
    return h_delta, h_omega, h_g, c_ops


PARTS = _qutip_parts()  # operators built once; only the solve is timed


def qutip_singlet(omega: float, delta: float) -> float:
    h_delta, h_omega, h_g, c_ops = PARTS
    rho = qt.steadystate(delta * h_delta + omega * h_omega + h_g, c_ops).full()
    s = wg.singlet_state()
    return float(np.real(s.conj() @ rho @ s))


def best_of(fn, repeat: int = 3) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=400)
    ap.add_argument("--spectrum", type=int, default=401, help="detunings of the probe-spectrum comparison")
    ap.add_argument("--freeze-steps", type=int, default=201, help="output times per stage of the freeze protocol")
    args = ap.parse_args()
    n = int(np.sqrt(args.points))
    om, de = np.meshgrid(np.geomspace(0.05, 5, n), np.geomspace(0.01, 5, n), indexing="ij")

    model = wg.build_model(omega=1.0, delta=0.5, **FIXED)
    t_ot = best_of(lambda: steady_state(model), 5)
    t_qt = best_of(lambda: qutip_singlet(1.0, 0.5), 5)
    print(
        f"single steady state: opentangle {t_ot * 1e3:.2f} ms, qutip {t_qt * 1e3:.2f} ms, ratio qutip/ot = {t_qt / t_ot:.1f}"
    )

    wg.evaluate_batch({"omega": om[:1, :1], "delta": de[:1, :1]}, FIXED)  # build terms once
    t_b = best_of(lambda: wg.evaluate_batch({"omega": om, "delta": de}, FIXED), 3)
    t0 = time.perf_counter()
    ref = np.array([qutip_singlet(o, d) for o, d in zip(om.ravel(), de.ravel())]).reshape(om.shape)
    t_q = time.perf_counter() - t0
    got = wg.evaluate_batch({"omega": om, "delta": de}, FIXED)["singlet_fidelity"]
    print(
        f"grid of {om.size} points (all measures): opentangle batch {t_b:.3f} s, qutip loop (F_S only) {t_q:.3f} s, "
        f"ratio qutip/ot = {t_q / t_b:.1f}"
    )
    print(f"max |F_S(ot) - F_S(qutip)| = {np.max(np.abs(got - ref)):.2e}")

    bench_spectrum(args.spectrum)
    bench_freeze(args.freeze_steps)


def bench_spectrum(points: int) -> None:
    """Saturating probe spectrum of two sequential giant atoms (phi = 2 pi): probe_spectrum vs a QuTiP loop."""
    from opentangle.studies.waveguide import probe_spectrum

    x = np.linspace(-12, 12, points)
    loss, flux = 0.01, 0.5
    t0 = time.perf_counter()
    s = probe_spectrum("sequential", phase=2 * np.pi, detunings=x, loss=loss, flux=flux)
    t_ot = time.perf_counter() - t0
    # QuTiP peer, written from the input-output relations: c_jR = c_jL = sqrt(1/2) * 2 at phi = 2 pi
    sm, i2 = qt.sigmam(), qt.qeye(2)
    s1, s2 = qt.tensor(sm, i2), qt.tensor(i2, sm)
    c = 2 * np.sqrt(0.5)
    jump = np.sqrt(8.0) * (s1 + s2) / np.sqrt(2)  # Gamma = 4 per atom, Gamma12 = 4: bright mode at rate 8
    c_ops = [jump, np.sqrt(loss) * s1, np.sqrt(loss) * s2]
    alpha = np.sqrt(flux)
    t0 = time.perf_counter()
    tq = []
    for d in x:
        h = -d * (s1.dag() * s1 + s2.dag() * s2) + alpha * c * (s1 + s1.dag() + s2 + s2.dag())
        rho = qt.steadystate(h, c_ops)
        tq.append(1 - 1j * c * (qt.expect(s1, rho) + qt.expect(s2, rho)) / alpha)
    t_q = time.perf_counter() - t0
    print(
        f"probe spectrum, {points} detunings at flux {flux}: opentangle {t_ot:.3f} s, qutip loop {t_q:.3f} s, "
        f"ratio qutip/ot = {t_q / t_ot:.1f}, max |t_ot - t_qutip| = {np.max(np.abs(s.transmission - np.array(tq))):.1e}"
    )


def bench_freeze(steps: int) -> None:
    """Drive 15, freeze, hold 20 (units of Gamma): run_freeze (exact) vs QuTiP mesolve with step coefficients."""
    drive = wg.WaveguideParams(omega=0.8, delta=0.4, gamma12=0.98, g=0.1, gamma_loss=0.02, gamma_phi=0.01)
    hold, t_f = wg.hold_parameters(drive), 15.0
    t_ot = best_of(lambda: wg.run_freeze(drive, t_drive=t_f, t_hold=20.0, steps=steps, store_states=True), 3)
    res = wg.run_freeze(drive, t_drive=t_f, t_hold=20.0, steps=steps, store_states=True)
    sm, i2 = qt.sigmam(), qt.qeye(2)
    s1, s2 = qt.tensor(sm, i2), qt.tensor(i2, sm)

    def ham(p):
        return (
            p.delta * (s2.dag() * s2 - s1.dag() * s1)
            + p.omega * (s1 + s1.dag() + s2 + s2.dag())
            + p.g * (s1.dag() * s2 + s2.dag() * s1)
        )

    w, v = np.linalg.eigh(np.array([[drive.gamma1, drive.gamma12], [drive.gamma12, drive.gamma2]]))
    decay = [np.sqrt(wk) * (v[0, k] * s1 + v[1, k] * s2) for k, wk in enumerate(w) if wk > 1e-12]

    def on(t):
        return 1.0 if t < t_f else 0.0

    h = [[ham(drive), on], ham(hold)] if np.any(ham(hold).full()) else [[ham(drive), on]]
    c_ops = [[c, on] for c in decay] + [np.sqrt(drive.gamma_loss) * s for s in (s1, s2)]
    c_ops += [
        np.sqrt(drive.gamma_phi / 2) * qt.tensor(qt.sigmaz(), i2),
        np.sqrt(drive.gamma_phi / 2) * qt.tensor(i2, qt.sigmaz()),
    ]
    rho0 = qt.ket2dm(qt.tensor(qt.basis(2, 1), qt.basis(2, 1)))
    opts = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 100000, "max_step": 0.05}
    t0 = time.perf_counter()
    ref = qt.mesolve(h, rho0, res.times, c_ops, options=opts)
    t_q = time.perf_counter() - t0
    err = max(np.max(np.abs(a - b.full())) for a, b in zip(res.states, ref.states))
    print(
        f"freeze protocol ({res.times.size} times, {res.path}): opentangle {t_ot:.3f} s, qutip mesolve {t_q:.3f} s, "
        f"ratio qutip/ot = {t_q / t_ot:.1f}, max |rho_ot - rho_qutip| = {err:.1e}"
    )


if __name__ == "__main__":
    main()
