"""Parameter sweeps over a study: local process pool or Dask, checkpointed, written as NetCDF.

``opentangle sweep STUDY --param NAME=START:STOP:NUM ... --out FILE.nc`` evaluates a
study on the Cartesian grid of the swept parameters and writes an
:class:`xarray.Dataset` with one dimension per swept parameter (named exactly as
the parameter) and one variable per measure.  Fixed parameters, the package
version and the seeds are stored as attributes.  Axes are linear
(``r=0:4:41``), logarithmic (``t_h=0.1:1000:41:log``) or explicit lists
(``n=2,4,8``).  ``STUDY`` is a built-in name, a file (``my_study.py``), a module
or ``module:Name`` (:func:`opentangle.studies._resolve.resolve_study`).

Every finished point (or batch chunk) is appended to a checkpoint file
``.<FILE>.<key>.partial.jsonl`` next to the output, where ``key`` hashes the
sweep arguments that determine the result and the study's code (not the worker
count or backend).  Each record carries a checksum and is checked on load (index
range, measures, types); a bad record is dropped, with a warning, and its points
are recomputed.  Rerunning the same command after Ctrl-C, ``kill -9`` or a crash
continues from it; the data are identical to an uninterrupted run, and the
attributes ``resumed_points`` and ``resumed_from`` say that the file was resumed.

Seeds: for seeded studies point ``k`` (flat C-order index over the swept
dimensions) gets ``point_seed(seed, k)``, so results do not depend on workers
or backend.

Example
-------
>>> from opentangle.sweep import run_sweep, GridAxis
>>> ds = run_sweep("reset", axes=[GridAxis.parse("r=0:4:41"), GridAxis.parse("g=0:4:41")],
...                out="reset.nc")                                      # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import math
import os
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from opentangle import __version__
from opentangle._io import check_output_path, jsonable, save_netcdf
from opentangle._limits import Estimate, check_resources, check_seed, max_workers
from opentangle.errors import (
    ConvergenceError,
    InvalidParameterError,
    NonUniqueSteadyStateError,
    OpentangleError,
    OutputError,
)
from opentangle.studies._resolve import canonical_name, code_hash, resolve_study

__all__ = [
    "BackendError",
    "CheckpointWarning",
    "GridAxis",
    "Record",
    "SchedulerError",
    "SweepResult",
    "SweepSpec",
    "Task",
    "checkpoint_path",
    "command",
    "make_spec",
    "parse_set",
    "point_seed",
    "resolve_study",
    "run_sweep",
    "write_netcdf_atomic",
]

#: per-point failures that become NaN (recorded in ``attrs["failed_points"]``) instead of stopping the sweep
POINT_FAILURES = (ConvergenceError, NonUniqueSteadyStateError)
#: largest number of points handed to one ``evaluate_batch`` call
BATCH_CHUNK = 4096
#: a pointwise sweep is cut into at most this many tasks
MAX_POINT_TASKS = 1024
#: bytes held per grid point and measure while a sweep runs (Python records, then the arrays); measured ~100
BYTES_PER_VALUE = 160
CHECKPOINT_FORMAT = 2


_ADDRESS = re.compile(r"^inproc://\S+$|^([a-z]+://)?(\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):\d{1,5}$")


class BackendError(OpentangleError, RuntimeError):
    """The workers running a sweep went away (a crashed pool, a lost Dask scheduler); the checkpoint is kept."""


class SchedulerError(BackendError, ConnectionError):
    """The Dask scheduler could not be reached, went away mid-sweep, or Dask is not installed."""


class CheckpointWarning(UserWarning):
    """Checkpoint records were dropped (bad checksum, index out of range, ...) and will be recomputed."""


def point_seed(seed: int, index: int) -> int:
    """Seed of grid point ``index``: ``SeedSequence(seed, spawn_key=(index,))``, first uint32 word.

    >>> point_seed(0, 3) == point_seed(0, 3) != point_seed(0, 4)
    True
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(index),))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


# ----------------------------------------------------------------------------- argument parsing


def _coerce(name: str, text: str, default: Any) -> Any:
    """``text`` converted to the type of the parameter's default."""
    text = text.strip()
    try:
        if isinstance(default, bool):
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if isinstance(default, (int, np.integer)):
            value = float(text)
            if not value.is_integer():
                raise ValueError(text)
            return int(value)
        if isinstance(default, (float, np.floating)):
            return float(text)
        if default is None:
            for cast in (int, float):
                with contextlib.suppress(ValueError):
                    return cast(text)
        return text
    except (ValueError, OverflowError):
        kind = type(default).__name__
        raise InvalidParameterError(f"parameter {name!r} expects a {kind} value, got {text!r}") from None


def parse_set(text: str, parameters: dict[str, Any]) -> tuple[str, Any]:
    """``NAME=VALUE`` -> ``(name, value)`` with ``value`` of the default's type."""
    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or not name or not value.strip():
        raise InvalidParameterError(f"malformed --set {text!r}; expected NAME=VALUE, e.g. --set gamma=1.0")
    _check_name(name, parameters)
    return name, _coerce(name, value, parameters[name])


def _check_name(name: str, parameters: dict[str, Any]) -> None:
    if name not in parameters:
        raise InvalidParameterError(
            f"unknown parameter {name!r}; this study has: {', '.join(parameters) or 'none'}"
        )


