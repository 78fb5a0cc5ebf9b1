"""Gaussian fermion engine: checked against many-body (QuTiP, Jordan-Wigner) oracles and invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from opentangle.errors import DimensionError, InvalidParameterError, InvalidStateError
from opentangle.fermions import (
    CirculantPropagator,
    GaussianState,
    chain_hopping,
    entanglement_entropy,
    fermionic_negativity,
    ladder_hopping,
    mean_stderr,
    mutual_information,
    particle_number,
    propagator,
    renyi_entropy,
    run_monitored,
    run_trajectories,
    trajectory_seeds,
    validate_correlation,
)

qutip = pytest.importorskip("qutip")


# --- many-body oracle ------------------------------------------------------------------------
def _c_ops(n):
    return [qutip.fdestroy(n, j).full() for j in range(n)]


def _many_body(phi):
    """Slater determinant prod_a c^dag(phi_a)|0> as a 2^M vector (QuTiP's Jordan-Wigner operators)."""
    n = phi.shape[0]
    cs = _c_ops(n)
    number = sum(c.conj().T @ c for c in cs)
    vac = np.zeros(2**n, complex)
    vac[int(np.argmin(np.real(np.diag(number))))] = 1.0
    assert all(np.linalg.norm(c @ vac) < 1e-12 for c in cs)
    psi = vac
    for a in range(phi.shape[1]):
        psi = sum(phi[j, a] * cs[j].conj().T for j in range(n)) @ psi
    return psi / np.linalg.norm(psi), cs


def _corr(rho, cs):
    return np.array([[np.trace(rho @ ci.conj().T @ cj) for cj in cs] for ci in cs])


def _random_state(m, n, seed):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(m, n)) + 1j * rng.normal(size=(m, n)))
    return GaussianState(q)


def _exact_negativity(rho, cs, part_a):
    """log2 || rho^{R_A} ||_1 with the partial time-reversal gamma_j -> i gamma_j on A (Shapourian et al.)."""
    gam = []
    for c in cs:
        gam += [c + c.conj().T, 1j * (c.conj().T - c)]
    maj_a = {m for j in part_a for m in (2 * j, 2 * j + 1)}
    out = np.zeros_like(rho)
    dim = rho.shape[0]
    for r in range(len(gam) + 1):
        for s in itertools.combinations(range(len(gam)), r):
            op = np.eye(dim, dtype=complex)
            for m in s:
                op = op @ gam[m]
            w = np.trace(op.conj().T @ rho) / dim
            out += w * (1j) ** len(maj_a.intersection(s)) * op
    return float(np.log2(np.linalg.svd(out, compute_uv=False).sum()))


# --- states, conventions ----------------------------------------------------------------------
def test_fock_state_correlation_and_number():
    s = GaussianState.from_occupations([1, 0, 1, 1])
    np.testing.assert_allclose(s.correlation_matrix(), np.diag([1, 0, 1, 1]))
    assert s.particle_number() == 3 and s.particle_number([0, 1]) == 1
    assert s.entropy([0, 1]) == 0.0
    assert "n_particles=3" in repr(s)


def test_correlation_matches_many_body_convention():
    s = _random_state(5, 2, seed=1)
    psi, cs = _many_body(np.asarray(s.orbitals))
    np.testing.assert_allclose(s.correlation_matrix(), _corr(np.outer(psi, psi.conj()), cs), atol=1e-12)


def test_from_correlation_roundtrip_and_mixed_rejected():
    s = _random_state(6, 3, seed=2)
    d = s.correlation_matrix()
    np.testing.assert_allclose(GaussianState.from_correlation(d).correlation_matrix(), d, atol=1e-12)
    with pytest.raises(InvalidStateError, match="idempotent"):
        GaussianState.from_correlation(0.5 * np.eye(4))


