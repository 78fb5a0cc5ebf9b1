"""One resource estimator: memory and a rough time, checked before anything is allocated.

Every study, the sweep and the plot describe what a request will cost as an
:class:`Estimate` and call :func:`check_resources`, which raises
:class:`~opentangle.errors.ResourceLimitError` (exit 2 on the command line) with the
estimate and the limit when it does not fit.

Limits (environment variables override them; ``inf`` disables a limit):

``OPENTANGLE_MAX_MEMORY``
    bytes (``8e9``, ``8G``, ``512M``); default 80 % of the memory available when the
    check runs (``MemAvailable`` on Linux, else the physical memory).
``OPENTANGLE_MAX_SECONDS``
    seconds for one evaluation; default 600.  Time estimates are rough (calibrated on
    one core of a 2-core machine, good to a factor of a few), so the limit only stops
    requests that are hopeless, such as ``ladder --cycles 1e11``.

Seeds are integers in ``[0, 2**63 - 1]`` (:data:`MAX_SEED`): they are stored as
NetCDF attributes (int64) and fed to :class:`numpy.random.SeedSequence`.

>>> est = Estimate("a 1e5 x 1e5 float64 array", nbytes=8e10)
>>> check_resources(est, max_bytes=1e9)
Traceback (most recent call last):
...
opentangle.errors.ResourceLimitError: a 1e5 x 1e5 float64 array needs about 80.0 GB of memory (estimate), more than the limit of 1.0 GB; make it smaller, or raise the limit with OPENTANGLE_MAX_MEMORY (bytes, e.g. 64G)
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

from opentangle.errors import InvalidParameterError, ResourceLimitError

__all__ = [
    "DEFAULT_MAX_SECONDS",
    "MAX_SEED",
    "Estimate",
    "check_count",
    "check_resources",
    "check_seed",
    "check_timeout",
    "max_workers",
    "memory_limit",
    "time_limit",
]

DEFAULT_MAX_SECONDS = 600.0
MAX_SEED = 2**63 - 1
_UNITS = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}


@dataclass(frozen=True)
class Estimate:
    """What a request will cost: peak memory in bytes and wall time in seconds (rough)."""

    what: str
    nbytes: float = 0.0
    seconds: float = 0.0
    hint: str = "make it smaller"

    def __repr__(self) -> str:
        return f"Estimate({self.what!r}, memory={_size(self.nbytes)}, time={_duration(self.seconds)})"


def _size(n: float) -> str:
    if not math.isfinite(n):
        return "unbounded"
    for unit in ("B", "KB", "MB", "GB", "TB", "PB", "EB"):
        if abs(n) < 1000 or unit == "EB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def _duration(s: float) -> str:
    if not math.isfinite(s):
        return "unbounded"
    for unit, size in (("years", 3.15e7), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.3g} s"


def _env_number(name: str) -> float | None:
    text = os.environ.get(name, "").strip().lower()
    if not text:
        return None
    m = re.fullmatch(r"([0-9.e+]+|inf)\s*([kmgt]?)i?b?", text)
    try:
        value = float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise InvalidParameterError(f"{name}={os.environ[name]!r} is not a positive number (e.g. 8G, 600, inf)")
    return value


def memory_limit() -> float:
    """Bytes one request may use: ``OPENTANGLE_MAX_MEMORY``, else 80 % of the available memory."""
    env = _env_number("OPENTANGLE_MAX_MEMORY")
    if env is not None:
        return env
    avail = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = float(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:
        try:
            avail = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
            return float("inf")
    return 0.8 * avail


def time_limit() -> float:
    """Seconds one evaluation may take: ``OPENTANGLE_MAX_SECONDS``, else :data:`DEFAULT_MAX_SECONDS`."""
    env = _env_number("OPENTANGLE_MAX_SECONDS")
    return DEFAULT_MAX_SECONDS if env is None else env


def check_resources(est: Estimate, *, max_bytes: float | None = None, max_seconds: float | None = None) -> Estimate:
    """``est`` if it fits the limits (default :func:`memory_limit`, :func:`time_limit`); else ResourceLimitError."""
    mem = memory_limit() if max_bytes is None else float(max_bytes)
    if not est.nbytes <= mem:
        raise ResourceLimitError(
            f"{est.what} needs about {_size(est.nbytes)} of memory (estimate), more than the limit of "
            f"{_size(mem)}; {est.hint}, or raise the limit with OPENTANGLE_MAX_MEMORY (bytes, e.g. 64G)"
        )
    sec = time_limit() if max_seconds is None else float(max_seconds)
    if not est.seconds <= sec:
        raise ResourceLimitError(
            f"{est.what} would take about {_duration(est.seconds)} (rough estimate), more than the limit of "
            f"{_duration(sec)}; {est.hint}, or raise the limit with OPENTANGLE_MAX_SECONDS (seconds, or inf)"
        )
    return est


def check_count(value: Any, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer count in ``[minimum, maximum]``, else :class:`InvalidParameterError`.

    >>> check_count(1e3, "cycles")
    1000
    """
    from opentangle._convert import check_int

    v = check_int(value, name, minimum=minimum)
    if maximum is not None and v > maximum:
        raise InvalidParameterError(f"{name} must be <= {maximum}; got {v}")
    return v


def check_seed(seed: Any, name: str = "seed") -> int:
    """A seed in ``[0, 2**63 - 1]``, else :class:`InvalidParameterError`.

    >>> check_seed(2**64)
    Traceback (most recent call last):
    ...
    opentangle.errors.InvalidParameterError: seed must be an integer in [0, 2**63 - 1]; got 18446744073709551616
    """
    from opentangle._convert import check_int

    msg = f"{name} must be an integer in [0, 2**63 - 1]; got {seed!r}"
    try:
        v = check_int(seed, name, minimum=0)
    except InvalidParameterError:
        raise InvalidParameterError(msg) from None
    if v > MAX_SEED:
        raise InvalidParameterError(msg)
    return v


def check_timeout(value: Any, name: str = "--timeout") -> float:
    """A finite positive number of seconds (NaN, inf, 0 and negatives refused)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if isinstance(value, bool) or not (math.isfinite(v) and v > 0):
        raise InvalidParameterError(f"{name} must be a finite number of seconds > 0; got {value!r}")
    return v


def max_workers() -> int:
    """The largest worker count accepted: four per CPU core."""
    return 4 * (os.cpu_count() or 1)