def _number(text: str, what: str, spec: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidParameterError(f"malformed range {spec!r}: {what} must be numbers") from None


@dataclass(frozen=True)
class GridAxis:
    """One swept parameter.

    ``NAME=START:STOP:NUM`` (``linspace``), ``NAME=START:STOP:NUM:log`` (``geomspace``,
    START and STOP > 0) or ``NAME=V1,V2,...`` (the listed values, in order).

    >>> GridAxis.parse("t_h=0.1:1000:5:log").values().tolist()
    [0.1, 1.0, 10.0, 100.0, 1000.0]
    >>> GridAxis.parse("n=2,4,8").values(default=2).tolist()
    [2, 4, 8]
    """

    name: str
    start: float
    stop: float
    num: int
    scale: str = "linear"
    points: tuple[float, ...] | None = None

    @classmethod
    def parse(cls, text: str) -> "GridAxis":
        """Parse ``NAME=START:STOP:NUM[:log]`` or ``NAME=V1,V2,...``."""
        name, sep, rng = text.partition("=")
        name = name.strip().replace("-", "_")
        usage = "expected NAME=START:STOP:NUM, NAME=START:STOP:NUM:log or NAME=V1,V2,..., e.g. --param r=0:4:41"
        if not sep or not name or not rng.strip():
            raise InvalidParameterError(f"malformed range {text!r}; {usage}")
        if ":" not in rng:
            pts = tuple(_number(v, "the listed values", text) for v in rng.split(","))
            return cls(name, pts[0], pts[-1], len(pts), "list", pts)
        parts = rng.split(":")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3].strip().lower() not in ("log", "lin", "linear")):
            raise InvalidParameterError(f"malformed range {text!r}; {usage}")
        start, stop = _number(parts[0], "START and STOP", text), _number(parts[1], "START and STOP", text)
        try:
            num = int(parts[2])
        except ValueError:
            raise InvalidParameterError(f"malformed range {text!r}: NUM must be an integer") from None
        scale = "log" if len(parts) == 4 and parts[3].strip().lower() == "log" else "linear"
        return cls(name, start, stop, num, scale)

    def __post_init__(self) -> None:
        if self.num < 1:
            raise InvalidParameterError(f"--param {self.name}: NUM must be >= 1, got {self.num}")
        values = self.points if self.points is not None else (self.start, self.stop)
        if not all(math.isfinite(v) for v in values):
            raise InvalidParameterError(f"--param {self.name}: START and STOP (and listed values) must be finite")
        if self.scale == "log" and not (self.start > 0 and self.stop > 0):
            raise InvalidParameterError(f"--param {self.name}: a log grid needs START > 0 and STOP > 0")
        if self.points is not None and len(set(self.points)) != len(self.points):
            raise InvalidParameterError(f"--param {self.name}: a listed value appears twice")

    def describe(self) -> list[Any]:
        """JSON form (part of the checkpoint key)."""
        if self.points is not None:
            return [self.name, "list", list(self.points)]
        base = [self.name, self.start, self.stop, self.num]
        return base if self.scale == "linear" else base + [self.scale]

    def values(self, default: Any = 0.0) -> np.ndarray:
        """The grid values, as integers when the parameter's default is an integer."""
        if self.points is not None:
            v = np.asarray(self.points, dtype=float)
        elif self.scale == "log":
            v = np.geomspace(self.start, self.stop, self.num)
        else:
            v = np.linspace(self.start, self.stop, self.num)
        if isinstance(default, (int, np.integer)) and not isinstance(default, bool):
            r = np.rint(v)
            if not np.allclose(v, r, rtol=0, atol=1e-9):
                raise InvalidParameterError(
                    f"parameter {self.name!r} is an integer; choose values so every point is an "
                    f"integer (got {v[:4].tolist()}...)"
                )
            return r.astype(np.int64)
        if isinstance(default, bool) or not isinstance(default, (int, float, np.number, type(None))):
            raise InvalidParameterError(f"parameter {self.name!r} is not numeric and cannot be swept")
        return v


