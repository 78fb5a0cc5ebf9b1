"""The M = 3 repeater (``opentangle.studies.ensembles.repeater``): dephasing, outcome-dependent correction, fidelity.

The brute-force reference below builds the three ensembles as 3N qubits with numpy ``kron``
(no Fock window, no Schwinger-boson formula, no code shared with the study).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import comb

from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.studies.ensembles import repeater_m3, repeater_states

# ----------------------------------------------------------------------------- brute force in qubit space
_I2, _Z, _X = np.eye(2), np.diag([1.0, -1.0]), np.array([[0.0, 1.0], [1.0, 0.0]])


def _kron(*ops):
    out = np.ones((1, 1))
    for op in ops:
        out = np.kron(out, op)
    return out


def _collective(op, n):
    """sum_i op_i on n qubits (dense)."""
    return sum(_kron(*[op if j == i else _I2 for j in range(n)]) for i in range(n))


def _entropy_bits(p):
    p = np.asarray(p)
    p = p[p > 1e-300]
    return float(-np.sum(p * np.log2(p)))


def brute_repeater(n, L, gamma, t=None):
    """Per outcome q: (p_q, pure end state psi (d x d), corrected state, F pure, F dephased) in qubit space."""
    t = 2 * np.pi / L if t is None else t
    phi = np.pi / (2 * L)
    d = 2**n
    sz = np.diag(_collective(_Z, n))  # S^z = 2k - N, |0> = mode a
    na = (sz + n) / 2
    one = np.ones(d)
    n1, n2, n3 = (np.einsum("a,b,c->abc", *v).ravel() for v in ((na, one, one), (one, na, one), (one, one, na)))
    s1, s2, s3 = (np.einsum("a,b,c->abc", *v).ravel() for v in ((sz, one, one), (one, sz, one), (one, one, sz)))
    plus = np.full(d**3, d**-1.5)
    psi = np.exp(1j * (n1 * n2 - n2 * n3) * t) * np.exp(1j * phi * n2) * plus  # e^{+iHt}, then e^{i phi n_2}
    # Lindblad with diagonal H and S^z: d rho_ab/dt = [i(H_a - H_b) - gamma/2 sum_j (s_ja - s_jb)^2] rho_ab
    rate = sum((s[:, None] - s[None, :]) ** 2 for s in (s1, s2, s3))
    rho = np.outer(psi, psi.conj()) * np.exp(-0.5 * gamma * t * rate)
    ev, vec = np.linalg.eigh(_collective(_X, n))
    ends_phase = np.exp(-0.5j * n * t * np.add.outer(na, -na).ravel())  # e^{-iNt n_1/2} e^{+iNt n_3/2}
    target = (np.exp(1j * t * np.outer(na, na)) / d).ravel()  # e^{+i t n_1 n_3} |+>^{2N}
    out = {}
    for q in range(n + 1):
        v = vec[:, np.isclose(ev, 2 * q - n)]
        proj = v @ v.conj().T
        r6 = rho.reshape(d, d, d, d, d, d)
        ends = np.einsum("abcxyz,yb->acxz", r6, proj).reshape(d * d, d * d)  # Tr_2[(1 x P x 1) rho]
        p = float(np.real(np.trace(ends)))
        if p < 1e-14:
            continue
        ends = ends_phase[:, None] * ends * ends_phase.conj()[None, :] / p
        _w, u = np.linalg.eigh(ends)
        out[q] = (p, u[:, -1].reshape(d, d), ends, target.reshape(d, d))
    return out


def brute_fidelities(pure, dephased=None):
    """Optimal-LU corrected fidelity (pure), corrected state, and dephased fidelity with the pure correction.

    ``pure`` and ``dephased`` are one outcome's entries of :func:`brute_repeater` at gamma = 0 and gamma > 0.
    The correction acts on the symmetric (Dicke) subspace of each end ensemble, where the states live;
    the SVDs are taken there, so the null space outside it plays no part.
    """
    _, psi_pure, _, target = pure
    ends = (dephased or pure)[2]
    e = _dicke(round(math.log2(psi_pure.shape[0])))
    a, s, vh = np.linalg.svd(e.T @ psi_pure @ e)
    c, st_, dh = np.linalg.svd(e.T @ target @ e)
    f_pure = float(np.sum(s * st_) ** 2)
    corrected = e @ ((c * s) @ dh) @ e.T
    pre = (e @ ((a * st_) @ vh) @ e.T).ravel()
    f_deph = float(np.real(pre.conj() @ ends @ pre))
    return f_pure, corrected, f_deph, s, st_


def _dicke(n):
    """(2^n, n + 1): column k is the normalised symmetric state with k qubits in |0> (mode a)."""
    sz = np.diag(_collective(_Z, n))
    k = ((sz + n) / 2).round().astype(int)
    e = np.zeros((2**n, n + 1))
    e[np.arange(2**n), k] = 1.0
    return e / np.sqrt(e.sum(axis=0))


def test_brute_force_exact_solution_matches_lindblad_integration():
    """The exact dephasing formula used by the brute force equals QuTiP's mesolve (N = 1 per ensemble, 3 qubits)."""
    qt = pytest.importorskip("qutip")
    n, t, gamma, phi = 1, 0.9, 0.3, math.pi / 4  # L = 2
    na = [qt.tensor(*[(qt.qeye(2) + qt.sigmaz()) / 2 if j == i else qt.qeye(2) for j in range(3)]) for i in range(3)]
    sz = [2 * x - n for x in na]
    h = na[0] * na[1] - na[1] * na[2]
    plus = qt.tensor(*[(qt.basis(2, 0) + qt.basis(2, 1)).unit()] * 3)
    # e^{+iHt}: QuTiP evolves with e^{-iHt}, so pass -H; L[rho] = gamma/2 sum (2 s rho s - s^2 rho - rho s^2)
    res = qt.mesolve(
        -h, qt.ket2dm(plus), [0, t], [math.sqrt(gamma) * s for s in sz], options={"atol": 1e-12, "rtol": 1e-10}
    )
    rot = (1j * phi * na[1]).expm()
    rho_q = (rot * res.states[-1] * rot.dag()).full()
    e = brute_repeater(n, 2, gamma, t=t)
    # rebuild the brute-force 3-ensemble rho with phi and compare through one outcome's end state
    proj = qt.tensor(qt.qeye(2), qt.ket2dm((qt.basis(2, 0) + qt.basis(2, 1)).unit()), qt.qeye(2)).full()
    ends = np.einsum("abcxbz->acxz", (proj @ rho_q @ proj).reshape(2, 2, 2, 2, 2, 2)).reshape(4, 4)
    p = float(np.real(np.trace(ends)))
    ph = np.exp(-0.5j * n * t * np.add.outer([1, 0], [-1, 0]).ravel())
    ends = ph[:, None] * ends * ph.conj()[None, :] / p
    assert p == pytest.approx(e[1][0], abs=1e-8)
    assert np.allclose(ends, e[1][2], atol=1e-8)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("L", [2, 3])
