r"""Time evolution and Liouvillian spectra.

``evolve`` integrates :math:`\dot\rho = \mathcal L\rho` with exponential
propagators, which are unconditionally stable for stiff problems:

* ``"expm"``: dense :math:`e^{\mathcal L\Delta t}` (scipy ``expm``), one per
  distinct step; exact to round-off; default for :math:`D^2 \le 1024`.
* ``"krylov"``: ``scipy.sparse.linalg.expm_multiply`` between consecutive
  times (truncated Taylor with scaling, accurate to double precision); default above.
* ``"bdf"``: ``scipy.integrate.solve_ivp(method="BDF")`` with the sparse
  Liouvillian as Jacobian; cheapest for very stiff long runs, accurate to ``rtol``/``atol``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from opentangle.errors import ConvergenceError, DimensionError, InvalidParameterError
from opentangle.lindblad.model import Model, _to_csr, liouvillian
from opentangle.states import as_density_matrix

__all__ = ["Evolution", "Spectrum", "evolve", "spectrum"]

_DENSE_MAX = 1024


@dataclass
class Evolution:
    """Result of :func:`evolve`.

    ``times`` ``(T,)``; ``states`` ``(T, D, D)`` (``None`` with ``store_states=False``);
    ``expect`` ``(K, T)`` for ``K`` observables (real when they are Hermitian)
    or ``None``; ``measures`` maps each measure name to an array ``(T, ...)``.
    """

    times: np.ndarray
    states: np.ndarray | None
    expect: np.ndarray | None = None
    measures: dict[str, np.ndarray] = field(default_factory=dict)
    method: str = ""

    def __repr__(self) -> str:
        st = "None" if self.states is None else f"{self.states.shape}"
        ex = "None" if self.expect is None else f"{self.expect.shape}"
        return (
            f"Evolution(T={self.times.size}, t=[{self.times[0]:g}, {self.times[-1]:g}], method={self.method!r}, "
            f"states={st}, expect={ex}, measures={sorted(self.measures)})"
        )


@dataclass
class Spectrum:
    """Result of :func:`spectrum`: slowest eigenvalues (descending real part) and the gap.

    ``gap == 0.0`` means a second eigenvalue at zero (within ``1e-12`` of the rate scale): the steady
    state is not unique.
    """

    eigenvalues: np.ndarray
    gap: float

    def __repr__(self) -> str:
        ev = ", ".join(f"{z.real:.4g}{z.imag:+.4g}j" for z in self.eigenvalues[:6])
        return f"Spectrum(gap={self.gap:.6g}, eigenvalues=[{ev}{', ...' if self.eigenvalues.size > 6 else ''}])"


def _initial_state(rho0: Any, D: int) -> np.ndarray:
    return as_density_matrix(rho0, dim=D, name="rho0")


def _named(items: Any, what: str) -> list[tuple[str, Any]]:
    if items is None:
        return []
    if isinstance(items, Mapping):
        return [(str(k), v) for k, v in items.items()]
    if callable(items) or hasattr(items, "shape") or hasattr(items, "dims"):
        items = [items]
    out = []
    for i, v in enumerate(items):
        name = getattr(v, "__name__", None) if callable(v) else None
        out.append((name or f"{what}{i}", v))
    return out


def evolve(
    model: Model,
    rho0: Any,
    times: Sequence[float],
    *,
    observables: Any = None,
    measures: Any = None,
    method: str = "auto",
    rtol: float = 1e-10,
    atol: float = 1e-12,
    store_states: bool = True,
) -> Evolution:
    r"""Solve :math:`\dot\rho = \mathcal L\rho` from ``rho0`` at ``times[0]``; report ``rho(t)`` at every time.

    Parameters
    ----------
    rho0 : density matrix or ket (array or ``Qobj``).
    times : increasing 1-D sequence; ``rho(times[0]) = rho0``.
    observables : operator, list or dict of operators; gives ``expect[k, t] = tr(O_k rho(t))``.
    measures : callable ``f(rho) -> value``, list or dict of them (e.g.
        ``{"N": opentangle.measures.negativity}``), evaluated at every time.
    method : ``"auto"``, ``"expm"``, ``"krylov"`` or ``"bdf"`` (see module docstring).
    rtol, atol : tolerances of ``"bdf"``.
    store_states : keep ``states`` (T, D, D); turn off for large ``D``.

    Example
    -------
    >>> from opentangle.operators import sigma_minus, sigma_z
    >>> m = Model(jumps=[(sigma_minus(), 1.0)])
    >>> ev = evolve(m, [1, 0], [0.0, 1.0], observables=[sigma_z()])
    >>> bool(abs(ev.expect[0, 1] - (2 * np.exp(-1) - 1)) < 1e-12)
    True
    """
    if not isinstance(model, Model):
        raise InvalidParameterError(f"evolve takes a Model; got {type(model).__name__}")
    D = model.dim
    n = D * D
    rho = _initial_state(rho0, D)
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise InvalidParameterError("times must be a non-empty 1-D array of finite numbers")
    if np.any(np.diff(t) < 0):
        raise InvalidParameterError("times must be increasing")
    if method == "auto":
        method = "expm" if n <= _DENSE_MAX else "krylov"
    if method not in ("expm", "krylov", "bdf"):
        raise InvalidParameterError(f"method must be 'auto', 'expm', 'krylov' or 'bdf'; got {method!r}")
    obs = []
    for name, o in _named(observables, "O"):
        mat, _ = _to_csr(o, f"observable {name}")
        if mat.shape != (D, D):
            raise DimensionError(f"observable {name} has shape {mat.shape}; the model has dimension {D}")
        obs.append(mat)
    meas = _named(measures, "measure")
    for name, f in meas:
        if not callable(f):
            raise InvalidParameterError(f"measure {name!r} must be a callable f(rho) -> value")
    L = liouvillian(model)
    x = rho.reshape(-1, order="F")
    T = t.size
    states = np.empty((T, D, D), complex) if store_states else None
    herm = all(abs(o - o.getH()).max() <= 1e-12 if o.nnz else True for o in obs)
    expect = np.empty((len(obs), T), float if herm else complex) if obs else None
    mvals: dict[str, list] = {name: [] for name, _ in meas}

    def record(i: int, xv: np.ndarray) -> None:
        r = xv.reshape(D, D, order="F")
        if states is not None:
            states[i] = r
        for k, o in enumerate(obs):
            v = (o.multiply(r.T)).sum()  # tr(O r) = sum_ij O_ij r_ji
            expect[k, i] = v.real if herm else v
        for name, f in meas:
            mvals[name].append(f((r + r.conj().T) / 2))

    record(0, x)
    if method == "expm":
        Ld = L.toarray()
        cache: dict[float, np.ndarray] = {}
        for i in range(1, T):
            dt = t[i] - t[i - 1]
            key = round(dt, 14)
            if key not in cache:
                cache[key] = sla.expm(Ld * dt)
            x = cache[key] @ x
            record(i, x)
    elif method == "krylov":
        Lc = sp.csc_matrix(L)
        for i in range(1, T):
            dt = t[i] - t[i - 1]
            if dt > 0:
                x = spla.expm_multiply(Lc * dt, x)
            record(i, x)
    else:
        from scipy.integrate import solve_ivp

        Lc = sp.csc_matrix(L)
        if T > 1:
            sol = solve_ivp(lambda _t, y: Lc @ y, (t[0], t[-1]), x, method="BDF", t_eval=t, jac=Lc,
                            rtol=rtol, atol=atol)
            if not sol.success:
                raise ConvergenceError(f"BDF integration failed: {sol.message}; try method='krylov'")
            for i in range(1, T):
                record(i, sol.y[:, i])
    out_m = {name: np.asarray(v) for name, v in mvals.items()}
    return Evolution(times=t, states=states, expect=expect, measures=out_m, method=method)


def _hermitian_real_form(L: sp.spmatrix, D: int) -> sp.csr_matrix:
    r"""``L`` as a real sparse matrix on packed Hermitian matrices (same eigenvalues as ``L``).

    A Liouvillian maps Hermitian matrices to Hermitian matrices, so it is a real-linear map on the
    real space of Hermitian ``D x D`` matrices, coordinates ``R = triu(Re X) + tril(Im X, -1)``;
    its complexification is ``L`` itself.  Real arithmetic halves memory and work in ARPACK.
    """
    i, j = np.divmod(np.arange(D * D), D)  # packed index t = i * D + j  <->  R[i, j]
    up, dg = i < j, i == j
    lo = ~(up | dg)
    vec = lambda a, c: a + D * c  # noqa: E731  (column stacking)
    t = np.arange(D * D)
    rows = np.concatenate([vec(i[dg], j[dg]), vec(i[up], j[up]), vec(j[up], i[up]), vec(i[lo], j[lo]), vec(j[lo], i[lo])])
    cols = np.concatenate([t[dg], t[up], t[up], t[lo], t[lo]])
    vals = np.concatenate([np.ones(D, complex), np.ones(up.sum(), complex), np.ones(up.sum(), complex),
                           np.full(lo.sum(), 1j), np.full(lo.sum(), -1j)])
    P = sp.csc_matrix((vals, (rows, cols)), shape=(D * D, D * D))  # unpack
    LP = sp.csr_matrix(L @ P)[vec(i, j)]  # rows in packed order
    return (sp.diags((~lo).astype(float)) @ LP.real + sp.diags(lo.astype(float)) @ LP.imag).tocsr()


def _rightmost(M: sp.spmatrix, k: int, *, tol: float, seed: int) -> np.ndarray:
    """ARPACK (implicitly restarted Arnoldi) for the ``k`` eigenvalues of largest real part of real ``M``."""
    n = M.shape[0]
    v0 = np.random.default_rng(seed).standard_normal(n)
    nev = min(k + 1, n - 2)  # +1: a complex pair cut by k
    ncv = min(n, max(2 * nev + 1, 40))
    try:
        return spla.eigs(M, k=nev, which="LR", ncv=ncv, tol=tol, maxiter=max(1000, 50 * n // ncv),
                         v0=v0, return_eigenvectors=False)
    except spla.ArpackNoConvergence as exc:
        raise ConvergenceError(
            f"ARPACK did not converge for the rightmost Liouvillian eigenvalues ({len(exc.eigenvalues)} of {nev}); "
            "lower k, loosen tol or use method='dense'"
        ) from exc


def spectrum(model: Model, *, k: int = 6, method: str = "auto", tol: float = 1e-10, seed: int = 0) -> Spectrum:
    r"""The ``k`` slowest Liouvillian eigenvalues and the spectral gap :math:`-\max\mathrm{Re}\,\lambda_{\ne 0}`.

    ``"dense"`` (default for :math:`D^2 \le 1024`) computes all eigenvalues and
    returns the ``k`` with the largest real part.  ``"sparse"`` (default above) finds the
    eigenvalues of largest real part directly: ARPACK ``which="LR"`` (``tol`` is its relative
    accuracy) on the Liouvillian written as a real sparse matrix on packed Hermitian matrices
    (same spectrum, real arithmetic).  No factorisation is needed (the shift-invert LU of reset
    models fills in catastrophically beyond 6 qubits).  Single-vector Arnoldi may return fewer
    copies of a highly degenerate eigenvalue than it has (e.g. ``-r`` has multiplicity ``N`` in the
    reset model) and then the next distinct eigenvalue; the distinct values and the gap are
    right.  The zero eigenvalue (the one closest to 0) is excluded from the gap.

    Example
    -------
    >>> from opentangle.operators import sigma_minus
    >>> round(spectrum(Model(jumps=[(sigma_minus(), 1.0)]), k=4).gap, 12)
    0.5
    """
    if not isinstance(model, Model):
        raise InvalidParameterError(f"spectrum takes a Model; got {type(model).__name__}")
    n = model.dim**2
    if isinstance(k, (bool, np.bool_)) or int(k) != k or k < 2:
        raise InvalidParameterError(f"k must be an integer >= 2; got {k!r}")
    tol = float(tol)
    if not (np.isfinite(tol) and 0 < tol < 1):
        raise InvalidParameterError(f"tol must lie in (0, 1); got {tol}")
    k = int(min(k, n))
    if method == "auto":
        method = "dense" if n <= _DENSE_MAX else "sparse"
    L = liouvillian(model)
    if method == "dense" or (method == "sparse" and k + 4 > n):
        ev = np.linalg.eigvals(L.toarray())
    elif method == "sparse":
        ev = _rightmost(_hermitian_real_form(L, model.dim), k, tol=tol, seed=seed)
    else:
        raise InvalidParameterError(f"method must be 'auto', 'dense' or 'sparse'; got {method!r}")
    zero = int(np.argmin(np.abs(ev)))
    rest = np.delete(ev, zero)
    gap = float(-np.max(rest.real)) if rest.size else float("nan")
    order = np.argsort(-ev.real, kind="stable")
    ev = ev[order]
    # put the zero eigenvalue first
    zi = int(np.argmin(np.abs(ev)))
    ev = np.concatenate([ev[zi : zi + 1], np.delete(ev, zi)])[:k]
    if abs(gap) < 1e-12 * max(1.0, model.rate_scale()):
        gap = 0.0  # a second (numerically) zero eigenvalue: the steady state is not unique; never -0.0
    return Spectrum(eigenvalues=ev, gap=gap)