@dataclass(frozen=True)
class SweepSpec:
    """Everything that determines a sweep's result (and so its checkpoint key)."""

    study: str
    axes: tuple[GridAxis, ...]
    fixed: dict[str, Any]
    measures: tuple[str, ...]
    seed: int
    seeded: bool
    batch: bool
    coords: dict[str, np.ndarray] = field(repr=False, compare=False)
    all_measures: tuple[str, ...] = ()
    code: str = ""

    @property
    def variables(self) -> dict[str, str]:
        """Measure -> Dataset variable name.

        The same as the measure, except where a measure is named like a swept parameter
        (``opentangle sweep thermalize -p gamma=...``): a Dataset cannot have a variable and a
        dimension of the same name, so that measure becomes ``<name>_measure``.
        """
        taken = {a.name for a in self.axes} | set(self.measures)
        out = {}
        for m in self.measures:
            var = m
            if m in {a.name for a in self.axes}:
                var = f"{m}_measure"
                while var in taken:
                    var += "_"
                taken.add(var)
            out[m] = var
        return out

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(a.num for a in self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def key(self) -> str:
        """Hash of the result-determining arguments and the study's code (not workers or backend)."""
        blob = json.dumps(
            {
                "study": self.study,
                "axes": [a.describe() for a in self.axes],
                "fixed": jsonable(self.fixed),
                "measures": list(self.measures),
                "seed": self.seed if self.seeded else None,
                "batch": self.batch,
                "version": __version__,
                "code": self.code,
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def chunks(self) -> list[np.ndarray]:
        """Flat-index chunks; a deterministic partition of the grid (independent of workers)."""
        n = self.size
        per = min(n, BATCH_CHUNK) if self.batch else max(1, math.ceil(n / MAX_POINT_TASKS))
        return [np.arange(i, min(i + per, n)) for i in range(0, n, per)]

    def estimate(self) -> Estimate:
        """Memory to hold the grid and its results (the sweep's own part, not the study's)."""
        n_values = max(1, len(self.measures))
        return Estimate(
            f"a sweep of {self.size:,} points x {n_values} measures",
            nbytes=float(self.size) * (BYTES_PER_VALUE * n_values + 16 * len(self.axes)),
            hint="use fewer points",
        )


def make_spec(
    study: str | Any,
    *,
    axes: Sequence[GridAxis | str],
    fixed: dict[str, Any] | None = None,
    measures: Sequence[str] | None = None,
    seed: int = 0,
    batch: bool | None = None,
) -> SweepSpec:
    """Validate sweep arguments against the study; raise before any work starts."""
    module = resolve_study(study) if isinstance(study, str) else study
    name = canonical_name(study) if isinstance(study, str) else module.__name__
    params: dict[str, Any] = dict(module.PARAMETERS)
    axes = tuple(GridAxis.parse(a) if isinstance(a, str) else a for a in axes)
    if not axes:
        raise InvalidParameterError("nothing to sweep; give at least one --param NAME=START:STOP:NUM")
    coords = {}
    for ax in axes:
        _check_name(ax.name, params)
        if ax.name in coords:
            raise InvalidParameterError(f"parameter {ax.name!r} is swept twice")
    fixed_all = {k: v for k, v in params.items() if k not in {a.name for a in axes}}
    for k, v in (fixed or {}).items():
        k = k.replace("-", "_")
        _check_name(k, params)
        if k in {a.name for a in axes}:
            raise InvalidParameterError(f"parameter {k!r} is both swept (--param) and fixed (--set)")
        fixed_all[k] = _coerce(k, v, params[k]) if isinstance(v, str) else v
    available = tuple(module.MEASURES)
    if isinstance(module.MEASURES, str) or not all(isinstance(m, str) for m in available):
        raise InvalidParameterError(f"MEASURES of {name!r} must be a tuple of strings; got {module.MEASURES!r}")
    if measures:
        measures = tuple(dict.fromkeys(measures))
        bad = [m for m in measures if m not in available]
        if bad:
            raise InvalidParameterError(
                f"unknown measure {bad[0]!r}; this study reports: {', '.join(available)}"
            )
    else:
        measures = available
    seeded = bool(getattr(module, "SEEDED", False))
    has_batch = hasattr(module, "evaluate_batch") and not seeded
    if batch is None:
        batch = has_batch
    elif batch and not has_batch:
        raise InvalidParameterError(f"study {name!r} has no evaluate_batch (or is seeded); use batch=False")
    spec = SweepSpec(
        study=name, axes=axes, fixed=fixed_all, measures=tuple(measures), seed=check_seed(seed),
        seeded=seeded, batch=bool(batch), coords=coords, all_measures=available, code=code_hash(module),
    )
    check_resources(spec.estimate(), max_seconds=float("inf"))
    coords.update({ax.name: ax.values(params[ax.name]) for ax in axes})
    return spec


# ----------------------------------------------------------------------------- evaluation (workers)


def _jsonable(x: Any) -> Any:
    """Plain JSON values that round-trip exactly (NaN/inf kept, floats by repr); see :func:`opentangle._io.jsonable`."""
    return jsonable(x)


@dataclass(frozen=True)
class Task:
    """One chunk of grid points for a worker: the swept values, the fixed ones and what to return."""

    study: str
    names: tuple[str, ...]
    columns: list[list[Any]]
    indices: list[int]
    fixed: dict[str, Any]
    measures: tuple[str, ...]
    all_measures: tuple[str, ...]
    seed: int | None
    batch: bool


@dataclass(frozen=True)
class Record:
    """One checkpoint line: flat indices ``i``, values ``v[measure]`` (aligned with ``i``), errors ``e``."""

    i: list[int]
    v: dict[str, list[Any]]
    e: dict[str, str] = field(default_factory=dict)

    def _body(self) -> str:
        return json.dumps({"i": self.i, "v": self.v, "e": self.e}, sort_keys=True, allow_nan=True)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self._body().encode()).hexdigest()[:16]

    def to_line(self) -> bytes:
        """The JSON line written to the checkpoint, with its checksum ``c``."""
        body = self._body()
        return (body[:-1] + f', "c": "{hashlib.sha256(body.encode()).hexdigest()[:16]}"}}\n').encode()

    @classmethod
    def from_line(cls, line: bytes, spec: SweepSpec) -> tuple["Record | None", str]:
        """The record of a checkpoint line and ``""``, or ``None`` and why it is bad."""
        try:
            raw = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None, "unreadable line"
        if not isinstance(raw, dict) or set(raw) != {"i", "v", "e", "c"}:
            return None, "malformed record"
        i, v, e = raw["i"], raw["v"], raw["e"]
        if not (isinstance(i, list) and isinstance(v, dict) and isinstance(e, dict)):
            return None, "malformed record"
        rec = cls(i, v, e)
        if raw["c"] != rec.checksum:
            return None, "checksum mismatch (edited?)"
        return rec, rec.problem(spec)

    def problem(self, spec: SweepSpec) -> str:
        """``""`` when the record fits ``spec``; else what is wrong with it."""
        n = spec.size
        if not self.i or not all(type(k) is int for k in self.i):  # noqa: E721 - bool is not an index
            return "index not an integer"
        if not all(0 <= k < n for k in self.i) or len(set(self.i)) != len(self.i):
            return f"index out of range [0, {n}) or repeated"
        missing = [m for m in spec.measures if m not in self.v]
        if missing:
            return f"missing measure {missing[0]!r}"
        for m in spec.measures:
            col = self.v[m]
            if not isinstance(col, list) or len(col) != len(self.i) or not all(map(_plain_value, col)):
                return f"values of {m!r} of the wrong type or length"
        if not all(isinstance(k, str) and isinstance(x, str) for k, x in self.e.items()):
            return "malformed error entry"
        return ""


def _plain_value(x: Any) -> bool:
    """A value a measure may take in a checkpoint: None, bool, number, string or a list of numbers."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return True
    return isinstance(x, list) and all(v is None or isinstance(v, (int, float, list)) for v in x)


def _check_keys(res: Any, task: Task, what: str) -> None:
    """The keys a study returned against its MEASURES: an unlisted or a missing key is an error naming it."""
    if not isinstance(res, Mapping):
        raise InvalidParameterError(f"{what} of {task.study!r} returned {type(res).__name__}, not a dict of measures")
    extra = [k for k in res if k not in task.all_measures]
    if extra:
        raise InvalidParameterError(
            f"{what} of {task.study!r} returned key {extra[0]!r} that MEASURES does not list "
            f"({', '.join(task.all_measures)}); add it to MEASURES or fix its spelling"
        )
    missing = [m for m in task.measures if m not in res]
    if missing:
        raise InvalidParameterError(
            f"{what} of {task.study!r} did not return {missing[0]!r}, which MEASURES lists; return it "
            "(None where it does not apply) or remove it from MEASURES"
        )


def _evaluate_chunk(task: Task) -> Record:
    """Evaluate one chunk; runs in a worker.  Returns a checkpoint record."""
    module = resolve_study(task.study)
    out: dict[str, list[Any]] = {m: [] for m in task.measures}
    errors: dict[str, str] = {}
    if task.batch:
        _evaluate_batch(module, task, out, errors)
    else:
        for row, idx in zip(zip(*task.columns), task.indices):
            kw = dict(task.fixed)
            kw.update(zip(task.names, row))
            if task.seed is not None:
                kw["seed"] = point_seed(task.seed, idx)
            try:
                res = module.evaluate(**kw)
            except POINT_FAILURES as exc:
                errors[str(idx)] = f"{type(exc).__name__}: {exc}"
                res = None
            if res is not None:
                _check_keys(res, task, "evaluate")
            for m in task.measures:
                out[m].append(None if res is None else jsonable(res[m]))
    return Record([int(i) for i in task.indices], out, errors)


def _evaluate_batch(module: Any, task: Task, out: dict[str, list[Any]], errors: dict[str, str]) -> None:
    cols = [np.asarray(c) for c in task.columns]
    extra = {"measures": task.measures} if _accepts(module.evaluate_batch, "measures") else {}

    def run(lo: int, hi: int) -> None:
        # bisect a failing batch down to the failing points, which become NaN
        try:
            res = module.evaluate_batch({n: c[lo:hi] for n, c in zip(task.names, cols)}, dict(task.fixed), **extra)
        except POINT_FAILURES as exc:
            if hi - lo == 1:
                errors[str(task.indices[lo])] = f"{type(exc).__name__}: {exc}"
                for m in task.measures:
                    out[m].append(None)
                return
            mid = (lo + hi) // 2
            run(lo, mid)
            run(mid, hi)
            return
        _check_keys(res, task, "evaluate_batch")
        for m in task.measures:
            arr = np.asarray(res[m])
            vals = arr.reshape((hi - lo,) + arr.shape[1:]) if arr.ndim else [arr] * (hi - lo)
            out[m].extend(jsonable(vals))

    run(0, len(task.indices))


def _accepts(fn: Any, name: str) -> bool:
    """Whether ``fn`` takes keyword ``name`` (lets a batch skip measures nobody asked for)."""
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


# ----------------------------------------------------------------------------- checkpoint + output


def checkpoint_path(out: str | os.PathLike, key: str) -> Path:
    """The append-only checkpoint file of a sweep writing ``out``."""
    out = Path(out)
    return out.with_name(f".{out.name}.{key}.partial.jsonl")


def _header(spec: SweepSpec, out: Path) -> bytes:
    head = {"opentangle_checkpoint": CHECKPOINT_FORMAT, "key": spec.key, "out": out.name, "study": spec.study,
            "code": spec.code, "points": spec.size}
    return (json.dumps(head, sort_keys=True) + "\n").encode()


def _read_header(path: Path) -> dict[str, Any] | None:
    """The header of a checkpoint that opentangle wrote, else None."""
    try:
        with path.open("rb") as fh:
            head = json.loads(fh.readline(4096).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return head if isinstance(head, dict) and head.get("opentangle_checkpoint") == CHECKPOINT_FORMAT else None


@dataclass
class Checkpoint:
    """The records of a checkpoint file that passed every check, and where good data end."""

    records: list[Record]
    good_end: int
    dropped: Counter

    @property
    def done(self) -> set[int]:
        return {i for rec in self.records for i in rec.i}


def _read_checkpoint(path: Path, spec: SweepSpec, out: Path) -> Checkpoint:
    """Load ``path``, keeping only records that pass every check (see :meth:`Record.problem`).

    A torn last line (a killed run) is cut; any other bad line is dropped, counted and
    the file is rewritten without it, so that its points are recomputed once.
    """
    ck = Checkpoint([], 0, Counter())
    if not path.exists():
        return ck
    with path.open("rb") as fh:
        data = fh.read()
    lines = data.splitlines(keepends=True)
    head = _header(spec, out)
    if not lines or lines[0] != head:
        if lines and lines[0].endswith(b"\n"):
            ck.dropped["not this sweep's checkpoint (header differs)"] += len(lines)
        lines = []
    seen: set[int] = set()
    for line in lines[1:]:
        if not line.endswith(b"\n"):
            continue  # torn last line: that chunk is recomputed, silently (a kill, not a corruption)
        rec, why = Record.from_line(line, spec)
        if rec is not None and not why and seen.isdisjoint(rec.i):
            ck.records.append(rec)
            seen.update(rec.i)
        else:
            ck.dropped[why or "points already recorded"] += 1
    if ck.dropped or (lines and not lines[-1].endswith(b"\n")):
        good = b"".join([head] + [r.to_line() for r in ck.records])
        from opentangle._io import write_bytes_atomic

        write_bytes_atomic(path, good, fsync=True)
        ck.good_end = len(good)
    else:
        ck.good_end = len(data)
    return ck


def _warn_dropped(path: Path, dropped: Counter) -> None:
    if dropped:
        why = ", ".join(f"{n} x {reason}" for reason, n in dropped.most_common())
        warnings.warn(
            f"checkpoint {path}: dropped {sum(dropped.values())} bad record(s) ({why}); their points are recomputed",
            CheckpointWarning,
            stacklevel=3,
        )


def _open_checkpoint(path: Path, good_end: int, head: bytes) -> Any:
    """Open ``path`` for appending, first cutting it back to ``good_end`` (drops a torn tail)."""
    fh = path.open("ab")
    try:
        end = fh.seek(0, os.SEEK_END)
        if end > good_end:
            fh.truncate(good_end)
            fh.seek(good_end)
        if good_end == 0:
            fh.write(head)
            fh.flush()
    except BaseException:
        fh.close()
        raise
    return fh


def _remove_obsolete_checkpoints(out: Path, keep: str | None) -> list[Path]:
    """Remove checkpoints of ``out`` that opentangle wrote for other arguments or code (now obsolete)."""
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.([0-9a-f]{{16}})\.partial\.jsonl$")
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(out.parent if str(out.parent) else "."):
            m = pattern.match(entry.name)
            if not m or m.group(1) == keep or not entry.is_file(follow_symlinks=False):
                continue
            head = _read_header(Path(entry.path))
            if head is not None and head.get("out") == out.name and head.get("key") == m.group(1):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def write_netcdf_atomic(ds: Any, path: str | os.PathLike) -> Path:
    """Write ``ds`` with h5netcdf to a temporary file in the same folder, fsync, then rename."""
    return save_netcdf(ds, path, fsync=True)


def _check_writable(out: Path) -> None:
    check_output_path(out)


def _attr(value: Any) -> Any:
    """A NetCDF-safe attribute value."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)) and not -(2**63) <= int(value) < 2**63:
        return str(value)
    if isinstance(value, (int, float, str, np.integer, np.floating)):
        return value
    return json.dumps(jsonable(value))


def _column(m: str, col: list[Any]) -> np.ndarray:
    """One measure's values as an array; the dtype never comes from the first value alone."""
    template = next((v for v in col if v is not None), None)
    try:
        if isinstance(template, str):
            if not all(v is None or isinstance(v, str) for v in col):
                raise ValueError("strings mixed with other values")
            return np.array(["" if v is None else v for v in col], dtype=str)
        if isinstance(template, list):
            fill = np.full(np.shape(template), np.nan).tolist()
            return np.array([fill if v is None else v for v in col], dtype=float)
        if all(type(v) is bool for v in col):  # noqa: E721 - exact types: no None (failure), no mix
            return np.array(col, dtype=bool)
        if all(type(v) is int for v in col) and all(-(2**63) <= v < 2**63 for v in col):  # noqa: E721
            return np.array(col, dtype=np.int64)
        return np.array([np.nan if v is None else float(v) for v in col], dtype=float)
    except (ValueError, TypeError) as exc:
        raise InvalidParameterError(
            f"measure {m!r} has values of different types or shapes at different points ({exc}); a measure "
            "must be a number, a bool, a string or a fixed-length list at every point"
        ) from None


def _assemble(spec: SweepSpec, records: Iterable[Record | dict[str, Any]], *, resumed: int = 0) -> Any:
    """The Dataset from checkpoint records (the only path, so resumed == fresh)."""
    import xarray as xr

    n = spec.size
    per: dict[str, list[Any]] = {m: [None] * n for m in spec.measures}
    failed: dict[int, str] = {}
    for rec in records:
        rec = rec if isinstance(rec, Record) else Record(rec["i"], rec["v"], rec.get("e", {}))
        for m in spec.measures:
            col = per[m]
            for i, v in zip(rec.i, rec.v[m]):
                col[i] = v
        for k, msg in rec.e.items():
            failed[int(k)] = msg
    dims = tuple(a.name for a in spec.axes)
    variables = spec.variables
    data_vars = {}
    for m in spec.measures:
        arr = _column(m, per[m])
        per[m] = []  # free as we go
        var = variables[m]
        extra = tuple(f"{var}_dim{k}" for k in range(arr.ndim - 1))
        data_vars[var] = (dims + extra, arr.reshape(spec.shape + arr.shape[1:]))
    attrs: dict[str, Any] = {
        "study": spec.study,
        "opentangle_version": __version__,
        "swept_parameters": json.dumps(list(dims)),
        "fixed_parameters": json.dumps(sorted(spec.fixed)),
        "measures": json.dumps(list(spec.measures)),
        "seed": spec.seed,
        "seeded": int(spec.seeded),
        "seed_rule": "point k (flat C-order index) uses numpy SeedSequence(seed, spawn_key=(k,)).generate_state(1, uint32)[0]",
        "evaluation": "evaluate_batch" if spec.batch else "evaluate",
        "failed_points": len(failed),
        "grid": json.dumps([a.describe() for a in spec.axes]),
        "code_hash": spec.code,
        "checkpoint_key": spec.key,
        "resumed_points": int(resumed),
        "resumed_from": json.dumps([spec.key] if resumed else []),
    }
    renamed = {m: v for m, v in variables.items() if m != v}
    if renamed:  # a measure named like a swept parameter (thermalize's gamma): see docs/sweeps.md
        attrs["renamed_measures"] = json.dumps(renamed)
    if failed:
        first = min(failed)
        attrs["first_failure"] = f"point {first}: {failed[first]}"
    for k, v in spec.fixed.items():
        attrs[k] = _attr(v)
    coords = {name: (name, spec.coords[name]) for name in dims}
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


# ----------------------------------------------------------------------------- running


@dataclass
class SweepResult:
    """Outcome of :func:`run_sweep`."""

    dataset: Any
    out: Path | None
    points: int
    computed: int
    resumed: int
    failed: int
    backend: str
    seconds: float

    def __repr__(self) -> str:
        shape = " x ".join(f"{k}={v}" for k, v in self.dataset.sizes.items())
        return (
            f"SweepResult({shape}, points={self.points}, computed={self.computed}, "
            f"resumed={self.resumed}, failed={self.failed}, backend={self.backend!r}, "
            f"seconds={self.seconds:.2f}, out={str(self.out) if self.out else None!r})"
        )

    def summary(self) -> dict[str, Any]:
        return {
            "out": str(self.out) if self.out else None,
            "dims": {k: int(v) for k, v in self.dataset.sizes.items()},
            "measures": list(self.dataset.data_vars),
            "points": self.points,
            "computed": self.computed,
            "resumed": self.resumed,
            "failed": self.failed,
            "backend": self.backend,
            "seconds": round(self.seconds, 3),
        }


def _connect(address: str, timeout: float) -> Any:
    """A Dask client for ``address``; :class:`SchedulerError` within ``timeout`` (+ import time) if unreachable."""
    try:
        import asyncio

        from dask.distributed import Client
        from distributed.comm import connect
    except ImportError as exc:  # pragma: no cover - dask is a test dependency
        raise SchedulerError("--scheduler needs Dask: pip install 'opentangle[dask]'") from exc

    def fail(why: str) -> SchedulerError:
        return SchedulerError(
            f"cannot reach the Dask scheduler at {address!r} ({why}); check the address "
            "(tcp://host:port) and that `dask scheduler` is running there"
        )

    async def probe() -> None:  # handshake only: a refused, silent or non-Dask port fails here
        comm = await connect(address, timeout=timeout)
        await comm.close()

    try:
        asyncio.run(asyncio.wait_for(probe(), timeout + 1.0))
    except (asyncio.TimeoutError, TimeoutError):
        raise fail(f"no answer within {timeout:g} s") from None
    except Exception as exc:  # noqa: BLE001 - any failure here means "not a usable scheduler"
        raise fail(f"{type(exc).__name__}: {str(exc)[:120]}") from None
    try:
        return Client(address, timeout=f"{timeout}s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001
        raise fail(f"{type(exc).__name__}: {str(exc)[:120]}") from None


def _die_with_parent(parent_pid: int) -> None:
    """Pool-worker initializer: exit when the sweep process dies (``kill -9`` leaves no orphans).

    On Linux the kernel sends SIGKILL on the parent's death (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere, or if that call fails, a daemon thread polls ``os.getppid()``.
    """
    import signal
    import threading

    armed = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            armed = libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) == 0
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    if armed:
        return

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="opentangle-parent-watchdog", daemon=True).start()


def _dask_lost(exc: BaseException) -> bool:
    """Whether ``exc`` means the Dask scheduler (or the connection to it) is gone, not a study error."""
    import asyncio
    import concurrent.futures

    names = {"FutureCancelledError", "CancelledError", "CommClosedError", "StreamClosedError", "TimeoutError"}
    return isinstance(exc, (asyncio.CancelledError, concurrent.futures.CancelledError, ConnectionError,
                            TimeoutError)) or type(exc).__name__ in names


def _run_tasks(tasks: list[Task], *, workers: int, client: Any = None) -> Iterator[Record]:
    """Yield checkpoint records as tasks finish (any order).

    ``client`` is a connected Dask client (see :func:`_connect`); the caller closes it.
    A lost scheduler raises :class:`SchedulerError`, a crashed pool :class:`BackendError`.
    """
    if client is not None:
        yield from _run_dask(tasks, client)
    elif workers <= 1 or len(tasks) <= 1:
        for t in tasks:
            yield _evaluate_chunk(t)
    else:
        yield from _run_pool(tasks, workers)


def _run_dask(tasks: list[Task], client: Any) -> Iterator[Record]:
    from dask.distributed import as_completed

    futures = [client.submit(_evaluate_chunk, t, pure=False, retries=3) for t in tasks]
    try:
        for fut in as_completed(futures, loop=client.loop):
            try:
                rec = fut.result()
            except Exception as exc:
                if isinstance(exc, OpentangleError) or not _dask_lost(exc):
                    raise
                raise SchedulerError(
                    f"lost the Dask scheduler mid-sweep ({type(exc).__name__}{': ' + str(exc)[:80] if str(exc) else ''})"
                ) from None
            yield rec
    finally:
        with contextlib.suppress(Exception):
            client.cancel(futures)


def _run_pool(tasks: list[Task], workers: int) -> Iterator[Record]:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        pending = set()
        it = iter(tasks)

        def refill() -> None:  # bounded window: at most 2*workers tasks in flight
            for t in it:
                pending.add(pool.submit(_evaluate_chunk, t))
                if len(pending) >= 2 * workers:
                    break

        try:
            refill()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        rec = fut.result()
                    except BrokenProcessPool:
                        raise BackendError("a worker process died (killed, or out of memory)") from None
                    yield rec
                refill()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def _progress(total: int, done: int, enabled: bool, label: str) -> Iterator[Any]:
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total, completed=done)
        yield lambda n: bar.advance(task, n)



