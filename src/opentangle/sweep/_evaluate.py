"""Evaluation in a worker: a :class:`Task` (chunk of grid points) becomes a checkpoint :class:`Record`."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._io import jsonable
from opentangle.errors import ConvergenceError, InvalidParameterError, NonUniqueSteadyStateError
from opentangle.studies._resolve import resolve_study
from opentangle.sweep._checkpoint import Record
from opentangle.sweep._grid import point_seed

#: per-point failures that become NaN (recorded in ``attrs["failed_points"]``) instead of stopping the sweep
POINT_FAILURES = (ConvergenceError, NonUniqueSteadyStateError)


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
