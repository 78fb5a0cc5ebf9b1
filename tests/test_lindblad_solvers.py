"""Steady-state, batched, dynamics and spectrum solvers: QuTiP oracle, direct vs iterative, invariants."""

from __future__ import annotations

import numpy as np
import pytest
from test_lindblad import ising_reset_model, random_model, random_rho

from opentangle.errors import (
    ConvergenceError,
    DimensionError,
    InvalidParameterError,
    InvalidStateError,
    NonUniqueSteadyStateError,
)
from opentangle.lindblad import (
    Jump,
    Model,
    amplitude_damping,
    dephasing,
    evolve,
    liouvillian,
    reset,
    spectrum,
    steady_state,
    steady_state_batch,
    steady_state_linear,
)
from opentangle.operators import embed, sigma_minus, sigma_x, sigma_z

qutip = pytest.importorskip("qutip")


def to_qutip_model(m):
    H = qutip.Qobj(m.hamiltonian.toarray())
    c_ops = [qutip.Qobj(np.sqrt(j.rate) * j.op.toarray()) for j in m.jumps]
    return H, c_ops


def check_state(rho, atol=1e-10):
    assert np.abs(rho - rho.conj().T).max() < atol
    assert abs(np.trace(rho) - 1) < atol
    assert np.linalg.eigvalsh(rho)[0] > -1e-8


# ----------------------------------------------------------------------------- steady_state


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method", ["direct", "iterative"])
def test_steady_state_matches_qutip_random_models(seed, method):
    rng = np.random.default_rng(seed)
    D = [2, 3, 4, 6][seed]
    m = random_model(D, rng)
    H, c_ops = to_qutip_model(m)
    ref = qutip.steadystate(H, c_ops).full()
    ss = steady_state(m, method=method)
    assert ss.method == method
    assert np.abs(ss.rho - ref).max() < 1e-8
    assert ss.residual < 1e-10
    check_state(ss.rho)


def test_iterative_matches_direct_ising_reset_n5():
    m = ising_reset_model(5, g=5.0, gamma=1.0, r=8.0)
    a = steady_state(m, method="direct")
    b = steady_state(m, method="iterative")
    assert np.abs(a.rho - b.rho).max() < 1e-10
    assert b.residual <= 1e-10 and b.iterations > 0
    check_state(b.rho)
    assert "iterative" in repr(b)


def test_iterative_schur_path_non_diagonal_heff():
    """Transverse field + amplitude damping: H_eff is not diagonal (Schur/Sylvester preconditioner)."""
    dims = [2, 2, 2]
    H = sum(embed(sigma_x(), i, dims) for i in range(3)) + 0.7 * embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    jumps = [amplitude_damping(site=i, rate=0.3 + 0.2 * i, dims=dims) for i in range(3)]
    m = Model(hamiltonian=H, jumps=jumps, dims=dims)
    a = steady_state(m, method="direct")
    b = steady_state(m, method="iterative")
    ref = qutip.steadystate(*to_qutip_model(m)).full()
    assert np.abs(b.rho - ref).max() < 1e-8
    assert np.abs(a.rho - b.rho).max() < 1e-9


def test_pure_steady_state_dark_state():
    """Undamped dark state (H_eff has a zero-decay eigenvector): the preconditioner shift must handle it."""
    m = Model(hamiltonian=np.zeros((2, 2)), jumps=[(sigma_minus(), 1.0)])
    for method in ("direct", "iterative"):
        ss = steady_state(m, method=method)
        assert np.allclose(ss.rho, np.diag([0, 1]), atol=1e-10)


@pytest.mark.parametrize("method", ["direct", "iterative"])
def test_non_unique_steady_state_detected(method):
    dims = [2, 2]
    H = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    with pytest.raises(NonUniqueSteadyStateError):
        steady_state(Model(hamiltonian=H, dims=dims), method=method)  # no dissipation at all
    deph = Model(hamiltonian=H, jumps=[dephasing(site=i, rate=1.0, dims=dims) for i in range(2)], dims=dims)
    with pytest.raises(NonUniqueSteadyStateError):
        steady_state(deph, method=method)  # dephasing-only: every diagonal state is stationary
    # one decay |2> -> |0> on a 4-level space: levels 1 and 3 are untouched (kernel of dimension 3)
    m = Model(jumps=[(np.outer(np.eye(4)[0], np.eye(4)[2]), 1.0)])
    with pytest.raises(NonUniqueSteadyStateError):
        steady_state(m, method=method)


