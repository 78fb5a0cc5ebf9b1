"""Dephased two-ensemble log-negativity: the fiber bracket against the dense density matrix and closed forms."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import binom

from opentangle.errors import ConvergenceError, DimensionError, InvalidParameterError
from opentangle.spins import (
    DephasedNegativity,
    dephased_log_negativity,
    fiber_trace_norm_bounds,
    magic_negativity_grid,
    magic_order,
)


def _independent_dense(n, t, gamma):
    """Full Fock space, no window, no shared model code: rho, its partial transpose and eigvalsh."""
    k = np.arange(n + 1)
    c = np.sqrt(binom.pmf(k, n, 0.5))
    psi = np.outer(c, c) * np.exp(1j * np.remainder(np.outer(k, k) * t, 2 * np.pi))
    d = np.exp(-2 * gamma * t * (k[:, None] - k[None, :]) ** 2)
    rho = np.einsum("ab,cd,ac,bd->abcd", psi, psi.conj(), d, d)  # rho[k1,k2,k1',k2']
    pt = rho.transpose(0, 3, 2, 1).reshape((n + 1) ** 2, (n + 1) ** 2)
    return math.log2(np.abs(np.linalg.eigvalsh(pt)).sum())


@pytest.mark.parametrize(
    "L,gamma",
    [
        (2, 0.05),
        (3, 0.05),
        pytest.param(2, 0.02, marks=pytest.mark.slow),
        pytest.param(2, 0.2, marks=pytest.mark.slow),
        pytest.param(3, 0.01, marks=pytest.mark.slow),
        pytest.param(3, 0.2, marks=pytest.mark.slow),
    ],
)
def test_fiber_bracket_contains_exact_value_n40(L, gamma):
    """At N = 40 the bracket is wide (1/N), but the exact value must lie inside it (the upper bound is N-free)."""
    t = 2 * math.pi / L
    exact = _independent_dense(40, t, gamma)
    r = dephased_log_negativity(40, t, gamma, method="fiber")
    slack = r.quadrature_error + 1e-9
    assert r.lower - slack <= exact <= r.upper + slack
    assert r.lower_rigorous <= exact + 1e-12
    assert abs(r.value - exact) <= r.error_bound


def test_dense_method_matches_independent_dense_and_bounds():
    t, g = math.pi, 0.05
    r = dephased_log_negativity(12, t, g, method="dense", tol=1e-15)
    assert isinstance(r, DephasedNegativity) and r.method == "dense"
    assert r.value == pytest.approx(_independent_dense(12, t, g), abs=1e-10)
    assert r.error_bound < 1e-8
    value, win = r  # backward-compatible unpacking
    assert value == r[0] == r.value and win is r.window


def test_upper_bound_is_limit_and_gap_closes_like_one_over_n():
    """U does not depend on N; U - lower shrinks ~ 1/N (the exact value at N = 20, 40 approaches U from below)."""
    t, g = math.pi, 0.05
    sig = math.sqrt(4 * g * t)
    ups = [fiber_trace_norm_bounds(n, sig, 2)["upper"] for n in (100, 10**4, 10**6)]
    assert max(ups) - min(ups) < 1e-14
    gaps = [(b["upper"] - b["lower"]) for b in (fiber_trace_norm_bounds(n, sig, 2) for n in (10**3, 10**5))]
    assert 50 < gaps[0] / gaps[1] < 200
    e20, e40 = _independent_dense(20, t, g), _independent_dense(40, t, g)
    lu = math.log2(ups[0])
    assert e20 < e40 < lu and (lu - e40) < 0.6 * (lu - e20)


def test_sigma_limits_and_trace_identity():
    # sigma -> 0: ||rho^T|| -> L; sigma large: the state becomes PPT (U -> 1)
    for L in (2, 3):
        assert fiber_trace_norm_bounds(10**4, 1e-3, L)["upper"] == pytest.approx(L, abs=1e-12)
        assert fiber_trace_norm_bounds(10**4, 3.0, L)["upper"] == pytest.approx(1.0, abs=1e-9)
    r = dephased_log_negativity(10**5, 2 * math.pi / 3, 0.0)
    assert r.value == pytest.approx(math.log2(3))


def test_large_n_is_tight_and_monotone_in_gamma():
    vals = [dephased_log_negativity(10**6, math.pi, g) for g in (0.0, 0.01, 0.02, 0.05, 0.1, 0.2)]
    assert all(v.method == "fiber" and v.error_bound < 1e-4 for v in vals)
    ev = [v.value for v in vals]
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(ev))
    assert ev[0] == 1.0 and 0.0 < ev[-1] < 0.1


def test_fidelity_lower_bound_is_rigorous_at_small_sigma():
    """L = 2: ||rho^T|| >= 2 F1^2 (F1 = dephasing fidelity of one coherent state), checked against dense."""
    t = math.pi
    for g in (1e-4, 1e-3):
        r = dephased_log_negativity(40, t, g, method="fiber")
        assert r.lower_rigorous <= _independent_dense(40, t, g) + 1e-12
        assert r.lower_rigorous > 0.5


def test_magic_order_and_errors():
    assert magic_order(math.pi) == (1, 2) and magic_order(4 * math.pi / 3) == (2, 3)
    assert magic_order(1.0) is None and magic_order(math.pi + 1e-9) is None
    with pytest.raises(DimensionError):
        dephased_log_negativity(10**4, 1.0, 0.1)
    with pytest.raises(InvalidParameterError):
        dephased_log_negativity(20, math.pi, 0.1, method="fiber")
    with pytest.raises(InvalidParameterError):
        dephased_log_negativity(100, math.pi, 0.1, method="nope")
    with pytest.raises(ConvergenceError):
        dephased_log_negativity(100, math.pi, 0.05, method="fiber", atol=1e-9)


def test_p_over_l_times_agree():
    """t = 2 pi p / L: the fiber value at p = 2, L = 3 matches dense at N = 40 within the bracket."""
    t, g = 4 * math.pi / 3, 0.02
    exact = _independent_dense(40, t, g)
    r = dephased_log_negativity(40, t, g, method="fiber")
    assert r.lower - 1e-9 <= exact <= r.upper + 1e-9


def test_grid_shape():
    g = magic_negativity_grid([10**4, 10**6], [0.0, 0.05], L=2)
    assert g["value"].shape == (2, 2) and np.all(g["error_bound"] < 1e-3)
    assert np.all(g["method"] == "fiber")


def test_bracket_properties_hypothesis():
    """1 <= lower <= upper <= L, and the upper bound (the N -> infinity value) decreases with sigma."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=6, deadline=None)
    @given(st.floats(0.05, 2.0), st.integers(2, 5))  # N = 10^6-10^7 costs 3-65 s a call; test_grid_shape covers 10^6
    def prop(sigma, logn):
        b = fiber_trace_norm_bounds(10**logn, sigma, 2, n_grid=128)
        assert 1.0 - 1e-12 <= b["lower_rigorous"] <= b["lower"] <= b["upper"] <= 2.0 + 1e-12
        assert fiber_trace_norm_bounds(10**logn, sigma * 1.2, 2, n_grid=128)["upper"] <= b["upper"] + 1e-9

    prop()


def test_fully_dephased_upper_bound_is_at_least_one():
    """Regression (found by hypothesis): at sigma = 2 the quadrature of U rounded to 1 - 2e-16 < lower."""
    b = fiber_trace_norm_bounds(100, 2.0, 2, n_grid=128)
    assert b["upper"] >= 1.0
    assert b["lower_rigorous"] <= b["lower"] <= b["upper"]
