"""Tests of the reset study (Hartmann, Dür, Briegel 2006)."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
import qutip as qt  # the test oracle (a test dependency)

from opentangle.errors import InvalidParameterError

# the engine and the symmetric solver are imported directly: a missing engine fails the tests, never skips them
from opentangle.lindblad import liouvillian, permutation, spectrum, steady_state, steady_state_linear  # noqa: F401
from opentangle.studies import reset as R


# ----------------------------------------------------------------------------- QuTiP oracle
def qutip_steady_state(n, g, r, gamma, *, kind="ising", purity=1.0, noise="dephasing", B=0.0, C=1.0, s=0.5):
    """Independent N-qubit steady state built with QuTiP (full space).

    Thermal noise (paper Eq. 1) with the convention sigma_z|0> = |0>, s = bath population of |0>:
    |0><1| at rate B s, |1><0| at rate B (1 - s), sigma_z at rate (C - B/2)/2.
    """
    sx, sy, sz, I = qt.sigmax(), qt.sigmay(), qt.sigmaz(), qt.qeye(2)

    def site(op, i):
        return qt.tensor([op if k == i else I for k in range(n)])

    weights = {"ising": {"z": 1.0}, "heisenberg": {"x": 1, "y": 1, "z": 1}, "xyz": {"x": 0.7, "y": 0.3, "z": 1.0}}[kind]
    P = {"x": sx, "y": sy, "z": sz}
    H = 0 * site(I, 0)
    for a, w in weights.items():
        for i in range(n):
            for j in range(i + 1, n):
                H += g * w * site(P[a], i) * site(P[a], j)
    if kind == "xyz":
        H += 0.5 * g * sum(site(sx, i) for i in range(n))
    b = math.sqrt(2 * purity - 1)
    fresh = (I + b * sx) / 2
    evals, evecs = fresh.eigenstates()
    c_ops = []
    up = qt.basis(2, 0) * qt.basis(2, 1).dag()  # |0><1|: drives towards |0> (sigma_z = +1)
    for i in range(n):
        if noise == "dephasing":
            c_ops.append(math.sqrt(gamma / 2) * site(sz, i))
        else:
            c_ops += [
                math.sqrt(B * s) * site(up, i),
                math.sqrt(B * (1 - s)) * site(up.dag(), i),
                math.sqrt((C - B / 2) / 2) * site(sz, i),
            ]
        for lam, v in zip(evals, evecs):
            for k in range(2):
                if lam > 1e-14:
                    c_ops.append(math.sqrt(r * lam) * site(v * qt.basis(2, k).dag(), i))
    return qt.steadystate(H, c_ops).full()


# ----------------------------------------------------------------------------- closed forms
def test_closed_form_negativity_matches_qutip_two_qubits():
    for g, r in [(2.5, 10.0), (3.0, 5.0), (8.0, 20.0), (1.5, 30.0), (0.5, 3.0)]:
        rho = qutip_steady_state(2, g, r, 1.0)
        pt = qt.partial_transpose(qt.Qobj(rho, dims=[[2, 2], [2, 2]]), [0, 1]).eigenenergies()
        assert abs(np.clip(-pt, 0, None).sum() - R.two_qubit_negativity(g=g, r=r)) < 1e-9


def test_closed_form_state_matches_qutip_and_formula():
    from opentangle.measures import negativity

    for g, r, gamma in [(3.0, 5.0, 1.0), (2.0, 0.7, 0.3), (10.0, 40.0, 2.0)]:
        exact = R.two_qubit_steady_state(g=g, r=r, gamma=gamma)
        assert np.allclose(exact, qutip_steady_state(2, g, r, gamma), atol=1e-10)
        assert abs(negativity(exact) - R.two_qubit_negativity(g=g, r=r, gamma=gamma)) < 1e-12


def test_closed_form_scale_invariance_and_known_values():
    # N depends on g/gamma and r/gamma only
    assert math.isclose(R.two_qubit_negativity(g=5.0, r=20.0, gamma=2.0), R.two_qubit_negativity(g=2.5, r=10.0))
    assert R.two_qubit_negativity(g=0.99, r=50.0) == 0.0  # needs g > gamma
    assert R.two_qubit_negativity(g=30.0, r=20.0) == 0.0  # above the g = r asymptote
    # supremum (sqrt3-1)/8 along g = r/(1+sqrt3), approached from below
    line = [R.two_qubit_negativity(g=r / (1 + math.sqrt(3)), r=r) for r in (1e2, 1e4, 1e8)]
    assert line[0] < line[1] < line[2] < R.NEGATIVITY_SUPREMUM
    assert abs(line[2] - R.NEGATIVITY_SUPREMUM) < 1e-6
    # no grid point exceeds the supremum
    G, Rr = np.meshgrid(np.geomspace(0.1, 1e4, 200), np.geomspace(0.1, 1e4, 200))
    assert R.two_qubit_negativity(g=G, r=Rr).max() < R.NEGATIVITY_SUPREMUM


def test_threshold_and_boundary_are_roots():
    for g in (1.2, 2.5, 7.0, 50.0):
        rc = R.two_qubit_threshold_r(g=g)
        num, _ = R.two_qubit_num_den(g, rc, 1.0)
        assert abs(num) < 1e-8 * max(1.0, g**2 * rc)
        assert R.two_qubit_negativity(g=g, r=rc * 0.999) == 0.0
        assert R.two_qubit_negativity(g=g, r=rc * 1.001) > 0.0
    assert math.isinf(R.two_qubit_threshold_r(g=1.0))
    lo, hi = R.two_qubit_boundary_g(r=10.0)
    for gb in (lo, hi):
        assert abs(R.two_qubit_num_den(gb, 10.0, 1.0)[0]) < 1e-9
    # asymptotes g -> gamma and g -> r
    lo, hi = R.two_qubit_boundary_g(r=1e6)
    assert abs(lo - 1.0) < 1e-2 and abs(hi / 1e6 - 1) < 1e-5
    assert all(np.isnan(R.two_qubit_boundary_g(r=2.0)))


def test_exact_liouvillian_spectrum_two_qubits_qutip():
    g, r, gamma = 2.5, 3.0, 1.0
    sz, I = qt.sigmaz(), qt.qeye(2)
    plus = (qt.basis(2, 0) + qt.basis(2, 1)).unit()
    c = [math.sqrt(gamma / 2) * qt.tensor(sz, I), math.sqrt(gamma / 2) * qt.tensor(I, sz)]
    for k in range(2):
        op = plus * qt.basis(2, k).dag()
        c += [math.sqrt(r) * qt.tensor(op, I), math.sqrt(r) * qt.tensor(I, op)]
    ev = np.linalg.eigvals(qt.liouvillian(g * qt.tensor(sz, sz), c).full())
    _assert_same_multiset(ev, R.two_qubit_spectrum(g=g, r=r, gamma=gamma))


def _assert_same_multiset(a, b, tol=1e-8):
    a = sorted(np.asarray(a), key=lambda z: (round(z.real, 6), round(z.imag, 6)))
    b = sorted(np.asarray(b), key=lambda z: (round(z.real, 6), round(z.imag, 6)))
    assert len(a) == len(b)
    assert np.max(np.abs(np.array(a) - np.array(b))) < tol


# ----------------------------------------------------------------------------- squeezing witness
def test_squeezing_witness_against_collective_operators():
    n = 4
    rho = qutip_steady_state(n, 3.0, 4.0, 1.0)
    from opentangle.operators import partial_trace

    rho2 = partial_trace(rho, [0, 1], [2] * n)
    rho1 = partial_trace(rho, [0], [2] * n)
    xi = R.spin_squeezing_witness(rho1, rho2, n)["squeezing_xi2"]
    # direct: J_a = sum sigma_a / 2 on the full state
    J = [qt.jmat(0.5, a) for a in "xyz"]
    Jc = [sum(qt.tensor([J[a] if k == i else qt.qeye(2) for k in range(n)]) for i in range(n)).full() for a in range(3)]
    mean = np.array([np.trace(rho @ j).real for j in Jc])
    cov = np.array([[np.trace(rho @ (a @ b + b @ a)).real / 2 for b in Jc] for a in Jc]) - np.outer(mean, mean)
    u = mean / np.linalg.norm(mean)
    perp = np.linalg.svd(u[None])[2][1:]
    direct = n * np.linalg.eigvalsh(perp @ cov @ perp.T)[0] / np.dot(mean, mean)
    assert abs(xi - direct) < 1e-10
    plus = np.full((2, 2), 0.5)
    assert abs(R.spin_squeezing_witness(plus, np.kron(plus, plus), 7)["squeezing_xi2"] - 1.0) < 1e-12


# ----------------------------------------------------------------------------- validation and CLI
@pytest.mark.parametrize(
    "params, match",
    [
        ({"r": -1.0}, "r"),
        ({"gamma": -0.5}, "gamma"),
        ({"n": 1}, "n"),
        ({"n": 2.5}, "n"),
        ({"hamiltonian": "potts"}, "hamiltonian"),
        ({"noise": "pink"}, "noise"),
        ({"purity": 0.3}, "purity"),
        ({"noise": "thermal", "B": 8.0, "C": 3.0}, "C >= B/2"),
        ({"g": float("nan")}, "g"),
    ],
)
def test_bad_parameters_raise_typed_errors(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        R.ResetParams(**params).validate()


@pytest.mark.parametrize(
    "args, word",
    [
        (["--r", "-1"], "r"),
        (["--gamma", "-2"], "gamma"),
        (["--n", "1"], "n"),
        (["--hamiltonian", "potts"], "hamiltonian"),
    ],
)
def test_cli_bad_input_one_line_exit_2(args, word, capsys):
    from opentangle.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["reset", *args, "--json"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("opentangle: error:") and word in err


def test_cli_json_keys_and_values(capsys):
    from opentangle.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["reset", "--n", "2", "--g", "2.5", "--gamma", "1", "--r", "10", "--gap", "--json"])
    assert exc.value.code == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("negativity", "pair_negativity", "pair_concurrence", "average_negativity", "residual", "gap"):
        assert key in out
    exact = R.two_qubit_negativity(g=2.5, r=10.0)
    assert abs(out["negativity"] - exact) < 1e-9 and abs(out["pair_negativity"] - exact) < 1e-9
    assert abs(out["average_negativity"] - exact) < 1e-9
    # gap = smallest |Re lambda| != 0 of the closed-form spectrum
    ev = R.two_qubit_spectrum(g=2.5, r=10.0)
    assert abs(out["gap"] - np.min(-ev.real[np.abs(ev) > 1e-12])) < 1e-8
    assert out["residual"] < 1e-8


# ----------------------------------------------------------------------------- engine-based physics
def test_engine_spectrum_matches_closed_form():
    for g, r in [(2.5, 3.0), (1.0, 10.0), (4.0, 0.5)]:
        L = liouvillian(R.build_model(n=2, g=g, r=r, gamma=1.0)).toarray()
        _assert_same_multiset(np.linalg.eigvals(L), R.two_qubit_spectrum(g=g, r=r), tol=1e-7)


def test_fig1_grid_matches_closed_form():
    from opentangle.measures import negativity

    r = np.linspace(0.1, 20.0, 41)
    g = np.linspace(0.1, 20.0, 41)
    G, Rr = np.meshgrid(g, r, indexing="ij")
    rho, residual = R.steady_states_grid(n=2, g=G, r=Rr, gamma=1.0)
    assert np.max(np.abs(negativity(rho) - R.two_qubit_negativity(g=G, r=Rr))) < 1e-8
    assert np.max(residual) < 1e-8


@pytest.mark.parametrize("kind, purity", [("ising", 1.0), ("heisenberg", 1.0), ("xyz", 0.9)])
def test_full_space_three_qubits_against_qutip(kind, purity):
    res = R.solve(n=3, g=2.0, r=3.0, gamma=1.0, hamiltonian=kind, purity=purity, gap=False, solver="full")
    oracle = qutip_steady_state(3, 2.0, 3.0, 1.0, kind=kind, purity=purity)
    assert np.allclose(res.rho, oracle, atol=1e-8)
    # the symmetric solver's state, rebuilt densely from its Schur blocks
    p = R.ResetParams(n=3, g=2.0, r=3.0, hamiltonian=kind, purity=purity)
    assert np.allclose(R.schur_state(R.symmetric_solve(p)).to_dense(), oracle, atol=1e-8)


def test_batched_equals_pointwise():
    rho, _ = R.steady_states_grid(n=3, g=np.array([2.0, 5.0]), r=np.array([3.0, 1.0]), gamma=1.0, purity=0.95)
    for k, (g, r) in enumerate([(2.0, 3.0), (5.0, 1.0)]):
        assert np.allclose(
            rho[k], R.solve(n=3, g=g, r=r, gamma=1.0, purity=0.95, gap=False, solver="full").rho, atol=1e-9
        )


def test_thermal_noise_reduces_to_dephasing():
    a = R.evaluate(n=2, g=3.0, r=5.0, gamma=1.0, gap=True)
    b = R.evaluate(n=2, g=3.0, r=5.0, noise="thermal", B=0.0, C=1.0, s=0.3, gap=True)
    for key in ("negativity", "pair_concurrence", "gap"):
        assert abs(a[key] - b[key]) < 1e-9


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_full_space_against_symmetric_solver(n):
    full = R.solve(n=n, g=4.0, r=6.0, gamma=1.0, solver="full", gap=False)
    sym = R.solve(n=n, g=4.0, r=6.0, gamma=1.0, solver="symmetric", gap=False)
    assert np.allclose(full.rho2, sym.rho2, atol=1e-8)
    assert np.allclose(full.rho1, sym.rho1, atol=1e-8)
    assert abs(full.measures["squeezing_xi2"] - sym.measures["squeezing_xi2"]) < 1e-6
    # Schur blocks of the symmetric solution against the full-space partial transposes
    for key in ("negativity", "average_negativity", "negativity_lower_bound", "pair_negativity"):
        assert abs(full.measures[key] - sym.measures[key]) < 1e-8, key
    assert full.measures["negativity"] > 1e-3 and sym.extra["negativity_error"] < 1e-12


@pytest.mark.slow
@pytest.mark.parametrize("n", [7, 8])
def test_full_space_against_symmetric_solver_slow(n):
    test_full_space_against_symmetric_solver(n)


def test_auto_uses_the_symmetric_solver_and_full_space_cap():
    res = R.solve(n=3, g=4.0, r=6.0, gap=False)
    assert res.method == "symmetric" and res.rho is None
    with pytest.raises(InvalidParameterError, match=r"full-space limit.*GB"):
        R.solve(n=40, g=3.0, r=20.0, solver="full", gap=False)  # refused before allocating
    with pytest.raises(InvalidParameterError, match="solver"):
        R.solve(n=3, solver="dense")


def test_closed_forms_refuse_non_states():
    from opentangle.errors import NonUniqueSteadyStateError

    with pytest.raises(InvalidParameterError, match="gamma"):
        R.two_qubit_negativity(g=2.5, r=10.0, gamma=-1.0)
    with pytest.raises(InvalidParameterError, match="r"):
        R.two_qubit_negativity(g=2.5, r=np.array([1.0, 0.0]))
    with pytest.raises(InvalidParameterError, match="g"):
        R.two_qubit_negativity(g=float("inf"), r=1.0)
    with pytest.raises(NonUniqueSteadyStateError, match="r = 0"):
        R.two_qubit_steady_state(g=1.0, r=0.0)
    with pytest.raises(InvalidParameterError):
        R.two_qubit_steady_state(g=1.0, r=1.0, gamma=-1.0)
    with pytest.raises(NonUniqueSteadyStateError, match="r = 0"):
        R.solve(n=12, g=3.0, r=0.0)


@pytest.mark.parametrize("which", ["half", "average"])
def test_half_and_average_thresholds_symmetric_equal_full_space(which):
    a = R.threshold_r(n=4, g=3.0, which=which, r_min=1.0, r_max=200.0, points=8, xtol=1e-8)
    b = R.threshold_r(n=4, g=3.0, which=which, solver="full", r_min=1.0, r_max=200.0, points=8, xtol=1e-8)
    assert a.size == 1 and b.size == 1 and abs(a[0] - b[0]) < 1e-6


def test_gap_arpack_matches_engine_and_closed_form():
    for kind in ("ising", "xyz"):
        a = R.evaluate_gap(n=3, g=2.0, r=1.5, gamma=1.0, hamiltonian=kind, method="engine")
        b = R.evaluate_gap(n=3, g=2.0, r=1.5, gamma=1.0, hamiltonian=kind, method="arpack")
        assert abs(a - b) < 1e-7
    ev = R.two_qubit_spectrum(g=2.0, r=1.5)
    assert abs(R.evaluate_gap(n=2, g=2.0, r=1.5, method="arpack") - np.min(-ev.real[np.abs(ev) > 1e-12])) < 1e-7


def test_threshold_r_numeric_matches_closed_form():
    for g in (1.5, 3.0, 10.0):
        rc = R.threshold_r(n=2, g=g, r_min=0.1, r_max=1e3, xtol=1e-10)
        assert rc.size == 1 and abs(rc[0] - R.two_qubit_threshold_r(g=g)) < 1e-7
    assert R.threshold_r(n=2, g=0.8, r_min=0.1, r_max=1e3).size == 0  # g < gamma: never entangled


def test_evaluate_batch_matches_evaluate():
    grid = {"g": np.array([[2.5, 4.0]]), "r": np.array([[10.0, 3.0]])}
    out = R.evaluate_batch(grid, {"n": 3, "gamma": 1.0, "purity": 0.97})
    for k, (g, r) in enumerate([(2.5, 10.0), (4.0, 3.0)]):
        single = R.evaluate(n=3, g=g, r=r, gamma=1.0, purity=0.97)
        for key in R.MEASURES:
            if single[key] is None:  # genuine_entanglement_value without gme=True: null / NaN in a batch
                assert np.isnan(out[key][0, k]), key
                continue
            assert abs(out[key][0, k] - single[key]) < 1e-7, key


def test_cli_large_n_uses_symmetric_solver(capsys):
    from opentangle.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["reset", "--n", "12", "--g", "3", "--r", "120", "--json"])
    assert exc.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["gap"] is None  # N > GAP_MAX_N
    assert out["negativity"] >= out["negativity_lower_bound"] - 1e-12 and out["average_negativity"] > 0
    assert out["pair_negativity"] > 0 and out["pair_concurrence"] > 0 and out["residual"] < 1e-8
    assert math.isfinite(out["squeezing_xi2"])


def test_imperfect_reset_critical_purity_and_monotone():
    from opentangle.studies.reset import critical_purity

    p_c, x_c = critical_purity()
    assert abs(p_c - 5 / 6) < 1e-8 and abs(x_c - 1 / math.sqrt(6)) < 1e-5
    # the entangled region shrinks with purity at fixed (g, r)
    vals = [R.solve(n=2, g=3.0, r=8.0, purity=p, gap=False).measures["pair_negativity"] for p in (1.0, 0.97, 0.94)]
    assert vals[0] > vals[1] > vals[2]


def test_fig2_writes_files(tmp_path):
    from opentangle.studies._base import save_figure
    from opentangle.studies.reset import fig2

    out = fig2("quick")
    save_figure(out.dataset, out.figure, tmp_path, out.stem)
    heads = out.headlines
    assert (tmp_path / "reset_fig2.nc").exists() and (tmp_path / "reset_fig2.png").exists()
    assert all(h.passed is not False for h in heads)


@pytest.mark.slow
def test_reproduce_quick_all_headlines_pass(tmp_path):
    heads = R.reproduce(tmp_path, level="quick")
    failed = [h.label for h in heads if h.passed is False]
    assert not failed, failed
    assert len(list(tmp_path.glob("*.nc"))) == len(R.STUDY.figures) == len(list(tmp_path.glob("*.png")))


def test_witness_thresholds():
    # N = 2: the Toth spin-squeezing test detects exactly the PPT-entangled states (observed, to 1e-9)
    for g in (1.5, 10.0):
        rc = R.threshold_r(n=2, g=g, which="toth", r_min=0.5, r_max=1e3, points=12, xtol=1e-12)
        assert abs(rc[0] - R.two_qubit_threshold_r(g=g)) < 1e-8
    # N = 8: the witness fires at a lower reset rate than pair entanglement
    toth = R.threshold_r(n=8, g=3.0, which="toth", r_min=1.0, r_max=2e3, points=8, xtol=1e-3)
    pair = R.threshold_r(n=8, g=3.0, which="pair", r_min=1.0, r_max=2e3, points=8, xtol=1e-3)
    assert toth[0] < pair[0] / 3


def test_evaluate_batch_falls_back_for_other_parameters():
    out = R.evaluate_batch(
        {"n": np.array([2, 3]), "r": np.array([10.0, 8.0])}, {"g": 3.0}, measures=("pair_negativity", "gap"), gap=True
    )
    assert set(out) == {"pair_negativity", "gap"}
    assert abs(out["pair_negativity"][0] - R.two_qubit_negativity(g=3.0, r=10.0)) < 1e-9
    assert abs(out["gap"][1] - R.evaluate(n=3, g=3.0, r=8.0, gap=True)["gap"]) < 1e-9
    with pytest.raises(InvalidParameterError):
        R.evaluate_batch({"r": np.array([1.0, -1.0])}, {"n": 2})


# ----------------------------------------------------------------------------- review additions
def _pt_negativity(rho, n, part_a):
    """Negativity from an explicit partial transpose (numpy reshape; independent of opentangle.measures)."""
    t = rho.reshape([2] * (2 * n))
    axes = list(range(2 * n))
    for i in part_a:
        axes[i], axes[n + i] = axes[n + i], axes[i]
    pt = t.transpose(axes).reshape(2**n, 2**n)
    ev = np.linalg.eigvalsh(0.5 * (pt + pt.conj().T))
    return float(-ev[ev < 0].sum())


def test_full_space_against_symmetric_xyz_thermal_imperfect():
    p = dict(n=4, g=2.0, r=3.0, hamiltonian="xyz", noise="thermal", B=2.0, C=1.5, s=0.2, purity=0.9)
    full = R.solve(solver="full", gap=False, **p)
    sym = R.solve(solver="symmetric", gap=False, **p)
    assert np.allclose(full.rho2, sym.rho2, atol=1e-9) and np.allclose(full.rho1, sym.rho1, atol=1e-9)
    assert abs(full.measures["negativity_lower_bound"] - sym.measures["negativity_lower_bound"]) < 1e-9
    assert abs(full.measures["toth_margin"] - sym.measures["toth_margin"]) < 1e-7


@pytest.mark.parametrize("n, kind", [(2, "ising"), (3, "xyz")])
def test_thermal_noise_against_independent_qutip(n, kind):
    p = dict(g=2.0, r=1.5, B=3.0, C=2.0, s=0.2)
    ours = R.solve(n=n, hamiltonian=kind, noise="thermal", purity=0.95, gap=False, solver="full", **p).rho
    ref = qutip_steady_state(
        n, p["g"], p["r"], 0.0, kind=kind, purity=0.95, noise="thermal", B=p["B"], C=p["C"], s=p["s"]
    )
    assert np.allclose(ours, ref, atol=1e-8)
    # the bath pulls towards |1> (s = 0.2 < 1/2), so <sigma_z> < 0 without a Hamiltonian
    rho1 = R.solve(n=2, g=0.0, r=0.1, noise="thermal", B=3.0, C=2.0, s=0.2, gap=False).rho1
    assert rho1[0, 0].real < 0.5


@pytest.mark.parametrize("n", [3, 4, 5])
def test_negativity_and_average_against_brute_force(n):
    g, r = 4.0, 9.0
    rho = qutip_steady_state(n, g, r, 1.0)
    out = R.evaluate(n=n, g=g, r=r, gamma=1.0)
    assert abs(out["negativity"] - _pt_negativity(rho, n, list(range(n // 2)))) < 1e-8
    cuts = [
        list(A)
        for k in range(1, n // 2 + 1)
        for A in itertools.combinations(range(n), k)
        if not (2 * k == n and 0 not in A)
    ]
    assert len(cuts) == 2 ** (n - 1) - 1
    brute = np.mean([_pt_negativity(rho, n, A) for A in cuts])
    assert abs(out["average_negativity"] - brute) < 1e-8
    assert out["negativity"] > 0


@pytest.mark.parametrize("n", [2, 4, 5, 8])
def test_negativity_lower_bound_below_negativity(n):
    out = R.solve(n=n, g=3.0, r=1.5, gamma=0.5, gap=False).measures
    assert out["negativity_lower_bound"] <= out["negativity"] + 1e-10
    if n <= 2 * R.LOWER_BOUND_MAX_K and n % 2 == 0:  # k = N/2: the bound is the negativity itself
        assert abs(out["negativity_lower_bound"] - out["negativity"]) < 1e-10
    if n == 2:
        assert abs(out["negativity_lower_bound"] - out["pair_negativity"]) < 1e-12


def test_cli_n20_keys_and_values(capsys):
    from opentangle.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["reset", "--n", "20", "--g", "3", "--r", "20", "--json"])
    assert exc.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == set(R.MEASURES)
    assert out["gap"] is None
    for key in (
        "negativity",
        "average_negativity",
        "pair_negativity",
        "pair_concurrence",
        "residual",
        "squeezing_xi2",
        "toth_margin",
        "negativity_lower_bound",
    ):
        assert isinstance(out[key], float) and math.isfinite(out[key]), key
    assert out["residual"] < 1e-8 and out["negativity_lower_bound"] >= out["pair_negativity"] - 1e-12
    assert out["negativity"] >= out["negativity_lower_bound"] - 1e-12


def test_symmetric_size_cap(capsys):
    from opentangle.cli import main

    with pytest.raises(InvalidParameterError, match="GB"):
        R.solve(n=R.SYMMETRIC_MAX_N + 1, g=3.0, r=20.0)
    n = R.SYMMETRIC_MAX_N + 1
    assert R.SYMMETRIC_MAX_N >= 100
    _, at_max = R.symmetric_memory_estimate(R.SYMMETRIC_MAX_N)
    assert at_max <= R.SYMMETRIC_MEMORY_LIMIT < R.symmetric_memory_estimate(n)[1]  # the literal is the estimate's
    with pytest.raises(SystemExit) as exc:
        main(["reset", "--n", str(n), "--json"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(math.comb(n + 3, 3)) in err and "GB" in err


def test_thermal_gamma_warning_on_stderr(capsys):
    from opentangle.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["reset", "--noise", "thermal", "--B", "1", "--C", "1", "--gamma", "3", "--json"])
    assert exc.value.code == 0
    cap = capsys.readouterr()
    json.loads(cap.out)  # stdout stays one JSON object
    assert len(cap.err.strip().splitlines()) == 1 and "gamma" in cap.err and "ignored" in cap.err
    with pytest.raises(SystemExit):
        main(["reset", "--noise", "thermal", "--json"])
    assert capsys.readouterr().err == ""


def test_pair_threshold_symmetric_equals_full_space():
    a = R.threshold_r(n=4, g=3.0, which="pair", r_min=1.0, r_max=200.0, points=8, xtol=1e-8)
    b = R.threshold_r(n=4, g=3.0, which="pair", solver="full", r_min=1.0, r_max=200.0, points=8, xtol=1e-8)
    assert a.size == 1 and b.size == 1 and abs(a[0] - b[0]) < 1e-6


@pytest.mark.slow
def test_gap_n9_equals_r():
    # Ising + dephasing: the gap is r at every point computed with N = 2..8; N = 9 (ARPACK, ~30 s)
    assert abs(R.evaluate_gap(n=9, g=3.0, r=5.0, gamma=1.0) - 5.0) < 1e-6


def test_package_import_and_cli_point_stay_light():
    """Issue 19: `opentangle reset --n 2 --json` imports neither xarray, matplotlib nor dask (the figures do)."""
    import subprocess
    import sys

    code = (
        "import sys; from opentangle.cli import main\n"
        "try:\n    main(['reset', '--n', '2', '--json'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('xarray', 'matplotlib', 'dask')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert json.loads(out.strip().splitlines()[0])["gap"] is None


def test_gap_only_when_asked(capsys, tmp_path):
    from opentangle.cli import main

    assert R.evaluate(n=3, g=3.0, r=8.0)["gap"] is None
    assert abs(R.evaluate(R.ResetParams(n=3, g=3.0, r=8.0), R.ResetOptions(gap=True))["gap"] - 8.0) < 1e-7  # gap = r
    batch = R.evaluate_batch({"r": np.array([2.0, 8.0])}, {"n": 2, "g": 3.0})
    assert np.all(np.isnan(batch["gap"]))
    with pytest.raises(SystemExit) as exc:
        main(["reset", "--n", "12", "--g", "3", "--r", "120", "--gap", "--json"])
    assert exc.value.code == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["gap"] is None
    assert len(cap.err.strip().splitlines()) == 1 and "GAP_MAX_N" in cap.err
    with pytest.raises(InvalidParameterError, match="level"):
        R.reproduce(tmp_path, level="fast")


def test_cli_hopeless_negativity_time_refused_before_solving(capsys, monkeypatch):
    """n = 113: ~21 min of eigensolvers on one thread; refused with one line, before the steady state."""
    from opentangle.cli import main

    monkeypatch.delenv("OPENTANGLE_MAX_SECONDS", raising=False)
    import importlib

    reset_solve = importlib.import_module("opentangle.studies.reset.solve")  # the package's `solve` is the function
    for name in ("symmetric_solve", "schur_solve"):
        monkeypatch.setattr(reset_solve, name, lambda *a, **k: pytest.fail("solved before the time check"))
    with pytest.raises(SystemExit) as exc:
        main(["reset", "--n", "113", "--json"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "ResourceLimitError" in err and "--threads" in err


def test_threads_give_the_same_negativities():
    one = R.solve(n=18, g=3.0, gamma=1.0, r=4.0)
    two = R.solve(n=18, g=3.0, gamma=1.0, r=4.0, threads=2)
    for key in ("negativity", "average_negativity"):
        assert two.measures[key] == pytest.approx(one.measures[key], abs=1e-15)
    with pytest.raises(InvalidParameterError, match="threads"):
        R.solve(n=4, g=1.0, gamma=1.0, r=1.0, threads=0)