@pytest.mark.parametrize("gamma", [0.0, 0.01, 0.2])
def test_window_code_matches_full_hilbert_space(n, L, gamma):
    ref, pure = brute_repeater(n, L, gamma), brute_repeater(n, L, 0.0)
    r = repeater_m3(n, L=L, gamma=gamma, tol=1e-16)
    assert r.total_probability == pytest.approx(1.0, abs=1e-12)
    assert sorted(ref) == r.outcomes.tolist()
    compared = 0
    for q, p, f, unique in zip(r.outcomes, r.probabilities, r.fidelities, r.unique):
        f_pure, _, f_deph, _, _ = brute_fidelities(pure[q], ref[q])
        assert p == pytest.approx(ref[q][0], abs=1e-10)
        if gamma > 0 and not unique:  # the correction is not unique: only the pure fidelity is
            assert f <= f_pure + 1e-12
            continue
        compared += 1
        assert f == pytest.approx(f_deph if gamma > 0 else f_pure, abs=1e-10)
        assert f_deph == pytest.approx(f_pure, abs=1e-10) if gamma == 0 else f_deph <= f_pure + 1e-12
    assert compared >= 2


@pytest.mark.parametrize("n,L", [(2, 2), (3, 2), (3, 3), (3, 4)])
def test_corrected_states_match_full_hilbert_space(n, L):
    """U_1 psi_q U_3^T (Fock basis, embedded in the qubits) equals the brute-force corrected state."""
    ref = brute_repeater(n, L, 0.0)
    states = repeater_states(n, L=L, tol=1e-16)
    e = _dicke(n)
    compared = 0
    for q, cor in zip(states.outcomes, states.corrected):
        _, corrected, _, _s, st_ = brute_fidelities(ref[q])
        tgap = np.min(np.abs(np.diff(st_[: n + 1]))) if n > 0 else 1.0
        if tgap < 1e-6:  # degenerate target spectrum: the corrected state is not unique, the fidelity is
            continue
        assert np.allclose(e @ cor @ e.T, corrected, atol=1e-10)
        compared += 1
    assert compared >= 1 or L == 2  # at t = pi the target has two equal Schmidt coefficients
    assert np.allclose(e @ states.target @ e.T, ref[states.outcomes[0]][3], atol=1e-12)


