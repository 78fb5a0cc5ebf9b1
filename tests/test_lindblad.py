"""Lindblad models, channels and Liouvillian: validation, Lindblad-form identities, QuTiP cross-checks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from opentangle.errors import DimensionError, InvalidParameterError, InvalidStateError
from opentangle.lindblad import (
    Jump,
    Model,
    amplitude_damping,
    correlated_decay,
    dephasing,
    evolve,
    liouvillian,
    reset,
    spectrum,
    steady_state,
)
from opentangle.operators import embed, partial_trace, sigma_minus, sigma_z
from opentangle.studies.reset import thermal_noise  # Hartmann et al.'s B, C, s (moved into the study)

qutip = pytest.importorskip("qutip")


def vec(rho):
    return rho.reshape(-1, order="F")


def unvec(v, D):
    return v.reshape(D, D, order="F")


def apply_L(model, rho):
    return unvec(liouvillian(model) @ vec(rho), model.dim)


def random_rho(D, rng):
    G = rng.standard_normal((D, D)) + 1j * rng.standard_normal((D, D))
    r = G @ G.conj().T
    return r / np.trace(r)


def random_model(D, rng, n_jumps=3):
    G = rng.standard_normal((D, D)) + 1j * rng.standard_normal((D, D))
    H = (G + G.conj().T) / 2
    jumps = [
        Jump(rng.standard_normal((D, D)) + 1j * rng.standard_normal((D, D)), rng.uniform(0.2, 2.0))
        for _ in range(n_jumps)
    ]
    return Model(hamiltonian=H, jumps=jumps)


def ising_reset_model(N, *, g, gamma, r):
    dims = [2] * N
    z = [embed(sigma_z(), i, dims, sparse=True) for i in range(N)]
    H = sum(g * z[i] @ z[j] for i in range(N) for j in range(i + 1, N))
    plus = np.array([1, 1]) / np.sqrt(2)
    jumps = []
    for i in range(N):
        jumps += dephasing(site=i, rate=gamma, dims=dims)
        jumps += reset(site=i, rate=r, state=plus, dims=dims)
    return Model(hamiltonian=H, jumps=jumps, dims=dims)


# ----------------------------------------------------------------------------- model construction


def test_model_accepts_arrays_sparse_qobj_and_tuples():
    H = sigma_z()
    m1 = Model(hamiltonian=H, jumps=[(sigma_minus(), 0.5)])
    m2 = Model(hamiltonian=sp.csr_matrix(H), jumps=[Jump(sp.csr_matrix(sigma_minus()), 0.5)])
    m3 = Model(hamiltonian=qutip.sigmaz(), jumps=[Jump(qutip.sigmam(), 0.5)])
    for m in (m2, m3):
        assert abs(liouvillian(m) - liouvillian(m1)).max() < 1e-15
    assert m1.dims == [2]
    q = qutip.tensor(qutip.sigmaz(), qutip.qeye(3))
    assert Model(hamiltonian=q).dims == [2, 3]
    assert "Model(dims=[2]" in repr(m1)


def test_nested_channel_lists_are_flattened():
    dims = [2, 2]
    m = Model(jumps=[dephasing(site=0, rate=1, dims=dims), amplitude_damping(site=1, rate=2, dims=dims)], dims=dims)
    assert len(m.jumps) == 2


@pytest.mark.parametrize(
    "kwargs, err",
    [
        (dict(hamiltonian=np.array([[0, 1], [0, 0]])), InvalidParameterError),
        (dict(hamiltonian=sigma_z(), jumps=[(sigma_minus(), -1.0)]), InvalidParameterError),
        (dict(hamiltonian=sigma_z(), jumps=[(sigma_minus(), float("nan"))]), InvalidParameterError),
        (dict(hamiltonian=sigma_z(), jumps=[(sigma_minus(), float("inf"))]), InvalidParameterError),
        (dict(hamiltonian=sigma_z(), jumps=[(np.eye(3), 1.0)]), DimensionError),
        (dict(hamiltonian=sigma_z(), dims=[3]), DimensionError),
        (dict(hamiltonian=np.ones((2, 3))), DimensionError),
        (dict(hamiltonian=np.array([[np.nan, 0], [0, 1]])), InvalidParameterError),
        (dict(hamiltonian=sigma_z(), jumps=["nonsense"]), InvalidParameterError),
    ],
)
def test_model_validation(kwargs, err):
    with pytest.raises(err):
        Model(**kwargs)


def test_channel_validation():
    with pytest.raises(DimensionError):
        dephasing(site=2, rate=1, dims=[2, 2])
    with pytest.raises(DimensionError):
        dephasing(site=0, rate=1, dims=[3, 2])  # qubit channel on a qutrit
    with pytest.raises(InvalidParameterError):
        amplitude_damping(site=0, rate=-1, dims=[2])
    with pytest.raises(InvalidParameterError):
        thermal_noise(site=0, B=2.0, C=0.5, s=0.1, dims=[2])  # C < B/2: not CP
    with pytest.raises(InvalidParameterError):
        thermal_noise(site=0, B=1.0, C=1.0, s=1.5, dims=[2])
    with pytest.raises(DimensionError):
        reset(site=0, rate=1, state=np.array([1, 0, 0]), dims=[2, 2])
    with pytest.raises(InvalidParameterError):
        reset(site=0, rate=1, state=np.array([1, 1]), dims=[2])  # not normalised
    with pytest.raises(InvalidStateError):
        reset(site=0, rate=1, state=np.array([[1, 0], [0, 1]]), dims=[2])  # trace 2
    with pytest.raises(InvalidParameterError):
        correlated_decay(rate_matrix=[[1, 2], [2, 1]], operators=[sigma_minus(), sigma_minus()])  # not PSD
    with pytest.raises(DimensionError):
        correlated_decay(rate_matrix=np.eye(3), operators=[sigma_minus(), sigma_minus()])
    with pytest.raises(InvalidParameterError):  # PSD-looking but not Hermitian
        correlated_decay(rate_matrix=[[1.0, 0.5], [0.0, 1.0]], operators=[sigma_minus(), sigma_minus()])
    with pytest.raises(InvalidParameterError):  # complex, eigenvalues real and > 0, Gamma != Gamma^dag
        correlated_decay(rate_matrix=[[1.0, 0.5j], [0.5j, 1.0]], operators=[sigma_minus(), sigma_minus()])
    with pytest.raises(DimensionError):
        dephasing(site=0, rate=1, dims=[2.5, 2])  # non-integer dims are not truncated


def test_model_dims_from_qobj_jumps_and_conflicts():
    a = qutip.tensor(qutip.destroy(3), qutip.qeye(2))
    assert Model(jumps=[(a, 1.0)]).dims == [3, 2]  # jump-only model
    assert Model(jumps=[Jump(a, 1.0)], hamiltonian=a.full() + a.dag().full()).dims == [3, 2]
    s = [qutip.tensor(qutip.sigmam(), qutip.qeye(2)), qutip.tensor(qutip.qeye(2), qutip.sigmam())]
    assert Model(jumps=correlated_decay(rate_matrix=np.ones((2, 2)), operators=s)).dims == [2, 2]
    H = qutip.tensor(qutip.sigmaz(), qutip.qeye(3))
    assert Model(hamiltonian=H, dims=[2, 3]).dims == [2, 3]
    with pytest.raises(DimensionError):
        Model(hamiltonian=H, dims=[3, 2])  # explicit dims contradict the Qobj dims
    with pytest.raises(DimensionError):
        Model(jumps=[(a, 1.0)], dims=[2, 3])
    with pytest.raises(DimensionError):
        Model(hamiltonian=H, jumps=[(a, 1.0)])  # Qobj dims [2, 3] vs [3, 2]
    with pytest.raises(DimensionError):
        correlated_decay(rate_matrix=np.eye(2), operators=[a, H])


def test_model_argument_types():
    j = Jump(sigma_minus(), 1.0)
    m = Model(jumps=j)  # a bare Jump (not in a list) is accepted
    assert len(m.jumps) == 1 and abs(liouvillian(m) - liouvillian(Model(jumps=[j]))).max() == 0
    assert len(Model(jumps=(sigma_minus(), 1.0)).jumps) == 1  # a bare (op, rate) tuple
    with pytest.raises(InvalidParameterError):
        Model(jumps=3)
    for bad in ("1", None, [1.0], b"1"):
        with pytest.raises(InvalidParameterError):
            Jump(sigma_minus(), bad)
        with pytest.raises(InvalidParameterError):
            Model(jumps=[(sigma_minus(), bad)])
    assert Jump(sigma_minus(), np.float32(2)).rate == 2.0 and Jump(sigma_minus(), 3).rate == 3.0
    for dims in ([2.5, 1.6], [2.0, 2.5], ["2", "2"], [2, True]):
        with pytest.raises(DimensionError):
            Model(hamiltonian=np.eye(4), dims=dims)
    assert Model(hamiltonian=np.eye(4), dims=[2.0, np.int64(2)]).dims == [2, 2]


# ----------------------------------------------------------------------------- Liouvillian


def test_liouvillian_matches_qutip_on_random_models():
    rng = np.random.default_rng(1)
    for D in (2, 3, 6):
        m = random_model(D, rng)
        c_ops = [qutip.Qobj(np.sqrt(j.rate) * j.op.toarray()) for j in m.jumps]
        Lq = qutip.liouvillian(qutip.Qobj(m.hamiltonian.toarray()), c_ops).full()
        assert np.abs(liouvillian(m).toarray() - Lq).max() < 1e-12


def test_sparse_assembly_matches_qutip():
    """D = 64 > 32: the COO-summed sparse assembly, against QuTiP's own Liouvillian."""
    m = ising_reset_model(6, g=1.3, gamma=0.7, r=2.1)
    # sparse (CSR) Qobjs: QuTiP's superoperators of dense 64 x 64 inputs are dense 4096 x 4096 products (minutes)
    c_ops = [qutip.Qobj(np.sqrt(j.rate) * sp.csr_matrix(j.op)) for j in m.jumps]
    Lq = qutip.liouvillian(qutip.Qobj(sp.csr_matrix(m.hamiltonian)), c_ops).data.as_scipy()
    assert Lq.shape == (4096, 4096) and Lq.nnz > 0
    assert abs(liouvillian(m) - Lq).max() < 1e-12


