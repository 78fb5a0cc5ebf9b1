"""Tests of the thermalize study (Hsieh, Lostaglio, Acín 2020)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from opentangle.channels import eplt_output, fmax_upper_bound, ghz_eplt_channel, mixing_states
from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.measures import fully_entangled_fraction, ghz_fidelity, negativity
from opentangle.states import ghz_state, isotropic_state, maximally_entangled_state, random_density_matrix
from opentangle.studies import thermalize as th


def qubit_tau(T):
    return th.ladder_thermal_state(2, T)


# ----------------------------------------------------------------------------- physics
@pytest.mark.parametrize("T", [0.3, 1.0, 4.0, 1e3])
def test_two_qubit_threshold_is_one_half(T):
    tau = qubit_tau(T)
    for F, expected in [(0.5 - 1e-6, False), (0.5, False), (0.5 + 1e-6, True), (0.9, True), (0.2, False)]:
        rep = th.thermalize(isotropic_state(F, 2), tau_a=tau, tau_b=tau)
        assert rep.entangled is expected, (T, F)
    assert th.threshold_fidelity(tau, tau, "shared") == pytest.approx(0.5, abs=1e-10)


def test_unequal_qubit_taus_break_the_one_half_threshold():
    # the iff F > 1/2 statement needs equal tau; with unequal tau the threshold moves up
    ta, tb = qubit_tau(0.5), qubit_tau(3.0)
    assert th.threshold_fidelity(ta, tb, "shared") > 0.5 + 1e-3


@pytest.mark.parametrize("T", [0.5, 1.0, 3.0])
def test_independent_coins_threshold_is_one_over_two_gamma(T):
    tau = qubit_tau(T)
    g, _ = mixing_states(tau, tau)
    thr = th.threshold_fidelity(tau, tau, "independent")
    if g > 0.5:
        assert thr == pytest.approx(1 / (2 * g), abs=1e-9)
    else:
        assert np.isnan(thr)
    out = eplt_output(maximally_entangled_state(2), tau, tau, coins="independent")
    assert (negativity(out) > 1e-12) == (g > 0.5)


def test_phi_plus_negativity_closed_form_vs_eigensolver():
    rng = np.random.default_rng(0)
    for d in (2, 3, 4, 5):
        pa, pb = rng.dirichlet(np.ones(d)), rng.dirichlet(np.ones(d))
        for gamma in (None, 0.5 * d * min(pa.min(), pb.min())):
            num = negativity(eplt_output(maximally_entangled_state(d), pa, pb, gamma=gamma), [d, d])
            assert th.phi_plus_negativity(pa, pb, gamma=gamma) == pytest.approx(num, abs=1e-12)


def test_entanglement_preserved_at_low_temperature_for_all_d():
    for d in (2, 4, 8):
        p = np.real(np.diag(th.ladder_thermal_state(d, 0.3)))
        assert th.phi_plus_negativity(p, p) > 0
    # and zero at zero temperature
    assert th.phi_plus_negativity([1.0, 0.0], [1.0, 0.0]) == 0.0


@pytest.mark.parametrize("d", [2, 3])
def test_fmax_bounds_on_outputs(d):
    """(sum sqrt p)^2/d >= F_max >= <Phi+|E(rho)|Phi+> = gamma F + (1-gamma) tr(sigma_A sigma_B^T)/d."""
    rng = np.random.default_rng(d)
    ta, tb = th.ladder_thermal_state(d, 0.8), th.ladder_thermal_state(d, 1.5)
    bound = fmax_upper_bound(ta, tb)
    # independent of the code: Boltzmann populations, gamma = d P_min, sigma = (p - gamma/d)/(1 - gamma)
    pa, pb = np.exp(-np.arange(d) / 0.8), np.exp(-np.arange(d) / 1.5)
    pa, pb = pa / pa.sum(), pb / pb.sum()
    g = d * min(pa.min(), pb.min())
    sa, sb = (pa - g / d) / (1 - g), (pb - g / d) / (1 - g)
    overlap_product = float(np.sum(sa * sb)) / d  # <Phi+|sigma_A (x) sigma_B|Phi+> for diagonal sigma
    phi = np.eye(d).reshape(-1) / np.sqrt(d)
    for k in range(12):
        rho = random_density_matrix(d * d, rank=1 + k % 3, seed=rng)
        rep = th.thermalize(rho, tau_a=ta, tau_b=tb)
        assert rep.gamma == pytest.approx(g, abs=1e-12)
        f_in = float(np.real(phi @ rho @ phi))
        lower = g * f_in + (1 - g) * overlap_product
        assert rep.output_overlap == pytest.approx(lower, abs=1e-12)
        assert lower - 1e-10 <= rep.fully_entangled_fraction <= bound + 1e-10


def test_popular_summary_bound_fails_for_phi_plus():
    tau = qubit_tau(1.0)
    rep = th.thermalize(maximally_entangled_state(2), tau_a=tau, tau_b=tau)
    # claimed: F_max[E(Phi+)] >= <Phi+|Phi+|Phi+> = 1; every LT output has F_max <= bound < 1
    assert rep.fully_entangled_fraction < rep.fmax_upper_bound < 1.0
    assert rep.output_overlap == pytest.approx((1 + rep.gamma) / 2, abs=1e-12)
    # the qubit closed form and the d x d optimiser agree on this output
    assert fully_entangled_fraction(rep.output, [2, 2], method="optimize") == pytest.approx(
        rep.fully_entangled_fraction, abs=1e-9
    )


def test_ghz_fidelity_closed_form_and_witness():
    tau = qubit_tau(1.0)
    g, _ = mixing_states(tau, tau, tau)
    out = ghz_eplt_channel([tau] * 3)(ghz_state(3))
    assert ghz_fidelity(out, [2, 2, 2]) == pytest.approx((1 + g) / 2, abs=1e-12)
    assert th.ghz_output_fidelity([tau] * 3) == pytest.approx((1 + g) / 2, abs=1e-12)
    # unequal temperatures: closed form vs the Choi-built channel
    taus = [th.ladder_thermal_state(3, T) for T in (0.6, 1.0, 2.0)]
    out3 = ghz_eplt_channel(taus)(ghz_state(3, 3))
    assert ghz_fidelity(out3, [3, 3, 3]) == pytest.approx(th.ghz_output_fidelity(taus), abs=1e-12)
    # qutrit GHZ witness: fails at low T, holds at high T (equal temperatures)
    assert th.ghz_output_fidelity([th.ladder_thermal_state(3, 0.2)] * 3) < 1 / 3
    assert th.ghz_output_fidelity([th.ladder_thermal_state(3, 5.0)] * 3) > 1 / 3


def test_best_eplt_beats_or_matches_product():
    pa, pb = np.real(np.diag(th.ladder_thermal_state(3, 0.8))), np.real(np.diag(th.ladder_thermal_state(3, 2.5)))
    best = th.best_eplt(pa, pb, starts=2, gammas=3, seed=0)
    assert best.product_negativity == pytest.approx(th.phi_plus_negativity(pa, pb), abs=1e-12)
    # independent: rebuild the output from (gamma, Q) by hand and recompute its negativity
    phi = np.eye(3).reshape(-1) / np.sqrt(3)
    out = best.gamma * np.outer(phi, phi) + np.diag(best.coupling.reshape(-1))
    pt = out.reshape(3, 3, 3, 3).transpose(2, 1, 0, 3).reshape(9, 9)
    ev = np.linalg.eigvalsh(pt)
    assert best.negativity == pytest.approx(-ev[ev < 0].sum(), abs=1e-12)
    assert np.trace(out) == pytest.approx(1.0, abs=1e-9)
    assert best.lt_error < 1e-12
    q = best.coupling
    assert q.min() >= 0
    assert np.allclose(q.sum(1), pa - best.gamma / 3, atol=1e-9)
    assert "BestEPLT" in repr(best)


def _qubit_family_optimum(p, gammas):
    """Brute force, independent of best_eplt: for qubits the feasible couplings Q (row sums r, column sums c,
    Q >= 0) form a segment in q00; the negativity is convex in Q, so its maximum is at an endpoint."""
    best = 0.0
    for g in gammas:
        r = c = p - g / 2
        lo, hi = max(0.0, r[0] - c[1]), min(r[0], c[0])
        for q00 in (lo, hi):
            q = np.array([[q00, r[0] - q00], [c[0] - q00, r[1] - c[0] + q00]])
            out = np.zeros((4, 4))
            out[np.ix_([0, 3], [0, 3])] = g / 2  # gamma Phi+ (the isotropic twirl of Phi+ is Phi+)
            out += np.diag(q.reshape(-1))
            pt = out.reshape(2, 2, 2, 2).transpose(2, 1, 0, 3).reshape(4, 4)
            ev = np.linalg.eigvalsh(pt)
            best = max(best, -ev[ev < 0].sum())
    return best


def test_best_eplt_matches_qubit_brute_force():
    p = np.array([0.7, 0.3])
    gammas = np.linspace(0, 2 * 0.3, 5)[1:]
    ref = _qubit_family_optimum(p, gammas)
    best = th.best_eplt(p, p, starts=2, gammas=5, seed=0)
    assert best.negativity == pytest.approx(ref, abs=1e-9)
    # known value: at gamma = 2 P_min with the diagonal-heavy vertex Q = diag(p - gamma/2),
    # the PT has the block [[0, gamma/2], [gamma/2, 0]] on |01>, |10>: negativity gamma/2 = 0.3
    assert ref == pytest.approx(0.3, abs=1e-12)
    assert best.lt_error < 1e-12


# ----------------------------------------------------------------------------- study interface
def test_evaluate_keys_and_values():
    res = th.evaluate(d=2, tau_a="0.8,0.2", tau_b="0.8,0.2", input_fidelity=1.0)
    assert tuple(res) == th.MEASURES
    assert res["gamma"] == pytest.approx(0.4)
    assert res["entangled"] is True
    assert res["output_overlap"] == pytest.approx(0.7)
    assert res["marginal_error"] < 1e-12
    assert res["output_negativity"] == pytest.approx(th.phi_plus_negativity([0.8, 0.2], [0.8, 0.2]), abs=1e-12)
    assert set(th.PARAMETERS) == {"d", "tau_a", "tau_b", "gamma", "input_fidelity"}


def test_evaluate_qutrit_unequal():
    res = th.evaluate(d=3, tau_a="0.6,0.3,0.1", tau_b="0.5,0.3,0.2", input_fidelity=0.8)
    assert res["gamma"] == pytest.approx(0.3)
    assert res["entangled"] and res["marginal_error"] < 1e-12
    assert res["fully_entangled_fraction"] <= fmax_upper_bound(np.diag([0.6, 0.3, 0.1]), np.diag([0.5, 0.3, 0.2]))


@pytest.mark.parametrize(
    "params,match",
    [
        ({"tau_a": "0.8,0.3"}, "sum to 1"),
        ({"tau_a": "0.8,abc"}, "comma-separated"),
        ({"tau_a": "1.2,-0.2"}, "negative"),
        ({"tau_a": "0.5,0.3,0.2"}, "d = 2"),
        ({"gamma": 0.5}, "d \\* P_min"),
        ({"tau_a": "1,0", "gamma": 0.1}, "zero temperature"),
        ({"input_fidelity": 1.5}, "input_fidelity"),
        ({"d": 1}, "d must be"),
        ({"temperature": 1.0}, "no parameter or option .temperature."),
    ],
)
def test_bad_parameters_raise(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        th.evaluate(**params)


def test_nan_gamma_is_rejected():
    with pytest.raises(InvalidParameterError, match="finite"):
        th.evaluate(gamma=float("nan"))
    with pytest.raises(InvalidParameterError, match="finite"):
        th.evaluate(gamma=float("inf"))


def test_cli_nan_gamma_is_one_line_exit_2(capsys):
    from opentangle.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["thermalize", "--gamma", "nan", "--json"])
    out = capsys.readouterr()
    assert exc.value.code == 2 and out.out == ""
    assert out.err.count("\n") == 1 and "InvalidParameterError" in out.err and "finite" in out.err


def test_entangled_agrees_with_negativity_for_tiny_pmin():
    tau = "0.9999999999999,1e-13"
    res = th.evaluate(d=2, tau_a=tau, tau_b=tau)
    # gamma = 2e-13; the output PT has the eigenvalue -gamma/2 on |01>, |10>
    assert res["gamma"] == pytest.approx(2e-13, rel=1e-6)
    assert res["output_negativity"] == pytest.approx(1e-13, rel=1e-3)
    assert res["entangled"] is True
    # consistency in both directions, including the exact threshold F = 1/2 (PPT)
    for F in (0.5, 0.5 + 1e-9, 0.3, 1.0):
        r = th.evaluate(d=2, tau_a="0.8,0.2", tau_b="0.8,0.2", input_fidelity=F)
        assert r["entangled"] == (r["output_negativity"] > 0), F
    assert th.evaluate(d=2, input_fidelity=0.5)["output_negativity"] == 0.0


def test_rank_deficient_non_pure_tau_is_not_called_no_eplt():
    with pytest.raises(InvalidParameterError, match="P_min > 0") as exc:
        th.evaluate(d=3, tau_a="0.5,0.5,0", tau_b="0.5,0.3,0.2", gamma=0.1)
    assert "no entanglement-preserving" not in str(exc.value)
    res = th.evaluate(d=3, tau_a="0.5,0.5,0", tau_b="0.5,0.3,0.2")
    assert res["gamma"] == 0.0 and res["entangled"] is False


@pytest.mark.parametrize(
    "tau_a,gamma,needle",
    [
        ("1,0", None, "pure"),  # zero temperature: no EPLT at all
        ("0.8,0.2", 0.0, "requested"),  # explicit gamma = 0: not a "pure" claim
        ("0.8,0.2", None, None),  # gamma > 0: no note
    ],
)
def test_stderr_note(tau_a, gamma, needle):
    note = th.gamma_zero_note(tau_a, "0.8,0.2", gamma, th.evaluate(d=2, tau_a=tau_a, gamma=gamma)["gamma"])
    if needle is None:
        assert note is None
    else:
        assert needle in note
        assert ("no EPLT exists" in note) == (needle == "pure")
    note3 = th.gamma_zero_note("0.5,0.5,0", "0.5,0.3,0.2", None, 0.0)
    assert "P_min > 0" in note3 and "no EPLT exists" not in note3


def test_zero_temperature_gives_explicit_no_entanglement():
    res = th.evaluate(d=2, tau_a="1,0", tau_b="0.8,0.2")
    assert res["gamma"] == 0.0 and res["entangled"] is False and res["output_negativity"] == 0.0


def test_thermalize_dimension_mismatch():
    with pytest.raises(DimensionError):
        th.thermalize(np.eye(4) / 4, tau_a=[0.5, 0.5], tau_b=[0.2, 0.3, 0.5])


def test_cli_json_with_clirunner():
    from opentangle.cli import build_app

    r = CliRunner().invoke(
        build_app(),
        [
            "thermalize",
            "--d",
            "3",
            "--tau-a",
            "0.6,0.3,0.1",
            "--tau-b",
            "0.5,0.3,0.2",
            "--input-fidelity",
            "0.9",
            "--gamma",
            "0.2",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout  # exactly one JSON line on stdout, nothing else
    data = json.loads(lines[0])
    assert set(data) == set(th.MEASURES)
    assert data["gamma"] == pytest.approx(0.2)
    assert isinstance(data["entangled"], bool)


def test_cli_gamma_zero_note_goes_to_stderr(capsys):
    from opentangle.cli import main

    try:
        main(["thermalize", "--tau-a", "0.8,0.2", "--tau-b", "0.8,0.2", "--gamma", "0", "--json"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["gamma"] == 0.0
    assert "note" in out.err and "pure" not in out.err and "no EPLT exists" not in out.err


def test_cli_bad_tau_is_one_line_exit_2():
    proc = subprocess.run(
        [sys.executable, "-m", "opentangle.cli", "thermalize", "--d", "2", "--tau-a", "0.9,0.3", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "InvalidParameterError" in lines[0] and "tau_a" in lines[0]


@pytest.mark.slow
def test_reproduce_quick(tmp_path):
    heads = th.reproduce(tmp_path, level="quick")
    assert all(h.passed is not False for h in heads), [h for h in heads if h.passed is False]
    assert sorted(p.suffix for p in tmp_path.iterdir()).count(".png") >= 5
    assert len(list(tmp_path.glob("*.nc"))) >= 5


def test_cli_gamma_is_an_optional_float_option():
    import inspect

    par = inspect.signature(th.command).parameters["gamma"]
    assert par.annotation is float and par.default.default is None  # typed option, no "None" string default
    assert th.evaluate(gamma=None)["gamma"] == pytest.approx(0.4)  # None: the default d * P_min
