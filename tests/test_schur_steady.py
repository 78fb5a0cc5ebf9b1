"""Permutation-symmetric Lindbladians solved on the Schur blocks (opentangle.lindblad.schur_steady_state).

Oracles: the full-space Lindbladian built here from Kronecker products (no shared model-building
code), QuTiP ``steadystate`` on the full space (N <= 4) and on the Dicke manifold (``qutip.jmat``,
N up to 100), and the Pauli-basis solver where both are accurate.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from opentangle.errors import InvalidParameterError, NonUniqueSteadyStateError
from opentangle.lindblad.permutation import (
    SymmetricHamiltonian,
    schur_steady_state,
    symmetric_steady_state,
)
from opentangle.operators import embed, sigma_minus, sigma_z
from opentangle.spins import PIState
from opentangle.spins._dicke_liouvillian import cross_coefficient, dicke_liouvillian
from opentangle.spins.schur import _dense_schur_basis, _twojs

qutip = pytest.importorskip("qutip")
SWAP = np.eye(4)[[0, 2, 1, 3]]
PLUS = np.array([1.0, 1.0]) / math.sqrt(2)


def reset_model(g: float = 3.0, r: float = 20.0) -> dict:
    return dict(
        hamiltonian=SymmetricHamiltonian.ising(g),
        local_jumps=[(sigma_z(), 0.5), (np.outer(PLUS, [1, 0]), r), (np.outer(PLUS, [0, 1]), r)],
    )


def random_model(seed: int):
    rng = np.random.default_rng(seed)

    def rnd(d):
        return rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))

    h = rnd(2)
    v = rnd(4)
    v = v + v.conj().T
    return (h + h.conj().T, v + SWAP @ v @ SWAP, [(rnd(2), 0.7), (rnd(2), 0.3)], [(rnd(2), 0.5)])


def full_space(n: int, h, v, local, coll):
    """Hamiltonian and collapse operators on (C^2)^N from Kronecker products."""
    dims = [2] * n

    def pair(i, j):
        op = np.kron(v, np.eye(2 ** (n - 2))).reshape((2,) * (2 * n))
        inv = np.argsort([i, j] + [k for k in range(n) if k not in (i, j)])
        return op.transpose(list(inv) + [x + n for x in inv]).reshape(2**n, 2**n)

    ham = sum(embed(h, i, dims) for i in range(n)) + sum(pair(i, j) for i in range(n) for j in range(i + 1, n))
    cops = [math.sqrt(r) * embed(o, i, dims) for o, r in local for i in range(n)]
    cops += [math.sqrt(r) * sum(embed(o, i, dims) for i in range(n)) for o, r in coll]
    return ham, cops


def symmetrised_random_state(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    rho = np.zeros((2**n, 2**n), complex)
    for perm in itertools.permutations(range(n)):
        axes = list(perm) + [x + n for x in perm]
        rho += np.outer(psi, psi.conj()).reshape((2,) * (2 * n)).transpose(axes).reshape(2**n, 2**n)
    return rho / np.trace(rho)


def dense_blocks(x: np.ndarray, n: int) -> np.ndarray:
    """sigma_J = sum_alpha <J m alpha| x |J m' alpha>, concatenated (row-major, blocks 2J ascending)."""
    basis = _dense_schur_basis(n)
    return np.concatenate([np.einsum("aim,ij,ajp->mp", basis[t].conj(), x, basis[t]).ravel() for t in _twojs(n)])


@pytest.mark.parametrize("n, seed", [(2, 0), (3, 1), (4, 2), (5, 3)])
def test_dicke_liouvillian_matches_the_full_space(n, seed):
    h, v, local, coll = random_model(seed)
    ham, cops = full_space(n, h, v, local, coll)
    rho = symmetrised_random_state(n, seed)
    lrho = -1j * (ham @ rho - rho @ ham)
    for c in cops:
        cd = c.conj().T
        lrho += c @ rho @ cd - 0.5 * (cd @ c @ rho + rho @ cd @ c)
    dl = dicke_liouvillian(n=n, one_body=h, two_body=v, local=local, collective=coll)
    assert np.abs(dl.matrix @ dense_blocks(rho, n) - dense_blocks(lrho, n)).max() < 1e-12 * max(1, np.abs(lrho).max())


