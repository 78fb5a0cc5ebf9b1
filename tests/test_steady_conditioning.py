"""Full-space steady states: "not unique" vs "ill-conditioned", initial= projection, typed errors.

Oracles: long-time ``evolve`` (a different algorithm: Krylov/BDF time stepping), closed forms of
absorbing-state branching, and the public study functions for the ill-conditioned cases of issue 13.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opentangle.errors import (
    ConvergenceError,
    IllConditionedError,
    InvalidParameterError,
    NonUniqueSteadyStateError,
)
from opentangle.lindblad import Model, dephasing, evolve, liouvillian, steady_state, steady_state_batch
from opentangle.lindblad.steady import direct_cost
from opentangle.operators import embed, sigma_minus, sigma_x, sigma_z

DIMS = [2, 2]


def collective_decay(omega: float = 0.0) -> Model:
    s = embed(sigma_minus(), 0, DIMS) + embed(sigma_minus(), 1, DIMS)
    h = omega * (embed(sigma_x(), 0, DIMS) + embed(sigma_x(), 1, DIMS))
    return Model(hamiltonian=h, jumps=[(s, 1.0)], dims=DIMS)


def test_error_types_are_distinct():
    assert issubclass(IllConditionedError, ConvergenceError)
    assert not issubclass(IllConditionedError, NonUniqueSteadyStateError)
    assert not issubclass(NonUniqueSteadyStateError, IllConditionedError)


def test_waveguide_extreme_coupling_is_ill_conditioned_not_non_unique():
    from opentangle.studies import waveguide

    with pytest.raises(IllConditionedError, match="no conserved quantity was found") as exc:
        waveguide.evaluate(g=1e6, delta=1e-6)
    assert not isinstance(exc.value, NonUniqueSteadyStateError)
    assert waveguide.evaluate(g=1.0, delta=0.5)["residual"] < 1e-10  # a regular point still solves


def test_reset_tiny_rate_is_ill_conditioned_and_zero_rate_non_unique():
    from opentangle.studies import reset

    with pytest.raises(IllConditionedError):
        reset.solve(n=2, r=1e-12, gap=False, solver="full")
    with pytest.raises(NonUniqueSteadyStateError):
        reset.solve(n=2, r=0.0, gap=False, solver="full")


def test_true_degeneracies_stay_non_unique():
    with pytest.raises(NonUniqueSteadyStateError):
        steady_state(collective_decay(), method="direct")  # the singlet is dark: its projector commutes
    h = embed(sigma_z(), 0, DIMS) @ embed(sigma_z(), 1, DIMS) + 0.3 * embed(sigma_x(), 0, DIMS)
    with pytest.raises(NonUniqueSteadyStateError):
        steady_state(Model(hamiltonian=h, dims=DIMS), method="direct")


def test_iterative_maxiter_zero_is_a_typed_error():
    m = Model(jumps=[(sigma_minus(), 1.0)])
    for kw in (dict(maxiter=0), dict(maxiter=-3), dict(restart=0), dict(maxiter=2.5)):
        with pytest.raises(InvalidParameterError):
            steady_state(m, method="iterative", **kw)


def test_batch_refuses_a_matrix_that_is_not_a_liouvillian():
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidParameterError, match="not trace preserving"):
        steady_state_batch(rng.standard_normal((3, 16, 16)))
    ok = liouvillian(Model(jumps=[(sigma_minus(), 1.0)])).toarray()
    with pytest.raises(InvalidParameterError, match="first indices \\[1\\]"):
        steady_state_batch(np.stack([ok, ok + 1e-3]))  # one corrupted point among valid ones
    assert steady_state_batch(ok[None]).unique.all()


def test_commutant_test_separates_dark_states_from_tiny_couplings():
    from opentangle.lindblad.steady import _commutant_residual
    from opentangle.studies import waveguide

    assert _commutant_residual(collective_decay()) < 1e-15  # |S><S| commutes with J_-, J_+
    assert _commutant_residual(waveguide.build_model(g=1e6, delta=1e-6)) > 1e-13  # delta/g = 1e-12 is resolved


def long_time(model: Model, rho0: np.ndarray, t: float = 200.0) -> np.ndarray:
    return evolve(model, rho0, [0.0, t], rtol=1e-11, atol=1e-13).states[-1]


@pytest.mark.parametrize("start", ["ee", "eg", "mixed"])
def test_initial_projection_matches_long_time_evolution(start):
    """Collective decay of two qubits: the dark singlet keeps its initial population."""
    m = collective_decay()
    kets = {"ee": np.kron([1, 0], [1, 0]), "eg": np.kron([1, 0], [0, 1])}
    rho0 = np.outer(kets[start], kets[start]) if start in kets else np.diag([0.1, 0.2, 0.3, 0.4])
    ss = steady_state(m, initial=rho0)
    assert ss.kernel_dimension == 4 and ss.method == "projection"  # |g><g|, |S><S| and their coherences
    assert np.abs(ss.rho - long_time(m, rho0)).max() < 1e-8
    singlet = np.array([0, 1, -1, 0]) / np.sqrt(2)
    p_s = float(np.real(singlet @ rho0 @ singlet))
    assert abs(float(np.real(singlet @ ss.rho @ singlet)) - p_s) < 1e-12  # conserved


@settings(max_examples=10, deadline=None)
@given(st.floats(0.05, 0.95), st.floats(0.1, 3.0), st.floats(0.1, 3.0))
def test_branching_into_absorbing_states(p2, g1, g2):
    """|2> decays to |0> at g1 and to |1> at g2: P(0) = p0 + p2 g1/(g1+g2) (closed form)."""
    c1 = np.outer(np.eye(3)[0], np.eye(3)[2])
    c2 = np.outer(np.eye(3)[1], np.eye(3)[2])
    m = Model(jumps=[(c1, g1), (c2, g2)])
    rho0 = np.diag([(1 - p2) / 2, (1 - p2) / 2, p2])
    ss = steady_state(m, initial=rho0)
    assert abs(ss.rho[0, 0].real - ((1 - p2) / 2 + p2 * g1 / (g1 + g2))) < 1e-10
    assert abs(ss.rho[2, 2]) < 1e-12


def test_initial_with_unique_state_returns_it():
    m = collective_decay(0.8)
    m2 = Model(hamiltonian=m.hamiltonian, jumps=[*m.jumps, *dephasing(site=0, rate=0.3, dims=DIMS)], dims=DIMS)
    a = steady_state(m2)
    b = steady_state(m2, initial=np.eye(4) / 4)
    assert b.kernel_dimension == 1 and np.abs(a.rho - b.rho).max() < 1e-10


def test_initial_refuses_ill_conditioned_gap():
    from opentangle.studies import waveguide

    with pytest.raises(IllConditionedError):
        steady_state(waveguide.build_model(g=1e6, delta=1e-6), initial=np.eye(4) / 4)


def test_auto_picks_direct_for_a_large_single_spin():
    """Issue 12: the (N+1)-dimensional Dicke manifold at N = 60 is a cheap LU; auto must not go iterative."""
    qutip = pytest.importorskip("qutip")
    n = 60
    jx, jm = (qutip.jmat(n / 2, k).full() for k in ("x", "-"))
    m = Model(hamiltonian=0.4 * n * jx, jumps=[(jm, 1.0)])
    assert direct_cost(m)["direct"]
    assert steady_state(m).method == "direct"


# ----------------------------------------------------------------------------- resource estimate (issue 19)


def test_iterative_cost_refuses_13_qubits_early(monkeypatch):
    """13 qubits (D^2 = 6.7e7) cost more than the default limits; the refusal comes before any D^2 allocation."""
    import scipy.sparse as sp

    from opentangle.errors import ResourceLimitError
    from opentangle.lindblad import Jump
    from opentangle.lindblad.steady import COST_MODEL_MAX, iterative_cost

    est = iterative_cost(2**13)
    assert est.nbytes > 1e10 and est.seconds > 600  # 15.6 GB, ~27 minutes: beyond the default time limit
    small = iterative_cost(2**8, restart=5)  # the restart length 13 qubits get
    assert small.nbytes == pytest.approx(est.nbytes / 1024)  # scales as D^2
    assert small.seconds == pytest.approx(est.seconds / 1024)
    assert COST_MODEL_MAX < 4**13  # auto goes straight to the iterative path (no Liouvillian built)
    # the same refusal on a cheap model, with the limits lowered to its size (building a 13-qubit Model
    # takes ~15 s here, in its input checks)
    D = 2**9
    lower = sp.diags(np.ones(D - 1), 1, shape=(D, D), format="csr")  # |k> -> |k-1>
    model = Model(hamiltonian=sp.csr_matrix((D, D)), jumps=[Jump(lower, 1.0)])
    monkeypatch.setenv("OPENTANGLE_MAX_SECONDS", str(iterative_cost(D).seconds / 2))
    with pytest.raises(ResourceLimitError, match=r"iterative steady state of dimension 512.*OPENTANGLE_MAX_SECONDS"):
        steady_state(model, method="iterative")
    monkeypatch.setenv("OPENTANGLE_MAX_SECONDS", "inf")
    monkeypatch.setenv("OPENTANGLE_MAX_MEMORY", str(iterative_cost(D).nbytes / 2))
    with pytest.raises(ResourceLimitError, match="OPENTANGLE_MAX_MEMORY"):
        steady_state(model, method="iterative")


@pytest.mark.parametrize("complex_factor", [False, True])
def test_lu_certificate_estimates_the_norm_not_the_spectral_radius(complex_factor):
    """A non-normal matrix with unit eigenvalues and ||A^-1|| ~ 1.5^40: inverse iteration with A alone
    (the earlier estimate) stayed near 50, so a nearly singular factor passed as well-conditioned."""
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    from opentangle.lindblad.steady import LU_NORM_SAFETY, _lu_certificate

    n = 40
    a = sp.diags([np.ones(n), 1.5 * np.ones(n - 1)], [0, 1]).tocsc()
    if complex_factor:
        a = a.astype(complex)
    true = 1.0 / np.linalg.svd(a.toarray(), compute_uv=False).min()
    _, inv = _lu_certificate(spla.splu(a), a, 0, complex_rhs=complex_factor)
    assert true <= inv <= 1.01 * LU_NORM_SAFETY * true
