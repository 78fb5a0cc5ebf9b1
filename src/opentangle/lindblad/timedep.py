r"""Time-dependent Lindblad models: coefficients, schedules and the adaptive propagator.

A time-dependent model has

.. math::
    \mathcal L(t) = \mathcal L_0 + \sum_k f_k(t)\,\mathcal H_k + \sum_j g_j(t)\,\mathcal D_j,

with :math:`\mathcal H_k\rho = -i[H_k,\rho]` (Hermitian :math:`H_k`, real :math:`f_k`) and
:math:`\mathcal D_j\rho = c_j\rho c_j^\dagger - \tfrac12\{c_j^\dagger c_j,\rho\}` (rates
:math:`g_j(t)\ge 0`).  A coefficient is one of

* a callable ``f(t, **args)`` (QuTiP 5 convention: the entries of ``Model(..., args={...})``
  that the function names are passed as keyword arguments, all of them if it takes ``**kwargs``).  The QuTiP 4 form ``f(t, args)`` is accepted when its second
  parameter is literally named ``args`` (as QuTiP 5 does);
* an array of samples on ``Model(..., tlist=...)``, interpolated by a cubic spline (QuTiP's
  default for array coefficients); evaluating outside ``tlist`` is an error;
* a :class:`Pulse`: a piecewise-constant schedule.  Its edges are integration breakpoints, and a
  model whose only time dependence is piecewise constant is propagated exactly
  (one matrix exponential per constant segment).

String coefficients (QuTiP's compiled ``"cos(t)"``) are refused with a typed error: pass a callable.
"""

from __future__ import annotations

import inspect
import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from opentangle.errors import ConvergenceError, InvalidParameterError

__all__ = ["Pulse"]


class Pulse:
    r"""A piecewise-constant schedule: ``values[i]`` on ``[edges[i], edges[i+1])``, ``outside`` elsewhere.

    Parameters
    ----------
    edges : strictly increasing times, length ``n + 1``.
    values : the ``n`` segment values (real numbers).
    outside : the value before ``edges[0]`` and from ``edges[-1]`` on (default 0).

    Example
    -------
    >>> p = Pulse([0.0, 1.0, 3.0], [2.0, 0.5])
    >>> p(0.5), p(1.0), p(5.0)
    (2.0, 0.5, 0.0)
    >>> Pulse.from_segments([(1.0, 2.0), (2.0, 0.5)]).edges.tolist()
    [0.0, 1.0, 3.0]
    """

    def __init__(
        self, edges: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray, *, outside: float = 0.0
    ):
        e = _real_array(edges, "Pulse edges")
        v = _real_array(values, "Pulse values")
        if e.ndim != 1 or v.ndim != 1 or e.size != v.size + 1 or v.size == 0:
            raise InvalidParameterError(f"Pulse needs n + 1 edges for n values; got {e.size} edges and {v.size} values")
        if np.any(np.diff(e) <= 0):
            bad = int(np.argmax(np.diff(e) <= 0))
            raise InvalidParameterError(
                f"Pulse edges must be strictly increasing; edges[{bad}] = {e[bad]:g} >= edges[{bad + 1}] = {e[bad + 1]:g}"
            )
        self.edges = e
        self.values = v
        self.outside = float(_real_array(outside, "Pulse outside value"))

    @classmethod
    def from_segments(
        cls, segments: Sequence[tuple[float, float]], *, start: float = 0.0, outside: float = 0.0
    ) -> Pulse:
        """A schedule from ``[(duration, value), ...]`` starting at ``start``; durations must be > 0."""
        try:
            durations, values = zip(*[(float(d), v) for d, v in segments])
        except (TypeError, ValueError):
            raise InvalidParameterError("segments must be a list of (duration, value) pairs") from None
        if any(not (math.isfinite(d) and d > 0) for d in durations):
            raise InvalidParameterError(f"segment durations must be positive and finite; got {list(durations)}")
        return cls(float(start) + np.concatenate([[0.0], np.cumsum(durations)]), values, outside=outside)

    def __call__(self, t: float) -> float:
        i = int(np.searchsorted(self.edges, t, side="right")) - 1
        return float(self.values[i]) if 0 <= i < self.values.size else self.outside

    def __repr__(self) -> str:
        return (
            f"Pulse({self.values.size} segments on [{self.edges[0]:g}, {self.edges[-1]:g}], outside={self.outside:g})"
        )