def test_cross_coefficients_preserve_the_trace():
    """sum_J' c(J -> J') (2J'+1) ... : a depolarising jump set sum_a D[sigma_a] keeps tr sigma_J summed over J."""
    for n in (5, 8, 13):
        ops = [(np.array(p, complex), 1.0) for p in ([[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]])]
        dl = dicke_liouvillian(n=n, one_body=np.zeros((2, 2)), two_body=np.zeros((4, 4)), local=ops, collective=[])
        tr = np.concatenate([np.eye(t + 1).ravel() for t in dl.twojs])
        assert np.abs(tr @ dl.matrix).max() < 1e-12
    assert cross_coefficient(1, 1, 1) == 0.75 and cross_coefficient(4, 0, 4) == 0.0


@pytest.mark.parametrize("n, seed", [(3, 4), (4, 5)])
def test_steady_state_matches_qutip_full_space(n, seed):
    h, v, local, coll = random_model(seed)
    ham, cops = full_space(n, h, v, local, coll)
    dims = [[2] * n, [2] * n]
    ref = qutip.steadystate(
        qutip.Qobj(ham, dims=dims), [qutip.Qobj(c, dims=dims) for c in cops], method="direct"
    ).full()
    ours = schur_steady_state(n=n, hamiltonian=SymmetricHamiltonian(h, v), local_jumps=local, collective_jumps=coll)
    assert np.abs(ours.state.to_dense() - ref).max() < 1e-8
    assert ours.error < 1e-10