# ----------------------------------------------------------------------------- today's numbers (gamma = 0)
# (N, L, tol, mean entropy, sum_q q p_q, most likely q, its p, its E): spins.repeater_m3 before the move
_TODAY = [
    (3, 2, 1e-10, 1.0, 1.5000000000000009, 3, 0.3125000000000001, 1.0),
    (20, 2, 1e-10, 0.9997401383118583, 10.000000000000009, 3, 0.12129267677664757, 0.9999999999447305),
    (20, 3, 1e-10, 1.5717701888157958, 10.000000000007887, 19, 0.11961560860094256, 1.5848856340352468),
    (20, 4, 1e-10, 1.907989682801262, 10.000008810801818, 20, 0.1152086460237354, 1.9980466214457415),
]


@pytest.mark.parametrize("row", _TODAY)
def test_gamma_zero_reproduces_previous_numbers(row):
    n, L, tol, mean_e, mean_q, q, p, e = row
    r = repeater_m3(n, L=L, tol=tol)
    i = int(np.argmax(r.probabilities))
    assert r.mean_entropy == pytest.approx(mean_e, abs=1e-12)
    assert float(np.sum(r.probabilities * r.outcomes)) == pytest.approx(mean_q, abs=1e-11)
    assert (int(r.outcomes[i]), r.probabilities[i], r.entropies[i]) == (
        q,
        pytest.approx(p, abs=1e-13),
        pytest.approx(e, abs=1e-11),
    )


# moved from tests/test_spins.py with repeater_m3
def _sy_schwinger(n):
    sy = np.zeros((n + 1, n + 1), complex)
    for k in range(n):
        v = math.sqrt((k + 1) * (n - k))
        sy[k + 1, k] += -1j * v
        sy[k, k + 1] += 1j * v
    return sy


@pytest.mark.parametrize("n,L", [(2, 2), (3, 2), (6, 3), (8, 4)])
def test_repeater_matches_three_ensemble_brute_force(n, L):
    t, phi = 2 * np.pi / L, np.pi / (2 * L)
    k = np.arange(n + 1)
    c = np.sqrt(comb(n, k) / 2.0**n)
    psi = (
        np.einsum("a,b,c->abc", c, c, c)
        * np.exp(1j * t * k[None, :, None] * (k[:, None, None] - k[None, None, :]))
        * np.exp(1j * phi * k)[None, :, None]
    )
    u = sla.expm(-1j * _sy_schwinger(n) * np.pi / 4)
    r = repeater_m3(n, L=L, tol=1e-16)
    assert r.total_probability == pytest.approx(1.0, abs=1e-12)
    for q, p, e in zip(r.outcomes, r.probabilities, r.entropies):
        ends = np.einsum("abc,b->ac", psi, u[:, q].conj())
        pb = float(np.sum(np.abs(ends) ** 2))
        assert p == pytest.approx(pb, abs=1e-12)
        assert e == pytest.approx(_entropy_bits(np.linalg.svd(ends / math.sqrt(pb), compute_uv=False) ** 2), abs=1e-9)


