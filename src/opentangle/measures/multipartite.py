r"""Average negativity over all bipartitions of ``N`` subsystems.

.. math::
    \bar{\mathcal N}(\rho) = \frac{1}{2^{N-1}-1}\sum_{\{A,\bar A\}} \mathcal N_A(\rho),

the mean over the :math:`2^{N-1}-1` unordered bipartitions (Hartmann, Dür,
Briegel, PRA 74, 052304 (2006)).  For permutation-symmetric states only the size
``k = |A|`` matters, and ``floor(N/2)`` partial transposes suffice.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from opentangle._convert import as_array, as_operator, check_int
from opentangle.errors import DimensionError, InvalidStateError
from opentangle.measures._common import qubit_dims
from opentangle.measures.negativity import negativity
from opentangle.states import validate_density_matrix

__all__ = ["average_negativity", "bipartitions", "is_permutation_symmetric"]


def bipartitions(n: int) -> list[tuple[int, ...]]:
    """Part A of each of the ``2^(n-1) - 1`` unordered bipartitions (A contains site 0)."""
    n = check_int(n, "n", minimum=2, error=DimensionError)
    out = []
    for size in range(1, n):
        for rest in itertools.combinations(range(1, n), size - 1):
            out.append((0, *rest))
    return out


def _permute(rho: np.ndarray, dims: list[int], perm: Sequence[int]) -> np.ndarray:
    n = len(dims)
    t = rho.reshape(dims + dims)
    t = np.transpose(t, list(perm) + [n + p for p in perm])
    return t.reshape(rho.shape)


def is_permutation_symmetric(rho: Any, dims: Sequence[int] | None = None, *, atol: float = 1e-10) -> bool:
    """True when ``rho`` is invariant under every permutation of its (equal) subsystems.

    Checks the two generators of the symmetric group: a swap of sites 0 and 1, and the cyclic shift.
    """
    arr, qd = as_array(rho, name="rho")
    arr = as_operator(arr, name="rho")[0]
    dims = qubit_dims(arr.shape[-1], dims, qd)
    if len(set(dims)) != 1:
        return False
    n = len(dims)
    if n < 2:
        return True
    swap = [1, 0] + list(range(2, n))
    shift = list(range(1, n)) + [0]
    return all(np.allclose(_permute(arr, dims, p), arr, atol=atol) for p in (swap, shift))


def average_negativity(rho: Any, dims: Sequence[int] | None = None, *, symmetric: bool = False) -> float:
    r"""Mean negativity over all unordered bipartitions (dims default: qubits).

    With ``symmetric=True`` the state is checked for permutation symmetry and
    only one bipartition per size is computed, weighted by its multiplicity
    :math:`\binom{N}{k}` (halved at ``k = N/2``).

    Example
    -------
    >>> from opentangle.states import ghz_state
    >>> round(average_negativity(ghz_state(3)), 12)
    0.5
    """
    arr, qd = as_array(rho, name="rho")
    arr = validate_density_matrix(arr)
    dims = qubit_dims(arr.shape[-1], dims, qd)
    n = len(dims)
    if n < 2:
        raise DimensionError(f"average_negativity needs at least 2 subsystems; got dims {dims}")
    total = 2 ** (n - 1) - 1
    if symmetric:
        if not is_permutation_symmetric(arr, dims, atol=1e-8):
            raise InvalidStateError(
                "symmetric=True but the state is not permutation symmetric; call with symmetric=False"
            )
        acc = 0.0
        for k in range(1, n // 2 + 1):
            weight = math.comb(n, k) / (2 if 2 * k == n else 1)
            acc += weight * float(negativity(arr, dims, part_a=list(range(k))))
        return float(acc / total)
    return float(np.mean([negativity(arr, dims, part_a=list(a)) for a in bipartitions(n)]))
