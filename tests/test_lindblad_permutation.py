"""Tests of the permutation-symmetric Lindblad solver (opentangle.lindblad.permutation).

Oracles: a full-space sparse solve written here (independent of the engine),
QuTiP ``steadystate``, QuTiP PIQS, the engine's ``steady_state`` when present,
and analytic two-qubit / product-state results (Hartmann, Dür, Briegel 2006).
"""

from __future__ import annotations

import importlib.util
import math
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from opentangle.errors import DimensionError, InvalidParameterError, NonUniqueSteadyStateError
from opentangle.lindblad.permutation import (
    CollectiveMoments,
    SymmetricHamiltonian,
    spin_squeezing,
    symmetric_dimension,
    symmetric_liouvillian,
    symmetric_steady_state,
)
from opentangle.measures import negativity
from opentangle.operators import embed, partial_trace, sigma_minus, sigma_plus, sigma_x, sigma_y, sigma_z

PLUS = np.array([1.0, 1.0]) / math.sqrt(2)
RESET_PLUS = [np.outer(PLUS, [1, 0]), np.outer(PLUS, [0, 1])]


def reset_model(g: float, gamma: float, r: float) -> dict:
    """Hartmann et al.: Ising g sum_{i<j} sz sz, gamma/2 (sz rho sz - rho), reset to |+> at rate r."""
    return dict(
        hamiltonian=SymmetricHamiltonian.ising(g),
        local_jumps=[(sigma_z(), gamma / 2), (RESET_PLUS[0], r), (RESET_PLUS[1], r)],
    )


# ------------------------------------------------------------------ independent full-space reference


def full_space(n: int, ham: SymmetricHamiltonian, local=(), collective=()):
    """Full 2^n Hamiltonian and jump list of the same model, built site by site."""
    dims = [2] * n
    h = sum(embed(ham.one_body, i, dims) for i in range(n))
    v4 = ham.two_body.reshape(2, 2, 2, 2)
    for i in range(n):
        for j in range(i + 1, n):
            # V on (i, j): sum_{abcd} V[ab, cd] |a><c|_i |b><d|_j
            for a, b, c, d in np.ndindex(2, 2, 2, 2):
                if v4[a, b, c, d] != 0:
                    ei = np.zeros((2, 2))
                    ej = np.zeros((2, 2))
                    ei[a, c] = 1
                    ej[b, d] = 1
                    h = h + v4[a, b, c, d] * embed(ei, i, dims) @ embed(ej, j, dims)
    jumps = [(embed(op, i, dims), rate) for op, rate in local for i in range(n)]
    jumps += [(sum(embed(op, i, dims) for i in range(n)), rate) for op, rate in collective]
    return h, jumps


def full_steady_state(h, jumps) -> np.ndarray:
    d = h.shape[0]
    eye = sp.identity(d, format="csr")
    hs = sp.csr_matrix(h)
    liou = -1j * (sp.kron(eye, hs) - sp.kron(hs.T, eye))  # column stacking
    for op, rate in jumps:
        a = sp.csr_matrix(op)
        ada = a.conj().T @ a
        liou = liou + rate * (sp.kron(a.conj(), a) - 0.5 * sp.kron(eye, ada) - 0.5 * sp.kron(ada.T, eye))
    liou = liou.tolil()
    liou[0, :] = np.eye(d).reshape(1, -1, order="F")  # trace row
    rhs = np.zeros(d * d, complex)
    rhs[0] = 1
    rho = spla.spsolve(liou.tocsc(), rhs).reshape(d, d, order="F")
    return 0.5 * (rho + rho.conj().T)


def random_model(rng: np.random.Generator):
    def cplx(shape):
        return rng.normal(size=shape) + 1j * rng.normal(size=shape)

    h1 = cplx((2, 2))
    v = cplx((4, 4))
    swap = np.eye(4)[[0, 2, 1, 3]]
    v = v + v.conj().T
    v = v + swap @ v @ swap
    ham = SymmetricHamiltonian(one_body=h1 + h1.conj().T, two_body=v / 4)
    local = [(cplx((2, 2)), rng.uniform(0.2, 1.5)), (cplx((2, 2)), rng.uniform(0.2, 1.5))]
    collective = [(cplx((2, 2)), rng.uniform(0.1, 1.0))]
    return ham, local, collective


