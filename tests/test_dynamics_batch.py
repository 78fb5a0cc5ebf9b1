"""Batched evolution (issue 19 target 7): the stacked exponential and agreement with QuTiP mesolve."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

from opentangle.lindblad import Model, affine_liouvillians, dephasing, evolve_batch, liouvillian, reset
from opentangle.lindblad.batch import expm_stack
from opentangle.operators import embed, sigma_z

qutip = pytest.importorskip("qutip")
PLUS = np.array([1.0, 1.0]) / np.sqrt(2)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 9), scale=st.sampled_from([1e-8, 0.1, 1.0, 30.0, 400.0]))
def test_expm_stack_equals_scipy_expm(seed, n, scale):
    rng = np.random.default_rng(seed)
    A = scale * (rng.standard_normal((4, n, n)) + 1j * rng.standard_normal((4, n, n))) / np.sqrt(n)
    A[1] *= 3.0  # norms differ across the stack
    A -= np.abs(A).sum(axis=1).max(axis=1)[:, None, None] * np.eye(n)  # Re(eigenvalues) <= 0, as for a Liouvillian
    ref = np.array([sla.expm(a) for a in A])
    got = expm_stack(A)
    for g, r in zip(got, ref):
        assert np.abs(g - r).max() <= 1e-11 * max(1.0, np.abs(r).max())


def test_expm_stack_of_liouvillians_is_trace_preserving():
    dims = [2, 2]
    zz = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    parts = [
        Model(hamiltonian=zz, dims=dims),
        Model(jumps=[reset(site=i, rate=1.0, state=PLUS, dims=dims) for i in range(2)], dims=dims),
    ]
    S = affine_liouvillians(parts, [[1.0, 0.1], [5.0, 50.0], [0.0, 1e-3]])
    P = expm_stack(S * 2.0)
    tr = np.eye(4).reshape(-1, order="F")  # vec(1): tr(X) = vec(1) . vec(X)
    assert np.allclose(tr @ P, tr, atol=1e-12)


def test_evolve_batch_matches_qutip_mesolve_on_a_grid():
    dims = [2, 2]
    zz = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    pts = [(1.0, 1.0), (3.0, 10.0), (5.0, 0.5)]
    times = np.linspace(0, 5, 26)
    psi0 = np.array([1.0, 0, 0, 0])
    models = []
    for g, r in pts:
        jumps = [j for i in range(2) for j in dephasing(site=i, rate=1.0, dims=dims)]
        jumps += [j for i in range(2) for j in reset(site=i, rate=r, state=PLUS, dims=dims)]
        models.append(Model(hamiltonian=g * zz, jumps=jumps, dims=dims))
    ev = evolve_batch(models, psi0, times, e_ops={"zz": zz})
    zq = qutip.tensor(qutip.sigmaz(), qutip.sigmaz())
    for b, m in enumerate(models):
        Lq = qutip.liouvillian(
            qutip.Qobj(m.hamiltonian.toarray(), dims=[dims, dims]),
            [qutip.Qobj(np.sqrt(j.rate) * j.op.toarray(), dims=[dims, dims]) for j in m.jumps],
        )
        assert np.abs(Lq.full() - liouvillian(m).toarray()).max() < 1e-12
        res = qutip.mesolve(
            Lq,
            qutip.Qobj(np.outer(psi0, psi0), dims=[dims, dims]),
            times,
            e_ops=[zq],
            options={"atol": 1e-12, "rtol": 1e-10, "store_states": True},
        )
        assert np.abs(np.asarray(res.expect[0]) - ev.expect[b, 0]).max() < 1e-8
        for i in (5, 25):
            assert np.abs(res.states[i].full() - ev.states[b, i]).max() < 1e-8
