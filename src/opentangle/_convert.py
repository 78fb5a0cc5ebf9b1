"""Input conversion and validation shared by every layer.

Arrays, nested lists and (when qutip is installed) ``Qobj`` are accepted
wherever an operator or a state is accepted; results are NumPy arrays.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from opentangle.errors import (
    DimensionError,
    InvalidParameterError,
    OptionalDependencyError,
)

__all__ = [
    "as_array",
    "as_operator",
    "check_dims",
    "check_in_range",
    "check_indices",
    "check_int",
    "check_nonnegative",
    "check_probability_vector",
    "check_real",
    "resolve_dims",
    "to_qutip",
]


def _is_qobj(x: Any) -> bool:
    return type(x).__name__ == "Qobj" and hasattr(x, "full") and hasattr(x, "dims")


def as_array(x: Any, *, name: str = "input") -> tuple[np.ndarray, list[int] | None]:
    """Return ``(array, dims)`` for an array-like or a ``Qobj``.

    ``dims`` is the list of subsystem dimensions read from a ``Qobj``
    (``None`` for plain arrays).  Sparse matrices are densified.
    """
    if _is_qobj(x):
        kind = str(getattr(x, "type", ""))
        row_dims = list(x.dims[0])
        if kind in ("super", "operator-ket", "operator-bra") or any(isinstance(d, (list, tuple)) for d in row_dims):
            raise DimensionError(
                f"{name} is a QuTiP {kind or 'superoperator'} Qobj; superoperators are not states or operators on "
                "the Hilbert space. Pass a ket or a density matrix (e.g. qutip.vector_to_operator for operator-kets)"
            )
        arr = np.asarray(x.full())
        if arr.ndim == 2 and arr.shape[1] == 1 and arr.shape[0] != 1:
            arr = arr[:, 0]
        return arr, check_dims(row_dims, f"{name}.dims")
    if hasattr(x, "toarray") and hasattr(x, "tocsr"):
        return np.asarray(x.toarray()), None
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested sequences, exotic inputs
        raise DimensionError(
            f"{name} could not be converted to an array ({exc}); pass a rectangular numeric array"
        ) from exc
    if arr.dtype == object:
        raise DimensionError(f"{name} is ragged or not numeric; pass a rectangular numeric array")
    if arr.dtype.kind not in "biufc":
        raise DimensionError(f"{name} is not numeric (dtype {arr.dtype}); pass a numeric array, not {x!r:.40}")
    return arr, None


def as_operator(x: Any, *, name: str = "operator", batch: bool = False) -> tuple[np.ndarray, list[int] | None]:
    """Return a complex square matrix (or a batch ``(..., D, D)`` when ``batch``)."""
    arr, dims = as_array(x, name=name)
    if arr.ndim < 2 or (not batch and arr.ndim != 2):
        raise DimensionError(
            f"{name} must be a square matrix{' or a batch of them' if batch else ''}; got shape {arr.shape}"
        )
    if arr.shape[-1] != arr.shape[-2]:
        raise DimensionError(f"{name} must be square; got shape {arr.shape}")
    arr = arr.astype(complex, copy=False)
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} contains NaN or infinite entries; check how it was built")
    return arr, dims


def resolve_dims(total: int, dims: Sequence[int] | None, *, qobj_dims: Sequence[int] | None = None) -> list[int]:
    """Subsystem dimensions for a space of dimension ``total``.

    Priority: explicit ``dims``, then dims read from a ``Qobj``, then two equal
    subsystems when ``total`` is a perfect square (for example two qubits).
    """
    if dims is not None and qobj_dims is not None:
        explicit = check_dims(dims)
        carried = check_dims(qobj_dims, "the Qobj's dims")
        # a Qobj built without dims (one subsystem) carries no structure; anything else must agree
        if len(carried) > 1 and explicit != carried:
            raise DimensionError(
                f"dims {explicit} contradict the Qobj's own dims {carried}; drop dims= or fix the Qobj's dims"
            )
    if dims is None:
        dims = qobj_dims
    if dims is None:
        root = math.isqrt(total)
        if root * root != total or root < 2:
            raise DimensionError(
                f"cannot guess subsystem dimensions for a space of dimension {total}; pass dims=[d1, d2, ...]"
            )
        return [root, root]
    dims = check_dims(dims)
    if math.prod(dims) != total:
        raise DimensionError(
            f"dims {dims} multiply to {math.prod(dims)} but the operator has dimension {total}; "
            "fix dims so that their product equals the matrix size"
        )
    return dims


def check_int(
    value: Any, name: str, *, minimum: int | None = None, error: type[Exception] = InvalidParameterError
) -> int:
    """An integer (a Python/NumPy integer or an integral float), or ``error``.

    Booleans, strings, ``None`` and non-integral numbers (``1.5``) are rejected
    instead of being truncated.
    """
    bound = f" >= {minimum}" if minimum is not None else ""
    msg = f"{name} must be an integer{bound}; got {value!r}"
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise error(msg)
    try:
        v = operator.index(value)
    except TypeError:
        try:
            f = float(value)
        except (TypeError, ValueError) as exc:
            raise error(msg) from exc
        if not math.isfinite(f) or f != math.floor(f):
            raise error(msg) from None
        v = int(f)
    if minimum is not None and v < minimum:
        raise error(msg)
    return int(v)


def check_dims(dims: Any, name: str = "dims") -> list[int]:
    """A non-empty list of positive integer subsystem dimensions, or :class:`DimensionError`."""
    if isinstance(dims, (str, bytes)) or np.isscalar(dims) or dims is None:
        raise DimensionError(f"{name} must be a sequence of positive integers such as [2, 2]; got {dims!r}")
    try:
        items = list(dims)
    except TypeError as exc:
        raise DimensionError(f"{name} must be a sequence of positive integers such as [2, 2]; got {dims!r}") from exc
    if not items:
        raise DimensionError(f"{name} must list at least one subsystem dimension; got {dims!r}")
    out = []
    for d in items:
        try:
            out.append(check_int(d, name, minimum=1, error=DimensionError))
        except DimensionError:
            raise DimensionError(
                f"{name} must be a sequence of positive integers such as [2, 2]; got {items!r} "
                f"(entry {d!r} is not a positive integer)"
            ) from None
    return out


def check_indices(indices: int | Iterable[int], n: int, what: str, *, sort: bool = True) -> list[int]:
    """Distinct integer subsystem indices in ``0..n-1`` (a scalar is one index), or :class:`DimensionError`."""
    items: list[Any]
    if np.isscalar(indices) or indices is None or not isinstance(indices, Iterable):
        items = [indices]
    else:
        items = list(indices)
    out = []
    for s in items:
        try:
            s = check_int(s, what, error=DimensionError)
        except DimensionError:
            raise DimensionError(f"{what} must be integer subsystem indices in 0..{n - 1}; got {s!r}") from None
        if not (0 <= s < n):
            raise DimensionError(f"{what} index {s} is out of range for {n} subsystems (valid: 0..{n - 1})")
        out.append(s)
    if len(set(out)) != len(out):
        raise DimensionError(f"{what} lists a subsystem twice: {out}")
    return sorted(out) if sort else out


def to_qutip(x: Any, dims: Sequence[int] | None = None):
    """Convert an array (operator or ket) to a ``qutip.Qobj`` with subsystem ``dims``."""
    try:
        import qutip
    except ImportError as exc:  # pragma: no cover - depends on environment
        raise OptionalDependencyError("to_qutip needs qutip; install it with `pip install opentangle[qutip]`") from exc
    if _is_qobj(x):
        return x
    arr = np.asarray(x)
    if arr.ndim == 1:
        d = resolve_dims(arr.shape[0], dims) if dims is not None else [arr.shape[0]]
        return qutip.Qobj(arr.reshape(-1, 1), dims=[d, [1] * len(d)])
    if arr.ndim != 2:
        raise DimensionError(f"to_qutip takes a vector or a matrix; got shape {arr.shape}")
    if dims is None:
        return qutip.Qobj(arr)
    d_row = resolve_dims(arr.shape[0], dims)
    d_col = resolve_dims(arr.shape[1], dims) if arr.shape[0] == arr.shape[1] else [arr.shape[1]]
    return qutip.Qobj(arr, dims=[d_row, d_col])


def check_real(value: Any, name: str) -> float:
    """A finite real number, or :class:`InvalidParameterError`."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"{name} must be a real number; got {value!r}") from exc
    if not math.isfinite(v):
        raise InvalidParameterError(f"{name} must be finite; got {v}")
    return v


