"""The reset study's single-point solve on the Schur blocks from N = 17 (opentangle.studies.reset.schur_solve).

The Pauli-basis system of ``symmetric_solve`` loses its forward-error certificate at large N
(``reset --n 80`` raised IllConditionedError, estimate 1.4e-6 > 1e-6); the Schur-block solve
certifies to the study's cap.  Below N = 80 both paths certify, so they check each other.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from opentangle.errors import IllConditionedError
from opentangle.spins.schur import SCHUR_AUTO_MIN_N
from opentangle.studies.reset import ResetParams, schur_solve, solve, symmetric_solve

solve_module = sys.modules["opentangle.studies.reset.solve"]


def test_threshold_is_where_the_negativities_need_the_schur_blocks():
    assert solve_module.SCHUR_SOLVE_MIN_N == SCHUR_AUTO_MIN_N
    assert solve(n=SCHUR_AUTO_MIN_N - 1).extra["symmetric_basis"] == "pauli"
    assert solve(n=SCHUR_AUTO_MIN_N).extra["symmetric_basis"] == "schur"


@pytest.mark.parametrize("n, g, r", [(20, 2.5, 5.0), (31, 5.0, 8.0)])
def test_schur_path_equals_the_pauli_path(monkeypatch, n, g, r):
    """Two solvers that share no Liouvillian code: the Pauli-string and the Schur-block systems."""
    schur = solve(n=n, g=g, r=r)
    monkeypatch.setattr(solve_module, "SCHUR_SOLVE_MIN_N", 10**9)
    pauli = solve(n=n, g=g, r=r)
    assert (schur.extra["symmetric_basis"], pauli.extra["symmetric_basis"]) == ("schur", "pauli")
    assert np.abs(schur.rho2 - pauli.rho2).max() < 1e-12
    assert np.abs(schur.rho1 - pauli.rho1).max() < 1e-12
    for key, value in schur.measures.items():
        if value is None or key == "residual":
            continue
        assert value == pytest.approx(pauli.measures[key], rel=1e-9, abs=1e-11), key
    assert schur.measures["residual"] < 1e-10


def test_large_n_certifies_on_the_schur_blocks():
    """N = 80: the Pauli-basis certificate fails (the reason for the switch); the Schur one holds."""
    with pytest.raises(IllConditionedError, match="forward-error estimate"):
        symmetric_solve(ResetParams(n=80, g=2.5, r=5.0))
    ss = schur_solve(ResetParams(n=80, g=2.5, r=5.0))
    assert ss.error < 1e-9 and ss.residual_max < 1e-12
    for rho in (ss.rho1, ss.rho2):
        assert abs(np.trace(rho) - 1) < 1e-12
        assert np.allclose(rho, rho.conj().T, atol=1e-14)
        assert np.linalg.eigvalsh(rho).min() > -1e-12
    # the two-qubit marginal of the Schur blocks is the k = 2 reduced state of the same PIState
    assert np.abs(ss.state.reduced_state(2) - ss.rho2).max() < 1e-12
