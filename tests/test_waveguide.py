"""Tests of the waveguide study (two giant atoms, driven-dissipative Bell state)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.studies import waveguide as wg
from opentangle.studies.waveguide import geometry as ga

PHIS = np.linspace(0.05, 2 * np.pi, 13)


# --- Kockum coefficients -------------------------------------------------------------------
@pytest.mark.parametrize("phi", PHIS)
def test_kockum_closed_forms(phi):
    """Closed forms of Kockum et al. PRL 120, 140404 (2018), unit spacing, gamma = 1."""
    s, c = np.sin, np.cos
    br = ga.giant_atom_coefficients("braided", phase=phi)
    assert br.lamb_shifts == pytest.approx([s(2 * phi)] * 2, abs=1e-12)
    assert br.gamma1 == pytest.approx(2 * (1 + c(2 * phi)), abs=1e-12)
    assert br.gamma12 == pytest.approx(3 * c(phi) + c(3 * phi), abs=1e-12)
    assert br.g == pytest.approx(0.5 * (3 * s(phi) + s(3 * phi)), abs=1e-12)
    sq = ga.giant_atom_coefficients("sequential", phase=phi)
    assert sq.gamma2 == pytest.approx(2 * (1 + c(phi)), abs=1e-12)
    assert sq.lamb_shifts == pytest.approx([s(phi)] * 2, abs=1e-12)
    assert sq.gamma12 == pytest.approx(c(phi) + 2 * c(2 * phi) + c(3 * phi), abs=1e-12)
    assert sq.g == pytest.approx(0.5 * (s(phi) + 2 * s(2 * phi) + s(3 * phi)), abs=1e-12)
    ne = ga.giant_atom_coefficients("nested", phase=phi)
    assert ne.gamma1 == pytest.approx(2 * (1 + c(3 * phi)), abs=1e-12)
    assert ne.gamma2 == pytest.approx(2 * (1 + c(phi)), abs=1e-12)
    assert ne.g == pytest.approx(s(phi) + s(2 * phi), abs=1e-12)
    # nested a b b a (atom 1 at 0, 3; atom 2 at 1, 2): distances 1, 2, 2, 1 between the atoms
    assert ne.gamma12 == pytest.approx(2 * c(phi) + 2 * c(2 * phi), abs=1e-12)
    # Lamb shifts: only the self-distances 3 (atom 1) and 1 (atom 2) contribute, twice each, times 1/2
    assert ne.lamb_shifts == pytest.approx([s(3 * phi), s(phi)], abs=1e-12)
    sm = ga.giant_atom_coefficients("small", phase=phi)
    assert (sm.gamma1, sm.gamma12, sm.g) == pytest.approx((1.0, c(phi), 0.5 * s(phi)), abs=1e-12)
    for co in (br, sq, ne, sm):  # Gamma is a Gram matrix: PSD at every phase
        assert np.linalg.eigvalsh(co.gamma_matrix).min() > -1e-12


def test_braided_decoherence_free_interaction():
    """Braided atoms at phi = pi/2: no decay at all, exchange g = gamma (Kockum 2018)."""
    co = ga.giant_atom_coefficients("braided", phase=np.pi / 2, gamma=0.3)
    assert np.abs(co.gamma_matrix).max() < 1e-12
    assert co.g == pytest.approx(0.3, abs=1e-12)
    # sequential atoms at the same phase still decay: the braiding matters
    assert ga.giant_atom_coefficients("sequential", phase=np.pi / 2).gamma1 == pytest.approx(2.0)


def test_sequential_freeze_point_and_small_atom_limit():
    frozen = ga.giant_atom_coefficients("sequential", phase=np.pi)
    assert np.abs(frozen.gamma_matrix).max() < 1e-12 and abs(frozen.g) < 1e-12
    # a giant atom whose two points coincide is a small atom with rate 4 gamma ... (2 points -> 2^2)
    co = ga.giant_atom_coefficients([[0.0, 0.0], [1.0]], phase=0.7)
    assert co.gamma1 == pytest.approx(4.0) and co.gamma12 == pytest.approx(2 * np.cos(0.7))
    # per-point rates: the layout with gamma per point equals the scalar version
    co2 = ga.giant_atom_coefficients("braided", phase=0.9, gamma=[[0.5, 0.5], [0.5, 0.5]])
    co3 = ga.giant_atom_coefficients("braided", phase=0.9, gamma=0.5)
    assert np.allclose(co2.gamma_matrix, co3.gamma_matrix) and np.allclose(co2.exchange, co3.exchange)


def test_geometry_bad_input():
    with pytest.raises(InvalidParameterError, match="unknown layout"):
        ga.giant_atom_coefficients("spiral", phase=1.0)
    with pytest.raises(InvalidParameterError, match=">= 0"):
        ga.giant_atom_coefficients("braided", phase=1.0, gamma=-1.0)
    with pytest.raises(DimensionError):
        ga.giant_atom_coefficients([[0.0], []], phase=1.0)
    with pytest.raises(InvalidParameterError):
        ga.giant_atom_coefficients("braided", phase=float("nan"))


# --- analytic dark state -------------------------------------------------------------------
def test_dark_state_is_dark_and_stationary():
    s1, s2 = wg.lowering_operators()
    for om, de in [(1.0, 0.5), (0.3, -2.0), (2.0, 0.01)]:
        d = wg.dark_state(omega=om, delta=de)
        assert np.linalg.norm((s1 + s2) @ d) < 1e-14
        parts = wg.hamiltonian_parts()
        h = om * parts["omega"] + de * parts["delta"]
        assert np.linalg.norm(h @ d) < 1e-14
        assert abs(wg.singlet_state().conj() @ d) ** 2 == pytest.approx(wg.dark_state_fidelity(omega=om, delta=de))


@pytest.mark.parametrize("om,de", [(1.0, 0.5), (0.4, 1.3), (2.0, -0.7), (0.05, 0.02)])
def test_steady_state_matches_analytic_dark_state(om, de):
    r = wg.evaluate(omega=om, delta=de)
    f = 2 * om**2 / (2 * om**2 + de**2)
    assert r["singlet_fidelity"] == pytest.approx(f, abs=1e-10)
    assert r["purity"] == pytest.approx(1.0, abs=1e-10)
    # pure state a|gg> + b|S>: concurrence = |b|^2 = F_S
    assert r["concurrence"] == pytest.approx(f, abs=1e-9)
    # max Bell fidelity against an independent QuTiP steady state and QuTiP's Bell states
    qt = pytest.importorskip("qutip")
    p = dict(omega=om, delta=de, gamma1=1.0, gamma2=1.0, gamma12=1.0, g=0.0, gamma_loss=0.0, gamma_phi=0.0)
    rho_q, _ = _qutip_steady(p)
    f_bell = max(
        float(np.real(b.full().ravel().conj() @ rho_q @ b.full().ravel()))
        for b in (qt.bell_state(k) for k in ("00", "01", "10", "11"))
    )
    assert r["bell_fidelity"] == pytest.approx(f_bell, abs=1e-8)


def test_reference_example_value():
    assert wg.evaluate(omega=1.0, delta=0.5)["singlet_fidelity"] == pytest.approx(0.8889, abs=5e-5)


# --- QuTiP oracle ------------------------------------------------------------------------
def _qutip_steady(p):
    qt = pytest.importorskip("qutip")
    sm = qt.sigmam()  # |1><0| with |0> = excited: the module's basis
    i2 = qt.qeye(2)
    s1, s2 = qt.tensor(sm, i2), qt.tensor(i2, sm)
    n1, n2 = s1.dag() * s1, s2.dag() * s2
    h = p["delta"] * (n2 - n1) + p["omega"] * (s1 + s1.dag() + s2 + s2.dag()) + p["g"] * (s1.dag() * s2 + s2.dag() * s1)
    gam = np.array([[p["gamma1"], p["gamma12"]], [p["gamma12"], p["gamma2"]]])
    w, v = np.linalg.eigh(gam)
    c_ops = [np.sqrt(max(wk, 0)) * (v[0, k] * s1 + v[1, k] * s2) for k, wk in enumerate(w) if wk > 1e-14]
    c_ops += [np.sqrt(p["gamma_loss"]) * s for s in (s1, s2)]
    c_ops += [
        np.sqrt(p["gamma_phi"] / 2) * qt.tensor(qt.sigmaz(), i2),
        np.sqrt(p["gamma_phi"] / 2) * qt.tensor(i2, qt.sigmaz()),
    ]
    rho = qt.steadystate(h, c_ops)
    return rho.full(), qt.concurrence(rho)


QUTIP_POINTS = [
    dict(omega=0.7, delta=0.4, gamma1=1.0, gamma2=1.0, gamma12=1.0, g=0.0, gamma_loss=0.02, gamma_phi=0.0),
    dict(omega=0.5, delta=-0.3, gamma1=1.2, gamma2=0.8, gamma12=0.9, g=0.15, gamma_loss=0.01, gamma_phi=0.03),
    dict(omega=1.5, delta=1.0, gamma1=1.0, gamma2=1.0, gamma12=-0.95, g=-0.2, gamma_loss=0.05, gamma_phi=0.1),
]


@pytest.mark.parametrize("p", QUTIP_POINTS)
def test_agrees_with_qutip(p):
    rho_q, conc_q = _qutip_steady(p)
    r = wg.evaluate(**p)
    s = wg.singlet_state()
    assert r["singlet_fidelity"] == pytest.approx(float(np.real(s.conj() @ rho_q @ s)), abs=1e-8)
    assert r["purity"] == pytest.approx(float(np.real(np.trace(rho_q @ rho_q))), abs=1e-8)
    assert r["concurrence"] == pytest.approx(conc_q, abs=1e-7)
    assert r["residual"] < 1e-9


def test_batch_matches_pointwise():
    om = np.array([[0.3, 0.7], [1.1, 2.0]])
    de = np.array([[0.2, -0.5], [0.9, 0.1]])
    fixed = dict(gamma12=0.95, g=0.1, gamma_loss=0.02, gamma_phi=0.01)
    b = wg.evaluate_batch({"omega": om, "delta": de}, fixed)
    for idx in np.ndindex(om.shape):
        r = wg.evaluate(omega=om[idx], delta=de[idx], **fixed)
        for k in ("singlet_fidelity", "bell_fidelity", "concurrence", "purity"):
            assert b[k][idx] == pytest.approx(r[k], abs=1e-9)


def test_qubit_exchange_symmetry():
    """Relabelling 1 <-> 2 maps (gamma1, gamma2, delta) -> (gamma2, gamma1, -delta) and S -> -S."""
    p = dict(omega=0.6, delta=0.35, gamma1=1.3, gamma2=0.7, gamma12=0.9, g=0.2, gamma_loss=0.03, gamma_phi=0.02)
    q = {**p, "gamma1": p["gamma2"], "gamma2": p["gamma1"], "delta": -p["delta"]}
    a, b = wg.evaluate(**p), wg.evaluate(**q)
    for k in ("singlet_fidelity", "bell_fidelity", "concurrence", "purity"):
        assert a[k] == pytest.approx(b[k], abs=1e-10)
    # but not a symmetry without swapping the rates (the test can fail)
    assert abs(wg.evaluate(**{**p, "delta": -p["delta"]})["singlet_fidelity"] - a["singlet_fidelity"]) > 1e-4


# --- optimisation, coherence, freeze, gap ---------------------------------------------------
def test_optimum_beats_grid_and_degrades_with_loss():
    fixed = dict(gamma_loss=0.01)
    best = wg.optimize_drive(wg.WaveguideParams(**fixed))
    om = np.geomspace(0.01, 5, 25)
    de = np.geomspace(0.001, 5, 25)
    oo, dd = np.meshgrid(om, de, indexing="ij")
    grid = wg.evaluate_batch({"omega": oo, "delta": dd}, fixed)["singlet_fidelity"]
    assert best.singlet_fidelity >= grid.max() - 1e-9
    assert not best.at_bound
    worse = wg.optimize_drive(wg.WaveguideParams(gamma_loss=0.04))
    assert worse.singlet_fidelity < best.singlet_fidelity
    r = wg.evaluate(optimize=True, gamma_loss=0.01)
    assert r["singlet_fidelity"] == pytest.approx(best.singlet_fidelity, abs=1e-9)
    assert {"omega", "delta"} <= set(r)


def test_rates_from_coherence():
    assert wg.rates_from_coherence(t1=10.0, t2=20.0) == pytest.approx({"gamma_loss": 0.1, "gamma_phi": 0.0})
    r = wg.rates_from_coherence(t1=10.0, t2=5.0)
    assert r["gamma_phi"] == pytest.approx(0.2 - 0.05)
    with pytest.raises(InvalidParameterError, match="T2 <= 2 T1"):
        wg.rates_from_coherence(t1=1.0, t2=3.0)


def test_freeze_matches_analytic_decay():
    """After the freeze: F_S(t) = p1(t)/2 - Re<eg|rho|ge> e^{-(G'+2 gphi) t}, p1 fed by |ee> decay."""
    drive = dict(omega=0.8, delta=0.4, gamma_loss=0.02, gamma_phi=0.01, gamma12=0.98)
    res = wg.freeze_protocol(wg.WaveguideParams(**drive), t_hold=30.0, steps=61, hold={"g": 0.3})
    from opentangle.lindblad import steady_state

    rho0 = steady_state(wg.build_model(**drive)).rho
    gl, gp = 0.02, 0.01
    t = res.times
    p1 = rho0[1, 1].real + rho0[2, 2].real
    pee = rho0[0, 0].real
    p1_t = (p1 + 2 * pee) * np.exp(-gl * t) - 2 * pee * np.exp(-2 * gl * t)
    f = p1_t / 2 - rho0[1, 2].real * np.exp(-(gl + 2 * gp) * t)
    assert np.max(np.abs(res.singlet_fidelity - f)) < 1e-6
    assert res.fidelity_at_freeze() == pytest.approx(wg.evaluate(**drive)["singlet_fidelity"], abs=1e-8)


def test_freeze_from_ground_reaches_steady_state():
    drive = dict(omega=1.0, delta=0.8, gamma_loss=0.0)
    res = wg.freeze_protocol(wg.WaveguideParams(**drive), t_drive=80.0, t_hold=5.0, steps=81)
    assert res.times[0] == 0.0 and res.singlet_fidelity[0] == pytest.approx(0.0, abs=1e-12)
    assert res.fidelity_at_freeze() == pytest.approx(wg.dark_state_fidelity(omega=1.0, delta=0.8), abs=1e-3)
    # ideal freeze (no loss at all): the fidelity stays put
    assert res.singlet_fidelity[-1] == pytest.approx(res.fidelity_at_freeze(), abs=1e-9)


def test_gap_closes_as_dark_state_improves():
    """Trade-off: F_S -> 1 as Omega/delta grows, but the relaxation rate drops."""
    gaps = [wg.relaxation_gap(wg.WaveguideParams(omega=om, delta=0.5)) for om in (0.5, 2.0, 8.0)]
    assert gaps[0] > gaps[1] > gaps[2] > 0


# --- bad input and CLI ----------------------------------------------------------------------
def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="gamma_loss must be >= 0"):
        wg.evaluate(gamma_loss=-0.1)
    with pytest.raises(InvalidParameterError, match="not positive semidefinite"):
        wg.evaluate(gamma1=1.0, gamma2=1.0, gamma12=1.2)
    with pytest.raises(InvalidParameterError, match="no parameter or option 'omgea'"):
        wg.evaluate(omgea=1.0)
    with pytest.raises(InvalidParameterError, match="not positive semidefinite"):
        wg.evaluate_batch({"gamma12": np.array([0.5, 1.5])}, {})
    with pytest.raises(InvalidParameterError):
        wg.evaluate(delta=float("inf"))


def test_optimize_ideal_model_has_no_interior_optimum():
    """Ideal model: sup F_S = 1 only as delta/omega -> 0, so the optimum sits on the search box."""
    best = wg.optimize_drive(wg.WaveguideParams())
    assert best.at_bound and best.singlet_fidelity > 1 - 1e-6
    assert best.singlet_fidelity == pytest.approx(wg.dark_state_fidelity(omega=best.omega, delta=best.delta), abs=1e-7)
    r = wg.evaluate(optimize=True)
    assert r["singlet_fidelity"] == pytest.approx(best.singlet_fidelity, abs=1e-7)
    # the JSON says the point is on the search box, and the reported state is physical
    assert r["at_bound"] is True
    assert r["residual"] < 1e-9
    for k in ("singlet_fidelity", "bell_fidelity", "concurrence", "purity"):
        assert 0.0 <= r[k] <= 1.0, (k, r[k])
    assert r["singlet_fidelity"] == pytest.approx(wg.dark_state_fidelity(omega=r["omega"], delta=r["delta"]), abs=1e-8)


def test_repair_only_when_residual_passes():
    from opentangle.studies.waveguide.solve import physical_measures, repair

    rho = np.diag([1.0 + 1e-8, -1e-8, 0.0, 0.0]).astype(complex)
    good = physical_measures(rho, 1e-15, 1.0)
    assert good["purity"] <= 1.0 and np.linalg.eigvalsh(repair(rho, np.array(1e-15), np.array(1.0))).min() >= 0
    bad = physical_measures(rho, 1e-3, 1.0)  # failed residual check: nothing is dressed up
    assert bad["purity"] > 1.0


def test_cli_json(cli_in_process):
    code, out, _ = cli_in_process(
        ["waveguide", "--omega", "1", "--delta", "0.5", "--gamma1", "1", "--gamma2", "1", "--gamma12", "1", "--json"]
    )
    assert code == 0
    d = json.loads(out)
    assert set(d) == set(wg.MEASURES)
    assert d["singlet_fidelity"] == pytest.approx(8 / 9, abs=1e-10)


def test_cli_optimize(cli_in_process):
    code, out, _ = cli_in_process(
        [
            "waveguide",
            "--omega",
            "1",
            "--delta",
            "0.5",
            "--gamma1",
            "1",
            "--gamma2",
            "1",
            "--gamma12",
            "1",
            "--gamma-loss",
            "0.02",
            "--optimize",
            "--json",
        ]
    )
    assert code == 0
    d = json.loads(out)
    assert {"omega", "delta"} <= set(d) and d["singlet_fidelity"] > wg.evaluate(gamma_loss=0.02)["singlet_fidelity"]
    assert set(d) == set(wg.MEASURES) | {"omega", "delta", "at_bound"}
    assert d["at_bound"] is False  # with loss the optimum is interior


@pytest.mark.parametrize(
    "extra,needle",
    [(["--gamma-loss", "-0.1"], "gamma_loss must be >= 0"), (["--gamma12", "2"], "not positive semidefinite")],
)
def test_cli_bad_input_one_line(cli_in_process, extra, needle):
    code, out, err = cli_in_process(["waveguide", "--gamma1", "1", "--gamma2", "1", *extra, "--json"])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


@pytest.mark.slow
def test_reproduce_quick(tmp_path):
    heads = wg.reproduce(tmp_path, level="quick")
    failed = [h.label for h in heads if h.passed is False]
    assert not failed, failed
    for stem in ("kockum", "map", "imperfections", "region", "freeze", "gap"):
        assert (tmp_path / f"waveguide_{stem}.nc").exists() and (tmp_path / f"waveguide_{stem}.png").exists()


# ----------------------------------------------------------------------------- probe spectroscopy
def _hand_single_excitation(pos, phi, x, loss):
    """Oracle: linear response from the non-Hermitian single-excitation matrix, coefficients written out here."""
    n = len(pos)
    G = np.zeros((n, n))
    J = np.zeros((n, n))
    lamb = np.zeros(n)
    for j in range(n):
        for k in range(n):
            for a in pos[j]:
                for b in pos[k]:
                    G[j, k] += np.cos(phi * abs(a - b))
                    if j == k:
                        lamb[j] += 0.5 * np.sin(phi * abs(a - b))
                    else:
                        J[j, k] += 0.5 * np.sin(phi * abs(a - b))
    cl = np.array([sum(np.sqrt(0.5) * np.exp(1j * phi * a) for a in p) for p in pos])
    cr = np.array([sum(np.sqrt(0.5) * np.exp(-1j * phi * a) for a in p) for p in pos])
    t, r = [], []
    for d in x:
        m = 1j * (np.diag(lamb - d) + J) + 0.5 * (G + loss * np.eye(n))
        s = np.linalg.solve(m, -1j * cl)
        t.append(1 - 1j * cr @ s)
        r.append(-1j * cl @ s)
    return np.array(t), np.array(r)


@pytest.mark.parametrize(
    "layout, phi", [("sequential", 2 * np.pi), ("sequential", 0.7), ("braided", 0.4), ("nested", 1.3), ("small", 0.9)]
)
def test_probe_linear_response_matches_single_excitation_oracle(layout, phi):
    from opentangle.studies.waveguide import layout_positions, probe_spectrum

    x = np.linspace(-6, 6, 25)
    s = probe_spectrum(layout, phase=phi, detunings=x, loss=0.05)
    t, r = _hand_single_excitation(layout_positions(layout), phi, x, 0.05)
    assert np.allclose(s.transmission, t, atol=1e-10) and np.allclose(s.reflection, r, atol=1e-10)
    assert np.all(s.T + s.R <= 1 + 1e-12)  # loss only removes power


def test_probe_closed_forms_small_giant_and_saturating():
    from opentangle.studies.waveguide import probe_spectrum

    x = np.linspace(-5, 5, 41)
    s = probe_spectrum([[0.0]], phase=0.0, detunings=x, loss=0.2, dephasing=0.05)
    assert np.allclose(s.reflection, -1 / (1.3 - 2j * x), atol=1e-12)  # FWHM Gamma + Gamma' + 2 gamma_phi
    phi = 2.0
    g = probe_spectrum([[0.0, 1.0]], phase=phi, detunings=x)
    w, c = 2 * (1 + np.cos(phi)), np.sin(phi)
    assert np.allclose(g.transmission, 1 - w / (w - 2j * (x - c)), atol=1e-12)
    for flux in (0.1, 3.0):  # elastic reflection of a driven two-level atom, Omega^2 = flux Gamma / 2
        sat = probe_spectrum([[0.0]], phase=0.0, detunings=x, flux=flux)
        assert np.allclose(sat.reflection, -0.5 * (0.5 + 1j * x) / (x**2 + 0.25 + flux), atol=1e-12)
    wide = probe_spectrum("sequential", phase=2 * np.pi, detunings=np.linspace(-20, 20, 2001), loss=0.01)
    assert wide.fwhm() == pytest.approx(8.01, abs=2e-3)  # bright mode of two 2-point atoms: 8 gamma + Gamma'


def test_probe_dark_mode_without_loss_is_a_typed_error():
    from opentangle.errors import InvalidParameterError, NonUniqueSteadyStateError
    from opentangle.studies.waveguide import probe_spectrum

    with pytest.raises(InvalidParameterError):
        probe_spectrum([[0.0]], phase=0.0, detunings=[0.0], loss=-1)
    # a giant atom at phi = pi does not couple at all: t = 1, r = 0 (no response to solve for)
    s = probe_spectrum([[0.0, 1.0]], phase=np.pi, detunings=[0.0, 1.0], loss=0.1)
    assert np.allclose(s.T, 1) and np.allclose(s.R, 0)
    with pytest.raises(NonUniqueSteadyStateError, match="not unique"):  # neither driven nor decaying
        probe_spectrum([[0.0, 1.0]], phase=np.pi, detunings=[0.0], flux=1.0)


def test_readout_flip_is_a_channel():
    from opentangle.studies import waveguide as wg

    rho = wg.singlet_state(ket=False)
    out = wg.readout_flip(rho, 0.1)
    assert np.trace(out).real == pytest.approx(1) and np.linalg.eigvalsh(out).min() > -1e-12
    # singlet under independent flips: F = (1 - e)^2 + e^2
    assert np.real(wg.singlet_state().conj() @ out @ wg.singlet_state()) == pytest.approx(0.81 + 0.01)


@pytest.mark.slow
def test_readings_of_the_published_numbers_do_not_reach_089():
    from opentangle.studies import waveguide as wg

    rd = wg.experiment_readings()
    assert rd["A"]["gamma_over_loss"] == pytest.approx(8) and rd["B"]["gamma_over_loss"] == pytest.approx(3)
    assert rd["A"]["singlet_fidelity"] < 0.55 and rd["B"]["singlet_fidelity"] < rd["A"]["singlet_fidelity"]
