"""Tests of opentangle.spins: Fock windows, coherent overlaps, two-ensemble entanglement, dephasing, repeater."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.linalg as sla
from scipy.special import comb
from scipy.stats import binom

from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.spins import (
    binomial_amplitudes,
    coherent_overlap,
    dephased_log_negativity,
    dephased_state,
    entropy_curve,
    fock_window,
    pure_entanglement,
    sx_outcome_amplitudes,
    x_coherent_state,
)


def _entropy_bits(p):
    p = np.asarray(p)
    p = p[p > 1e-300]
    return float(-np.sum(p * np.log2(p)))


def brute_entropy(n, t):
    """Independent route: the full (N+1) x (N+1) amplitude matrix psi_{k1 k2} and its SVD."""
    k = np.arange(n + 1)
    c = np.sqrt(binom.pmf(k, n, 0.5))
    psi = np.outer(c, c) * np.exp(1j * np.remainder(np.outer(k, k) * t, 2 * np.pi))
    return _entropy_bits(np.linalg.svd(psi, compute_uv=False) ** 2)


def full_overlap_entropy(n, t):
    """Full Fock basis (no window) with the closed-form overlaps: rho1 = C G C."""
    k = np.arange(n + 1)
    c = binomial_amplitudes(n, k)
    rho = np.outer(c, c) * coherent_overlap(n, (k[:, None] - k[None, :]) * t)
    return _entropy_bits(np.linalg.eigvalsh(rho))


# ----------------------------------------------------------------------------- Fock window
def test_window_discarded_weight_and_tol():
    for n in (10, 1000, 10**6):
        for tol in (1e-4, 1e-10):
            win = fock_window(n, tol=tol)
            assert win.discarded_weight <= tol
            assert win.k_min + win.k_max == n  # symmetric
            # one state narrower on each side would discard more than tol
            if win.k_min > 0:
                wider = fock_window(n, w=(win.k_max - 1 - n / 2) / math.sqrt(n))
                assert wider.discarded_weight > tol or wider.size == win.size
    win = fock_window(10**6, w=3.0)
    assert win.size == 6001
    assert win.discarded_weight == pytest.approx(math.erfc(3 * math.sqrt(2)), rel=0.05)
    assert fock_window(20, tol=1e-300).is_full


def test_binomial_amplitudes_log_space_large_n():
    n = 10**6
    win = fock_window(n, tol=1e-12)
    c = binomial_amplitudes(n, win.k)
    assert np.all(np.isfinite(c))
    assert np.sum(c**2) == pytest.approx(1 - win.discarded_weight, abs=1e-12)
    # agrees with exact small-N binomials
    k = np.arange(31)
    assert np.allclose(binomial_amplitudes(30, k) ** 2, comb(30, k) / 2.0**30, rtol=1e-12, atol=0)


def test_coherent_overlap_closed_form():
    n = 12
    for a, b in [(0.3, -1.1), (2.0, 2.0), (5.0, 0.1)]:
        ov = np.vdot(x_coherent_state(n, phase=b), x_coherent_state(n, phase=a))
        assert coherent_overlap(n, a - b) == pytest.approx(ov, abs=1e-13)
    # N = 10^6 does not overflow / underflow to nan
    v = coherent_overlap(10**6, np.array([0.0, 1e-3, 0.01, np.pi, 2 * np.pi]))
    assert np.all(np.isfinite(v))
    assert abs(v[0]) == pytest.approx(1.0) and abs(v[4]) == pytest.approx(1.0)
    assert abs(v[1]) == pytest.approx(math.exp(-1e6 * 1e-6 / 8), rel=1e-5)


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="n_atoms"):
        pure_entanglement(0, 1.0)
    with pytest.raises(InvalidParameterError, match="n_atoms"):
        fock_window(2.5)
    with pytest.raises(InvalidParameterError, match="finite"):
        pure_entanglement(10, float("nan"))
    with pytest.raises(InvalidParameterError, match="gamma"):
        dephased_log_negativity(4, 1.0, -0.1)
    with pytest.raises(InvalidParameterError, match="method"):
        pure_entanglement(10, 1.0, method="magic")
    with pytest.raises(DimensionError, match="max_dim"):
        dephased_log_negativity(10**4, 1.0, 0.1)
    with pytest.raises(InvalidParameterError, match="tol"):
        fock_window(10, tol=0.0)
    # the largest ensemble is capped at what is tested (10^7); 10^8 and 10^9 would not finish
    assert fock_window(10**7).size > 20000
    for big in (10**7 + 1, 10**8, 10**9, 1e12):
        with pytest.raises(InvalidParameterError, match="n_atoms must be <= 1e\\+07"):
            pure_entanglement(big, 1.0)


# ----------------------------------------------------------------------------- pure-state entanglement
@pytest.mark.parametrize("n", [1, 2, 3, 20, 21, 64])
def test_fast_path_matches_brute_force_small_n(n):
    for t in (0.0, 0.37, np.pi / 2, 2 * np.pi / 3, np.pi, 2.5, 2 * np.pi, 7.1, -1.3):
        ref = brute_entropy(n, t)
        for method in ("auto", "banded", "lowrank", "dense"):
            got = pure_entanglement(n, t, tol=1e-15, method=method).entropy
            assert got == pytest.approx(ref, abs=1e-9), (n, t, method)


@pytest.mark.parametrize("n,t", [(500, 1.0), (500, np.pi / 2 + 1e-3), (501, 0.05), (1200, 2.2), (1200, 2 * np.pi / 7)])
def test_window_matches_full_fock_basis(n, t):
    ref = full_overlap_entropy(n, t)
    r = pure_entanglement(n, t, tol=1e-10)
    assert r.window.size < n + 1
    assert r.entropy == pytest.approx(ref, abs=5e-8)
    assert brute_entropy(n, t) == pytest.approx(ref, abs=1e-8)  # the closed-form overlaps themselves


@pytest.mark.slow
@pytest.mark.parametrize("t", [1.0, 0.3, np.pi / 2 + 1e-4])
def test_window_matches_full_fock_basis_n2000(t):
    n = 2000
    ref = full_overlap_entropy(n, t)
    for w in (3.0, None):
        r = pure_entanglement(n, t, w=w)
        assert r.entropy == pytest.approx(ref, abs=1e-6 if w else 5e-8)


def test_magic_times_n20_reference_values():
    # Byrnes, PRA 88, 023609 (2013): E(pi/2) = 2.0000, E(2pi/3) = 1.5850, E(pi) = 1.0000, E(2pi) = 0
    for t, ref in ((np.pi / 2, 2.0), (2 * np.pi / 3, 1.5850), (np.pi, 1.0), (2 * np.pi, 0.0)):
        assert pure_entanglement(20, t).entropy == pytest.approx(ref, abs=5e-5)


def test_magic_times_large_n_exact():
    n = 10**6
    for L in (2, 3, 4, 7, 16, 50):
        r = pure_entanglement(n, 2 * np.pi / L)
        assert r.entropy == pytest.approx(math.log2(L), abs=1e-8)
        assert r.rank <= L + 2
        assert r.log_negativity == pytest.approx(math.log2(L), abs=1e-6)


def _brute_entropy_unreduced(n, t):
    """Full Fock-basis SVD with the phase k1 k2 t taken as is (no mod 2 pi, no reflection symmetry)."""
    k = np.arange(n + 1)
    c = np.sqrt(binom.pmf(k, n, 0.5))
    return _entropy_bits(np.linalg.svd(np.outer(c, c) * np.exp(1j * np.outer(k, k) * t), compute_uv=False) ** 2)


@pytest.mark.parametrize("n", [20, 33])
def test_periodicity_and_mirror_symmetry_against_full_basis(n):
    """The engine reduces t mod 2 pi and uses the reflection k -> N - k, so E(2pi - t) = E(t) holds
    for it by construction; compare instead against an independent full-basis SVD at t."""
    for t in (0.4, 1.9, 2.8, 4.4):
        ref = _brute_entropy_unreduced(n, t)
        assert _brute_entropy_unreduced(n, 2 * np.pi - t) == pytest.approx(ref, abs=1e-9)  # the physics itself
        assert _brute_entropy_unreduced(n, t + 2 * np.pi) == pytest.approx(ref, abs=1e-9)
        for tt in (2 * np.pi - t, t + 2 * np.pi, -t, t - 4 * np.pi):
            assert pure_entanglement(n, tt, tol=1e-15).entropy == pytest.approx(ref, abs=1e-9), (n, t, tt)


@pytest.mark.parametrize("t", [0.4, 2.8])
def test_window_mirror_and_shift_match_full_basis_n500(t):
    """Fast (non-slow) window-vs-full-basis check at moderate N, at 2 pi - t and t + 2 pi."""
    n = 500
    ref = brute_entropy(n, t)
    for tt in (2 * np.pi - t, t + 2 * np.pi):
        r = pure_entanglement(n, tt, tol=1e-10)
        assert r.window.size < n + 1
        assert r.entropy == pytest.approx(ref, abs=5e-8), tt


def test_entropy_and_log_negativity_never_negative():
    # E(2 pi) = 0 and E(0) = 0: rounding used to give -1e-16 (reached the --json output)
    for n in (20, 21, 1000):
        for t in (0.0, 2 * np.pi, -2 * np.pi, 4 * np.pi):
            r = pure_entanglement(n, t)
            assert 0.0 <= r.entropy < 1e-12 and 0.0 <= r.log_negativity < 1e-12
    for t, g in ((2 * np.pi, 0.0), (0.0, 0.1), (1.0, 50.0)):
        ln, _ = dephased_log_negativity(6, t, g)
        assert ln >= 0.0


def test_banded_path_with_power_of_two_band_storage():
    # b = 31 (32 band rows) is padded by one zero row to dodge a slow LAPACK case: same spectrum
    n, t = 40000, 5e-3
    r = pure_entanglement(n, t, method="banded")
    assert r.bandwidth in (15, 31)
    assert r.entropy == pytest.approx(pure_entanglement(n, t, method="dense").entropy, abs=1e-9)


def test_large_n_generic_point_invariants():
    """N = 10^6 at a generic time: a valid spectrum, bounded by the Shannon entropy of the window."""
    n = 10**6
    r = pure_entanglement(n, 1.0)
    assert r.spectrum.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(r.spectrum >= 0)
    # rho1 = C G C with G a Gram matrix: E <= H(binomial) ~ 0.5 log2(pi e N / 2)
    assert 0 < r.entropy <= 0.5 * math.log2(math.pi * math.e * n / 2) + 1e-6
    # t = 1 is close to 2 pi * 113 / 710: E ~ log2(710) (derived)
    assert abs(r.entropy - math.log2(710)) < 0.05


def test_entropy_curve_workers_agree():
    ts = np.linspace(0.1, 3.0, 4)
    a = entropy_curve(100, ts)
    b = entropy_curve(100, ts, workers=2)
    assert np.allclose(a, b, atol=1e-12)


# ----------------------------------------------------------------------------- dephasing
def test_dephasing_exact_solution_matches_lindblad_n3():
    qt = pytest.importorskip("qutip")
    n, gamma, T = 3, 0.2, 0.7
    num = qt.num(n + 1)
    sz = 2 * num - n
    eye = qt.qeye(n + 1)
    c = np.sqrt(comb(n, np.arange(n + 1)) / 2.0**n)
    psi0 = qt.tensor(qt.Qobj(c), qt.Qobj(c))
    # The paper writes psi(t) with e^{+i k1 k2 t}: the generator is -H in QuTiP's convention
    res = qt.mesolve(
        -qt.tensor(num, num),
        psi0 * psi0.dag(),
        [0, T],
        c_ops=[math.sqrt(gamma) * qt.tensor(sz, eye), math.sqrt(gamma) * qt.tensor(eye, sz)],
        options={"atol": 1e-12, "rtol": 1e-10},
    )
    rho, win = dephased_state(n, T, gamma, tol=1e-16)
    assert win.is_full
    assert np.max(np.abs(rho - res.states[-1].full())) < 1e-8


def test_log_negativity_pure_limit_and_monotone_in_gamma():
    for n, t in ((20, np.pi), (20, 1.1), (7, 0.4)):
        ln0, _ = dephased_log_negativity(n, t, 0.0, tol=1e-14)
        assert ln0 == pytest.approx(pure_entanglement(n, t, tol=1e-14).log_negativity, abs=1e-9)
    vals = [dephased_log_negativity(12, np.pi / 2, g)[0] for g in (0.0, 0.01, 0.1, 1.0)]
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(vals))
    assert vals[-1] < 0.05


@pytest.mark.parametrize("t", [1e6 + 0.3, 1e15 + 0.3, 1e306])
def test_dephased_large_t_matches_pure_path(t):
    """pure_state_matrix reduces t mod 2 pi before k1 k2 t: no overflow, no precision loss at large t."""
    from opentangle.spins import pure_state_matrix

    n = 12
    # t mod 2 pi with 200 digits of pi (math.fmod(t, 2 * math.pi) uses the float 2 pi: 0.04 rad off at
    # t = 1e15); 200 digits do not reach t = 1e306, where the exact reduction is checked by its
    # doubling property (test_reduce_mod_2pi_doubling_property) and this test checks no overflow
    from opentangle.spins.fock import reduce_mod_2pi

    tt = float(_decimal_mod_2pi(t)) if t < 1e150 else reduce_mod_2pi(t)
    k = np.arange(n + 1)
    c = np.sqrt(binom.pmf(k, n, 0.5))
    sv = np.linalg.svd(np.outer(c, c) * np.exp(1j * np.outer(k, k) * tt), compute_uv=False)
    ref = 2 * math.log2(sv.sum())  # pure-state log-negativity from singular values
    ln0, win = dephased_log_negativity(n, t, 0.0, tol=1e-15)
    ln_tiny, _ = dephased_log_negativity(n, t, 1e-320, tol=1e-15)
    assert np.isfinite(ln0) and ln0 == pytest.approx(ref, abs=1e-9)
    assert ln_tiny == pytest.approx(ref, abs=1e-9)
    # the gamma = 0 engine path (reduces t mod 2 pi itself); its log-negativity, built from
    # sqrt of eigenvalues, is only good to ~1e-7 here (an eigenvalue of 1e-27 is lost)
    assert pure_entanglement(n, t, tol=1e-15).log_negativity == pytest.approx(ln_tiny, abs=1e-6)
    # the amplitudes equal the exactly reduced phase: k1 k2 t mod 2 pi with integer k1 k2
    k = win.k
    expect = np.outer(binomial_amplitudes(n, k), binomial_amplitudes(n, k)) * np.exp(1j * np.outer(k, k) * tt)
    assert np.allclose(pure_state_matrix(n, t, window=win), expect / np.linalg.norm(expect), atol=1e-12)


def test_dephased_huge_gamma_t_has_no_nan():
    rho, _ = dephased_state(4, 1e300, 1e300)
    assert np.all(np.isfinite(rho)) and np.trace(rho).real == pytest.approx(1.0)
    assert dephased_log_negativity(4, 1e300, 1e300)[0] == pytest.approx(0.0, abs=1e-12)


def test_log_negativity_matches_partial_transpose_oracle():
    from opentangle.operators import partial_transpose

    rho, win = dephased_state(6, 0.9, 0.05, tol=1e-16)
    d = win.size
    ev = np.linalg.eigvalsh(partial_transpose(rho, 1, [d, d]))
    assert dephased_log_negativity(6, 0.9, 0.05, tol=1e-16)[0] == pytest.approx(math.log2(np.abs(ev).sum()), abs=1e-12)


# ----------------------------------------------------------------------------- repeater M = 3
def _sy_schwinger(n):
    sy = np.zeros((n + 1, n + 1), complex)
    for k in range(n):
        v = math.sqrt((k + 1) * (n - k))  # a^dag b |k> = sqrt((k+1)(N-k)) |k+1>
        sy[k + 1, k] += -1j * v
        sy[k, k + 1] += 1j * v
    return sy


def test_sx_amplitudes_match_rotation_matrix():
    n = 7
    u = sla.expm(-1j * _sy_schwinger(n) * np.pi / 4)
    for alpha in (0.0, 0.8, 2.5, 4.0, -1.0):
        chi = x_coherent_state(n, phase=alpha)
        ref = u.conj().T @ chi
        got = sx_outcome_amplitudes(n, np.arange(n + 1), np.full(n + 1, alpha))
        assert np.allclose(got, ref, atol=1e-12)


# the repeater tests moved to tests/test_repeater.py with repeater_m3 (studies.ensembles.repeater)


# ----------------------------------------------------------------------------- exact phase reduction (issue 13.4)
# pi to 200 decimals (the standard published digits), independent of the Machin integer code in spins.fock
_PI200 = (
    "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798"
    "214808651328230664709384460955058223172535940812848111745028410270193852110555964462294895493038196"
)


def _decimal_mod_2pi(t, prec=260):
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = prec
        two_pi = 2 * Decimal(_PI200)
        return Decimal(t) % two_pi if t >= 0 else (Decimal(t) % two_pi + two_pi) % two_pi


@pytest.mark.parametrize("t", [7.0, -3.0, 1e14, -1e14, 123456.789, 2.0**60, 1e100, 1.7e150, 6.283185307179586])
def test_reduce_mod_2pi_against_decimal_pi(t):
    from opentangle.spins.fock import reduce_mod_2pi

    ref, got = float(_decimal_mod_2pi(t)), reduce_mod_2pi(t)
    d = abs(got - ref)
    assert min(d, 2 * math.pi - d) <= 1e-15  # on the circle: 0 and 2 pi are the same phase
    assert 0.0 <= got < 2 * math.pi


def test_reduce_mod_2pi_doubling_property():
    """(2t) mod 2pi = 2 (t mod 2pi) mod 2pi, also where decimal's 200 digits would not suffice (t ~ 1e300)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from opentangle.spins.fock import reduce_mod_2pi

    @settings(max_examples=200, deadline=None)
    @given(st.floats(min_value=-8e307, max_value=8e307, allow_nan=False))
    def prop(t):
        r2 = reduce_mod_2pi(2 * t)
        expect = math.fmod(2 * reduce_mod_2pi(t), 2 * math.pi)
        d = abs(r2 - expect)
        assert min(d, 2 * math.pi - d) <= 4e-15

    prop()
    with pytest.raises(InvalidParameterError):
        reduce_mod_2pi(math.inf)


