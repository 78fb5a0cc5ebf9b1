"""Genuine multipartite entanglement by the PPT-mixture SDP (full and spin-block programs)."""

import builtins
import itertools
import math

import numpy as np
import pytest

pytest.importorskip("cvxpy")

from opentangle import ConvergenceError, DimensionError, InvalidParameterError, InvalidStateError
from opentangle.errors import OptionalDependencyError
from opentangle.measures import (
    GenuineEntanglement,
    SymmetricBlocks,
    _schur,
    genuine_entanglement,
    genuine_entanglement_value,
    ghz_fidelity,
    is_gme_by_ghz_witness,
    symmetric_blocks,
)
from opentangle.operators import random_unitary
from opentangle.states import bell_state, ghz_state, ket2dm, random_density_matrix


def ghz_noise(n, p):
    return p * ghz_state(n) + (1 - p) * np.eye(2**n) / 2**n


def threshold(n):
    return (2 ** (n - 1) - 1) / (2**n - 1)


def exact_value(n, p):
    # tr(W rho) of W = 1/2 - |GHZ><GHZ| (fully decomposable; optimal for GHZ + white noise)
    return min(0.0, -((2**n - 1) * p - (2 ** (n - 1) - 1)) / 2**n)


def w_noise(p):
    w = np.zeros(8)
    w[[1, 2, 4]] = 1 / np.sqrt(3)
    return p * ket2dm(w) + (1 - p) * np.eye(8) / 8


def ptranspose(x, part, dims):
    """Independent partial transpose (einsum-free reshape)."""
    n = len(dims)
    t = x.reshape(list(dims) * 2)
    axes = list(range(2 * n))
    for i in part:
        axes[i], axes[n + i] = n + i, i
    return t.transpose(axes).reshape(x.shape)


def independent_check(result, rho, dims):
    """Re-verify the certificate with code that shares nothing with the module."""
    w = result.witness
    assert abs(np.trace(w @ rho).real - result.value) < 1e-10
    cuts = [c for r in range(1, len(dims)) for c in itertools.combinations(range(len(dims)), r) if 0 in c]
    assert set(result.decomposition) == set(cuts)
    for m, (p, q) in result.decomposition.items():
        assert np.abs(w - p - ptranspose(q, m, dims)).max() < 1e-10
        assert np.linalg.eigvalsh(p)[0] > -1e-9 and np.linalg.eigvalsh(q)[0] > -1e-9
        assert np.linalg.eigvalsh(q)[-1] < 1 + 1e-9


@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("delta", [-0.02, -1e-3, 1e-2, 0.05])
def test_ghz_noise_threshold_symmetric(n, delta):
    p = threshold(n) + delta
    r = genuine_entanglement(ghz_noise(n, p))
    assert r.program == "symmetric"
    assert r.entangled == (delta > 0)
    assert r.value == pytest.approx(exact_value(n, p), abs=1e-6)
    if delta < 0:
        assert r.value > -1e-7  # never certified below the threshold


@pytest.mark.parametrize("delta", [-0.01, 0.02])
def test_ghz_noise_threshold_full_n3(delta):
    p = threshold(3) + delta
    rho = ghz_noise(3, p)
    r = genuine_entanglement(rho, symmetric=False)
    assert r.program == "full" and r.entangled == (delta > 0)
    assert r.value == pytest.approx(exact_value(3, p), abs=1e-6)
    independent_check(r, rho, [2, 2, 2])


def test_ghz_noise_full_n4_agrees_with_symmetric():
    p = threshold(4) + 0.03
    rho = ghz_noise(4, p)
    full = genuine_entanglement(rho, symmetric=False)
    sym = genuine_entanglement(rho, symmetric=True)
    assert full.entangled and sym.entangled
    assert full.value == pytest.approx(sym.value, abs=1e-6)
    independent_check(full, rho, [2, 2, 2, 2])


def test_w_state_detected_where_ghz_witness_never_is():
    for p in (0.5, 0.6, 1.0):
        rho = w_noise(p)
        assert genuine_entanglement(rho).entangled
        assert not is_gme_by_ghz_witness(rho) and ghz_fidelity(rho) < 0.5
    assert not genuine_entanglement(w_noise(0.45)).entangled  # the PPT-mixture bound is ~0.479


