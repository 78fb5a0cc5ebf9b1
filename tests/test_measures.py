import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentangle import ConvergenceError, DimensionError, InvalidStateError
from opentangle.measures import (
    average_negativity,
    bell_fidelities,
    bell_fidelity,
    bipartitions,
    concurrence,
    entanglement_entropy,
    entanglement_of_formation,
    fully_entangled_fraction,
    fully_entangled_fraction_optimum,
    ghz_fidelity,
    is_gme_by_ghz_witness,
    is_ppt,
    log_negativity,
    mutual_information,
    negativity,
    von_neumann_entropy,
)
from opentangle.operators import random_unitary
from opentangle.states import (
    bell_state,
    ghz_state,
    isotropic_state,
    ket2dm,
    random_density_matrix,
    random_pure_state,
    werner_state,
)

qutip = pytest.importorskip("qutip")

seeds = st.integers(min_value=0, max_value=2**32 - 1)
local_dims = st.sampled_from([(2, 2), (2, 3), (3, 2), (3, 3)])


# ---------------------------------------------------------------- known values
def test_bell_values():
    for label in ("phi+", "phi-", "psi+", "psi-"):
        rho = bell_state(label)
        assert negativity(rho) == pytest.approx(0.5, abs=1e-12)
        assert log_negativity(rho) == pytest.approx(1.0, abs=1e-12)
        assert concurrence(rho) == pytest.approx(1.0, abs=1e-12)
        assert entanglement_of_formation(rho) == pytest.approx(1.0, abs=1e-12)
        assert mutual_information(rho) == pytest.approx(2.0, abs=1e-12)
        assert bell_fidelity(rho) == pytest.approx(1.0, abs=1e-12)
        assert bell_fidelity(rho, which=label) == pytest.approx(1.0, abs=1e-12)
        assert fully_entangled_fraction(rho) == pytest.approx(1.0, abs=1e-12)
    fids = bell_fidelities(np.eye(4) / 4)
    assert all(v == pytest.approx(0.25) for v in fids.values())


@pytest.mark.parametrize("p", [0.0, 0.2, 0.33, 1 / 3 + 1e-3, 0.5, 0.9, 1.0])
def test_werner_threshold(p):
    rho = werner_state(p)
    assert bool(is_ppt(rho)) == (p <= 1 / 3 + 1e-12)
    assert negativity(rho) == pytest.approx(max(0.0, (3 * p - 1) / 4), abs=1e-12)
    assert concurrence(rho) == pytest.approx(max(0.0, (3 * p - 1) / 2), abs=1e-12)


@pytest.mark.parametrize("d", [2, 3, 4])
@pytest.mark.parametrize("F", [0.0, 0.2, 0.26, 0.34, 0.5, 0.8, 1.0])
def test_isotropic_threshold_and_fef(d, F):
    rho = isotropic_state(F, d)
    assert bool(is_ppt(rho)) == (1 / d + 1e-12 >= F)
    # negativity of the isotropic state: max(0, (d F - 1)/2)
    assert negativity(rho) == pytest.approx(max(0.0, (d * F - 1) / 2), abs=1e-10)
    assert fully_entangled_fraction(rho) == pytest.approx(max(F, (1 - F) / (d * d - 1)), abs=1e-8)


def test_werner_general_d_threshold():
    for d in (3, 4):
        assert is_ppt(werner_state(1 / (d + 1) - 1e-3, d))
        assert not is_ppt(werner_state(1 / (d + 1) + 1e-3, d))


def test_ghz_measures():
    for n in (3, 4):
        g = ghz_state(n)
        assert ghz_fidelity(g) == pytest.approx(1.0)
        assert is_gme_by_ghz_witness(g)
        assert average_negativity(g) == pytest.approx(0.5)
        assert average_negativity(g, symmetric=True) == pytest.approx(0.5)
    noisy = 0.4 * ghz_state(3) + 0.6 * np.eye(8) / 8
    assert ghz_fidelity(noisy) == pytest.approx(0.4 + 0.6 / 8)
    assert not is_gme_by_ghz_witness(noisy)


