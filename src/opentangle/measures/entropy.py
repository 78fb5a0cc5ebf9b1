r"""Von Neumann entropy, entanglement entropy of pure states, mutual information.

.. math::
    S(\rho) = -\mathrm{tr}\,\rho\log_2\rho, \qquad
    E(|\psi\rangle) = S(\mathrm{tr}_B|\psi\rangle\langle\psi|), \qquad
    I(A:B) = S(\rho_A) + S(\rho_B) - S(\rho_{AB}).

All in bits by default (``base=2``). Reference: Nielsen & Chuang, ch. 11.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from opentangle._convert import as_array, check_real, resolve_dims
from opentangle.errors import DimensionError, InvalidParameterError, InvalidStateError
from opentangle.measures._common import hermitian_eigvals, prepare_state, resolve_part_a, scalar_or_array
from opentangle.operators import partial_trace

__all__ = ["entanglement_entropy", "mutual_information", "shannon_entropy", "von_neumann_entropy"]


def _check_base(base: Any) -> float:
    try:
        b = check_real(base, "base")
    except InvalidParameterError:
        raise InvalidParameterError(
            f"base must be a positive number other than 1 (2 for bits, math.e for nats); got {base!r}"
        ) from None
    if not (b > 0 and b != 1):
        raise InvalidParameterError(
            f"base must be a positive number other than 1 (2 for bits, math.e for nats); got {base!r}"
        )
    return b


def _probabilities(p: Any, atol: float = 1e-7) -> np.ndarray:
    try:
        arr = np.asarray(p, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"p must be a vector (or batch) of real probabilities; got {p!r:.60}") from exc
    if arr.ndim < 1 or arr.shape[-1] == 0:
        raise InvalidParameterError(f"p must be a non-empty probability vector; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError("p contains NaN or infinite entries")
    if arr.min() < -atol:
        raise InvalidParameterError(f"p has a negative entry {arr.min():.3g}; probabilities must be >= 0")
    tot = arr.sum(axis=-1)
    if np.max(np.abs(tot - 1)) > atol:
        raise InvalidParameterError(f"p must sum to 1 (got sum {np.ravel(tot)[0]:.12g}); normalise it first")
    return np.clip(arr, 0.0, None)


def shannon_entropy(p: Any, *, base: float = 2) -> float | np.ndarray:
    r""":math:`-\sum_i p_i \log p_i` over the last axis (zeros contribute nothing).

    ``p`` must be a probability vector (entries >= 0 summing to 1 within 1e-7), or a batch of them.

    Example
    -------
    >>> shannon_entropy([0.5, 0.25, 0.25])
    1.5
    """
    base = _check_base(base)
    p = _probabilities(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return scalar_or_array(terms.sum(axis=-1) / math.log(base))


def von_neumann_entropy(rho: Any, dims: Sequence[int] | None = None, *, base: float = 2) -> float | np.ndarray:
    r"""Von Neumann entropy :math:`-\mathrm{tr}\,\rho\log\rho` (bits by default; batched).

    ``dims`` is accepted for a uniform signature and checked, but not needed.

    Example
    -------
    >>> round(von_neumann_entropy(np.eye(4) / 4), 12)
    2.0
    """
    base = _check_base(base)
    arr, qd = as_array(rho, name="rho")
    if arr.ndim < 2:
        raise DimensionError(
            f"rho must be a density matrix (D, D) or a batch (..., D, D); got shape {arr.shape}"
            + ("; use ket2dm for a pure state" if arr.ndim == 1 else "")
        )
    arr, _ = prepare_state(arr, dims if dims is not None else (qd or [arr.shape[-1]]))
    return shannon_entropy(hermitian_eigvals(arr), base=base)


def entanglement_entropy(
    psi: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None, base: float = 2
) -> float:
    r"""Entanglement entropy :math:`S(\rho_A)` of a pure state, via its Schmidt coefficients.

    Accepts a ket or a pure density matrix.

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(entanglement_entropy(bell_state("phi+", ket=True)), 12)
    1.0
    """
    base = _check_base(base)
    arr, qdims = as_array(psi, name="psi")
    if arr.ndim >= 3 or (arr.ndim == 2 and arr.shape[0] != arr.shape[1] and min(arr.shape) > 1):
        raise DimensionError(
            f"entanglement_entropy takes one state (a ket (D,) or a density matrix (D, D)); got shape {arr.shape}, "
            "which looks like a batch. Loop over the states, or use mutual_information / negativity, which are batched"
        )
    if arr.ndim == 2 and arr.shape[0] == arr.shape[1] and arr.shape[0] > 1:
        rho, dims = prepare_state(arr, dims if dims is not None else qdims)
        evals, evecs = np.linalg.eigh(rho)
        if evals[-1] < 1 - 1e-8:
            raise InvalidStateError(
                f"entanglement_entropy needs a pure state (purity {np.sum(evals**2):.6g}); "
                "use negativity or mutual_information for mixed states"
            )
        vec = evecs[:, -1]
    else:
        vec = arr.reshape(-1).astype(complex)
        norm = np.linalg.norm(vec)
        if not np.isfinite(norm) or abs(norm - 1) > 1e-8:
            raise InvalidStateError(f"psi must be a normalised ket; its norm is {norm:.12g}")
        dims = resolve_dims(vec.shape[0], dims, qobj_dims=qdims)
    n = len(dims)
    part = resolve_part_a(part_a, n)
    rest = [i for i in range(n) if i not in part]
    mat = vec.reshape(dims).transpose(part + rest).reshape(math.prod(dims[i] for i in part), -1)
    schmidt = np.linalg.svd(mat, compute_uv=False) ** 2
    return float(shannon_entropy(schmidt, base=base))


def mutual_information(
    rho: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None, base: float = 2
) -> float | np.ndarray:
    r"""Quantum mutual information :math:`S(A) + S(B) - S(AB)` (bits; batched).

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(mutual_information(bell_state("phi+")), 12)
    2.0
    """
    arr, dims = prepare_state(rho, dims)
    part = resolve_part_a(part_a, len(dims))
    rest = [i for i in range(len(dims)) if i not in part]
    s = lambda m: np.asarray(shannon_entropy(hermitian_eigvals(m), base=base))  # noqa: E731
    out = s(partial_trace(arr, part, dims)) + s(partial_trace(arr, rest, dims)) - s(arr)
    return scalar_or_array(out)
