"""Permutation-symmetric solver: structural non-uniqueness (conserved total spin) at any N, the
scale-free singularity certificate, and steady states reached from an initial state / in one sector.

Oracles: QuTiP ``steadystate`` on the (N+1)-dimensional Dicke manifold (``qutip.jmat``), which shares
no model-building code with the solver; the full-space engine on the same spin-N/2 model; and the
closed-form moment -> pair-state map written here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from opentangle.errors import IllConditionedError, InvalidParameterError, NonUniqueSteadyStateError
from opentangle.lindblad import Model, steady_state
from opentangle.lindblad.permutation import (
    SymmetricHamiltonian,
    _factor,
    conserves_total_spin,
    symmetric_liouvillian,
    symmetric_steady_state,
)
from opentangle.operators import sigma_minus, sigma_z

qutip = pytest.importorskip("qutip")


def superradiance(n: int) -> dict:
    """H = Omega J_x with Omega = 0.4 N gamma, gamma D[J_-] (gamma = 1)."""
    return dict(hamiltonian=SymmetricHamiltonian.field(x=0.4 * n / 2), collective_jumps=[(sigma_minus(), 1.0)])


def wootters(rho: np.ndarray) -> float:
    yy = np.kron([[0, -1j], [1j, 0]], [[0, -1j], [1j, 0]])
    ev = np.sqrt(np.abs(np.linalg.eigvals(rho @ yy @ rho.conj() @ yy)))
    ev = np.sort(ev.real)[::-1]
    return max(0.0, ev[0] - ev[1] - ev[2] - ev[3])


def pair_state_from_spin(rho_j: np.ndarray, jx, jy, jz, n: int) -> np.ndarray:
    """Two-qubit marginal of a symmetric N-qubit state from <J_a> and <{J_a, J_b}>/2."""
    js = [jx, jy, jz]
    mean = np.array([np.trace(rho_j @ a).real for a in js])
    sec = np.array([[np.trace(rho_j @ (a @ b + b @ a)).real / 2 for b in js] for a in js])
    r = 2 * mean / n
    t = (4 * sec - n * np.eye(3)) / (n * (n - 1))
    p = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
    rho = np.eye(4, dtype=complex)
    for a in range(3):
        rho += r[a] * (np.kron(p[a], np.eye(2)) + np.kron(np.eye(2), p[a]))
        for b in range(3):
            rho += t[a, b] * np.kron(p[a], p[b])
    return rho / 4


def qutip_dicke(n: int):
    j = n / 2
    jx, jy, jz, jm = (qutip.jmat(j, k) for k in ("x", "y", "z", "-"))
    rho = qutip.steadystate(0.4 * n * jx, [jm]).full()
    return rho, jx.full(), jy.full(), jz.full(), jm.full()


@pytest.mark.parametrize("n", range(40, 101, 10))
def test_conserved_total_spin_is_detected_structurally(n):
    """Issue 12: N = 50 and 60 used to return a wrong state; the structural test decides at every N."""
    with pytest.raises(NonUniqueSteadyStateError, match=r"total spin J\^2 is conserved.*initial="):
        symmetric_steady_state(n=n, **superradiance(n))


def test_total_spin_criterion():
    assert conserves_total_spin(None) and conserves_total_spin([(np.eye(2), 3.0), (sigma_z(), 0.0)])
    assert not conserves_total_spin([(sigma_z(), 1e-9)])


@pytest.mark.parametrize("n", [10, pytest.param(50, marks=pytest.mark.slow)])
def test_certificate_detects_the_singular_block_without_the_structural_test(n):
    """The numerical certificate alone (no structure used) also refuses the singular identity block."""
    liou = symmetric_liouvillian(n=n, **superradiance(n))
    rest = np.arange(1, liou.dimension)
    a = liou.matrix.tocsc()[rest][:, rest]
    with pytest.raises(IllConditionedError, match="forward-error estimate"):
        _factor(a, what="identity block")


def test_certificate_accepts_a_unique_model():
    liou = symmetric_liouvillian(n=30, **superradiance(30), local_jumps=[(sigma_z(), 0.3)])
    _, bound = _factor(liou.matrix.tocsc()[1:, 1:], what="identity block")
    # 9e-11 with ||A^-1|| from the power method on A^-T A^-1 (x2); the spectral-radius estimate before gave < 1e-12
    assert bound < 1e-9


@pytest.mark.parametrize(
    "n", [2, 3, 6, 11, pytest.param(20, marks=pytest.mark.slow), pytest.param(30, marks=pytest.mark.slow)]
)
def test_initial_ground_state_matches_qutip_dicke_manifold(n):
    rho_j, jx, jy, jz, _ = qutip_dicke(n)
    ref = pair_state_from_spin(rho_j, jx, jy, jz, n)
    ss = symmetric_steady_state(n=n, **superradiance(n), initial=[0, 1])
    assert np.abs(ss.rho2 - ref).max() < 1e-7
    assert abs(ss.concurrence() - wootters(ref)) < 1e-7
    assert abs(ss.sectors[0][1] - 1) < 1e-8 and sum(abs(w) for _, w in ss.sectors[1:]) < 1e-8
    top = symmetric_steady_state(n=n, **superradiance(n), sector=n / 2)
    assert np.abs(top.correlations - ss.correlations).max() < 1e-8


def test_initial_state_mixes_sectors_by_their_conserved_weights():
    """A product of mixed qubits has weight in every sector; the answer is the weighted sector states."""
    n = 4
    rho0 = np.diag([0.3, 0.7])
    mixed = symmetric_steady_state(n=n, **superradiance(n), initial=rho0)
    weights = dict(mixed.sectors)
    assert abs(sum(weights.values()) - 1) < 1e-12 and min(weights.values()) > 0.05
    parts = [symmetric_steady_state(n=n, **superradiance(n), sector=j) for j in (2, 1, 0)]
    combo = sum(weights[j] * p.correlations for j, p in zip((2.0, 1.0, 0.0), parts))
    assert np.abs(combo - mixed.correlations).max() < 1e-10
    # sector weights of a product state from the binomial count of spin-j irreps
    p_up = 0.3
    for j in (2, 1, 0):
        expect = sum(
            math.comb(n, k) * p_up**k * (1 - p_up) ** (n - k) * _fraction_in_sector(n, k, j) for k in range(n + 1)
        )
        assert abs(weights[float(j)] - expect) < 1e-10


def _fraction_in_sector(n: int, k: int, j: int) -> float:
    """Fraction of the C(n, k) states with k excitations (m = k - n/2) that lie in total spin j."""
    m = k - n / 2
    if abs(m) > j:
        return 0.0
    mult = math.comb(n, int(n / 2 - j)) - (math.comb(n, int(n / 2 - j) - 1) if n / 2 - j >= 1 else 0)
    return mult / math.comb(n, k)


def test_initial_is_irrelevant_when_unique():
    kw = dict(**superradiance(6), local_jumps=[(sigma_minus(), 0.5)])
    a = symmetric_steady_state(n=6, **kw)
    b = symmetric_steady_state(n=6, **kw, initial=[1, 0])
    assert np.abs(a.correlations - b.correlations).max() < 1e-12 and a.sectors is None


def test_sector_and_initial_validation():
    with pytest.raises(InvalidParameterError):
        symmetric_steady_state(n=4, **superradiance(4), sector=1.5)
    with pytest.raises(InvalidParameterError):
        symmetric_steady_state(n=4, **superradiance(4), sector=2, initial=[0, 1])
    with pytest.raises(InvalidParameterError):
        symmetric_steady_state(n=4, **superradiance(4), local_jumps=[(sigma_z(), 1.0)], sector=2)


@pytest.mark.parametrize("n", [50, pytest.param(60, marks=pytest.mark.slow)])
def test_large_n_superradiance_never_silent(n):
    """At N = 50, 60 the symmetric solver raises (not unique; or ill-conditioned with initial=) or is right."""
    rho_j, jx, jy, jz, jm = qutip_dicke(n)
    conc = wootters(pair_state_from_spin(rho_j, jx, jy, jz, n))
    assert abs(conc - {50: 0.00826, 60: 0.00685}[n]) < 1e-5  # the values quoted in issue 12
    # the same spin-N/2 model in the full-space engine (an (N+1)-dimensional Model)
    ours = steady_state(Model(hamiltonian=0.4 * n * jx, jumps=[(jm, 1.0)]), method="direct").rho
    assert np.abs(ours - rho_j).max() < 1e-8


@pytest.mark.slow
@pytest.mark.parametrize("n", range(2, 101))
def test_dicke_manifold_full_space_matches_qutip(n):
    rho_j, jx, _, _, jm = qutip_dicke(n)
    ours = steady_state(Model(hamiltonian=0.4 * n * jx, jumps=[(jm, 1.0)]), method="direct").rho
    assert np.abs(ours - rho_j).max() < 1e-8


@pytest.mark.parametrize("n", [8, 16])
def test_nested_dissection_fast_path_matches_reference(n, monkeypatch):
    """The no-pivoting nested-dissection factorisation agrees with the COLAMD partial-pivoting reference."""
    import opentangle.lindblad.permutation as perm

    plus = np.array([1.0, 1.0]) / np.sqrt(2)
    kw = dict(
        hamiltonian=SymmetricHamiltonian.ising(5.0) + SymmetricHamiltonian.field(x=0.3),
        local_jumps=[(sigma_z(), 0.5), (np.outer(plus, [1, 0]), 8.0), (np.outer(plus, [0, 1]), 8.0)],
    )
    monkeypatch.setattr(perm, "ND_MIN", 10**9)
    ref = symmetric_steady_state(n=n, **kw)
    monkeypatch.setattr(perm, "ND_MIN", 50)
    fast = symmetric_steady_state(n=n, **kw)
    assert np.abs(fast.correlations - ref.correlations).max() < 1e-11
    order = perm._nested_dissection(ref.liouvillian.occupations[:, 1:])
    assert np.array_equal(np.sort(order), np.arange(ref.dimension))  # a permutation
