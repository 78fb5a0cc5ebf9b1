"""Benchmark: waveguide steady states, opentangle vs QuTiP, measured in the same run.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_waveguide.py [--points 400]``
Prints the time ratio QuTiP / opentangle for (a) one steady state, (b) a grid of
(Omega, delta) points solved in one batch, (c) a saturating probe spectrum of two giant
atoms, and the largest disagreement of each.
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
    c_ops += [np.sqrt(FIXED["gamma_phi"] / 2) * qt.tensor(qt.sigmaz(), i2), np.sqrt(FIXED["gamma_phi"] / 2) * qt.tensor(i2, qt.sigmaz())]
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
    args = ap.parse_args()
    n = int(np.sqrt(args.points))
    om, de = np.meshgrid(np.geomspace(0.05, 5, n), np.geomspace(0.01, 5, n), indexing="ij")

    model = wg.build_model(omega=1.0, delta=0.5, **FIXED)
    t_ot = best_of(lambda: steady_state(model), 5)
    t_qt = best_of(lambda: qutip_singlet(1.0, 0.5), 5)
    print(f"single steady state: opentangle {t_ot * 1e3:.2f} ms, qutip {t_qt * 1e3:.2f} ms, ratio qutip/ot = {t_qt / t_ot:.1f}")

    wg.evaluate_batch({"omega": om[:1, :1], "delta": de[:1, :1]}, FIXED)  # build terms once
    t_b = best_of(lambda: wg.evaluate_batch({"omega": om, "delta": de}, FIXED), 3)
    t0 = time.perf_counter()
    ref = np.array([qutip_singlet(o, d) for o, d in zip(om.ravel(), de.ravel())]).reshape(om.shape)
    t_q = time.perf_counter() - t0
    got = wg.evaluate_batch({"omega": om, "delta": de}, FIXED)["singlet_fidelity"]
    print(f"grid of {om.size} points (all measures): opentangle batch {t_b:.3f} s, qutip loop (F_S only) {t_q:.3f} s, "
          f"ratio qutip/ot = {t_q / t_b:.1f}")
    print(f"max |F_S(ot) - F_S(qutip)| = {np.max(np.abs(got - ref)):.2e}")

    bench_spectrum(args.spectrum)


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
    print(f"probe spectrum, {points} detunings at flux {flux}: opentangle {t_ot:.3f} s, qutip loop {t_q:.3f} s, "
          f"ratio qutip/ot = {t_q / t_ot:.1f}, max |t_ot - t_qutip| = {np.max(np.abs(s.transmission - np.array(tq))):.1e}")


if __name__ == "__main__":
    main()
