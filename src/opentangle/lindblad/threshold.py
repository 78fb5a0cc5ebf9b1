r"""Entanglement thresholds and optima of steady states over model parameters.

The negativity and the concurrence are clipped at 0, so their zero set has no sign change to
find.  The smallest eigenvalue of the partial transpose,
:math:`\lambda_{\min}(\rho^{T_A})`, is smooth where it is simple and changes sign exactly where
the state stops being PPT (Peres, PRL 77, 1413 (1996); Horodecki, Horodecki, Horodecki, Phys.
Lett. A 223, 1 (1996): for two qubits and qubit-qutrit PPT = separable).  Its root is found with
Brent's method.  Optima are found by bounded multistart quasi-Newton (L-BFGS-B) and certified by
the projected gradient at the optimum.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle.errors import ConvergenceError, InvalidParameterError

__all__ = [
    "EntanglementOptimum",
    "EntanglementThreshold",
    "entanglement_threshold",
    "maximize_entanglement",
    "min_pt_eigenvalue",
    "signed_threshold",
]


def min_pt_eigenvalue(rho: Any, dims: Sequence[int] | None = None, part: Any = None) -> float:
    r"""The smallest eigenvalue of the partial transpose :math:`\rho^{T_A}` (negative: NPT, entangled).

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> round(min_pt_eigenvalue(bell_state("phi+"), [2, 2]), 12)
    -0.5
    """
    from opentangle.measures import partial_transpose_spectrum

    return float(partial_transpose_spectrum(rho, dims, part_a=part)[0])


@dataclass(frozen=True)
class EntanglementThreshold:
    """Result of :func:`entanglement_threshold`.

    ``value`` the parameter where the signed measure crosses 0, ``bracket`` the final sign-changing
    interval, ``measure_at_bracket`` the signed measure at its ends (negative: entangled),
    ``negativity_at_bracket`` the negativity there, ``entangled_above`` whether the entangled side is
    above ``value``, ``solves`` the number of steady-state solves.
    """

    value: float
    bracket: tuple[float, float]
    measure_at_bracket: tuple[float, float]
    negativity_at_bracket: tuple[float, float]
    entangled_above: bool
    solves: int
    measure: str

    def __repr__(self) -> str:
        side = "above" if self.entangled_above else "below"
        return (
            f"EntanglementThreshold(value={self.value:.10g}, bracket=[{self.bracket[0]:.10g}, "
            f"{self.bracket[1]:.10g}], entangled {side}, {self.measure}={self.measure_at_bracket[0]:.3g}/"
            f"{self.measure_at_bracket[1]:.3g}, solves={self.solves})"
        )


@dataclass(frozen=True)
class EntanglementOptimum:
    """Result of :func:`maximize_entanglement`.

    ``x`` the best parameters, ``value`` the measure there, ``projected_gradient_norm`` the
    certificate (finite-difference gradient with the components that push out of an active bound
    removed; small: a stationary point), ``on_bound`` per parameter (``"lower"``, ``"upper"`` or
    ``""``), ``starts`` the ``(x, value)`` of every local run, ``solves`` the steady-state solves.
    """

    x: np.ndarray
    value: float
    projected_gradient_norm: float
    on_bound: tuple[str, ...]
    starts: tuple[tuple[tuple[float, ...], float], ...]
    solves: int
    measure: str

    def __repr__(self) -> str:
        xs = ", ".join(f"{v:.6g}" for v in self.x)
        return (
            f"EntanglementOptimum(x=[{xs}], {self.measure}={self.value:.8g}, "
            f"|proj grad|={self.projected_gradient_norm:.2e}, on_bound={list(self.on_bound)}, "
            f"starts={len(self.starts)}, solves={self.solves})"
        )


class _Objective:
    """``x -> measure(steady_state(model_of(*x)).rho)`` with a solve counter."""

    def __init__(self, model_of: Callable, measure: Any, part: Any, steady_options: dict | None):
        if not callable(model_of):
            raise InvalidParameterError("model_of must be a callable returning a Model for the parameter(s)")
        self.model_of = model_of
        self.part = part
        self.options = dict(steady_options or {})
        self.solves = 0
        if isinstance(measure, str):
            self.name = measure
        elif callable(measure):
            self.name = getattr(measure, "__name__", "measure")
        else:
            raise InvalidParameterError(f"measure must be a name or a callable f(rho, dims); got {measure!r}")
        self.measure = measure

    def state(self, *x: float):
        from opentangle.lindblad.model import Model
        from opentangle.lindblad.steady import steady_state

        m = self.model_of(*x)
        if not isinstance(m, Model):
            raise InvalidParameterError(f"model_of returned {type(m).__name__}, not a Model")
        self.solves += 1
        return steady_state(m, **self.options).rho, list(m.dims)

    def evaluate(self, rho: np.ndarray, dims: list[int], which: Any = None) -> float:
        from opentangle import measures as ms

        which = self.measure if which is None else which
        if callable(which):
            return float(which(rho, dims))
        key = which.lower()
        if key == "min_pt_eigenvalue":
            return min_pt_eigenvalue(rho, dims, self.part)
        if key in ("negativity", "log_negativity"):
            return float(getattr(ms, key)(rho, dims, part_a=self.part))
        if key in ("concurrence", "entanglement_of_formation"):
            return float(getattr(ms, key)(rho, dims))
        raise InvalidParameterError(
            f"unknown measure {which!r}: use 'min_pt_eigenvalue', 'negativity', 'log_negativity', 'concurrence', "
            "'entanglement_of_formation' or a callable f(rho, dims)"
        )


def _float(x: Any, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a finite number; got {x!r}") from None
    if not math.isfinite(v):
        raise InvalidParameterError(f"{name} must be finite; got {x!r}")
    return v


def entanglement_threshold(
    model_of: Callable[[float], Any],
    bracket: Sequence[float],
    *,
    measure: Any = "min_pt_eigenvalue",
    part: Any = None,
    tol: float = 1e-10,
    maxiter: int = 100,
    steady_options: dict | None = None,
) -> EntanglementThreshold:
    r"""The parameter where the steady state of ``model_of(x)`` becomes entangled.

    Finds the root of the smooth signed measure :math:`s(x)` (default
    :math:`\lambda_{\min}(\rho_{ss}(x)^{T_A})`; a callable ``f(rho, dims)`` is any witness that is
    negative on the entangled side) in ``bracket`` with Brent's method
    (``scipy.optimize.brentq``); :math:`s` must change sign on the bracket.

    Parameters
    ----------
    model_of : ``x -> Model`` (the model parameters; algorithm options go into ``steady_options``).
    bracket : ``(lo, hi)`` with :math:`s(lo)\,s(hi) < 0`.
    measure : ``"min_pt_eigenvalue"`` (default) or a callable ``f(rho, dims) -> float``.
    part : the subsystems of part A of the partial transpose (default: the first half).
    tol : absolute tolerance on the parameter (Brent's ``xtol``).
    steady_options : keyword options for :func:`~opentangle.lindblad.steady_state`.

    Example
    -------
    Two qubits with an Ising coupling, dephasing and reset to :math:`|+\rangle` (Hartmann, Dür,
    Briegel, PRA 74, 052304 (2006)):

    >>> import numpy as np
    >>> from opentangle.lindblad import Model, dephasing, reset
    >>> from opentangle.operators import embed, sigma_z
    >>> dims = [2, 2]
    >>> H = 2.5 * embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    >>> plus = np.array([1.0, 1.0]) / np.sqrt(2)
    >>> def model_of(r):
    ...     jumps = [dephasing(site=i, rate=1.0, dims=dims) + reset(site=i, rate=r, state=plus, dims=dims)
    ...              for i in range(2)]
    ...     return Model(hamiltonian=H, jumps=jumps, dims=dims)
    >>> round(entanglement_threshold(model_of, (2.0, 8.0)).value, 5)
    4.19873
    """
    obj = _Objective(model_of, measure, part, steady_options)

    def signed(x: float) -> float:
        rho, dims = obj.state(x)
        return obj.evaluate(rho, dims)

    res = signed_threshold(signed, bracket, tol=tol, maxiter=maxiter, name=obj.name)
    negs = []
    for x in res.bracket:
        rho, dims = obj.state(x)
        negs.append(obj.evaluate(rho, dims, "negativity") if not callable(measure) else float("nan"))
    return dataclasses.replace(res, negativity_at_bracket=(negs[0], negs[1]), solves=obj.solves)


def signed_threshold(
    signed: Callable[[float], float],
    bracket: Sequence[float],
    *,
    tol: float = 1e-10,
    maxiter: int = 100,
    name: str = "signed measure",
) -> EntanglementThreshold:
    r"""The root of a signed entanglement function ``signed(x)`` (negative: entangled) in ``bracket``.

    The root finding of :func:`entanglement_threshold`, for a ``signed`` that computes its state
    another way (a symmetry-reduced solver, a witness on reduced states): Brent's method
    (``scipy.optimize.brentq``, ``xtol=tol``); ``signed`` must change sign on the bracket.  The
    result's ``negativity_at_bracket`` is NaN and ``solves`` counts the calls of ``signed``.

    Example
    -------
    >>> round(signed_threshold(lambda x: 2.0 - x, (0.0, 5.0)).value, 12)
    2.0
    """
    from scipy.optimize import brentq

    try:
        lo, hi = (_float(b, "bracket") for b in bracket)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"bracket must be a pair (lo, hi); got {bracket!r}") from None
    if not lo < hi:
        raise InvalidParameterError(f"bracket must have lo < hi; got ({lo}, {hi})")
    tol = _float(tol, "tol")
    if tol <= 0:
        raise InvalidParameterError(f"tol must be > 0; got {tol}")
    seen: list[tuple[float, float]] = []

    def s(x: float) -> float:
        v = float(signed(x))
        seen.append((x, v))
        return v

    s_lo, s_hi = s(lo), s(hi)
    if not np.sign(s_lo) * np.sign(s_hi) < 0:
        raise InvalidParameterError(
            f"{name} does not change sign on the bracket: {s_lo:.3g} at {lo:g}, {s_hi:.3g} at {hi:g}; "
            "widen or move the bracket"
        )
    try:
        root, info = brentq(s, lo, hi, xtol=tol, maxiter=int(maxiter), full_output=True, disp=False)
    except RuntimeError as exc:  # pragma: no cover - brentq raises only with disp=True
        raise ConvergenceError(f"brentq failed: {exc}") from exc
    if not info.converged:
        raise ConvergenceError(f"brentq did not converge in {maxiter} iterations ({info.flag}); raise maxiter")
    below = [p for p in seen if p[0] <= root and np.sign(p[1]) == np.sign(s_lo)]
    above = [p for p in seen if p[0] >= root and np.sign(p[1]) == np.sign(s_hi)]
    a = max(below, default=(lo, s_lo))
    b = min(above, default=(hi, s_hi))
    return EntanglementThreshold(
        value=float(root),
        bracket=(a[0], b[0]),
        measure_at_bracket=(a[1], b[1]),
        negativity_at_bracket=(math.nan, math.nan),
        entangled_above=bool(s_hi < 0),
        solves=len(seen),
        measure=name,
    )


def maximize_entanglement(
    model_of: Callable[..., Any],
    bounds: Sequence[tuple[float, float]],
    *,
    measure: Any = "negativity",
    part: Any = None,
    starts: int = 6,
    seed: int = 0,
    tol: float = 1e-8,
    step: float = 1e-6,
    maxiter: int = 200,
    steady_options: dict | None = None,
) -> EntanglementOptimum:
    r"""Maximise a steady-state entanglement measure over parameters in a box, from several starts.

    Each start (the box centre, then uniform random points drawn with ``seed``) runs bounded
    L-BFGS-B (``scipy.optimize.minimize``) on :math:`-E(\rho_{ss}(x))` with finite-difference
    gradients.  The certificate is the projected gradient norm at the best point (central
    differences, relative ``step``; components pointing out of an active bound dropped).

    Parameters
    ----------
    model_of : ``(*x) -> Model``.
    bounds : ``[(lo, hi), ...]`` per parameter (finite, ``lo < hi``).
    measure : ``"negativity"`` (default), ``"log_negativity"``, ``"concurrence"``,
        ``"entanglement_of_formation"``, ``"min_pt_eigenvalue"`` (minimised: most negative) or a
        callable ``f(rho, dims)`` to maximise.
    starts : number of local runs; seed : seed of the random starts.
    tol : L-BFGS-B ``ftol``/``gtol``; step : relative finite-difference step of the certificate.

    Example
    -------
    >>> import numpy as np
    >>> from opentangle.lindblad import Model, dephasing, reset
    >>> from opentangle.operators import embed, sigma_z
    >>> dims = [2, 2]
    >>> zz = embed(sigma_z(), 0, dims) @ embed(sigma_z(), 1, dims)
    >>> plus = np.array([1.0, 1.0]) / np.sqrt(2)
    >>> def model_of(r):
    ...     jumps = [dephasing(site=i, rate=1.0, dims=dims) + reset(site=i, rate=r, state=plus, dims=dims)
    ...              for i in range(2)]
    ...     return Model(hamiltonian=2.5 * zz, jumps=jumps, dims=dims)
    >>> opt = maximize_entanglement(model_of, [(4.5, 40.0)], starts=2)
    >>> opt.on_bound[0] == "", bool(opt.projected_gradient_norm < 1e-4)
    (True, True)
    """
    from scipy.optimize import minimize

    obj = _Objective(model_of, measure, part, steady_options)
    try:
        b = np.array([[_float(lo, "bounds"), _float(hi, "bounds")] for lo, hi in bounds], dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"bounds must be a list of (lo, hi) pairs; got {bounds!r}") from None
    if b.size == 0 or np.any(b[:, 0] >= b[:, 1]):
        raise InvalidParameterError(f"every bound needs lo < hi; got {b.tolist()}")
    if isinstance(starts, bool) or not isinstance(starts, (int, np.integer)) or starts < 1:
        raise InvalidParameterError(f"starts must be a positive integer; got {starts!r}")
    sign = 1.0 if (callable(measure) or measure != "min_pt_eigenvalue") else -1.0

    def f(x: np.ndarray) -> float:
        rho, dims = obj.state(*map(float, x))
        return -sign * obj.evaluate(rho, dims)

    rng = np.random.default_rng(seed)
    x0s = [b.mean(axis=1)] + [b[:, 0] + rng.random(len(b)) * (b[:, 1] - b[:, 0]) for _ in range(int(starts) - 1)]
    runs = []
    for x0 in x0s:
        res = minimize(
            f,
            x0,
            method="L-BFGS-B",
            bounds=[tuple(r) for r in b],
            options={"ftol": tol, "gtol": tol, "maxiter": int(maxiter), "eps": float(step * max(1.0, np.abs(b).max()))},
        )
        runs.append((np.clip(res.x, b[:, 0], b[:, 1]), float(res.fun)))
    x_best, f_best = min(runs, key=lambda p: p[1])
    grad, on = _projected_gradient(f, x_best, f_best, b, step)
    return EntanglementOptimum(
        x=x_best,
        value=-sign * f_best,
        projected_gradient_norm=float(np.linalg.norm(grad)),
        on_bound=on,
        starts=tuple((tuple(map(float, x)), -sign * v) for x, v in runs),
        solves=obj.solves,
        measure=obj.name,
    )


def _projected_gradient(f: Callable, x: np.ndarray, fx: float, b: np.ndarray, step: float):
    """Finite-difference gradient of ``f`` at ``x`` projected on the feasible directions of the box."""
    g = np.zeros_like(x)
    on = []
    for i in range(x.size):
        h = step * max(1.0, abs(x[i]))
        lo_act = x[i] - b[i, 0] <= 1e-8 * max(1.0, abs(b[i, 0])) + h
        hi_act = b[i, 1] - x[i] <= 1e-8 * max(1.0, abs(b[i, 1])) + h
        e = np.zeros_like(x)
        e[i] = h
        if lo_act:
            g[i] = (f(x + e) - fx) / h
        elif hi_act:
            g[i] = (fx - f(x - e)) / h
        else:
            g[i] = (f(x + e) - f(x - e)) / (2 * h)
        if (lo_act and g[i] > 0) or (hi_act and g[i] < 0):  # minimising: pushes out of the box
            g[i] = 0.0
        on.append("lower" if lo_act else ("upper" if hi_act else ""))
    return g, tuple(on)