def test_liouvillian_is_trace_preserving_and_hermiticity_preserving():
    rng = np.random.default_rng(2)
    m = random_model(4, rng)
    rho = random_rho(4, rng)
    out = apply_L(m, rho)
    assert abs(np.trace(out)) < 1e-12
    assert np.abs(out - out.conj().T).max() < 1e-12


def test_dephasing_convention():
    m = Model(jumps=dephasing(site=0, rate=0.7, dims=[2]))
    rho = np.array([[0.5, 0.3 + 0.1j], [0.3 - 0.1j, 0.5]])
    expect = 0.7 / 2 * (sigma_z() @ rho @ sigma_z() - rho)
    assert np.allclose(apply_L(m, rho), expect, atol=1e-14)


@pytest.mark.parametrize("site, dims", [(0, [2, 3]), (1, [2, 3]), (1, [2, 2, 2])])
def test_reset_mixed_state_is_proper_lindblad_form(site, dims):
    rng = np.random.default_rng(3)
    d = dims[site]
    sigma = random_rho(d, rng)
    jumps = reset(site=site, rate=1.7, state=sigma, dims=dims)
    assert len(jumps) == d * d  # full-rank fresh state: d eigencomponents x d basis states
    m = Model(jumps=jumps, dims=dims)
    D = m.dim
    rho = random_rho(D, rng)
    # r (sigma_site (x) tr_site rho - rho), built with a permutation of subsystems
    rest = [i for i in range(len(dims)) if i != site]
    red = partial_trace(rho, rest, dims)
    prod = np.kron(sigma, red)  # order: site, rest
    order = [site] + rest
    n = len(dims)
    t = prod.reshape([dims[i] for i in order] * 2)
    inv = np.argsort(order)
    t = t.transpose(list(inv) + [n + i for i in inv]).reshape(D, D)
    assert np.allclose(apply_L(m, rho), 1.7 * (t - rho), atol=1e-12)


