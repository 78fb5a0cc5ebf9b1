r"""Closed forms of the two-qubit reset model (Ising, dephasing, reset to ``|+>``).

Hartmann, Dür, Briegel, PRA 74, 052304 (2006), Sec. II A and Eq. (3).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from opentangle._convert import check_real
from opentangle.errors import InvalidParameterError, NonUniqueSteadyStateError

__all__ = [
    "NEGATIVITY_SUPREMUM",
    "two_qubit_boundary_g",
    "two_qubit_negativity",
    "two_qubit_num_den",
    "two_qubit_spectrum",
    "two_qubit_steady_state",
    "two_qubit_threshold_r",
]

#: sup of the two-qubit negativity, reached along g = r/(1+sqrt3) as r -> infinity.
NEGATIVITY_SUPREMUM = (math.sqrt(3.0) - 1.0) / 8.0


# --------------------------------------------------------------------------- closed forms (N = 2)
def _rates(name: str, x: Any, *, positive: bool = False, signed: bool = False) -> np.ndarray:
    """``x`` as a float array of finite rates (``>= 0``, ``> 0``, or any sign), else :class:`InvalidParameterError`."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a real number or array; got {x!r}") from None
    bad = ~np.isfinite(arr) if signed else (~np.isfinite(arr) | ((arr <= 0) if positive else (arr < 0)))
    if np.any(bad):
        what = "" if signed else (" and > 0" if positive else " and >= 0")
        raise InvalidParameterError(f"{name} must be finite{what}; got {arr[bad].ravel()[0]!r}")
    return arr