def _real_array(x: Any, name: str) -> np.ndarray:
    try:
        a = np.asarray(x)
    except Exception:
        raise InvalidParameterError(f"{name} must be real numbers; got {x!r:.60}") from None
    if a.dtype.kind not in "biufc" or a.dtype.kind == "b":
        raise InvalidParameterError(f"{name} must be real numbers; got {x!r:.60}")
    if a.dtype.kind == "c":
        if np.any(a.imag != 0):
            raise InvalidParameterError(f"{name} must be real; got complex values")
        a = a.real
    a = a.astype(float)
    if not np.all(np.isfinite(a)):
        raise InvalidParameterError(f"{name} contains NaN or infinite values")
    return a


class Coefficient:
    """A scalar function of time built from a callable, samples on ``tlist`` or a :class:`Pulse`.

    ``kind`` is ``"callable"``, ``"array"`` or ``"pulse"``; ``breakpoints`` are the times where it
    may jump; ``domain`` is where it may be evaluated.  ``real`` coefficients (rates, Hamiltonian
    amplitudes) must return real numbers; ``nonnegative`` ones (rates) must not go below 0.
    """

    def __init__(self, spec: Any, *, name: str, args: dict, tlist: np.ndarray | None, nonnegative: bool):
        self.name = name
        self.nonnegative = nonnegative
        self.breakpoints = np.empty(0)
        self.domain = (-math.inf, math.inf)
        self._f: Callable[[float], Any]
        if isinstance(spec, Pulse):
            self.kind, self._f = "pulse", spec
            self.breakpoints = spec.edges
            vals = np.append(spec.values, spec.outside)
            if nonnegative and vals.min() < 0:
                raise InvalidParameterError(
                    f"{name}: the Pulse has a negative value {vals.min():g}; rates must be >= 0"
                )
        elif isinstance(spec, str):
            raise InvalidParameterError(
                f"{name}: string coefficients ({spec!r}) are not compiled by opentangle; pass a callable, "
                f"e.g. lambda t, **args: np.cos(t)"
            )
        elif callable(spec):
            self.kind, self._f = "callable", _bind_callable(spec, args, name)
            t0 = float(tlist[0]) if tlist is not None else 0.0
            self.check(self(t0), t0)
        else:
            self.kind = "array"
            vals = np.asarray(spec)
            if vals.ndim != 1 or vals.dtype.kind not in "biufc":
                raise InvalidParameterError(
                    f"{name}: a coefficient must be a callable f(t, **args), a Pulse or a 1-D array of samples on "
                    f"tlist; got {type(spec).__name__}"
                )
            if tlist is None:
                raise InvalidParameterError(
                    f"{name}: an array coefficient needs Model(..., tlist=times of the samples)"
                )
            if vals.size != tlist.size:
                raise InvalidParameterError(f"{name}: {vals.size} samples but tlist has {tlist.size} times")
            vals = _real_array(vals, name)
            if nonnegative and vals.min() < 0:
                raise InvalidParameterError(
                    f"{name}: negative rate {vals.min():g} at t = {tlist[int(np.argmin(vals))]:g}; rates must be >= 0"
                )
            from scipy.interpolate import CubicSpline

            if tlist.size >= 3:
                self._f = CubicSpline(tlist, vals)
            else:
                grid, samples = tlist, vals
                self._f = lambda t: float(np.interp(t, grid, samples))
            self.domain = (float(tlist[0]), float(tlist[-1]))

    def __call__(self, t: float) -> float:
        return self._f(t)

    def check(self, value: Any, t: float) -> float:
        """``value`` as a real float (rates: >= 0), or a typed error naming the time."""
        if isinstance(value, (complex, np.complexfloating)):
            if value.imag != 0:
                raise InvalidParameterError(
                    f"{self.name} returned the complex value {value!r} at t = {t:g}; it must be real "
                    "(a rate, or the real amplitude of a Hermitian term)"
                )
            value = value.real
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"{self.name} returned {value!r} at t = {t:g}; it must return a real number"
            ) from None
        if not math.isfinite(v):
            raise InvalidParameterError(f"{self.name} returned {v} at t = {t:g}; it must be finite")
        if self.nonnegative and v < 0:
            raise InvalidParameterError(
                f"{self.name} is negative ({v:g}) at t = {t:g}; rates must be >= 0 at all times"
            )
        return v

    def value(self, t: float) -> float:
        return self.check(self._f(t), t)

    def __repr__(self) -> str:
        return f"Coefficient({self.name}, {self.kind})"


