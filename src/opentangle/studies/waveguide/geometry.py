r"""Giant atoms in a waveguide: Kockum's Markovian coefficients.

Atom ``j`` couples to a one-dimensional waveguide at the points ``x_{j,n}``,
each with rate ``gamma``.  The phase between two points is
:math:`\varphi_{xy} = \varphi\,|x - y|`, where :math:`\varphi = \omega L / v`
is the phase accumulated over one unit of length ``L`` at the atom frequency
:math:`\omega` (positions are given in units of ``L``).  With per-point rates
:math:`\gamma_{jn}` the Markovian coefficients are (Kockum, Johansson, Nori,
PRL 120, 140404 (2018), Eqs. (3)-(6), generalised to unequal rates)

.. math::

    \Delta_j     &= \tfrac12 \sum_{n,m} \sqrt{\gamma_{jn}\gamma_{jm}} \sin\varphi_{jn,jm}, \\
    \Gamma_{jk}  &= \sum_{n,m} \sqrt{\gamma_{jn}\gamma_{km}} \cos\varphi_{jn,km}, \\
    g_{jk}       &= \tfrac12 \sum_{n,m} \sqrt{\gamma_{jn}\gamma_{km}} \sin\varphi_{jn,km} \quad (j \ne k).

``Gamma`` is positive semidefinite by construction (it is a Gram matrix of
the vectors :math:`\sum_n \sqrt{\gamma_{jn}} e^{\pm i\varphi x_{jn}}`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._convert import check_nonnegative, check_real
from opentangle.errors import DimensionError, InvalidParameterError

__all__ = ["LAYOUTS", "GiantAtomCoefficients", "giant_atom_coefficients", "layout_positions", "per_point_rates"]

#: Two-atom layouts with unit distance between neighbouring coupling points
#: (Kockum et al. 2018, Fig. 1): a = atom 1, b = atom 2.
LAYOUTS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "small": ((0.0,), (1.0,)),  # two small atoms, one point each
    "sequential": ((0.0, 1.0), (2.0, 3.0)),  # a a b b  ("separate")
    "braided": ((0.0, 2.0), (1.0, 3.0)),  # a b a b
    "nested": ((0.0, 3.0), (1.0, 2.0)),  # a b b a
}


@dataclass(frozen=True)
class GiantAtomCoefficients:
    """Lamb shifts, decay matrix and exchange couplings of atoms at one phase."""

    phase: float
    lamb_shifts: np.ndarray  # (N,)
    gamma_matrix: np.ndarray  # (N, N), Gamma_jj on the diagonal, Gamma_jk off it
    exchange: np.ndarray  # (N, N), g_jk off the diagonal, zero diagonal

    @property
    def gamma1(self) -> float:
        return float(self.gamma_matrix[0, 0])

    @property
    def gamma2(self) -> float:
        return float(self.gamma_matrix[1, 1])

    @property
    def gamma12(self) -> float:
        return float(self.gamma_matrix[0, 1])

    @property
    def g(self) -> float:
        return float(self.exchange[0, 1])

    def as_waveguide_parameters(self) -> dict[str, float]:
        """``gamma1, gamma2, gamma12, g`` and the Lamb-shift detuning for two atoms.

        ``lamb_detuning`` is :math:`(\\Delta_2 - \\Delta_1)/2`, to be added to
        ``delta`` of the two-qubit model; the common shift is absorbed in the
        drive frequency.
        """
        if self.gamma_matrix.shape != (2, 2):
            raise DimensionError("as_waveguide_parameters needs exactly two atoms")
        return {
            "gamma1": self.gamma1,
            "gamma2": self.gamma2,
            "gamma12": self.gamma12,
            "g": self.g,
            "lamb_detuning": float(self.lamb_shifts[1] - self.lamb_shifts[0]) / 2,
        }

    def __repr__(self) -> str:
        n = self.gamma_matrix.shape[0]
        if n == 2:
            return (
                f"GiantAtomCoefficients(phase={self.phase:.6g}, Delta=({self.lamb_shifts[0]:.6g}, "
                f"{self.lamb_shifts[1]:.6g}), Gamma1={self.gamma1:.6g}, Gamma2={self.gamma2:.6g}, "
                f"Gamma12={self.gamma12:.6g}, g={self.g:.6g})"
            )
        return f"GiantAtomCoefficients(phase={self.phase:.6g}, atoms={n})"


def layout_positions(layout: str, *, spacing: float = 1.0) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Coupling-point positions of a named two-atom layout.

    ``layout`` is one of ``"small"``, ``"sequential"``, ``"braided"``, ``"nested"``;
    neighbouring points are ``spacing`` apart.

    Example
    -------
    >>> layout_positions("braided")
    ((0.0, 2.0), (1.0, 3.0))
    """
    key = str(layout).lower()
    if key == "separate":
        key = "sequential"
    if key not in LAYOUTS:
        raise InvalidParameterError(f"unknown layout {layout!r}; choose one of {sorted(LAYOUTS)}")
    s = check_nonnegative(spacing, "spacing")
    if s == 0:
        raise InvalidParameterError("spacing must be > 0")
    return tuple(tuple(s * x for x in atom) for atom in LAYOUTS[key])  # type: ignore[return-value]


