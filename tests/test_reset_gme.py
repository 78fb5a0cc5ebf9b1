"""Genuine multipartite entanglement (PPT-mixture SDP) of the reset study's steady states."""

from __future__ import annotations

import json

import numpy as np
import pytest

from opentangle.errors import InvalidParameterError, OptionalDependencyError
from opentangle.measures.gme import symmetric_blocks
from opentangle.studies import reset as R

needs_cvxpy = pytest.mark.skipif(
    __import__("importlib").util.find_spec("cvxpy") is None, reason="cvxpy (opentangle[sdp]) not installed"
)


def steady(n, g, r):
    return R.symmetric_solve(R.ResetParams(n=n, g=g, r=r))


@pytest.mark.parametrize("n", [3, 4, 5])
def test_gme_blocks_equal_blocks_of_the_dense_state(n):
    # PIState -> SymmetricBlocks without a 2^N matrix, against the dense route (explicit spin-copy basis)
    st = R.schur_state(steady(n, 5.0, 30.0))
    fast = R.gme_blocks(st)
    dense = symmetric_blocks(st.to_dense(), n)
    assert set(fast.blocks) == set(dense.blocks)
    for j in fast.blocks:
        assert np.abs(fast.blocks[j] - dense.blocks[j]).max() < 1e-12, j


def test_gme_blocks_refuse_other_types():
    with pytest.raises(InvalidParameterError, match="PIState"):
        R.gme_blocks(np.eye(8) / 8)


def test_key_is_null_unless_asked_and_outside_the_range():
    out = R.evaluate(n=3, g=5.0, r=40.0)
    assert "genuine_entanglement_value" in out and out["genuine_entanglement_value"] is None
    res2 = R.solve(n=2, g=5.0, r=40.0, gme=True)
    assert res2.measures["genuine_entanglement_value"] is None and "N = 2" in res2.extra["genuine_entanglement_note"]
    big = R.solve(n=R.GME_MAX_N + 1, g=3.0, r=40.0, gme=True, gap=False)
    assert big.measures["genuine_entanglement_value"] is None and "GME_MAX_N" in big.extra["genuine_entanglement_note"]
    batch = R.evaluate_batch({"r": np.array([10.0, 40.0])}, {"n": 3, "g": 5.0})
    assert np.all(np.isnan(batch["genuine_entanglement_value"]))


def test_gme_option_must_be_bool():
    with pytest.raises(InvalidParameterError, match="gme"):
        R.solve(n=3, g=5.0, r=40.0, gme="yes")


def test_missing_cvxpy_gives_null_and_one_line_note(monkeypatch, capsys):
    import opentangle.measures.gme as gme_mod
    from opentangle.cli import main

    def missing():
        raise OptionalDependencyError(
            "genuine_entanglement needs cvxpy and an SDP solver; install them with `pip install opentangle[sdp]`"
        )

    monkeypatch.setattr(gme_mod, "_cvxpy", missing)
    res = R.solve(n=3, g=5.0, r=40.0, gme=True, gap=False)
    assert res.measures["genuine_entanglement_value"] is None
    assert "opentangle[sdp]" in res.extra["genuine_entanglement_note"]
    with pytest.raises(SystemExit) as exc:
        main(["reset", "--n", "3", "--g", "5", "--r", "40", "--gme", "--json"])
    assert exc.value.code == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["genuine_entanglement_value"] is None
    err = cap.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("opentangle: note:") and "opentangle[sdp]" in err[0]