def test_average_negativity_counts_and_symmetric_path():
    assert len(bipartitions(5)) == 2**4 - 1
    assert len({frozenset(a) for a in bipartitions(6)}) == 31
    u = random_unitary(2, seed=4)
    psi = random_pure_state(2, seed=1)
    # a symmetric mixed state: Werner-like mixture of GHZ, W-type and product states
    prod = ket2dm(np.kron(np.kron(psi, psi), np.kron(psi, psi)))
    w = np.zeros(16, complex)
    w[[1, 2, 4, 8]] = 0.5
    rho = 0.4 * ghz_state(4) + 0.3 * ket2dm(w) + 0.3 * prod
    assert average_negativity(rho, symmetric=True) == pytest.approx(average_negativity(rho), abs=1e-12)
    asym = np.kron(bell_state(), np.eye(4) / 4)
    with pytest.raises(InvalidStateError, match="not permutation symmetric"):
        average_negativity(asym, symmetric=True)
    assert average_negativity(asym) == pytest.approx(0.5 * 4 / 7)  # only the 4 cuts that split the Bell pair
    del u


# ---------------------------------------------------------------- QuTiP oracle
@settings(max_examples=30, deadline=None)
@given(seed=seeds)
def test_concurrence_and_entropy_match_qutip(seed):
    rho = random_density_matrix(4, seed=seed, rank=1 + seed % 4)
    q = qutip.Qobj(rho, dims=[[2, 2], [2, 2]])
    # QuTiP takes square roots of eigenvalues of rho rho~, which loses ~1e-8 on rank-deficient states
    assert concurrence(rho) == pytest.approx(qutip.concurrence(q), abs=1e-6)
    assert von_neumann_entropy(rho) == pytest.approx(qutip.entropy_vn(q, base=2), abs=1e-10)
    assert mutual_information(rho) == pytest.approx(qutip.entropy_mutual(q, [0], [1], base=2), abs=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=seeds)
def test_pure_state_concurrence_closed_form(seed):
    psi = random_pure_state(4, seed=seed)
    yy = np.kron([[0, -1j], [1j, 0]], [[0, -1j], [1j, 0]])
    assert concurrence(ket2dm(psi)) == pytest.approx(abs(psi @ yy @ psi), abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, dims=local_dims)
def test_negativity_matches_qutip_partial_transpose(seed, dims):
    rho = random_density_matrix(int(np.prod(dims)), seed=seed, rank=1 + seed % 3)
    q = qutip.Qobj(rho, dims=[list(dims), list(dims)])
    ev = np.linalg.eigvalsh(qutip.partial_transpose(q, [1, 0]).full())
    assert negativity(q) == pytest.approx((np.abs(ev).sum() - 1) / 2, abs=1e-10)
    assert negativity(rho, dims=list(dims)) == pytest.approx((np.abs(ev).sum() - 1) / 2, abs=1e-10)


# ---------------------------------------------------------------- properties
@settings(max_examples=40, deadline=None)
@given(seed=seeds, dims=local_dims)
def test_negativity_local_unitary_invariance_and_bounds(seed, dims):
    rng = np.random.default_rng(seed)
    rho = random_density_matrix(int(np.prod(dims)), seed=rng, rank=int(rng.integers(1, 4)))
    u = np.kron(random_unitary(dims[0], seed=rng), random_unitary(dims[1], seed=rng))
    n0 = negativity(rho, dims=list(dims))
    assert negativity(u @ rho @ u.conj().T, dims=list(dims)) == pytest.approx(n0, abs=1e-10)
    assert -1e-12 <= n0 <= (min(dims) - 1) / 2 + 1e-12
    assert log_negativity(rho, dims=list(dims)) == pytest.approx(np.log2(2 * n0 + 1), abs=1e-10)


@settings(max_examples=40, deadline=None)
@given(seed=seeds)
def test_two_qubit_measures_local_unitary_invariance(seed):
    rng = np.random.default_rng(seed)
    rho = random_density_matrix(4, seed=rng, rank=int(rng.integers(1, 5)))
    u = np.kron(random_unitary(2, seed=rng), random_unitary(2, seed=rng))
    rho2 = u @ rho @ u.conj().T
    for f in (concurrence, entanglement_of_formation, fully_entangled_fraction, mutual_information):
        assert f(rho2) == pytest.approx(f(rho), abs=1e-8)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, dims=local_dims)