def _bind_callable(f: Callable, args: dict, name: str) -> Callable[[float], Any]:
    """``t -> f(t, **args)`` (or ``f(t, args)`` for a QuTiP 4 style function), signature checked."""
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):  # builtins without a signature: call with t only
        return lambda t: f(t)
    params = list(sig.parameters.values())
    if (
        len(params) >= 2
        and params[1].name == "args"
        and params[1].kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ):
        try:
            sig.bind(0.0, args)
        except TypeError as exc:
            raise InvalidParameterError(f"{name}: cannot call f(t, args): {exc}") from None
        return lambda t: f(t, args)
    if not any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):  # as QuTiP 5: pass the args it names
        args = {k: v for k, v in args.items() if k in sig.parameters and k != params[0].name}
    try:
        sig.bind(0.0, **args)
    except TypeError as exc:
        raise InvalidParameterError(
            f"{name}: the coefficient must be callable as f(t, **args) with args={sorted(args)}; {exc}"
        ) from None
    return lambda t: f(t, **args)


# ----------------------------------------------------------------------------- superoperators


def hamiltonian_superop(H: sp.csr_matrix) -> sp.csr_matrix:
    """:math:`-i(1\\otimes H - H^T\\otimes 1)` (column stacking)."""
    eye = sp.identity(H.shape[0], dtype=complex, format="csr")
    return sp.csr_matrix(-1j * (sp.kron(eye, H) - sp.kron(H.T, eye)))


def dissipator_superop(c: sp.csr_matrix) -> sp.csr_matrix:
    """Unit-rate dissipator :math:`\\bar c\\otimes c - \\tfrac12(1\\otimes c^\\dagger c + (c^\\dagger c)^T\\otimes 1)`."""
    eye = sp.identity(c.shape[0], dtype=complex, format="csr")
    cdc = (c.getH() @ c).tocsr()
    return sp.csr_matrix(sp.kron(c.conj(), c) - 0.5 * (sp.kron(eye, cdc) + sp.kron(cdc.T, eye)))


class TimeDependentLiouvillian:
    r""":math:`\mathcal L(t) = \mathcal L_0 + \sum_k c_k(t) S_k`; dense below ``dense_max`` Liouville dimension."""

    def __init__(self, L0: sp.csr_matrix, terms: list[tuple[sp.csr_matrix, Coefficient]], *, dense_max: int = 1024):
        n = L0.shape[0]
        self.n = n
        self.dense = n <= dense_max
        conv = (lambda M: M.toarray()) if self.dense else (lambda M: sp.csr_matrix(M))
        self.L0 = conv(L0)
        self.terms = [(conv(S), c) for S, c in terms]
        self.piecewise = all(c.kind == "pulse" for _, c in terms)
        bps = [c.breakpoints for _, c in terms if c.breakpoints.size]
        self.breakpoints = np.unique(np.concatenate(bps)) if bps else np.empty(0)
        lo = max([c.domain[0] for _, c in terms], default=-math.inf)
        hi = min([c.domain[1] for _, c in terms], default=math.inf)
        self.domain = (lo, hi)

    def segments(self, t0: float, t1: float) -> np.ndarray:
        """``[t0, b_1, ..., t1]``: the interval cut at the schedule's breakpoints."""
        b = self.breakpoints[(self.breakpoints > t0) & (self.breakpoints < t1)]
        return np.concatenate([[t0], b, [t1]])

    def frozen(self, a: float, b: float) -> tuple[Any, list[tuple[Any, Coefficient]]]:
        """On ``[a, b]`` (no breakpoint inside): the constant part (pulses at the midpoint) and the smooth terms."""
        mid = 0.5 * (a + b)
        L = self.L0.copy()
        smooth = []
        for S, c in self.terms:
            if c.kind == "pulse":
                v = c.value(mid)
                if v != 0.0:
                    L = L + v * S
            else:
                smooth.append((S, c))
        return L, smooth


