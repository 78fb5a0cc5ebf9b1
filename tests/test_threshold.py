"""Entanglement thresholds (Brent on the smallest partial-transpose eigenvalue) and multistart optima."""

from __future__ import annotations

import numpy as np
import pytest

from opentangle.errors import InvalidParameterError
from opentangle.lindblad import (
    Jump,
    Model,
    entanglement_threshold,
    maximize_entanglement,
    min_pt_eigenvalue,
    steady_state,
)
from opentangle.measures import negativity, partial_transpose_spectrum

SZ = np.diag([1.0, -1.0])
I2 = np.eye(2)
PLUS = np.array([1.0, 1.0]) / np.sqrt(2)


def reset_pair(r, g=2.5, gamma=1.0):
    """H = g sz sz; dephasing (gamma/2)(sz rho sz - rho) per qubit; reset to |+> at rate r: |+><k| jumps."""
    zz = np.kron(SZ, SZ)
    jumps = []
    for site in range(2):
        emb = (lambda A: np.kron(A, I2)) if site == 0 else (lambda A: np.kron(I2, A))
        jumps.append(Jump(emb(SZ), gamma / 2))
        for k in range(2):
            jumps.append(Jump(emb(np.outer(PLUS, np.eye(2)[k])), r))
    return Model(hamiltonian=g * zz, jumps=jumps, dims=[2, 2])


def closed_form_rc(g, gamma=1.0):
    a, b, c = g - gamma, -(g**2 - g * gamma + gamma**2), -gamma * (g**2 + gamma**2 / 4)
    return (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)


def test_reset_threshold_reproduces_closed_form():
    res = entanglement_threshold(reset_pair, (1.0, 10.0), tol=1e-12)
    assert res.value == pytest.approx(4.19873, abs=5e-6)
    assert res.value == pytest.approx(closed_form_rc(2.5), abs=1e-9)
    lo, hi = res.bracket
    assert lo <= res.value <= hi and hi - lo < 1e-6
    assert res.measure_at_bracket[0] > 0 > res.measure_at_bracket[1]
    assert res.negativity_at_bracket[0] == 0.0 and res.negativity_at_bracket[1] > 0
    assert res.entangled_above and res.solves >= 4
    assert "EntanglementThreshold(value=4.1987" in repr(res)


@pytest.mark.parametrize("g", [1.5, 4.0])
def test_threshold_other_couplings_and_callable_measure(g):
    f = lambda r: reset_pair(r, g=g)  # noqa: E731
    witness = lambda rho, dims: float(partial_transpose_spectrum(rho, dims)[0])  # noqa: E731
    res = entanglement_threshold(f, (closed_form_rc(g) / 3, closed_form_rc(g) * 3), measure=witness, tol=1e-11)
    assert res.value == pytest.approx(closed_form_rc(g), rel=1e-8)


def test_threshold_bad_input():
    with pytest.raises(InvalidParameterError, match="does not change sign"):
        entanglement_threshold(reset_pair, (5.0, 10.0))
    with pytest.raises(InvalidParameterError):
        entanglement_threshold(reset_pair, (10.0, 5.0))
    with pytest.raises(InvalidParameterError):
        entanglement_threshold(lambda r: "model", (1.0, 10.0))
    with pytest.raises(InvalidParameterError):
        entanglement_threshold(reset_pair, (1.0, 10.0), measure="tastiness")
    with pytest.raises(InvalidParameterError):
        entanglement_threshold(reset_pair, (1.0, 10.0), tol=0)


def test_min_pt_eigenvalue_is_smooth_where_negativity_is_clipped():
    rho = steady_state(reset_pair(3.0)).rho
    assert min_pt_eigenvalue(rho, [2, 2]) > 0 and negativity(rho, [2, 2]) == 0.0


def test_maximize_matches_grid_scan_interior_and_reports_bounds():
    grid = np.linspace(4.5, 40.0, 72)
    vals = [negativity(steady_state(reset_pair(r)).rho, [2, 2]) for r in grid]
    k = int(np.argmax(vals))
    assert 0 < k < grid.size - 1  # interior maximum on the grid
    opt = maximize_entanglement(reset_pair, [(4.5, 40.0)], starts=3, seed=1)
    assert grid[k - 1] <= opt.x[0] <= grid[k + 1]
    assert opt.value >= max(vals) - 1e-9
    assert opt.on_bound == ("",) and opt.projected_gradient_norm < 1e-4
    # restricted below the optimum the best point sits on the upper bound with a non-zero (outward) gradient
    top = grid[k - 6]
    opt2 = maximize_entanglement(reset_pair, [(4.5, top)], starts=2)
    assert opt2.on_bound == ("upper",) and opt2.x[0] == pytest.approx(top, rel=1e-6)
    assert opt2.projected_gradient_norm < 1e-6


def test_maximize_two_parameters_and_bad_input():
    opt = maximize_entanglement(lambda r, g: reset_pair(r, g=g), [(4.5, 30.0), (2.0, 6.0)], starts=2, seed=0)
    assert opt.x.shape == (2,) and len(opt.starts) == 2 and opt.solves > 4
    for bounds in ([(1.0, 1.0)], [], [(0.0, np.inf)]):
        with pytest.raises(InvalidParameterError):
            maximize_entanglement(reset_pair, bounds)
    with pytest.raises(InvalidParameterError):
        maximize_entanglement(reset_pair, [(4.5, 10.0)], starts=0)
