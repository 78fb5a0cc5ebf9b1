"""Time-dependent models: QuTiP mesolve cross-checks, analytic cases, periodic steady states, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.linalg as sla

from opentangle.errors import DimensionError, InvalidParameterError, NonUniqueSteadyStateError
from opentangle.lindblad import (
    Jump,
    Model,
    Pulse,
    evolve,
    liouvillian,
    periodic_steady_state,
    spectrum,
    steady_state,
)
from opentangle.operators import sigma_minus, sigma_x, sigma_y, sigma_z

qutip = pytest.importorskip("qutip")

TIGHT = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 100000}
SX, SY, SZ, SM = sigma_x(), sigma_y(), sigma_z(), sigma_minus()


def qutip_expect(H, psi0, times, c_ops, e_ops, args=None, **opts):
    r = qutip.mesolve(H, psi0, times, c_ops, e_ops=e_ops, args=args or {}, options={**TIGHT, **opts})
    return np.array([np.asarray(e) for e in r.expect])


# ----------------------------------------------------------------------------- against QuTiP mesolve


@pytest.mark.parametrize("w", [0.7, 1.3])
def test_cos_driven_qubit_without_rwa_matches_mesolve(w):
    w0, A, g = 1.0, 0.4, 0.2
    times = np.linspace(0, 15, 61)
    m = Model(hamiltonian=[0.5 * w0 * SZ, [SX, lambda t, w: A * np.cos(w * t)]], args={"w": w}, jumps=[Jump(SM, g)])
    ev = evolve(m, [1, 0], times, e_ops={"x": SX, "z": SZ})
    assert ev.path == "time-dependent" and ev.e_names == ["x", "z"]
    H = [0.5 * w0 * qutip.sigmaz(), [qutip.sigmax(), lambda t, w: A * np.cos(w * t)]]
    ref = qutip_expect(
        H, qutip.basis(2, 0), times, [np.sqrt(g) * qutip.sigmam()], [qutip.sigmax(), qutip.sigmaz()], args={"w": w}
    )
    assert np.abs(ev.expect - ref).max() < 1e-7


def test_rwa_drive_matches_mesolve_and_rotating_frame():
    """Circular drive A/2 (cos wt sx + sin wt sy): the rotating frame is static, rho_lab = U rho_rot U^dag."""
    w0, w, A, g = 1.0, 0.9, 0.3, 0.1
    times = np.linspace(0, 12, 49)
    m = Model(
        hamiltonian=[0.5 * w0 * SZ, [0.5 * A * SX, lambda t: np.cos(w * t)], [0.5 * A * SY, lambda t: np.sin(w * t)]],
        jumps=[Jump(SM, g)],
    )
    ev = evolve(m, [1, 0], times)
    H = [
        0.5 * w0 * qutip.sigmaz(),
        [0.5 * A * qutip.sigmax(), lambda t: np.cos(w * t)],
        [0.5 * A * qutip.sigmay(), lambda t: np.sin(w * t)],
    ]
    res = qutip.mesolve(H, qutip.basis(2, 0), times, [np.sqrt(g) * qutip.sigmam()], options=TIGHT)
    assert max(np.abs(ev.states[i] - res.states[i].full()).max() for i in range(times.size)) < 1e-7
    # rotating frame U = exp(-i w t sz / 2): static H_rot = (w0 - w)/2 sz + A/2 sx, same decay (sm picks a phase)
    rot = Model(hamiltonian=0.5 * (w0 - w) * SZ + 0.5 * A * SX, jumps=[Jump(SM, g)])
    ev_rot = evolve(rot, [1, 0], times)
    for i, t in enumerate(times):
        U = sla.expm(-0.5j * w * t * SZ)
        assert np.abs(U @ ev_rot.states[i] @ U.conj().T - ev.states[i]).max() < 1e-8


def test_qutip_td_decay_rate_analytic():
    """QuTiP's testME_TDDecay: H = a^dag a, rate kappa e^{-t}; <n>(t) = n0 exp(-kappa (1 - e^{-t}))."""
    N, n0, kappa = 10, 9, 0.2
    a = qutip.destroy(N)
    times = np.linspace(0, 10, 41)
    m = Model(hamiltonian=(a.dag() * a), jumps=[Jump(a, lambda t: kappa * np.exp(-t))])
    ev = evolve(m, qutip.basis(N, n0), times, e_ops={"n": a.dag() * a})
    exact = n0 * np.exp(-kappa * (1 - np.exp(-times)))
    assert np.abs(ev.expect_named["n"] - exact).max() < 1e-8
    # QuTiP's collapse-operator form [C, f]: rate |f|^2, through the (H, c_ops) idiom
    ev2 = evolve(
        a.dag() * a, qutip.basis(N, n0), times, [[a, lambda t, args: np.sqrt(kappa * np.exp(-t))]], e_ops=[a.dag() * a]
    )
    assert np.abs(ev2.expect[0] - exact).max() < 1e-8