def test_reset_pure_state_jumps_are_phi_k():
    plus = np.array([1, 1]) / np.sqrt(2)
    jumps = reset(site=0, rate=8.0, state=plus, dims=[2])
    assert len(jumps) == 2
    # each jump is |phi><k| up to a global phase: compare the sandwich superoperators
    for j in jumps:
        c = j.op.toarray()
        k = int(np.argmax(np.abs(c).sum(axis=0)))
        assert np.allclose(np.abs(c), np.abs(np.outer(plus, np.eye(2)[k])), atol=1e-14)
        assert np.isclose(j.rate, 8.0)
    got = sum(j.rate * np.kron(j.op.toarray().conj(), j.op.toarray()) for j in jumps)
    expect = sum(8.0 * np.kron(np.outer(plus, np.eye(2)[k]), np.outer(plus, np.eye(2)[k])) for k in range(2))
    assert np.allclose(got, expect, atol=1e-14)


def test_correlated_decay_reproduces_rate_matrix_form():
    rng = np.random.default_rng(4)
    dims = [2, 2]
    s = [embed(sigma_minus(), i, dims) for i in range(2)]
    X = rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2))
    G = X @ X.conj().T
    m = Model(jumps=correlated_decay(rate_matrix=G, operators=s), dims=dims)
    rho = random_rho(4, rng)
    expect = sum(
        G[j, k] * (s[j] @ rho @ s[k].conj().T - 0.5 * (s[k].conj().T @ s[j] @ rho + rho @ s[k].conj().T @ s[j]))
        for j in range(2)
        for k in range(2)
    )
    assert np.allclose(apply_L(m, rho), expect, atol=1e-12)
    # rank-one Gamma (G1 = G2 = G12) gives one collective jump
    assert len(correlated_decay(rate_matrix=np.ones((2, 2)), operators=s)) == 1