import typer  # noqa: E402  (the API above needs no CLI)


def _check_backend(workers: int | None, scheduler: str | None) -> str | None:
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
            raise InvalidParameterError(f"--workers must be >= 1, got {workers}")
        if workers > max_workers():
            raise InvalidParameterError(
                f"--workers {workers} is more than {max_workers()} (4 per CPU core on this machine, "
                f"{os.cpu_count()} cores); every worker is a process"
            )
    if scheduler is not None and not scheduler.strip():
        scheduler = None
    if scheduler is not None and not _ADDRESS.match(scheduler.strip()):
        raise SchedulerError(f"malformed scheduler address {scheduler!r}; expected tcp://host:port")
    return scheduler


def _load_resume(ckpt: Path | None, spec: SweepSpec, out: Path | None, resume: bool) -> Checkpoint:
    if ckpt is None:
        return Checkpoint([], 0, Counter())
    try:
        if resume:
            ck = _read_checkpoint(ckpt, spec, out)
            _warn_dropped(ckpt, ck.dropped)
            return ck
        if ckpt.exists():
            ckpt.unlink()
    except OSError as exc:
        raise InvalidParameterError(
            f"cannot use the checkpoint {ckpt}: {exc.strerror or exc}; use --restart or another --out"
        ) from None
    return Checkpoint([], 0, Counter())