def test_repeater_probabilities_sum_to_one_windowed():
    r = repeater_m3(200, L=3, tol=1e-10, method="window")
    assert r.total_probability == pytest.approx(1.0, abs=1e-8)
    assert np.all(r.entropies <= math.log2(r.window.size) + 1e-9)
    assert 0 < r.mean_entropy <= math.log2(3) + 0.1


# ----------------------------------------------------------------------------- invariants, large N, errors
@pytest.mark.parametrize("n", [3, 8])
def test_fidelity_bounded_and_decreasing_with_gamma(n):
    gammas = [0.0, 1e-3, 1e-2, 0.1, 1.0]
    rs = [repeater_m3(n, L=2, gamma=g, tol=1e-12) for g in gammas]
    for r in rs:
        assert r.total_probability == pytest.approx(1.0, abs=1e-12)
        assert np.all(r.fidelities <= 1 + 1e-12) and np.all(r.fidelities >= -1e-12)
    means = [r.mean_fidelity for r in rs]
    assert all(b < a for a, b in itertools.pairwise(means)), means
    assert means[-1] < 0.5 * means[0]


@settings(max_examples=15, deadline=None)
@given(n=st.integers(2, 6), L=st.integers(2, 5), t=st.floats(0.05, 6.2), gamma=st.sampled_from([0.0, 0.05]))
def test_probabilities_sum_to_one_and_fidelity_le_one(n, L, t, gamma):
    r = repeater_m3(n, L=L, t=t, gamma=gamma, tol=1e-16)
    assert r.total_probability == pytest.approx(1.0, abs=1e-12)
    assert np.all(r.fidelities <= 1 + 1e-12)
    assert np.all(r.fidelities >= r.fidelities_uncorrected - 1e-12) if gamma == 0 else True


@pytest.mark.parametrize("n,L", [(20, 2), (20, 3), (20, 4), (60, 3)])
def test_magic_method_matches_window(n, L):
    w, m = repeater_m3(n, L=L, method="window", tol=1e-14), repeater_m3(n, L=L, method="magic")
    fm, pm = dict(zip(m.outcomes.tolist(), m.fidelities)), dict(zip(m.outcomes.tolist(), m.probabilities))
    for q, p, f in zip(w.outcomes.tolist(), w.probabilities, w.fidelities):
        assert pm[q] == pytest.approx(p, abs=1e-12)
        assert fm[q] == pytest.approx(f, abs=1e-8 / max(p, 1e-4))
    assert m.mean_entropy == pytest.approx(w.mean_entropy, abs=1e-10)
    assert m.target_entropy == pytest.approx(w.target_entropy, abs=1e-10)


def test_large_n_magic_time():
    r = repeater_m3(10**5, L=4)
    assert r.method == "magic" and r.total_probability == pytest.approx(1.0, abs=1e-8)
    assert r.mean_entropy == pytest.approx(2.0, abs=1e-8) and r.mean_fidelity == pytest.approx(1.0, abs=1e-8)


def test_bad_input_and_caps():
    with pytest.raises(InvalidParameterError, match="L must be"):
        repeater_m3(10, L=0)
    with pytest.raises(InvalidParameterError, match="gamma"):
        repeater_m3(10, L=2, gamma=-1.0)
    with pytest.raises(InvalidParameterError, match="magic"):
        repeater_m3(10, L=2, t=1.0, method="magic")
    with pytest.raises(DimensionError, match="max_dephased_window"):
        repeater_m3(1000, L=2, gamma=0.01)