@pytest.mark.parametrize("B, C, s", [(1.0, 1.0, 0.25), (2.0, 1.5, 0.0), (0.5, 3.0, 0.5), (0.0, 1.0, 0.3)])
def test_thermal_noise_bloch_equations(B, C, s):
    """Hartmann Eq. (1): T1 = 1/B, T2 = 1/C, equilibrium <(1+sz)/2> = s."""
    m = Model(jumps=thermal_noise(site=0, B=B, C=C, s=s, dims=[2]), dims=[2])
    rho0 = np.array([[0.9, 0.15 - 0.2j], [0.15 + 0.2j, 0.1]])
    t = 0.8
    ev = evolve(m, rho0, [0.0, t])
    r = ev.states[-1]
    assert np.isclose(r[0, 0].real, s + (0.9 - s) * np.exp(-B * t), atol=1e-12)
    assert np.isclose(r[0, 1], (0.15 - 0.2j) * np.exp(-C * t), atol=1e-12)
    eig = np.sort(np.linalg.eigvals(liouvillian(m).toarray()).real)
    assert np.allclose(eig, np.sort([0, -B, -C, -C]), atol=1e-12)
    if B > 0:
        assert np.isclose(steady_state(m).rho[0, 0].real, s, atol=1e-12)


def test_thermal_noise_reduces_to_dephasing():
    a = liouvillian(Model(jumps=thermal_noise(site=1, B=0.0, C=0.9, s=0.3, dims=[2, 2]), dims=[2, 2]))
    b = liouvillian(Model(jumps=dephasing(site=1, rate=0.9, dims=[2, 2]), dims=[2, 2]))
    assert abs(a - b).max() < 1e-14


# ----------------------------------------------------------------------------- analytic two-qubit checks


def negativity_2q(rho):
    from opentangle.measures import negativity

    return negativity(rho)


@pytest.mark.parametrize("g, r", [(2.5, 6.0), (2.5, 3.0), (5.0, 10.0), (0.5, 1.0), (1.5, 1.5 * (1 + np.sqrt(3)))])
def test_two_qubit_negativity_closed_form(g, r):
    gamma = 1.0
    ss = steady_state(ising_reset_model(2, g=g, gamma=gamma, r=r))
    num = g * r * (r + gamma) - g**2 * (r + gamma) - gamma * (r + gamma / 2) ** 2
    den = 2 * (r + gamma) * (2 * g**2 + (r + gamma / 2) * (r + gamma))
    assert abs(negativity_2q(ss.rho) - max(0.0, num / den)) < 1e-12


@pytest.mark.parametrize("g, r, gamma", [(2.5, 6.0, 1.0), (1.0, 8.0, 0.5), (3.0, 2.0, 1.0)])
def test_two_qubit_spectrum_exact(g, r, gamma):
    m = ising_reset_model(2, g=g, gamma=gamma, r=r)
    w = 2j * np.sqrt(complex(g**2 - r**2 / 16))
    expect = [0, -r, -r, -2 * r] + [-2 * (r + gamma)] * 4 + [-(1.5 * r + gamma) + w] * 4 + [-(1.5 * r + gamma) - w] * 4
    sp_ = spectrum(m, k=16)
    got = np.sort_complex(np.round(sp_.eigenvalues, 8))
    assert np.allclose(got, np.sort_complex(np.round(np.array(expect, complex), 8)), atol=1e-7)
    slowest_nonzero = max(-r, -(1.5 * r + gamma) + w.real)
    assert np.isclose(sp_.gap, -slowest_nonzero, atol=1e-9)