def check_nonnegative(value: Any, name: str) -> float:
    """A finite real number >= 0 (rates, couplings that are magnitudes)."""
    v = check_real(value, name)
    if v < 0:
        raise InvalidParameterError(f"{name} must be >= 0 (it is a rate); got {v}")
    return v


def check_in_range(value: Any, name: str, low: float, high: float) -> float:
    """A finite real number in the closed interval ``[low, high]``."""
    v = check_real(value, name)
    if not (low <= v <= high):
        raise InvalidParameterError(f"{name} must lie in [{low}, {high}]; got {v}")
    return v


def check_probability_vector(p: Any, name: str = "probabilities", *, atol: float = 1e-10) -> np.ndarray:
    """A 1-D vector of finite probabilities >= 0 summing to one."""
    try:
        arr = np.asarray(p, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"{name} must be a 1-D vector of real numbers; got {p!r:.60} ({exc})") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidParameterError(f"{name} must be a non-empty 1-D vector; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} contains NaN or infinite entries: {arr.tolist()}")
    if np.any(arr < -atol):
        raise InvalidParameterError(f"{name} has negative entries: {arr.tolist()}")
    if abs(arr.sum() - 1.0) > max(atol, 1e-8):
        raise InvalidParameterError(f"{name} must sum to 1; got sum {arr.sum():.12g}. Normalise it first")
    return np.clip(arr, 0.0, None)
