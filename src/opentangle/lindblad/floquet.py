r"""Periodically driven models: the time-averaged periodic steady state.

For :math:`\mathcal L(t + T) = \mathcal L(t)` the one-period propagator
:math:`\mathcal P = \mathcal T e^{\int_{t_0}^{t_0+T}\mathcal L(t)dt}` has the periodic steady state
:math:`\rho_{t_0}` as its fixed point, :math:`\mathcal P\rho_{t_0} = \rho_{t_0}`,
:math:`\mathrm{tr}\rho_{t_0} = 1`; its time average over one period is

.. math::
    \bar\rho = \frac1T\int_{t_0}^{t_0+T}\mathcal P(t, t_0)\,\rho_{t_0}\,dt,

and both :math:`\mathcal P` and :math:`\int\mathcal P\,dt` come from one integration of the matrix ODE
:math:`\dot Y = \mathcal L(t)Y`, :math:`\dot Z = Y` (exact exponentials on constant segments).
This is the stroboscopic (Floquet-Liouville) approach of Grifoni and Hänggi, Phys. Rep. 304, 229
(1998), Sec. 8; the time average is the zeroth Fourier component that QuTiP's
``steadystate_floquet`` approximates with matrix continued fractions.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from opentangle.errors import ConvergenceError, InvalidParameterError, NonUniqueSteadyStateError
from opentangle.lindblad.model import Model

__all__ = ["PeriodicSteadyState", "periodic_steady_state"]

#: largest Liouville dimension D**2 for the dense one-period propagator (memory ~ 2 (D^2)^2 x 16 B x a few)
PROPAGATOR_MAX = 1024


@dataclass(frozen=True)
class PeriodicSteadyState:
    """Result of :func:`periodic_steady_state`.

    ``rho`` the time average over one period, ``rho_t0`` the state at phases ``t0 + kT``,
    ``residual`` = ``||P vec(rho_t0) - vec(rho_t0)||_2``, ``second_multiplier`` the modulus of the
    second-largest Floquet multiplier (``< 1``: unique and attracting; the decay per period).
    """

    rho: np.ndarray
    rho_t0: np.ndarray
    period: float
    t0: float
    residual: float
    second_multiplier: float
    dims: list[int]
    seconds: float

    def __repr__(self) -> str:
        return (
            f"PeriodicSteadyState(dims={self.dims}, period={self.period:g}, residual={self.residual:.2e}, "
            f"second_multiplier={self.second_multiplier:.4g}, seconds={self.seconds:.3g})"
        )


def periodic_steady_state(
    model: Model, period: float, *, t0: float = 0.0, rtol: float = 1e-10, atol: float = 1e-12, tol: float = 1e-8
) -> PeriodicSteadyState:
    r"""The time-averaged steady state of a model that is periodic with ``period``.

    Parameters
    ----------
    model : a (time-dependent) :class:`Model` with :math:`\mathcal L(t+T) = \mathcal L(t)`
        (periodicity is the caller's promise; it is not checked).
    period : :math:`T > 0`.
    t0 : the reference phase of ``rho_t0``.
    rtol, atol : integration tolerances; tol : bound on the fixed-point residual.

    Raises
    ------
    NonUniqueSteadyStateError : a second Floquet multiplier at 1 (within ``1e-9``).
    ConvergenceError : fixed-point residual above ``tol``.

    Example
    -------
    >>> import numpy as np
    >>> from opentangle.lindblad import Jump
    >>> from opentangle.operators import sigma_minus, sigma_x
    >>> m = Model(hamiltonian=[[sigma_x(), lambda t: np.cos(t)]], jumps=[Jump(sigma_minus(), 1.0)])
    >>> ps = periodic_steady_state(m, 2 * np.pi)
    >>> bool(ps.residual < 1e-8), bool(abs(np.trace(ps.rho) - 1) < 1e-12)
    (True, True)
    """
    from opentangle.lindblad.dynamics import _check_tol
    from opentangle.lindblad.timedep import propagate

    if not isinstance(model, Model):
        raise InvalidParameterError(f"periodic_steady_state takes a Model; got {type(model).__name__}")
    T = float(period) if isinstance(period, (int, float, np.number)) else math.nan
    if not (math.isfinite(T) and T > 0):
        raise InvalidParameterError(f"period must be a positive finite number; got {period!r}")
    rtol, atol, tol = _check_tol(rtol, "rtol"), _check_tol(atol, "atol"), _check_tol(tol, "tol")
    D = model.dim
    n = D * D
    if n > PROPAGATOR_MAX:
        raise InvalidParameterError(
            f"the one-period propagator is dense ({n} x {n}, {2 * n * n * 16 / 1e9:.2g} GB per copy) for D = {D}; "
            f"periodic_steady_state handles D**2 <= {PROPAGATOR_MAX}; for larger models evolve to long times"
        )
    start = time.perf_counter()
    tdl = model.time_dependent_liouvillian()
    method = "exact" if tdl.piecewise else "adams"
    ((_, P, Z),) = list(
        propagate(
            tdl, np.eye(n, dtype=complex), np.array([t0, t0 + T]), method=method, rtol=rtol, atol=atol, integral=True
        )
    )
    mult = np.sort(np.abs(np.linalg.eigvals(P)))[::-1]
    second = float(mult[1]) if n > 1 else 0.0
    if n > 1 and abs(second - 1.0) < 1e-9:
        raise NonUniqueSteadyStateError(
            f"the one-period propagator has a second multiplier |mu_2| = {second:.12g} at 1: the periodic steady "
            "state is not unique (add dissipation that connects the invariant subspaces)"
        )
    A = P - np.eye(n)
    diag = np.arange(D) * (D + 1)
    A[0, :] = 0.0
    A[0, diag] = 1.0
    b = np.zeros(n, complex)
    b[0] = 1.0
    x = np.linalg.solve(A, b)
    rho0 = x.reshape(D, D, order="F")
    rho0 = (rho0 + rho0.conj().T) / 2
    rho0 /= np.trace(rho0).real
    x = rho0.reshape(-1, order="F")
    res = float(np.linalg.norm(P @ x - x))
    if res > tol:
        raise ConvergenceError(
            f"periodic fixed point residual {res:.2e} exceeds tol {tol:.1e}; tighten rtol/atol or check the period"
        )
    avg = (Z @ x).reshape(D, D, order="F") / T
    avg = (avg + avg.conj().T) / 2
    avg /= np.trace(avg).real
    return PeriodicSteadyState(
        rho=avg,
        rho_t0=rho0,
        period=T,
        t0=float(t0),
        residual=res,
        second_multiplier=second,
        dims=list(model.dims),
        seconds=time.perf_counter() - start,
    )
