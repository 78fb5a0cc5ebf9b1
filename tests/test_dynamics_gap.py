"""spectral_gap(method="blocks"): the block-triangular (strongly connected component) path (issue 19).

Oracles: dense eigenvalues of QuTiP's own Liouvillian (no opentangle model-building code), today's
Arnoldi path, and the closed form gap = r of the Ising reset model with dephasing.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_lindblad import ising_reset_model, random_model

import opentangle.lindblad.dynamics as dyn
from opentangle.errors import ResourceLimitError
from opentangle.lindblad import Model, dephasing, liouvillian, spectral_gap
from opentangle.operators import embed, sigma_minus, sigma_z

qutip = pytest.importorskip("qutip")


def _qutip_gap(model: Model) -> float:
    H = qutip.Qobj(model.hamiltonian.toarray())
    c_ops = [qutip.Qobj(np.sqrt(j.rate) * j.op.toarray()) for j in model.jumps]
    ev = np.linalg.eigvals(qutip.liouvillian(H, c_ops).full())
    rest = np.delete(ev, int(np.argmin(np.abs(ev))))
    return float(-rest.real.max())


def _damped_chain(n: int, rng: np.random.Generator) -> Model:
    """Random diagonal couplings, local decay and dephasing: block triangular with many small blocks."""
    dims = [2] * n
    z = [embed(sigma_z(), i, dims, sparse=True) for i in range(n)]
    H = sum(rng.normal() * z[i] @ z[(i + 1) % n] + rng.normal() * z[i] for i in range(n))
    jumps = [(embed(sigma_minus(), i, dims), rng.uniform(0.1, 2.0)) for i in range(n)]
    for i in range(n):
        jumps += dephasing(site=i, rate=rng.uniform(0.0, 1.0), dims=dims)
    return Model(hamiltonian=H, jumps=jumps, dims=dims)


@pytest.mark.parametrize(
    "case",
    ["reset2", "reset3-slow", "reset4", "reset4-no-dephasing", "chain3", "chain4", "random3", "random4-dense"],
)
def test_blocks_match_qutip_dense_eigenvalues(case):
    rng = np.random.default_rng(11)
    model = {
        "reset2": lambda: ising_reset_model(2, g=1.3, gamma=0.7, r=2.0),
        "reset3-slow": lambda: ising_reset_model(3, g=5.0, gamma=1.0, r=0.3),
        "reset4": lambda: ising_reset_model(4, g=5.0, gamma=1.0, r=8.0),
        "reset4-no-dephasing": lambda: ising_reset_model(4, g=3.0, gamma=0.0, r=2.0),
        "chain3": lambda: _damped_chain(3, rng),
        "chain4": lambda: _damped_chain(4, rng),
        "random3": lambda: random_model(3, rng),  # one strongly connected block: plain dense
        "random4-dense": lambda: random_model(4, rng, n_jumps=2),
    }[case]()
    res = spectral_gap(model, method="blocks")
    assert res.method == "blocks" and res.matvecs >= 1
    assert res.gap == pytest.approx(_qutip_gap(model), abs=1e-8)
    assert 0 <= res.residual <= res.bound


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 3))
def test_blocks_equal_dense_and_bounds_hold_on_random_chains(seed, n):
    model = _damped_chain(n, np.random.default_rng(seed))
    L = liouvillian(model)
    labels, order, starts = dyn._scc_blocks(L)
    bounds = dyn._block_bounds(L, labels, order, starts)
    eig_all = np.linalg.eigvals(L.toarray())
    per_block = []
    for b in range(starts.size - 1):
        idx = order[starts[b] : starts[b + 1]]
        ev = np.linalg.eigvals(L[idx][:, idx].toarray())
        assert ev.real.max() <= bounds[b] + 1e-10  # Gershgorin
        per_block.append(ev)
    # block triangular: the union of the block spectra is the spectrum (with multiplicity)
    union = np.sort_complex(np.round(np.concatenate(per_block), 6))
    assert np.allclose(union, np.sort_complex(np.round(eig_all, 6)), atol=1e-5)
    assert spectral_gap(model, method="blocks").gap == pytest.approx(spectral_gap(model, method="dense").gap, abs=1e-8)


@pytest.mark.parametrize("n", [5, 6])
def test_blocks_agree_with_arnoldi(n):
    model = ising_reset_model(n, g=5.0, gamma=1.0, r=8.0)
    a, b = spectral_gap(model, method="arnoldi"), spectral_gap(model)
    assert b.method == "blocks"
    assert b.gap == pytest.approx(a.gap, abs=1e-8)


@pytest.mark.parametrize(("g", "gamma", "r"), [(5.0, 1.0, 8.0), (3.0, 0.5, 0.4), (1.0, 2.0, 3.0)])
def test_ising_reset_gap_is_r(g, gamma, r):
    # Pauli basis: Z-type strings decay at exactly r per Z (the block without X/Y factors); every string
    # with an X or Y factor decays at least at r + 2 gamma, so with gamma > 0 the gap is r
    res = spectral_gap(ising_reset_model(7, g=g, gamma=gamma, r=r))
    assert res.method == "blocks"
    assert res.gap == pytest.approx(r, abs=1e-9)


def test_blocks_nonunique_is_zero():
    dims = [2, 2, 2]
    jumps = [d for i in range(3) for d in dephasing(site=i, rate=1.0, dims=dims)]
    model = Model(hamiltonian=embed(sigma_z(), 0, dims), jumps=jumps, dims=dims)
    assert spectral_gap(model, method="blocks").gap == 0.0


def test_large_block_falls_back_or_refuses(monkeypatch):
    monkeypatch.setattr(dyn, "_BLOCK_DENSE_MAX", 8)
    monkeypatch.setattr(dyn, "_GAP_DENSE_MAX", 16)
    model = random_model(5, np.random.default_rng(3))  # one strongly connected block of 25 > 8
    with pytest.raises(ResourceLimitError, match="method='arnoldi'"):
        spectral_gap(model, method="blocks")
    res = spectral_gap(model)
    assert res.method == "arnoldi"
    assert res.gap == pytest.approx(_qutip_gap(model), abs=1e-8)