# ------------------------------------------------------------------ cross-checks


@pytest.mark.parametrize("n, seed", [(2, 0), (3, 1), (4, 2), (4, 3)])
def test_random_model_matches_full_space(n, seed):
    ham, local, collective = random_model(np.random.default_rng(seed))
    ss = symmetric_steady_state(n=n, hamiltonian=ham, local_jumps=local, collective_jumps=collective)
    rho = full_steady_state(*full_space(n, ham, local, collective))
    dims = [2] * n
    assert np.abs(ss.reduced_state(n) - rho).max() < 1e-10
    assert np.abs(ss.rho1 - partial_trace(rho, [n - 1], dims)).max() < 1e-10
    assert np.abs(ss.rho2 - partial_trace(rho, [0, n - 1], dims)).max() < 1e-10
    assert ss.residual < 1e-10 and ss.residual_max < 1e-10


@pytest.mark.parametrize("n, r", [(5, 3.0), (5, 12.0), (6, 8.0)])
def test_reset_model_matches_full_space(n, r):
    model = reset_model(5.0, 1.0, r)
    ss = symmetric_steady_state(n=n, **model)
    rho = full_steady_state(*full_space(n, model["hamiltonian"], model["local_jumps"]))
    rho2 = partial_trace(rho, [0, 1], [2] * n)
    assert np.abs(ss.rho2 - rho2).max() < 1e-10
    assert abs(ss.negativity() - negativity(rho2)) < 1e-10
    # reduced states are states
    assert abs(np.trace(ss.rho2) - 1) < 1e-12
    assert np.allclose(ss.rho2, ss.rho2.conj().T, atol=1e-14)
    assert np.linalg.eigvalsh(ss.rho2).min() > -1e-12


def test_matches_qutip_steadystate():
    qutip = pytest.importorskip("qutip")
    ham, local, collective = random_model(np.random.default_rng(7))
    n = 3
    h, jumps = full_space(n, ham, local, collective)
    dims = [[2] * n, [2] * n]
    c_ops = [qutip.Qobj(math.sqrt(rate) * op, dims=dims) for op, rate in jumps]
    rho = qutip.steadystate(qutip.Qobj(h, dims=dims), c_ops).full()
    ss = symmetric_steady_state(n=n, hamiltonian=ham, local_jumps=local, collective_jumps=collective)
    assert np.abs(ss.reduced_state(3) - rho).max() < 1e-8


def test_matches_engine_steady_state():
    if importlib.util.find_spec("opentangle.lindblad") is None:  # pragma: no cover
        pytest.skip("engine not available")
    lind = pytest.importorskip("opentangle.lindblad")
    if not hasattr(lind, "steady_state") or not hasattr(lind, "Model"):
        pytest.skip("opentangle.lindblad.steady_state not written yet")
    n = 4
    model = reset_model(5.0, 1.0, 6.0)
    h, jumps = full_space(n, model["hamiltonian"], model["local_jumps"])
    res = lind.steady_state(lind.Model(hamiltonian=h, jumps=jumps, dims=[2] * n))
    ss = symmetric_steady_state(n=n, **model)
    assert np.abs(ss.reduced_state(n) - res.rho).max() < 1e-8


