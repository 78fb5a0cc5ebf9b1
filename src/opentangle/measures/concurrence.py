r"""Concurrence and entanglement of formation of two qubits.

.. math::
    C(\rho) = \max(0, \lambda_1 - \lambda_2 - \lambda_3 - \lambda_4),

with :math:`\lambda_i` the decreasing square roots of the eigenvalues of
:math:`\rho\,(\sigma_y\otimes\sigma_y)\rho^*(\sigma_y\otimes\sigma_y)`, and

.. math::
    E_F = h\!\left(\tfrac{1 + \sqrt{1 - C^2}}{2}\right), \quad h(x) = -x\log_2 x - (1-x)\log_2(1-x).

Reference: W. K. Wootters, Phys. Rev. Lett. 80, 2245 (1998).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from opentangle.errors import DimensionError
from opentangle.measures._common import prepare_state, scalar_or_array

__all__ = ["concurrence", "entanglement_of_formation"]

_YY = np.kron(np.array([[0, -1j], [1j, 0]]), np.array([[0, -1j], [1j, 0]]))


def _two_qubit(rho: Any, dims: Sequence[int] | None) -> np.ndarray:
    arr, dims = prepare_state(rho, dims)
    if list(dims) != [2, 2]:
        raise DimensionError(f"concurrence is defined here for two qubits (dims [2, 2]); got dims {dims}")
    return arr


def concurrence(rho: Any, dims: Sequence[int] | None = None) -> float | np.ndarray:
    """Wootters concurrence of a two-qubit state (batched over leading axes).

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(concurrence(bell_state("psi-")), 12)
    1.0
    """
    arr = _two_qubit(rho, dims)
    # lambda_i are the singular values of sqrt(rho~) sqrt(rho): accurate even for rank-deficient rho,
    # where the square roots of the eigenvalues of rho rho~ would amplify round-off to ~1e-8
    w, v = np.linalg.eigh((arr + np.swapaxes(arr.conj(), -1, -2)) / 2)
    sqrt_rho = (v * np.sqrt(np.clip(w, 0.0, None))[..., None, :]) @ np.swapaxes(v.conj(), -1, -2)
    sqrt_tilde = _YY @ sqrt_rho.conj() @ _YY
    lam = np.linalg.svd(sqrt_tilde @ sqrt_rho, compute_uv=False)
    c = lam[..., 0] - lam[..., 1] - lam[..., 2] - lam[..., 3]
    return scalar_or_array(np.clip(c, 0.0, 1.0))


def entanglement_of_formation(rho: Any, dims: Sequence[int] | None = None) -> float | np.ndarray:
    """Entanglement of formation in bits, from the concurrence (two qubits).

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(entanglement_of_formation(bell_state("phi+")), 12)
    1.0
    """
    c = np.asarray(concurrence(rho, dims))
    x = (1 + np.sqrt(np.clip(1 - c**2, 0.0, 1.0))) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -x * np.log2(x) - (1 - x) * np.log2(1 - x)
    return scalar_or_array(np.nan_to_num(h, nan=0.0))
