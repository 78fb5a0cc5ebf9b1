"""Operators on composite systems: Paulis, spins, embedding, partial trace and transpose.

Conventions
-----------
* Qubit basis ``|0>, |1>`` with ``sz|0> = +|0>`` (``|0>`` is "up", as in QuTiP).
* ``sigma_minus = |1><0|`` (QuTiP's ``sigmam``).  Models that speak of ground
  and excited states (``s_j``, ``n_j = s^dag s``) state their basis explicitly.
* Partial operations accept a leading batch axis: ``rho`` of shape
  ``(..., D, D)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import reduce
from typing import Any, cast

import numpy as np

from opentangle._convert import as_array, check_dims, check_indices, check_int, check_real, resolve_dims
from opentangle.errors import DimensionError, InvalidParameterError

__all__ = [
    "PAULIS",
    "embed",
    "identity",
    "kron",
    "partial_trace",
    "partial_transpose",
    "random_unitary",
    "sigma_minus",
    "sigma_plus",
    "sigma_x",
    "sigma_y",
    "sigma_z",
    "spin_operators",
]

_SX = np.array([[0, 1], [1, 0]], dtype=complex)
_SY = np.array([[0, -1j], [1j, 0]], dtype=complex)
_SZ = np.array([[1, 0], [0, -1]], dtype=complex)


def identity(d: int) -> np.ndarray:
    """The ``d x d`` identity as a complex array."""
    return np.eye(d, dtype=complex)


def sigma_x() -> np.ndarray:
    r"""Pauli :math:`\sigma_x = |0\rangle\langle 1| + |1\rangle\langle 0|`."""
    return _SX.copy()


def sigma_y() -> np.ndarray:
    r"""Pauli :math:`\sigma_y = -i|0\rangle\langle 1| + i|1\rangle\langle 0|`."""
    return _SY.copy()


def sigma_z() -> np.ndarray:
    r"""Pauli :math:`\sigma_z = |0\rangle\langle 0| - |1\rangle\langle 1|`."""
    return _SZ.copy()


def sigma_plus() -> np.ndarray:
    r""":math:`\sigma_+ = |0\rangle\langle 1|` (raises ``|1> -> |0>``, QuTiP's ``sigmap``)."""
    return np.array([[0, 1], [0, 0]], dtype=complex)


def sigma_minus() -> np.ndarray:
    r""":math:`\sigma_- = |1\rangle\langle 0|` (QuTiP's ``sigmam``)."""
    return np.array([[0, 0], [1, 0]], dtype=complex)


PAULIS: dict[str, np.ndarray] = {"I": np.eye(2, dtype=complex), "X": _SX, "Y": _SY, "Z": _SZ}


def spin_operators(j: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Spin-``j`` operators :math:`(J_x, J_y, J_z)` in the basis :math:`m = j, j-1, \dots, -j`.

    Example
    -------
    >>> jx, jy, jz = spin_operators(0.5)
    >>> bool(np.allclose(2 * jz, sigma_z()))
    True
    """
    two_j = 2 * check_real(j, "spin j")
    if not math.isfinite(two_j) or two_j < 0 or abs(two_j - round(two_j)) > 1e-12:
        raise InvalidParameterError(f"spin j must be a non-negative multiple of 1/2; got {j}")
    j = round(two_j) / 2
    m = j - np.arange(round(two_j) + 1)
    jp = np.diag(np.sqrt(j * (j + 1) - m[1:] * (m[1:] + 1)), 1).astype(complex)
    jz = np.diag(m).astype(complex)
    jx = (jp + jp.conj().T) / 2
    jy = (jp - jp.conj().T) / 2j
    return jx, jy, jz


def kron(*ops: Any) -> np.ndarray:
    """Kronecker product of several operators or vectors, left to right."""
    if not ops:
        raise DimensionError("kron needs at least one operator")
    return reduce(np.kron, (as_array(o, name=f"kron argument {i}")[0] for i, o in enumerate(ops)))


def embed(op: Any, site: int | Sequence[int], dims: Sequence[int], *, sparse: bool = False):
    r"""Embed a local operator acting on ``site`` (or consecutive ``sites``) of a register.

    .. math:: O_i = 1 \otimes \dots \otimes O \otimes \dots \otimes 1

    Parameters
    ----------
    op : operator on the chosen site(s); for several sites they must be
        listed in increasing order and be contiguous.
    site : index (or indices) of the target subsystem(s).
    dims : dimensions of every subsystem.
    sparse : return a ``scipy.sparse.csr_matrix`` instead of a dense array.

    Example
    -------
    >>> z1 = embed(sigma_z(), 1, [2, 2])
    >>> bool(np.allclose(z1, np.kron(np.eye(2), sigma_z())))
    True
    """
    dims = check_dims(dims)
    sites = check_indices(site, len(dims), "site", sort=False)
    if not sites:
        raise DimensionError("embed needs at least one site")
    if sites != list(range(sites[0], sites[0] + len(sites))):
        raise DimensionError(f"sites {sites} must be contiguous and increasing; permute the operator instead")
    op_arr, _ = as_array(op, name="op")
    local = math.prod(dims[s] for s in sites)
    if op_arr.shape != (local, local):
        raise DimensionError(f"operator of shape {op_arr.shape} does not act on site(s) {sites} of dimension {local}")
    left = math.prod(dims[: sites[0]])
    right = math.prod(dims[sites[-1] + 1 :])
    if sparse:
        import scipy.sparse as sp  # lazy: `import opentangle.operators` needs only NumPy (issue 19)

        out = sp.kron(sp.kron(sp.identity(left, format="csr"), sp.csr_matrix(op_arr)), sp.identity(right, format="csr"))
        return sp.csr_matrix(out, dtype=complex)
    return np.kron(np.kron(np.eye(left), op_arr), np.eye(right)).astype(complex)


def _normalise_sites(sites: int | Iterable[int], n: int, what: str) -> list[int]:
    return check_indices(sites, n, what)


def _prepare(rho: Any, dims: Sequence[int] | None) -> tuple[np.ndarray, list[int]]:
    arr, qdims = as_array(rho, name="rho")
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise DimensionError(f"rho must be a square matrix or a batch (..., D, D); got shape {arr.shape}")
    return arr, resolve_dims(arr.shape[-1], dims, qobj_dims=qdims)


def partial_trace(rho: Any, keep: int | Sequence[int], dims: Sequence[int] | None = None) -> np.ndarray:
    r"""Reduced state :math:`\mathrm{tr}_{\bar K}\,\rho` on the subsystems ``keep``.

    Works on a batch ``(..., D, D)``; the kept subsystems stay in increasing order.

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> bool(np.allclose(partial_trace(bell_state("phi+"), [0]), np.eye(2) / 2))
    True
    """
    arr, dims = _prepare(rho, dims)
    n = len(dims)
    keep = _normalise_sites(keep, n, "keep")
    batch = arr.shape[:-2]
    nb = len(batch)
    t = arr.reshape(*batch, *dims, *dims)
    traced = [i for i in range(n) if i not in keep]
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if 2 * n + nb > len(letters):
        # too many subsystems for one einsum: trace one at a time
        out = arr
        cur = list(dims)
        for idx in sorted(traced, reverse=True):
            shape = (*batch, *cur, *cur)
            t = out.reshape(shape)
            t = np.trace(t, axis1=nb + idx, axis2=nb + len(cur) + idx)
            cur.pop(idx)
            d = math.prod(cur)
            out = t.reshape(*batch, d, d)
        return out
    b = letters[2 * n : 2 * n + nb]
    row = list(letters[:n])
    col = list(letters[n : 2 * n])
    for i in traced:
        col[i] = row[i]
    out_idx = b + "".join(row[i] for i in keep) + "".join(col[i] for i in keep)
    res = np.einsum(f"{b}{''.join(row)}{''.join(col)}->{out_idx}", t)
    dk = math.prod(dims[i] for i in keep)
    return res.reshape(*batch, dk, dk)


def partial_transpose(rho: Any, sys: int | Sequence[int], dims: Sequence[int] | None = None) -> np.ndarray:
    r"""Partial transpose :math:`\rho^{T_A}` on the subsystems ``sys`` (A).

    .. math:: \langle i_A j_B | \rho^{T_A} | k_A l_B\rangle = \langle k_A j_B|\rho|i_A l_B\rangle

    Works on a batch ``(..., D, D)``.  For a rectangular operator pass
    ``dims=[row_dims, col_dims]`` (e.g. ``[[2, 3], [2, 1]]`` for a ``6 x 2`` matrix); the
    transposed subsystems exchange their row and column dimensions.

    Example
    -------
    >>> x = np.arange(12.0).reshape(6, 2)           # rows: 2 x 3, columns: 2 x 1
    >>> partial_transpose(x, 0, [[2, 3], [2, 1]]).shape
    (6, 2)
    >>> partial_transpose(x, 1, [[2, 3], [2, 1]]).shape
    (2, 6)
    """
    if (
        dims is not None
        and not np.isscalar(dims)
        and len(dims) == 2
        and all(isinstance(d, (list, tuple, np.ndarray)) for d in dims)
    ):
        return _partial_transpose_rect(rho, sys, cast("Sequence[Sequence[int]]", dims))  # checked just above
    arr, dims = _prepare(rho, dims)
    n = len(dims)
    sys = _normalise_sites(sys, n, "sys")
    batch = arr.shape[:-2]
    nb = len(batch)
    t = arr.reshape(*batch, *dims, *dims)
    axes = list(range(nb + 2 * n))
    for i in sys:
        axes[nb + i], axes[nb + n + i] = axes[nb + n + i], axes[nb + i]
    return np.transpose(t, axes).reshape(arr.shape)


def _partial_transpose_rect(x: Any, sys: int | Sequence[int], dims: Sequence[Sequence[int]]) -> np.ndarray:
    arr, _ = as_array(x, name="operator")
    rows, cols = check_dims(dims[0], "row dims"), check_dims(dims[1], "column dims")
    if len(rows) != len(cols):
        raise DimensionError(f"row dims {rows} and column dims {cols} must list the same number of subsystems")
    if arr.ndim < 2 or arr.shape[-2:] != (math.prod(rows), math.prod(cols)):
        raise DimensionError(f"operator of shape {arr.shape} does not match row dims {rows} and column dims {cols}")
    n = len(rows)
    sys = _normalise_sites(sys, n, "sys")
    batch = arr.shape[:-2]
    nb = len(batch)
    axes = list(range(nb + 2 * n))
    new_rows, new_cols = list(rows), list(cols)
    for i in sys:
        axes[nb + i], axes[nb + n + i] = axes[nb + n + i], axes[nb + i]
        new_rows[i], new_cols[i] = cols[i], rows[i]
    t = np.transpose(arr.reshape(*batch, *rows, *cols), axes)
    return t.reshape(*batch, math.prod(new_rows), math.prod(new_cols))


def random_unitary(d: int, *, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """A Haar-random ``d x d`` unitary (QR of a Ginibre matrix with phase fix)."""
    d = check_int(d, "d", minimum=1)
    rng = np.random.default_rng(seed)
    z = (rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))) / np.sqrt(2)
    q, r = np.linalg.qr(z)
    ph = np.diag(r) / np.abs(np.diag(r))
    return q * ph