def test_symmetric_and_full_agree_on_random_symmetric_state():
    rng = np.random.default_rng(3)
    sig = random_density_matrix(8, seed=rng)
    perms = list(itertools.permutations(range(3)))
    twirl = sum(sig.reshape([2] * 6).transpose(*p, *(3 + np.array(p))).reshape(8, 8) for p in perms) / 6
    rho = 0.3 * twirl + 0.7 * ghz_state(3)
    a = genuine_entanglement(rho, symmetric=False)
    b = genuine_entanglement(rho, symmetric=True)
    assert a.value == pytest.approx(b.value, abs=1e-6)
    independent_check(a, rho, [2, 2, 2])


def biseparable_states():
    rng = np.random.default_rng(11)
    out = [np.kron(bell_state("phi+"), ket2dm(np.array([1, 0])))]
    # a mixture of Bell pairs on the three different cuts: biseparable but not separable on any cut
    b = bell_state("psi-")
    e = np.eye(2) / 2
    mix = (np.kron(b, e) + np.kron(e, b) + ptranspose_perm(np.kron(b, e))) / 3
    out.append(mix)
    for _ in range(3):
        u = np.kron(np.kron(random_unitary(2, seed=rng), random_unitary(2, seed=rng)), random_unitary(2, seed=rng))
        s = np.kron(random_density_matrix(4, seed=rng), random_density_matrix(2, seed=rng))
        out.append(u @ s @ u.conj().T)
    return out


def ptranspose_perm(x):
    """Move qubit 2 next to qubit 0: permute (0, 1, 2) -> (0, 2, 1)."""
    return x.reshape([2] * 6).transpose(0, 2, 1, 3, 5, 4).reshape(8, 8)


@pytest.mark.parametrize("k", range(5))
def test_biseparable_never_certified(k):
    rho = biseparable_states()[k]
    r = genuine_entanglement(rho, symmetric=False)
    assert not r.entangled and r.value > -1e-7


def test_witness_is_nonnegative_on_biseparable_states():
    r = genuine_entanglement(ghz_noise(3, 0.7), symmetric=False)
    for rho in biseparable_states():
        assert np.trace(r.witness @ rho).real > -1e-9


def test_large_n_spin_blocks():
    n, p = 6, threshold(6) + 0.02
    bl = {j: (1 - p) * np.eye(round(2 * j + 1)) / 2**n for j in _schur.spins(n)}
    g = np.zeros(n + 1)
    g[[0, -1]] = 1 / np.sqrt(2)
    bl[n / 2] = bl[n / 2] + p * np.outer(g, g)
    r = genuine_entanglement(SymmetricBlocks(n, bl))
    assert r.entangled and r.value == pytest.approx(exact_value(n, p), abs=1e-6)
    # the blocks of the full matrix agree with the hand-built ones
    sb = symmetric_blocks(ghz_noise(n, p))
    assert all(np.allclose(sb.blocks[j], bl[j]) for j in bl)


def test_spin_blocks_reconstruct_trace_and_multiplicities():
    n = 5
    assert sum(_schur.multiplicity(n, j) * (2 * j + 1) for j in _schur.spins(n)) == 2**n
    sb = symmetric_blocks(ghz_noise(n, 0.3))
    assert sum(_schur.multiplicity(n, j) * np.trace(b).real for j, b in sb.blocks.items()) == pytest.approx(1)
    for j1, j2 in [(0.5, 0.5), (1.5, 1), (2, 1.5)]:
        cg = _schur.clebsch_gordan(j1, j2)
        assert np.allclose(sum(c.T @ c for c in cg.values()), np.eye(round((2 * j1 + 1) * (2 * j2 + 1))))