def test_product_states_have_zero_entanglement(seed, dims):
    rng = np.random.default_rng(seed)
    rho = np.kron(random_density_matrix(dims[0], seed=rng), random_density_matrix(dims[1], seed=rng))
    assert negativity(rho, dims=list(dims)) == pytest.approx(0.0, abs=1e-12)
    assert is_ppt(rho, dims=list(dims))
    assert mutual_information(rho, dims=list(dims)) == pytest.approx(0.0, abs=1e-10)
    if dims == (2, 2):
        assert concurrence(rho) == pytest.approx(0.0, abs=1e-7)
    psi = np.kron(random_pure_state(dims[0], seed=rng), random_pure_state(dims[1], seed=rng))
    assert entanglement_entropy(psi, dims=list(dims)) == pytest.approx(0.0, abs=1e-10)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, dims=local_dims, t=st.floats(0, 1))
def test_negativity_is_convex(seed, dims, t):
    rng = np.random.default_rng(seed)
    d = int(np.prod(dims))
    a = random_density_matrix(d, seed=rng, rank=1)
    b = random_density_matrix(d, seed=rng, rank=2)
    mix = negativity(t * a + (1 - t) * b, dims=list(dims))
    assert mix <= t * negativity(a, dims=list(dims)) + (1 - t) * negativity(b, dims=list(dims)) + 1e-10


@settings(max_examples=20, deadline=None)
@given(seed=seeds)
def test_pure_state_entropy_consistency(seed):
    psi = random_pure_state(6, seed=seed)
    s_a = entanglement_entropy(psi, dims=[2, 3])
    assert entanglement_entropy(ket2dm(psi), dims=[2, 3]) == pytest.approx(s_a, abs=1e-9)
    assert mutual_information(ket2dm(psi), dims=[2, 3]) == pytest.approx(2 * s_a, abs=1e-9)


# ---------------------------------------------------------------- fully entangled fraction
@settings(max_examples=25, deadline=None)
@given(seed=seeds)
def test_fef_optimiser_matches_two_qubit_closed_form(seed):
    rho = random_density_matrix(4, seed=seed, rank=1 + seed % 4)
    closed = fully_entangled_fraction(rho)
    res = fully_entangled_fraction_optimum(rho, method="optimize", seed=seed)
    assert res.value == pytest.approx(closed, abs=1e-8)
    # the certificate is a real stationarity check and every requested start was run
    assert res.gradient_norm <= 1e-5
    assert res.starts == 8 and 1 <= res.agreeing_starts <= res.starts
    # the certificate state is maximally entangled and attains the value
    psi = res.state
    assert entanglement_entropy(psi, dims=[2, 2]) == pytest.approx(1.0, abs=1e-9)
    assert np.real(psi.conj() @ rho @ psi) == pytest.approx(res.value, abs=1e-10)


@pytest.mark.parametrize("d", [3, 4])
def test_fef_general_d(d):
    rng = np.random.default_rng(d)
    # local-unitarily rotated isotropic state: F_max is invariant
    u = np.kron(random_unitary(d, seed=rng), random_unitary(d, seed=rng))
    rho = u @ isotropic_state(0.6, d) @ u.conj().T
    assert fully_entangled_fraction(rho) == pytest.approx(0.6, abs=1e-8)
    rho1 = random_density_matrix(d * d, seed=1)
    res = fully_entangled_fraction_optimum(rho1)
    w = res.state.reshape(d, d) * np.sqrt(d)
    assert np.allclose(w @ w.conj().T, np.eye(d), atol=1e-10)
    assert _fef_gradient_norm(rho1, w) == pytest.approx(res.gradient_norm, abs=1e-12)
    assert res.gradient_norm < 1e-5
    assert 1 / (d * d) - 1e-12 <= res.value <= 1 + 1e-12
    assert "FullyEntangledFraction" in repr(res)


def test_fef_nonconvergence_is_reported():
    with pytest.raises(ConvergenceError, match="maxiter"):
        fully_entangled_fraction(random_density_matrix(16, seed=2), starts=1, maxiter=1)


# ---------------------------------------------------------------- batching
def test_batched_two_qubit_measures():
    rng = np.random.default_rng(0)
    batch = np.stack([random_density_matrix(4, seed=rng) for _ in range(50)])
    for f in (
        negativity,
        log_negativity,
        concurrence,
        entanglement_of_formation,
        bell_fidelity,
        fully_entangled_fraction,
        von_neumann_entropy,
        mutual_information,
    ):
        out = f(batch)
        assert out.shape == (50,)
        assert np.allclose(out, [f(r) for r in batch], atol=1e-10)
    assert is_ppt(batch).shape == (50,)