def _tasks(spec: SweepSpec, done: set[int]) -> list[Task]:
    names = tuple(a.name for a in spec.axes)
    axes = [spec.coords[n] for n in names]
    tasks = []
    for chunk in spec.chunks():
        if done.issuperset(chunk.tolist()):
            continue
        sub = np.unravel_index(chunk, spec.shape)  # no full meshgrid: memory stays O(chunk)
        columns = [ax[s].tolist() for ax, s in zip(axes, sub)]
        tasks.append(Task(spec.study, names, columns, chunk.tolist(), spec.fixed, spec.measures,
                          spec.all_measures, spec.seed if spec.seeded else None, spec.batch))
    return tasks


def _saved_note(ckpt: Path | None, saved: int, total: int) -> str:
    if ckpt is None:
        return "nothing was saved (no --out)"
    return (f"the checkpoint {ckpt} is intact with {saved}/{total} points; rerun the same command to resume "
            "without recomputing them")


def run_sweep(
    study: str | Any,
    *,
    axes: Sequence[GridAxis | str],
    fixed: dict[str, Any] | None = None,
    measures: Sequence[str] | None = None,
    out: str | os.PathLike | None = None,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    batch: bool | None = None,
    resume: bool = True,
    progress: bool = False,
    connect_timeout: float = 3.0,
) -> SweepResult:
    r"""Evaluate a study on the grid ``axes[0] x axes[1] x ...`` and return an xarray Dataset.

    Parameters
    ----------
    study : str or module
        Study name (``opentangle.studies``), a ``.py`` file, a dotted module path or ``module:Name``.
    axes : ``GridAxis`` or strings
        Swept parameters: ``"NAME=START:STOP:NUM"`` (linspace), ``"NAME=START:STOP:NUM:log"``
        (geomspace) or ``"NAME=V1,V2,..."``.
    fixed : dict
        Overrides of the other parameters' defaults.
    measures : list of str
        Measures to keep (default: all of ``study.MEASURES``).
    out : path
        NetCDF file (h5netcdf); written atomically.  Enables checkpoint/resume.
    seed : int
        Sweep seed in ``[0, 2**63 - 1]``; point ``k`` uses :func:`point_seed` ``(seed, k)``.
    workers : int
        Local process-pool size (default ``os.cpu_count()``, at most 4 per core); 1 runs in-process.
        Batch studies run in-process unless ``workers`` is given.
    scheduler : str
        ``tcp://host:port`` of a Dask scheduler; points run as Dask tasks there.
    batch : bool
        Use ``evaluate_batch`` (default: when the study has it and is not seeded).

    Returns
    -------
    SweepResult
        ``.dataset``: dims named as the swept parameters, one variable per measure.

    Raises
    ------
    InvalidParameterError
        Bad arguments, a study returning keys its ``MEASURES`` does not list (or missing one),
        a grid too large for memory (:class:`~opentangle.errors.ResourceLimitError`).
    OutputError
        The disk is full or failing; the checkpoint keeps every finished point.
    BackendError, SchedulerError
        Workers or the Dask scheduler went away; the checkpoint keeps every finished point.

    Examples
    --------
    >>> res = run_sweep("reset", axes=["r=0:4:5", "g=0:4:5"], fixed={"gamma": 1.0})  # doctest: +SKIP
    >>> res.dataset["negativity"].shape                                              # doctest: +SKIP
    (5, 5)
    """
    t0 = time.perf_counter()
    spec = make_spec(study, axes=axes, fixed=fixed, measures=measures, seed=seed, batch=batch)
    scheduler = _check_backend(workers, scheduler)
    out = check_output_path(out) if out is not None else None
    if workers is None:
        workers = 1 if spec.batch else (os.cpu_count() or 1)
    ckpt = checkpoint_path(out, spec.key) if out is not None else None
    ck = _load_resume(ckpt, spec, out, resume)
    resumed = len(ck.done)
    tasks = _tasks(spec, ck.done)
    backend = f"dask:{scheduler}" if scheduler else ("in-process" if workers <= 1 or len(tasks) <= 1 else f"pool:{workers}")
    # connect first: an unreachable scheduler leaves no checkpoint file behind
    client = _connect(scheduler, connect_timeout) if scheduler and tasks else None
    records = ck.records
    computed = _compute(spec, tasks, records, ckpt, ck.good_end, workers, client, progress, out, resumed)
    ds = _assemble(spec, records, resumed=resumed)
    if out is not None:
        try:
            write_netcdf_atomic(ds, out)
        except OutputError as exc:
            raise OutputError(f"{exc}; {_saved_note(ckpt, spec.size, spec.size)}", errno=exc.errno,
                              path=exc.filename) from None
        with contextlib.suppress(OSError):
            ckpt.unlink()
        _remove_obsolete_checkpoints(out, keep=None)
    return SweepResult(
        dataset=ds, out=out, points=spec.size, computed=computed, resumed=resumed,
        failed=int(ds.attrs["failed_points"]), backend=backend, seconds=time.perf_counter() - t0,
    )