@pytest.mark.parametrize("n", [6, 8])
def test_reset_model_matches_full_space_negativities(n):
    from opentangle.lindblad import steady_state
    from opentangle.measures import average_negativity, negativity
    from opentangle.studies import reset as R

    rho = steady_state(R.build_model(R.ResetParams(n=n, g=3.0, r=20.0, gamma=1.0).validate())).rho
    ours = schur_steady_state(n=n, **reset_model())
    neg = ours.negativities()
    dims = [2] * n
    assert abs(neg.half - negativity(rho, dims, part_a=list(range(n // 2)))) < 1e-8
    assert abs(neg.average - average_negativity(rho, dims, symmetric=True)) < 1e-8
    assert np.abs(ours.state.to_dense() - rho).max() < 1e-8


@pytest.mark.parametrize("n", [12, 24])
def test_agrees_with_the_pauli_basis_solver(n):
    ss = symmetric_steady_state(n=n, **reset_model())
    ours = schur_steady_state(n=n, **reset_model())
    old = PIState.from_symmetric(ss, method="correlations")
    for a, b, d in zip(old.blocks, ours.state.blocks, old.multiplicities):
        assert np.abs(a - b).max() * d < 1e-10
    assert np.abs(ss.rho2 - ours.rho2).max() < 1e-12
    new = PIState.from_symmetric(ss, method="schur")  # the Schur-basis solve of the same model
    assert abs(new.negativity(n // 2) - old.negativity(n // 2)) < 1e-10


@pytest.mark.parametrize("n", [30, pytest.param(40, marks=pytest.mark.slow), pytest.param(60, marks=pytest.mark.slow)])
def test_large_n_negativity_is_certified(n):
    """The Schur-basis error estimate stays below 1e-8 (the Pauli-basis conversion is refused above N ~ 75)."""
    ours = schur_steady_state(n=n, **reset_model())
    neg = ours.negativities()
    assert neg.errors[-1] < 1e-8 and neg.average_error < 1e-8
    assert 0.05 < neg.half < 0.15


def superradiance(n: int) -> dict:
    return dict(hamiltonian=SymmetricHamiltonian.field(x=0.4 * n / 2), collective_jumps=[(sigma_minus(), 1.0)])


@pytest.mark.parametrize("n", [3, 40, pytest.param(100, marks=pytest.mark.slow)])
def test_dicke_sector_matches_qutip_jmat(n):
    j = n / 2
    jx, jm = qutip.jmat(j, "x"), qutip.jmat(j, "-")
    ref = qutip.steadystate(0.4 * n * jx, [jm]).full()
    top = schur_steady_state(n=n, **superradiance(n), sector=j)
    ground = schur_steady_state(n=n, **superradiance(n), initial=[0, 1])
    assert np.abs(top.state.blocks[-1] - ref).max() < 1e-8
    assert np.abs(ground.state.blocks[-1] - ref).max() < 1e-8
    assert ground.sectors[0] == (j, pytest.approx(1.0, abs=1e-12))


def test_mixed_initial_state_weights_the_sectors():
    n = 6
    mixed = schur_steady_state(n=n, **superradiance(n), initial=np.diag([0.3, 0.7]))
    parts = {j: schur_steady_state(n=n, **superradiance(n), sector=j).state for j in (3, 2, 1, 0)}
    w = dict(mixed.sectors)
    assert abs(sum(w.values()) - 1) < 1e-12
    for j, st in parts.items():  # closed form: p_J = d_J sum_m p^(N/2+m) (1-p)^(N/2-m), p = 0.7 (|1> is m = -1/2)
        d = math.comb(n, n // 2 - j) - (math.comb(n, n // 2 - j - 1) if j < n // 2 else 0)
        expect = d * sum(0.7 ** (n / 2 + m) * 0.3 ** (n / 2 - m) for m in np.arange(-j, j + 1))
        assert abs(w[float(j)] - expect) < 1e-12
        blk = mixed.state.block(j)
        assert np.abs(blk - w[float(j)] * st.block(j)).max() < 1e-12 * max(1.0, np.abs(blk).max())


def test_typed_errors():
    with pytest.raises(NonUniqueSteadyStateError):
        schur_steady_state(n=10, **superradiance(10))
    with pytest.raises(InvalidParameterError):
        schur_steady_state(n=10, **superradiance(10), sector=5, initial=[0, 1])
    with pytest.raises(InvalidParameterError):
        schur_steady_state(n=10, **reset_model(), sector=5)
    with pytest.raises(InvalidParameterError):
        schur_steady_state(n=10, **superradiance(10), sector=5.5)
    with pytest.raises(NonUniqueSteadyStateError):
        schur_steady_state(n=4)


def test_from_symmetric_methods():
    ss = symmetric_steady_state(n=6, **reset_model())
    a = PIState.from_symmetric(ss, method="schur")
    b = PIState.from_symmetric(ss, method="correlations")
    auto = PIState.from_symmetric(ss)  # auto at N < SCHUR_AUTO_MIN_N: the conversion, no second solve
    assert max(np.abs(x - y).max() for x, y in zip(auto.blocks, b.blocks)) == 0.0
    assert PIState.from_symmetric(ss, method="schur") is a  # the Schur-basis solve is cached
    assert max(np.abs(x - y).max() for x, y in zip(a.blocks, b.blocks)) < 1e-12
    with pytest.raises(InvalidParameterError):
        PIState.from_symmetric(ss, method="fast")


def test_memory_estimate_refuses_before_allocating(monkeypatch):
    import opentangle.lindblad._schur_steady as S

    monkeypatch.setattr(S, "MAX_MEMORY", 1e6)
    with pytest.raises(InvalidParameterError, match="GB"):
        schur_steady_state(n=40, **reset_model())


# --------------------------------------------------------------------------- fast paths against the references
def test_rank1_closed_forms_match_the_cg_table():
    """The float closed forms <J m; 1 q|J' m+q> against the general recursion of spins.schur._cg_table."""
    from opentangle.spins._dicke_liouvillian import _rank1_cg
    from opentangle.spins.schur import _cg_table

    for twoj in range(41):
        table, tjs = _cg_table(twoj, 2)
        for twojp in (twoj - 2, twoj, twoj + 2):
            if twojp < 0 or twojp not in tjs:
                continue
            loc = list(tjs).index(twojp)
            for ib, q in enumerate((1, 0, -1)):
                ref = table[:, ib, loc]
                got = _rank1_cg(twoj, twojp, q)
                mp2 = twoj - 2 * np.arange(twoj + 1) + 2 * q
                ok = np.abs(mp2) <= twojp
                assert np.abs(got[ok] - ref[ok]).max(initial=0.0) < 1e-13, (twoj, twojp, q)
                assert np.all(ref[~ok] == 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_iterative_matches_the_direct_lu(seed):
    """A random model (no parity, collective and local jumps) and the reset model (parity), N = 14 / 30."""
    h, v, local, coll = random_model(seed)
    kw = dict(hamiltonian=SymmetricHamiltonian(h, v), local_jumps=local, collective_jumps=coll)
    for n, model in ((14, kw), (30, reset_model())):
        ref = schur_steady_state(n=n, **model, method="direct")
        fast = schur_steady_state(n=n, **model, method="iterative")
        assert fast.solver == "iterative"
        diff = max(
            np.abs(a - b).max() * d for a, b, d in zip(ref.state.blocks, fast.state.blocks, ref.state.multiplicities)
        )
        assert diff < 1e-11
        # the same certificate; the iterative norm estimate is the norm (A and A^T solves) times a safety
        # factor 3, the LU's plain inverse iteration the spectral radius of A^-1 (4-9x below the norm)
        assert fast.error < 1e-9 and 0.1 < fast.error / ref.error < 100
        assert diff <= 10 * (fast.error + ref.error)


def test_iterative_hands_over_to_the_direct_lu_when_it_stalls(monkeypatch):
    import opentangle.lindblad._schur_steady as S

    ref = schur_steady_state(n=30, **reset_model(), method="direct")
    monkeypatch.setattr(S, "GMRES_MAXITER", 1)  # one GMRES step: it cannot reach 1e-14
    monkeypatch.setattr(S, "GMRES_RESTART", 1)
    slow = schur_steady_state(n=30, **reset_model(), method="iterative")
    assert slow.solver == "direct" and ref.solver == "direct"
    assert max(np.abs(a - b).max() for a, b in zip(ref.state.blocks, slow.state.blocks)) == 0.0
    monkeypatch.setattr(S, "MAX_MEMORY", 1e6)  # ... and says so when the LU would not fit
    with pytest.raises(InvalidParameterError, match="GB"):
        schur_steady_state(n=30, **reset_model(), method="direct")
    with pytest.raises(InvalidParameterError):
        schur_steady_state(n=30, **reset_model(), method="lu")


def test_from_symmetric_falls_back_when_the_schur_solve_does_not_fit(monkeypatch):
    import opentangle.lindblad._schur_steady as S
    from opentangle.spins.schur import SCHUR_AUTO_MAX_N, SCHUR_AUTO_MIN_N

    assert SCHUR_AUTO_MIN_N <= 17 and SCHUR_AUTO_MAX_N >= 113  # the reset study's SYMMETRIC_MAX_N
    ss = symmetric_steady_state(n=17, **reset_model())
    conv = PIState.from_symmetric(ss, method="correlations")
    monkeypatch.setattr(S, "MAX_MEMORY", 1e3)
    auto = PIState.from_symmetric(ss)
    assert max(np.abs(x - y).max() for x, y in zip(auto.blocks, conv.blocks)) == 0.0


@pytest.mark.slow
def test_auto_path_at_n90_is_certified():
    """N = 90 (above the old SCHUR_AUTO_MAX_N = 80): the Schur solve behind from_symmetric is certified."""
    ss = symmetric_steady_state(n=90, **reset_model())
    st = PIState.from_symmetric(ss)
    assert st is ss.schur_state()
    assert max(e * d for e, d in zip(st.errors, st.multiplicities)) < 1e-9
    assert abs(st.populations.sum() - 1) < 1e-12 and st.min_eigenvalue() > -1e-12
    assert np.abs(st.reduced_state(2) - ss.rho2).max() < 1e-10  # the Pauli solve's two-qubit state


# ----------------------------------------------------------------------------- parity-odd kernel


def test_local_jump_algebra_decides_which_models_skip_the_odd_check():
    from opentangle.lindblad._schur_steady import _local_jumps_irreducible
    from opentangle.operators import sigma_plus

    plus = np.array([1.0, 1.0]) / math.sqrt(2)
    reset = [(np.outer(plus, [1, 0]), 1.0), (np.outer(plus, [0, 1]), 1.0)]
    assert _local_jumps_irreducible([(sigma_z(), 0.5), *reset])
    assert _local_jumps_irreducible([(sigma_minus(), 1.0), (sigma_plus(), 0.3)])
    assert not _local_jumps_irreducible([(sigma_z(), 0.5)])  # commutative: inconclusive
    assert not _local_jumps_irreducible([(sigma_minus(), 1.0)])
    assert not _local_jumps_irreducible([(sigma_minus(), 1.0), (sigma_plus(), 0.0)])  # rate 0 does not count


def test_odd_part_check_raises_on_an_odd_stationary_direction():
    """Two unknowns swapped by the parity: (1, -1) is odd; it is a kernel vector of the first matrix only."""
    import scipy.sparse as sp

    from opentangle.lindblad._schur_steady import _certify_odd_part

    parity = (np.array([1, 0]), np.array([1.0, 1.0]))
    coords = np.zeros((2, 4))
    labels = np.zeros(2, dtype=int)
    with pytest.raises(NonUniqueSteadyStateError):
        _certify_odd_part(sp.csr_matrix([[1.0, 1.0], [1.0, 1.0]]), labels, {0: 1.0}, parity, coords, 0)
    _certify_odd_part(sp.csr_matrix([[2.0, 1.0], [1.0, 2.0]]), labels, {0: 1.0}, parity, coords, 0)


def test_odd_check_runs_and_passes_on_a_unique_model_with_commutative_local_jumps():
    from opentangle.lindblad import _schur_steady as mod

    calls = []
    original = mod._certify_odd_part
    try:
        mod._certify_odd_part = lambda *a: (calls.append(1), original(*a))[1]
        ham = SymmetricHamiltonian.ising(1.0) + SymmetricHamiltonian.field(x=0.7)
        ss = mod.schur_steady_state(n=7, hamiltonian=ham, local_jumps=[(sigma_z(), 0.5)], method="direct")
    finally:
        mod._certify_odd_part = original
    assert calls and ss.error < 1e-10


# ----------------------------------------------------------------------------- iterative certificate


def piqs_like_model() -> dict:
    """Collective decay, local dephasing and local pumping with an Ising term and a field (PIQS's processes)."""
    from opentangle.operators import sigma_plus

    return dict(
        hamiltonian=SymmetricHamiltonian.ising(1.0) + SymmetricHamiltonian.field(x=0.7),
        local_jumps=[(sigma_z(), 0.25), (sigma_plus(), 0.4)],
        collective_jumps=[(sigma_minus(), 0.5)],
    )


def traced_system(n: int, model: dict):
    """The parity-reduced traced system that the iterative path solves, and its J-block bounds."""
    from opentangle.lindblad import _schur_steady as mod
    from opentangle.lindblad.permutation import _checked

    _, ham, local, coll = _checked(n, model["hamiltonian"], model.get("local_jumps"), model.get("collective_jumps"))
    dl = dicke_liouvillian(n=n, one_body=ham.one_body, two_body=ham.two_body, local=local, collective=coll)
    real, _, coords, diag, _ = mod._real_form(dl)
    a, rhs, _, _, crd = mod._traced_system(real, np.arange(real.shape[0]), diag, coords, mod._parity(dl, real))
    cuts = np.flatnonzero(np.diff(crd[:, 0])) + 1
    return a.tocsr(), rhs, list(zip(np.r_[0, cuts].tolist(), np.r_[cuts, a.shape[0]].tolist()))


@pytest.mark.parametrize("model", [reset_model(), reset_model(g=5.0, r=8.0), piqs_like_model()])
def test_inverse_norm_estimate_is_not_below_the_norm(model):
    """||A^-1||_2 from an SVD: the estimate is above it, and not by much (inverse iteration with A
    alone gives the spectral radius of A^-1, 4-9x below the norm for these non-normal systems)."""
    from opentangle.lindblad import _schur_steady as mod

    a, rhs, bounds = traced_system(18, model)
    true = 1.0 / np.linalg.svd(a.toarray(), compute_uv=False)[-1]
    prec = mod._BlockSGS(a, bounds)
    x = mod._gmres(a, rhs, prec, 1e-14)
    for seed in range(3):
        est = mod._inverse_norm(a, prec, seed, x)
        assert true <= est <= 1.5 * mod.INV_SAFETY * true, (true, est)


@pytest.mark.parametrize("n", [30, pytest.param(40, marks=pytest.mark.slow)])
def test_iterative_matches_the_direct_lu_on_piqs_and_reset_models(n):
    for model in (reset_model(g=5.0, r=8.0), piqs_like_model()):
        ref = schur_steady_state(n=n, **model, method="direct")
        fast = schur_steady_state(n=n, **model, method="iterative")
        assert fast.solver == "iterative"
        diff = max(
            np.abs(a - b).max() * d for a, b, d in zip(ref.state.blocks, fast.state.blocks, ref.state.multiplicities)
        )
        assert diff < 1e-10 and diff <= 10 * (fast.error + ref.error)
        assert np.abs(fast.rho2 - ref.rho2).max() < 1e-10


@pytest.mark.parametrize("n", [3, 4, 9, 16])
def test_marginals_from_moments_match_the_reduced_states(n):
    """The moment formula for rho1, rho2 against PIState.reduced_state on random symmetric states."""
    from opentangle.lindblad._schur_steady import _marginals

    rng = np.random.default_rng(n)
    blocks = []
    for t in _twojs(n):
        g = rng.normal(size=(t + 1, t + 1)) + 1j * rng.normal(size=(t + 1, t + 1))
        blocks.append(g @ g.conj().T)
    st = PIState(n=n, blocks=tuple(blocks))
    tot = st.populations.sum()
    st = PIState(n=n, blocks=tuple(b / tot for b in blocks))
    rho1, rho2 = _marginals(st)
    assert np.abs(rho1 - st.reduced_state(1)).max() < 1e-13
    assert np.abs(rho2 - st.reduced_state(2)).max() < 1e-13


def test_max_difference_with_and_without_a_common_pattern():
    import scipy.sparse as sp

    from opentangle.lindblad._schur_steady import _max_difference

    x = sp.csr_matrix(np.array([[1.0, 0, 2], [0, 3, 0]]))
    assert _max_difference(x, sp.csr_matrix(np.array([[1.0, 0, 2.5], [0, 3, 0]]))) == 0.5  # same pattern
    assert _max_difference(x, sp.csr_matrix(np.array([[1.0, 4, 2], [0, 3, 0]]))) == 4.0  # different pattern
    assert _max_difference(x, x.copy()) == 0.0