def test_pulse_sequence_exact_matches_qutip_segments_and_mesolve():
    """Pi/2 - wait - pi/2 (Ramsey) with decay: exact per segment against QuTiP's Liouvillians and mesolve."""
    A, g, det = 2.0, 0.05, 0.3
    pulse = Pulse.from_segments([(np.pi / (4 * A), A), (3.0, 0.0), (np.pi / (4 * A), A)])
    m = Model(hamiltonian=[0.5 * det * SZ, [SX, pulse]], jumps=[Jump(SM, g)])
    T = pulse.edges[-1]
    times = np.linspace(0, T + 1, 23)
    ev = evolve(m, [1, 0], times)
    assert ev.method == "exact" and ev.path == "time-dependent"
    # independent: QuTiP Liouvillians per segment and scipy expm
    Hq = lambda amp: 0.5 * det * qutip.sigmaz() + amp * qutip.sigmax()  # noqa: E731
    cq = [np.sqrt(g) * qutip.sigmam()]
    cuts = np.unique(np.concatenate([times, pulse.edges]))
    x = np.array([1, 0, 0, 0], complex)
    ref = {0.0: x}
    for a, b in itertools.pairwise(cuts):
        L = qutip.liouvillian(Hq(pulse(0.5 * (a + b))), cq).full()
        x = sla.expm(L * (b - a)) @ x
        ref[b] = x
    for i, t in enumerate(times):
        assert np.abs(ev.states[i].reshape(-1, order="F") - ref[t]).max() < 1e-11
    # the adaptive path restarts at the edges and agrees
    ev_ad = evolve(m, [1, 0], times, method="adaptive")
    assert np.abs(ev_ad.states - ev.states).max() < 1e-8
    res = qutip.mesolve(
        [0.5 * det * qutip.sigmaz(), [qutip.sigmax(), lambda t: pulse(t)]],
        qutip.basis(2, 0),
        times,
        cq,
        options={**TIGHT, "max_step": 0.01},
    )
    assert max(np.abs(ev.states[i] - res.states[i].full()).max() for i in range(times.size)) < 1e-3


def test_static_model_same_through_both_paths():
    rng = np.random.default_rng(3)
    G = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    m = Model(
        hamiltonian=G + G.conj().T, jumps=[Jump(rng.standard_normal((3, 3)), 0.7), Jump(np.diag([1, 0, -1]), 0.3)]
    )
    times = np.linspace(0, 4, 17)
    rho0 = np.diag([0.5, 0.3, 0.2])
    ref = evolve(m, rho0, times, method="expm")
    assert ref.path == "static"
    for method, tol in (("exact", 1e-12), ("adaptive", 1e-8), ("krylov", 1e-11)):
        ev = evolve(m, rho0, times, method=method)
        assert np.abs(ev.states - ref.states).max() < tol, method
    # a constant coefficient in the list form is folded into the static part
    m2 = Model(hamiltonian=[m.hamiltonian, [sp_eye(3), 0.0]], jumps=m.jumps)
    assert not m2.time_dependent
    assert abs(liouvillian(m2) - liouvillian(m)).max() < 1e-14


def sp_eye(n):
    import scipy.sparse as sp

    return sp.identity(n, format="csr")


