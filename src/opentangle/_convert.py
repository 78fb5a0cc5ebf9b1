"""Input conversion and validation shared by every layer.

Arrays, nested lists and (when qutip is installed) ``Qobj`` are accepted
wherever an operator or a state is accepted; results are NumPy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    "resolve_dims",
    "to_qutip",
    "check_real",
    "check_nonnegative",
    "check_probability_vector",
    "check_in_range",
]


def _is_qobj(x: Any) -> bool:
    return type(x).__name__ == "Qobj" and hasattr(x, "full") and hasattr(x, "dims")


def as_array(x: Any, *, name: str = "input") -> tuple[np.ndarray, list[int] | None]:
    """Return ``(array, dims)`` for an array-like or a ``Qobj``.

    ``dims`` is the list of subsystem dimensions read from a ``Qobj``
    (``None`` for plain arrays).  Sparse matrices are densified.
    """
    if _is_qobj(x):
        dims = list(x.dims[0])
        arr = np.asarray(x.full())
        if arr.ndim == 2 and arr.shape[1] == 1 and arr.shape[0] != 1:
            arr = arr[:, 0]
        return arr, [int(d) for d in dims]
    if hasattr(x, "toarray") and hasattr(x, "tocsr"):
        return np.asarray(x.toarray()), None
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise DimensionError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype == object:
        raise DimensionError(f"{name} is ragged or not numeric; pass a rectangular numeric array")
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
    if dims is None:
        dims = qobj_dims
    if dims is None:
        root = math.isqrt(total)
        if root * root != total or root < 2:
            raise DimensionError(
                f"cannot guess subsystem dimensions for a space of dimension {total}; pass dims=[d1, d2, ...]"
            )
        return [root, root]
    try:
        dims = [int(d) for d in dims]
    except (TypeError, ValueError) as exc:
        raise DimensionError(f"dims must be a sequence of positive integers; got {dims!r}") from exc
    if any(d < 1 for d in dims):
        raise DimensionError(f"dims must be positive integers; got {dims}")
    if math.prod(dims) != total:
        raise DimensionError(
            f"dims {dims} multiply to {math.prod(dims)} but the operator has dimension {total}; "
            "fix dims so that their product equals the matrix size"
        )
    return dims


def to_qutip(x: Any, dims: Sequence[int] | None = None):
    """Convert an array (operator or ket) to a ``qutip.Qobj`` with subsystem ``dims``."""
    try:
        import qutip
    except ImportError as exc:  # pragma: no cover - depends on environment
        raise OptionalDependencyError(
            "to_qutip needs qutip; install it with `pip install opentangle[qutip]`"
        ) from exc
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
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidParameterError(f"{name} must be a non-empty 1-D vector; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} contains NaN or infinite entries: {arr.tolist()}")
    if np.any(arr < -atol):
        raise InvalidParameterError(f"{name} has negative entries: {arr.tolist()}")
    if abs(arr.sum() - 1.0) > max(atol, 1e-8):
        raise InvalidParameterError(
            f"{name} must sum to 1; got sum {arr.sum():.12g}. Normalise it first"
        )
    return np.clip(arr, 0.0, None)