def _compute(spec: SweepSpec, tasks: list[Task], records: list[Record], ckpt: Path | None, good_end: int,
             workers: int, client: Any, progress: bool, out: Path | None, resumed: int) -> int:
    """Run ``tasks``, appending each record to ``records`` and the checkpoint; return the points computed."""
    fh = None
    computed = 0
    todo = sum(len(t.indices) for t in tasks)
    results = _run_tasks(tasks, workers=workers, client=client)
    try:
        if ckpt is not None and tasks:
            try:
                fh = _open_checkpoint(ckpt, good_end, _header(spec, out))
                good_end = fh.tell()  # after the header of a new file
            except OSError as exc:
                raise InvalidParameterError(
                    f"cannot write the checkpoint {ckpt}: {exc.strerror or exc}; choose another --out"
                ) from None
        with _progress(spec.size, resumed, progress and todo > 0, f"sweep {spec.study}") as advance:
            for rec in results:
                if fh is not None:
                    good_end = _append(fh, rec, ckpt, good_end, resumed + computed, spec.size)
                records.append(rec)
                computed += len(rec.i)
                advance(len(rec.i))
    except KeyboardInterrupt:
        if ckpt is not None:
            print(
                f"opentangle: interrupted; {resumed + computed}/{spec.size} points saved in {ckpt}; "
                "rerun the same command to resume",
                file=sys.stderr,
            )
        raise
    except BackendError as exc:
        raise type(exc)(f"{exc}; {_saved_note(ckpt, resumed + computed, spec.size)}") from None
    finally:
        results.close()  # cancels what is still queued (pool or Dask) right away
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
    return computed


