"""The log-det entropy path of opentangle.spins.pure against diagonalisation (issue 19, target 6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentangle.spins import binomial_amplitudes, coherent_overlap, entropy_curve, pure_entanglement
from opentangle.spins import pure as P


def full_basis_entropy(n: int, t: float) -> float:
    """Independent reference: the full (N+1)-dim reduced state from the closed-form overlaps."""
    k = np.arange(n + 1)
    c = binomial_amplitudes(n, k)
    ev = np.linalg.eigvalsh(np.outer(c, c) * coherent_overlap(n, (k[:, None] - k[None, :]) * t))
    ev = ev[ev > 0]
    return float(-np.sum(ev * np.log2(ev)))


def _random_band_psd(m: int, kd: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``A = L L^T / tr`` with ``L`` lower banded (bandwidth kd), rows scaled over 11 decades."""
    rng = np.random.default_rng(seed)
    idx = np.arange(m)
    low = rng.normal(size=(m, m)) * ((idx[:, None] - idx[None, :] >= 0) & (idx[:, None] - idx[None, :] <= kd))
    low *= np.exp(-rng.uniform(0, 25, m))[:, None]
    a = low @ low.T
    a /= np.trace(a)
    ab = np.zeros((kd + 1, m))
    for d in range(kd + 1):
        ab[d, : m - d] = np.diag(a, -d)
    return a, ab


