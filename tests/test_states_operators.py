import numpy as np
import pytest

from opentangle import DimensionError, InvalidParameterError, InvalidStateError
from opentangle._convert import to_qutip
from opentangle.operators import (
    embed,
    partial_trace,
    partial_transpose,
    random_unitary,
    sigma_minus,
    sigma_x,
    sigma_z,
    spin_operators,
)
from opentangle.states import (
    bell_state,
    ghz_state,
    is_density_matrix,
    isotropic_state,
    random_density_matrix,
    spin_coherent_state,
    thermal_populations,
    thermal_state,
    validate_density_matrix,
    werner_state,
)

qutip = pytest.importorskip("qutip")


@pytest.mark.parametrize("dims", [[2, 2], [2, 3], [3, 2, 2], [2, 2, 2, 2]])
def test_partial_transpose_matches_qutip(dims):
    rho = random_density_matrix(int(np.prod(dims)), seed=3)
    q = qutip.Qobj(rho, dims=[dims, dims])
    for mask_index in range(len(dims)):
        mask = [0] * len(dims)
        mask[mask_index] = 1
        ours = partial_transpose(rho, [mask_index], dims)
        assert np.allclose(ours, qutip.partial_transpose(q, mask).full(), atol=1e-12)


@pytest.mark.parametrize("dims,keep", [([2, 3], [0]), ([2, 3], [1]), ([3, 2, 2], [0, 2]), ([2, 2, 2, 2], [1, 3])])
def test_partial_trace_matches_qutip(dims, keep):
    rho = random_density_matrix(int(np.prod(dims)), seed=5)
    q = qutip.Qobj(rho, dims=[dims, dims])
    assert np.allclose(partial_trace(rho, keep, dims), q.ptrace(keep).full(), atol=1e-12)


def test_partial_operations_batch_and_qobj():
    rhos = np.stack([random_density_matrix(4, seed=s) for s in range(5)])
    batched = partial_trace(rhos, [1], [2, 2])
    assert batched.shape == (5, 2, 2)
    for k in range(5):
        assert np.allclose(batched[k], partial_trace(rhos[k], [1], [2, 2]))
    q = qutip.Qobj(rhos[0], dims=[[2, 2], [2, 2]])
    assert np.allclose(partial_transpose(q, [0]), partial_transpose(rhos[0], [0], [2, 2]))


def test_embed_and_spin_operators():
    local = np.diag([1.0, 2.0, 3.0])
    assert np.allclose(embed(local, 1, [2, 3, 2]), np.kron(np.kron(np.eye(2), local), np.eye(2)))
    assert np.allclose(
        embed(np.kron(sigma_x(), local), [0, 1], [2, 3, 2]), np.kron(np.kron(sigma_x(), local), np.eye(2))
    )
    assert np.allclose(embed(sigma_z(), 0, [2, 2]), np.kron(sigma_z(), np.eye(2)))
    assert np.allclose(embed(sigma_minus(), 1, [2, 2], sparse=True).toarray(), np.kron(np.eye(2), sigma_minus()))
    jx, jy, jz = spin_operators(1.5)
    assert np.allclose(jx @ jy - jy @ jx, 1j * jz)
    assert np.allclose(jx @ jx + jy @ jy + jz @ jz, 1.5 * 2.5 * np.eye(4))
    qjx = qutip.jmat(1.5, "x").full()
    assert np.allclose(jx, qjx)
    with pytest.raises(DimensionError, match="out of range"):
        embed(sigma_x(), 3, [2, 2])
    with pytest.raises(DimensionError, match="does not act"):
        embed(np.eye(3), 0, [2, 2])


def test_standard_states():
    assert is_density_matrix(werner_state(0.2, 3))
    assert is_density_matrix(isotropic_state(0.5, 4))
    g = ghz_state(3)
    assert np.isclose(g[0, 0], 0.5) and np.isclose(g[0, 7], 0.5) and np.isclose(np.trace(g), 1)
    h = np.diag([0.0, 1.0])
    tau = thermal_state(h, temperature=1.0)
    assert np.allclose(np.diag(tau).real, [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))])
    assert np.allclose(thermal_populations([0, 0, 1], temperature=0), [0.5, 0.5, 0])
    assert np.allclose(thermal_state(spectrum=[0.7, 0.3]), np.diag([0.7, 0.3]))
    v = spin_coherent_state(2.5, 0.7, 0.3)
    q = qutip.spin_coherent(2.5, 0.7, 0.3).full().ravel()
    assert np.isclose(abs(np.vdot(v, q)), 1, atol=1e-10)
    big = spin_coherent_state(5000, np.pi / 2, 0)
    assert np.isclose(np.linalg.norm(big), 1) and np.all(np.isfinite(big))


def test_random_unitary_is_unitary_and_seeded():
    u = random_unitary(5, seed=1)
    assert np.allclose(u @ u.conj().T, np.eye(5))
    assert np.allclose(u, random_unitary(5, seed=1))


