"""Parameter sweeps over a study: local process pool or Dask, checkpointed, written as NetCDF.

``opentangle sweep STUDY --param NAME=START:STOP:NUM ... --out FILE.nc`` evaluates a
study on the Cartesian grid of the swept parameters and writes an
:class:`xarray.Dataset` with one dimension per swept parameter (named exactly as
the parameter) and one variable per measure.  Fixed parameters, the package
version and the seeds are stored as attributes.

Every finished point (or batch chunk) is appended to a checkpoint file
``.<FILE>.<key>.partial.jsonl`` next to the output, where ``key`` hashes the
sweep arguments that determine the result (not the worker count or backend).
Rerunning the same command after Ctrl-C, ``kill -9`` or a crash continues from
it; the final file is byte-identical to an uninterrupted run.

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
import importlib
import json
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from opentangle import __version__
from opentangle._io import can_create_in, save_netcdf
from opentangle.errors import (
    ConvergenceError,
    InvalidParameterError,
    NonUniqueSteadyStateError,
    OpentangleError,
)

__all__ = [
    "GridAxis",
    "SchedulerError",
    "SweepResult",
    "SweepSpec",
    "checkpoint_path",
    "command",
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


_ADDRESS = re.compile(r"^inproc://\S+$|^([a-z]+://)?(\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):\d{1,5}$")


class SchedulerError(OpentangleError, ConnectionError):
    """The Dask scheduler could not be reached, or Dask is not installed."""


# ----------------------------------------------------------------------------- studies


def resolve_study(name: str) -> ModuleType:
    """The study module for ``name``.

    ``name`` is one of :data:`opentangle.studies.STUDY_NAMES`, or a dotted module
    path (``mypkg.mystudy``) of a module that follows the study interface of
    ``docs/CONTRACTS.md``.  Raises :class:`InvalidParameterError` otherwise.
    """
    from opentangle.studies import STUDY_NAMES, available_studies, load_study

    module: ModuleType | None = None
    if name in STUDY_NAMES:
        try:
            module = load_study(name)
        except KeyError:
            module = None
    elif "." in name:
        try:
            module = importlib.import_module(name)
        except ImportError:
            module = None
    if module is None or not all(hasattr(module, a) for a in ("PARAMETERS", "MEASURES", "evaluate")):
        known = ", ".join(available_studies()) or "none installed yet"
        raise InvalidParameterError(
            f"unknown study {name!r}; available studies: {known} (or give a dotted module path)"
        )
    return module


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
    except ValueError:
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


@dataclass(frozen=True)
class GridAxis:
    """One swept parameter: ``values = linspace(start, stop, num)``."""

    name: str
    start: float
    stop: float
    num: int

    @classmethod
    def parse(cls, text: str) -> "GridAxis":
        """Parse ``NAME=START:STOP:NUM``."""
        name, sep, rng = text.partition("=")
        name = name.strip().replace("-", "_")
        parts = rng.split(":")
        if not sep or not name or len(parts) != 3:
            raise InvalidParameterError(
                f"malformed range {text!r}; expected NAME=START:STOP:NUM, e.g. --param r=0:4:41"
            )
        try:
            start, stop = float(parts[0]), float(parts[1])
        except ValueError:
            raise InvalidParameterError(f"malformed range {text!r}: START and STOP must be numbers") from None
        try:
            num = int(parts[2])
        except ValueError:
            raise InvalidParameterError(f"malformed range {text!r}: NUM must be an integer") from None
        return cls(name, start, stop, num)

    def __post_init__(self) -> None:
        if self.num < 1:
            raise InvalidParameterError(f"--param {self.name}: NUM must be >= 1, got {self.num}")
        if not (math.isfinite(self.start) and math.isfinite(self.stop)):
            raise InvalidParameterError(f"--param {self.name}: START and STOP must be finite")

    def values(self, default: Any = 0.0) -> np.ndarray:
        """The grid values, as integers when the parameter's default is an integer."""
        v = np.linspace(self.start, self.stop, self.num)
        if isinstance(default, (int, np.integer)) and not isinstance(default, bool):
            r = np.rint(v)
            if not np.allclose(v, r, rtol=0, atol=1e-9):
                raise InvalidParameterError(
                    f"parameter {self.name!r} is an integer; choose START:STOP:NUM so every point is an "
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
        return int(np.prod(self.shape))

    @property
    def key(self) -> str:
        """Hash of the result-determining arguments (not workers or backend)."""
        blob = json.dumps(
            {
                "study": self.study,
                "axes": [[a.name, a.start, a.stop, a.num] for a in self.axes],
                "fixed": _jsonable(self.fixed),
                "measures": list(self.measures),
                "seed": self.seed if self.seeded else None,
                "batch": self.batch,
                "version": __version__,
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def chunks(self) -> list[np.ndarray]:
        """Flat-index chunks; a deterministic partition of the grid (independent of workers)."""
        n = self.size
        per = min(n, BATCH_CHUNK) if self.batch else max(1, math.ceil(n / MAX_POINT_TASKS))
        return [np.arange(i, min(i + per, n)) for i in range(0, n, per)]


def make_spec(
    study: str | ModuleType,
    *,
    axes: Sequence[GridAxis | str],
    fixed: dict[str, Any] | None = None,
    measures: Sequence[str] | None = None,
    seed: int = 0,
    batch: bool | None = None,
) -> SweepSpec:
    """Validate sweep arguments against the study; raise before any work starts."""
    module = resolve_study(study) if isinstance(study, str) else study
    name = study if isinstance(study, str) else module.__name__
    params: dict[str, Any] = dict(module.PARAMETERS)
    axes = tuple(GridAxis.parse(a) if isinstance(a, str) else a for a in axes)
    if not axes:
        raise InvalidParameterError("nothing to sweep; give at least one --param NAME=START:STOP:NUM")
    coords = {}
    for ax in axes:
        _check_name(ax.name, params)
        if ax.name in coords:
            raise InvalidParameterError(f"parameter {ax.name!r} is swept twice")
        coords[ax.name] = ax.values(params[ax.name])
    fixed_all = {k: v for k, v in params.items() if k not in coords}
    for k, v in (fixed or {}).items():
        k = k.replace("-", "_")
        _check_name(k, params)
        if k in coords:
            raise InvalidParameterError(f"parameter {k!r} is both swept (--param) and fixed (--set)")
        fixed_all[k] = _coerce(k, v, params[k]) if isinstance(v, str) else v
    available = tuple(module.MEASURES)
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
    return SweepSpec(
        study=name,
        axes=axes,
        fixed=fixed_all,
        measures=tuple(measures),
        seed=int(seed),
        seeded=seeded,
        batch=bool(batch),
        coords=coords,
    )


# ----------------------------------------------------------------------------- evaluation (workers)


def _jsonable(x: Any) -> Any:
    """Plain JSON values that round-trip exactly (NaN/inf kept, floats by repr)."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "biuf":
            return x.tolist()
        return _jsonable(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x)
    if isinstance(x, (complex, np.complexfloating)):
        if x.imag != 0:
            raise InvalidParameterError("a measure returned a complex value; sweeps store real values")
        return float(x.real)
    if x is None or isinstance(x, str):
        return x
    return str(x)


def _evaluate_chunk(
    study: str,
    names: tuple[str, ...],
    columns: list[list[Any]],
    indices: list[int],
    fixed: dict[str, Any],
    measures: tuple[str, ...],
    seed: int | None,
    batch: bool,
) -> dict[str, Any]:
    """Evaluate one chunk; runs in a worker.  Returns a checkpoint record."""
    module = resolve_study(study)
    out: dict[str, list[Any]] = {m: [] for m in measures}
    errors: dict[str, str] = {}
    if batch:
        cols = [np.asarray(c) for c in columns]
        extra = {"measures": measures} if _accepts(module.evaluate_batch, "measures") else {}

        def run(lo: int, hi: int) -> None:
            # bisect a failing batch down to the failing points, which become NaN
            try:
                res = module.evaluate_batch({n: c[lo:hi] for n, c in zip(names, cols)}, dict(fixed), **extra)
            except POINT_FAILURES as exc:
                if hi - lo == 1:
                    errors[str(indices[lo])] = f"{type(exc).__name__}: {exc}"
                    for m in measures:
                        out[m].append(None)
                    return
                mid = (lo + hi) // 2
                run(lo, mid)
                run(mid, hi)
                return
            missing = [m for m in measures if m not in res]
            if missing:
                raise InvalidParameterError(f"evaluate_batch of {study!r} did not return {missing}")
            for m in measures:
                arr = np.asarray(res[m])
                vals = arr.reshape((hi - lo,) + arr.shape[1:]) if arr.ndim else [arr] * (hi - lo)
                out[m].extend(_jsonable(vals))

        run(0, len(indices))
    else:
        for row, idx in zip(zip(*columns), indices):
            kw = dict(fixed)
            kw.update(zip(names, row))
            if seed is not None:
                kw["seed"] = point_seed(seed, idx)
            try:
                res = module.evaluate(**kw)
            except POINT_FAILURES as exc:
                errors[str(idx)] = f"{type(exc).__name__}: {exc}"
                res = {}
            for m in measures:
                out[m].append(_jsonable(res.get(m)))
    return {"i": [int(i) for i in indices], "v": out, "e": errors}


def _accepts(fn: Any, name: str) -> bool:
    """Whether ``fn`` takes keyword ``name`` (lets a batch skip measures nobody asked for)."""
    import inspect

    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


# ----------------------------------------------------------------------------- checkpoint + output


def checkpoint_path(out: str | os.PathLike, key: str) -> Path:
    """The append-only checkpoint file of a sweep writing ``out``."""
    out = Path(out)
    return out.with_name(f".{out.name}.{key}.partial.jsonl")


def _read_checkpoint(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The records of a checkpoint and the byte offset just after its last good line.

    Unparsable lines (a torn last line of a killed run, or an older file where a
    record was appended to such a fragment) are skipped, not a reason to stop:
    every later good record is kept.  Their points are recomputed.
    """
    records: list[dict[str, Any]] = []
    good_end = 0
    if not path.exists():
        return records, good_end
    pos = 0
    with path.open("rb") as fh:
        for line in fh:
            pos += len(line)
            if not line.endswith(b"\n"):
                continue  # torn last line: that chunk is recomputed
            try:
                rec = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(rec, dict) and _valid_record(rec):
                records.append(rec)
                good_end = pos
    return records, good_end


def _valid_record(rec: dict[str, Any]) -> bool:
    i, v = rec.get("i"), rec.get("v")
    return (
        isinstance(i, list)
        and isinstance(v, dict)
        and all(isinstance(k, int) for k in i)
        and all(isinstance(col, list) and len(col) == len(i) for col in v.values())
    )


def _open_checkpoint(path: Path, good_end: int) -> Any:
    """Open ``path`` for appending, first cutting it back to ``good_end`` (drops a torn tail)."""
    fh = path.open("ab")
    try:
        if fh.seek(0, os.SEEK_END) > good_end:
            fh.truncate(good_end)
            fh.seek(good_end)
    except BaseException:
        fh.close()
        raise
    return fh


def write_netcdf_atomic(ds: Any, path: str | os.PathLike) -> Path:
    """Write ``ds`` with h5netcdf to a temporary file in the same folder, fsync, then rename."""
    return save_netcdf(ds, path, fsync=True)


def _check_writable(out: Path) -> None:
    if out.exists() and out.is_dir():
        raise InvalidParameterError(f"--out {out} is a directory; give a file name such as {out / 'sweep.nc'}")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidParameterError(f"cannot write {out}: folder {parent} does not exist; create it first")
    if not can_create_in(parent):
        raise InvalidParameterError(f"cannot write {out}: folder {parent} is not writable; choose another --out")
    if out.exists() and not os.access(out, os.W_OK):
        raise InvalidParameterError(f"cannot write {out}: permission denied; choose another --out")


def _attr(value: Any) -> Any:
    """A NetCDF-safe attribute value."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, float, str, np.integer, np.floating)):
        return value
    return json.dumps(_jsonable(value))


def _assemble(spec: SweepSpec, records: Iterable[dict[str, Any]]) -> Any:
    """The Dataset from checkpoint records (the only path, so resumed == fresh)."""
    import xarray as xr

    n = spec.size
    per: dict[str, list[Any]] = {m: [None] * n for m in spec.measures}
    failed: dict[int, str] = {}
    for rec in records:
        for m in spec.measures:
            col = per[m]
            for i, v in zip(rec["i"], rec["v"][m]):
                col[i] = v
        for k, msg in rec.get("e", {}).items():
            failed[int(k)] = msg
    dims = tuple(a.name for a in spec.axes)
    variables = spec.variables
    data_vars = {}
    for m in spec.measures:
        col = per[m]
        template = next((v for v in col if v is not None), None)
        if isinstance(template, str):
            arr = np.array(["" if v is None else v for v in col], dtype=str)
        elif isinstance(template, list):
            fill = np.full(np.shape(template), np.nan).tolist()
            arr = np.array([fill if v is None else v for v in col], dtype=float)
        elif all(type(v) is bool for v in col):  # noqa: E721 - exact types: no None (failure), no mix
            arr = np.array(col, dtype=bool)
        elif all(type(v) is int for v in col):  # noqa: E721 - bool is not int here
            arr = np.array(col, dtype=np.int64)
        else:  # floats, or a mix of int/float/bool (never cast by the first value), NaN for failures
            arr = np.array([np.nan if v is None else float(v) for v in col], dtype=float)
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


def _run_tasks(
    tasks: list[tuple],
    *,
    workers: int,
    client: Any = None,
) -> Iterator[dict[str, Any]]:
    """Yield checkpoint records as tasks finish (any order).

    ``client`` is a connected Dask client (see :func:`_connect`); the caller closes it.
    """
    if client is not None:
        from dask.distributed import as_completed

        futures = [client.submit(_evaluate_chunk, *t, pure=False, retries=3) for t in tasks]
        try:
            for fut in as_completed(futures, loop=client.loop):
                yield fut.result()
        finally:
            client.cancel(futures)
    elif workers <= 1 or len(tasks) <= 1:
        for t in tasks:
            yield _evaluate_chunk(*t)
    else:
        import multiprocessing as mp
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=mp.get_context("spawn"),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            pending = set()
            it = iter(tasks)
            try:
                # bounded window: at most 2*workers tasks in flight, so an interruption wastes little
                for t in it:
                    pending.add(pool.submit(_evaluate_chunk, *t))
                    if len(pending) >= 2 * workers:
                        break
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        yield fut.result()
                    for t in it:
                        pending.add(pool.submit(_evaluate_chunk, *t))
                        if len(pending) >= 2 * workers:
                            break
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


def run_sweep(
    study: str | ModuleType,
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
        Study name (``opentangle.studies``) or dotted module path.
    axes : ``GridAxis`` or ``"NAME=START:STOP:NUM"`` strings
        Swept parameters; ``values = linspace(START, STOP, NUM)``.
    fixed : dict
        Overrides of the other parameters' defaults.
    measures : list of str
        Measures to keep (default: all of ``study.MEASURES``).
    out : path
        NetCDF file (h5netcdf); written atomically.  Enables checkpoint/resume.
    seed : int
        Sweep seed; point ``k`` uses :func:`point_seed` ``(seed, k)``.
    workers : int
        Local process-pool size (default ``os.cpu_count()``); 1 runs in-process.
        Batch studies run in-process unless ``workers`` is given.
    scheduler : str
        ``tcp://host:port`` of a Dask scheduler; points run as Dask tasks there.
    batch : bool
        Use ``evaluate_batch`` (default: when the study has it and is not seeded).

    Returns
    -------
    SweepResult
        ``.dataset``: dims named as the swept parameters, one variable per measure.

    Examples
    --------
    >>> res = run_sweep("reset", axes=["r=0:4:5", "g=0:4:5"], fixed={"gamma": 1.0})  # doctest: +SKIP
    >>> res.dataset["negativity"].shape                                              # doctest: +SKIP
    (5, 5)
    """
    t0 = time.perf_counter()
    spec = make_spec(study, axes=axes, fixed=fixed, measures=measures, seed=seed, batch=batch)
    if workers is not None and workers < 1:
        raise InvalidParameterError(f"--workers must be >= 1, got {workers}")
    if out is not None:
        out = Path(out)
        _check_writable(out)
    if scheduler is not None and not scheduler.strip():
        scheduler = None
    if scheduler is not None and not _ADDRESS.match(scheduler.strip()):
        raise SchedulerError(f"malformed scheduler address {scheduler!r}; expected tcp://host:port")
    if workers is None:
        workers = 1 if spec.batch else (os.cpu_count() or 1)
    ckpt = checkpoint_path(out, spec.key) if out is not None else None
    records: list[dict[str, Any]] = []
    good_end = 0
    try:
        if ckpt is not None and resume:
            records, good_end = _read_checkpoint(ckpt)
        elif ckpt is not None and ckpt.exists():
            ckpt.unlink()
    except OSError as exc:
        raise InvalidParameterError(f"cannot use the checkpoint {ckpt}: {exc}; use --restart or another --out") from None
    done_idx = {i for rec in records for i in rec["i"]}
    names = tuple(a.name for a in spec.axes)
    grids = np.meshgrid(*(spec.coords[n] for n in names), indexing="ij")
    flat = [g.reshape(-1) for g in grids]
    tasks = []
    for chunk in spec.chunks():
        if done_idx.issuperset(chunk.tolist()):
            continue
        columns = [f[chunk].tolist() for f in flat]
        tasks.append(
            (spec.study, names, columns, chunk.tolist(), spec.fixed, spec.measures,
             spec.seed if spec.seeded else None, spec.batch)
        )
    resumed = len(done_idx)
    todo = sum(len(t[3]) for t in tasks)
    backend = f"dask:{scheduler}" if scheduler else ("in-process" if workers <= 1 or len(tasks) <= 1 else f"pool:{workers}")
    # connect first: an unreachable scheduler leaves no checkpoint file behind
    client = _connect(scheduler, connect_timeout) if scheduler and tasks else None
    fh = None
    computed = 0
    results = _run_tasks(tasks, workers=workers, client=client)
    try:
        if ckpt is not None and tasks:
            try:
                fh = _open_checkpoint(ckpt, good_end)
            except OSError as exc:
                raise InvalidParameterError(f"cannot write the checkpoint {ckpt}: {exc}; choose another --out") from None
        with _progress(spec.size, resumed, progress and todo > 0, f"sweep {spec.study}") as advance:
            for rec in results:
                if fh is not None:
                    fh.write((json.dumps(rec, allow_nan=True) + "\n").encode("utf-8"))
                    fh.flush()
                records.append(rec)
                computed += len(rec["i"])
                advance(len(rec["i"]))
    except KeyboardInterrupt:
        if ckpt is not None:
            print(
                f"opentangle: interrupted; {resumed + computed}/{spec.size} points saved in {ckpt}; "
                "rerun the same command to resume",
                file=sys.stderr,
            )
        raise
    finally:
        results.close()  # cancels what is still queued (pool or Dask) right away
        if fh is not None:
            fh.close()
        if client is not None:
            client.close()
    ds = _assemble(spec, records)
    if out is not None:
        write_netcdf_atomic(ds, out)
        with contextlib.suppress(OSError):
            ckpt.unlink()
    return SweepResult(
        dataset=ds,
        out=out,
        points=spec.size,
        computed=computed,
        resumed=resumed,
        failed=int(ds.attrs["failed_points"]),
        backend=backend,
        seconds=time.perf_counter() - t0,
    )


# ----------------------------------------------------------------------------- CLI

import typer  # noqa: E402  (kept below the library code: the API above needs no CLI)


def command(
    study: str = typer.Argument(..., help="Study name (see `opentangle --help`) or dotted module path."),
    param: list[str] = typer.Option(
        None, "--param", "-p", metavar="NAME=START:STOP:NUM", help="Swept parameter NAME=START:STOP:NUM (repeat for more dimensions)."
    ),
    set_: list[str] = typer.Option(None, "--set", "-s", metavar="NAME=VALUE", help="Fixed parameter NAME=VALUE (repeatable)."),
    measure: list[str] = typer.Option(None, "--measure", "-m", metavar="KEY", help="Measure to keep (repeatable; default all)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output NetCDF file, e.g. reset.nc."),
    workers: int = typer.Option(None, "--workers", "-w", metavar="K", help="Local worker processes (default: all cores)."),
    scheduler: str = typer.Option(
        None, "--scheduler", metavar="ADDRESS", envvar="DASK_SCHEDULER_ADDRESS", help="Dask scheduler tcp://host:port."
    ),
    seed: int = typer.Option(0, "--seed", help="Sweep seed; point k uses a seed derived from (seed, k)."),
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
