"""Benchmark: waveguide steady states, opentangle vs QuTiP, measured in the same run.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_waveguide.py [--points 400]``
Prints the time ratio QuTiP / opentangle for (a) one steady state, (b) a grid of
(Omega, delta) points solved in one batch, and the largest disagreement.
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


if __name__ == "__main__":
    main()