@needs_cvxpy
def test_n3_single_point_certified_and_equal_to_the_full_program():
    from opentangle.measures.gme import genuine_entanglement

    res = R.solve(n=3, g=5.0, r=40.0, gme=True, gap=False)
    value = res.measures["genuine_entanglement_value"]
    result = res.extra["genuine_entanglement"]
    assert value < -1e-4 and result.entangled and result.check.passed and result.check.decomposable
    # independent program: all 3 bipartitions of the dense 8 x 8 state, no spin blocks
    dense = R.schur_state(steady(3, 5.0, 40.0)).to_dense()
    full = genuine_entanglement(dense, symmetric=False)
    assert full.check.passed and abs(full.value - value) < 1e-6
    # the full-space steady-state solver gives the same value
    via_full = R.solve(n=3, g=5.0, r=40.0, gme=True, gap=False, solver="full")
    assert abs(via_full.measures["genuine_entanglement_value"] - value) < 1e-6
    # GME implies NPT across every cut (N = 3: k = 1)
    assert R.schur_state(steady(3, 5.0, 40.0)).partial_transpose_minimum(1) < 0


@needs_cvxpy
@pytest.mark.parametrize("n, r", [(3, 2.0), (4, 3.0)])
def test_never_certified_where_a_cut_is_ppt(n, r):
    # a state that is PPT across some cut is a PPT mixture: the value cannot go below -tol
    st = R.schur_state(steady(n, 5.0, r))
    assert max(st.partial_transpose_minimum(k) for k in range(1, n // 2 + 1)) > 0
    res = R.genuine_entanglement_of(st)
    assert not res.entangled and res.value > -1e-7


@needs_cvxpy
def test_cli_gme_json(capsys):
    from opentangle.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["reset", "--n", "3", "--g", "5", "--r", "40", "--gme", "--json"])
    assert exc.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == set(R.MEASURES) and out["genuine_entanglement_value"] < -1e-4


@needs_cvxpy
@pytest.mark.slow
def test_n4_spin_blocks_equal_the_full_program():
    from opentangle.measures.gme import genuine_entanglement

    st = R.schur_state(steady(4, 5.0, 150.0))
    sym = R.genuine_entanglement_of(st)
    full = genuine_entanglement(
        st.to_dense(), symmetric=False
    )  # 7 bipartitions of 16 x 16 (~3 min on the loaded machine)
    assert sym.entangled and full.entangled and abs(sym.value - full.value) < 1e-6


@needs_cvxpy
@pytest.mark.slow
@pytest.mark.parametrize("n", [3, 4])
def test_gme_threshold_inside_every_cut_npt_range(n):
    from opentangle.studies.reset.figures_gme import GME_TOL, gme_thresholds
    from opentangle.studies.reset.figures_gme import ranges_inside as _inside

    d = gme_thresholds(n, g=5.0, r_min=1.0, r_max=1000.0, points=8, xtol=1e-2)
    r_gme, r_every, r_some = (d["crossings"][w] for w in ("gme", "every", "some"))
    assert r_gme.size >= 1 and r_every.size >= 1 and r_some.size >= 1
    assert r_some[0] <= r_every[0] + 1e-2 < r_gme[0]  # some cut NPT <= every cut NPT < GME
    assert _inside(d["ranges"]["gme"], d["ranges"]["every"], 1e-2)
    # just above the GME threshold the witness is certified and checked; just below it is not
    above = R.genuine_entanglement_of(steady(n, 5.0, r_gme[0] * 1.05), tol=GME_TOL)
    below = R.genuine_entanglement_of(steady(n, 5.0, r_gme[0] * 0.95), tol=GME_TOL)
    assert above.entangled and above.check.passed and not below.entangled


def test_gme_figure_without_cvxpy_is_an_informative_row(monkeypatch, tmp_path):
    """``make run`` installs no SDP solver: the reset reproduce must not fail on the GME figure."""
    import opentangle.measures.gme as gme_mod
    from opentangle.studies.reset.figures_gme import fig_gme_thresholds

    def missing():
        raise OptionalDependencyError("genuine_entanglement needs cvxpy; `pip install opentangle[sdp]`")

    monkeypatch.setattr(gme_mod, "_cvxpy", missing)
    out = fig_gme_thresholds("quick")
    assert out.figure is None and out.dataset is None
    assert [h.kind for h in out.headlines] == ["info"] and "opentangle[sdp]" in out.headlines[0].note
