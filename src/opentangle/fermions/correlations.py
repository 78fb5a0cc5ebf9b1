"""Observables of number-conserving fermionic Gaussian states from ``D_ij = <c_i^dag c_j>``.

Every function takes a correlation matrix ``D`` (Hermitian, eigenvalues in
[0, 1]); pure and mixed Gaussian states are both accepted.  Entropies are in
bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from opentangle._convert import as_operator
from opentangle.errors import DimensionError, InvalidStateError

__all__ = [
    "binary_entropy",
    "check_modes",
    "entanglement_entropy",
    "entropy_from_eigenvalues",
    "fermionic_negativity",
    "mutual_information",
    "particle_number",
    "renyi_entropy",
    "validate_correlation",
]


def validate_correlation(corr: Any, *, atol: float = 1e-8) -> np.ndarray:
    """Return ``corr`` as a complex matrix after checking that it is a correlation matrix.

    Raises :class:`InvalidStateError` when ``corr`` is not Hermitian or has
    eigenvalues outside [0, 1] (by more than ``atol``).
    """
    d, _ = as_operator(corr, name="correlation matrix")
    if not np.allclose(d, d.conj().T, atol=atol, rtol=0):
        raise InvalidStateError(
            "correlation matrix D_ij = <c_i^dag c_j> must be Hermitian; symmetrise it with (D + D^H)/2"
        )
    ev = np.linalg.eigvalsh(0.5 * (d + d.conj().T))
    if ev.size and (ev[0] < -atol or ev[-1] > 1 + atol):
        raise InvalidStateError(
            f"correlation matrix eigenvalues must lie in [0, 1]; got [{ev[0]:.3g}, {ev[-1]:.3g}]. "
            "Is this <c^dag c> (not <c c^dag> or a Majorana covariance)?"
        )
    return d


def check_modes(modes: Any, n_modes: int, *, name: str = "modes") -> np.ndarray:
    """Distinct integer mode indices in ``range(n_modes)`` as an int array, else :class:`DimensionError`."""
    try:
        idx = np.asarray(modes, dtype=int).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise DimensionError(f"{name} must be a sequence of integer mode indices; got {modes!r}") from exc
    if np.any(idx < 0) or np.any(idx >= n_modes):
        raise DimensionError(f"{name} must be indices in [0, {n_modes - 1}]; got {idx.tolist()}")
    if np.unique(idx).size != idx.size:
        raise DimensionError(f"{name} contains repeated indices: {idx.tolist()}")
    return idx


def binary_entropy(x: np.ndarray) -> np.ndarray:
    """``-x log2 x - (1-x) log2 (1-x)`` elementwise, with ``0 log 0 = 0`` and ``x`` clipped to [0, 1]."""
    x = np.asarray(x, dtype=float)
    h = np.zeros_like(x)
    inside = (x > 0.0) & (x < 1.0)  # 0 and 1 (and values clipped to them) contribute nothing
    y = x[inside]
    h[inside] = -(y * np.log2(y) + (1 - y) * np.log2(1 - y))
    return h


def entropy_from_eigenvalues(eigenvalues: np.ndarray) -> float:
    """Von Neumann entropy (bits) of a Gaussian state with correlation eigenvalues ``eigenvalues``."""
    return float(np.sum(binary_entropy(eigenvalues)))


def entanglement_entropy(corr: Any, modes: Sequence[int] | np.ndarray, *, validate: bool = True) -> float:
    r"""Von Neumann entropy (bits) of the modes ``modes`` of a Gaussian state.

    .. math:: S_A = -\sum_k [\nu_k \log_2 \nu_k + (1-\nu_k)\log_2(1-\nu_k)],

    with :math:`\nu_k` the eigenvalues of :math:`D_A`, the restriction of
    :math:`D` to ``modes`` (Peschel, J. Phys. A 36, L205 (2003)).  For a pure
    state this is the entanglement entropy between ``modes`` and the rest.

    Example
    -------
    >>> import numpy as np
    >>> D = np.array([[0.5, 0.5], [0.5, 0.5]])   # one fermion in (|10> + |01>)/sqrt 2
    >>> round(entanglement_entropy(D, [0]), 12)
    1.0
    """
    d = validate_correlation(corr) if validate else np.asarray(corr)
    idx = check_modes(modes, d.shape[0])
    sub = d[np.ix_(idx, idx)]
    return entropy_from_eigenvalues(np.linalg.eigvalsh(0.5 * (sub + sub.conj().T)))


def renyi_entropy(corr: Any, modes: Sequence[int], *, alpha: float) -> float:
    r"""Renyi entropy (bits) ``S_alpha = 1/(1-alpha) sum_k log2[nu_k^alpha + (1-nu_k)^alpha]`` of ``modes``."""
    d = validate_correlation(corr)
    idx = check_modes(modes, d.shape[0])
    alpha = float(alpha)
    if alpha <= 0:
        raise InvalidStateError(f"alpha must be > 0; got {alpha}")
    if abs(alpha - 1.0) < 1e-12:
        return entanglement_entropy(d, idx, validate=False)
    nu = np.clip(np.linalg.eigvalsh(d[np.ix_(idx, idx)]), 0.0, 1.0)
    return float(np.sum(np.log2(nu**alpha + (1 - nu) ** alpha)) / (1 - alpha))


def _two_mode_sets(corr: Any, part_a: Sequence[int], part_b: Sequence[int]):
    """Validated correlation matrix, disjoint mode sets A and B, and their union."""
    d = validate_correlation(corr)
    a = check_modes(part_a, d.shape[0], name="part_a")
    b = check_modes(part_b, d.shape[0], name="part_b")
    if np.intersect1d(a, b).size:
        raise DimensionError("part_a and part_b must be disjoint sets of modes")
    return d, a, b, np.concatenate([a, b])


def mutual_information(corr: Any, part_a: Sequence[int], part_b: Sequence[int]) -> float:
    """Mutual information ``I(A:B) = S_A + S_B - S_AB`` in bits between two disjoint sets of modes."""
    d, a, b, ab = _two_mode_sets(corr, part_a, part_b)
    return (
        entanglement_entropy(d, a, validate=False)
        + entanglement_entropy(d, b, validate=False)
        - entanglement_entropy(d, ab, validate=False)
    )


def particle_number(corr: Any, modes: Sequence[int] | None = None) -> float:
    """Expected particle number ``sum_{i in modes} D_ii`` (all modes when ``modes`` is None)."""
    d = validate_correlation(corr)
    idx = np.arange(d.shape[0]) if modes is None else check_modes(modes, d.shape[0])
    return float(np.real(np.sum(np.diag(d)[idx])))


def fermionic_negativity(corr: Any, part_a: Sequence[int], part_b: Sequence[int]) -> float:
    r"""Fermionic logarithmic negativity (bits) between mode sets A and B of a Gaussian state.

    Uses the partial time-reversal of Shapourian, Shiozaki and Ryu
    (PRB 95, 165101 (2017)); the Gaussian formula for number-conserving states
    (Shapourian and Ryu, J. Stat. Mech. 043106 (2019)) is

    .. math::
        \mathcal{E} = \sum_j \log_2\!\left[\xi_j^{1/2} + (1-\xi_j)^{1/2}\right]
        + \tfrac12 \sum_j \log_2\!\left[\lambda_j^2 + (1-\lambda_j)^2\right],

    with :math:`\lambda_j` the eigenvalues of :math:`D_{AB}` and :math:`\xi_j`
    those of :math:`C_\times = \tfrac12[1 - (1+\Gamma_+\Gamma_-)^{-1}(\Gamma_+ + \Gamma_-)]`,
    :math:`\Gamma = 1 - 2 D_{AB}`, :math:`\Gamma_\pm = [[-\Gamma_{AA}, \pm i\Gamma_{AB}],
    [\pm i\Gamma_{BA}, \Gamma_{BB}]]`.  Modes outside A and B are traced out.
    For a pure state of A and B it equals the Renyi-1/2 entropy of A.
    ``tests/test_fermions.py`` checks it against the exact partial
    time-reversal of the many-body density matrix.

    Example
    -------
    >>> import numpy as np
    >>> D = np.array([[0.5, 0.5], [0.5, 0.5]])
    >>> round(fermionic_negativity(D, [0], [1]), 12)
    1.0
    """
    d, a, _, ab = _two_mode_sets(corr, part_a, part_b)
    dab = d[np.ix_(ab, ab)]
    dab = 0.5 * (dab + dab.conj().T)
    na = a.size
    g = np.eye(ab.size) - 2 * dab
    gp = g.astype(complex).copy()
    gp[:na, :na] *= -1
    gm = gp.copy()
    gp[:na, na:] *= 1j
    gp[na:, :na] *= 1j
    gm[:na, na:] *= -1j
    gm[na:, :na] *= -1j
    one = np.eye(ab.size)
    cx = 0.5 * (one - np.linalg.solve(one + gp @ gm, gp + gm))
    xi = np.linalg.eigvals(cx)
    xi = np.clip(np.real(xi), 0.0, 1.0)
    lam = np.clip(np.linalg.eigvalsh(dab), 0.0, 1.0)
    e = np.sum(np.log2(np.sqrt(xi) + np.sqrt(1 - xi))) + 0.5 * np.sum(np.log2(lam**2 + (1 - lam) ** 2))
    return float(e) if abs(e) > 1e-13 else 0.0