def _check_domain(tdl: TimeDependentLiouvillian, t0: float, t1: float) -> None:
    lo, hi = tdl.domain
    if t0 < lo - 1e-12 * max(1.0, abs(lo)) or t1 > hi + 1e-12 * max(1.0, abs(hi)):
        raise InvalidParameterError(
            f"the times [{t0:g}, {t1:g}] leave the range [{lo:g}, {hi:g}] of tlist on which array coefficients are "
            "sampled; extend tlist"
        )


def propagate(
    tdl: TimeDependentLiouvillian,
    y0: np.ndarray,
    times: np.ndarray,
    *,
    method: str,
    rtol: float,
    atol: float,
    integral: bool = False,
):
    """Yield ``(i, y(times[i]))`` for ``i >= 1`` (``y`` is ``(n,)`` or ``(n, m)``), segment by segment.

    With ``integral=True`` also yields the running integral :math:`\\int_{t_0}^{t_i} y\\,dt` as a third item.
    ``method`` is ``"exact"`` (piecewise-constant models only) or a ``solve_ivp`` method name.
    """
    t0, t1 = float(times[0]), float(times[-1])
    _check_domain(tdl, t0, t1)
    edges = tdl.segments(t0, t1)
    shape = y0.shape
    y = y0.reshape(tdl.n, -1).astype(complex)
    z = np.zeros_like(y) if integral else None
    i = 1
    T = times.size
    while i < T and times[i] <= t0:
        yield (i, y.reshape(shape), z.reshape(shape)) if z is not None else (i, y.reshape(shape))
        i += 1
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        Lc, smooth = tdl.frozen(a, b)
        stops = [tt for tt in times[i:] if tt <= b]
        stops = stops if (stops and stops[-1] == b) else stops + [b]
        segment = _segment(Lc, smooth, y, z, a, stops, method=method, rtol=rtol, atol=atol, dense=tdl.dense)
        for s, y, z in segment:  # the segment's end state carries into the next one
            while i < T and times[i] <= s:
                yield (i, y.reshape(shape), z.reshape(shape)) if integral else (i, y.reshape(shape))
                i += 1


def _segment(Lc, smooth, y, z, a, stops, *, method, rtol, atol, dense):
    """Yield ``(s, y(s), z(s))`` at each stop of one segment (no breakpoint inside), one integration."""
    if not smooth and (dense or z is None):
        start = a
        for s in stops:
            if s > start:
                y, z = _step(Lc, smooth, y, z, start, s, method=method, rtol=rtol, atol=atol, dense=dense)
                start = s
            yield s, y, z
        return
    if method == "exact":
        raise InvalidParameterError("method='exact' needs a piecewise-constant model (Pulse coefficients only)")
    n, m = y.shape
    rhs = _segment_rhs(Lc, smooth, n, m, integral=z is not None)
    v0 = y.reshape(-1) if z is None else np.concatenate([y.reshape(-1), z.reshape(-1)])
    tiny = 1e-13 * max(1.0, abs(a))  # an output time a rounding error past an edge: no step (zvode refuses it)
    pts = [s for s in stops if s - a > tiny]
    if method in ("adams", "zbdf"):
        vals = _integrate_zvode(rhs, v0, a, pts, method=method, rtol=rtol, atol=atol)
    else:
        if method == "BDF" and z is not None:
            raise InvalidParameterError("method='bdf' propagates states; use the default method here")
        jac = _segment_jac(Lc, smooth, m, dense) if method == "BDF" else None
        vals = _integrate_ivp(rhs, jac, v0, a, pts, method=method, rtol=rtol, atol=atol)
    k = 0
    for s in stops:
        if s - a > tiny:
            v = vals[k]
            k += 1
            y = v[: n * m].reshape(n, m)
            z = None if z is None else v[n * m :].reshape(n, m)
        yield s, y, z