def test_engine_helpers_thermal_and_mixed_reset_match_engine_full_space():
    lind = pytest.importorskip("opentangle.lindblad")
    if not all(hasattr(lind, f) for f in ("thermal_jumps", "reset", "steady_state", "Model")):
        pytest.skip("engine not written yet")
    n = 4
    fresh = np.diag([0.8, 0.2]) + 0.3 * sigma_x()  # imperfect (mixed) reset state
    ham = SymmetricHamiltonian.heisenberg(1.3) + SymmetricHamiltonian.field(x=0.4, z=-0.2)
    local = [
        lind.thermal_jumps(site=0, t1=1 / 0.6, t2=1 / 0.9, n_th=0.75, dims=[2]),  # Hartmann's B, C, s = 0.6, 0.9, 0.3
        lind.reset(site=0, rate=2.0, state=fresh, dims=[2]),
    ]
    collective = [(sigma_minus(), 0.5)]
    ss = symmetric_steady_state(n=n, hamiltonian=ham, local_jumps=local, collective_jumps=collective)
    flat = [(j.op.toarray(), j.rate) for group in local for j in group]
    h, jumps = full_space(n, ham, flat, collective)
    ref = lind.steady_state(lind.Model(hamiltonian=h, jumps=jumps, dims=[2] * n))
    assert np.abs(ss.reduced_state(n) - ref.rho).max() < 1e-9


def test_matches_piqs_moments():
    qutip = pytest.importorskip("qutip")
    try:
        from qutip.piqs.piqs import Dicke, jspin
    except ImportError:  # pragma: no cover
        pytest.skip("qutip.piqs not available")
    n, g, hx, ge, gd = 12, 1.0, 0.7, 1.0, 0.5
    jx, jy, jz = jspin(n)
    h = g / 2 * ((2 * jz) ** 2 - n) + 2 * hx * jx  # g sum_{i<j} sz sz + hx sum sx
    rho = qutip.steadystate(Dicke(n, hamiltonian=h, emission=ge, dephasing=gd).liouvillian())
    # PIQS: emission = ge D[sigma_-], dephasing = gd D[sz/2] = gd/4 D[sz]
    ss = symmetric_steady_state(
        n=n,
        hamiltonian=SymmetricHamiltonian.ising(g) + SymmetricHamiltonian.field(x=hx),
        local_jumps=[(sigma_minus(), ge), (sigma_z(), gd / 4)],
    )
    ref_mean = [qutip.expect(o, rho) for o in (jx, jy, jz)]
    ref_var = [qutip.expect(o * o, rho) for o in (jx, jy, jz)]
    assert np.allclose(ss.moments.mean, ref_mean, atol=1e-7)
    assert np.allclose(np.diag(ss.moments.second), ref_var, atol=1e-6)


# ------------------------------------------------------------------ analytic results


def hartmann_negativity(g, r, gamma):
    num = g * r * (r + gamma) - g**2 * (r + gamma) - gamma * (r + gamma / 2) ** 2
    den = 2 * (r + gamma) * (2 * g**2 + (r + gamma / 2) * (r + gamma))
    return max(0.0, num / den)


@pytest.mark.parametrize("g, r", [(2.5, 6.0), (1.0 / (1 + math.sqrt(3)) * 40, 40.0), (2.0, 3.0), (0.5, 2.0)])
def test_two_qubit_negativity_formula(g, r):
    ss = symmetric_steady_state(n=2, **reset_model(g, 1.0, r))
    assert abs(ss.negativity() - hartmann_negativity(g, r, 1.0)) < 1e-12


def test_two_qubit_spectrum_is_in_analytic_spectrum():
    g, gamma, r = 3.0, 1.0, 3.0
    liou = symmetric_liouvillian(n=2, **reset_model(g, gamma, r))
    ev = np.linalg.eigvals(liou.matrix.toarray())
    root = 2 * np.sqrt(complex(g**2 - r**2 / 16))
    osc = -(1.5 * r + gamma)
    allowed = np.array([0, -r, -2 * r, -2 * (r + gamma), osc + 1j * root, osc - 1j * root])
    # degenerate (defective) eigenvalues are only accurate to ~sqrt(eps)
    assert all(np.abs(allowed - e).min() < 1e-6 for e in ev)
    assert np.abs(allowed[:, None] - ev[None, :]).min(axis=1).max() < 1e-6  # and every one occurs
    assert np.abs(ev).min() < 1e-12  # the steady state