def test_array_coefficient_interpolates_like_the_callable():
    tl = np.linspace(0, 6, 601)
    times = np.linspace(0, 6, 13)
    f = lambda t: 0.5 * np.cos(1.1 * t)  # noqa: E731
    m_f = Model(hamiltonian=[SZ, [SX, f]], jumps=[Jump(SM, lambda t: 0.2 + 0.1 * np.sin(t))])
    m_a = Model(hamiltonian=[SZ, [SX, f(tl)]], jumps=[Jump(SM, 0.2 + 0.1 * np.sin(tl))], tlist=tl)
    a, b = evolve(m_f, [1, 0], times), evolve(m_a, [1, 0], times)
    assert np.abs(a.states - b.states).max() < 1e-6
    with pytest.raises(InvalidParameterError, match="tlist"):
        evolve(m_a, [1, 0], [0.0, 7.0])


def test_qutip4_style_args_and_bdf_method():
    m = Model(hamiltonian=[SZ, [SX, lambda t, args: args["A"] * np.cos(t)]], args={"A": 0.3}, jumps=[Jump(SM, 0.5)])
    ref = evolve(m, [1, 0], [0, 1, 2])
    bdf = evolve(m, [1, 0], [0, 1, 2], method="bdf", rtol=1e-9, atol=1e-11)
    assert bdf.method == "bdf" and np.abs(ref.states - bdf.states).max() < 1e-6


def test_measures_on_the_fly_for_time_dependent_evolution():
    dims = [2, 2]
    from opentangle.operators import embed

    H = [0.5 * embed(SZ, 0, dims) @ embed(SZ, 1, dims), [embed(SX, 0, dims), lambda t: np.cos(t)]]
    m = Model(hamiltonian=H, jumps=[Jump(embed(SM, 1, dims), 0.1)], dims=dims)
    plus = np.kron([1, 1], [1, 1]) / 2
    times = np.linspace(0, 3, 7)
    full = evolve(m, plus, times)
    lean = evolve(m, plus, times, measures=("negativity", "purity"), store_states=False)
    from opentangle.measures import negativity

    assert lean.states is None
    assert np.allclose(lean.measures["negativity"], [negativity(r, dims) for r in full.states], atol=1e-9)


# ----------------------------------------------------------------------------- periodic drives


def driven_qubit(w, A=0.5, g=0.3, w0=1.0):
    return Model(hamiltonian=[0.5 * w0 * SZ, [SX, lambda t: A * np.cos(w * t)]], jumps=[Jump(SM, g)])


def test_periodic_steady_state_matches_long_time_average():
    w = 1.2
    T = 2 * np.pi / w
    m = driven_qubit(w)
    ps = periodic_steady_state(m, T)
    assert ps.residual < 1e-10 and ps.second_multiplier < 1
    # long-time evolution: after many periods the state at t0 + kT is rho_t0, and the one-period average is rho
    k = 40
    times = k * T + np.linspace(0, T, 401)
    ev = evolve(m, [1, 0], np.concatenate([[0.0], times]))
    st = ev.states[1:]
    assert np.abs(st[0] - ps.rho_t0).max() < 1e-8
    w_trap = np.full(times.size, T / (times.size - 1))
    w_trap[[0, -1]] /= 2
    avg = np.einsum("t,tij->ij", w_trap, st) / T
    assert np.abs(avg - ps.rho).max() < 1e-5


def test_periodic_steady_state_against_qutip_steadystate_fourier():
    w = 1.0
    m = driven_qubit(w, A=0.2, g=0.4)
    ps = periodic_steady_state(m, 2 * np.pi / w)
    ref = qutip.steadystate_fourier(
        0.5 * qutip.sigmaz(), [np.sqrt(0.4) * qutip.sigmam()], 0.2 * qutip.sigmax(), w_d=w, n_it=8
    ).full()
    assert np.abs(ps.rho - ref).max() < 1e-6


