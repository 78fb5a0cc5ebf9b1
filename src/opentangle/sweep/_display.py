"""Jupyter display of a :class:`~opentangle.sweep.SweepResult`: a compact table and, for 1-D sweeps, a plot."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from opentangle._html import line_plot, table

#: at most this many measures get a row (and a line) of their own
MAX_ROWS = 8


def _log_axes(ds: Any) -> set[str]:
    try:
        grid = json.loads(ds.attrs.get("grid", "[]"))
    except (TypeError, ValueError):
        return set()
    return {str(a[0]) for a in grid if isinstance(a, list) and a and a[-1] == "log"}


def _axis_row(ds: Any, name: str, logs: set[str]) -> str:
    v = np.asarray(ds[name].values)
    if v.size and v.dtype.kind in "biuf":
        span = f"{v.min():g} .. {v.max():g}"
    else:
        span = ", ".join(map(str, v[:4].tolist())) + (", ..." if v.size > 4 else "")
    return f"{name}: {v.size} ({span}{', log' if name in logs else ''})"


def _numeric(values: Any) -> np.ndarray | None:
    """A float array of a numeric variable (bool counts as 0/1), else None."""
    arr = np.asarray(values)
    return arr.astype(float) if arr.dtype.kind in "biuf" else None


def _measure_row(ds: Any, name: str, dims: tuple[str, ...]) -> tuple[str, str]:
    var = ds[name]
    extra = [f"{var.sizes[d]}" for d in var.dims if d not in dims]
    shape = f" [{' x '.join(extra)} per point]" if extra else ""
    arr = _numeric(var.values)
    if arr is None:  # text (or objects): a few distinct values; failed points are empty
        seen = list(dict.fromkeys(str(v) for v in np.asarray(var.values).ravel() if str(v)))
        return name, f"text: {', '.join(seen[:3])}{', ...' if len(seen) > 3 else ''}{shape}"
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return name, f"no finite value{shape}"
    nan = arr.size - finite.size
    return name, f"{finite.min():.6g} .. {finite.max():.6g}{shape}" + (f", {nan} NaN" if nan else "")


def sweep_html(res: Any) -> str:
    """The HTML table (grid, measures, fixed parameters, failed/resumed points) and a 1-D plot."""
    ds = res.dataset
    dims = tuple(d for d in json.loads(ds.attrs.get("swept_parameters", "[]")) if d in ds.sizes) or tuple(ds.sizes)
    logs = _log_axes(ds)
    rows = [("study", str(ds.attrs.get("study", "?"))), ("grid", " x ".join(_axis_row(ds, d, logs) for d in dims))]
    fixed = [k for k in json.loads(ds.attrs.get("fixed_parameters", "[]")) if k in ds.attrs]
    if fixed:
        rows.append(("fixed", ", ".join(f"{k}={ds.attrs[k]}" for k in fixed)))
    rows.append(("points", f"{res.points} ({res.computed} computed, {res.resumed} resumed)"))
    failed = f"{res.failed}"
    if res.failed and "first_failure" in ds.attrs:
        failed += f" (first: {str(ds.attrs['first_failure'])[:120]})"
    rows.append(("failed", failed))
    names = list(ds.data_vars)
    rows += [_measure_row(ds, n, dims) for n in names[:MAX_ROWS]]
    if len(names) > MAX_ROWS:
        rows.append(("...", f"{len(names) - MAX_ROWS} more measures"))
    rows.append(("backend", f"{res.backend}, {res.seconds:.3g} s"))
    if res.out is not None:
        rows.append(("out", str(res.out)))
    plot = ""
    if len(dims) == 1:
        series = {n: a for n in names[:MAX_ROWS] if ds[n].ndim == 1 and (a := _numeric(ds[n].values)) is not None}
        plot = line_plot(ds[dims[0]].values, series, xlabel=dims[0], logx=dims[0] in logs)
    return table(rows, "SweepResult") + plot
