"""QuTiP idioms: steady_state(H, c_ops), evolve(H, rho0, times, c_ops), e_ops names, xarray, Qobj out, HTML."""

from __future__ import annotations

import numpy as np
import pytest

from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.lindblad import Jump, Model, evolve, spectrum, steady_state
from opentangle.operators import embed, sigma_minus, sigma_x, sigma_z

qutip = pytest.importorskip("qutip")


def qubit_pair():
    """Two driven, coupled, decaying qubits in QuTiP form (rates inside the collapse operators)."""
    sm1 = qutip.tensor(qutip.sigmam(), qutip.qeye(2))
    sm2 = qutip.tensor(qutip.qeye(2), qutip.sigmam())
    H = (
        0.7 * (sm1.dag() * sm2 + sm2.dag() * sm1)
        + 0.4 * (sm1 + sm1.dag())
        + 0.2 * qutip.tensor(qutip.sigmaz(), qutip.qeye(2))
    )
    c_ops = [np.sqrt(0.3) * sm1, np.sqrt(0.8) * sm2, np.sqrt(0.2) * (sm1 + sm2)]
    return H, c_ops


def test_steady_state_h_c_ops_matches_qutip_and_model():
    H, c_ops = qubit_pair()
    ss = steady_state(H, c_ops)
    ref = qutip.steadystate(H, c_ops, method="direct").full()
    assert np.abs(ss.rho - ref).max() < 1e-9
    assert ss.dims == [2, 2]
    m = Model(hamiltonian=H, jumps=[Jump(c, 1.0) for c in c_ops])
    assert np.abs(steady_state(m).rho - ss.rho).max() < 1e-12
    with pytest.raises(InvalidParameterError):
        steady_state(m, c_ops)  # a Model and c_ops


def test_evolve_h_rho0_times_c_ops_matches_mesolve_with_names_and_xarray():
    H, c_ops = qubit_pair()
    psi0 = qutip.tensor(qutip.basis(2, 0), qutip.basis(2, 1))
    times = np.linspace(0, 5, 21)
    zz = qutip.tensor(qutip.sigmaz(), qutip.sigmaz())
    ev = evolve(
        H,
        psi0,
        times,
        c_ops,
        e_ops={"zz": zz, "x1": qutip.tensor(qutip.sigmax(), qutip.qeye(2))},
        measures=("negativity", "concurrence"),
    )
    ref = qutip.mesolve(H, psi0, times, c_ops, e_ops=[zz], options={"atol": 1e-12, "rtol": 1e-10})
    assert np.abs(ev.expect_named["zz"] - np.asarray(ref.expect[0])).max() < 1e-8
    ds = ev.to_xarray()
    assert list(ds["zz"].dims) == ["time"] and np.array_equal(ds["time"].values, times)
    assert set(ds.data_vars) == {"zz", "x1", "negativity", "concurrence"}
    # Qobj in -> Qobj out, with the model's dims; as_qobj=False keeps arrays
    assert isinstance(ev.states[3], qutip.Qobj) and ev.states[3].dims == [[2, 2], [2, 2]]
    arr = evolve(H, psi0, times, c_ops, as_qobj=False)
    assert isinstance(arr.states, np.ndarray)
    assert np.abs(ev.states[3].full() - arr.states[3]).max() == 0
    assert isinstance(evolve(H, psi0.full(), times[:2], c_ops, as_qobj=True).states[1], qutip.Qobj)
    from opentangle.measures import concurrence, negativity

    assert np.allclose(ev.measures["concurrence"], [concurrence(r, [2, 2]) for r in arr.states], atol=1e-12)
    assert np.allclose(ev.measures["negativity"], [negativity(r, [2, 2]) for r in arr.states], atol=1e-12)


def test_measures_without_storing_states():
    H, c_ops = qubit_pair()
    psi0 = qutip.tensor(qutip.basis(2, 0), qutip.basis(2, 0))
    ev = evolve(H, psi0, np.linspace(0, 2, 5), c_ops, measures={"N": "negativity", "P": "purity"}, store_states=False)
    assert ev.states is None and ev.measures["N"].shape == (5,) and ev.measures["P"][0] == pytest.approx(1.0)
    with pytest.raises(InvalidParameterError, match="unknown measure"):
        evolve(H, psi0, [0, 1], c_ops, measures="wellness")
    with pytest.raises(InvalidParameterError):
        evolve(H, psi0, [0, 1], c_ops, e_ops=[zz_op()], observables=[zz_op()])