def test_periodic_steady_state_of_static_and_pulsed_models():
    m = Model(hamiltonian=SX, jumps=[Jump(SM, 1.0)])
    ps = periodic_steady_state(m, 1.7)
    assert np.abs(ps.rho - steady_state(m).rho).max() < 1e-10
    pulsed = Model(hamiltonian=[0 * SZ, [SX, Pulse([0.0, 0.5, 2.0], [1.0, 0.0])]], jumps=[Jump(SM, 0.5)])
    ps2 = periodic_steady_state(pulsed, 2.0)
    ev = evolve(pulsed, ps2.rho_t0, [0.0, 2.0])
    assert np.abs(ev.states[-1] - ps2.rho_t0).max() < 1e-12
    with pytest.raises(NonUniqueSteadyStateError):
        periodic_steady_state(Model(hamiltonian=[SZ, [SZ, lambda t: np.cos(t)]]), 2 * np.pi)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "build",
    [
        lambda: Model(hamiltonian=[SZ, [SX, lambda t, a, b: 1.0]]),  # wrong signature
        lambda: Model(hamiltonian=[SZ, [SX, lambda: 1.0]]),
        lambda: Model(hamiltonian=[SZ, [SX, lambda t, w: w]], args={"v": 1.0}),  # arg it needs is missing
        lambda: Model(hamiltonian=[SZ, [SX, "cos(t)"]]),  # string coefficient
        lambda: Model(hamiltonian=[SZ, [SX, np.cos(np.linspace(0, 1, 5))]]),  # samples without tlist
        lambda: Model(hamiltonian=[SZ, [SX, np.ones(4)]], tlist=np.linspace(0, 1, 5)),  # length mismatch
        lambda: Model(hamiltonian=[SZ, [SX, np.ones(3)]], tlist=[0.0, 1.0, 1.0]),  # tlist not increasing
        lambda: Model(hamiltonian=[SZ, [np.array([[0, 1], [0, 0]]), lambda t: 1.0]]),  # non-Hermitian term
        lambda: Model(hamiltonian=[SZ, [SX, lambda t: 1j]]),  # complex amplitude
        lambda: Model(jumps=[Jump(SM, lambda t: 1 + 1j)]),  # complex rate
        lambda: Model(jumps=[Jump(SM, lambda t: -1.0)]),  # negative rate at t0
        lambda: Model(jumps=[Jump(SM, np.array([1.0, -0.5, 1.0]))], tlist=[0, 1, 2]),  # negative sample
        lambda: Model(jumps=[Jump(SM, Pulse([0, 1], [-1.0]))]),  # negative pulse
        lambda: Pulse([0.0, 2.0, 1.0], [1.0, 2.0]),  # schedule not increasing
        lambda: Pulse([0.0, 1.0], [1.0, 2.0]),  # edges/values mismatch
        lambda: Pulse.from_segments([(1.0, 1.0), (-1.0, 2.0)]),  # negative duration
        lambda: Jump(SM),  # no rate
        lambda: Jump(SM, "1"),
        lambda: Model(hamiltonian=np.zeros((0, 0))),
    ],
)
def test_bad_time_dependent_input_is_typed(build):
    with pytest.raises((InvalidParameterError, DimensionError)):
        build()


def test_errors_that_appear_during_integration_name_the_time():
    neg = Model(hamiltonian=SZ, jumps=[Jump(SM, lambda t: 1.0 - t)])  # negative after t = 1
    with pytest.raises(InvalidParameterError, match="negative"):
        evolve(neg, [1, 0], [0.0, 2.0])
    cplx = Model(hamiltonian=SZ, jumps=[Jump(SM, lambda t: 1.0 if t < 0.5 else 1.0 + 1j)])
    with pytest.raises(InvalidParameterError, match="complex"):
        evolve(cplx, [1, 0], [0.0, 1.0])
    td = driven_qubit(1.0)
    for f in (liouvillian, steady_state, spectrum):
        with pytest.raises(InvalidParameterError, match="time-dependent"):
            f(td)
    with pytest.raises(InvalidParameterError):
        evolve(td, [1, 0], [0, 1], method="expm")
    with pytest.raises(InvalidParameterError):
        evolve(Model(hamiltonian=[SZ, [SX, lambda t: np.cos(t)]]), [1, 0], [0, 1], method="exact")
    for bad in (-1, 0, float("nan"), "x", 2.0):
        with pytest.raises(InvalidParameterError):
            evolve(td, [1, 0], [0, 1], rtol=bad)
        with pytest.raises(InvalidParameterError):
            evolve(Model(hamiltonian=SZ), [1, 0], [0, 1], atol=bad)
    for bad in (0, -1.0, float("inf"), "2"):
        with pytest.raises(InvalidParameterError):
            periodic_steady_state(td, bad)