def test_steady_state_argument_validation():
    m = Model(jumps=[(sigma_minus(), 1.0)])
    with pytest.raises(InvalidParameterError):
        steady_state(m, method="magic")
    with pytest.raises(InvalidParameterError):
        steady_state(m, tol=-1)
    with pytest.raises(InvalidParameterError):
        steady_state("not a model")


def test_iterative_non_convergence_raises():
    m = ising_reset_model(3, g=5.0, gamma=1.0, r=8.0)
    ok = steady_state(m, method="iterative", check_unique=False)  # reachable tol: converges by default
    assert ok.residual <= 1e-10 and ok.iterations > 4
    with pytest.raises(ConvergenceError, match="matrix-vector products"):  # maxiter is the binding limit
        steady_state(m, method="iterative", check_unique=False, maxiter=1, restart=2)


def lambda_system(detuned=False):
    """Lambda system |0>, |1> ground, |2> excited, both drives: a unique dark steady state, non-diagonal H_eff."""
    H = np.zeros((3, 3))
    H[2, 0] = H[0, 2] = 1.0
    H[2, 1] = H[1, 2] = 0.6
    if detuned:
        H[1, 1] = 0.4
    c1 = np.outer(np.eye(3)[0], np.eye(3)[2])
    c2 = np.outer(np.eye(3)[1], np.eye(3)[2])
    return Model(hamiltonian=H, jumps=[(c1, 1.0), (c2, 0.5)])


@pytest.mark.parametrize("detuned", [False, True])
def test_iterative_schur_path_dark_state(detuned):
    """Non-diagonal H_eff with an undamped dark state: the shifted Schur preconditioner must solve (L0 - s)."""
    m = lambda_system(detuned)
    a = steady_state(m, method="direct")
    ref = qutip.steadystate(*to_qutip_model(m)).full()
    for check in (True, False):
        b = steady_state(m, method="iterative", check_unique=check)
        assert b.residual <= 1e-10
        assert np.abs(b.rho - a.rho).max() < 1e-9 and np.abs(b.rho - ref).max() < 1e-8
    if not detuned:  # the dark state (0.6|0> - |1>)/|.| is pure
        dark = np.array([0.6, -1.0, 0.0]) / np.hypot(0.6, 1.0)
        assert np.abs(a.rho - np.outer(dark, dark)).max() < 1e-10


def test_schur_preconditioner_solves_shifted_l0():
    from opentangle.lindblad.steady import _MatrixFree

    dims = [2, 2]
    H = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims) + 0.3 * embed(sigma_x(), 0, dims)
    rng = np.random.default_rng(0)
    Y = rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4))
    Y = Y + Y.conj().T
    for h in (H, np.diag([0.0, 1.0, 1.0, 2.0])):
        mf = _MatrixFree(Model(hamiltonian=h, dims=dims))
        assert mf.shift > 0
        X = mf.pinv(Y)
        assert np.abs(mf.l0(X) - mf.shift * X - Y).max() < 1e-10


@pytest.mark.parametrize("method", ["direct", "iterative"])
def test_non_unique_non_diagonal_heff(method):
    """Kernels of dimension > 1 on the Schur path (non-diagonal H_eff) must raise, not return I/D."""
    dims = [2, 2]
    H = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims) + 0.3 * embed(sigma_x(), 0, dims)
    with pytest.raises(NonUniqueSteadyStateError):
        steady_state(Model(hamiltonian=H, dims=dims), method=method)  # pure Hamiltonian
    S = embed(sigma_minus(), 0, dims) + embed(sigma_minus(), 1, dims)
    with pytest.raises(NonUniqueSteadyStateError):
        steady_state(Model(jumps=[(S, 1.0)], dims=dims), method=method)  # collective decay: dark singlet


