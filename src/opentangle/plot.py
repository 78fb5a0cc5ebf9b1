"""Quick-look plots of sweep results: ``opentangle plot FILE.nc [--out FIG.png]``.

One swept dimension gives a line; two give a heatmap with a colour bar and the
entanglement boundary (the contour where the measure becomes zero).  Uses the
object-oriented matplotlib API with the Agg canvas, so no display is needed.

Example
-------
>>> from opentangle.plot import plot_file
>>> plot_file("reset.nc", out="reset.png")          # doctest: +SKIP
PosixPath('reset.png')
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from opentangle._io import atomic_write, check_output_path
from opentangle._limits import Estimate, check_resources
from opentangle.errors import InvalidParameterError, OpentangleError

__all__ = ["choose_measure", "command", "plot_dataset", "plot_file"]

#: preferred measures, in order, when the file has several
PREFERRED = (
    "negativity",
    "log_negativity",
    "concurrence",
    "entanglement_of_formation",
    "average_negativity",
    "bell_fidelity",
    "fidelity",
)


def _plottable(ds: Any) -> list[str]:
    return [k for k, v in ds.data_vars.items() if v.dtype.kind in "biuf" and set(v.dims) <= set(_swept(ds))]


def _swept(ds: Any) -> list[str]:
    """Swept dimensions: those with a coordinate."""
    return [d for d in ds.dims if d in ds.coords]


#: substrings that mark an entanglement-like measure (``output_negativity``, ``singlet_fidelity``, ...)
KEYWORDS = ("negativity", "concurrence", "entropy", "fidelity")


def _constant(da: Any) -> bool:
    """Whether a variable has at most one distinct finite value (nothing to see in a plot)."""
    v = np.asarray(da.values, dtype=float)
    v = v[np.isfinite(v)]
    return v.size == 0 or bool(v.min() == v.max())


def choose_measure(ds: Any, measure: str | None = None) -> str:
    """The variable to plot: ``measure`` if given, else the most entanglement-like non-constant one.

    In order: the first of :data:`PREFERRED`, then the first name containing one of
    :data:`KEYWORDS` (in that order), looking at the non-constant variables first; then the
    first non-constant numeric variable.  A constant variable (such as a parameter echoed as
    a measure) is chosen only when nothing else fits.
    """
    names = _plottable(ds)
    if measure is not None:
        if measure not in ds.data_vars:
            raise InvalidParameterError(f"no variable {measure!r} in the file; it has: {', '.join(ds.data_vars)}")
        if measure not in names:
            raise InvalidParameterError(f"variable {measure!r} is not numeric over the swept dimensions")
        return measure
    if not names:
        raise InvalidParameterError("the file has no numeric variable over its swept dimensions to plot")
    varying = [n for n in names if not _constant(ds[n])]
    for pool in (varying, names):  # an entanglement measure, varying if one does
        for p in PREFERRED:
            if p in pool:
                return p
        for word in KEYWORDS:
            for n in pool:
                if word in n.lower():
                    return n
    return (varying or names)[0]


def _label(ds: Any, name: str) -> str:
    units = ds[name].attrs.get("units") if name in ds.variables else None
    return f"{name} [{units}]" if units else name


def _select(da: Any, select: dict[str, float] | None) -> Any:
    for name, value in (select or {}).items():
        if name not in da.dims:
            raise InvalidParameterError(f"--select {name}: not a dimension of {da.name!r} (dims: {', '.join(da.dims)})")
        da = da.sel({name: value}, method="nearest")
    return da


def _boundary(z: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Field and level whose contour is the measure-zero boundary (None if there is none)."""
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return None
    scale = float(np.max(np.abs(finite))) or 1.0
    tol = 1e-9 * scale
    if finite.min() < -tol and finite.max() > tol:
        return z, 0.0  # sign change: the zero level set itself
    mask = (np.abs(z) > tol).astype(float)  # one-signed measure (negativity): edge of the support
    if mask[np.isfinite(z)].min() == mask[np.isfinite(z)].max():
        return None
    return np.where(np.isfinite(z), mask, np.nan), 0.5