def test_pulse_values_and_repr():
    p = Pulse([1.0, 2.0], [3.0], outside=0.5)
    assert (p(0.0), p(1.0), p(1.999), p(2.0)) == (0.5, 3.0, 3.0, 0.5)
    assert "1 segments" in repr(p)
    assert "time-dependent terms=1" in repr(Model(hamiltonian=[SZ, [SX, p]]))


def test_static_bdf_functional_iteration_and_stiff_fallback():
    """D^2 > 256: zvode functional iteration (QuTiP's bdf); a stiff model continues as bdf-sparse."""
    rng = np.random.default_rng(5)
    D = 17
    G = rng.standard_normal((D, D)) + 1j * rng.standard_normal((D, D))
    lower = np.diag(np.ones(D - 1), -1)
    m = Model(hamiltonian=0.1 * (G + G.conj().T), jumps=[Jump(lower, 0.5)])
    rho0 = np.eye(D) / D
    times = [0.0, 0.5, 1.0]
    ref = evolve(m, rho0, times, method="expm")
    ev = evolve(m, rho0, times, method="bdf", rtol=1e-10, atol=1e-12)
    assert ev.method == "bdf" and np.abs(ev.states - ref.states).max() < 1e-7
    stiff = Model(hamiltonian=m.hamiltonian, jumps=[Jump(lower, 0.5), Jump(np.diag(np.arange(D) % 2), 1e5)])
    ev = evolve(stiff, rho0, times, method="bdf", rtol=1e-8, atol=1e-10)
    ref = evolve(stiff, rho0, times, method="expm")
    assert ev.method == "bdf+bdf-sparse" and np.abs(ev.states - ref.states).max() < 1e-6


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=12, deadline=None)
@given(
    amp=st.floats(-2.0, 2.0),
    w=st.floats(0.1, 3.0),
    rates=st.lists(st.floats(0.0, 2.0), min_size=1, max_size=3),
    seg=st.lists(st.floats(0.05, 1.0), min_size=1, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_time_dependent_evolution_stays_a_state(amp, w, rates, seg, seed):
    """Property: trace 1, Hermitian, positive at every time, for smooth drives, pulsed rates and random jumps."""
    rng = np.random.default_rng(seed)
    D = 3
    G = rng.standard_normal((D, D)) + 1j * rng.standard_normal((D, D))
    H1 = G + G.conj().T
    pulse = Pulse.from_segments([(d, r) for d, r in zip(seg, rates)])
    jumps = [Jump(rng.standard_normal((D, D)), pulse), Jump(np.diag([0, 1, 2]), lambda t: 0.5 * (1 + np.sin(w * t)))]
    m = Model(hamiltonian=[np.diag([0.0, 1.0, 2.5]), [H1, lambda t: amp * np.cos(w * t)]], jumps=jumps)
    ev = evolve(m, np.eye(D) / D, np.linspace(0, 1.2 * pulse.edges[-1], 7), rtol=1e-9, atol=1e-11)
    for r in ev.states:
        assert abs(np.trace(r) - 1) < 1e-8
        assert np.abs(r - r.conj().T).max() < 1e-9
        assert np.linalg.eigvalsh((r + r.conj().T) / 2).min() > -1e-8


def test_output_time_a_rounding_error_past_a_pulse_edge():
    """Regression (found by hypothesis): 5 * (1.2 * 0.21875 / 6) lands 3e-17 past the edge 0.21875."""
    pulse = Pulse.from_segments([(0.21875, 0.0)])
    m = Model(hamiltonian=[SZ, [SX, lambda t: 0.0]], jumps=[Jump(SM, pulse)])
    ev = evolve(m, np.eye(2) / 2, np.linspace(0, 1.2 * 0.21875, 7))
    assert np.abs(ev.states - np.eye(2) / 2).max() < 1e-12