def test_result_object_and_value_helper():
    r = genuine_entanglement(ghz_noise(3, 0.8))
    assert isinstance(r, GenuineEntanglement) and "GME certified" in repr(r) and "passed=True" in repr(r.check)
    assert r.status.startswith("optimal") and r.solver == "clarabel" and r.time > 0
    with pytest.raises(AttributeError):
        r.value = 0.0  # frozen
    assert genuine_entanglement_value(ghz_noise(3, 0.8)) == pytest.approx(r.value, abs=1e-7)
    s = genuine_entanglement(ghz_noise(3, 0.8), solver="scs")
    assert s.entangled and s.value == pytest.approx(r.value, abs=1e-3)


def test_bad_inputs():
    with pytest.raises(InvalidStateError):
        genuine_entanglement(np.eye(8))
    with pytest.raises(DimensionError):
        genuine_entanglement(np.eye(2) / 2, dims=[2])
    with pytest.raises(InvalidParameterError):
        genuine_entanglement(ghz_state(3), solver="mosek")
    with pytest.raises(InvalidParameterError):
        genuine_entanglement(ghz_state(3), tol=math.nan)
    with pytest.raises(InvalidStateError):
        genuine_entanglement(np.kron(bell_state("phi+"), np.diag([1.0, 0])), symmetric=True)
    with pytest.raises(DimensionError):
        genuine_entanglement(random_density_matrix(128, seed=1), symmetric=False)


def test_missing_cvxpy_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def fake(name, *a, **k):
        if name == "cvxpy":
            raise ImportError("no cvxpy")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(OptionalDependencyError, match=r"opentangle\[sdp\]"):
        genuine_entanglement(ghz_state(3))


def test_uncertifiable_solver_claim_raises(monkeypatch):
    from opentangle.measures import gme

    original = gme.check_decomposable_witness

    def broken(rho, dims, w, qs, **kw):
        out = original(rho, dims, w, qs, **kw)
        chk = out[2]
        bad = type(chk)(
            0.1,
            chk.shift,
            chk.residual,
            chk.min_eig_p,
            chk.min_eig_q,
            chk.max_eig_p,
            chk.max_eig_q,
            chk.atol,
            chk.tol,
            chk.program,
        )
        return out[0], out[1], bad

    monkeypatch.setattr(gme, "check_decomposable_witness", broken)
    with pytest.raises(ConvergenceError, match="cannot be certified"):
        genuine_entanglement(ghz_noise(3, 0.9), symmetric=False)


def test_bipartite_2x3_gme_is_npt():
    """For two parties the PPT mixtures are the PPT states, and PPT = separable in 2 x 3."""
    from opentangle.measures import is_ppt

    verdicts = []
    for seed in (0, 1, 4):  # seeds 0, 1 are NPT, seed 4 is PPT
        rho = 0.5 * random_density_matrix(6, rank=2, seed=seed) + 0.5 * np.eye(6) / 6
        r = genuine_entanglement(rho, dims=[2, 3])
        assert r.entangled == (not is_ppt(rho, [2, 3])), seed
        assert r.program == "full" and r.check.decomposable and r.check.normalised
        verdicts.append(r.entangled)
    assert verdicts == [True, True, False]


@pytest.mark.slow
def test_ghz_noise_full_n5_and_symmetric_n8():
    p = threshold(5) + 0.02
    r = genuine_entanglement(ghz_noise(5, p), symmetric=False)
    assert r.entangled and r.value == pytest.approx(exact_value(5, p), abs=1e-6)
    n, p = 8, threshold(8) - 0.01
    r = genuine_entanglement(ghz_noise(n, p))
    assert not r.entangled and r.value > -1e-7


def test_complex_symmetric_state_both_programs_agree():
    # a permutation-invariant state with complex coherences: GHZ with a phase, plus noise
    g = ghz_state(3, ket=True, coefficients=[1, 1j])
    rho = 0.7 * ket2dm(g) + 0.3 * np.eye(8) / 8
    a = genuine_entanglement(rho, symmetric=True)
    b = genuine_entanglement(rho, symmetric=False)
    assert a.entangled and b.entangled
    assert a.value == pytest.approx(exact_value(3, 0.7), abs=1e-6) and b.value == pytest.approx(a.value, abs=1e-6)