def _append(fh: Any, rec: Record, ckpt: Path, good_end: int, saved: int, total: int) -> int:
    """Append one record; on a failing disk cut back to the last good line and raise OutputError."""
    line = rec.to_line()
    try:
        fh.write(line)
        fh.flush()
    except OSError as exc:
        from opentangle._io import disk_error

        with contextlib.suppress(OSError):
            fh.truncate(good_end)
        err = disk_error(exc, ckpt, needed=len(line))
        raise OutputError(f"{err}; {_saved_note(ckpt, saved, total)}", errno=exc.errno, path=str(ckpt)) from None
    return good_end + len(line)


# ----------------------------------------------------------------------------- CLI


def command(
    study: str = typer.Argument(..., help="Study: a name (see `opentangle --help`), a file my_study.py, a module, or module:Name."),
    param: list[str] = typer.Option(
        None, "--param", "-p", metavar="NAME=START:STOP:NUM[:log] | NAME=V1,V2,...",
        help="Swept parameter: linear NAME=START:STOP:NUM, log NAME=START:STOP:NUM:log, or a list NAME=V1,V2 (repeat for more dimensions).",
    ),
    set_: list[str] = typer.Option(None, "--set", "-s", metavar="NAME=VALUE", help="Fixed parameter NAME=VALUE (repeatable)."),
    measure: list[str] = typer.Option(None, "--measure", "-m", metavar="KEY", help="Measure to keep (repeatable; default all)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output NetCDF file, e.g. reset.nc."),
    workers: int = typer.Option(None, "--workers", "-w", metavar="K", help="Local worker processes (default: all cores; at most 4 per core)."),
    scheduler: str = typer.Option(
        None, "--scheduler", metavar="ADDRESS", envvar="DASK_SCHEDULER_ADDRESS", help="Dask scheduler tcp://host:port."
    ),
    seed: int = typer.Option(0, "--seed", help="Sweep seed in [0, 2**63-1]; point k uses a seed derived from (seed, k)."),
    restart: bool = typer.Option(False, "--restart", help="Discard a checkpoint instead of resuming."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON summary; no progress bar."),
) -> None:
    """Sweep a study over a parameter grid and write an xarray Dataset (NetCDF).

    Example: opentangle sweep reset --param r=0:4:201 --param g=0:4:201 --out reset.nc
    """
    module = resolve_study(study)
    fixed = dict(parse_set(s, dict(module.PARAMETERS)) for s in (set_ or []))
    res = run_sweep(
        study,
        axes=[GridAxis.parse(p) for p in (param or [])],
        fixed=fixed,
        measures=measure or None,
        out=out,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        resume=not restart,
        progress=not json_ and sys.stderr.isatty(),
    )
    if json_:
        print(json.dumps(res.summary()))
    else:
        s = res.summary()
        print(
            f"wrote {s['out']}: {' x '.join(f'{k}={v}' for k, v in s['dims'].items())}, "
            f"{s['computed']} computed, {s['resumed']} resumed, {s['failed']} failed, "
            f"{s['seconds']:.2f} s ({s['backend']})"
        )
