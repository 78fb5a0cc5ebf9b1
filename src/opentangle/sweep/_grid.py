"""Spec and grid parsing: ``NAME=START:STOP:NUM[:log]``, ``NAME=V1,V2``, ``--set``, the sweep spec and its key."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opentangle import __version__
from opentangle._io import jsonable
from opentangle._limits import Estimate, check_resources, check_seed
from opentangle.errors import InvalidParameterError
from opentangle.studies._resolve import canonical_name, code_hash, resolve_study

#: largest number of points handed to one ``evaluate_batch`` call
BATCH_CHUNK = 4096


#: a pointwise sweep is cut into at most this many tasks
MAX_POINT_TASKS = 1024


#: bytes held per grid point and measure while a sweep runs (Python records, then the arrays); measured ~100
BYTES_PER_VALUE = 160


def point_seed(seed: int, index: int) -> int:
    """Seed of grid point ``index``: ``SeedSequence(seed, spawn_key=(index,))``, first uint32 word.

    >>> point_seed(0, 3) == point_seed(0, 3) != point_seed(0, 4)
    True
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(index),))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


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
        raise InvalidParameterError(f"unknown parameter {name!r}; this study has: {', '.join(parameters) or 'none'}")


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
    def parse(cls, text: str) -> GridAxis:
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
    parsed = tuple(GridAxis.parse(a) if isinstance(a, str) else a for a in axes)
    if not parsed:
        raise InvalidParameterError("nothing to sweep; give at least one --param NAME=START:STOP:NUM")
    seen: set[str] = set()
    for ax in parsed:
        _check_name(ax.name, params)
        if ax.name in seen:
            raise InvalidParameterError(f"parameter {ax.name!r} is swept twice")
        seen.add(ax.name)
    fixed_all = {k: v for k, v in params.items() if k not in seen}
    for k, v in (fixed or {}).items():
        k = k.replace("-", "_")
        _check_name(k, params)
        if k in seen:
            raise InvalidParameterError(f"parameter {k!r} is both swept (--param) and fixed (--set)")
        fixed_all[k] = _coerce(k, v, params[k]) if isinstance(v, str) else v
    available = tuple(module.MEASURES)
    if isinstance(module.MEASURES, str) or not all(isinstance(m, str) for m in available):
        raise InvalidParameterError(f"MEASURES of {name!r} must be a tuple of strings; got {module.MEASURES!r}")
    if measures:
        measures = tuple(dict.fromkeys(measures))
        bad = [m for m in measures if m not in available]
        if bad:
            raise InvalidParameterError(f"unknown measure {bad[0]!r}; this study reports: {', '.join(available)}")
    else:
        measures = available
    seeded = bool(getattr(module, "SEEDED", False))
    has_batch = hasattr(module, "evaluate_batch") and not seeded
    if batch is None:
        batch = has_batch
    elif batch and not has_batch:
        raise InvalidParameterError(f"study {name!r} has no evaluate_batch (or is seeded); use batch=False")
    spec = SweepSpec(
        study=name,
        axes=parsed,
        fixed=fixed_all,
        measures=tuple(measures),
        seed=check_seed(seed),
        seeded=seeded,
        batch=bool(batch),
        coords={},
        all_measures=available,
        code=code_hash(module),
    )
    check_resources(spec.estimate(), max_seconds=float("inf"))
    spec.coords.update({ax.name: ax.values(params[ax.name]) for ax in parsed})
    return spec
