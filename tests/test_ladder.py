"""Study ``ladder``: interface, sanity checks from the issue, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from opentangle.errors import InvalidParameterError
from opentangle.fermions import CirculantPropagator, ladder_hopping, trajectory_seeds
from opentangle.studies import ladder

SMALL = dict(L=8, t1=1.0, t2=2.0, t12=0.5, p1=0.2, p2=0.3, cycles=16, trajectories=3)


def test_interface():
    assert ladder.NAME == "ladder" and ladder.SEEDED is True
    assert set(ladder.PARAMETERS) == {"L", "t1", "t2", "t12", "p1", "p2", "cycles", "trajectories"}
    out = ladder.evaluate(**SMALL, seed=1)
    assert tuple(out) == ladder.MEASURES
    assert all(np.isfinite(v) for v in out.values())
    assert out == ladder.evaluate(**SMALL, seed=1)  # seeded
    assert out != ladder.evaluate(**SMALL, seed=2)


def test_result_independent_of_worker_count():
    a = ladder.simulate_ladder(**SMALL, seed=4, workers=1)
    b = ladder.simulate_ladder(**SMALL, seed=4, workers=2)
    for k in a.samples:
        np.testing.assert_array_equal(a.samples[k], b.samples[k])
    assert "system_entropy" in a.summary() and "LadderResult" in repr(a)


def test_decoupled_chains_make_p2_irrelevant():
    kw = dict(SMALL, t12=0.0)
    runs = [ladder.simulate_ladder(**{**kw, "p2": p2}, seed=7) for p2 in (0.0, 0.5, 1.0)]
    for r in runs[1:]:
        for k in ("system_entropy", "interchain_entropy", "system_mutual_information"):
            np.testing.assert_allclose(r.samples[k], runs[0].samples[k], atol=1e-9)
    np.testing.assert_allclose(runs[0].samples["interchain_entropy"], 0.0, atol=1e-9)  # product state
    # ... whereas coupled chains do feel p2 (the check above can fail)
    c = [ladder.simulate_ladder(**{**SMALL, "p2": p2}, seed=7) for p2 in (0.0, 1.0)]
    assert np.abs(c[0].samples["system_entropy"] - c[1].samples["system_entropy"]).max() > 1e-3


def test_unmonitored_ladder_is_exact_and_conserves_number():
    assert ladder.unitary_check(L=6, cycles=9) < 1e-10
    r = ladder.simulate_ladder(**{**SMALL, "p1": 0.0, "p2": 0.0}, seed=3)
    assert r.measurements_per_cycle == 0 and r.max_drift < 1e-10


def test_full_monitoring_matches_correlation_reference():
    """p1 = p2 = 1 leaves a Fock state after each measurement layer.  The samples must equal an independent
    correlation-matrix simulation (same draws, hand-written h), and sit far below the unmonitored ones."""
    kw = {**SMALL, "p1": 1.0, "p2": 1.0}
    zeno = ladder.simulate_ladder(**kw, seed=3)
    recs = [
        _correlation_trajectory(s, **{k: kw[k] for k in ("L", "t1", "t2", "t12", "p1", "p2", "cycles")})
        for s in trajectory_seeds(3, kw["trajectories"])
    ]
    for name in ("system_entropy", "interchain_entropy", "system_mutual_information"):
        ref = [_window_mean(rec, name, kw["cycles"] // 2 + 1) for rec in recs]
        np.testing.assert_allclose(zeno.samples[name], ref, atol=1e-9, err_msg=name)
    assert zeno.measurements_per_cycle == 2 * SMALL["L"]
    free = ladder.simulate_ladder(**{**SMALL, "p1": 0.0, "p2": 0.0}, seed=3)
    assert zeno.mean["system_entropy"] < 0.5 * free.mean["system_entropy"]


def test_negativity_option():
    r = ladder.simulate_ladder(**SMALL, seed=2, negativity=True)
    assert np.all(r.samples["system_negativity"] >= -1e-12)
    # decoupled chains: the system is pure, so E = S_1/2(half) >= S_1(half) (Renyi entropies decrease in alpha)
    d = ladder.simulate_ladder(**{**SMALL, "t12": 0.0}, seed=2, negativity=True)
    assert np.all(d.samples["system_negativity"] >= d.samples["system_entropy"] - 1e-9)
    assert np.any(d.samples["system_negativity"] > d.samples["system_entropy"] + 1e-3)


@pytest.mark.parametrize(
    "override",
    [
        {"L": 7},
        {"L": 2},
        {"p1": 1.5},
        {"p2": -0.1},
        {"cycles": 0},
        {"trajectories": 0},
        {"t2": float("nan")},
        {"L": 8.5},
        {"L": "eight"},
        {"cycles": None},
    ],
)
def test_bad_parameters(override):
    with pytest.raises(InvalidParameterError):
        ladder.evaluate(**{**SMALL, **override}, seed=0)
    with pytest.raises(InvalidParameterError):
        ladder.evaluate(**SMALL, seed=-1)


def test_cli_json_and_error(capsys):
    from opentangle.cli import main

    args = [
        "ladder",
        "--L",
        "8",
        "--t1",
        "1",
        "--t2",
        "2",
        "--t12",
        "0.5",
        "--p1",
        "0.2",
        "--p2",
        "0.3",
        "--cycles",
        "10",
        "--trajectories",
        "2",
        "--seed",
        "5",
        "--json",
    ]
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert tuple(out) == ladder.MEASURES
    assert out == pytest.approx(ladder.evaluate(**{**SMALL, "cycles": 10, "trajectories": 2}, seed=5))
    with pytest.raises(SystemExit) as exc:
        main(args[:2] + ["7"] + args[3:])
    assert exc.value.code == 2
    assert "L must be even" in capsys.readouterr().err


def _paired(runs):
    diff = runs[1].samples["system_entropy"] - runs[0].samples["system_entropy"]
    return diff.mean(), diff.std(ddof=1) / np.sqrt(diff.size)


@pytest.mark.slow
def test_fast_ancilla_noise_enhances_system_entropy():
    """The headline of Muzzi et al.: weak ancilla monitoring raises S_sys for t2 = 4, lowers it for t2 = 0.2."""
    kw = dict(L=32, t1=1.0, t12=0.5, p1=0.1, cycles=60, trajectories=16, seed=1)
    fast = [ladder.simulate_ladder(t2=4.0, p2=p2, **kw) for p2 in (0.0, 0.1)]
    slow = [ladder.simulate_ladder(t2=0.2, p2=p2, **kw) for p2 in (0.0, 0.1)]
    # paired per-trajectory differences: trajectory i has the same seed and draws at both p2
    d_fast, e_fast = _paired(fast)
    d_slow, e_slow = _paired(slow)
    assert d_fast > 2 * e_fast
    assert d_slow < -2 * e_slow


@pytest.mark.slow
def test_reproduce_quick(tmp_path):
    heads = ladder.reproduce(tmp_path, level="quick")
    assert {p.name for p in tmp_path.iterdir()} >= {
        "ladder_vs_p2.nc",
        "ladder_vs_p2.png",
        "ladder_sign_map.nc",
        "ladder_scaling.nc",
    }
    checks = [h for h in heads if h.kind == "check" and h.reference == 0.0]
    assert checks and all(h.passed for h in checks)


# --- independent references: hand-written ladder, Jordan-Wigner many-body, correlation-matrix loop -------
def _hand_ladder(L, t1, t2, t12):
    """The ladder hopping matrix written bond by bond (independent of ``ladder_hopping``)."""
    h = np.zeros((2 * L, 2 * L))
    for j in range(L):
        k = (j + 1) % L  # periodic
        h[j, k] += t1
        h[k, j] += t1
        h[L + j, L + k] += t2
        h[L + k, L + j] += t2
        h[j, L + j] += t12
        h[L + j, j] += t12
    return h


def _initial_occupations(rng, L):
    occ = np.zeros(2 * L, int)
    occ[rng.choice(L, L // 2, replace=False)] = 1
    occ[L + rng.choice(L, L // 2, replace=False)] = 1
    return occ


def _bits_entropy(p):
    p = p[p > 1e-14]
    return float(-(p * np.log2(p)).sum())


def _jordan_wigner_trajectory(seedseq, L, t1, t2, t12, p1, p2, cycles):
    """Exact many-body trajectory on 2^(2L) amplitudes, driven by the same random stream as the study.

    Jordan-Wigner with mode 0 the most significant bit; |psi> evolves under the many-body H, and an
    n_k measurement (outcome 1 if u < <n_k>) projects and renormalises.  Returns the observables at the
    end of every cycle 1..cycles.  Entropies of contiguous blocks of a number-conserving state equal
    those of the qubit reduced density matrix.
    """
    m = 2 * L
    rng = np.random.default_rng(seedseq)
    occ = _initial_occupations(rng, L)
    eye, z, a = np.eye(2), np.diag([1.0, -1.0]), np.array([[0.0, 1.0], [0.0, 0.0]])  # a|1> = |0>
    cs = []
    for j in range(m):
        op = np.array([[1.0]])
        for i in range(m):
            op = np.kron(op, z if i < j else (a if i == j else eye))
        cs.append(op)
    n_diag = np.array([np.diag(c.T @ c) for c in cs])  # n_k is diagonal in the occupation basis
    psi = np.zeros(2**m, complex)
    psi[int("".join(map(str, occ)), 2)] = 1.0
    np.testing.assert_allclose(n_diag @ np.abs(psi) ** 2, occ)
    h = _hand_ladder(L, t1, t2, t12)
    hmb = sum(h[i, j] * cs[i].T @ cs[j] for i in range(m) for j in range(m) if h[i, j] != 0)
    w, v = np.linalg.eigh(hmb)
    u_half = (v * np.exp(-0.5j * w)) @ v.conj().T
    p = np.r_[np.full(L, p1), np.full(L, p2)]

    def block(lo, hi):
        t = psi.reshape(2**lo, 2 ** (hi - lo), 2 ** (m - hi))
        return _bits_entropy(np.linalg.eigvalsh(np.einsum("abc,adc->bd", t, t.conj())))

    rec = []
    for _ in range(cycles):
        psi = u_half @ psi
        which, uni = rng.random(m) < p, rng.random(m)
        for k in np.flatnonzero(which):
            nk = float(n_diag[k] @ np.abs(psi) ** 2)
            psi = psi * (n_diag[k] if uni[k] < nk else 1.0 - n_diag[k])
            psi /= np.linalg.norm(psi)
        psi = u_half @ psi
        sa, sb, sab = block(0, L // 2), block(L // 2, L), block(0, L)
        rec.append({"system_entropy": sa, "interchain_entropy": sab, "system_mutual_information": sa + sb - sab})
    return rec


def _correlation_trajectory(seedseq, L, t1, t2, t12, p1, p2, cycles):
    """Same trajectory on the correlation matrix D with the rank-1 formulas of Muzzi et al. (no engine code)."""
    m = 2 * L
    rng = np.random.default_rng(seedseq)
    d = np.diag(_initial_occupations(rng, L)).astype(complex)
    w, v = np.linalg.eigh(_hand_ladder(L, t1, t2, t12))
    u = (v * np.exp(-0.5j * w)) @ v.conj().T
    p = np.r_[np.full(L, p1), np.full(L, p2)]
    e = np.eye(m)

    def ent(idx):
        nu = np.clip(np.linalg.eigvalsh(d[np.ix_(idx, idx)]), 0, 1)
        return _bits_entropy(nu) + _bits_entropy(1 - nu)

    a, b = np.arange(L // 2), np.arange(L // 2, L)
    rec = []
    for _ in range(cycles):
        d = u.conj() @ d @ u.T
        which, uni = rng.random(m) < p, rng.random(m)
        for k in np.flatnonzero(which):
            if uni[k] < d[k, k].real:
                d = d - np.outer(d[:, k], d[k, :]) / d[k, k] + np.outer(e[k], e[k])
            else:
                f = e - d
                d = d + np.outer(f[:, k], f[k, :]) / f[k, k] - np.outer(e[k], e[k])
        d = u.conj() @ d @ u.T
        sa, sb, sab = ent(a), ent(b), ent(np.arange(L))
        rec.append({"system_entropy": sa, "interchain_entropy": sab, "system_mutual_information": sa + sb - sab})
    return rec


def _window_mean(rec, name, first):
    """Mean of ``name`` over cycles ``first..len(rec)`` (1-based)."""
    return float(np.mean([r[name] for r in rec[first - 1 :]]))


@pytest.mark.parametrize(
    "pars",
    [
        dict(t1=1.0, t2=2.3, t12=0.7, p1=0.3, p2=0.4, cycles=9),
        dict(t1=-0.8, t2=0.3, t12=1.1, p1=0.5, p2=0.0, cycles=6),
        dict(t1=1.0, t2=1.0, t12=0.5, p1=0.0, p2=0.0, cycles=5),
    ],  # p1 = p2 = 0: exact unitary evolution
)
def test_simulate_ladder_matches_jordan_wigner_many_body(pars, monkeypatch):
    """The real code path (ladder_hopping, FFT propagator forced, run_monitored, averaging window) against
    an exact 2^8-amplitude simulation of a 2x4 ladder with a hand-written Hamiltonian and the same draws."""
    monkeypatch.setattr(CirculantPropagator, "DENSE_BELOW", 0)  # use the FFT path even for 8 modes
    assert CirculantPropagator(_hand_ladder(4, 1, 2, 0.5), n_chains=2, dt=0.5).method == "fft"
    L, K, seed = 4, 3, 11
    r = ladder.simulate_ladder(L=L, **pars, trajectories=K, seed=seed)
    recs = [_jordan_wigner_trajectory(s, L, **pars) for s in trajectory_seeds(seed, K)]
    first = pars["cycles"] // 2 + 1
    for name in ("system_entropy", "interchain_entropy", "system_mutual_information"):
        ref = np.array([_window_mean(rec, name, first) for rec in recs])
        np.testing.assert_allclose(r.samples[name], ref, atol=1e-9, err_msg=name)
    assert np.ptp(r.samples["system_entropy"]) > 1e-3 or pars["p1"] == 0  # trajectories differ


def test_ladder_hopping_bonds_against_hand_written_matrix():
    """Periodic chains plus straight rungs, and nothing else (e.g. no diagonal rungs)."""
    h = ladder_hopping(5, t1=1.0, t2=2.5, t12=0.3)
    np.testing.assert_array_equal(h, _hand_ladder(5, 1.0, 2.5, 0.3))


def test_reported_samples_average_the_last_half_of_the_cycles():
    """samples = mean of the observables at cycles floor(C/2)+1..C, recomputed on D with the FFT path in use
    (L = 80: 160 modes, above CirculantPropagator.DENSE_BELOW)."""
    pars = dict(L=80, t1=1.0, t2=3.0, t12=0.6, p1=0.2, p2=0.3, cycles=5)
    assert CirculantPropagator(_hand_ladder(80, 1, 3, 0.6), n_chains=2, dt=0.5).method == "fft"
    r = ladder.simulate_ladder(**pars, trajectories=2, seed=3)
    recs = [_correlation_trajectory(s, **pars) for s in trajectory_seeds(3, 2)]
    for name in ("system_entropy", "interchain_entropy", "system_mutual_information"):
        ref = np.array([_window_mean(rec, name, 5 // 2 + 1) for rec in recs])  # cycles 3, 4, 5
        np.testing.assert_allclose(r.samples[name], ref, atol=1e-8, err_msg=name)
        other = np.array([_window_mean(rec, name, 1) for rec in recs])  # all cycles: must differ
        assert np.abs(other - ref).max() > 1e-2


def test_dynamics_series_time_average_matches_simulate_ladder():
    """ladder_dynamics uses the same seeds and draws: its last-half average is simulate_ladder's sample."""
    kw = dict(L=8, t1=1.0, t2=2.0, t12=0.5, p1=0.2, p2=0.3, cycles=12, trajectories=3, seed=4)
    dyn = ladder.ladder_dynamics(**kw, negativity=True)
    res = ladder.simulate_ladder(**kw, negativity=True)
    assert dyn["cycle"].tolist() == list(range(1, 13))
    for name in ("system_entropy", "system_mutual_information", "system_negativity", "interchain_entropy"):
        assert np.allclose(dyn[name + "_samples"][:, 6:].mean(axis=1), res.samples[name], atol=1e-12)


def test_figure_function_writes_its_files_at_its_dpi(tmp_path):
    import dataclasses

    from PIL import Image

    from opentangle.studies._study import Levels
    from opentangle.studies.ladder.figures import fig_sign_map

    tiny = dict(cycles=4, traj=2, map_L=4, map_t2=[1.0, 2.0], map_p2=[0.0, 0.5])
    study = dataclasses.replace(ladder.STUDY, levels=Levels(tiny, tiny, tiny), figures=(fig_sign_map,))
    rows = study.reproduce(tmp_path, level="quick")
    assert [r.label for r in rows] == ["seconds: fig_sign_map (this run)"]
    assert (tmp_path / "ladder_sign_map.nc").is_file()
    assert Image.open(tmp_path / "ladder_sign_map.png").info["dpi"] == pytest.approx((110, 110), abs=0.1)