@pytest.mark.parametrize("seed", range(8, 16))
def test_iterative_uniqueness_check_conserved_quantity_n8(seed):
    """N = 8, qubit 0 only dephased (its population is conserved), the others damped: not unique for any seed.

    A random pure start differs from I/D along the conserved quantity by only ~1/sqrt(D); the check must
    scale its start so this does not fall below the detection limit (seed 15 used to pass silently).
    """
    N = 8
    dims = [2] * N
    Z = [embed(sigma_z(), i, dims, sparse=True) for i in range(N)]
    H = sum(Z[i] @ Z[j] for i in range(N) for j in range(i + 1, N))
    jumps = [dephasing(site=0, rate=1.0, dims=dims)] + [
        amplitude_damping(site=i, rate=1.0, dims=dims) for i in range(1, N)
    ]
    with pytest.raises(NonUniqueSteadyStateError, match="trace norm"):
        steady_state(Model(hamiltonian=H, jumps=jumps, dims=dims), method="iterative", seed=seed)


def test_steady_state_reports_enforced_tolerance():
    """direct: residual <= tol * max(1, rate_scale) (rounding-limited); iterative: residual <= tol."""
    m = ising_reset_model(2, g=2.5e3, gamma=1e3, r=6e3)
    scale = m.rate_scale()
    assert scale > 1e3
    a = steady_state(m, method="direct", tol=1e-12)
    assert a.tolerance == pytest.approx(1e-12 * scale) and a.residual <= a.tolerance
    assert "tolerance=" in repr(a)
    b = steady_state(m, method="iterative", tol=1e-9)
    assert b.tolerance == 1e-9 and b.residual <= 1e-9


# ----------------------------------------------------------------------------- batched


def ising_terms():
    dims = [2, 2]
    zz = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    plus = np.array([1, 1]) / np.sqrt(2)
    LH = liouvillian(Model(hamiltonian=zz, dims=dims))
    Ld = liouvillian(Model(jumps=[dephasing(site=i, rate=1.0, dims=dims) for i in range(2)], dims=dims))
    Lr = liouvillian(Model(jumps=[reset(site=i, rate=1.0, state=plus, dims=dims) for i in range(2)], dims=dims))
    return [LH, Ld, Lr]


def closed_form(g, r, gamma):
    num = g * r * (r + gamma) - g**2 * (r + gamma) - gamma * (r + gamma / 2) ** 2
    den = 2 * (r + gamma) * (2 * g**2 + (r + gamma / 2) * (r + gamma))
    return np.maximum(0.0, num / den)


def test_steady_state_linear_grid_negativity_closed_form():
    from opentangle.measures import negativity

    g, r = np.meshgrid(np.linspace(0.1, 6, 31), np.linspace(0.1, 12, 29), indexing="ij")
    coeff = np.stack([g.ravel(), np.ones(g.size), r.ravel()], axis=1)
    out = steady_state_linear(terms=ising_terms(), coefficients=coeff, chunk=200)
    assert out.rho.shape == (g.size, 4, 4)
    assert np.all(out.residual < 1e-12) and out.unique.all()
    neg = negativity(out.rho)
    assert np.abs(neg - closed_form(g.ravel(), r.ravel(), 1.0)).max() < 1e-12
    assert "BatchSteadyState" in repr(out)


def test_steady_state_batch_matches_single_solves():
    rng = np.random.default_rng(7)
    models = [random_model(3, rng) for _ in range(5)]
    Ls = np.stack([liouvillian(m).toarray() for m in models])
    out = steady_state_batch(Ls)
    for m, rho in zip(models, out.rho):
        assert np.abs(rho - steady_state(m).rho).max() < 1e-10
        check_state(rho)


def test_batch_non_unique_points():
    coeff = np.array([[1.0, 1.0, 2.0], [1.0, 1.0, 0.0], [2.0, 0.5, 3.0]])  # r = 0 -> non-unique
    with pytest.raises(NonUniqueSteadyStateError):
        steady_state_linear(terms=ising_terms(), coefficients=coeff)
    out = steady_state_linear(terms=ising_terms(), coefficients=coeff, nonunique="nan")
    assert out.unique.tolist() == [True, False, True]
    assert np.isnan(out.rho[1]).all() and np.isfinite(out.rho[[0, 2]]).all()


def test_batch_validation():
    with pytest.raises(DimensionError):
        steady_state_batch(np.zeros((2, 3, 3)))
    with pytest.raises(DimensionError):
        steady_state_linear(terms=ising_terms(), coefficients=np.ones((4, 2)))
    with pytest.raises(InvalidParameterError):
        steady_state_linear(terms=ising_terms(), coefficients=[[1, np.nan, 1]])
    with pytest.raises(InvalidParameterError):
        steady_state_linear(terms=ising_terms(), coefficients=[[1, 1, 1]], nonunique="ignore")


