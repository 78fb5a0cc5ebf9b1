"""Input handling shared by the measures: state validation, dims and bipartitions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from opentangle._convert import as_array, check_indices, resolve_dims
from opentangle.errors import DimensionError
from opentangle.states import validate_density_matrix

__all__ = ["hermitian_eigvals", "prepare_state", "qubit_dims", "resolve_part_a"]


def prepare_state(
    rho: Any, dims: Sequence[int] | None = None, *, atol: float = 1e-8, name: str = "rho"
) -> tuple[np.ndarray, list[int]]:
    """Validated density matrix (or batch ``(..., D, D)``) and its subsystem dims."""
    arr, qdims = as_array(rho, name=name)
    arr = validate_density_matrix(arr, atol=atol, name=name, batch=True)
    return arr, resolve_dims(arr.shape[-1], dims, qobj_dims=qdims)


def qubit_dims(total: int, dims: Sequence[int] | None, qobj_dims: Sequence[int] | None = None) -> list[int]:
    """Dims for an N-qubit register: explicit dims, Qobj dims, or ``[2]*log2(total)``."""
    if dims is not None or qobj_dims is not None:
        return resolve_dims(total, dims, qobj_dims=qobj_dims)
    n = round(math.log2(total)) if total > 0 else 0
    if n < 1 or 2**n != total:
        raise DimensionError(f"dimension {total} is not a power of 2; pass dims=[...] for the subsystems")
    return [2] * n


def resolve_part_a(part_a: int | Sequence[int] | None, n: int) -> list[int]:
    """Subsystem indices of part A; default the first ``floor(n/2)`` subsystems."""
    if n < 2:
        raise DimensionError(f"a bipartition needs at least two subsystems; got dims with {n}. Pass dims=[dA, dB, ...]")
    if part_a is None:
        return list(range(n // 2))
    out = check_indices(part_a, n, "part_a")
    if not out or len(out) == n:
        raise DimensionError(f"part_a must be a non-empty proper subset of 0..{n - 1}; got {out}")
    return out


def hermitian_eigvals(m: np.ndarray) -> np.ndarray:
    """Eigenvalues of the Hermitian part of ``m`` (batched)."""
    return np.linalg.eigvalsh((m + np.swapaxes(m.conj(), -1, -2)) / 2)


def scalar_or_array(x: np.ndarray) -> float | np.ndarray:
    """A Python float for unbatched results, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x