@pytest.mark.parametrize(
    "bad, exc",
    [
        (lambda: GaussianState.from_occupations([1, 2]), InvalidStateError),
        (lambda: GaussianState(np.ones((3, 2))), InvalidStateError),
        (lambda: GaussianState(np.ones((2, 3))), DimensionError),
        (lambda: validate_correlation(np.diag([1.5, 0.0])), InvalidStateError),
        (lambda: validate_correlation([[0.5, 0.2], [0.1, 0.5]]), InvalidStateError),
        (lambda: entanglement_entropy(np.eye(3) * 0.5, [0, 3]), DimensionError),
        (lambda: entanglement_entropy(np.eye(3) * 0.5, [1, 1]), DimensionError),
        (lambda: mutual_information(np.eye(3) * 0.5, [0, 1], [1, 2]), DimensionError),
        (lambda: propagator([[0, 1], [2, 0]], 1.0), InvalidParameterError),
        (lambda: GaussianState.from_occupations([1, 0]).measure(0), InvalidParameterError),
        (lambda: GaussianState.from_occupations([1, 0]).measure(2, u=0.1), DimensionError),
        (lambda: chain_hopping(2, 1.0), InvalidParameterError),
        (lambda: trajectory_seeds(-1, 3), InvalidParameterError),
    ],
)
def test_bad_input_raises_typed_errors(bad, exc):
    with pytest.raises(exc):
        bad()


# --- dynamics against exact many-body evolution -----------------------------------------------
def test_unitary_step_matches_many_body_evolution():
    h = ladder_hopping(3, t1=1.0, t2=-0.7, t12=0.4)
    h[0, 0] = 0.3  # break symmetries
    s = GaussianState.from_occupations([1, 0, 1, 0, 1, 0])
    psi, cs = _many_body(np.asarray(s.orbitals))
    hmb = sum(h[i, j] * cs[i].conj().T @ cs[j] for i in range(6) for j in range(6))
    w, v = np.linalg.eigh(hmb)
    psi_t = v @ (np.exp(-1j * w * 0.8) * (v.conj().T @ psi))
    s.evolve(propagator(h, 0.8))
    np.testing.assert_allclose(s.correlation_matrix(), _corr(np.outer(psi_t, psi_t.conj()), cs), atol=1e-10)


@pytest.mark.parametrize("outcome_u", [0.0, 0.999999])
def test_measurement_matches_many_body_projection(outcome_u):
    s = _random_state(5, 2, seed=4)
    k = 2
    psi, cs = _many_body(np.asarray(s.orbitals))
    n_k = cs[k].conj().T @ cs[k]
    p1 = float(np.real(psi.conj() @ n_k @ psi))
    assert abs(p1 - s.occupations()[k]) < 1e-12  # Born probability = D_kk
    out = s.measure(k, u=outcome_u)
    proj = n_k if out == 1 else np.eye(len(psi)) - n_k
    post = proj @ psi
    post /= np.linalg.norm(post)
    np.testing.assert_allclose(s.correlation_matrix(), _corr(np.outer(post, post.conj()), cs), atol=1e-10)
    assert s.occupations()[k] == pytest.approx(out, abs=1e-12)
    assert s.drift() < 1e-12


def test_measurement_matches_reference_rank1_formulas():
    s = _random_state(8, 4, seed=5)
    for k, u in [(1, 0.0), (6, 0.9999999)]:
        d = s.correlation_matrix()
        out = s.measure(k, u=u)
        e = np.zeros(8)
        e[k] = 1
        if out == 1:
            ref = d - np.outer(d[:, k], d[k, :]) / d[k, k] + np.outer(e, e)
        else:
            f = np.eye(8) - d
            ref = d + np.outer(f[:, k], f[k, :]) / f[k, k] - np.outer(e, e)
        np.testing.assert_allclose(s.correlation_matrix(), ref, atol=1e-12)