# ----------------------------------------------------------------------------- evolve


@pytest.mark.parametrize("method", ["expm", "krylov", "bdf"])
def test_evolve_matches_qutip_mesolve(method):
    rng = np.random.default_rng(11)
    m = random_model(4, rng)
    rho0 = random_rho(4, rng)
    times = np.linspace(0, 2.0, 9)
    obs = [sigma_x(), np.diag([1.0, 2.0, 3.0, 4.0])]
    obs[0] = np.kron(sigma_x(), np.eye(2))
    H, c_ops = to_qutip_model(m)
    ref = qutip.mesolve(H, qutip.Qobj(rho0), times, c_ops, options={"atol": 1e-13, "rtol": 1e-12, "nsteps": 100000})
    ev = evolve(m, rho0, times, observables=obs, method=method, rtol=1e-12, atol=1e-14)
    tol = 1e-8
    for k, st in enumerate(ref.states):
        assert np.abs(ev.states[k] - st.full()).max() < tol
    for k, o in enumerate(obs):
        exp_ref = [np.trace(o @ st.full()).real for st in ref.states]
        assert np.allclose(ev.expect[k], exp_ref, atol=tol)


def test_evolve_stiff_reaches_steady_state_and_measures():
    from opentangle.measures import negativity

    m = ising_reset_model(2, g=2.5, gamma=1.0, r=6.0)
    # stiff: add a very fast dephasing-like channel on top of slow dynamics
    ket = np.array([1, 0, 0, 0], complex)
    times = np.array([0.0, 0.5, 5.0, 50.0])
    for method in ("expm", "krylov", "bdf"):
        ev = evolve(m, ket, times, measures={"N": negativity}, method=method)
        ss = steady_state(m).rho
        assert np.abs(ev.states[-1] - ss).max() < 1e-8
        assert np.isclose(ev.measures["N"][-1], closed_form(2.5, 6.0, 1.0), atol=1e-8)
        assert ev.measures["N"][0] == 0.0
    stiff = Model(hamiltonian=np.diag([0.0, 1.0]), jumps=[(sigma_minus(), 1e6), (sigma_x(), 1.0)])
    ev = evolve(stiff, np.eye(2) / 2, [0.0, 10.0], method="bdf", store_states=True)
    assert np.all(np.isfinite(ev.states)) and abs(np.trace(ev.states[-1]) - 1) < 1e-8
    ev2 = evolve(stiff, np.eye(2) / 2, [0.0, 10.0], method="expm")
    assert np.abs(ev.states[-1] - ev2.states[-1]).max() < 1e-6


def test_evolve_validation():
    m = Model(jumps=[(sigma_minus(), 1.0)])
    with pytest.raises(InvalidParameterError):
        evolve(m, [1, 0], [1.0, 0.0])
    with pytest.raises(DimensionError):
        evolve(m, [1, 0, 0], [0.0, 1.0])
    with pytest.raises(InvalidStateError):
        evolve(m, np.eye(2), [0.0, 1.0])
    with pytest.raises(InvalidParameterError):
        evolve(m, [1, 0], [0.0, 1.0], method="rk4")
    with pytest.raises(DimensionError):
        evolve(m, [1, 0], [0.0, 1.0], observables=[np.eye(3)])
    with pytest.raises(InvalidParameterError):
        evolve(m, [1, 0], [0.0, 1.0], measures={"x": 3})


# ----------------------------------------------------------------------------- spectrum


@pytest.mark.parametrize("n", [4, 5])
def test_spectrum_sparse_matches_dense(n):
    """Sparse = ARPACK which='LR' (rightmost eigenvalues), not the eigenvalues closest to 0."""
    m = ising_reset_model(n, g=5.0, gamma=1.0, r=8.0)
    full = np.linalg.eigvals(liouvillian(m).toarray())
    dense = spectrum(m, k=8, method="dense")
    assert np.allclose(dense.eigenvalues[1:5].real, np.sort(full.real)[::-1][1:5], atol=1e-9)
    for k in (6, 12):
        sparse = spectrum(m, k=k, method="sparse")
        assert abs(dense.eigenvalues[0]) < 1e-10 and abs(sparse.eigenvalues[0]) < 1e-8
        assert np.isclose(dense.gap, sparse.gap, rtol=1e-9) and np.isclose(sparse.gap, 8.0, rtol=1e-9)
        # every returned value is an eigenvalue; the distinct values are the rightmost distinct ones
        assert max(np.abs(full - e).min() for e in sparse.eigenvalues) < 1e-8
        got = np.unique(np.round(sparse.eigenvalues.real, 6))[::-1]
        ref = np.unique(np.round(full.real, 6))[::-1][: got.size]
        assert np.allclose(got, ref, atol=1e-6)
    assert "gap" in repr(dense)
    with pytest.raises(InvalidParameterError):
        spectrum(m, k=1)


