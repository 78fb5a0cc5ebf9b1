"""Shared pieces of the study modules: headline numbers and CLI output."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from opentangle._io import atomic_write, jsonable, save_netcdf

__all__ = ["KINDS", "Headline", "emit", "pyplot", "save_figure", "start_reproduce", "to_jsonable"]


#: row kinds of a reproduction report: ``check`` has a pass mark (a comparison with an
#: analytic value, an independent method or a paper's number); ``info`` has none (a
#: measured time, a theorem's slack, a normalisation, a quantity equal by construction);
#: ``refuted`` shows a claim that the computation refutes (``passed`` then says whether
#: the refutation was reproduced; it is never shown as a pass).
KINDS = ("check", "info", "refuted")


@dataclass(frozen=True)
class Headline:
    """One number of a reproduction report, next to the value it must match.

    ``reference`` is the paper's or the analytic value (``None`` when the row is
    only informative); ``passed`` is decided by the study (usually
    ``|value - reference| <= tolerance``).  ``kind`` is one of :data:`KINDS`; left
    empty it is ``"info"`` when ``passed`` is ``None`` and ``"check"`` otherwise.
    An ``info`` row never has a pass mark; ``check`` and ``refuted`` rows always do.

    Example
    -------
    >>> Headline.info("sum of outcome probabilities", 1.0, note="normalisation").passed is None
    True
    >>> Headline.compare("E(pi/2)", 2.0, 2.0, 1e-9).kind
    'check'
    """

    label: str
    value: float | str
    reference: float | str | None = None
    tolerance: float | None = None
    passed: bool | None = None
    source: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    kind: str = ""

    def __post_init__(self) -> None:
        from opentangle.errors import InvalidParameterError

        kind = self.kind or ("info" if self.passed is None else "check")
        if kind not in KINDS:
            raise InvalidParameterError(f"Headline kind must be one of {KINDS}; got {self.kind!r}")
        if kind == "info" and self.passed is not None:
            raise InvalidParameterError(
                f"an info row has no pass mark (passed must be None); got passed={self.passed!r} for {self.label!r}"
            )
        if kind != "info" and self.passed is None:
            raise InvalidParameterError(f"a {kind!r} row needs passed=True/False; got None for {self.label!r}")
        object.__setattr__(self, "kind", kind)
        if self.passed is not None:
            object.__setattr__(self, "passed", bool(self.passed))

    @classmethod
    def compare(cls, label: str, value: float, reference: float, tolerance: float, **kw: Any) -> Headline:
        """A ``check`` row: passes when ``|value - reference| <= tolerance``."""
        ok = bool(np.isfinite(value) and abs(float(value) - float(reference)) <= tolerance)
        return cls(label=label, value=float(value), reference=float(reference), tolerance=tolerance, passed=ok, **kw)

    @classmethod
    def info(cls, label: str, value: Any, **kw: Any) -> Headline:
        """An informative row (no pass mark): timings, theorems' slack, normalisations, by-construction identities."""
        return cls(label=label, value=value, passed=None, kind="info", **kw)

    @classmethod
    def refuted(cls, label: str, value: Any, *, reproduced: bool, **kw: Any) -> Headline:
        """A claim the computation refutes; ``reproduced`` says whether the refuting evidence held in this run."""
        return cls(label=label, value=value, passed=bool(reproduced), kind="refuted", **kw)

    @property
    def counts_as_pass(self) -> bool:
        """Only a ``check`` row that passed counts as a pass."""
        return self.kind == "check" and self.passed is True

    @property
    def failed(self) -> bool:
        """A failed check, or a refutation that was not reproduced."""
        return self.passed is False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def to_jsonable(x: Any) -> Any:
    """Plain Python values for ``json.dumps``; NaN and inf become ``None`` (``_io.jsonable(x, finite=True)``)."""
    return jsonable(x, finite=True)


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


def start_reproduce(out_dir: Any, level: str, levels: Any) -> tuple[Any, Path]:
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