def test_born_rule_frequencies():
    s = _random_state(4, 2, seed=6)
    p = s.occupations()[0]
    rng = np.random.default_rng(0)
    n = 4000
    hits = sum(s.copy().measure(0, rng=rng) for _ in range(n))
    assert abs(hits / n - p) < 4 * np.sqrt(p * (1 - p) / n)


def _rank1_update(d, k, occupied):
    """The rank-1 formulas of Muzzi et al., applied to D itself (not through the engine's orbitals)."""
    e = np.zeros(d.shape[0])
    e[k] = 1.0
    if occupied:
        return d - np.outer(d[:, k], d[k, :]) / d[k, k] + np.outer(e, e)
    f = np.eye(d.shape[0]) - d
    return d + np.outer(f[:, k], f[k, :]) / f[k, k] - np.outer(e, e)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rank1_formulas_on_d_keep_positivity_and_match_engine(seed):
    """Measurement sequences applied with the D formulas to a pure D (12 modes) and to a mixed D (its
    restriction to 6 modes, eigenvalues strictly inside (0, 1)): eigenvalues stay in [0, 1], the pure D stays
    idempotent, and both agree with the engine's orbital update (measuring inside the kept modes commutes
    with the restriction)."""
    rng = np.random.default_rng(seed)
    s = _random_state(12, 6, seed=20 + seed)
    keep = np.arange(6)
    d_pure = s.correlation_matrix()
    d_mixed = d_pure[np.ix_(keep, keep)]
    ev = np.linalg.eigvalsh(d_mixed)
    assert ev.min() > 1e-3 and ev.max() < 1 - 1e-3  # genuinely mixed
    u_step = propagator(ladder_hopping(6, t1=1.0, t2=-0.6, t12=0.9), 0.3)
    for step in range(25):
        k = int(rng.integers(6))
        u = rng.random()
        out = s.measure(k, u=u)
        assert out == int(u < d_pure[k, k].real) == int(u < d_mixed[k, k].real)  # Born rule on D_kk
        d_pure = _rank1_update(d_pure, k, out)
        d_mixed = _rank1_update(d_mixed, k, out)
        for d in (d_pure, d_mixed):
            np.testing.assert_allclose(d, d.conj().T, atol=1e-10)
            ev = np.linalg.eigvalsh(d)
            assert ev.min() > -1e-9 and ev.max() < 1 + 1e-9  # 0 <= D <= 1 <=> rho >= 0
        np.testing.assert_allclose(d_pure @ d_pure, d_pure, atol=1e-9)
        np.testing.assert_allclose(s.correlation_matrix(), d_pure, atol=1e-9)
        np.testing.assert_allclose(s.correlation_matrix(keep), d_mixed, atol=1e-9)
        if step % 5 == 4:  # unitary on the pure state; the mixed one is re-restricted from it
            s.evolve(u_step)
            d_pure = u_step.conj() @ d_pure @ u_step.T
            d_mixed = d_pure[np.ix_(keep, keep)]


def test_positivity_check_can_fail():
    """The eigenvalue check above is not vacuous: a sign error in the occupied update breaks D <= 1."""
    d = _random_state(6, 3, seed=30).correlation_matrix()[:4, :4]
    wrong = d + np.outer(d[:, 1], d[1, :]) / d[1, 1]
    assert np.linalg.eigvalsh(wrong).max() > 1 + 1e-3
    assert np.linalg.eigvalsh(_rank1_update(d, 1, True)).max() < 1 + 1e-12


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_monitoring_drift_purity_and_number(seed):
    """Drift check of the orbital engine: after 40 monitored cycles Phi is still an isometry (so 0 <= D <= 1
    and D^2 = D hold by construction; positivity itself is tested on D above)."""
    L = 8
    rng = np.random.default_rng(seed)
    occ = np.zeros(2 * L, int)
    occ[rng.choice(2 * L, L, replace=False)] = 1
    s = GaussianState.from_occupations(occ)
    traj = run_monitored(
        s, probabilities=rng.random(2 * L), cycles=40, rng=rng, hamiltonian=ladder_hopping(L, t1=1, t2=3, t12=0.7)
    )
    assert s.drift() < 1e-12  # orbitals re-orthonormalised at the end
    d = s.correlation_matrix()
    np.testing.assert_allclose(d @ d, d, atol=1e-10)  # still pure
    assert s.particle_number() == pytest.approx(L, abs=1e-10)
    assert traj.n_measurements > 0 and traj.max_drift < 1e-8