def per_point_rates(gamma: Any, positions: list[np.ndarray]) -> list[np.ndarray]:
    if np.isscalar(gamma):
        g = check_nonnegative(gamma, "gamma")
        return [np.full(p.shape, g) for p in positions]
    try:
        out = [np.asarray(gj, dtype=float).reshape(p.shape) for gj, p in zip(gamma, positions, strict=True)]
    except (TypeError, ValueError) as exc:
        raise DimensionError(
            "gamma must be a number or one list of per-point rates per atom, shaped like positions"
        ) from exc
    for j, gj in enumerate(out):
        if not np.all(np.isfinite(gj)) or np.any(gj < 0):
            raise InvalidParameterError(f"gamma of atom {j} must be finite rates >= 0; got {gj.tolist()}")
    return out


def giant_atom_coefficients(
    positions: Sequence[Sequence[float]] | str, *, phase: float, gamma: Any = 1.0
) -> GiantAtomCoefficients:
    r"""Kockum coefficients for atoms coupled at ``positions`` (or a named layout).

    Parameters
    ----------
    positions : one sequence of coupling-point positions per atom (units of
        ``L``), or a layout name accepted by :func:`layout_positions`.
    phase : :math:`\varphi = \omega L / v`, the phase per unit length.
    gamma : per-point rate, a number or a list per atom shaped like ``positions``.

    Example
    -------
    Braided atoms at :math:`\varphi = \pi/2` interact without decohering:

    >>> c = giant_atom_coefficients("braided", phase=np.pi / 2)
    >>> round(c.gamma1, 12) + 0.0, round(c.gamma12, 12) + 0.0, round(c.g, 12)
    (0.0, 0.0, 1.0)
    """
    if isinstance(positions, str):
        positions = layout_positions(positions)
    phi = check_real(phase, "phase")
    try:
        pos = [np.asarray(p, dtype=float).ravel() for p in positions]
    except (TypeError, ValueError) as exc:
        raise DimensionError("positions must be one sequence of numbers per atom") from exc
    if len(pos) < 1 or any(p.size == 0 for p in pos):
        raise DimensionError("every atom needs at least one coupling point; got an empty list")
    for j, p in enumerate(pos):
        if not np.all(np.isfinite(p)):
            raise InvalidParameterError(f"positions of atom {j} must be finite; got {p.tolist()}")
    rates = per_point_rates(gamma, pos)
    n = len(pos)
    lamb = np.zeros(n)
    big_gamma = np.zeros((n, n))
    exch = np.zeros((n, n))
    for j in range(n):
        for k in range(n):
            ph = phi * np.abs(pos[j][:, None] - pos[k][None, :])
            w = np.sqrt(rates[j][:, None] * rates[k][None, :])
            big_gamma[j, k] = np.sum(w * np.cos(ph))
            s = 0.5 * np.sum(w * np.sin(ph))
            if j == k:
                lamb[j] = s
            else:
                exch[j, k] = s
    return GiantAtomCoefficients(phase=phi, lamb_shifts=lamb, gamma_matrix=big_gamma, exchange=exch)
