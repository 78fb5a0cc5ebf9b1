"""Study ``ladder``: interface, sanity checks from the issue, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from opentangle.errors import InvalidParameterError
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
    assert ladder._unitary_check(L=6, cycles=9) < 1e-10
    r = ladder.simulate_ladder(**{**SMALL, "p1": 0.0, "p2": 0.0}, seed=3)
    assert r.measurements_per_cycle == 0 and r.max_drift < 1e-10


def test_full_monitoring_disentangles_at_measurement_time():
    """p1 = p2 = 1 leaves a Fock state after each measurement layer; half a step of hopping
    then creates little entanglement, far less than without monitoring."""
    free = ladder.simulate_ladder(**{**SMALL, "p1": 0.0, "p2": 0.0}, seed=3)
    zeno = ladder.simulate_ladder(**{**SMALL, "p1": 1.0, "p2": 1.0}, seed=3)
    assert zeno.mean["system_entropy"] < 0.6 * free.mean["system_entropy"]
    assert zeno.measurements_per_cycle == 2 * SMALL["L"]


def test_negativity_option():
    r = ladder.simulate_ladder(**SMALL, seed=2, negativity=True)
    assert np.all(r.samples["system_negativity"] >= -1e-12)
    # decoupled chains: the system is pure, so E = S_1/2(half) >= S_1(half) (Renyi entropies decrease in alpha)
    d = ladder.simulate_ladder(**{**SMALL, "t12": 0.0}, seed=2, negativity=True)
    assert np.all(d.samples["system_negativity"] >= d.samples["system_entropy"] - 1e-9)
    assert np.any(d.samples["system_negativity"] > d.samples["system_entropy"] + 1e-3)


@pytest.mark.parametrize(
    "override",
    [{"L": 7}, {"L": 2}, {"p1": 1.5}, {"p2": -0.1}, {"cycles": 0}, {"trajectories": 0}, {"t2": float("nan")},
     {"L": 8.5}, {"L": "eight"}, {"cycles": None}],
)
def test_bad_parameters(override):
    with pytest.raises(InvalidParameterError):
        ladder.evaluate(**{**SMALL, **override}, seed=0)
    with pytest.raises(InvalidParameterError):
        ladder.evaluate(**SMALL, seed=-1)


def test_cli_json_and_error(capsys):
    from opentangle.cli import main

    args = ["ladder", "--L", "8", "--t1", "1", "--t2", "2", "--t12", "0.5", "--p1", "0.2", "--p2", "0.3",
            "--cycles", "10", "--trajectories", "2", "--seed", "5", "--json"]
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


@pytest.mark.slow
def test_fast_ancilla_noise_enhances_system_entropy():
    """The headline of Muzzi et al.: weak ancilla monitoring raises S_sys for t2 = 4, lowers it for t2 = 0.2."""
    kw = dict(L=32, t1=1.0, t12=0.5, p1=0.1, cycles=60, trajectories=16, seed=1)
    fast = [ladder.simulate_ladder(t2=4.0, p2=p2, **kw) for p2 in (0.0, 0.1)]
    slow = [ladder.simulate_ladder(t2=0.2, p2=p2, **kw) for p2 in (0.0, 0.1)]
    d_fast = fast[1].mean["system_entropy"] - fast[0].mean["system_entropy"]
    e_fast = np.hypot(fast[1].stderr["system_entropy"], fast[0].stderr["system_entropy"])
    d_slow = slow[1].mean["system_entropy"] - slow[0].mean["system_entropy"]
    e_slow = np.hypot(slow[1].stderr["system_entropy"], slow[0].stderr["system_entropy"])
    assert d_fast > 2 * e_fast
    assert d_slow < -2 * e_slow


@pytest.mark.slow
def test_reproduce_quick(tmp_path):
    heads = ladder.reproduce(tmp_path, level="quick")
    assert {p.name for p in tmp_path.iterdir()} >= {"ladder_vs_p2.nc", "ladder_vs_p2.png", "ladder_sign_map.nc",
                                                    "ladder_scaling.nc"}
    checks = [h for h in heads if h.reference == 0.0]
    assert checks and all(h.passed for h in checks)