def two_qubit_num_den(g: Any, r: Any, gamma: Any) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of Eq. (3) (the negativity is ``max(0, num/den)``)."""
    g = _rates("g", g, signed=True)
    r = _rates("r (reset rate)", r, positive=True)  # r = 0: the steady state is not unique
    gamma = _rates("gamma", gamma)
    num = g * r * (r + gamma) - g**2 * (r + gamma) - gamma * (r + gamma / 2) ** 2
    den = 2 * (r + gamma) * (2 * g**2 + (r + gamma / 2) * (r + gamma))
    return num, den


def _out(x: Any) -> Any:
    return float(x) if np.ndim(x) == 0 else x


def two_qubit_negativity(*, g: Any, r: Any, gamma: Any = 1.0) -> float | np.ndarray:
    r"""Closed-form steady-state negativity of two qubits (Ising, dephasing, reset to ``|+>``).

    .. math::
        \mathcal N = \max\Bigl\{0, \frac{g r (r+\gamma) - g^2 (r+\gamma) - \gamma (r+\gamma/2)^2}
        {2 (r+\gamma)\,(2 g^2 + (r+\gamma/2)(r+\gamma))}\Bigr\}

    Eq. (3) of Hartmann, Dür, Briegel, PRA 74, 052304 (2006).  Broadcasts over arrays.

    Example
    -------
    >>> two_qubit_negativity(g=0.5, r=1.0)
    0.0
    """
    num, den = two_qubit_num_den(g, r, gamma)
    return _out(np.maximum(0.0, num / den))


def two_qubit_steady_state(*, g: float, r: float, gamma: float = 1.0) -> np.ndarray:
    r"""Closed-form two-qubit steady state (z basis ``|00>, |01>, |10>, |11>``, ``sigma_z|0> = |0>``).

    Diagonal ``1/4``; anti-diagonal :math:`r^2(r+\gamma/2)/[4(r+\gamma)D]`;
    :math:`C_{00,01} = C_{00,10} = C_{01,11}^* = C_{10,11}^* = r(r+\gamma/2-ig)/(4D)`, with
    :math:`D = 2g^2 + (r+\gamma/2)(r+\gamma)` (the paper, Sec. II A).

    Example
    -------
    >>> bool(np.isclose(np.trace(two_qubit_steady_state(g=1.0, r=1.0)).real, 1.0))
    True
    """
    g = check_real(g, "g")
    gamma = float(_rates("gamma", gamma))
    r = float(_rates("r (reset rate)", r))
    if r == 0:
        raise NonUniqueSteadyStateError(
            "r = 0 leaves no unique steady state (dephasing conserves the populations); use a reset rate r > 0"
        )
    den = 2 * g**2 + (r + gamma / 2) * (r + gamma)
    anti = r**2 * (r + gamma / 2) / (4 * (r + gamma) * den)
    c = r * (r + gamma / 2 - 1j * g) / (4 * den)
    rho = np.full((4, 4), 0.0, dtype=complex)
    np.fill_diagonal(rho, 0.25)
    rho[0, 3] = rho[1, 2] = rho[2, 1] = rho[3, 0] = anti
    rho[0, 1] = rho[0, 2] = c
    rho[1, 3] = rho[2, 3] = np.conj(c)
    upper = np.triu(rho, 1)
    return np.diag(np.diag(rho)) + upper + upper.conj().T


def two_qubit_spectrum(*, g: float, r: float, gamma: float = 1.0) -> np.ndarray:
    r"""The 16 Liouvillian eigenvalues of the two-qubit model (with multiplicity).

    :math:`0\,(\times1),\ -r\,(\times2),\ -2r\,(\times1),\ -2(r+\gamma)\,(\times4),\
    -(3r/2+\gamma) \pm 2i\sqrt{g^2 - r^2/16}\,(\times4\ \text{each})`.

    Example
    -------
    >>> float(np.sort(two_qubit_spectrum(g=1.0, r=2.0).real)[-2])
    -2.0
    """
    root = 2 * np.sqrt(complex(g**2 - r**2 / 16))
    centre = -(1.5 * r + gamma)
    ev = [0.0] + [-r] * 2 + [-2 * r] + [-2 * (r + gamma)] * 4 + [centre + 1j * root] * 4 + [centre - 1j * root] * 4
    return np.array(ev, dtype=complex)


def two_qubit_threshold_r(*, g: Any, gamma: Any = 1.0) -> float | np.ndarray:
    r"""Reset rate above which two qubits are entangled, at coupling ``g`` (``inf`` for ``g <= gamma``).

    The numerator of Eq. (3) is :math:`(g-\gamma) r^2 - (g^2 - g\gamma + \gamma^2) r
    - \gamma (g^2 + \gamma^2/4)`, a quadratic with one positive root for ``g > gamma``;
    the steady state is entangled exactly for ``r > r_c``.

    Example
    -------
    >>> round(two_qubit_threshold_r(g=2.5), 6)
    4.198726
    """
    g, gamma = np.broadcast_arrays(np.asarray(g, dtype=float), np.asarray(gamma, dtype=float))
    a = g - gamma
    b = -(g**2 - g * gamma + gamma**2)
    c = -gamma * (g**2 + gamma**2 / 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = (-b + np.sqrt(b**2 - 4 * a * c)) / (2 * a)
    return _out(np.where(a > 0, root, np.inf))


def two_qubit_boundary_g(*, r: Any, gamma: Any = 1.0) -> tuple[Any, Any]:
    r"""Lower and upper coupling ``(g_lo, g_hi)`` of the entangled region at reset rate ``r``.

    Roots of :math:`g^2 - r g + \gamma(r+\gamma/2)^2/(r+\gamma) = 0`; ``nan`` where none
    (no entanglement at this ``r``).  For large ``r``: ``g_lo -> gamma``, ``g_hi -> r``.

    Example
    -------
    >>> lo, hi = two_qubit_boundary_g(r=10.0)
    >>> round(lo, 4), round(hi, 4)
    (1.13, 8.87)
    """
    r, gamma = np.broadcast_arrays(np.asarray(r, dtype=float), np.asarray(gamma, dtype=float))
    disc = r**2 - 4 * gamma * (r + gamma / 2) ** 2 / (r + gamma)
    with np.errstate(invalid="ignore"):
        sq = np.where(disc >= 0, np.sqrt(np.abs(disc)), np.nan)
    return _out((r - sq) / 2), _out((r + sq) / 2)
