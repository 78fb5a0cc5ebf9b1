"""Typed exceptions for opentangle.

Every error raised on bad input is a subclass of :class:`OpentangleError`, and
its message says what was wrong and how to fix it.  The classes also derive
from the matching built-in (``ValueError``, ``RuntimeError``) so that generic
``except ValueError`` code keeps working.
"""

from __future__ import annotations

__all__ = [
    "ConvergenceError",
    "DimensionError",
    "IllConditionedError",
    "InvalidChannelError",
    "InvalidParameterError",
    "InvalidStateError",
    "NonUniqueSteadyStateError",
    "OpentangleError",
    "OptionalDependencyError",
    "OutputError",
    "ResourceLimitError",
]


class OpentangleError(Exception):
    """Base class of every opentangle error."""


class InvalidStateError(OpentangleError, ValueError):
    """The array is not a valid state (density matrix or normalised vector)."""


class DimensionError(OpentangleError, ValueError):
    """Shapes or subsystem dimensions are inconsistent, or an index is out of range."""


class InvalidParameterError(OpentangleError, ValueError):
    """A physical parameter is out of its allowed range (negative rate, NaN, ...)."""


class InvalidChannelError(OpentangleError, ValueError):
    """A map is not completely positive, not trace preserving, or malformed."""


class ConvergenceError(OpentangleError, RuntimeError):
    """An iterative solver or optimiser did not reach the requested tolerance."""


class NonUniqueSteadyStateError(OpentangleError, RuntimeError):
    """The Liouvillian kernel has dimension greater than one."""


class IllConditionedError(ConvergenceError):
    """The problem is too ill-conditioned to certify an answer at double precision.

    Raised where a steady state may be unique but its kernel cannot be separated from
    the slowest decay modes in floating point (a condition-number estimate times the
    backward error of the factorisation is not small), and no structural argument
    proves that the kernel is degenerate.  Not a :class:`NonUniqueSteadyStateError`:
    the kernel is *not provably* degenerate.  The message gives the estimate; rescale
    the rates, remove the tiny (or huge) parameter, or use a time evolution instead.
    """


class OptionalDependencyError(OpentangleError, ImportError):
    """An optional extra (qutip, dask) is needed for this call but not installed."""


class OutputError(OpentangleError, OSError):
    """A result could not be written: disk full, quota, I/O error (the message says what to free)."""

    def __init__(self, message: str, *, errno: int | None = None, path: str | None = None) -> None:
        OpentangleError.__init__(self, message)
        self.message, self.errno, self.filename = message, errno, path

    def __str__(self) -> str:
        return self.message


class ResourceLimitError(InvalidParameterError):
    """A request would need more memory or time than the limit; the message gives both."""