def test_product_steady_states():
    n = 30
    # decay only: everyone in |1>
    ss = symmetric_steady_state(n=n, local_jumps=[(sigma_minus(), 1.0)])
    assert np.allclose(ss.rho1, np.diag([0, 1]), atol=1e-12)
    assert np.allclose(ss.moments.mean, [0, 0, -n / 2], atol=1e-10)
    # decay + pumping: thermal product state, p0 = up / (up + down)
    ss = symmetric_steady_state(n=n, local_jumps=[(sigma_minus(), 0.7), (sigma_plus(), 0.3)])
    rho1 = np.diag([0.3, 0.7])
    assert np.allclose(ss.rho1, rho1, atol=1e-12)
    assert np.allclose(ss.rho2, np.kron(rho1, rho1), atol=1e-12)
    # reset to |+> against dephasing, no interaction: x = r / (r + gamma)
    r, gamma = 3.0, 1.0
    ss = symmetric_steady_state(n=n, **reset_model(0.0, gamma, r))
    rho1 = 0.5 * (np.eye(2) + r / (r + gamma) * sigma_x())
    assert np.allclose(ss.rho1, rho1, atol=1e-12)
    assert np.allclose(ss.rho2, np.kron(rho1, rho1), atol=1e-12)
    assert np.allclose(ss.moments.covariance, np.diag([1 - (r / (r + gamma)) ** 2, 1, 1]) * n / 4, atol=1e-9)


def test_large_n_reset_model_is_a_state():
    n = 40
    ss = symmetric_steady_state(n=n, **reset_model(5.0, 1.0, 8.0), check_unique=False)
    assert ss.dimension == symmetric_dimension(n) == math.comb(43, 3)
    assert ss.blocks >= 2  # the Z2 symmetry (global sx conjugation) splits L
    assert ss.residual_max < 1e-10
    assert abs(np.trace(ss.rho2) - 1) < 1e-12 and np.linalg.eigvalsh(ss.rho2).min() > -1e-12
    # marginal consistency: tracing a qubit of rho2 gives rho1
    assert np.allclose(partial_trace(ss.rho2, [0], [2, 2]), ss.rho1, atol=1e-12)
    assert np.allclose(ss.reduced_state(3)[:4, :4] + ss.reduced_state(3)[4:, 4:], ss.rho2, atol=1e-12)
    # Z2 symmetry: <sy> = <sz> = 0
    assert np.allclose(ss.moments.mean[1:], 0, atol=1e-10)


# ------------------------------------------------------------------ Hamiltonians and moments


def test_collective_hamiltonian_decomposition():
    n = 3
    rng = np.random.default_rng(4)
    q = rng.normal(size=(3, 3))
    q = q + q.T
    b = rng.normal(size=3)
    ham = SymmetricHamiltonian.collective(quadratic=q, linear=b)
    dims = [2] * n
    j = [sum(embed(p, i, dims) for i in range(n)) / 2 for p in (sigma_x(), sigma_y(), sigma_z())]
    expected = sum(q[a, c] * j[a] @ j[c] for a in range(3) for c in range(3)) + sum(b[a] * j[a] for a in range(3))
    built, _ = full_space(n, ham)
    assert np.allclose(built, expected, atol=1e-12)
    # Ising identity: g sum_{i<j} sz sz = g/2 ((2 Jz)^2 - N)
    ising, _ = full_space(n, SymmetricHamiltonian.ising(1.5))
    assert np.allclose(ising, 1.5 / 2 * (4 * j[2] @ j[2] - n * np.eye(2**n)), atol=1e-12)


def test_moments_match_full_space_operators():
    n = 4
    ham, local, collective = random_model(np.random.default_rng(11))
    ss = symmetric_steady_state(n=n, hamiltonian=ham, local_jumps=local, collective_jumps=collective)
    rho = ss.reduced_state(n)
    dims = [2] * n
    j = [sum(embed(p, i, dims) for i in range(n)) / 2 for p in (sigma_x(), sigma_y(), sigma_z())]
    mean = [np.trace(rho @ o).real for o in j]
    second = [[np.trace(rho @ (a @ b + b @ a)).real / 2 for b in j] for a in j]
    assert np.allclose(ss.moments.mean, mean, atol=1e-12)
    assert np.allclose(ss.moments.second, second, atol=1e-12)