def _eta(ev: np.ndarray) -> float:
    ev = ev[ev > 0]
    return float(-np.sum(ev * np.log(ev)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logdet_of_generic_band_matrix_matches_eigvalsh(seed):
    a, ab = _random_band_psd(300, 12, seed)
    ev = np.linalg.eigvalsh(a)
    assert ev.min() > -1e-16 and np.sum(ev < 1e-12) > 10
    got = P._logdet_entropy(ab)
    assert got is not None
    h, bound = got
    assert abs(h - _eta(np.clip(ev, 0, None))) <= bound
    assert bound < 2e-9  # per block; the curve's target is 1e-8 bits for E (two blocks)


def test_error_bound_is_honest_where_the_error_is_visible():
    """A coarse step makes the quadrature error visible: the bound must still contain it."""
    a, ab = _random_band_psd(200, 10, 3)
    ref = _eta(np.clip(np.linalg.eigvalsh(a), 0, None))
    for step in (1.5, 2.5):
        h, bound = P._logdet_entropy(ab, step=step)
        assert 1e-9 < abs(h - ref) <= bound, (step, h - ref, bound)


def test_logdet_refuses_an_indefinite_matrix():
    ab = np.array([[1.0, -1.0, 1.0], [2.0, 0.0, 0.0]])  # eigenvalues of [[1,2,0],[2,-1,0],[0,0,1]]: one < 0
    assert P._logdet_entropy(ab) is None


@pytest.mark.parametrize(("m", "kd"), [(60, 7), (61, 59), (250, 16), (17, 16)])
def test_band_moments_match_dense_powers(m, kd):
    a, ab = _random_band_psd(m, kd, 4)
    b = a - 0.01 * np.eye(m)
    got = P._band_moments(ab, 0.01)
    want = [np.trace(np.linalg.matrix_power(b, k)) for k in (2, 3, 4)]
    assert np.allclose(got, want, rtol=1e-12, atol=0)


@settings(max_examples=12, deadline=None)
@given(t=st.floats(0.01, 2 * math.pi - 0.01), n=st.sampled_from([1000, 3000, 10**4]))
def test_logdet_matches_dense_window_at_generic_times(t, n):
    fast = pure_entanglement(n, t, method="logdet")
    dense = pure_entanglement(n, t, method="dense")
    assert abs(fast.entropy - dense.entropy) <= min(1e-8, fast.entropy_error + 1e-11)
    assert fast.entropy_error < 1e-8


@pytest.mark.parametrize("q", [2, 3, 5, 7])
@pytest.mark.parametrize("offset", [1e-3, 1e-5])
def test_logdet_near_rational_times(q, offset):
    """Clustered azimuths (wide band, low rank): the forced log-det path and the curve's auto path."""
    n = 3000
    t = 2 * math.pi / q + offset
    dense = pure_entanglement(n, t, method="dense").entropy
    fast = pure_entanglement(n, t, method="logdet")
    assert abs(fast.entropy - dense) <= min(1e-8, fast.entropy_error + 1e-11)
    e, err = entropy_curve(n, [t], with_error=True)
    assert abs(e[0] - dense) <= min(1e-8, err[0] + 1e-11)


def test_logdet_against_the_full_basis():
    """Independent model building: full (N+1)-dim state from closed-form overlaps, no window."""
    n = 1000
    for t in (1.0, math.sqrt(2), 2.5):
        ref = full_basis_entropy(n, t)
        r = pure_entanglement(n, t, tol=1e-14, method="logdet")
        assert r.entropy == pytest.approx(ref, abs=1e-9)


def test_curve_reports_errors_and_agrees_across_workers():
    ts = np.array([0.4, 1.1, 2.9, 4.4])
    e1, err1 = entropy_curve(2000, ts, with_error=True)
    e2 = entropy_curve(2000, ts, workers=2)
    assert np.array_equal(e1, e2)
    assert err1.shape == ts.shape and np.all(err1 > 0) and np.all(err1 < 1e-8)
    dense = np.array([pure_entanglement(2000, t, method="dense").entropy for t in ts])
    assert np.all(np.abs(e1 - dense) <= err1 + 1e-11)


def test_logdet_result_object():
    r = pure_entanglement(3000, 1.3, method="logdet")
    assert r.method == "logdet" and r.rank == -1 and r.spectrum.size == 0
    assert math.isnan(r.log_negativity)
    assert "entropy_error=" in repr(r)
    banded = pure_entanglement(3000, 1.3, method="banded")
    assert 0 < banded.entropy_error < 1e-7  # band truncation at eps = 1e-13 (Lidskii + Fannes)


@pytest.mark.parametrize("mass", [1e-14, 1e-11, 1e-6])
def test_trimmed_band_moves_the_spectrum_by_at_most_the_dropped_mass(mass):
    """Lidskii: sum_i |lambda_i(A) - lambda_i(A')| <= ||A - A'||_1 <= the dropped absolute sum."""
    _a, ab = _random_band_psd(120, 9, 5)
    ab = ab * np.exp(-(np.arange(10) ** 2) / 3.0)[:, None]  # decaying outer diagonals (still symmetric)
    full = np.zeros((120, 120))
    for d in range(10):
        full += np.diag(ab[d, : 120 - d], -d) + (np.diag(ab[d, : 120 - d], d) if d else 0)
    trimmed, cut = P._trim_band(ab, mass)
    assert cut <= mass and trimmed.shape[0] <= ab.shape[0]
    kept = np.zeros_like(full)
    for d in range(trimmed.shape[0]):
        kept += np.diag(trimmed[d, : 120 - d], -d) + (np.diag(trimmed[d, : 120 - d], d) if d else 0)
    shift = np.abs(np.linalg.eigvalsh(full) - np.linalg.eigvalsh(kept)).sum()
    assert shift <= cut + 1e-15
    if mass >= 1e-6:
        assert trimmed.shape[0] < ab.shape[0]  # something was dropped, so the check above has teeth


def test_shift_nodes_step_grows_smoothly_away_from_the_spectrum():
    lam_max, tr = 1e-3, 0.5
    u, wts, k_top, k_low = P._shift_nodes(300 * lam_max, 1e-13 * tr, 0.8, lam_max=lam_max, tr=tr)
    du = -np.diff(u)
    assert np.all(du > 0) and np.all(wts > 0)
    assert math.exp(u[k_top]) <= 300 * lam_max < math.exp(u[k_top - 1])
    assert math.exp(u[k_low - 1]) >= 1e-13 * tr > math.exp(u[k_low])
    near = np.abs(u[:-1] - math.log(lam_max)) < 2.0  # the step at the largest eigenvalues: close to 0.8
    assert near.sum() >= 2 and np.all((du[near] >= 0.8) & (du[near] < 0.95))
    assert du[0] == pytest.approx(0.8 * P._TOP_STEP, rel=1e-2)
    assert du[-1] == pytest.approx(0.8 * P._STEP_BELOW[-1][1], rel=1e-2)
    assert np.max(np.abs(np.diff(du)) / du[:-1]) < 0.25  # smooth: no jump in the step
    assert k_low - k_top < 26  # fewer factorisations than the uniform step (29 at N = 10^6)


def test_a_bound_over_the_budget_is_redone_with_a_finer_step(monkeypatch):
    """With a zero budget every block is redone with the finer step: a smaller bound, still honest."""
    n, t = 3000, 1.7
    dense = pure_entanglement(n, t, method="dense").entropy
    coarse = pure_entanglement(n, t, method="logdet")
    monkeypatch.setattr(P, "_LOGDET_BUDGET", 0.0)
    fine = pure_entanglement(n, t, method="logdet")
    assert fine.entropy_error < 0.5 * coarse.entropy_error
    assert abs(fine.entropy - dense) <= fine.entropy_error + 1e-11
