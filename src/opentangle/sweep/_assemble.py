"""Assembly of checkpoint records into an xarray Dataset, and the NetCDF writer."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from opentangle import __version__
from opentangle._io import check_output_path, jsonable, save_netcdf
from opentangle.errors import InvalidParameterError
from opentangle.sweep._checkpoint import Record
from opentangle.sweep._grid import SweepSpec


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
        if all(type(v) is bool for v in col):  # exact types: no None (failure), no mix
            return np.array(col, dtype=bool)
        if all(type(v) is int for v in col) and all(-(2**63) <= v < 2**63 for v in col):
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
