"""Robustness regression suite (issue 13): the probes that once broke, kept broken-proof.

* a CLI probe table: every probe exits 2 with one line on stderr and no traceback;
* output paths (device nodes, FIFOs, directories), disk full (ENOSPC) during the NetCDF and
  checkpoint writes, stale temporary files after a kill;
* checkpoint integrity: edited values, out-of-range indices, missing measures, wrong types,
  code changes, obsolete checkpoints;
* resource limits and validated counts, seeds, workers and timeouts;
* the user's own study: files, ``module:Name``, import errors, log and list grids, measure keys;
* hypothesis fuzz of the sweep layer's public API: a typed error or a valid result, never a bare
  exception.  The long fuzz runs with ``SLOW=1``.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opentangle import _io
from opentangle._limits import MAX_SEED, Estimate, check_resources, check_seed, check_timeout
from opentangle.errors import InvalidParameterError, OpentangleError, OutputError, ResourceLimitError
from opentangle.sweep import (
    CheckpointWarning,
    GridAxis,
    Record,
    SchedulerError,
    checkpoint_path,
    make_spec,
    run_sweep,
)
from opentangle.sweep._checkpoint import _header

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))  # the fake studies in tests/sweepfakes
SRC = str(TESTS.parent / "src")


def load(path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


def one_line_exit_2(code, err, needle=""):
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("opentangle: error:"), err
    assert "Traceback" not in err and needle in err, err


# ----------------------------------------------------------------------------- CLI probe table

BIG = "{tmp}/big.nc"
PROBES = [
    (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--out", "/dev/null"], "not a regular file"),
    (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--out", "{fifo}"], "is a FIFO"),
    (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--out", "{tmp}"], "is a directory"),
    (["plot", "{nc}", "--out", "{fifo}.png"], "is a FIFO"),
    (["plot", BIG], "more than the limit"),
    (["reproduce", "--study", "sweepfakes.grid", "--out", "{tmp}/rep", "--timeout", "nan"], "--timeout"),
    (["reproduce", "--study", "sweepfakes.grid", "--out", "{tmp}/rep", "--timeout", "-1"], "--timeout"),
    (["reproduce", "--study", "sweepfakes.grid", "--out", "{fifo_dir}"], "is a FIFO"),
    (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--seed", "-1", "--out", "{tmp}/o.nc"], "[0, 2**63 - 1]"),
    (
        ["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--seed", "99999999999999999999999", "--out", "{tmp}/o.nc"],
        "[0, 2**63 - 1]",
    ),
    (["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--workers", "100000", "--out", "{tmp}/o.nc"], "per CPU core"),
    (
        ["sweep", "sweepfakes.line", "-p", "x=0:1:100000", "-p", "y=0:1:100000", "--out", "{tmp}/o.nc"],
        "10,000,000,000 points",
    ),
    (["sweep", "sweepfakes.line", "-p", "x=0:1:3", "-m", "nope", "--out", "{tmp}/o.nc"], "unknown measure 'nope'"),
    (["sweep", "{tmp}/typo.py", "-p", "x=0:1:3", "--out", "{tmp}/o.nc"], "'negativty' that MEASURES does not list"),
    (["sweep", "{tmp}/lacks.py", "-p", "x=0:1:3", "--out", "{tmp}/o.nc"], "did not return 'b', which MEASURES lists"),
    (["sweep", "{tmp}/broken_import.py", "-p", "x=0:1:3", "--out", "{tmp}/o.nc"], "importing the study"),
    (["sweep", "{tmp}/nothere.py", "-p", "x=0:1:3", "--out", "{tmp}/o.nc"], "no study file"),
    (["sweep", "sweepfakes.line", "-p", "x=0.0:1:3:log", "--out", "{tmp}/o.nc"], "START > 0"),
    (["sweep", "sweepfakes.line", "-p", "x=1,1", "--out", "{tmp}/o.nc"], "appears twice"),
    (["sweep", "sweepfakes.line", "-p", "x=1:2:3:cubic", "--out", "{tmp}/o.nc"], "malformed range"),
    (["sweep", "sweepfakes.line", "-p", "n=1:10:4:log", "--out", "{tmp}/o.nc"], "integer"),
    (["ladder", "--L", "100000"], "memory"),
    (["ladder", "--trajectories", "10000000000000"], "would take"),
    (["ladder", "--cycles", "100000000000"], "would take"),
    (["thermalize", "--d", "300"], "memory"),
    (["thermalize", "--d", "60"], "would take"),
]

FAKE_STUDIES = {
    "typo.py": """
        PARAMETERS = {"x": 0.0}
        MEASURES = ("negativity",)
        def evaluate(*, x=0.0):
            return {"negativty": x}
    """,
    "lacks.py": """
        PARAMETERS = {"x": 0.0}
        MEASURES = ("a", "b")
        def evaluate(*, x=0.0):
            return {"a": x}
    """,
    "broken_import.py": """
        import numpy as np
        import no_such_module_anywhere
        PARAMETERS = {"x": 0.0}
    """,
}


@pytest.fixture
def probe_files(tmp_path):
    for name, body in FAKE_STUDIES.items():
        (tmp_path / name).write_text(textwrap.dedent(body))
    os.mkfifo(tmp_path / "fifo")
    os.mkfifo(tmp_path / "fifo.png")
    (tmp_path / "fifo_dir").mkdir()
    os.mkfifo(tmp_path / "fifo_dir" / "index.html")
    nc = tmp_path / "m.nc"
    xr.Dataset({"negativity": ("r", np.linspace(0, 1, 3))}, coords={"r": [0.0, 1.0, 2.0]}).to_netcdf(
        nc, engine="h5netcdf"
    )
    _declare_huge(tmp_path / "big.nc")
    return {"tmp": tmp_path, "fifo": tmp_path / "fifo", "fifo_dir": tmp_path / "fifo_dir", "nc": nc}


def _declare_huge(path):
    """A 1.6 MB NetCDF file that declares a 1e5 x 1e5 float64 variable (80 GB if loaded)."""
    import h5py

    with h5py.File(path, "w") as f:
        for dim in ("x", "y"):
            f.create_dataset(dim, data=np.arange(100000.0))
            f[dim].make_scale(dim)
        d = f.create_dataset("negativity", shape=(100000, 100000), dtype="f8", chunks=(1000, 1000))
        d.dims[0].attach_scale(f["x"])
        d.dims[1].attach_scale(f["y"])


@pytest.mark.parametrize("argv, needle", PROBES, ids=[" ".join(p[0][:3]) + f" #{i}" for i, p in enumerate(PROBES)])
def test_cli_probe_is_exit_2_one_line(argv, needle, probe_files, cli_in_process):
    args = [a.format(**probe_files) for a in argv]
    code, _, err = cli_in_process(args)
    one_line_exit_2(code, err, needle)
    assert not (probe_files["tmp"] / "o.nc").exists()
    assert probe_files["fifo"].exists() and not probe_files["fifo"].is_file()  # the FIFO is still a FIFO


def test_import_error_in_the_users_file_names_module_and_line(probe_files, cli_in_process):
    code, _, err = cli_in_process(
        [
            "sweep",
            str(probe_files["tmp"] / "broken_import.py"),
            "-p",
            "x=0:1:2",
            "--out",
            str(probe_files["tmp"] / "o.nc"),
        ]
    )
    one_line_exit_2(
        code, err, "(broken_import.py, line 3): ModuleNotFoundError: No module named 'no_such_module_anywhere'"
    )
    assert "unknown study" not in err


# ----------------------------------------------------------------------------- the user's own study

USER_STUDY = '''
"""A two-level toy: value = a * x, used by the robustness tests."""
PARAMETERS = {"x": 1.0, "a": 2.0, "n": 2}
MEASURES = ("value", "n_out")


def evaluate(*, x=1.0, a=2.0, n=2):
    return {"value": a * x, "n_out": n}


class Scaled:
    PARAMETERS = {"x": 1.0}
    MEASURES = ("value",)

    @staticmethod
    def evaluate(*, x=1.0):
        return {"value": 10 * x}
'''


def _run_elsewhere(args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = SRC  # only opentangle itself (as if installed), never the user's folder
    return subprocess.run(
        [sys.executable, "-m", "opentangle.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )


def test_users_file_and_module_name_work_without_pythonpath(tmp_path):
    pkg = tmp_path / "mystudies"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "toy.py").write_text(USER_STUDY)
    other = tmp_path / "elsewhere"
    other.mkdir()
    by_file = _run_elsewhere(
        [
            "sweep",
            str(pkg / "toy.py"),
            "-p",
            "x=0.1:1000:5:log",
            "-p",
            "n=2,4,8",
            "--workers",
            "2",
            "--json",
            "--out",
            "f.nc",
        ],
        cwd=other,
    )
    assert by_file.returncode == 0, by_file.stderr
    ds = load(other / "f.nc")
    np.testing.assert_allclose(ds.x.values, [0.1, 1.0, 10.0, 100.0, 1000.0], rtol=1e-12)
    assert ds.n.values.tolist() == [2, 4, 8] and ds.n.dtype.kind == "i"
    np.testing.assert_allclose(ds.value.values, 2.0 * ds.x.values[:, None] * np.ones(3))
    assert (ds.n_out.values == ds.n.values[None, :]).all()
    assert json.loads(ds.attrs["grid"]) == [["x", 0.1, 1000.0, 5, "log"], ["n", "list", [2.0, 4.0, 8.0]]]
    by_name = _run_elsewhere(
        ["sweep", "mystudies.toy:Scaled", "-p", "x=1,2", "--workers", "1", "--json", "--out", "c.nc"], cwd=tmp_path
    )
    assert by_name.returncode == 0, by_name.stderr
    np.testing.assert_array_equal(load(tmp_path / "c.nc").value.values, [10.0, 20.0])


def test_code_change_changes_the_checkpoint_key(tmp_path):
    f = tmp_path / "toy.py"
    f.write_text(USER_STUDY)
    before = make_spec(str(f), axes=["x=0:1:3"])
    f.write_text(USER_STUDY.replace("a * x", "a * x + 0"))
    after = make_spec(str(f), axes=["x=0:1:3"])
    assert before.code != after.code and before.key != after.key
    assert make_spec("sweepfakes.line", axes=["x=0:1:3"]).code  # a module's code is hashed too


# ----------------------------------------------------------------------------- checkpoint integrity

AXES = ["x=0:1:6"]


def _fresh(tmp_path):
    ref = tmp_path / "ref.nc"
    run_sweep("sweepfakes.line", axes=AXES, workers=1, out=ref)
    return load(ref)


def _ckpt_with(out, *lines):
    spec = make_spec("sweepfakes.line", axes=AXES)
    ckpt = checkpoint_path(out, spec.key)
    ckpt.write_bytes(_header(spec, out) + b"".join(lines))
    return ckpt


def _good(i, value=None):
    from sweepfakes import line

    r = line.evaluate(x=float(np.linspace(0, 1, 6)[i]), seed=0)
    if value is not None:
        r["value"] = value
    return Record([i], {k: [v] for k, v in r.items()})


@pytest.mark.parametrize(
    "bad, reason",
    [
        (
            lambda: _good(1).to_line().replace(b'"value": [', b'"value": [1000.0 + ').replace(b"1000.0 + ", b"7"),
            "checksum mismatch",
        ),
        (lambda: Record([-1], _good(1).v).to_line(), "index out of range"),
        (lambda: Record([6], _good(1).v).to_line(), "index out of range"),
        (lambda: Record([1], {k: v for k, v in _good(1).v.items() if k != "noise"}).to_line(), "missing measure"),
        (lambda: Record([1], {**_good(1).v, "value": [{"a": 1}]}).to_line(), "wrong type"),
        (lambda: Record([1], {**_good(1).v, "value": [1.0, 2.0]}).to_line(), "wrong type or length"),
        (lambda: Record([True], _good(1).v).to_line(), "not an integer"),
        (lambda: b'{"i": [1], "v": {}, "e": {}}\n', "malformed record"),
        (lambda: b"[1, 2, 3]\n", "malformed record"),
    ],
)
def test_bad_record_is_dropped_with_a_warning_and_recomputed(bad, reason, tmp_path):
    ref = _fresh(tmp_path)
    out = tmp_path / "o.nc"
    ckpt = _ckpt_with(out, _good(0, value=123.0).to_line(), bad())
    with pytest.warns(CheckpointWarning, match=rf"dropped 1 bad record.*{reason}.*recomputed"):
        res = run_sweep("sweepfakes.line", axes=AXES, workers=1, out=out)
    assert (res.resumed, res.computed) == (1, 5)
    got = load(out)
    assert got.value.values[0] == 123.0  # the good record is used ...
    np.testing.assert_array_equal(got.value.values[1:], ref.value.values[1:])  # ... the bad one recomputed
    assert got.attrs["resumed_points"] == 1 and not ckpt.exists()


def test_checkpoint_of_an_edited_value_never_reaches_the_result(tmp_path):
    ref = _fresh(tmp_path)
    out = tmp_path / "o.nc"
    line = _good(2).to_line()
    edited = line.replace(repr(float(ref.value.values[2])).encode(), b"0.5")
    assert edited != line
    _ckpt_with(out, edited)
    with pytest.warns(CheckpointWarning, match="checksum"):
        run_sweep("sweepfakes.line", axes=AXES, workers=1, out=out)
    assert load(out).value.values[2] == ref.value.values[2]


def test_header_of_another_sweep_drops_everything(tmp_path):
    out = tmp_path / "o.nc"
    spec = make_spec("sweepfakes.line", axes=AXES)
    checkpoint_path(out, spec.key).write_bytes(b'{"opentangle_checkpoint": 2, "key": "x"}\n' + _good(0).to_line())
    with pytest.warns(CheckpointWarning, match="header differs"):
        res = run_sweep("sweepfakes.line", axes=AXES, workers=1, out=out)
    assert res.resumed == 0 and res.computed == 6


def test_obsolete_checkpoint_is_removed_but_foreign_files_stay(tmp_path, monkeypatch):
    from sweepfakes import line

    out = tmp_path / "o.nc"
    real = line.evaluate
    calls = []

    def interrupting(**kw):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(1)
        return real(**kw)

    monkeypatch.setattr(line, "evaluate", interrupting)
    with pytest.raises(KeyboardInterrupt):
        run_sweep("sweepfakes.line", axes=["x=0:1:5"], workers=1, out=out)
    old = checkpoint_path(out, make_spec("sweepfakes.line", axes=["x=0:1:5"]).key)
    assert old.exists()
    foreign = tmp_path / f".{out.name}.0123456789abcdef.partial.jsonl"
    foreign.write_text("not ours\n")
    monkeypatch.setattr(line, "evaluate", real)
    run_sweep("sweepfakes.line", axes=["x=0:1:7"], workers=1, out=out)  # a new grid to the same file
    assert not old.exists() and foreign.read_text() == "not ours\n"


# ----------------------------------------------------------------------------- disk full, temp files


def _enospc(*a, **k):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_enospc_during_the_netcdf_write_keeps_the_checkpoint(tmp_path, monkeypatch, cli_in_process):
    out = tmp_path / "o.nc"
    monkeypatch.setattr(_io, "_write_all", _enospc)
    code, _, err = cli_in_process(["sweep", "sweepfakes.line", "-p", "x=0:1:4", "--workers", "1", "--out", str(out)])
    one_line_exit_2(code, err, "No space left on device (ENOSPC); free at least")
    assert "checkpoint" in err and "intact with 4/4 points" in err
    assert not out.exists() and not list(tmp_path.glob("*.otmp"))
    monkeypatch.undo()
    res = run_sweep("sweepfakes.line", axes=["x=0:1:4"], workers=1, out=out)
    assert (res.resumed, res.computed) == (4, 0)


def test_enospc_during_the_checkpoint_append_is_one_line(tmp_path, monkeypatch, cli_in_process):
    import opentangle.sweep._run as sweep

    real_open = sweep._open_checkpoint

    class Full:
        def __init__(self, fh):
            self.fh, self.n = fh, 0

        def write(self, data):
            self.n += 1
            if self.n > 2:
                _enospc()
            return self.fh.write(data)

        def __getattr__(self, name):
            return getattr(self.fh, name)

    monkeypatch.setattr(sweep, "_open_checkpoint", lambda *a: Full(real_open(*a)))
    out = tmp_path / "o.nc"
    code, _, err = cli_in_process(["sweep", "sweepfakes.line", "-p", "x=0:1:5", "--workers", "1", "--out", str(out)])
    one_line_exit_2(code, err, "ENOSPC")
    assert "intact with 2/5 points" in err  # two records written, the third hit the full disk
    monkeypatch.undo()
    res = run_sweep("sweepfakes.line", axes=["x=0:1:5"], workers=1, out=out)
    assert (res.resumed, res.computed) == (2, 3)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_dev_full_as_output_is_refused_not_replaced(cli_in_process, tmp_path):
    code, _, err = cli_in_process(["sweep", "sweepfakes.line", "-p", "x=0:1:2", "--out", "/dev/full"])
    one_line_exit_2(code, err, "character device")
    assert Path("/dev/full").is_char_device()


def test_stale_temp_files_of_dead_writers_are_removed_others_kept(tmp_path):
    target = tmp_path / "o.txt"
    dead = tmp_path / ".o.txt.999999999.abc123.otmp"  # above any pid_max: that writer is gone
    alive = tmp_path / f".o.txt.{os.getpid()}.abc123.otmp"  # a concurrent writer (this process)
    other = tmp_path / ".o.txt.abc.tmp"
    for p in (dead, alive, other):
        p.write_text("x")
    _io.write_text_atomic(target, "done")
    assert target.read_text() == "done" and not dead.exists() and alive.exists() and other.exists()


def test_atomic_write_failure_leaves_previous_file_and_no_temp(tmp_path):
    target = tmp_path / "o.txt"
    target.write_text("old")

    def fail(tmp):
        Path(tmp).write_text("half")
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(OutputError, match="EIO"):
        _io.atomic_write(target, fail)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["o.txt"]


@pytest.mark.parametrize("make", ["fifo", "dir", "devnull"])
def test_check_output_path_refuses_what_is_not_a_regular_file(make, tmp_path):
    p = {"fifo": tmp_path / "f", "dir": tmp_path, "devnull": Path("/dev/null")}[make]
    if make == "fifo":
        os.mkfifo(p)
    with pytest.raises(InvalidParameterError, match=r"not a regular file|is a directory"):
        _io.check_output_path(p)
    with pytest.raises(InvalidParameterError):
        _io.write_text_atomic(p, "x")
    assert not p.is_file()


# ----------------------------------------------------------------------------- reproduce folders


def test_reproduce_folder_deletes_only_what_reproduce_wrote(tmp_path):
    d = tmp_path / "study"
    _io.begin_outputs(d)
    (d / "fig.png").write_bytes(b"png")
    (d / "edited.nc").write_bytes(b"v1")
    assert _io.record_outputs(d) == ["edited.nc", "fig.png"]
    (d / "precious.nc").write_bytes(b"mine")  # the user's, after the run
    (d / "edited.nc").write_bytes(b"v2, edited by the user")
    removed = _io.begin_outputs(d)
    assert [p.name for p in removed] == ["fig.png"]
    assert (d / "precious.nc").exists() and (d / "edited.nc").exists()
    assert _io.record_outputs(d) == []  # nothing new written in this run


# ----------------------------------------------------------------------------- backends


def test_lost_scheduler_mid_sweep_says_checkpoint_is_intact(tmp_path, monkeypatch, cli_in_process):
    import opentangle.sweep._run as sweep

    real = sweep._run_tasks

    def dying(tasks, **kw):
        gen = real(tasks, workers=1)
        yield next(gen)
        yield next(gen)
        raise SchedulerError("lost the Dask scheduler mid-sweep (FutureCancelledError)")

    monkeypatch.setattr(sweep, "_run_tasks", dying)
    out = tmp_path / "o.nc"
    code, _, err = cli_in_process(["sweep", "sweepfakes.line", "-p", "x=0:1:5", "--workers", "1", "--out", str(out)])
    one_line_exit_2(code, err, "lost the Dask scheduler mid-sweep")
    assert "intact with 2/5 points" in err and "rerun the same command" in err


def test_dask_cancellation_is_classified_as_a_lost_scheduler():
    from distributed.client import FutureCancelledError

    from opentangle.sweep._backends import _dask_lost

    assert _dask_lost(FutureCancelledError("k", reason="scheduler-connection-lost"))
    assert _dask_lost(OSError(errno.ECONNRESET, "reset"))  # OSError maps ECONNRESET to ConnectionResetError
    assert not _dask_lost(OSError(errno.ENOENT, "gone"))  # FileNotFoundError: not the connection family
    assert _dask_lost(ConnectionResetError())
    assert not _dask_lost(ZeroDivisionError())


# ----------------------------------------------------------------------------- limits


def test_limits_are_typed_and_give_estimate_and_limit(monkeypatch):
    with pytest.raises(ResourceLimitError, match=r"80.0 GB .* limit of 1.0 GB"):
        check_resources(Estimate("x", nbytes=8e10), max_bytes=1e9)
    monkeypatch.setenv("OPENTANGLE_MAX_SECONDS", "inf")
    assert check_resources(Estimate("x", seconds=1e30), max_bytes=1.0).seconds == 1e30
    monkeypatch.setenv("OPENTANGLE_MAX_MEMORY", "lots")
    with pytest.raises(InvalidParameterError, match="OPENTANGLE_MAX_MEMORY"):
        check_resources(Estimate("x"))
    monkeypatch.setenv("OPENTANGLE_MAX_MEMORY", "2G")
    with pytest.raises(ResourceLimitError, match=r"limit of 2\.0 GB"):
        check_resources(Estimate("x", nbytes=3e9))


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64, 1.5, "3", None, True, float("nan")])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(InvalidParameterError, match=r"\[0, 2\*\*63 - 1\]"):
        check_seed(seed)


@pytest.mark.parametrize("t", [float("nan"), float("inf"), 0, -3, "soon", None, True])
def test_bad_timeouts_are_refused(t):
    with pytest.raises(InvalidParameterError, match="finite number of seconds"):
        check_timeout(t)


def test_library_refuses_before_computing(monkeypatch):
    from sweepfakes import line

    monkeypatch.setattr(line, "evaluate", lambda **kw: pytest.fail("computed"))
    for kw in ({"seed": -1}, {"seed": MAX_SEED + 1}, {"workers": 10**6}, {"workers": 0}):
        with pytest.raises(InvalidParameterError):
            run_sweep("sweepfakes.line", axes=["x=0:1:3"], **kw)
    with pytest.raises(ResourceLimitError):
        run_sweep("sweepfakes.line", axes=["x=0:1:100000", "y=0:1:100000"])


# ----------------------------------------------------------------------------- API fuzz


def _typed_or_valid(fn):
    try:
        return fn()
    except OpentangleError:
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_fuzz_grid_axis_parse(text):
    ax = _typed_or_valid(lambda: GridAxis.parse(text))
    if ax is not None:
        v = _typed_or_valid(ax.values)
        assert v is None or (v.shape == (ax.num,) and np.isfinite(v).all())


_piece = st.one_of(st.sampled_from(["x", "y", "n", "zz", "x-", ""]), st.text(max_size=4))
_num = st.one_of(st.integers(-3, 5).map(str), st.floats(allow_nan=True).map(repr), st.sampled_from(["log", "a", ""]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_piece,
    parts=st.lists(_num, min_size=1, max_size=4),
    sep=st.sampled_from([":", ","]),
    seed=st.one_of(st.integers(-2, 2**64), st.floats()),
)
def test_fuzz_sweep_arguments(name, parts, sep, seed):
    spec = f"{name}={sep.join(parts)}"
    res = _typed_or_valid(lambda: run_sweep("sweepfakes.grid", axes=[spec], seed=seed, workers=1))
    if res is not None:
        ds = res.dataset
        assert set(ds.data_vars) == {"negativity", "entangled"} and res.points == ds.negativity.size
        assert (ds.negativity.values[np.isfinite(ds.negativity.values)] >= 0).all()


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=200)
    | st.from_regex(rb'\{"i": \[-?\d{1,3}\], "v": \{.{0,30}\}, "e": \{\}, "c": "[0-9a-f]{16}"\}\n')
)
def test_fuzz_checkpoint_lines_never_raise(line):
    spec = make_spec("sweepfakes.line", axes=AXES)
    rec, why = Record.from_line(line, spec)
    assert (rec is None) == bool(why) or (rec is not None and why)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
        max_leaves=10,
    )
)
def test_fuzz_jsonable_round_trips(x):
    y = _io.jsonable(x)
    text = json.dumps(y, allow_nan=True)
    assert json.dumps(json.loads(text), allow_nan=True) == text  # compared as text: NaN != NaN, also inside lists
    strict = _io.jsonable(x, finite=True)
    json.dumps(strict, allow_nan=False)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "sweep",
                "plot",
                "ladder",
                "thermalize",
                "-p",
                "x=0:1:2",
                "--out",
                "/dev/null",
                "--seed",
                "-1",
                "--workers",
                "0",
                "nan",
                "sweepfakes.line",
                "--set",
                "n=1.5",
                "-m",
                "zz",
                "--timeout",
                "x=1,2",
                "y=0:1:2:log",
                "--d",
                "--L",
                "1e9",
                "o.nc",
            ]
        ),
        min_size=1,
        max_size=8,
    )
)
def test_slow_cli_fuzz_never_tracebacks(argv):
    import contextlib
    import io
    import tempfile

    from opentangle.cli import main

    err = io.StringIO()
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # whatever a probe writes lands here
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                try:
                    main(argv)
                    code = 0
                except SystemExit as exc:
                    code = exc.code
        finally:
            os.chdir(here)
    assert "Traceback" not in err.getvalue()
    assert code in (0, 1, 2), (argv, code, err.getvalue())
    if code == 2:
        assert err.getvalue().count("\n") == 1, (argv, err.getvalue())


@pytest.mark.slow
def test_dask_scheduler_killed_mid_sweep_is_one_line_and_resumable(tmp_path):
    import signal
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    addr = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{TESTS}", "OMP_NUM_THREADS": "1"}
    dask = str(Path(sys.executable).with_name("dask"))
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
    ]
    try:
        time.sleep(15)
        procs.append(
            subprocess.Popen(
                [dask, "worker", addr, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=tmp_path,
            )
        )
        time.sleep(15)
        out = tmp_path / "o.nc"
        sweep = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "opentangle.cli",
                "sweep",
                "sweepfakes.line",
                "-p",
                "x=0:3:60",
                "--set",
                "delay=0.3",
                "--scheduler",
                addr,
                "--out",
                str(out),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ckpt = checkpoint_path(out, make_spec("sweepfakes.line", axes=["x=0:3:60"], fixed={"delay": 0.3}).key)
        deadline = time.monotonic() + 200
        while (not ckpt.exists() or ckpt.read_text().count("\n") < 4) and time.monotonic() < deadline:
            time.sleep(0.2)
        procs[0].send_signal(signal.SIGKILL)  # the scheduler dies mid-sweep
        _, err = sweep.communicate(timeout=200)
    finally:
        for p in procs:  # only the processes this test started
            if p.poll() is None:
                p.kill()
                p.wait()
    one_line_exit_2(sweep.returncode, err, "lost the Dask scheduler mid-sweep")
    assert "is intact with" in err and "rerun the same command" in err
    saved = ckpt.read_text().count("\n") - 1
    assert saved >= 3
    res = run_sweep("sweepfakes.line", axes=["x=0:3:60"], fixed={"delay": 0.0 + 0.3}, workers=1, out=out)
    assert res.resumed >= saved and res.resumed + res.computed == 60


def test_a_dying_pool_worker_is_one_line_and_keeps_the_checkpoint(tmp_path, cli_in_process):
    f = tmp_path / "crashy.py"
    f.write_text(
        textwrap.dedent("""
        import os, time
        PARAMETERS = {"x": 0.0}
        MEASURES = ("value",)
        def evaluate(*, x=0.0):
            if x > 0.9:
                time.sleep(0.5)
                os._exit(3)  # like a segfault or the OOM killer
            return {"value": x}
    """)
    )
    out = tmp_path / "o.nc"
    code, _, err = cli_in_process(["sweep", str(f), "-p", "x=0:1:12", "--workers", "2", "--out", str(out)])
    one_line_exit_2(code, err, "a worker process died")
    assert "is intact with" in err and not out.exists()