def plot_dataset(ds: Any, *, measure: str | None = None, select: dict[str, float] | None = None) -> Any:
    """A matplotlib ``Figure`` for a sweep Dataset.

    1-D: ``measure`` against the swept parameter.  2-D: heatmap of ``measure``
    with a colour bar and the contour ``measure = 0`` (for a non-negative
    measure, the edge of its support: the entanglement boundary).  Further
    dimensions must be fixed with ``select={name: value}`` (nearest point).
    """
    from matplotlib.figure import Figure

    name = choose_measure(ds, measure)
    da = _select(ds[name], select)
    dims = [d for d in da.dims if da.sizes[d] > 1] or list(da.dims)[:1]
    da = da.squeeze([d for d in da.dims if d not in dims])
    fig = Figure(figsize=(6.4, 4.8), layout="constrained")
    ax = fig.add_subplot()
    title = _study_title(str(ds.attrs.get("study", "")))
    logs = _log_axes(ds)
    fixed = [f"{k}={ds.attrs[k]:g}" for k in _fixed_names(ds) if isinstance(ds.attrs.get(k), (int, float, np.number))]
    if fixed:
        title = f"{title} ({', '.join(fixed[:4])}{', ...' if len(fixed) > 4 else ''})"
    if len(dims) == 1:
        x = da[dims[0]].values
        ax.plot(x, da.values.astype(float), marker="." if x.size < 60 else None, label=name)
        ax.axhline(0.0, color="0.7", lw=0.8, zorder=0)
        ax.set_xlabel(_label(ds, dims[0]))
        ax.set_ylabel(_label(ds, name))
        if dims[0] in logs:
            ax.set_xscale("log")
    elif len(dims) == 2:
        xdim, ydim = dims  # first swept parameter on the horizontal axis
        z = da.transpose(ydim, xdim).values.astype(float)
        x, y = da[xdim].values.astype(float), da[ydim].values.astype(float)
        mesh = ax.pcolormesh(x, y, z, shading="auto", cmap="viridis")
        cb = fig.colorbar(mesh, ax=ax)
        cb.set_label(_label(ds, name))
        edge = _boundary(z)
        if edge is not None and x.size > 1 and y.size > 1:
            field, level = edge
            ax.contour(x, y, field, levels=[level], colors="white", linewidths=1.2)
            ax.plot([], [], color="white", label=f"{name} = 0")
            leg = ax.legend(loc="upper right", framealpha=0.4, facecolor="0.3", labelcolor="white")
            leg.set_zorder(5)
        ax.set_xlabel(_label(ds, xdim))
        ax.set_ylabel(_label(ds, ydim))
        if xdim in logs:
            ax.set_xscale("log")
        if ydim in logs:
            ax.set_yscale("log")
    else:
        extra = ", ".join(f"{d}=..." for d in dims[2:])
        raise InvalidParameterError(
            f"{name!r} has {len(dims)} swept dimensions ({', '.join(dims)}); fix all but two with "
            f"--select, e.g. --select {extra}"
        )
    ax.set_title(title)
    return fig


def _study_title(study: str) -> str:
    """``reset`` for ``reset`` or ``opentangle.studies.reset``; the file stem for ``/path/my_study.py[:Name]``."""
    path, _, attr = study.partition(":")
    if path.endswith(".py"):
        return attr or Path(path).stem
    return study.split(".")[-1]


def _log_axes(ds: Any) -> set[str]:
    """Swept parameters on a log grid (``attrs["grid"]`` of ``opentangle sweep``)."""
    import json

    try:
        return {a[0] for a in json.loads(ds.attrs.get("grid", "[]")) if a and a[-1] == "log"}
    except (TypeError, ValueError, IndexError, KeyError):
        return set()


def _fixed_names(ds: Any) -> list[str]:
    import json

    try:
        return list(json.loads(ds.attrs.get("fixed_parameters", "[]")))
    except (TypeError, ValueError):
        return []


def _load_estimate(ds: Any, path: Path) -> Estimate:
    """Memory to load and plot ``ds``: its declared variable sizes (a small file may declare huge ones)."""
    nbytes = sum(float(np.prod(v.shape, dtype=float)) * v.dtype.itemsize for v in ds.variables.values())
    biggest = max(ds.variables.values(), key=lambda v: float(np.prod(v.shape, dtype=float)), default=None)
    shape = " x ".join(map(str, biggest.shape)) if biggest is not None else "empty"
    return Estimate(
        f"plotting {path.name} (largest variable {shape})",
        nbytes=4 * nbytes,
        hint="plot a smaller file, or cut it first with xarray (ds.isel(...))",
    )


def _save_atomic(fig: Any, out: Path, dpi: int) -> Path:
    return atomic_write(out, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


def plot_file(
    path: str | os.PathLike,
    *,
    out: str | os.PathLike | None = None,
    measure: str | None = None,
    select: dict[str, float] | None = None,
    dpi: int = 120,
) -> Path:
    """Plot a sweep file (see :func:`plot_dataset`) to PNG; default ``out`` is ``path`` with ``.png``."""
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        raise InvalidParameterError(f"no such file {path}; give a NetCDF file written by `opentangle sweep`")
    out = check_output_path(Path(out) if out is not None else path.with_suffix(".png"))
    if out.suffix.lower() != ".png":
        raise InvalidParameterError(f"--out {out}: only PNG output is supported; use a .png name")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            check_resources(_load_estimate(ds, path), max_seconds=float("inf"))
            ds = ds.load()
    except OpentangleError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidParameterError(f"cannot read {path} as NetCDF ({type(exc).__name__}: {exc})") from None
    fig = plot_dataset(ds, measure=measure, select=select)
    return _save_atomic(fig, out, dpi)


# ----------------------------------------------------------------------------- CLI

import typer  # noqa: E402


def _parse_select(items: Sequence[str]) -> dict[str, float]:
    sel = {}
    for text in items:
        name, sep, value = text.partition("=")
        try:
            sel[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise InvalidParameterError(f"malformed --select {text!r}; expected NAME=VALUE")
    return sel


def command(
    file: Path = typer.Argument(..., help="NetCDF file written by `opentangle sweep` or a study's reproduce."),
    out: Path = typer.Option(None, "--out", "-o", help="PNG file (default: FILE with .png)."),
    measure: str = typer.Option(None, "--measure", "-m", help="Variable to plot (default: negativity-like first)."),
    select: list[str] = typer.Option(None, "--select", help="Fix an extra dimension NAME=VALUE (nearest point)."),
) -> None:
    """Plot a sweep: a line for 1-D data, a heatmap with the measure = 0 boundary for 2-D."""
    written = plot_file(file, out=out, measure=measure, select=_parse_select(select or []))
    print(f"wrote {written}")
