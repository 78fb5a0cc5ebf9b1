"""The engine's generic thermal channel (lindblad.thermal_jumps: T1, T2, n_th) and the reset study's B, C, s on it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentangle.errors import InvalidParameterError
from opentangle.lindblad import Jump, Model, evolve, liouvillian, steady_state, thermal_jumps
from opentangle.operators import embed, sigma_minus, sigma_plus, sigma_x, sigma_z
from opentangle.studies.reset import thermal_noise, thermal_occupation

qt = pytest.importorskip("qutip")

RHO0 = np.array([[0.9, 0.15 - 0.2j], [0.15 + 0.2j, 0.1]])  # |0> is the excited state (sigma_z = +1)


def _bloch(rho: np.ndarray) -> tuple[float, float]:
    return float(np.trace(rho @ sigma_x()).real), float(np.trace(rho @ sigma_z()).real)


@pytest.mark.parametrize(
    "t1, t2, n_th",
    [(2.0, 1.3, 0.0), (2.0, 4.0, 0.4), (0.5, 0.2, 3.0), (1.0, 1.5, math.inf), (1.0, 0.7, -1.5), (math.inf, 0.8, 0.3)],
)
def test_thermal_jumps_bloch_decay(t1, t2, n_th):
    """H = 0: <sz> relaxes to 2p - 1 at rate 1/T1, <sx> decays at 1/T2 (p = n/(2n+1), the Bloch equations)."""
    p = 0.5 if math.isinf(n_th) else n_th / (2 * n_th + 1)
    m = Model(jumps=thermal_jumps(site=0, t1=t1, t2=t2, n_th=n_th, dims=[2]), dims=[2])
    times = [0.0, 0.3, 1.1]
    ev = evolve(m, RHO0, times)
    x0, z0 = _bloch(RHO0)
    for t, rho in zip(times, ev.states):
        x, z = _bloch(rho)
        assert x == pytest.approx(x0 * math.exp(-t / t2), abs=1e-10)
        assert z == pytest.approx((2 * p - 1) + (z0 - (2 * p - 1)) * math.exp(-t / t1), abs=1e-10)
    if math.isfinite(t1):
        assert steady_state(m).rho[0, 0].real == pytest.approx(p, abs=1e-12)


def test_thermal_jumps_against_qutip_mesolve_driven_qubit():
    """A driven qubit with T1 = 2, T2 = 1.5, n_th = 0.6: populations and <sigma_x> against QuTiP's mesolve.

    QuTiP side in the usual thermal-bath form: sqrt(G (n+1)) sigma_-, sqrt(G n) sigma_+ with
    G = 1/((2n+1) T1) (so that the populations relax at 1/T1), and pure dephasing
    sqrt(g_phi / 2) sigma_z with g_phi = 1/T2 - 1/(2 T1).
    """
    t1, t2, n = 2.0, 1.5, 0.6
    H = 0.7 * sigma_z() / 2 + 0.9 * sigma_x()
    times = np.linspace(0.0, 6.0, 13)
    ev = evolve(
        Model(hamiltonian=H, jumps=thermal_jumps(site=0, t1=t1, t2=t2, n_th=n, dims=[2]), dims=[2]), RHO0, times
    )
    G, g_phi = 1.0 / ((2 * n + 1) * t1), 1.0 / t2 - 1.0 / (2 * t1)
    c_ops = [math.sqrt(G * (n + 1)) * qt.sigmam(), math.sqrt(G * n) * qt.sigmap(), math.sqrt(g_phi / 2) * qt.sigmaz()]
    ref = qt.mesolve(
        0.7 * qt.sigmaz() / 2 + 0.9 * qt.sigmax(), qt.Qobj(RHO0), times, c_ops, options={"atol": 1e-12, "rtol": 1e-10}
    )
    for ours, theirs in zip(ev.states, ref.states):
        theirs = theirs.full()
        assert abs(ours[0, 0] - theirs[0, 0]) < 1e-7 and abs(ours[1, 1] - theirs[1, 1]) < 1e-7
        assert abs(_bloch(ours)[0] - _bloch(theirs)[0]) < 1e-7


def test_thermal_jumps_refuses_non_physical_input():
    with pytest.raises(InvalidParameterError, match="T2"):
        thermal_jumps(site=0, t1=1.0, t2=2.5, n_th=0.0, dims=[2])  # T2 > 2 T1: not completely positive
    for bad in (-0.5, float("nan"), "warm"):
        with pytest.raises(InvalidParameterError, match="n_th"):
            thermal_jumps(site=0, t1=1.0, t2=1.0, n_th=bad, dims=[2])
    for t in (0.0, -1.0, float("nan")):
        with pytest.raises(InvalidParameterError, match="t1"):
            thermal_jumps(site=0, t1=t, t2=1.0, n_th=0.0, dims=[2])
    assert len(thermal_jumps(site=0, t1=1.0, t2=2.0, n_th=0.0, dims=[2])) == 3  # T2 = 2 T1: no pure dephasing


def _paper_eq1(B: float, C: float, s: float, site: int, dims: list[int]) -> Model:
    """Hartmann et al. Eq. (1) written out: sigma_+ at B s, sigma_- at B (1 - s), sigma_z at (C - B/2)/2."""
    ops = [(sigma_plus(), B * s), (sigma_minus(), B * (1 - s)), (sigma_z(), (C - B / 2) / 2)]
    return Model(jumps=[Jump(embed(op, site, dims), rate) for op, rate in ops], dims=dims)


@settings(max_examples=30, deadline=None)
@given(B=st.floats(0.0, 5.0), extra=st.floats(0.0, 5.0), s=st.floats(0.0, 1.0))
def test_paper_b_c_s_is_the_thermal_channel(B, extra, s):
    """B, C, s of the paper map onto thermal_jumps(t1 = 1/B, t2 = 1/C, n_th = s/(1-2s)): same Liouvillian."""
    C = B / 2 + extra
    dims = [2, 2]
    ours = liouvillian(Model(jumps=thermal_noise(site=1, B=B, C=C, s=s, dims=dims), dims=dims))
    paper = liouvillian(_paper_eq1(B, C, s, 1, dims))
    assert abs(ours - paper).max() < 1e-12 * max(1.0, B, C)


@pytest.mark.parametrize(
    "B, C, s", [(1.0, 1.0, 0.25), (2.0, 1.5, 0.0), (0.5, 3.0, 0.5), (0.0, 1.0, 0.3), (1.0, 0.8, 0.8), (1.0, 0.5, 1.0)]
)
def test_paper_b_c_s_bloch_equations(B, C, s):
    """Hartmann Eq. (1): T1 = 1/B, T2 = 1/C, equilibrium <(1+sz)/2> = s (also s > 1/2: an inverted bath)."""
    m = Model(jumps=thermal_noise(site=0, B=B, C=C, s=s, dims=[2]), dims=[2])
    t = 0.8
    r = evolve(m, RHO0, [0.0, t]).states[-1]
    assert np.isclose(r[0, 0].real, s + (0.9 - s) * np.exp(-B * t), atol=1e-12)
    assert np.isclose(r[0, 1], (0.15 - 0.2j) * np.exp(-C * t), atol=1e-12)
    eig = np.sort(np.linalg.eigvals(liouvillian(m).toarray()).real)
    assert np.allclose(eig, np.sort([0, -B, -C, -C]), atol=1e-12)
    if B > 0:
        assert np.isclose(steady_state(m).rho[0, 0].real, s, atol=1e-12)


def test_paper_thermal_noise_refuses_and_reduces_to_dephasing():
    from opentangle.lindblad import dephasing

    with pytest.raises(InvalidParameterError, match="C"):
        thermal_noise(site=0, B=2.0, C=0.5, s=0.1, dims=[2])  # C < B/2: not CP
    with pytest.raises(InvalidParameterError, match="s"):
        thermal_noise(site=0, B=1.0, C=1.0, s=1.5, dims=[2])
    a = liouvillian(Model(jumps=thermal_noise(site=1, B=0.0, C=0.9, s=0.3, dims=[2, 2]), dims=[2, 2]))
    b = liouvillian(Model(jumps=dephasing(site=1, rate=0.9, dims=[2, 2]), dims=[2, 2]))
    assert abs(a - b).max() < 1e-14
    assert thermal_occupation(0.0) == 0.0 and math.isinf(thermal_occupation(0.5)) and thermal_occupation(1.0) == -1.0