def zz_op():
    return qutip.tensor(qutip.sigmaz(), qutip.sigmaz())


def test_initial_qobj_dims_must_match_the_model():
    dims = [2, 2]
    m = Model(hamiltonian=embed(sigma_z(), 0, dims), jumps=[Jump(embed(sigma_minus(), 1, dims), 1.0)], dims=dims)
    wrong = qutip.Qobj(np.eye(4) / 4, dims=[[4], [4]])
    with pytest.raises(DimensionError, match=r"\[4\]"):
        evolve(m, wrong, [0, 1])
    right = qutip.Qobj(np.eye(4) / 4, dims=[[2, 2], [2, 2]])
    assert evolve(m, right, [0, 1]).states[1].dims == [[2, 2], [2, 2]]
    assert evolve(m, np.eye(4) / 4, [0, 1]).path == "static"  # a plain array has no dims to contradict


def test_bad_idiom_input_is_typed():
    with pytest.raises(InvalidParameterError):
        Jump(sigma_minus())
    with pytest.raises(InvalidParameterError):
        steady_state("H", [])
    with pytest.raises(InvalidParameterError):
        steady_state(sigma_z(), 3)
    with pytest.raises(InvalidParameterError):
        evolve(Model(hamiltonian=sigma_z()), [1, 0], [0, 1], args={"w": 1})


def test_html_reprs():
    H, c_ops = qubit_pair()
    ss = steady_state(H, c_ops)
    h = ss._repr_html_()
    assert "<table" in h and "concurrence" in h and "residual" in h
    ev = evolve(
        H,
        qutip.tensor(qutip.basis(2, 0), qutip.basis(2, 0)),
        np.linspace(0, 1, 6),
        c_ops,
        e_ops={"zz": zz_op()},
        measures="negativity",
    )
    h = ev._repr_html_()
    assert "<svg" in h and "polyline" in h and "zz" in h and "time-dependent" not in h
    sp_ = spectrum(Model(hamiltonian=sigma_x(), jumps=[Jump(sigma_minus(), 1.0)]))
    assert "gap" in sp_._repr_html_()
    assert "e_names" not in repr(ev) and "['zz']" in repr(ev)


def test_evolve_batch_matches_a_loop_over_evolve():
    from opentangle.errors import DimensionError as DimErr
    from opentangle.lindblad import affine_liouvillians, evolve_batch

    dims = [2, 2]
    zz = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    x0 = embed(sigma_x(), 0, dims)
    decay = [Jump(embed(sigma_minus(), i, dims), 1.0) for i in range(2)]
    pts = [(0.5, 0.2), (1.0, 0.7), (2.0, 1.5)]
    models = [Model(hamiltonian=g * zz + 0.3 * x0, jumps=[Jump(j.op, k) for j in decay], dims=dims) for g, k in pts]
    times = np.array([0.0, 0.3, 0.6, 1.5, 4.0])  # non-uniform steps
    psi0 = np.kron([1, 0], [1, 1]) / np.sqrt(2)
    ev = evolve_batch(models, psi0, times, e_ops={"zz": zz}, measures="negativity")
    for b, m in enumerate(models):
        ref = evolve(m, psi0, times, e_ops={"zz": zz}, measures="negativity")
        assert np.abs(ev.states[b] - ref.states).max() < 1e-12
        assert np.abs(ev.expect[b, 0] - ref.expect[0]).max() < 1e-12
        assert np.abs(ev.measures["negativity"][b] - ref.measures["negativity"]).max() < 1e-12
    parts = [Model(hamiltonian=zz, dims=dims), Model(hamiltonian=0.3 * x0, dims=dims), Model(jumps=decay, dims=dims)]
    S = affine_liouvillians(parts, [[g, 1.0, k] for g, k in pts])
    ev2 = evolve_batch(S, psi0, times)
    assert np.abs(ev2.states - ev.states).max() < 1e-12
    with pytest.raises(DimErr):
        evolve_batch([models[0], Model(hamiltonian=sigma_z())], psi0, times)
    with pytest.raises(InvalidParameterError):
        evolve_batch([], psi0, times)
    with pytest.raises(InvalidParameterError):
        evolve_batch([Model(hamiltonian=[zz, [x0, lambda t: np.cos(t)]], dims=dims)], psi0, times)