def _segment_rhs(Lc, smooth, n: int, m: int, *, integral: bool) -> Callable:
    """Right-hand side ``dy/dt = L(t) y`` on flattened ``y`` (with ``integral``: ``[y, z]``, ``dz/dt = y``)."""

    def rhs(t, v):
        Y = v[: n * m].reshape(n, m)
        dY = Lc @ Y
        for S, c in smooth:
            cv = c.value(t)
            if cv != 0.0:
                dY = dY + cv * (S @ Y)
        return np.concatenate([dY.reshape(-1), Y.reshape(-1)]) if integral else dY.reshape(-1)

    return rhs


def _segment_jac(Lc, smooth, m: int, dense: bool) -> Callable:
    """Jacobian ``L(t)`` (acting on ``m`` stacked columns) for ``solve_ivp``'s BDF."""

    def jac(t, v):
        L = Lc
        for S, c in smooth:
            L = L + c.value(t) * S
        return L if m == 1 else (np.kron(L, np.eye(m)) if dense else sp.kron(L, sp.identity(m)))

    return jac


def _integrate_zvode(rhs, v0, a, pts, *, method, rtol, atol) -> list[np.ndarray]:
    """Values at ``pts`` from ``scipy.integrate.ode``'s zvode (Adams or BDF)."""
    from scipy.integrate import ode

    failed: list[Exception] = []

    def safe_rhs(t, v):  # an exception inside zvode's callback is lost; keep it and stop cleanly
        if failed:
            return np.zeros_like(v)
        try:
            return rhs(t, v)
        except InvalidParameterError as exc:
            failed.append(exc)
            return np.zeros_like(v)

    solver = ode(safe_rhs).set_integrator(
        "zvode", method="adams" if method == "adams" else "bdf", rtol=rtol, atol=atol, nsteps=10_000_000
    )
    solver.set_initial_value(v0, a)
    vals = []
    for s in pts:
        with warnings.catch_warnings():  # zvode's own warnings; failures are raised below
            warnings.simplefilter("ignore", UserWarning)
            v = solver.integrate(s)
        if failed:
            raise failed[0]
        if not solver.successful():
            raise ConvergenceError(
                f"zvode {method} stopped at t = {solver.t:g} (code {solver.get_return_code()}); "
                "try method='bdf' (stiff) or looser tolerances"
            )
        vals.append(v.copy())
    return vals


def _integrate_ivp(rhs, jac, v0, a, pts, *, method, rtol, atol) -> list[np.ndarray]:
    """Values at ``pts`` from ``scipy.integrate.solve_ivp`` (``jac`` only for BDF)."""
    from scipy.integrate import solve_ivp

    if not pts:
        return []
    kw = {} if jac is None else {"jac": jac}
    sol = solve_ivp(rhs, (a, pts[-1]), v0, method=method, rtol=rtol, atol=atol, t_eval=pts, **kw)
    if not sol.success:
        raise ConvergenceError(f"{method} integration failed on [{a:g}, {pts[-1]:g}]: {sol.message}; try method='bdf'")
    return [sol.y[:, k] for k in range(len(pts))]


def _step(Lc, smooth, y, z, a, b, *, method, rtol, atol, dense):
    """Advance ``y`` (and the integral ``z``) from ``a`` to ``b`` with no breakpoint inside."""
    dt = b - a
    n, _m = y.shape
    if not smooth and (dense or z is None):  # constant on [a, b]: exact
        if z is None:
            return (sla.expm(Lc * dt) @ y if dense else spla.expm_multiply(sp.csc_matrix(Lc) * dt, y)), None
        M = np.zeros((2 * n, 2 * n), complex)  # [[L, 0], [1, 0]] dt: the integral is the lower-left block
        M[:n, :n] = Lc * dt
        M[n:, :n] = np.eye(n) * dt
        E = sla.expm(M)
        return E[:n, :n] @ y, z + E[n:, :n] @ y
    raise AssertionError("unreachable: _step propagates constant segments only")  # pragma: no cover