# ------------------------------------------------------------------ spin squeezing


def _moments_of(rho: np.ndarray, n: int) -> CollectiveMoments:
    dims = [2] * n
    return CollectiveMoments.from_reduced(n, partial_trace(rho, [0], dims), partial_trace(rho, [0, 1], dims))


def test_spin_squeezing_never_flags_separable_states():
    rng = np.random.default_rng(5)
    n = 4
    for _ in range(20):
        # permutation-symmetric separable state: mixture of identical product states
        rho = np.zeros((2**n, 2**n), complex)
        for w in rng.dirichlet(np.ones(3)):
            v = rng.normal(size=2) + 1j * rng.normal(size=2)
            v /= np.linalg.norm(v)
            p = np.outer(v, v.conj())
            prod = p
            for _ in range(n - 1):
                prod = np.kron(prod, p)
            rho += w * prod
        res = spin_squeezing(_moments_of(rho, n))
        assert not res.entangled
        assert min(res.toth_margins) > -1e-9 and res.xi2_wineland >= 1 - 1e-9


def test_spin_squeezing_detects_dicke_and_twisted_states():
    n = 6
    # Dicke state with n/2 excitations: Var(Jz) = 0, <Jx^2> = <Jy^2> = n(n+2)/8
    m = CollectiveMoments(n=n, mean=np.zeros(3), second=np.diag([n * (n + 2) / 8, n * (n + 2) / 8, 0.0]))
    res = spin_squeezing(m)
    assert res.entangled and res.toth_margins[2] < 0 and math.isinf(res.xi2_wineland)
    # one-axis twisting exp(-i mu Jz^2)|+>^n is spin squeezed (xi^2 < 1)
    dims = [2] * n
    jz = sum(embed(sigma_z(), i, dims) for i in range(n)) / 2
    psi = PLUS
    for _ in range(n - 1):
        psi = np.kron(psi, PLUS)
    psi = np.exp(-1j * 0.1 * np.diag(jz @ jz).real) * psi
    res = spin_squeezing(_moments_of(np.outer(psi, psi.conj()), n))
    assert res.xi2_wineland < 0.9 and res.entangled


# ------------------------------------------------------------------ validation and errors


def test_non_unique_steady_states_raise():
    with pytest.raises(NonUniqueSteadyStateError):
        symmetric_steady_state(n=5, collective_jumps=[(sigma_minus(), 1.0)])  # conserves total spin
    with pytest.raises(NonUniqueSteadyStateError):
        symmetric_steady_state(n=5, hamiltonian=SymmetricHamiltonian.ising(2.0), local_jumps=[(sigma_z(), 1.0)])
    with pytest.raises(NonUniqueSteadyStateError):
        symmetric_steady_state(n=4)


def test_jump_objects_and_nested_lists_are_accepted():
    nested = [SimpleNamespace(op=RESET_PLUS[0], rate=8.0), SimpleNamespace(op=RESET_PLUS[1], rate=8.0)]
    jumps = [SimpleNamespace(op=sigma_z(), rate=0.5), nested]
    a = symmetric_steady_state(n=5, hamiltonian=SymmetricHamiltonian.ising(5.0), local_jumps=jumps)
    b = symmetric_steady_state(n=5, **reset_model(5.0, 1.0, 8.0))
    assert np.allclose(a.rho2, b.rho2, atol=1e-14)


