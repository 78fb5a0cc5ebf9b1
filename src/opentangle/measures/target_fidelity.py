r"""Fidelities with Bell and GHZ states, and the GHZ witness of genuine multipartite entanglement.

.. math::
    F_B(\rho) = \langle B|\rho|B\rangle, \qquad F_{GHZ}(\rho) = \langle GHZ|\rho|GHZ\rangle.

For an ``n``-partite state with local dimension ``d``, :math:`F_{GHZ} > 1/d`
witnesses genuine multipartite entanglement (``1/2`` for qubits);
reference: O. Gühne and G. Tóth, Phys. Rep. 474, 1 (2009), Sec. 6.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from opentangle._convert import as_array
from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.measures._common import prepare_state, qubit_dims, scalar_or_array
from opentangle.states import BELL_LABELS, bell_state, ghz_state, validate_density_matrix

__all__ = ["bell_fidelities", "bell_fidelity", "ghz_fidelity", "is_gme_by_ghz_witness"]

_BELL = np.stack([bell_state(label, ket=True) for label in BELL_LABELS])


def bell_fidelities(rho: Any, dims: Sequence[int] | None = None) -> dict[str, float | np.ndarray]:
    """Fidelity with each Bell state: ``{"phi+": ..., "phi-": ..., "psi+": ..., "psi-": ...}``."""
    arr, dims = prepare_state(rho, dims)
    if list(dims) != [2, 2]:
        raise DimensionError(f"Bell fidelities need two qubits (dims [2, 2]); got {dims}")
    f = np.einsum("ki,...ij,kj->...k", _BELL.conj(), arr, _BELL).real
    return {label: scalar_or_array(f[..., k]) for k, label in enumerate(BELL_LABELS)}


def bell_fidelity(rho: Any, dims: Sequence[int] | None = None, *, which: str = "max") -> float | np.ndarray:
    r"""Fidelity :math:`\langle B|\rho|B\rangle` with one Bell state, or the largest of the four.

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(bell_fidelity(bell_state("psi-")), 12), round(bell_fidelity(bell_state("psi-"), which="phi+"), 12)
    (1.0, 0.0)
    """
    fids = bell_fidelities(rho, dims)
    key = str(which).lower()
    if key == "max":
        return scalar_or_array(np.max(np.stack([np.asarray(v) for v in fids.values()], axis=-1), axis=-1))
    if key not in fids:
        raise InvalidParameterError(f"unknown Bell state {which!r}; choose 'max' or one of {BELL_LABELS}")
    return fids[key]


def _ghz_dims(rho: Any, dims: Sequence[int] | None) -> tuple[np.ndarray, list[int]]:
    arr, qd = as_array(rho, name="rho")
    arr = validate_density_matrix(arr, batch=True)
    dims = qubit_dims(arr.shape[-1], dims, qd)
    if len(set(dims)) != 1 or len(dims) < 2:
        raise DimensionError(f"GHZ fidelity needs n >= 2 subsystems of equal dimension; got dims {dims}")
    return arr, dims


def ghz_fidelity(rho: Any, dims: Sequence[int] | None = None) -> float | np.ndarray:
    r"""Fidelity with :math:`|GHZ\rangle = \sum_i |i\dots i\rangle/\sqrt d` (dims default: qubits).

    Example
    -------
    >>> from opentangle.states import ghz_state
    >>> round(ghz_fidelity(ghz_state(3)), 12)
    1.0
    """
    arr, dims = _ghz_dims(rho, dims)
    g = ghz_state(len(dims), dims[0], ket=True)
    return scalar_or_array(np.einsum("i,...ij,j->...", g.conj(), arr, g).real)


def is_gme_by_ghz_witness(rho: Any, dims: Sequence[int] | None = None) -> bool | np.ndarray:
    """True when :math:`F_{GHZ} > 1/d` certifies genuine multipartite entanglement.

    False means only that this witness does not detect it.
    """
    arr, dims = _ghz_dims(rho, dims)
    out = np.asarray(ghz_fidelity(arr, dims)) > 1.0 / dims[0] + 1e-12
    return bool(out) if out.ndim == 0 else out