def test_repurify_restores_isometry_and_reports_drift():
    s = _random_state(6, 3, seed=7)
    d = s.correlation_matrix()
    s._phi = s._phi @ (np.eye(3) + 1e-6 * np.diag([1.0, -1.0, 0.5]))
    drift = s.repurify(tol=1e-10)
    assert drift > 1e-7 and s.n_repurified == 1 and s.max_drift == drift
    assert s.drift() < 1e-14
    np.testing.assert_allclose(s.correlation_matrix(), d, atol=1e-10)


def test_unmonitored_circuit_is_exact_unitary_evolution():
    L = 6
    h = ladder_hopping(L, t1=1.0, t2=2.5, t12=0.6)
    s = GaussianState.from_occupations(np.tile([1, 0], L))
    d0 = s.correlation_matrix()
    rng = np.random.default_rng(0)
    traj = run_monitored(
        s,
        probabilities=0.0,
        cycles=7,
        rng=rng,
        half_step=CirculantPropagator(h, n_chains=2, dt=0.5),
        record_from=3,
        observe=lambda st: {"n": st.particle_number()},
    )
    u = propagator(h, 7.0)
    np.testing.assert_allclose(s.correlation_matrix(), u.conj() @ d0 @ u.T, atol=1e-11)
    np.testing.assert_array_equal(traj.cycles, [4, 5, 6, 7])
    np.testing.assert_allclose(traj.observables["n"], L, atol=1e-12)
    assert traj.n_measurements == 0


def test_ladder_hopping_is_the_hand_written_ladder():
    """L = 4: system chain 0-1-2-3-0 (t1), ancilla 4-5-6-7-4 (t2), rungs j <-> 4+j (t12), nothing else."""
    a, b, r = 1.0, 2.0, 0.5
    ref = np.array(
        [
            [0, a, 0, a, r, 0, 0, 0],
            [a, 0, a, 0, 0, r, 0, 0],
            [0, a, 0, a, 0, 0, r, 0],
            [a, 0, a, 0, 0, 0, 0, r],
            [r, 0, 0, 0, 0, b, 0, b],
            [0, r, 0, 0, b, 0, b, 0],
            [0, 0, r, 0, 0, b, 0, b],
            [0, 0, 0, r, b, 0, b, 0],
        ]
    )
    np.testing.assert_array_equal(ladder_hopping(4, t1=a, t2=b, t12=r), ref)
    np.testing.assert_array_equal(chain_hopping(4, a), ref[:4, :4])


def test_circulant_fast_path_matches_dense_propagator():
    h = ladder_hopping(10, t1=1.0, t2=-3.0, t12=0.8)
    fast = CirculantPropagator(h, n_chains=2, dt=0.5, method="fft")
    assert CirculantPropagator(h, n_chains=2, dt=0.5).method == "dense"  # small: dense is faster
    np.testing.assert_allclose(fast.dense(), propagator(h, 0.5), atol=1e-12)
    np.testing.assert_allclose(fast.squared().dense(), propagator(h, 1.0), atol=1e-12)
    phi = _random_state(20, 7, seed=8).orbitals
    np.testing.assert_allclose(fast.apply(phi), propagator(h, 0.5) @ phi, atol=1e-12)
    h[0, 1] = h[1, 0] = 5.0
    with pytest.raises(InvalidParameterError, match="translation invariant"):
        CirculantPropagator(h, n_chains=2, dt=0.5)


