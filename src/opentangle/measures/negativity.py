r"""Negativity, logarithmic negativity and the PPT test.

.. math::
    \mathcal N(\rho) = \frac{\lVert\rho^{T_A}\rVert_1 - 1}{2}, \qquad
    E_N(\rho) = \log_2 \lVert\rho^{T_A}\rVert_1

Reference: G. Vidal and R. F. Werner, Phys. Rev. A 65, 032314 (2002).
For a ``d x d`` state ``0 <= N <= (d-1)/2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from opentangle._convert import check_real
from opentangle.errors import InvalidParameterError
from opentangle.measures._common import hermitian_eigvals, prepare_state, resolve_part_a, scalar_or_array
from opentangle.operators import partial_transpose

__all__ = ["is_ppt", "log_negativity", "negativity", "partial_transpose_spectrum"]


def partial_transpose_spectrum(
    rho: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None
) -> np.ndarray:
    """Eigenvalues of :math:`\\rho^{T_A}` (ascending; batched over leading axes)."""
    arr, dims = prepare_state(rho, dims)
    part = resolve_part_a(part_a, len(dims))
    return hermitian_eigvals(partial_transpose(arr, part, dims))


def negativity(
    rho: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None
) -> float | np.ndarray:
    r"""Negativity :math:`(\lVert\rho^{T_A}\rVert_1 - 1)/2` of the bipartition ``part_a`` | rest.

    Parameters
    ----------
    rho : density matrix ``(D, D)`` or a batch ``(..., D, D)``; ndarray or Qobj.
    dims : subsystem dimensions (optional for two equal subsystems, e.g. two qubits).
    part_a : subsystems of part A (default: the first half).

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(negativity(bell_state("phi+")), 12)
    0.5
    """
    ev = partial_transpose_spectrum(rho, dims, part_a=part_a)
    return scalar_or_array(np.clip(-ev, 0.0, None).sum(axis=-1))


def log_negativity(
    rho: Any, dims: Sequence[int] | None = None, *, part_a: int | Sequence[int] | None = None
) -> float | np.ndarray:
    r"""Logarithmic negativity :math:`\log_2\lVert\rho^{T_A}\rVert_1` (bits).

    Example
    -------
    >>> from opentangle.states import maximally_entangled_state
    >>> round(log_negativity(maximally_entangled_state(4)), 12)
    2.0
    """
    ev = partial_transpose_spectrum(rho, dims, part_a=part_a)
    return scalar_or_array(np.log2(np.abs(ev).sum(axis=-1)))


def is_ppt(
    rho: Any,
    dims: Sequence[int] | None = None,
    *,
    part_a: int | Sequence[int] | None = None,
    atol: float = 1e-8,
) -> bool | np.ndarray:
    r"""Peres-Horodecki test: True when :math:`\rho^{T_A} \ge -\mathrm{atol}`.

    The default ``atol = 1e-8`` equals the tolerance of the state validation
    (eigenvalues down to ``-1e-8`` are accepted as round-off), so a state that
    passes validation only because of that tolerance is not called NPT.

    PPT is necessary for separability, and sufficient for 2x2 and 2x3 systems
    (Horodecki, Phys. Lett. A 223, 1 (1996)).

    Example
    -------
    >>> from opentangle.states import werner_state
    >>> bool(is_ppt(werner_state(0.3))), bool(is_ppt(werner_state(0.4)))
    (True, False)
    """
    atol = check_real(atol, "atol")
    if atol < 0:
        raise InvalidParameterError(f"atol must be >= 0; got {atol}")
    ev = partial_transpose_spectrum(rho, dims, part_a=part_a)
    out = ev[..., 0] >= -atol
    return bool(out) if np.ndim(out) == 0 else out
