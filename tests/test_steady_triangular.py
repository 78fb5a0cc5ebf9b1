"""The exact block-triangular steady-state solver (issue 19, target 5): against the sparse LU, QuTiP, and its certificates."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_lindblad import ising_reset_model

from opentangle.errors import IllConditionedError, InvalidParameterError, NonUniqueSteadyStateError
from opentangle.lindblad import Jump, Model, amplitude_damping, dephasing, reset, steady_state
from opentangle.lindblad import _triangular as tri
from opentangle.operators import embed, sigma_z

PLUS = np.array([1.0, 1.0]) / np.sqrt(2)


def _zz(dims, J, h=None):
    """Diagonal two-body Hamiltonian sum_{i<j} J_ij n_i n_j + sum_i h_i n_i with n = diag(0, 1, ..., d-1)."""
    N = len(dims)
    n = [embed(np.diag(np.arange(d, dtype=float)), i, dims, sparse=True) for i, d in enumerate(dims)]
    H = sp.csr_matrix((int(np.prod(dims)),) * 2, dtype=complex)
    for i in range(N):
        for j in range(i + 1, N):
            H = H + J[i][j] * (n[i] @ n[j])
        if h is not None:
            H = H + h[i] * n[i]
    return H


def reset_model(N, *, g=5.0, gamma=1.0, r=8.0):
    return ising_reset_model(N, g=g, gamma=gamma, r=r)


def damping_pumping(N, seed=0):
    rng = np.random.default_rng(seed)
    dims = [2] * N
    J = rng.uniform(-2, 2, (N, N))
    jumps = []
    for i in range(N):
        jumps += amplitude_damping(site=i, rate=float(rng.uniform(0.5, 2)), dims=dims)
        jumps.append(Jump.local(np.array([[0, 1], [0, 0]]), site=i, dims=dims, rate=float(rng.uniform(0.2, 1))))
        jumps += dephasing(site=i, rate=0.3, dims=dims)
    return Model(hamiltonian=_zz(dims, J, rng.uniform(-1, 1, N)), jumps=jumps, dims=dims)


def qutrit_reset(dims, seed=1):
    rng = np.random.default_rng(seed)
    N = len(dims)
    J = rng.uniform(-1, 1, (N, N))
    jumps = []
    for i, d in enumerate(dims):
        psi = rng.standard_normal(d) + 1j * rng.standard_normal(d)
        jumps += reset(site=i, rate=float(rng.uniform(1, 3)), state=psi / np.linalg.norm(psi), dims=dims)
    return Model(hamiltonian=_zz(dims, J, rng.uniform(-1, 1, N)), jumps=jumps, dims=dims)


def _agree(model, atol=1e-10):
    a = steady_state(model, method="triangular")
    b = steady_state(model, method="direct")
    assert a.method == "triangular"
    assert np.abs(a.rho - b.rho).max() < atol
    assert a.residual <= a.tolerance
    return a


@pytest.mark.parametrize("N", [4, 5, 6])
def test_reset_model_equals_lu(N):
    _agree(reset_model(N))


@pytest.mark.slow
@pytest.mark.parametrize("N", [7, 8])
def test_reset_model_equals_lu_large(N):
    _agree(reset_model(N))


@pytest.mark.parametrize("N", [4, 6])
def test_damping_pumping_equals_lu(N):
    _agree(damping_pumping(N))


@pytest.mark.parametrize("dims", [[3, 3, 3], [3, 3, 3, 3], [2, 3, 2], [3, 2, 3, 2]])
def test_qutrit_and_mixed_reset_equals_lu(dims):
    _agree(qutrit_reset(dims))


def test_auto_dispatch(monkeypatch):
    from opentangle.lindblad import steady as st_mod

    assert st_mod.TRIANGULAR_AUTO and st_mod.TRIANGULAR_MIN == 4**10  # N = 10 qubits, where it was measured faster
    m = reset_model(6)
    assert steady_state(m).method == "iterative"  # below TRIANGULAR_MIN: the folded GMRES
    monkeypatch.setattr(st_mod, "TRIANGULAR_MIN", 4**6)
    ss = steady_state(m)
    assert ss.method == "triangular" and ss.residual < 1e-12
    assert steady_state(reset_model(5)).method == "direct"  # below the lowered TRIANGULAR_MIN
    monkeypatch.setattr(st_mod, "TRIANGULAR_AUTO", False)
    assert steady_state(m).method == "iterative"


def test_against_qutip_built_independently():
    qutip = pytest.importorskip("qutip")
    N, g, gamma, r = 4, 5.0, 1.0, 8.0
    ops = lambda op, i: qutip.tensor([op if k == i else qutip.qeye(2) for k in range(N)])  # noqa: E731
    H = sum(g * ops(qutip.sigmaz(), i) * ops(qutip.sigmaz(), j) for i in range(N) for j in range(i + 1, N))
    plus = (qutip.basis(2, 0) + qutip.basis(2, 1)).unit()
    c_ops = []
    for i in range(N):
        c_ops.append(np.sqrt(gamma / 2) * ops(qutip.sigmaz(), i))
        c_ops += [np.sqrt(r) * ops(plus * qutip.basis(2, k).dag(), i) for k in range(2)]
    ref = qutip.steadystate(H, c_ops).full()
    ours = steady_state(reset_model(N), method="triangular").rho
    assert np.abs(ours - ref).max() < 1e-9


def test_dephasing_only_is_not_unique():
    dims = [2] * 4
    m = Model(jumps=[j for i in range(4) for j in dephasing(site=i, rate=1.0, dims=dims)], dims=dims)
    with pytest.raises(NonUniqueSteadyStateError, match="source blocks"):
        steady_state(m, method="triangular")
    with pytest.raises(NonUniqueSteadyStateError):
        steady_state(m)


def test_decoupled_site_is_not_unique():
    dims = [2] * 4
    jumps = [j for i in range(3) for j in reset(site=i, rate=2.0, state=PLUS, dims=dims)]  # site 3 untouched
    with pytest.raises(NonUniqueSteadyStateError):
        steady_state(Model(hamiltonian=_zz(dims, 0.3 * np.ones((4, 4))), jumps=jumps, dims=dims), method="triangular")


def _three_body(N=4):
    m = reset_model(N)
    dims = m.dims
    z = [embed(sigma_z(), i, dims, sparse=True) for i in range(N)]
    return Model(hamiltonian=m.hamiltonian + 1.5 * z[0] @ z[1] @ z[2], jumps=m.jumps, dims=dims)


@pytest.fixture
def auto_triangular(monkeypatch):
    """``auto`` tries the triangular path from any size (by default only from ``TRIANGULAR_MIN``)."""
    from opentangle.lindblad import steady as st_mod

    monkeypatch.setattr(st_mod, "TRIANGULAR_AUTO", True)
    monkeypatch.setattr(st_mod, "TRIANGULAR_MIN", 1)


def test_three_body_term_falls_back_and_is_right(auto_triangular):
    m = _three_body()
    with pytest.raises(tri.NotApplicable, match="one-site terms"):
        tri.Triangular(m)
    with pytest.raises(InvalidParameterError, match="two-body"):
        steady_state(m, method="triangular")
    a = steady_state(m)
    assert a.method != "triangular"
    assert np.abs(a.rho - steady_state(m, method="direct").rho).max() < 1e-10


def test_exceptional_point_is_refused(auto_triangular):
    """H = J z0 z1 with reset r and J = r / 4: a per-site block matrix is defective (kappa(V) unbounded)."""
    r = 8.0
    dims = [2, 2]
    z = [embed(sigma_z(), i, dims, sparse=True) for i in range(2)]
    jumps = [j for i in range(2) for j in reset(site=i, rate=r, state=PLUS, dims=dims)]
    m = Model(hamiltonian=(r / 4) * z[0] @ z[1], jumps=jumps, dims=dims)
    assert tri.Triangular(m).kappa > tri.KAPPA_MAX
    with pytest.raises(IllConditionedError, match="defective"):
        steady_state(m, method="triangular")
    assert np.abs(steady_state(m).rho - steady_state(m, method="direct").rho).max() < 1e-10


def test_certificate_rejects_a_wrong_solver(monkeypatch, auto_triangular):
    """A substitution solver that is off by 1e-4 must fail the forward-error certificate, not return."""
    m = reset_model(4)
    good = tri.Triangular.substitute  # the substitution solver (sweep converts the tensor and calls it)

    def bad(self, u, *, adjoint=False):
        out = good(self, u, adjoint=adjoint)
        out += 1e-4 * np.abs(out).max()
        return out

    monkeypatch.setattr(tri.Triangular, "substitute", bad)
    with pytest.raises(IllConditionedError, match="forward-error"):
        steady_state(m, method="triangular")
    assert steady_state(m).method != "triangular"  # auto falls back


def test_certificate_numbers_are_honest():
    out = tri.solve(reset_model(5), seed=0, check_unique=True)
    assert out["bound"] < 1e-12
    # ||A^-1|| estimate against the dense inverse of A = L + sigma v w^T (it may be low by the safety factor only)
    assert 0.1 < out["inv_norm"] < 1e3


def _random_local_model(data):
    """Random monomial local jumps (c^dag c is diagonal) and a random diagonal two-body H."""
    N = data.draw(st.integers(2, 3))
    dims = [data.draw(st.sampled_from([2, 3])) for _ in range(N)]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    jumps = []
    for i, d in enumerate(dims):
        for _ in range(data.draw(st.integers(1, 3))):
            perm = rng.permutation(d)
            c = np.zeros((d, d), complex)
            c[perm, np.arange(d)] = rng.standard_normal(d) + 1j * rng.standard_normal(d)
            c[:, rng.random(d) < 0.3] = 0
            jumps.append(Jump.local(c, site=i, dims=dims, rate=float(rng.uniform(0.2, 2))))
    H = _zz(dims, rng.uniform(-2, 2, (N, N)), rng.uniform(-1, 1, N))
    return Model(hamiltonian=H, jumps=jumps, dims=dims)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_local_models_agree_with_lu(data):
    m = _random_local_model(data)
    try:
        a = steady_state(m, method="triangular")
    except NonUniqueSteadyStateError:  # proven: the LU must agree that the kernel is degenerate
        with pytest.raises((NonUniqueSteadyStateError, IllConditionedError)):
            steady_state(m, method="direct")
        return
    except IllConditionedError:
        return  # inconclusive structure or a defective block: refused, never a wrong answer
    except InvalidParameterError:  # not separable (coherent multi-site components) or not slices: auto falls back
        return
    b = steady_state(m, method="direct")
    assert np.abs(a.rho - b.rho).max() < 1e-9


@pytest.mark.parametrize("merge", [2, 4, 99])  # grid axes applied in pairs from this many (2: in every batch)
@pytest.mark.parametrize("build", [lambda: reset_model(4), lambda: damping_pumping(3), lambda: qutrit_reset([3, 2, 3])])
def test_adjoint_sweep_is_the_adjoint(build, merge, monkeypatch):
    """<y, A^-1 x> = <A^-H y, x>: the backward substitution used by the norm estimate is exact."""
    monkeypatch.setattr(tri, "MERGE_AXES_FROM", merge)
    t = tri.Triangular(build())
    t.deflate(-t.scale)
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal((2, t.n)) + 1j * rng.standard_normal((2, t.n))).reshape((2, *t.tshape))
    lhs, rhs = np.vdot(y, t.sweep(x.copy())), np.vdot(t.sweep(y.copy(), adjoint=True), x)
    assert abs(lhs - rhs) <= 1e-12 * abs(lhs)


@pytest.mark.parametrize("merge", [2, 3, 4, 99])  # grid axes applied in pairs from this many (2: in every batch)
@pytest.mark.parametrize(
    "build",
    [lambda: reset_model(4), lambda: damping_pumping(3), lambda: qutrit_reset([3, 2, 3]), lambda: reset_model(6)],
)
def test_sweep_solves_a_against_the_independent_operator(build, merge, monkeypatch):
    """The batch-major solver, through the tensor boundary: ``A sweep(b) = b`` with ``L`` from ``_MatrixFree``."""
    from opentangle.lindblad.steady import _MatrixFree

    monkeypatch.setattr(tri, "MERGE_AXES_FROM", merge)
    m = build()
    t = tri.Triangular(m)
    sigma = -t.scale
    t.deflate(sigma)
    bt, b, v, w = t.kernel_vectors()
    mf = _MatrixFree(m, precondition=False)
    rng = np.random.default_rng(1)
    rhs = (rng.standard_normal(t.n) + 1j * rng.standard_normal(t.n)).reshape(t.tshape)
    x = t.sweep(rhs.copy())
    Ax = t.from_matrix(mf.apply_L(t.to_matrix(x)))
    u, ux = t.to_batches(Ax), t.to_batches(x)
    bt.get(u)[b] += sigma * v * (w @ bt.get(ux)[b])
    assert np.abs(t.from_batches(u) - rhs).max() < 1e-12 * np.abs(x).max() * t.scale
    # the layout is a permutation of the tensor's entries, and the round trip is exact
    assert np.array_equal(t.from_batches(t.to_batches(x)), x)
    assert np.array_equal(np.sort_complex(t.to_batches(x)), np.sort_complex(x.reshape(-1)))