def test_spectrum_degenerate_zero_gap_is_positive_zero():
    import math

    for m in (Model(dims=[2, 2]), Model(hamiltonian=sigma_z(), jumps=dephasing(site=0, rate=1.0, dims=[2]))):
        gap = spectrum(m, k=4).gap
        assert gap == 0.0 and math.copysign(1.0, gap) == 1.0


def test_linear_real_basis_and_complex_paths_agree():
    """Real coefficients use the real Hermitian-basis solver; complex ones the complex solver."""
    from opentangle.lindblad.steady import _hermitian_basis

    B, _diag = _hermitian_basis(3)
    assert np.allclose(B.conj().T @ B, np.eye(9), atol=1e-14)
    terms = ising_terms()
    coeff = np.array([[2.5, 1.0, 6.0], [1.0, 0.3, 2.0]])
    a = steady_state_linear(terms=terms, coefficients=coeff)
    b = steady_state_linear(terms=terms, coefficients=coeff.astype(complex))
    assert np.abs(a.rho - b.rho).max() < 1e-12
    assert np.abs(a.residual - b.residual).max() < 1e-12
    for k in range(2):
        check_state(a.rho[k])


def test_local_and_generic_jump_paths_agree():
    """Channel-builder jumps use the local strided path; the same operators as plain Jumps the sparse path."""
    m = ising_reset_model(4, g=5.0, gamma=1.0, r=8.0)
    generic = Model(hamiltonian=m.hamiltonian, jumps=[Jump(j.op, j.rate) for j in m.jumps], dims=m.dims)
    from opentangle.lindblad.steady import _MatrixFree

    mf_l, mf_g = _MatrixFree(m), _MatrixFree(generic)
    assert mf_l.lowrank and not mf_l.generic and mf_g.generic and not mf_g.lowrank
    X = random_rho(16, np.random.default_rng(5)) + 0.3j * np.eye(16)
    assert np.abs(mf_l.jump(X) - mf_g.jump(X)).max() < 1e-13
    a = steady_state(m, method="iterative")
    b = steady_state(generic, method="iterative")
    assert np.abs(a.rho - b.rho).max() < 1e-10


def test_iterative_matches_direct_n6_benchmark_model():
    m = ising_reset_model(6, g=5.0, gamma=1.0, r=8.0)
    a = steady_state(m, method="direct")
    b = steady_state(m, method="iterative")
    assert a.residual < 1e-10 and b.residual < 1e-10
    assert np.abs(a.rho - b.rho).max() < 1e-10


def test_spectrum_sparse_two_qubit_analytic():
    """ARPACK path on the N = 2 analytic spectrum (Hartmann, Dür, Briegel 2006), oscillating modes included."""
    g, r, gamma = 2.5, 6.0, 1.0
    m = ising_reset_model(2, g=g, gamma=gamma, r=r)
    w = 2j * np.sqrt(complex(g**2 - r**2 / 16))
    full = np.array(
        [0, -r, -r, -2 * r] + [-2 * (r + gamma)] * 4 + [-(1.5 * r + gamma) + w] * 4 + [-(1.5 * r + gamma) - w] * 4
    )
    sp_ = spectrum(m, k=6, method="sparse")
    assert np.isclose(sp_.gap, r, rtol=1e-9)
    assert max(np.abs(full - e).min() for e in sp_.eigenvalues) < 1e-8
    assert np.allclose(sp_.eigenvalues[:3], [0, -r, -r], atol=1e-8)
    # rightmost first: -(3r/2 + gamma) = -10 lies right of -2r = -12 and is returned before it
    assert np.isclose(sp_.eigenvalues[3].real, -(1.5 * r + gamma), atol=1e-8)


@pytest.mark.slow
def test_spectrum_sparse_reset_n7():
    sp_ = spectrum(ising_reset_model(7, g=5.0, gamma=1.0, r=8.0), k=6)
    assert np.isclose(sp_.gap, 8.0, rtol=1e-9) and abs(sp_.eigenvalues[0]) < 1e-8