def test_batched_negativity_large():
    ps = np.linspace(0, 1, 100_000)
    batch = ps[:, None, None] * bell_state("psi-") + (1 - ps[:, None, None]) * np.eye(4) / 4
    out = negativity(batch)
    assert np.allclose(out, np.maximum(0, (3 * ps - 1) / 4), atol=1e-12)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call,err,match",
    [
        (lambda: negativity(np.eye(4)), InvalidStateError, "trace"),
        (
            lambda: negativity(np.array([[0.5, 0.5j, 0, 0], [0.5j, 0.5, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])),
            InvalidStateError,
            "Hermitian",
        ),
        (lambda: negativity(np.diag([1.2, -0.2, 0, 0])), InvalidStateError, "positive"),
        (lambda: negativity(np.eye(6) / 6), DimensionError, "dims"),
        (lambda: negativity(np.eye(6) / 6, dims=[2, 2]), DimensionError, "multiply"),
        (lambda: negativity(np.eye(8) / 8, dims=[2, 2, 2], part_a=[3]), DimensionError, "out of range"),
        (lambda: negativity(np.eye(8) / 8, dims=[2, 2, 2], part_a=[0, 1, 2]), DimensionError, "proper subset"),
        (lambda: concurrence(np.eye(9) / 9), DimensionError, "two qubits"),
        (lambda: fully_entangled_fraction(np.eye(6) / 6, dims=[2, 3]), DimensionError, "equal dimension"),
        (lambda: entanglement_entropy(np.eye(4) / 4), InvalidStateError, "pure"),
        (lambda: entanglement_entropy(np.array([1.0, 1.0, 0, 0])), InvalidStateError, "normalised"),
        (lambda: average_negativity(np.eye(6) / 6), DimensionError, "power of 2"),
        (lambda: bell_fidelity(np.eye(4) / 4, which="bogus"), ValueError, "unknown Bell"),
    ],
)
def test_bad_input_raises_typed_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


# ---------------------------------------------------------------- fully entangled fraction: independent checks
def _fef_value(rho, w):
    d = w.shape[0]
    v = w.reshape(-1)
    return float(np.real(v.conj() @ rho @ v)) / d


def _fef_gradient_norm(rho, w):
    """Riemannian gradient norm of F(W) = vec(W)^dag rho vec(W) / d on the unitary group."""
    d = w.shape[0]
    m = w.conj().T @ (rho @ w.reshape(-1)).reshape(d, d) / d
    return float(np.linalg.norm(m - m.conj().T) / 2)


def _independent_fef(rho, d, seeds=range(4)):
    """max over U = expm(iH) of <Phi_U|rho|Phi_U> by scipy BFGS over Hermitian H (no code shared)."""
    from scipy.linalg import expm
    from scipy.optimize import minimize

    def unitary(x):
        h = np.zeros((d, d), dtype=complex)
        iu = np.triu_indices(d, 1)
        k = len(iu[0])
        h[iu] = x[:k] + 1j * x[k : 2 * k]
        h = h + h.conj().T + np.diag(x[2 * k :])
        return expm(1j * h)

    best = -np.inf
    for s in seeds:
        x0 = np.random.default_rng(s).normal(scale=1.5, size=d * d)
        out = minimize(lambda x: -_fef_value(rho, unitary(x)), x0, method="BFGS", options={"gtol": 1e-9})
        best = max(best, -out.fun)
    return best


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_fef_d3_matches_independent_optimiser(seed):
    rho = random_density_matrix(9, seed=seed)
    res = fully_entangled_fraction_optimum(rho, dims=[3, 3])
    ref = _independent_fef(rho, 3)
    assert res.value >= ref - 1e-8
    assert res.value == pytest.approx(ref, abs=1e-6)
    # the certificate distinguishes an optimum from a non-optimal point
    w = res.state.reshape(3, 3) * np.sqrt(3)
    assert res.gradient_norm < 1e-5
    assert _fef_gradient_norm(rho, w) < 1e-5
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    from scipy.linalg import expm

    perturbed = w @ expm(0.3j * (g + g.conj().T) / 2)
    assert _fef_value(rho, perturbed) < res.value - 1e-6
    assert _fef_gradient_norm(rho, perturbed) > 1e-3


