"""Shared pieces of the study modules: headline numbers and CLI output."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from opentangle._io import atomic_write, save_netcdf

__all__ = ["Headline", "emit", "to_jsonable", "start_reproduce", "pyplot", "save_figure"]


@dataclass(frozen=True)
class Headline:
    """One number of a reproduction report, next to the value it must match.

    ``reference`` is the paper's or the analytic value (``None`` when the row is
    only informative); ``passed`` is decided by the study (usually
    ``|value - reference| <= tolerance``).
    """

    label: str
    value: float | str
    reference: float | str | None = None
    tolerance: float | None = None
    passed: bool | None = None
    source: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def compare(cls, label: str, value: float, reference: float, tolerance: float, **kw: Any) -> "Headline":
        ok = bool(np.isfinite(value) and abs(float(value) - float(reference)) <= tolerance)
        return cls(label=label, value=float(value), reference=float(reference), tolerance=tolerance, passed=ok, **kw)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def to_jsonable(x: Any) -> Any:
    """Plain Python values for ``json.dumps``; NaN and inf become ``None``."""
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, np.ndarray):
        return to_jsonable(x.tolist())
    return x


def emit(result: dict[str, Any], *, as_json: bool, title: str) -> None:
    """Print a study result: one JSON object on stdout, or a readable table."""
    if as_json:
        print(json.dumps(to_jsonable(result)))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=True)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in result.items():
        if isinstance(value, float):
            text = f"{value:.10g}"
        else:
            text = str(value)
        table.add_row(key, text)
    Console().print(table)


def start_reproduce(out_dir: Any, level: str, levels: dict[str, Any]) -> tuple[Any, Path]:
    """Common start of every ``reproduce``: check ``level``, create ``out_dir``, use the Agg backend.

    Returns the level's configuration (``levels[level]``) and the output folder.
    """
    from opentangle.errors import InvalidParameterError

    if level not in levels:
        raise InvalidParameterError(f"level must be one of {sorted(levels)}; got {level!r}")
    pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return levels[level], out


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (figures are files here)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(ds: Any, fig: Any, out_dir: Any, stem: str, *, dpi: int = 120) -> None:
    """Write ``<stem>.nc`` (when ``ds`` is given) and ``<stem>.png`` atomically, then close ``fig``."""
    out = Path(out_dir)
    if ds is not None:
        save_netcdf(ds, out / f"{stem}.nc")
    atomic_write(out / f"{stem}.png", lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight"))
    pyplot().close(fig)