# --- observables -------------------------------------------------------------------------------
def test_single_delocalised_fermion_has_one_bit():
    d = np.array([[0.5, 0.5], [0.5, 0.5]])
    assert entanglement_entropy(d, [0]) == pytest.approx(1.0)
    assert fermionic_negativity(d, [0], [1]) == pytest.approx(1.0)
    assert mutual_information(d, [0], [1]) == pytest.approx(2.0)
    assert particle_number(d) == pytest.approx(1.0)


def test_entropy_and_mutual_information_match_many_body():
    s = _random_state(6, 3, seed=9)
    psi, _ = _many_body(np.asarray(s.orbitals))
    q = qutip.Qobj(psi.reshape(-1, 1), dims=[[2] * 6, [1] * 6])
    for keep in ([0], [0, 1], [0, 1, 2]):  # leading modes: Jordan-Wigner strings drop out
        ref = qutip.entropy_vn(q.ptrace(keep), base=2)
        assert s.entropy(keep) == pytest.approx(ref, abs=1e-9)
        assert entanglement_entropy(s.correlation_matrix(), keep) == pytest.approx(ref, abs=1e-9)
    rho01 = q.ptrace([0, 1, 2])
    ref_mi = qutip.entropy_mutual(rho01, [0], [1, 2], base=2)
    assert s.mutual_information([0], [1, 2]) == pytest.approx(ref_mi, abs=1e-9)
    assert mutual_information(s.correlation_matrix(), [0], [1, 2]) == pytest.approx(ref_mi, abs=1e-9)


@pytest.mark.parametrize("part_a", [[0], [0, 1]])
def test_gaussian_negativity_matches_exact_partial_time_reversal(part_a):
    s = _random_state(6, 3, seed=10)
    psi, _ = _many_body(np.asarray(s.orbitals))
    q = qutip.Qobj(psi.reshape(-1, 1), dims=[[2] * 6, [1] * 6])
    rho = q.ptrace([0, 1, 2, 3]).full()  # mixed Gaussian state of modes 0..3
    part_b = [m for m in range(4) if m not in part_a]
    exact = _exact_negativity(rho, _c_ops(4), part_a)
    assert exact > 0.05  # a non-trivial case
    assert fermionic_negativity(s.correlation_matrix(), part_a, part_b) == pytest.approx(exact, abs=1e-9)


def test_negativity_of_pure_state_is_renyi_half_and_zero_for_product():
    d = _random_state(6, 3, seed=11).correlation_matrix()
    assert fermionic_negativity(d, [0, 1, 2], [3, 4, 5]) == pytest.approx(
        renyi_entropy(d, [0, 1, 2], alpha=0.5), abs=1e-10
    )
    thermal_product = np.diag([0.3, 0.8, 0.5])
    assert fermionic_negativity(thermal_product, [0], [1, 2]) == pytest.approx(0.0, abs=1e-12)


# --- trajectories ------------------------------------------------------------------------------
def _draw(seedseq, scale):
    return scale * np.random.default_rng(seedseq).random()


def test_trajectory_seeds_independent_of_workers_and_count():
    one = run_trajectories(_draw, 5, seed=42, workers=1, args=(2.0,))
    two = run_trajectories(_draw, 5, seed=42, workers=2, args=(2.0,))
    assert one == two
    assert run_trajectories(_draw, 3, seed=42, args=(2.0,)) == one[:3]  # prefix-stable
    assert run_trajectories(_draw, 3, seed=43, args=(2.0,)) != one[:3]


def test_mean_stderr():
    r = mean_stderr([1.0, 2.0, 3.0, 4.0])
    assert r.mean == 2.5 and r.stderr == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)
    assert np.isnan(mean_stderr([1.0]).stderr)
    with pytest.raises(InvalidParameterError):
        run_trajectories(_draw, 0, seed=1)
