"""Local-jump fast paths (issue 19): the per-site Liouvillian assembly and the unassembled gap blocks.

Oracles: QuTiP's own ``liouvillian`` (no opentangle model-building code) and its dense eigenvalues, and
the assembled strongly-connected-component path (``_scc_blocks`` / ``_block_bounds``) on the same model.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import opentangle.lindblad.dynamics as dyn
from opentangle.lindblad import Jump, Model, liouvillian, spectral_gap
from opentangle.lindblad.model import _local_liouvillian
from opentangle.operators import embed

qutip = pytest.importorskip("qutip")


def _qutip_L(model: Model, *, sparse: bool = False):
    H = qutip.Qobj(model.hamiltonian.tocsr())  # sparse Qobjs: QuTiP's dense layer is minutes at D = 64
    c_ops = [qutip.Qobj(np.sqrt(j.rate) * j.op.tocsr()) for j in model.jumps]
    L = qutip.liouvillian(H, c_ops)
    return L.to("csr").data.as_scipy() if sparse else L.full()


def _local_model(dims, rng, *, diagonal_h: bool, skip_site: int | None = None) -> Model:
    """Random local jumps and a random Hamiltonian; with ``diagonal_h`` every ``c^dag c`` is diagonal too
    (jumps ``|psi><k|`` with sparse random ``psi``, and diagonal ones), so ``H_eff`` is diagonal."""
    D = int(np.prod(dims))
    if diagonal_h:
        H = sp.diags(rng.normal(size=D))
    else:
        G = rng.normal(size=(D, D)) + 1j * rng.normal(size=(D, D))
        H = (G + G.conj().T) / 2
    jumps = []
    for i, d in enumerate(dims):
        if i == skip_site:
            continue  # a site without jumps: every local index is its own component
        for kind in range(3):
            c = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
            if diagonal_h:
                if kind == 2:
                    c = np.diag(np.diag(c))  # dephasing-like
                else:  # |psi><k|: c^dag c = |psi|^2 |k><k|
                    psi = c[:, 0] * (rng.random(d) < 0.6)
                    psi[rng.integers(d)] += 1.0
                    c = np.outer(psi, np.eye(d)[rng.integers(d)])
            jumps.append(Jump.local(c, site=i, dims=dims, rate=float(rng.uniform(0.1, 2.0))))
    return Model(hamiltonian=H, jumps=jumps, dims=list(dims))


@pytest.mark.parametrize(("dims", "diagonal_h"), [([2] * 6, True), ([2, 3, 2, 3], False), ([3, 2, 3, 2], True)])
def test_local_assembly_matches_qutip_and_is_canonical(dims, diagonal_h):
    model = _local_model(dims, np.random.default_rng(len(dims)), diagonal_h=diagonal_h)
    L = _local_liouvillian(model, model.effective_hamiltonian())
    assert L is not None
    assert abs(L - _qutip_L(model, sparse=True)).max() < 1e-12
    ref = L.copy()
    ref.has_canonical_format = False
    ref.sum_duplicates()  # sorts and sums: must change nothing
    assert np.array_equal(ref.indptr, L.indptr) and np.array_equal(ref.indices, L.indices)
    assert np.abs(liouvillian(model) - L).max() == 0.0  # the public path uses it (D > 32)


def test_local_assembly_declines_nonlocal_jumps():
    dims = [2, 2, 2, 2, 2, 2]
    model = Model(jumps=[(embed(np.array([[0, 1], [0, 0]]), 0, dims), 1.0)], dims=dims)
    assert _local_liouvillian(model, model.effective_hamiltonian()) is None


def _site_blocks(model: Model) -> list[tuple[int, float]]:
    G = dyn._SiteGraph.build(model)
    assert G is not None
    return sorted((G.size(b), round(float(G.bounds[b]), 9)) for b in range(G.count))


def _assembled_blocks(model: Model) -> list[tuple[int, float]]:
    L = liouvillian(model)
    labels, order, starts = dyn._scc_blocks(L)
    bounds = dyn._block_bounds(L, labels, order, starts)
    return sorted((int(s), round(float(b), 9)) for s, b in zip(np.diff(starts), bounds))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    dims=st.lists(st.sampled_from([2, 3]), min_size=1, max_size=3),
    skip=st.booleans(),
)
def test_site_blocks_equal_assembled_components_and_gap_equals_dense(seed, dims, skip):
    rng = np.random.default_rng(seed)
    model = _local_model(dims, rng, diagonal_h=True, skip_site=0 if skip else None)
    # the product structure gives the same components (sizes) and the same Gershgorin bounds
    assert _site_blocks(model) == _assembled_blocks(model)
    ev = np.linalg.eigvals(_qutip_L(model))
    rest = np.delete(ev, int(np.argmin(np.abs(ev))))
    got = spectral_gap(model, method="blocks")
    assert got.method == "blocks" and 0 <= got.residual <= got.bound
    gap = float(-rest.real.max())
    assert got.gap == pytest.approx(gap if abs(gap) > 1e-9 else 0.0, abs=1e-8)


@pytest.mark.parametrize("seed", [0, 1])
def test_site_gap_equals_dense_at_five_qubits(seed):
    model = _local_model([2] * 5, np.random.default_rng(seed), diagonal_h=True)
    ev = np.linalg.eigvals(_qutip_L(model))
    rest = np.delete(ev, int(np.argmin(np.abs(ev))))
    got = spectral_gap(model)
    assert got.method == "blocks"
    assert got.gap == pytest.approx(float(-rest.real.max()), abs=1e-8)
    L = liouvillian(model)
    assert dyn._gap_blocks(L)[0] == pytest.approx(got.eigenvalue, abs=1e-8)  # the assembled path agrees


def test_site_graph_declines_offdiagonal_hamiltonian():
    model = _local_model([2, 2], np.random.default_rng(5), diagonal_h=False)
    assert dyn._SiteGraph.build(model) is None
