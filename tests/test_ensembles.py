"""Tests of the ``ensembles`` study: evaluate, CLI contract, reproduce."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from opentangle.errors import InvalidParameterError
from opentangle.studies import ensembles as study


def test_module_interface():
    assert study.NAME == "ensembles"
    assert set(study.PARAMETERS) == {"n_atoms", "t", "gamma"}
    assert study.MEASURES == ("entropy", "log_negativity", "window", "discarded_weight")
    assert study.SEEDED is False


def test_evaluate_pure_and_dephased():
    r = study.evaluate(n_atoms=20, t=math.pi, gamma=0.0)
    assert set(r) == set(study.MEASURES)
    assert r["entropy"] == pytest.approx(1.0, abs=1e-4)
    assert r["log_negativity"] == pytest.approx(1.0, abs=1e-4)
    assert r["window"] == 21 and r["discarded_weight"] == 0.0
    d = study.evaluate(n_atoms=20, t=math.pi, gamma=0.1)
    assert d["entropy"] is None
    assert 0 < d["log_negativity"] < r["log_negativity"]
    big = study.evaluate(n_atoms=10**6, t=1.0, gamma=0.01)
    assert big["entropy"] is None and big["log_negativity"] is None
    assert big["window"] > 5000 and 0 < big["discarded_weight"] <= 1e-8


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"n_atoms": 0}, "n_atoms"),
        ({"n_atoms": -3}, "n_atoms"),
        ({"n_atoms": 2.5}, "n_atoms"),
        ({"gamma": -0.1}, "gamma"),
        ({"t": float("nan")}, "finite"),
        ({"t": float("inf")}, "finite"),
    ],
)
def test_evaluate_bad_input(kw, match):
    with pytest.raises(InvalidParameterError, match=match):
        study.evaluate(**{"n_atoms": 10, "t": 1.0, "gamma": 0.0, **kw})


def test_cli_json_contract(cli_in_process):
    code, out, _ = cli_in_process(["ensembles", "--n-atoms", "20", "--t", str(math.pi / 2), "--json"])
    assert code == 0
    data = json.loads(out)
    assert list(data) == list(study.MEASURES)
    assert data["entropy"] == pytest.approx(2.0, abs=1e-4)
    code, out, _ = cli_in_process(["ensembles", "--n-atoms", "20", "--t", "1", "--gamma", "0.05", "--json"])
    data = json.loads(out)
    assert code == 0 and data["entropy"] is None and data["log_negativity"] > 0


@pytest.mark.parametrize(
    "args",
    [
        ["--n-atoms", "0", "--t", "1"],
        ["--n-atoms", "10", "--t", "1", "--gamma", "-1"],
        ["--n-atoms", "10", "--t", "nan"],
        ["--n-atoms", "10", "--t", "inf"],
    ],
)
def test_cli_bad_input_one_line_error(args, cli_in_process):
    code, out, err = cli_in_process(["ensembles", *args, "--json"])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("opentangle: error:")


def test_cli_huge_t_tiny_gamma(cli_in_process):
    # k1 k2 t used to overflow for t = 1e306 (LinAlgError traceback, exit 1)
    code, out, err = cli_in_process(["ensembles", "--n-atoms", "10", "--t", "1e306", "--gamma", "1e-320", "--json"])
    assert code == 0, err
    data = json.loads(out)
    pure = study.evaluate(n_atoms=10, t=1e306, gamma=0.0)
    assert data["log_negativity"] == pytest.approx(pure["log_negativity"], abs=1e-8)


def test_json_values_clipped_at_zero(cli_in_process):
    code, out, _ = cli_in_process(["ensembles", "--n-atoms", "20", "--t", str(2 * math.pi), "--json"])
    data = json.loads(out)
    assert code == 0 and data["entropy"] >= 0.0 and data["log_negativity"] >= 0.0
    assert data["entropy"] < 1e-12 and data["log_negativity"] < 1e-12
    d = study.evaluate(n_atoms=20, t=0.0, gamma=0.1)
    assert d["log_negativity"] >= 0.0


def test_n_atoms_cap_one_line_error(cli_in_process):
    code, out, err = cli_in_process(["ensembles", "--n-atoms", "100000000", "--t", "1", "--json"])
    assert code == 2 and out == "" and err.count("\n") == 1 and "n_atoms" in err


def test_noise_tolerance_is_n_independent():
    """Beyond the paper: gamma* at t = pi barely moves with N (coherence across Delta k ~ 1 suffices)."""
    g = [study.noise_tolerance(n, L=2, xtol=1e-3) for n in (8, 16)]
    assert g[0] == pytest.approx(g[1], rel=0.1)
    assert 0.05 < g[0] < 0.2


@pytest.mark.slow
def test_reproduce_quick(tmp_path):
    heads = study.reproduce(tmp_path, level="quick")
    failed = [h for h in heads if h.passed is False]
    assert not failed, failed
    assert list(tmp_path.glob("*.nc")) and list(tmp_path.glob("*.png"))


def test_generic_times_avoid_small_denominators_and_magic_times_are_marked():
    from fractions import Fraction

    ts = study.generic_times(400)
    assert ts.size == 400 and np.all(np.diff(ts) > 0) and ts[0] > 0 and ts[-1] < 2 * np.pi
    # no t / 2 pi within 1e-6 of a fraction with denominator <= 39 (the old grid was 2 pi j / 39)
    for t in ts:
        f = Fraction(t / (2 * np.pi)).limit_denominator(39)
        assert abs(float(f) - t / (2 * np.pi)) > 1e-6
    tm, lm = study.magic_times()
    assert np.allclose(tm * lm / (2 * np.pi), np.rint(tm * lm / (2 * np.pi)))
    assert {1, 2, 3, 4} <= set(lm.tolist()) and np.all(np.diff(tm) > 0)
    # at a magic time the engine gives log2 L (Li et al.), at generic times far more
    assert study.pure_entanglement(2000, tm[lm == 3][0]).entropy == pytest.approx(np.log2(3), abs=1e-6)


def test_decimal_check_matches_engine_at_t_1e14():
    """The study's own independent check (80-digit decimal phases) agrees with the exact reduction."""
    assert study._decimal_entropy(60, 1e14) == pytest.approx(study.pure_entanglement(60, 1e14).entropy, abs=1e-9)


def test_large_n_magic_time_log_negativity_is_certified():
    """Beyond the dense cap the CLI value comes from the fiber bracket, refused when the bracket is too wide."""
    import math

    from opentangle.errors import ConvergenceError
    from opentangle.spins import dephased_log_negativity
    from opentangle.studies.ensembles import evaluate
    from opentangle.studies.ensembles.solve import FIBER_ATOL

    out = evaluate(n_atoms=10**4, t=math.pi, gamma=0.01)
    ref = dephased_log_negativity(10**4, math.pi, 0.01)
    assert ref.error_bound <= FIBER_ATOL and abs(out["log_negativity"] - ref.value) < 1e-12
    assert ref.lower <= out["log_negativity"] <= ref.upper
    with pytest.raises(ConvergenceError, match="error bound"):
        dephased_log_negativity(200, math.pi, 0.05, atol=1e-9)