# ----------------------------------------------------------------------------- spectral_gap (issue 19)


def _qutip_gap(model):
    """Gap from QuTiP's own Liouvillian (no opentangle model-building code) and dense eigenvalues."""
    qutip = pytest.importorskip("qutip")
    H = qutip.Qobj(model.hamiltonian.toarray())
    c_ops = [qutip.Qobj(np.sqrt(j.rate) * j.op.toarray()) for j in model.jumps]
    ev = np.linalg.eigvals(qutip.liouvillian(H, c_ops).full())
    rest = np.delete(ev, int(np.argmin(np.abs(ev))))
    return float(-rest.real.max())


@pytest.mark.parametrize("method", ["dense", "arnoldi"])
@pytest.mark.parametrize("case", ["reset2", "reset3-slow-reset", "random4", "random5"])
def test_spectral_gap_matches_qutip_dense(case, method):
    from opentangle.lindblad import spectral_gap

    rng = np.random.default_rng(7)
    model = {
        "reset2": lambda: ising_reset_model(2, g=1.3, gamma=0.7, r=2.0),
        "reset3-slow-reset": lambda: ising_reset_model(3, g=5.0, gamma=1.0, r=0.3),
        "random4": lambda: random_model(4, rng),
        "random5": lambda: random_model(5, rng, n_jumps=2),
    }[case]()
    res = spectral_gap(model, method=method)
    assert res.method == method
    assert res.gap == pytest.approx(_qutip_gap(model), abs=1e-8)
    assert 0 <= res.residual <= res.bound
    assert res.gap == pytest.approx(-res.eigenvalue.real)


def test_spectral_gap_reset_model_population_mode():
    # analytic: <Z_i> decays at exactly r (Z_i commutes with the Ising H and the dephasing, and the fresh
    # state |+> has <Z> = 0), so -r is an eigenvalue; for small r it is the rightmost one
    from opentangle.lindblad import spectral_gap

    for r in (0.3, 0.45):
        model = ising_reset_model(4, g=5.0, gamma=1.0, r=r)
        assert spectral_gap(model, method="arnoldi").gap == pytest.approx(r, abs=1e-9)
        assert spectral_gap(model, method="dense").gap == pytest.approx(r, abs=1e-9)


@pytest.mark.parametrize("n", [5, pytest.param(6, marks=pytest.mark.slow)])
def test_spectral_gap_agrees_with_spectrum(n):
    from opentangle.lindblad import spectral_gap

    model = ising_reset_model(n, g=5.0, gamma=1.0, r=8.0)
    ref = spectrum(model, k=6, method="sparse").gap
    res = spectral_gap(model, method="arnoldi")
    assert res.method == "arnoldi" and res.matvecs > 0
    assert res.gap == pytest.approx(ref, abs=1e-8)
    assert "SpectralGap(gap=" in repr(res)


def test_spectral_gap_nonunique_is_zero():
    from opentangle.lindblad import spectral_gap

    dims = [2, 2]
    # dephasing only: every diagonal state is stationary (kernel dimension 4)
    model = Model(
        hamiltonian=embed(sigma_z(), 0, dims),
        jumps=dephasing(site=0, rate=1.0, dims=dims) + dephasing(site=1, rate=0.5, dims=dims),
        dims=dims,
    )
    for method in ("dense", "arnoldi"):
        assert spectral_gap(model, method=method).gap == 0.0


def test_spectral_gap_bad_input_and_uncertified(monkeypatch):
    import opentangle.lindblad.dynamics as dyn
    from opentangle.lindblad import spectral_gap

    model = ising_reset_model(2, g=1.0, gamma=1.0, r=1.0)
    with pytest.raises(InvalidParameterError):
        spectral_gap(model, method="lanczos")
    with pytest.raises(InvalidParameterError):
        spectral_gap(model, nev=0)
    with pytest.raises(InvalidParameterError):
        spectral_gap(model, tol=2.0)
    with pytest.raises(InvalidParameterError):
        spectral_gap("not a model")
    monkeypatch.setattr(dyn, "_gap_dense", lambda L: (complex(-1.0), 1.0, 0))
    with pytest.raises(ConvergenceError, match="not certified"):
        spectral_gap(model, method="dense")