def test_to_qutip_roundtrip():
    rho = bell_state()
    q = to_qutip(rho, [2, 2])
    assert q.dims == [[2, 2], [2, 2]]
    assert np.allclose(q.full(), rho)


@pytest.mark.parametrize(
    "bad,err,match",
    [
        (np.array([[1, 1], [0, 0]]), InvalidStateError, "Hermitian"),
        (np.eye(2), InvalidStateError, "trace"),
        (np.diag([1.5, -0.5]), InvalidStateError, "positive"),
        (np.ones((2, 3)), DimensionError, "square"),
        (np.array([[np.nan, 0], [0, 1]]), InvalidStateError, "NaN"),
        (np.array([1, 0]), InvalidStateError, "ket2dm"),
    ],
)
def test_validate_density_matrix_errors(bad, err, match):
    with pytest.raises(err, match=match):
        validate_density_matrix(bad)
    assert not is_density_matrix(bad)


def test_bad_dims_and_indices():
    rho = random_density_matrix(6, seed=0)
    with pytest.raises(DimensionError, match="multiply"):
        partial_trace(rho, [0], [2, 2])
    with pytest.raises(DimensionError, match="out of range"):
        partial_transpose(rho, [2], [2, 3])
    with pytest.raises(DimensionError, match="guess"):
        partial_transpose(rho, [0])
    with pytest.raises(InvalidParameterError):
        thermal_state(np.array([[0, 1], [0, 0]]), temperature=1)
    with pytest.raises(InvalidParameterError):
        thermal_populations([0, 1], temperature=-1)
    with pytest.raises(InvalidParameterError):
        bell_state("phi0")


# ---------------------------------------------------------------- bad input raises typed errors
def test_partial_trace_rejects_non_integer_keep():
    with pytest.raises(DimensionError, match="keep"):
        partial_trace(bell_state(), "a")
    with pytest.raises(DimensionError, match="keep"):
        partial_trace(bell_state(), [0.5])


def test_empty_input_is_not_a_density_matrix():
    assert is_density_matrix(np.zeros((0, 0))) is False
    assert is_density_matrix(np.zeros((0, 4, 4))) is False
    with pytest.raises(InvalidStateError, match="empty"):
        validate_density_matrix(np.zeros((0, 4, 4)), batch=True)
    with pytest.raises(InvalidStateError, match="empty"):
        validate_density_matrix(np.zeros((0, 0)))


def test_superoperator_qobj_is_dimension_error():
    qutip = pytest.importorskip("qutip")
    with pytest.raises(DimensionError, match="superoperators are not states"):
        validate_density_matrix(qutip.to_super(qutip.sigmax()))
    with pytest.raises(DimensionError, match="superoperators are not states"):
        partial_trace(qutip.operator_to_vector(qutip.qeye(2) / 2), [0])


def test_spin_and_dims_validation():
    from opentangle.operators import kron

    with pytest.raises(InvalidParameterError, match="spin j"):
        spin_operators("a")
    with pytest.raises(DimensionError, match="dims"):
        embed(sigma_z(), 0, ["a", 2])
    with pytest.raises(DimensionError, match="dims"):
        embed(sigma_z(), 0, [2.5, 2])
    with pytest.raises(DimensionError, match="site"):
        embed(sigma_z(), 1.5, [2, 2])
    with pytest.raises(DimensionError, match="site"):
        embed(sigma_z(), "a", [2, 2])
    with pytest.raises(DimensionError, match="dims"):
        validate_density_matrix(np.eye(2) / 2, dims=["a"])
    with pytest.raises(DimensionError, match="not numeric"):
        kron("a", sigma_x())
    assert np.allclose(embed(sigma_z(), 1.0, [2.0, 2]), np.kron(np.eye(2), sigma_z()))


def test_thermal_inputs_validated():
    with pytest.raises(InvalidParameterError, match="spectrum"):
        thermal_state(spectrum=["a"])
    with pytest.raises(InvalidParameterError, match="spectrum"):
        thermal_state(spectrum=[[0.5], [0.25, 0.25]])
    with pytest.raises(InvalidParameterError, match="energies"):
        thermal_populations(["a"], temperature=1)


def test_ket2dm_validates():
    from opentangle.states import ket2dm

    with pytest.raises(DimensionError, match="not numeric"):
        ket2dm("abc")
    with pytest.raises(InvalidStateError, match="NaN"):
        ket2dm([np.nan, 1])


@pytest.mark.parametrize("kwargs", [{"dim": 3, "rank": 0}, {"dim": 0}, {"dim": 3, "rank": 1.5}, {"dim": "a"}])
def test_random_density_matrix_validates(kwargs):
    with pytest.raises(InvalidParameterError):
        random_density_matrix(**kwargs)
    rho = random_density_matrix(3, rank=1, seed=0)
    assert is_density_matrix(rho) and np.linalg.matrix_rank(rho, tol=1e-10) == 1
