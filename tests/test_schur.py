"""Schur-basis representation of permutation-invariant states (opentangle.spins.schur)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentangle.errors import DimensionError, InvalidParameterError, InvalidStateError
from opentangle.lindblad.permutation import _occupations
from opentangle.measures import average_negativity, negativity
from opentangle.operators import partial_trace, random_unitary, spin_operators
from opentangle.spins import PIState, multiplicity
from opentangle.spins.schur import _cg_rows, _cg_table, _fock_unitary
from opentangle.states import ghz_state


# ----------------------------------------------------------------------------- helpers (independent of the module)
def symmetrise(rho: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros_like(rho)
    for perm in itertools.permutations(range(n)):
        axes = list(perm) + [x + n for x in perm]
        out += rho.reshape((2,) * (2 * n)).transpose(axes).reshape(2**n, 2**n)
    return out / math.factorial(n)


def random_pi_state(n: int, seed: int) -> np.ndarray:
    """Entangled PI state: a random symmetric-subspace pure state mixed with a symmetrised random pure state."""
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    mixed = symmetrise(np.outer(psi, psi.conj()) / np.vdot(psi, psi).real, n)
    c = rng.normal(size=n + 1) + 1j * rng.normal(size=n + 1)
    sym = np.zeros(2**n, complex)
    for x in range(2**n):  # Dicke expansion sum_w c_w |D_n^w>
        w = bin(x).count("1")
        sym[x] = c[w] / math.sqrt(math.comb(n, w))
    sym /= np.linalg.norm(sym)
    p = rng.uniform(0.3, 0.9)
    return p * np.outer(sym, sym.conj()) + (1 - p) * mixed


def random_blocks(n: int, seed: int, sym: str = "none", rank: int = 2) -> PIState:
    """A random PI state from random low-rank PSD Schur blocks (``sym``: "none", "z2" or "u1" pinching)."""
    rng = np.random.default_rng(seed)
    blocks = []
    for tj in range(n % 2, n + 1, 2):
        g = rng.normal(size=(tj + 1, rank)) + 1j * rng.normal(size=(tj + 1, rank))
        b = g @ g.conj().T * rng.uniform(0.2, 1.0) * 4.0 ** (tj - n)  # weight on the large spins
        i, j = np.indices(b.shape)
        if sym == "z2":
            b = np.where((i - j) % 2 == 0, b, 0.0)
        elif sym == "u1":
            b = np.where(i == j, b, 0.0)
        blocks.append(b)
    total = sum(multiplicity(n, tj / 2) * np.trace(b).real for tj, b in zip(range(n % 2, n + 1, 2), blocks))
    return PIState(n=n, blocks=tuple(b / total for b in blocks))


def tensor_power(u: np.ndarray, n: int) -> np.ndarray:
    out = np.eye(1)
    for _ in range(n):
        out = np.kron(out, u)
    return out


def dicke_negativity(n: int, w: int, k: int) -> float:
    """|D_n^w> across k | n-k: Schmidt coefficients C(k,i) C(n-k,w-i) / C(n,w) (hypergeometric)."""
    lam = [math.comb(k, i) * math.comb(n - k, w - i) / math.comb(n, w) for i in range(min(k, w) + 1)]
    return (sum(math.sqrt(x) for x in lam) ** 2 - 1) / 2


def dicke_spin_state(n: int, w: int) -> np.ndarray:
    rho = np.zeros((n + 1, n + 1))
    rho[w, w] = 1.0  # basis m = n/2 - i: index w has w excitations (qubits in |1>)
    return rho


# ----------------------------------------------------------------------------- building blocks
def test_fock_unitary_one_boson_is_the_matrix_and_unitary():
    u = random_unitary(2, seed=3)
    d1 = _fock_unitary(u, 1)  # basis k = bosons in mode 0: index 0 = |0, 1>, index 1 = |1, 0>
    assert np.allclose(d1, u[::-1, ::-1], atol=1e-13)
    d = _fock_unitary(u, 30)
    assert np.allclose(d.conj().T @ d, np.eye(31), atol=1e-12)


@pytest.mark.parametrize("ja2, jb2", [(1, 1), (3, 2), (6, 9), (20, 13)])
def test_clebsch_gordan_table_is_orthogonal_and_coupled(ja2, jb2):
    table, twoj = _cg_table(ja2, jb2)
    da, db = ja2 + 1, jb2 + 1
    cols = []
    for l, tj in enumerate(twoj):
        for m2 in range(tj, -tj - 1, -2):
            ma = ja2 / 2 - np.arange(da)
            mb = jb2 / 2 - np.arange(db)
            layer = np.abs(ma[:, None] + mb[None, :] - m2 / 2) < 1e-9
            cols.append(np.where(layer, table[:, :, l], 0.0).ravel())
    c = np.array(cols).T
    assert c.shape == (da * db, da * db)
    assert np.allclose(c.T @ c, np.eye(da * db), atol=1e-10)
    # the columns are |J M>: total J^2 = J(J+1)
    ops_a, ops_b = spin_operators(ja2 / 2), spin_operators(jb2 / 2)
    j2 = sum(np.linalg.matrix_power(np.kron(a, np.eye(db)) + np.kron(np.eye(da), b), 2) for a, b in zip(ops_a, ops_b))
    vals = np.concatenate([[tj / 2 * (tj / 2 + 1)] * (tj + 1) for tj in twoj])
    assert np.allclose(j2 @ c, c * vals, atol=1e-9)
    for l, tj in enumerate(twoj):  # Condon-Shortley: <jA jA; jB J-jA | J J> > 0
        assert table[0, (jb2 - tj + ja2) // 2, l] > 0


@pytest.mark.parametrize("ja2, jb2", [(0, 0), (1, 0), (0, 3), (3, 2), (6, 9), (9, 6), (20, 13), (12, 38), (49, 51)])
def test_layered_clebsch_gordan_rows_equal_the_table(ja2, jb2):
    """The layer-at-a-time recursion of the fast path against the full-array one it replaces."""
    rows, twoj = _cg_rows(ja2, jb2)
    table, twoj_ref = _cg_table(ja2, jb2)
    assert np.array_equal(twoj, twoj_ref)
    assert np.abs(rows - table.reshape(rows.shape)).max() < 1e-14


def test_multiplicities_count_the_hilbert_space():
    for n in (1, 2, 7, 12, 40):
        assert sum(multiplicity(n, t / 2) * (t + 1) for t in range(n % 2, n + 1, 2)) == 2**n
        assert sum((t + 1) ** 2 for t in range(n % 2, n + 1, 2)) == math.comb(n + 3, 3)


# ----------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("n", [2, 5, 8])
def test_dicke_states_dense_closed_form(n):
    for w in range(n + 1):
        st_ = PIState.from_spin(dicke_spin_state(n, w))
        for k in range(1, n):
            assert abs(st_.negativity(k) - dicke_negativity(n, w, k)) < 1e-10
        if n <= 8:  # the Schur path against the dense partial transpose
            rho = st_.to_dense()
            assert abs(negativity(rho, [2] * n, part_a=list(range(n // 2))) - dicke_negativity(n, w, n // 2)) < 1e-10


@pytest.mark.parametrize("n, w", [(30, 15), (41, 7), (60, 30)])
def test_dicke_states_large_n_closed_form(n, w):
    st_ = PIState.from_spin(dicke_spin_state(n, w))
    for k in (1, 5, n // 2):
        exact = dicke_negativity(n, w, k)
        assert abs(st_.negativity(k) - exact) < 1e-9 * max(1.0, exact)


@pytest.mark.parametrize("n", [3, 4, 7])
def test_ghz_dense_every_cut_one_half(n):
    st_ = PIState.from_dense(ghz_state(n))
    for k in range(1, n):
        assert abs(st_.negativity(k) - 0.5) < 1e-12
    assert abs(st_.average_negativity() - 0.5) < 1e-12


def test_ghz_large_n_from_spin():
    n = 40
    psi = np.zeros(n + 1)
    psi[0] = psi[-1] = 1 / math.sqrt(2)
    st_ = PIState.from_spin(np.outer(psi, psi))
    neg = st_.negativities()
    assert np.allclose(neg.by_k, 0.5, atol=1e-10) and abs(neg.average - 0.5) < 1e-10


# ----------------------------------------------------------------------------- full space against Schur
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_random_pi_states_against_dense(n):
    rho = random_pi_state(n, seed=10 + n)
    st_ = PIState.from_dense(rho)
    assert np.abs(st_.to_dense() - rho).max() < 1e-12
    for k in range(1, n):
        assert abs(st_.negativity(k) - negativity(rho, [2] * n, part_a=list(range(k)))) < 1e-10
    assert abs(st_.average_negativity() - average_negativity(rho, [2] * n)) < 1e-10
    assert st_.negativity(n // 2) > 1e-3  # the test states are entangled
    for k in range(1, min(n, 4) + 1):
        assert np.abs(st_.reduced_state(k) - partial_trace(rho, list(range(k)), [2] * n)).max() < 1e-12


@pytest.mark.slow
@pytest.mark.parametrize("n", [7, 8])
def test_random_pi_states_against_dense_slow(n):
    test_random_pi_states_against_dense(n)


@pytest.mark.parametrize("n", [4, 5])
def test_larger_side_transposed_gives_the_same_negativity(n):
    """N_{N-k} summed with A the larger side (transposing the other factor of the same blocks)."""
    st_ = PIState.from_dense(random_pi_state(n, seed=3 * n))
    for k in range(1, n // 2 + 1):
        big = n - k
        total = sum(  # the reference path keeps ordered pairs: (jA, jB) here with A the larger side
            multiplicity(big, ja2 / 2) * multiplicity(k, jb2 / 2) * st_._nu(ja2, jb2, "reference")[0]
            for ja2 in range(big % 2, big + 1, 2)
            for jb2 in range(k % 2, k + 1, 2)
        )
        assert abs(total - st_.negativity(k)) < 1e-10


@pytest.mark.parametrize("n, rtol", [(40, 1e-9), pytest.param(50, 1e-8, marks=pytest.mark.slow)])
def test_product_state_conversion_is_exact(n, rtol):
    """rho_1^{(x)N}: rho_J = det^{N/2-J} Sym^{2J}(rho_1), known exactly; t(n) = b^{n_X} exactly."""
    b = 0.5
    occ, lookup = _occupations(n)
    t = np.where((occ[:, 2] == 0) & (occ[:, 3] == 0), b ** occ[:, 1].astype(float), 0.0)
    st_ = PIState.from_correlations(t, n=n, occupations=occ, lookup=lookup)
    l1, l2 = (1 + b) / 2, (1 - b) / 2
    for tj, blk in zip(st_.twojs, st_.blocks):
        j = tj / 2
        m = j - np.arange(tj + 1)
        exact = np.sort((l1 * l2) ** (n / 2 - j) * l1 ** (j + m) * l2 ** (j - m))
        assert np.abs(np.linalg.eigvalsh(blk) - exact).max() < rtol * exact.max()
    assert abs(st_.populations.sum() - 1) < 1e-12
    assert st_.negativity(2) < 1e-12  # a product state


def test_from_symmetric_reduced_states_match_the_correlations():
    from opentangle.studies import reset as R

    ss = R.symmetric_solve(R.ResetParams(n=20, g=3.0, r=20.0))
    st_ = PIState.from_symmetric(ss)
    for k in (1, 2, 3):
        assert np.abs(st_.reduced_state(k) - ss.reduced_state(k)).max() < 1e-12
    assert st_.min_eigenvalue() > -1e-12 and abs(st_.populations.sum() - 1) < 1e-12
    neg = st_.negativities()
    assert neg.symmetry == "Z2" and neg.errors[-1] < 1e-10


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 8), sym=st.sampled_from(["none", "z2", "u1"]))
def test_random_block_states_against_the_full_space(seed, n, sym):
    """Random PI states (random Schur blocks, rotated) against the 2^N partial transpose, to 1e-8."""
    st_ = random_blocks(n, seed, sym).rotated(random_unitary(2, seed=seed + 1))
    rho = st_.to_dense()
    dims = [2] * n
    for k in range(1, n // 2 + 1):
        assert abs(st_.negativity(k) - negativity(rho, dims, part_a=list(range(k)))) < 1e-8
    assert abs(st_.average_negativity() - average_negativity(rho, dims, symmetric=True)) < 1e-8


@pytest.mark.parametrize("sym", ["none", "z2", "u1"])
def test_fast_path_agrees_with_the_reference_n10_to_20(sym):
    """method="fast" (unordered pairs, layered CG, per-class products) against the previous implementation."""
    for n, seed in ((10, 1), (13, 2), (16, 3), (20, 4)):
        st_ = random_blocks(n, seed, sym)
        fast = st_.negativities()
        ref = PIState(n=n, blocks=st_.blocks).negativities(method="reference")
        scale = max(1.0, float(ref.by_k.max()))
        assert np.abs(fast.by_k - ref.by_k).max() < 1e-12 * scale and abs(fast.average - ref.average) < 1e-12 * scale
        assert np.allclose(fast.errors, ref.errors, rtol=0.5) and fast.symmetry == ref.symmetry
        assert ref.half > 1e-6  # entangled, so the comparison is not between zeros
        assert (
            abs(st_.partial_transpose_minimum(n // 2) - st_.partial_transpose_minimum(n // 2, method="reference"))
            < 1e-14
        )


def test_threads_give_the_same_table():
    st_ = random_blocks(12, 5, "z2")
    one = st_.negativities()
    two = PIState(n=12, blocks=st_.blocks).negativities(workers=2)
    assert np.array_equal(one.by_k, two.by_k) and one.average == two.average
    assert PIState(n=12, blocks=st_.blocks).negativity(6, workers=3) == one.half


def test_fast_path_agrees_with_the_reference_on_the_reset_state():
    from opentangle.studies import reset as R

    st_ = PIState.from_symmetric(R.symmetric_solve(R.ResetParams(n=14, g=3.0, r=4.0)))
    fast, ref = st_.negativities(), st_.negativities(method="reference")
    assert fast.symmetry == "Z2" and fast.half > 1e-3
    assert np.abs(fast.by_k - ref.by_k).max() < 1e-13 and abs(fast.average - ref.average) < 1e-13


# ----------------------------------------------------------------------------- properties
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 5))
def test_blocks_are_states_and_local_unitaries_change_nothing(seed, n):
    rho = random_pi_state(n, seed)
    st_ = PIState.from_dense(rho)
    st_.check(atol=1e-10)
    u = random_unitary(2, seed=seed)
    big = tensor_power(u, n)
    rot_dense = PIState.from_dense(big @ rho @ big.conj().T)
    rot = st_.rotated(u)
    for a, b in zip(rot.blocks, rot_dense.blocks):
        assert np.abs(a - b).max() < 1e-11
    for k in range(1, n // 2 + 1):
        assert abs(rot.negativity(k) - st_.negativity(k)) < 1e-11


# ----------------------------------------------------------------------------- bad input
def test_bad_input_typed_errors():
    st_ = PIState.from_dense(ghz_state(3))
    for k in (0, 3, -1, 1.5, True):
        with pytest.raises(DimensionError):
            st_.negativity(k)
    with pytest.raises(DimensionError):
        st_.reduced_state(4)
    rng = np.random.default_rng(0)
    psi = rng.normal(size=8)
    with pytest.raises(InvalidStateError, match="permutation invariant"):
        PIState.from_dense(np.outer(psi, psi) / (psi @ psi))
    with pytest.raises(InvalidStateError):
        PIState.from_dense(-np.eye(8) / 8)
    with pytest.raises(DimensionError):
        PIState.from_dense(np.eye(6) / 6)
    occ, _lookup = _occupations(4)
    with pytest.raises(DimensionError):
        PIState.from_correlations(np.ones(3), n=4, occupations=occ)
    with pytest.raises(InvalidStateError):
        PIState.from_correlations(np.zeros(len(occ)), n=4, occupations=occ)
    with pytest.raises(InvalidParameterError):
        PIState.from_correlations(np.zeros(len(occ)), n=0, occupations=occ)
    with pytest.raises(InvalidStateError):
        PIState.from_spin(np.diag([2.0, -1.0]))
    with pytest.raises(InvalidParameterError):
        st_.rotated(np.ones((2, 2)))
    with pytest.raises(InvalidParameterError):
        st_.block(5)
    with pytest.raises(InvalidParameterError):
        PIState.from_symmetric(object())
    with pytest.raises(DimensionError):
        PIState.from_correlations(np.ones(len(occ)), n=4, occupations=occ, lookup=np.zeros((2, 2, 2), int))
    with pytest.raises(DimensionError):
        PIState(n=3, blocks=(np.eye(2),))
    with pytest.raises(InvalidParameterError, match="method"):
        st_.negativity(1, method="dense")
    with pytest.raises(InvalidParameterError, match="method"):
        st_.negativities(method=None)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InvalidParameterError, match="workers"):
            st_.negativities(workers=bad)
    big = PIState.from_spin(dicke_spin_state(12, 3))
    with pytest.raises(InvalidParameterError):
        big.to_dense()


def _random_pi_state(n: int, seed: int) -> PIState:
    rng = np.random.default_rng(seed)
    blocks = []
    for t in range(n % 2, n + 1, 2):
        g = rng.standard_normal((t + 1, t + 1)) + 1j * rng.standard_normal((t + 1, t + 1))
        blocks.append(g @ g.conj().T)
    total = sum(multiplicity(n, t / 2) * np.trace(b).real for t, b in zip(range(n % 2, n + 1, 2), blocks))
    return PIState(n=n, blocks=tuple(b / total for b in blocks))


def test_negativities_refuse_a_hopeless_request_before_any_block(monkeypatch):
    """N = 100, every cut: an estimated hour of eigensolvers; a 60 s limit refuses it at once."""
    from opentangle.errors import ResourceLimitError

    st = _random_pi_state(100, 1)
    monkeypatch.setenv("OPENTANGLE_MAX_SECONDS", "60")
    with pytest.raises(ResourceLimitError, match="OPENTANGLE_MAX_SECONDS"):
        st.negativities()
    assert not any(k[0] == "nu_fast" for k in st._symmetry()[0]._cache)  # nothing was computed
    monkeypatch.setenv("OPENTANGLE_MAX_SECONDS", "inf")
    small = _random_pi_state(6, 2)
    assert small.negativities().half == pytest.approx(small.negativity(3), abs=1e-14)