def test_engine_channel_helpers_are_accepted():
    lind = pytest.importorskip("opentangle.lindblad")
    if not all(hasattr(lind, f) for f in ("dephasing", "reset")):
        pytest.skip("engine channel helpers not written yet")
    jumps = [lind.dephasing(site=0, rate=1.0, dims=[2]), lind.reset(site=0, rate=8.0, state=PLUS, dims=[2])]
    a = symmetric_steady_state(n=4, hamiltonian=SymmetricHamiltonian.ising(5.0), local_jumps=jumps)
    b = symmetric_steady_state(n=4, **reset_model(5.0, 1.0, 8.0))
    assert np.allclose(a.rho2, b.rho2, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(n=1), InvalidParameterError),
        (dict(n=2.5), InvalidParameterError),
        (dict(n=3, local_jumps=[(sigma_z(), -1.0)]), InvalidParameterError),
        (dict(n=3, local_jumps=[(sigma_z(), float("nan"))]), InvalidParameterError),
        (dict(n=3, local_jumps=[(np.eye(4), 1.0)]), DimensionError),
        (dict(n=3, local_jumps=[sigma_z()]), InvalidParameterError),
        (dict(n=3, collective_jumps=[(np.ones((2, 3)), 1.0)]), DimensionError),
        (dict(n=3, hamiltonian=np.eye(8)), InvalidParameterError),
        (dict(n=3, local_jumps=[(sigma_z(), 1.0)], tol=0.0), InvalidParameterError),
    ],
)
def test_bad_input_raises_typed_errors(kwargs, exc):
    with pytest.raises(exc):
        symmetric_steady_state(**kwargs)


def test_bad_hamiltonians_raise():
    with pytest.raises(InvalidParameterError, match="Hermitian"):
        SymmetricHamiltonian(one_body=sigma_plus())
    with pytest.raises(InvalidParameterError, match="exchange"):
        SymmetricHamiltonian(two_body=np.kron(sigma_z(), np.eye(2)))
    with pytest.raises(DimensionError):
        SymmetricHamiltonian(two_body=np.eye(2))
    with pytest.raises(InvalidParameterError):
        SymmetricHamiltonian.collective(quadratic=np.triu(np.ones((3, 3))))
    with pytest.raises(InvalidParameterError):
        SymmetricHamiltonian.ising(1.0, axis="w")
    with pytest.raises(InvalidParameterError):
        SymmetricHamiltonian.ising(float("inf"))


def test_result_helpers():
    ss = symmetric_steady_state(n=6, **reset_model(5.0, 1.0, 8.0))
    assert "SymmetricSteadyState(n=6" in repr(ss)
    assert "pair negativity" in ss.summary()
    assert 0.0 <= ss.concurrence() <= 1.0
    with pytest.raises(InvalidParameterError):
        ss.reduced_state(7)
    liou = ss.liouvillian
    assert liou.index((6, 0, 0, 0)) == 0
    with pytest.raises(DimensionError):
        liou.index((1, 1, 1, 1))


def _reduced_loop(ss, k):
    """The former per-string implementation of reduced_state (reference)."""
    from itertools import product

    paulis = [np.eye(2), sigma_x(), sigma_y(), sigma_z()]
    rho = np.zeros((2**k, 2**k), complex)
    for s in product(range(4), repeat=k):
        cnt = np.bincount(np.asarray(s), minlength=4)
        op = paulis[s[0]]
        for a in s[1:]:
            op = np.kron(op, paulis[a])
        rho += ss.correlations[ss.liouvillian.lookup[cnt[1], cnt[2], cnt[3]]] * op
    return rho / 2**k


@pytest.mark.parametrize("seed", [0, 4])
def test_vectorised_reduced_state_matches_loop_and_full_space(seed):
    ham, local, collective = random_model(np.random.default_rng(seed))
    ss = symmetric_steady_state(n=6, hamiltonian=ham, local_jumps=local, collective_jumps=collective)
    for k in range(1, 5):
        assert np.abs(ss.reduced_state(k) - _reduced_loop(ss, k)).max() < 1e-14
    rho8 = symmetric_steady_state(n=8, hamiltonian=ham, local_jumps=local, collective_jumps=collective).reduced_state(8)
    assert abs(np.trace(rho8) - 1) < 1e-12 and np.abs(rho8 - rho8.conj().T).max() < 1e-14
    ss4 = symmetric_steady_state(n=4, hamiltonian=ham, local_jumps=local, collective_jumps=collective)
    rho = full_steady_state(*full_space(4, ham, local, collective))
    assert np.abs(ss4.reduced_state(3) - partial_trace(rho, [0, 1, 2], [2] * 4)).max() < 1e-10
