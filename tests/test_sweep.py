"""Sweeps: grid semantics, validation, seeds, checkpoint/resume (kill -9), Dask backend."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from opentangle.cli import main
from opentangle.errors import InvalidParameterError, OpentangleError
from opentangle.sweep import (
    CheckpointWarning,
    GridAxis,
    Record,
    SchedulerError,
    checkpoint_path,
    make_spec,
    point_seed,
    run_sweep,
)
from opentangle.sweep._checkpoint import _header

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))  # the fake studies in tests/sweepfakes

from sweepfakes import grid as fake_grid  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(TESTS) + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
CLI = [sys.executable, "-m", "opentangle.cli"]


def cli(argv, capsys):
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def load(path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


RESUME_ATTRS = ("resumed_points", "resumed_from")


def assert_same_except_resume(resumed_file, fresh_file):
    """A resumed file equals a fresh one except for the attributes that say it was resumed."""
    a, b = load(resumed_file), load(fresh_file)
    assert a.attrs["resumed_points"] > 0 and json.loads(a.attrs["resumed_from"]) == [a.attrs["checkpoint_key"]]
    assert b.attrs["resumed_points"] == 0 and json.loads(b.attrs["resumed_from"]) == []
    for ds in (a, b):
        for k in RESUME_ATTRS:
            del ds.attrs[k]
    xr.testing.assert_identical(a, b)


# ----------------------------------------------------------------------------- grid semantics


def test_grid_dataset_layout_and_analytic_values(tmp_path):
    res = run_sweep("sweepfakes.grid", axes=["r=0:6:13", "g=0.5:4:8"], fixed={"gamma": 1.0}, out=tmp_path / "g.nc")
    ds = load(tmp_path / "g.nc")
    assert ds.negativity.dims == ("r", "g") and ds.sizes == {"r": 13, "g": 8}
    np.testing.assert_array_equal(ds.r.values, np.linspace(0, 6, 13))
    np.testing.assert_array_equal(ds.g.values, np.linspace(0.5, 4, 8))
    R, G = np.meshgrid(ds.r.values, ds.g.values, indexing="ij")
    np.testing.assert_allclose(ds.negativity.values, fake_grid.negativity(R, G, 1.0), rtol=0, atol=0)
    assert ds.entangled.dtype == bool and (ds.entangled.values == (ds.negativity.values > 0)).all()
    # physics invariant of the closed form (Hartmann, Dür, Briegel 2006): no entanglement for g <= gamma
    assert np.all(ds.negativity.where(ds.g <= 1.0).fillna(0).values == 0)
    assert ds.attrs["gamma"] == 1.0 and ds.attrs["study"] == "sweepfakes.grid"
    assert ds.attrs["evaluation"] == "evaluate_batch" and ds.attrs["opentangle_version"]
    assert json.loads(ds.attrs["fixed_parameters"]) == ["gamma"]
    assert res.computed == 13 * 8 and res.resumed == 0 and "r=13" in repr(res)
    assert not checkpoint_path(
        tmp_path / "g.nc", make_spec("sweepfakes.grid", axes=["r=0:6:13", "g=0.5:4:8"]).key
    ).exists()


def test_batch_and_pointwise_agree():
    a = run_sweep("sweepfakes.grid", axes=["r=0:6:9", "g=0:6:7"], batch=True).dataset
    b = run_sweep("sweepfakes.grid", axes=["r=0:6:9", "g=0:6:7"], batch=False, workers=1).dataset
    assert a.attrs["evaluation"] != b.attrs["evaluation"]
    xr.testing.assert_identical(a.drop_attrs(), b.drop_attrs())


def test_num_one_and_integer_parameter():
    ds = run_sweep("sweepfakes.line", axes=["n=1:3:3", "x=0.5:9:1"], workers=1).dataset
    assert ds.n.dtype.kind == "i" and ds.n.values.tolist() == [1, 2, 3]
    assert ds.x.values.tolist() == [0.5]
    np.testing.assert_allclose(ds.value.values[:, 0], np.sin(0.5))
    assert ds.vec.dims == ("n", "x", "vec_dim0") and ds.label.values[1, 0] == "n2"


def test_measure_selection_and_set(tmp_path):
    ds = run_sweep("sweepfakes.line", axes=["x=0:1:3"], fixed={"y": "2", "n": 4}, measures=["value"], workers=1).dataset
    assert list(ds.data_vars) == ["value"]
    np.testing.assert_allclose(ds.value.values, np.sin(ds.x.values) + 8.0)
    assert ds.attrs["y"] == 2.0 and ds.attrs["n"] == 4


def test_point_seeds_independent_of_workers_and_backend():
    axes = ["x=0:1:4", "y=0:1:3"]
    one = run_sweep("sweepfakes.line", axes=axes, seed=7, workers=1).dataset
    two = run_sweep("sweepfakes.line", axes=axes, seed=7, workers=2).dataset
    xr.testing.assert_identical(one, two)
    expected = [np.random.default_rng(point_seed(7, k)).random() for k in range(12)]
    np.testing.assert_array_equal(one.noise.values.ravel(), expected)
    other = run_sweep("sweepfakes.line", axes=axes, seed=8, workers=1).dataset
    assert not np.array_equal(other.noise.values, one.noise.values)
    assert one.attrs["seed"] == 7 and one.attrs["seeded"] == 1


def test_point_seed_rule():
    assert point_seed(0, 5) == point_seed(0, 5)
    assert len({point_seed(0, k) for k in range(1000)}) == 1000
    assert point_seed(1, 0) != point_seed(0, 1)


def test_measure_that_is_int_at_some_points_and_float_at_others_is_float64():
    ds = run_sweep("sweepfakes.mixed", axes=["x=0:1:5"], workers=1).dataset  # count: 0 (int), then 0.75, ...
    assert ds["count"].dtype == np.float64
    np.testing.assert_array_equal(ds["count"].values, [0.0, 0.0, 0.75, 1.0, 1.25])
    from opentangle.sweep._assemble import _assemble

    spec = make_spec("sweepfakes.mixed", axes=["x=0:1:4"], measures=["count"])
    for col, dtype in [
        ([1, 2, 3, 4], np.int64),
        ([True, False, True, True], bool),
        ([1, 2.5, 3, 4], np.float64),
        ([True, 2, 3, 4], np.float64),
        ([1.0, 2, 3, 4], np.float64),
    ]:
        arr = _assemble(spec, [Record([0, 1, 2, 3], {"count": col})])["count"]
        assert arr.dtype == dtype and arr.values.tolist() == col, col


def test_measure_named_like_the_swept_parameter_is_renamed(tmp_path, capsys):
    out = tmp_path / "g.nc"
    code, stdout, err = cli(
        [
            "sweep",
            "sweepfakes.mixed",
            "-p",
            "gamma=0.1:0.4:3",
            "--set",
            "x=1",
            "--workers",
            "1",
            "--json",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    ds = load(out)
    assert ds.gamma.dims == ("gamma",) and list(ds.data_vars) == ["gamma_measure", "count", "output_negativity"]
    np.testing.assert_array_equal(ds.gamma_measure.values, ds.gamma.values)
    assert json.loads(ds.attrs["renamed_measures"]) == {"gamma": "gamma_measure"}
    assert json.loads(ds.attrs["measures"]) == ["gamma", "count", "output_negativity"]
    assert json.loads(stdout)["measures"][0] == "gamma_measure"
    # no rename when the name is free
    assert "renamed_measures" not in run_sweep("sweepfakes.mixed", axes=["x=0:1:2"], workers=1).dataset.attrs


def test_failed_points_become_nan_and_are_counted():
    ds = run_sweep("sweepfakes.line", axes=["x=0:4:5"], fixed={"fail_above": 2.5}, workers=1).dataset
    assert np.isnan(ds.value.values[3:]).all() and np.isfinite(ds.value.values[:3]).all()
    assert ds.attrs["failed_points"] == 2 and "ConvergenceError" in ds.attrs["first_failure"]
    assert ds.label.values[4] == ""


def test_failing_batch_is_bisected_to_the_failing_points(monkeypatch):
    from opentangle.errors import NonUniqueSteadyStateError

    real = fake_grid.evaluate_batch
    calls = []

    def flaky(grid, fixed):
        calls.append(grid["r"].size)
        if np.any(grid["r"] == 0):
            raise NonUniqueSteadyStateError("kernel of dimension 2 at r = 0")
        return real(grid, fixed)

    monkeypatch.setattr(fake_grid, "evaluate_batch", flaky)
    ds = run_sweep("sweepfakes.grid", axes=["r=0:2:5", "g=0:6:7"]).dataset
    assert np.isnan(ds.negativity.values[0]).all() and np.isfinite(ds.negativity.values[1:]).all()
    assert ds.attrs["failed_points"] == 7
    R, G = np.meshgrid(ds.r.values[1:], ds.g.values, indexing="ij")
    np.testing.assert_array_equal(ds.negativity.values[1:], fake_grid.negativity(R, G, 1.0))


# ----------------------------------------------------------------------------- Jupyter display


def _polylines(h):
    """The point lists of every polyline in an SVG string, as float arrays (n, 2)."""
    return [
        np.array([[float(c) for c in p.split(",")] for p in pts.split()]) for pts in re.findall(r"points='([^']*)'", h)
    ]


def test_sweep_result_html_1d_table_and_plot_with_a_gap_at_failed_points():
    res = run_sweep("sweepfakes.line", axes=["x=0:2:9"], fixed={"fail_above": 1.5}, workers=1)
    h = res._repr_html_()
    assert h.startswith("<div><b>SweepResult</b><table>") and h.count("<svg") == 1
    assert "x: 9 (0 .. 2)" in h and "sweepfakes.line" in h
    assert "9 (9 computed, 0 resumed)" in h
    assert "2 (first: point 7: ConvergenceError" in h  # x = 1.75 and 2.0 fail
    value = np.sin(np.linspace(0, 2, 9)[:7])
    assert f"{value.min():.6g} .. {value.max():.6g}, 2 NaN" in h  # range of the finite values
    assert "vec</th><td>0 .. 1.5 [2 per point], 4 NaN" in h and "label</th><td>text: n2</td>" in h
    assert "fail_above=1.5" in h
    lines = _polylines(h)
    assert len(lines) == 2  # value and noise, each one unbroken run of 7 finite points
    for pts in lines:
        assert pts.shape == (7, 2) and np.all(np.diff(pts[:, 0]) > 0)  # x increases along the line
    # y pixel is affine in the value: the value line has the shape of sin(x) on the first 7 points
    y = lines[0][:, 1]
    np.testing.assert_allclose((y - y[0]) / (y[-1] - y[0]), (value - value[0]) / (value[-1] - value[0]), atol=0.02)


def test_sweep_result_html_2d_log_grid_and_resumed_points(tmp_path):
    out = tmp_path / "g.nc"
    res = run_sweep("sweepfakes.grid", axes=["r=0.1:10:5:log", "g=0:4:3"], out=out)
    h = res._repr_html_()
    assert "<svg" not in h  # 2-D: table only
    assert "r: 5 (0.1 .. 10, log) x g: 3 (0 .. 4)" in h
    assert "negativity" in h and "entangled" in h and str(out) in h
    one = run_sweep("sweepfakes.grid", axes=["r=0.1:10:5:log"])._repr_html_()
    xs = _polylines(one)[0][:, 0]
    np.testing.assert_allclose(np.diff(xs), np.diff(xs)[0], atol=0.2)  # log grid: evenly spaced on a log axis
    start_checkpoint(tmp_path / "o.nc", ["x=0:1:4"], GOOD)  # one point left by an interrupted run
    resumed = run_sweep("sweepfakes.line", axes=["x=0:1:4"], workers=1, out=tmp_path / "o.nc")._repr_html_()
    assert "4 (3 computed, 1 resumed)" in resumed and " .. 123</td>" in resumed  # the resumed value counts


def test_html_table_escapes_text():
    from opentangle._html import line_plot, table

    h = table([("<b>", "a & b")], "T<")
    assert "&lt;b&gt;" in h and "a &amp; b" in h and "T&lt;" in h
    assert line_plot([0.0], {"y": [1.0]}) == ""  # one point: nothing to draw
    assert line_plot([0.0, 1.0], {"y": [np.nan, np.nan]}) == ""  # nothing finite


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["sweep", "nostudy", "-p", "x=0:1:2"], "unknown study"),
        (["sweep", "sweepfakes.line", "-p", "zz=0:1:2"], "unknown parameter 'zz'"),
        (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "-m", "nope"], "unknown measure 'nope'"),
        (["sweep", "sweepfakes.line", "-p", "x=0:1"], "malformed range"),
        (["sweep", "sweepfakes.line", "-p", "x=a:1:2"], "START and STOP"),
        (["sweep", "sweepfakes.line", "-p", "x=0:1:2.5"], "NUM must be an integer"),
        (["sweep", "sweepfakes.line", "-p", "x=0:1:0"], "NUM must be >= 1"),
        (["sweep", "sweepfakes.line", "-p", "n=0:1:3"], "integer"),
        (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--set", "x=1"], "both swept"),
        (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "-p", "x=0:2:3"], "swept twice"),
        (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--set", "n=abc"], "expects a int"),
        (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--set", "novalue"], "malformed --set"),
        (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--workers", "0"], "--workers"),
        (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--scheduler", "bogus"], "malformed scheduler"),
        (["sweep", "sweepfakes.line"], "nothing to sweep"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, needle, capsys, tmp_path):
    code, _, err = cli(argv + ["--out", str(tmp_path / "o.nc")], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("opentangle: error:") and needle in err
    assert list(tmp_path.iterdir()) == []  # nothing started, nothing written


def test_unwritable_output(capsys, tmp_path):
    for target, needle in [(tmp_path / "missing" / "o.nc", "does not exist"), (tmp_path, "is a directory")]:
        code, _, err = cli(["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--out", str(target)], capsys)
        assert code == 2 and needle in err and err.count("\n") == 1


@pytest.mark.parametrize("target", ["/sys/b.nc", "/proc/b.nc"])
def test_unwritable_system_folder_is_exit_2_even_as_root(target, capsys):
    # os.access says "writable" to root for both; only creating a file tells the truth
    if not Path(target).parent.is_dir():
        pytest.skip(f"no {Path(target).parent} here")
    code, _, err = cli(["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--workers", "1", "--out", target], capsys)
    assert code == 2 and "cannot write" in err and err.count("\n") == 1, err
    assert not Path(target).exists()


def test_library_errors_are_typed():
    with pytest.raises(InvalidParameterError):
        GridAxis.parse("x=0:1:-3")
    with pytest.raises(InvalidParameterError, match="is not a study: it lacks PARAMETERS"):
        run_sweep("os.path", axes=["x=0:1:2"])  # importable but not a study


def test_json_mode_is_quiet_and_summarises(capsys, tmp_path):
    code, out, err = cli(
        ["sweep", "sweepfakes.line", "-p", "x=0:1:3", "--workers", "1", "--json", "--out", str(tmp_path / "o.nc")],
        capsys,
    )
    assert code == 0 and err == ""
    summary = json.loads(out)
    assert summary["points"] == 3 and summary["computed"] == 3 and summary["dims"] == {"x": 3, "vec_dim0": 2}


def test_progress_bar_on_a_tty(tmp_path):
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        CLI + ["sweep", "sweepfakes.line", "-p", "x=0:1:4", "--workers", "1", "--out", str(tmp_path / "o.nc")],
        env={**ENV, "COLUMNS": "120"},
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    err = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0 and "4/4" in err and "ETA" in err
    assert b"wrote" in out


# ----------------------------------------------------------------------------- checkpoint and resume


def test_interrupted_sweep_resumes_without_recomputing(tmp_path, monkeypatch):
    from sweepfakes import line

    run_sweep("sweepfakes.line", axes=["x=0:2:9"], seed=3, workers=1, out=tmp_path / "ref.nc")
    real, calls = line.evaluate, []

    def interrupting(**kw):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(kw["x"])
        return real(**kw)

    monkeypatch.setattr(line, "evaluate", interrupting)
    with pytest.raises(KeyboardInterrupt):
        run_sweep("sweepfakes.line", axes=["x=0:2:9"], seed=3, workers=1, out=tmp_path / "run.nc")
    assert not (tmp_path / "run.nc").exists()
    monkeypatch.setattr(line, "evaluate", lambda **kw: (calls.append(kw["x"]), real(**kw))[1])
    res = run_sweep("sweepfakes.line", axes=["x=0:2:9"], seed=3, workers=1, out=tmp_path / "run.nc")
    assert (res.resumed, res.computed) == (5, 4)
    assert sorted(calls) == sorted(np.linspace(0, 2, 9).tolist())  # every point evaluated exactly once
    assert_same_except_resume(tmp_path / "run.nc", tmp_path / "ref.nc")


GOOD = Record([0], {"value": [123.0], "noise": [0.5], "label": ["n2"], "vec": [[0.0, 0.0]]})


def start_checkpoint(out, axes, *rest, **kw):
    """A checkpoint file as the sweep writes it (header + records), followed by raw bytes ``rest``."""
    spec = make_spec("sweepfakes.line", axes=axes, **kw)
    ckpt = checkpoint_path(out, spec.key)
    ckpt.write_bytes(_header(spec, out) + b"".join(r.to_line() if isinstance(r, Record) else r for r in rest))
    return ckpt


def records_of(ckpt):
    return [json.loads(x) for x in ckpt.read_text().splitlines()[1:]]


def test_torn_checkpoint_line_is_ignored(tmp_path):
    start_checkpoint(tmp_path / "o.nc", ["x=0:1:4"], GOOD, b'{"i": [1], "v": {"val')
    res = run_sweep("sweepfakes.line", axes=["x=0:1:4"], workers=1, out=tmp_path / "o.nc")
    assert (res.resumed, res.computed) == (1, 3)
    assert load(tmp_path / "o.nc").value.values[0] == 123.0  # taken from the checkpoint, not recomputed
    other = run_sweep("sweepfakes.line", axes=["x=0:1:4"], workers=1, out=tmp_path / "o.nc", seed=1)
    assert other.resumed == 0  # different arguments -> different checkpoint key


def test_second_interruption_after_a_torn_line_loses_nothing(tmp_path, monkeypatch):
    from sweepfakes import line

    axes = ["x=0:1:6"]
    out = tmp_path / "o.nc"
    ckpt = start_checkpoint(out, axes, GOOD, b'{"i": [1], "v": {"val')  # first kill -9, mid-write
    real, calls = line.evaluate, []

    def interrupting(**kw):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(kw["x"])
        return real(**kw)

    monkeypatch.setattr(line, "evaluate", interrupting)
    with pytest.raises(KeyboardInterrupt):  # second interruption: points 1 and 2 were appended
        run_sweep("sweepfakes.line", axes=axes, workers=1, out=out)
    assert [r["i"] for r in records_of(ckpt)] == [[0], [1], [2]]  # fragment cut, not glued
    with ckpt.open("a") as fh:  # third: torn again, and an unparsable line in the middle is dropped
        fh.write('{"i": [3], "v"')
    lines = ckpt.read_text().splitlines(keepends=True)
    ckpt.write_text("".join(lines[:2]) + "not json\n" + "".join(lines[2:]))
    monkeypatch.setattr(line, "evaluate", lambda **kw: (calls.append(kw["x"]), real(**kw))[1])
    with pytest.warns(CheckpointWarning, match=r"dropped 1 bad record\(s\) \(1 x unreadable line\)"):
        res = run_sweep("sweepfakes.line", axes=axes, workers=1, out=out)
    assert (res.resumed, res.computed) == (3, 3)
    assert sorted(calls) == np.linspace(0, 1, 6)[1:].tolist()  # each of points 1..5 evaluated exactly once
    assert load(out).value.values[0] == 123.0


def _lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def _kill_midway(tmp_path, extra, sig=signal.SIGKILL, group=False):
    out = tmp_path / "killed.nc"
    args = [
        "sweep",
        "sweepfakes.line",
        "-p",
        "x=0:3:24",
        "--set",
        "delay=0.05",
        "--seed",
        "5",
        "--json",
        "--out",
        str(out),
    ] + extra
    key = make_spec("sweepfakes.line", axes=["x=0:3:24"], fixed={"delay": 0.05}, seed=5).key
    ckpt = checkpoint_path(out, key)
    log1, log2 = tmp_path / "calls1", tmp_path / "calls2"
    proc = subprocess.Popen(
        CLI + args,
        env={**ENV, "SWEEPFAKES_CALL_LOG": str(log1)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=group,
    )
    deadline = time.monotonic() + 120
    while _lines(ckpt) < 7 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    (os.killpg if group else os.kill)(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and not out.exists()
    saved = {i for rec in records_of(ckpt) for i in rec["i"]}
    assert 6 <= len(saved) < 24
    again = subprocess.run(
        CLI + args, env={**ENV, "SWEEPFAKES_CALL_LOG": str(log2)}, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["resumed"] == len(saved) and summary["computed"] == 24 - len(saved)
    xs = np.linspace(0, 3, 24)
    recomputed = {float(line.split()[0]) for line in log2.read_text().splitlines()}
    assert recomputed.isdisjoint(xs[sorted(saved)].tolist())  # no finished point recomputed
    assert not ckpt.exists()
    ref = run_sweep("sweepfakes.line", axes=["x=0:3:24"], fixed={"delay": 0.0}, seed=5, workers=1).dataset
    got = load(out)
    xr.testing.assert_identical(got.drop_attrs(), ref.drop_attrs())
    return out, err


def test_kill_dash_9_midway_then_resume_gives_identical_file(tmp_path):
    out, _ = _kill_midway(tmp_path, ["--workers", "1"])
    same = tmp_path / "uninterrupted.nc"
    run_sweep("sweepfakes.line", axes=["x=0:3:24"], fixed={"delay": 0.05}, seed=5, workers=1, out=same)
    assert_same_except_resume(out, same)


@pytest.mark.slow
def test_kill_process_group_with_pool_and_ctrl_c(tmp_path):
    out, _ = _kill_midway(tmp_path, ["--workers", "2"], group=True)
    ref = tmp_path / "ref.nc"
    run_sweep("sweepfakes.line", axes=["x=0:3:24"], fixed={"delay": 0.05}, seed=5, workers=2, out=ref)
    assert_same_except_resume(out, ref)
    out.unlink()
    _, err = _kill_midway(tmp_path, ["--workers", "1"], sig=signal.SIGINT)
    assert b"rerun the same command to resume" in err


def _children(pid: int) -> dict[int, str]:
    """Live (not zombie) child processes of ``pid``: {pid: command line}."""
    kids = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            kids[int(d.name)] = cmd
    return kids


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_dash_9_of_the_sweep_takes_its_pool_workers_along(tmp_path):
    out = tmp_path / "o.nc"
    args = [
        "sweep",
        "sweepfakes.line",
        "-p",
        "x=0:3:40",
        "--set",
        "delay=0.2",
        "--workers",
        "2",
        "--json",
        "--out",
        str(out),
    ]
    ckpt = checkpoint_path(out, make_spec("sweepfakes.line", axes=["x=0:3:40"], fixed={"delay": 0.2}).key)
    proc = subprocess.Popen(CLI + args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while _lines(ckpt) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        workers = [p for p, cmd in _children(proc.pid).items() if "spawn_main" in cmd]
        assert len(workers) == 2, _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [p for p in workers if _alive(p)]
    finally:
        for p in [p for p in locals().get("workers", []) if _alive(p)]:
            os.kill(p, signal.SIGKILL)  # only the workers this test started
        if proc.poll() is None:
            proc.kill()
    assert left == [], f"orphaned pool workers {left} outlived the killed sweep"


# ----------------------------------------------------------------------------- Dask


def test_unreachable_scheduler_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:9")
    code, _, err = cli(["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--out", str(tmp_path / "o.nc")], capsys)
    assert code == 2 and "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in err
    assert list(tmp_path.iterdir()) == []  # connected before the checkpoint is opened: no empty file left
    with pytest.raises(SchedulerError) as exc:
        run_sweep("sweepfakes.line", axes=["x=0:1:2"], scheduler="tcp://127.0.0.1:9", connect_timeout=1.0)
    assert isinstance(exc.value, OpentangleError)


def test_dask_in_process_cluster_matches_local(monkeypatch):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        res = run_sweep("sweepfakes.line", axes=["x=0:1:5", "y=0:1:2"], seed=2, scheduler=cluster.scheduler_address)
    assert res.backend.startswith("dask:")
    ref = run_sweep("sweepfakes.line", axes=["x=0:1:5", "y=0:1:2"], seed=2, workers=1)
    xr.testing.assert_identical(res.dataset, ref.dataset)


def test_dask_sweep_inside_a_running_event_loop_as_in_jupyter():
    """Jupyter runs cells inside an event loop: the scheduler probe must not call asyncio.run there."""
    import asyncio

    from dask.distributed import LocalCluster

    async def cell(address):
        asyncio.get_running_loop()  # the situation of a notebook cell
        return run_sweep("sweepfakes.line", axes=["x=0:1:4"], seed=5, scheduler=address)

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        res = asyncio.run(cell(cluster.scheduler_address))
    assert res.backend.startswith("dask:") and res.computed == 4
    ref = run_sweep("sweepfakes.line", axes=["x=0:1:4"], seed=5, workers=1)
    xr.testing.assert_identical(res.dataset, ref.dataset)


def test_unreachable_scheduler_inside_a_running_event_loop_is_still_a_clear_error():
    import asyncio

    async def cell():
        return run_sweep("sweepfakes.line", axes=["x=0:1:2"], scheduler="tcp://127.0.0.1:9", connect_timeout=1.0)

    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler") as exc:
        asyncio.run(cell())
    assert "running event loop" not in str(exc.value)


@pytest.mark.slow
def test_dask_process_cluster_survives_a_killed_worker(tmp_path, monkeypatch):
    from dask.distributed import Client, LocalCluster

    monkeypatch.setenv("PYTHONPATH", ENV["PYTHONPATH"])
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    axes = ["x=0:3:40"]
    fixed = {"delay": 0.1}
    out = tmp_path / "dask.nc"
    ckpt = checkpoint_path(out, make_spec("sweepfakes.line", axes=axes, fixed=fixed, seed=4).key)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        pids = list(client.run(os.getpid).values())
        killed = []

        def killer():
            deadline = time.monotonic() + 120
            while _lines(ckpt) < 9 and time.monotonic() < deadline:
                time.sleep(0.02)
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

        t = threading.Thread(target=killer)
        t.start()
        res = run_sweep("sweepfakes.line", axes=axes, fixed=fixed, seed=4, out=out, scheduler=cluster.scheduler_address)
        t.join()
    assert killed and res.computed == 40
    ref = run_sweep("sweepfakes.line", axes=axes, fixed=fixed | {"delay": 0.0}, seed=4, workers=1).dataset
    xr.testing.assert_identical(load(out).drop_attrs(), ref.drop_attrs())