def test_fef_starts_are_honoured_exactly():
    rho = random_density_matrix(9, seed=3)
    for starts in (1, 2, 5):
        res = fully_entangled_fraction_optimum(rho, starts=starts)
        assert res.starts == starts and 1 <= res.agreeing_starts <= starts


def test_fef_batched_general_d_passes_settings():
    batch = np.stack([random_density_matrix(9, seed=1)] * 2)
    with pytest.raises(ConvergenceError):
        fully_entangled_fraction(batch, maxiter=1)
    vals = fully_entangled_fraction(batch, tol=1e-12)
    assert vals.shape == (2,) and vals[0] == pytest.approx(fully_entangled_fraction(batch[0]), abs=1e-9)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "x"},
        {"maxiter": 0},
        {"maxiter": 2.5},
        {"seed": "a"},
        {"starts": "a"},
        {"starts": 0},
        {"tol": -1e-10},
        {"tol": 0},
    ],
)
def test_fef_bad_settings_raise_invalid_parameter(kwargs):
    from opentangle import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        fully_entangled_fraction(random_density_matrix(9, seed=1), **kwargs)


# ---------------------------------------------------------------- tolerances and bad input
def test_is_ppt_default_tolerance_matches_validation():
    rho = np.diag([1 - 3e-9, 1e-9, 1e-9, -1e-9])  # accepted by validation (eigenvalue >= -1e-8)
    assert is_ppt(rho) is True
    assert is_ppt(rho, atol=1e-10) is False
    assert is_ppt(bell_state()) is False


@pytest.mark.parametrize("part_a", ["a", [None], [0.5], [True]])
def test_bad_part_a_is_dimension_error(part_a):
    with pytest.raises(DimensionError, match="part_a"):
        negativity(bell_state(), part_a=part_a)


@pytest.mark.parametrize("rho", ["x", 5.0, [1.0, 0.0]])
def test_von_neumann_entropy_rejects_non_matrices(rho):
    with pytest.raises(DimensionError):
        von_neumann_entropy(rho)


def test_entropy_bad_base():
    from opentangle import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="base"):
        von_neumann_entropy(bell_state(), base="e")
    with pytest.raises(InvalidParameterError, match="base"):
        entanglement_entropy(bell_state(ket=True), base=1)


def test_empty_batch_is_invalid_state():
    with pytest.raises(InvalidStateError, match="empty"):
        negativity(np.zeros((0, 4, 4)))


def test_non_integer_dims_rejected():
    with pytest.raises(DimensionError, match="dims"):
        negativity(bell_state(), dims=[2.7, 2.2])
    with pytest.raises(DimensionError, match="dims"):
        negativity(bell_state(), dims=["a", 2])
    assert negativity(bell_state(), dims=[2.0, 2.0]) == pytest.approx(0.5)


def test_qobj_dims_contradiction_and_superoperator():
    qutip = pytest.importorskip("qutip")
    q = qutip.Qobj(bell_state(), dims=[[2, 2], [2, 2]])
    with pytest.raises(DimensionError, match="contradict"):
        negativity(q, dims=[4, 1])
    assert negativity(q, dims=[2, 2]) == pytest.approx(0.5)
    # a Qobj without subsystem structure can be given dims explicitly
    assert negativity(qutip.Qobj(bell_state()), dims=[2, 2]) == pytest.approx(0.5)
    with pytest.raises(DimensionError, match="superoperator"):
        negativity(qutip.to_super(qutip.sigmax()))


@pytest.mark.parametrize("shape", [(3, 4), (3, 4, 4)])
def test_entanglement_entropy_rejects_batches(shape):
    psi = bell_state(ket=True)
    x = np.stack([psi] * 3) if len(shape) == 2 else np.stack([bell_state()] * 3)
    with pytest.raises(DimensionError, match="one state"):
        entanglement_entropy(x)


def test_fully_entangled_fraction_return_result_is_deprecated():
    """The value function returns a number; the result object comes from ``fully_entangled_fraction_optimum``."""
    from opentangle.states import isotropic_state

    rho = isotropic_state(0.7, 3)
    with pytest.warns(DeprecationWarning, match="fully_entangled_fraction_optimum"):
        old = fully_entangled_fraction(rho, return_result=True)
    new = fully_entangled_fraction_optimum(rho)
    assert old.value == pytest.approx(new.value, abs=1e-12) == pytest.approx(0.7, abs=1e-8)
    assert isinstance(fully_entangled_fraction(rho), float)
