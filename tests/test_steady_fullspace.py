"""Issue 19 targets 5 and 9: the folded real path of the iterative solver and the structural uniqueness proof."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentangle.errors import ConvergenceError, NonUniqueSteadyStateError
from opentangle.lindblad import Model, amplitude_damping, dephasing, liouvillian, reset, steady_state
from opentangle.lindblad import steady as S
from opentangle.lindblad._folded import FoldedOperator, _site_matmul, fold, transpose, unfold
from opentangle.operators import embed, sigma_minus, sigma_plus, sigma_x, sigma_z

PLUS = np.array([1.0, 1.0]) / np.sqrt(2)


def reset_model(N: int, g: float = 5.0, gamma: float = 1.0, r: float = 8.0) -> Model:
    dims = [2] * N
    z = [embed(sigma_z(), i, dims, sparse=True) for i in range(N)]
    H = sum(g * z[i] @ z[j] for i in range(N) for j in range(i + 1, N))
    jumps = []
    for i in range(N):
        jumps += dephasing(site=i, rate=gamma, dims=dims)
        jumps += reset(site=i, rate=r, state=PLUS, dims=dims)
    return Model(hamiltonian=H, jumps=jumps, dims=dims)


def damped_model(N: int) -> Model:
    """Amplitude damping everywhere, dephasing on site 0, Ising H: unique (all decay to |1...1>), not irreducible."""
    dims = [2] * N
    z = [embed(sigma_z(), i, dims, sparse=True) for i in range(N)]
    H = sum(z[i] @ z[j] for i in range(N) for j in range(i + 1, N))
    jumps = [dephasing(site=0, rate=0.5, dims=dims)] + [
        amplitude_damping(site=i, rate=1.0, dims=dims) for i in range(N)
    ]
    return Model(hamiltonian=H, jumps=jumps, dims=dims)


def random_hermitian(D: int, rng: np.random.Generator) -> np.ndarray:
    X = rng.standard_normal((D, D)) + 1j * rng.standard_normal((D, D))
    return X + X.conj().T


@settings(max_examples=25, deadline=None)
@given(D=st.integers(1, 70), seed=st.integers(0, 2**32 - 1))
def test_fold_is_an_isometry_that_keeps_the_trace(D, seed):
    X = random_hermitian(D, np.random.default_rng(seed))
    R = fold(X)
    assert R.dtype == np.float64
    assert np.abs(unfold(R) - X).max() <= 1e-12 * max(1.0, np.abs(X).max())
    assert np.linalg.norm(R) == pytest.approx(np.linalg.norm(X), rel=1e-12)
    assert np.trace(R) == pytest.approx(np.trace(X).real, abs=1e-10)


@pytest.mark.parametrize("D", [48, 64, 256])
def test_tiled_transpose(D):
    R = np.random.default_rng(D).standard_normal((D, D))
    out, work = np.empty_like(R), np.empty_like(R)
    assert np.array_equal(transpose(R, out, work), R.T)


@pytest.mark.parametrize("build", [lambda: reset_model(7), lambda: damped_model(6)])
def test_folded_operator_against_sparse_liouvillian(build):
    """op(x) = x + P^-1 (J + s) x + u tr x, i.e. P (op(x) - u tr x) = L x, and the residual is ||L x||."""
    m = build()
    D = m.dim
    assert S._foldable(m)
    mf = S._MatrixFree(m, precondition=False)
    fo = FoldedOperator.build(mf, m.rate_scale())
    assert fo is not None
    X = random_hermitian(D, np.random.default_rng(3))
    LX = (liouvillian(m) @ X.reshape(-1, order="F")).reshape(D, D, order="F")
    assert fo.residual(fold(X)) == pytest.approx(np.linalg.norm(LX), rel=1e-12)
    y = unfold(fo(fold(X).reshape(-1)).reshape(D, D))
    P = -1j * (mf.h[:, None] - mf.h.conj()[None, :]) + (0 if mf.W is None else mf.W) - fo.shift
    assert np.abs(P * (y - np.eye(D) * np.trace(X) / D) - LX).max() <= 1e-12 * np.abs(LX).max()


def test_site_matmul_matches_strided_path(monkeypatch):
    import opentangle.lindblad._folded as F

    m = reset_model(7)
    fo = FoldedOperator.build(S._MatrixFree(m, precondition=False), m.rate_scale())
    R = np.random.default_rng(0).standard_normal((m.dim, m.dim))
    monkeypatch.setattr(F, "_STRIDED_MIN", 0)  # jump() takes the strided branch for every site
    sites = fo.lowrank
    for shape, terms in sites:
        a, b = np.zeros_like(R), np.zeros_like(R)
        _site_matmul(shape, terms, R, a, fo._scratch)
        fo.lowrank = [(shape, terms)]
        fo.jump(R, b)
        assert np.abs(a - b).max() <= 1e-13 * np.abs(b).max()


@pytest.mark.parametrize("build", [lambda: reset_model(5), lambda: damped_model(5)])
def test_folded_and_complex_paths_agree_with_direct(build, monkeypatch):
    m = build()
    ref = steady_state(m, method="direct")
    fast = steady_state(m, method="iterative")
    monkeypatch.setattr(FoldedOperator, "build", classmethod(lambda cls, mf, scale: None))
    slow = steady_state(m, method="iterative")
    for ss in (fast, slow):
        assert ss.residual <= 1e-10
        assert np.abs(ss.rho - ref.rho).max() < 1e-10


def test_non_foldable_models_use_the_complex_path():
    dims = [2, 2]
    sy = np.array([[0, -1j], [1j, 0]])
    assert not S._foldable(Model(hamiltonian=embed(sigma_x(), 0, dims), jumps=[(embed(sigma_minus(), 0, dims), 1.0)]))
    m = Model(jumps=[(np.kron(sy + sigma_z(), np.eye(2)), 1.0), (embed(sigma_minus(), 1, dims), 1.0)], dims=dims)
    assert not S._foldable(m)  # a plain (non-local) jump
    assert S._foldable(reset_model(3))


# ----------------------------------------------------------------------------- uniqueness (target 9)


@pytest.mark.parametrize(
    ("ops", "full"),
    [
        ([sigma_minus()], False),  # {s-}: upper triangular algebra, |0> is invariant
        ([sigma_minus(), sigma_plus()], True),
        ([sigma_z()], False),
        ([np.outer(PLUS, [1, 0]), np.outer(PLUS, [0, 1])], False),  # reset alone: |+> is invariant
        ([np.outer(PLUS, [1, 0]), np.outer(PLUS, [0, 1]), sigma_z()], True),  # reset + dephasing
        ([np.diag([1.0, 0.0, 0.0]), np.outer([1, 0, 0], [0, 1, 0]), np.outer([0, 1, 0], [0, 0, 1])], False),
        ([np.outer([1, 0, 0], [0, 1, 0]), np.outer([0, 1, 0], [0, 0, 1]), np.outer([0, 0, 1], [1, 0, 0])], True),
    ],
)
def test_generates_full_algebra(ops, full):
    ops = [np.asarray(o, complex) for o in ops]
    d = ops[0].shape[0]
    assert S._generates_full_algebra([np.eye(d)] + ops, d) is full


def test_irreducible_model_skips_the_second_solve(monkeypatch):
    m = reset_model(6)
    assert S._local_algebras_full(m)

    def boom(*a, **k):
        raise AssertionError("the second solve ran although uniqueness was proven")

    monkeypatch.setattr(S, "_check_unique_second_start", boom)
    ss = steady_state(m, method="iterative")
    assert ss.residual <= 1e-10 and ss.iterations < 60


def test_unique_but_reducible_model_passes_the_numerical_check():
    m = damped_model(5)
    assert not S._local_algebras_full(m)  # amplitude damping: |0> is invariant at every site
    ss = steady_state(m, method="iterative")
    assert abs(ss.rho[-1, -1] - 1) < 1e-9  # all qubits in |1> (sigma_minus lowers |0> -> |1> here)


@pytest.mark.parametrize("seed", [0, 1])
def test_degenerate_model_inconclusive_structure_numerical_check_catches_it(seed):
    """Site 0 only dephased (its population is conserved): the structural test says nothing, the second solve must."""
    N = 6
    dims = [2] * N
    z = [embed(sigma_z(), i, dims, sparse=True) for i in range(N)]
    H = sum(z[i] @ z[j] for i in range(N) for j in range(i + 1, N))
    jumps = [dephasing(site=0, rate=1.0, dims=dims)]
    for i in range(1, N):
        jumps += reset(site=i, rate=2.0, state=PLUS, dims=dims) + dephasing(site=i, rate=1.0, dims=dims)
    m = Model(hamiltonian=H, jumps=jumps, dims=dims)
    assert not S._local_algebras_full(m)
    assert S._foldable(m)
    with pytest.raises(NonUniqueSteadyStateError, match="trace norm"):
        steady_state(m, method="iterative", seed=seed)


def test_cholesky_positivity_path(monkeypatch):
    monkeypatch.setattr(S, "EIGVALSH_MAX", 2)
    rho, min_eig = S._finish(np.diag([0.5, 0.3, 0.2]).astype(complex), check_positive=True)
    assert min_eig is None and np.isclose(np.trace(rho).real, 1)
    with pytest.raises(ConvergenceError, match="Cholesky"):
        S._finish(np.diag([0.6, 0.5, -0.1]).astype(complex), check_positive=True)


def test_iterative_cost_folded_13_qubits(monkeypatch):
    """13 qubits fit this machine's memory on the folded path but not the default time limit: refused early."""
    from opentangle._limits import check_resources
    from opentangle.errors import ResourceLimitError

    est = S.iterative_cost(2**13, folded=True, check_unique=False)
    assert 5e9 < est.nbytes < 24e9 and est.seconds > 600
    assert S.iterative_cost(2**13).nbytes > est.nbytes  # the complex path needs more
    monkeypatch.delenv("OPENTANGLE_MAX_SECONDS", raising=False)
    monkeypatch.setenv("OPENTANGLE_MAX_MEMORY", "64G")
    with pytest.raises(ResourceLimitError, match="OPENTANGLE_MAX_SECONDS"):
        check_resources(est)
    monkeypatch.setenv("OPENTANGLE_MAX_SECONDS", "inf")
    assert check_resources(est) is est


def test_large_site_dimension_is_inconclusive_not_expensive():
    d = 32
    lower = np.diag(np.ones(d - 1), 1).astype(complex)
    assert S._generates_full_algebra([np.eye(d), lower, lower.T], d) is False  # skipped above d = 16