def _hp_entropy(n, t):
    """Independent: every phase k k' t reduced mod 2 pi in 80-digit decimal arithmetic, then a full-basis SVD."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 80
        two_pi, td = 2 * Decimal(_PI200), Decimal(t)
        prods = {a * b for a in range(n + 1) for b in range(n + 1)}
        red = {p: float((p * td) % two_pi) for p in prods}
    k = np.arange(n + 1)
    ph = np.vectorize(red.__getitem__)(np.outer(k, k))
    c = np.sqrt(binom.pmf(k, n, 0.5))
    s = np.linalg.svd(np.outer(c, c) * np.exp(1j * ph), compute_uv=False) ** 2
    return _entropy_bits(s / s.sum())


def test_entropy_at_t_1e14_matches_high_precision_computation():
    ref = _hp_entropy(200, 1e14)
    assert pure_entanglement(200, 1e14).entropy == pytest.approx(ref, abs=1e-8)
    # the float 2 pi reduction was 0.3 bits off here: the test can tell the two apart
    assert abs(pure_entanglement(200, float(np.remainder(1e14, 2 * np.pi))).entropy - ref) > 0.1
    # the dephased (gamma = 0) path reduces the same way
    assert dephased_log_negativity(20, 1e14, 0.0)[0] == pytest.approx(
        pure_entanglement(20, 1e14).log_negativity, abs=1e-6
    )
