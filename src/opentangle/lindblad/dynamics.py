r"""Time evolution and Liouvillian spectra.

``evolve`` integrates :math:`\dot\rho = \mathcal L\rho` with exponential
propagators, which are unconditionally stable for stiff problems:

* ``"expm"``: dense :math:`e^{\mathcal L\Delta t}` (scipy ``expm``), one per
  distinct step; exact to round-off; default for :math:`D^2 \le 1024`.
* ``"krylov"``: ``scipy.sparse.linalg.expm_multiply`` between consecutive
  times (truncated Taylor with scaling, accurate to double precision); default above.
* ``"bdf"``: VODE's variable-order BDF (``scipy.integrate.ode("zvode")``), the integrator behind
  QuTiP's ``mesolve(method="bdf")``: functional iteration (one sparse product per iteration) above
  :math:`D^2 = 256`, Newton with the dense Jacobian below; a stiff run whose functional iteration
  exceeds 10 000 steps between output times continues as ``"bdf-sparse"`` (reported in ``Evolution.method``).
* ``"bdf-sparse"``: ``scipy.integrate.solve_ivp(method="BDF")`` with Newton iterations on the
  sparse Liouvillian as Jacobian (a sparse LU per step-size change): stable on very stiff runs, but
  the LU fills in on reset-type models.

Time-dependent models (:mod:`opentangle.lindblad.timedep`) take the time-dependent path:
VODE Adams (``"adaptive"``, QuTiP's default integrator) or ``solve_ivp`` (``"dop853"``, ``"rk45"``, ``"bdf"``)
on :math:`\dot x = \mathcal L(t)x`,
restarted at every :class:`~opentangle.lindblad.timedep.Pulse` edge, or exact exponentials per
constant segment when every coefficient is piecewise constant (``"exact"``).
``Evolution.path`` says which path ran.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from opentangle._convert import _is_qobj
from opentangle.errors import ConvergenceError, DimensionError, InvalidParameterError, ResourceLimitError
from opentangle.lindblad.model import Model, _to_csr, liouvillian
from opentangle.states import as_density_matrix

__all__ = ["Evolution", "SpectralGap", "Spectrum", "evolve", "spectral_gap", "spectrum"]

_DENSE_MAX = 1024
_NSTEPS = 10_000  # zvode steps between two output times before the stiff fallback (QuTiP: 2500)


@dataclass
class Evolution:
    """Result of :func:`evolve`.

    ``times`` ``(T,)``; ``states`` ``(T, D, D)`` (``None`` with ``store_states=False``; a list of ``Qobj``
    with ``as_qobj``); ``expect`` ``(K, T)`` for ``K`` observables (real when they are Hermitian) or
    ``None``, with their names in ``e_names`` (``expect_named`` is the dict); ``measures`` maps each
    measure name to an array ``(T, ...)``.  ``path`` is ``"static"`` (one Liouvillian) or
    ``"time-dependent"``; ``method`` the propagator used.  ``to_xarray()`` gives a Dataset with a
    ``time`` coordinate.
    """

    times: np.ndarray
    states: Any
    expect: np.ndarray | None = None
    measures: dict[str, np.ndarray] = field(default_factory=dict)
    method: str = ""
    path: str = "static"
    e_names: list[str] = field(default_factory=list)
    dims: list[int] = field(default_factory=list)

    def __repr__(self) -> str:
        st = (
            "None"
            if self.states is None
            else (f"{self.states.shape}" if hasattr(self.states, "shape") else f"[{len(self.states)} Qobj]")
        )
        ex = "None" if self.expect is None else f"{self.expect.shape}"
        return (
            f"Evolution(T={self.times.size}, t=[{self.times[0]:g}, {self.times[-1]:g}], path={self.path!r}, "
            f"method={self.method!r}, states={st}, expect={ex} {self.e_names}, measures={sorted(self.measures)})"
        )

    @property
    def expect_named(self) -> dict[str, np.ndarray]:
        """``{name: expect[k]}``."""
        if self.expect is None:
            return {}
        return {n: self.expect[k] for k, n in enumerate(self.e_names)}

    def qobj_states(self) -> list:
        """The stored states as ``qutip.Qobj`` with the model's dims."""
        from opentangle._convert import to_qutip

        if self.states is None:
            raise InvalidParameterError("the states were not stored (store_states=False)")
        return [s if not isinstance(s, np.ndarray) else to_qutip(s, self.dims) for s in self.states]

    def to_xarray(self):
        """An ``xarray.Dataset``: one variable per expectation value and per scalar-per-time measure."""
        import xarray as xr

        data = {n: ("time", np.asarray(v)) for n, v in self.expect_named.items()}
        for n, v in self.measures.items():
            v = np.asarray(v)
            data[n] = (("time",) + tuple(f"{n}_dim{i}" for i in range(1, v.ndim)), v)
        return xr.Dataset(
            data,
            coords={"time": np.asarray(self.times)},
            attrs={"path": self.path, "method": self.method, "dims": str(self.dims)},
        )

    def _repr_html_(self) -> str:
        from opentangle.lindblad._idioms import evolution_html

        return evolution_html(self)


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

    def _repr_html_(self) -> str:
        from opentangle.lindblad._idioms import spectrum_html

        return spectrum_html(self)


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


_STATIC = ("expm", "krylov", "bdf", "bdf-sparse")
_TD = {"exact": "exact", "adaptive": "adams", "adams": "adams", "dop853": "DOP853", "rk45": "RK45", "bdf": "BDF"}


def _check_tol(x: Any, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a positive number; got {x!r}") from None
    if not (math.isfinite(v) and 0 < v < 1):
        raise InvalidParameterError(f"{name} must lie in (0, 1); got {x!r}")
    return v


def _check_times(times: Any) -> np.ndarray:
    try:
        t = np.asarray(times, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError("times must be a non-empty 1-D array of finite numbers") from None
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise InvalidParameterError("times must be a non-empty 1-D array of finite numbers")
    if np.any(np.diff(t) < 0):
        raise InvalidParameterError("times must be increasing")
    return t


def evolve(
    model: Any,
    rho0: Any,
    times: Sequence[float],
    c_ops: Any = None,
    *,
    e_ops: Any = None,
    observables: Any = None,
    measures: Any = None,
    method: str = "auto",
    rtol: float = 1e-10,
    atol: float = 1e-12,
    store_states: bool = True,
    as_qobj: bool | None = None,
    args: dict | None = None,
) -> Evolution:
    r"""Solve :math:`\dot\rho = \mathcal L(t)\rho` from ``rho0`` at ``times[0]``; report ``rho(t)`` at every time.

    Parameters
    ----------
    model : a :class:`Model`, or QuTiP's Hamiltonian ``H`` (``Qobj``/array, or the list form
        ``[H0, [H1, f1], ...]``) with ``c_ops`` (collapse operators with the rate inside, ``sqrt(g) c``).
    rho0 : density matrix or ket (array or ``Qobj``; Qobj dims must match the model's).
    times : increasing 1-D sequence; ``rho(times[0]) = rho0``.
    e_ops, observables : operator, list or ``{name: operator}`` dict; ``expect[k, t] = tr(O_k rho(t))``,
        names in ``e_names`` (``e_ops`` and ``observables`` are synonyms; pass one).
    measures : a name (``"negativity"``, ``"log_negativity"``, ``"concurrence"``, ``"purity"``,
        ``"entropy"``, ``"min_pt_eigenvalue"``), a callable ``f(rho) -> value``, or a list/dict of them;
        evaluated at every time on the fly (with ``store_states=False`` no state is kept).
    method : static models: ``"auto"``, ``"expm"`` (dense propagator), ``"krylov"``
        (``expm_multiply``), ``"bdf"`` (zvode, as QuTiP) or ``"bdf-sparse"`` (Newton, sparse Jacobian).
        Time-dependent models: ``"auto"`` (``"exact"`` when every
        coefficient is a :class:`Pulse`, else ``"adaptive"``), ``"exact"`` (one exponential per constant
        segment), ``"adaptive"`` (= ``"adams"``: VODE's Adams method, ``zvode``, as QuTiP's default),
        ``"dop853"``, ``"rk45"`` (``solve_ivp``) or ``"bdf"`` (``solve_ivp`` BDF with the sparse
        :math:`\mathcal L(t)` as Jacobian).  Forcing ``"adaptive"``/``"exact"`` on a static model runs the
        time-dependent path.  Integrations restart at every schedule edge.
    rtol, atol : tolerances of the adaptive solvers (in ``(0, 1)``).
    store_states : keep ``states``; turn off for large ``D``.
    as_qobj : ``states`` as a list of ``Qobj``; default: when ``rho0`` is a ``Qobj``.
    args : coefficient arguments ``f(t, **args)`` for the ``(H, c_ops)`` form (a Model carries its own).

    Example
    -------
    >>> from opentangle.operators import sigma_minus, sigma_z
    >>> m = Model(jumps=[(sigma_minus(), 1.0)])
    >>> ev = evolve(m, [1, 0], [0.0, 1.0], e_ops={"z": sigma_z()})
    >>> bool(abs(ev.expect_named["z"][1] - (2 * np.exp(-1) - 1)) < 1e-12), ev.path
    (True, 'static')
    """
    from opentangle.lindblad._idioms import as_model, check_state_dims, resolve_measures

    model = as_model(model, c_ops, "evolve", args=args)
    D = model.dim
    check_state_dims(rho0, model.dims)
    rho = _initial_state(rho0, D)
    t = _check_times(times)
    rtol, atol = _check_tol(rtol, "rtol"), _check_tol(atol, "atol")
    if as_qobj is None:
        as_qobj = _is_qobj(rho0)
    path, method = _choose(model, method)
    if e_ops is not None and observables is not None:
        raise InvalidParameterError("pass e_ops or observables, not both (they are synonyms)")
    named_obs = _named(e_ops if e_ops is not None else observables, "O")
    obs = []
    for name, o in named_obs:
        mat, _ = _to_csr(o, f"observable {name}")
        if mat.shape != (D, D):
            raise DimensionError(f"observable {name} has shape {mat.shape}; the model has dimension {D}")
        obs.append(mat)
    meas = resolve_measures(measures, list(model.dims))
    x = rho.reshape(-1, order="F")
    T = t.size
    states = np.empty((T, D, D), complex) if store_states else None
    herm = all(abs(o - o.getH()).max() <= 1e-12 if o.nnz else True for o in obs)
    expect = np.empty((len(obs), T), float if herm else complex) if obs else None
    mvals: dict[str, list] = {name: [] for name, _ in meas}

    W = _trace_functionals(obs, D)

    def record(i: int, xv: np.ndarray) -> None:
        r = xv.reshape(D, D, order="F")
        if states is not None:
            states[i] = r
        if W is not None and expect is not None:
            v = W @ xv  # tr(O r) = sum_ij O_ij r_ji = vec(O^T) . vec(r)
            expect[:, i] = v.real if herm else v
        for name, f in meas:
            mvals[name].append(f((r + r.conj().T) / 2))

    record(0, x)
    info = {"method": method}
    if path == "static":
        steps = _static_steps(liouvillian(model), x, t, method, rtol, atol, info)
    else:
        from opentangle.lindblad.timedep import propagate

        steps = propagate(model.time_dependent_liouvillian(), x, t, method=_TD[method], rtol=rtol, atol=atol)
    for i, xv in steps:
        record(i, xv)
    out_m = {name: np.asarray(v) for name, v in mvals.items()}
    out_states = [_qobj(s, model.dims) for s in states] if (as_qobj and states is not None) else states
    return Evolution(
        times=t,
        states=out_states,
        expect=expect,
        measures=out_m,
        method=info["method"],
        path=path,
        e_names=[n for n, _ in named_obs],
        dims=list(model.dims),
    )


def _trace_functionals(obs: list[sp.csr_matrix], D: int) -> sp.csr_matrix | None:
    """Rows ``vec(O_k^T)`` (column stacking) so that ``W @ vec(rho) = [tr(O_k rho)]``."""
    if not obs:
        return None
    rows, cols, vals = [], [], []
    for k, o in enumerate(obs):
        c = o.tocoo()
        rows.append(np.full(c.nnz, k))
        cols.append(c.col + D * c.row)
        vals.append(c.data)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(obs), D * D))


def _qobj(r: np.ndarray, dims: list[int]):
    from opentangle._convert import to_qutip

    return to_qutip(r, dims)


def _choose(model: Model, method: Any) -> tuple[str, str]:
    """``(path, method)`` for a model and a requested method."""
    if not isinstance(method, str):
        raise InvalidParameterError(f"method must be a string; got {method!r}")
    method = method.lower()
    if model.time_dependent:
        if method == "auto":
            method = "exact" if model.time_dependent_liouvillian().piecewise else "adaptive"
        if method not in _TD:
            raise InvalidParameterError(
                f"a time-dependent model takes method 'auto', {', '.join(repr(m) for m in _TD)}; got {method!r}"
            )
        if method == "exact" and not model.time_dependent_liouvillian().piecewise:
            raise InvalidParameterError("method='exact' needs every coefficient to be a Pulse; use 'adaptive'")
        return "time-dependent", method
    if method == "auto":
        method = "expm" if model.dim**2 <= _DENSE_MAX else "krylov"
    if method in ("exact", "adaptive", "adams", "dop853", "rk45"):
        return "time-dependent", method
    if method not in _STATIC:
        raise InvalidParameterError(
            f"method must be 'auto', 'expm', 'krylov', 'bdf', 'bdf-sparse' (or 'adaptive', 'exact', 'rk45'); "
            f"got {method!r}"
        )
    return "static", method


def _static_steps(L: sp.csr_matrix, x: np.ndarray, t: np.ndarray, method: str, rtol: float, atol: float, info: dict):
    """Yield ``(i, vec rho(t_i))`` for ``i >= 1`` with one constant Liouvillian."""
    T = t.size
    if method == "expm":
        Ld = L.toarray()
        cache: dict[float, np.ndarray] = {}
        for i in range(1, T):
            dt = t[i] - t[i - 1]
            key = round(dt, 14)
            if key not in cache:
                cache[key] = sla.expm(Ld * dt)
            x = cache[key] @ x
            yield i, x
    elif method == "krylov":
        Lc = sp.csr_matrix(L)  # CSR products are 1.3-1.9x faster than CSC here (measured, N = 7)
        for i in range(1, T):
            dt = t[i] - t[i - 1]
            if dt > 0:
                x = spla.expm_multiply(Lc * dt, x)
            yield i, x
    elif method == "bdf" and T > 1:
        yield from _zvode_steps(sp.csr_matrix(L), x, t, rtol, atol, info)
    elif T > 1:  # "bdf-sparse": Newton iterations with the sparse Liouvillian as Jacobian (stiff-stable)
        yield from _bdf_sparse_steps(L, x, t, rtol, atol)


def _zvode_steps(L: sp.csr_matrix, x: np.ndarray, t: np.ndarray, rtol: float, atol: float, info: dict):
    """VODE's variable-order BDF (``zvode``): the integrator behind QuTiP's ``"bdf"``.

    Small systems (``D^2 <= 256``) use Newton iterations with the dense Liouvillian as Jacobian (stiff-safe);
    larger ones use functional iteration, as QuTiP does, one sparse product per iteration.  When functional
    iteration needs more than ``_NSTEPS`` steps between two times (a stiff problem), the rest of the run
    switches to ``"bdf-sparse"`` (Newton, sparse Jacobian), and ``Evolution.method`` says so.
    """
    from scipy.integrate import ode

    n = L.shape[0]
    newton = n <= 256
    Ld = L.toarray() if newton else None
    solver = ode(lambda _t, y: L @ y, (lambda _t, y: Ld) if newton else None)
    solver.set_integrator("zvode", method="bdf", rtol=rtol, atol=atol, nsteps=_NSTEPS, order=5, with_jacobian=newton)
    solver.set_initial_value(x, t[0])
    y = x
    for i in range(1, t.size):
        if t[i] > solver.t:
            t_prev = solver.t
            with warnings.catch_warnings():  # "excess work" is handled below
                warnings.simplefilter("ignore", UserWarning)
                y_new = solver.integrate(t[i])
            if not solver.successful():
                if newton:
                    raise ConvergenceError(
                        f"zvode BDF stopped at t = {solver.t:g} (return code {solver.get_return_code()}); "
                        "try method='krylov'"
                    )
                info["method"] = "bdf+bdf-sparse"
                yield from _bdf_sparse_steps(L, y, np.concatenate([[t_prev], t[i:]]), rtol, atol, offset=i - 1)
                return
            y = y_new
        yield i, y.copy()


def _bdf_sparse_steps(L: sp.csr_matrix, x: np.ndarray, t: np.ndarray, rtol: float, atol: float, *, offset: int = 0):
    from scipy.integrate import solve_ivp

    Lc = sp.csc_matrix(L)
    sol = solve_ivp(lambda _t, y: Lc @ y, (t[0], t[-1]), x, method="BDF", t_eval=t, jac=Lc, rtol=rtol, atol=atol)
    if not sol.success:
        raise ConvergenceError(f"BDF integration failed: {sol.message}; try method='krylov'")
    for i in range(1, t.size):
        yield offset + i, sol.y[:, i]


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
    rows = np.concatenate(
        [vec(i[dg], j[dg]), vec(i[up], j[up]), vec(j[up], i[up]), vec(i[lo], j[lo]), vec(j[lo], i[lo])]
    )
    cols = np.concatenate([t[dg], t[up], t[up], t[lo], t[lo]])
    vals = np.concatenate(
        [
            np.ones(D, complex),
            np.ones(up.sum(), complex),
            np.ones(up.sum(), complex),
            np.full(lo.sum(), 1j),
            np.full(lo.sum(), -1j),
        ]
    )
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
        return spla.eigs(
            M, k=nev, which="LR", ncv=ncv, tol=tol, maxiter=max(1000, 50 * n // ncv), v0=v0, return_eigenvectors=False
        )
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
    if model.time_dependent:
        raise InvalidParameterError("spectrum needs a static model; this one is time-dependent")
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


# ----------------------------------------------------------------------------- spectral gap

#: above this Liouville dimension ``spectral_gap(method="auto")`` uses deflated Arnoldi, below dense eigenvalues
_GAP_DENSE_MAX = 256
#: sparse real form: CSR (index, value) plus the Liouvillian it is built from, bytes per stored entry
_GAP_BYTES_PER_NNZ = 60.0


@dataclass(frozen=True)
class SpectralGap:
    r"""Result of :func:`spectral_gap`: the Liouvillian gap and its certificate.

    ``gap`` is :math:`-\mathrm{Re}\,\lambda_1`, ``eigenvalue`` is :math:`\lambda_1` (the nonzero
    eigenvalue of largest real part), ``residual`` is the certificate
    :math:`\|\mathcal L x - \lambda_1 x\| / \|x\|` of the computed eigenpair (packed Hermitian
    coordinates for ``"arnoldi"``, column-stacked for ``"dense"``), ``bound`` the largest residual
    accepted, ``matvecs`` the Liouvillian applications and ``seconds`` the wall time.
    ``gap == 0.0`` means a second stationary state: the steady state is not unique.
    """

    gap: float
    eigenvalue: complex
    residual: float
    bound: float
    method: str
    matvecs: int
    seconds: float

    def __repr__(self) -> str:
        z = self.eigenvalue
        return (
            f"SpectralGap(gap={self.gap:.10g}, eigenvalue={z.real:.6g}{z.imag:+.6g}j, method={self.method!r}, "
            f"residual={self.residual:.2e} <= {self.bound:.1e}, matvecs={self.matvecs}, "
            f"seconds={self.seconds:.3g})"
        )


def _gap_dense(L: sp.csr_matrix) -> tuple[complex, float, int]:
    """Rightmost nonzero eigenvalue of a small Liouvillian from all its eigenpairs, and the residual."""
    A = L.toarray()
    ev, V = np.linalg.eig(A)
    rest = np.delete(np.arange(ev.size), int(np.argmin(np.abs(ev))))
    i = int(rest[np.argmax(ev[rest].real)])
    v = V[:, i]
    return complex(ev[i]), float(np.linalg.norm(A @ v - ev[i] * v) / np.linalg.norm(v)), 0


def _gap_arnoldi(L: sp.csr_matrix, D: int, *, tol: float, seed: int, ncv: int, nev: int) -> tuple[complex, float, int]:
    r"""Rightmost eigenvalue of ``L`` on the traceless (invariant) subspace, by ARPACK in real arithmetic.

    Every eigenvector of a nonzero eigenvalue is traceless (:math:`\mathrm{tr}\,\mathcal L X = 0`), so the
    operator :math:`A = P M P - c\,u\,t(\cdot)` (``M`` the real form of ``L``, ``P`` the projector onto
    traceless matrices along :math:`u = 1/D`, ``t`` the trace) has the spectrum of ``M`` on traceless
    matrices plus :math:`-c`, with ``c`` beyond the spectral radius: the stationary eigenvalue is deflated.
    Returns the rightmost of the ``nev`` Ritz values, its residual on ``M`` and the number of products.
    """
    M = _hermitian_real_form(L, D)
    n = M.shape[0]
    diag = np.arange(D) * (D + 1)  # packed positions of the diagonal (real) entries
    c = 2.0 * float(abs(M).sum(axis=1).max()) + 1.0  # > spectral radius (infinity-norm bound)
    count = [0]

    def op(x: np.ndarray) -> np.ndarray:
        count[0] += 1
        t = x[diag].sum() / D
        x = x.copy()
        x[diag] -= t
        y = M @ x
        y[diag] -= y[diag].sum() / D + c * t
        return y

    A = spla.LinearOperator((n, n), matvec=op, dtype=float)
    v0 = np.random.default_rng(seed).standard_normal(n)
    v0[diag] -= v0[diag].sum() / D
    nev = min(nev, n - 3)
    ncv = min(max(ncv, 2 * nev + 1), n - 1)
    try:
        ev, V = spla.eigs(A, k=nev, which="LR", ncv=ncv, tol=tol, v0=v0, maxiter=max(1000, 50 * n // ncv))
    except spla.ArpackNoConvergence as exc:
        raise ConvergenceError(
            f"ARPACK did not converge for the Liouvillian gap after {count[0]} products; loosen tol, raise ncv "
            "or use method='dense' (small systems)"
        ) from exc
    i = int(np.argmax(ev.real))
    lam, v = complex(ev[i]), V[:, i]
    return lam, float(np.linalg.norm(M @ v - lam * v) / np.linalg.norm(v)), count[0]


#: largest diagonal block (strongly connected component) whose eigenvalues ``"blocks"`` computes densely
_BLOCK_DENSE_MAX = 2048


def _scc_blocks(L: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels of the strongly connected components of ``L``'s graph, the order listing them in
    contiguous ranges and the range starts (``len = blocks + 1``).

    Ordered by components, ``L`` is block triangular up to a reordering of the blocks (the condensation
    of a directed graph is acyclic), so its eigenvalues, with multiplicity, are those of the diagonal blocks.
    """
    from scipy.sparse.csgraph import connected_components

    pattern = sp.csr_matrix((np.ones(L.nnz, np.int8), L.indices, L.indptr), shape=L.shape)
    nb, labels = connected_components(pattern, directed=True, connection="strong")
    order = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=nb))])
    return labels, order, starts


def _block_bounds(L: sp.csr_matrix, labels: np.ndarray, order: np.ndarray, starts: np.ndarray) -> np.ndarray:
    r"""Gershgorin bounds on the real parts of each diagonal block's eigenvalues.

    For a block :math:`B`, :math:`\mathrm{Re}\,\lambda \le \max_i (\mathrm{Re}\,B_{ii} + \sum_{j\ne i}|B_{ij}|)`
    (row discs) and the same with column sums (the discs of :math:`B^T`); the smaller bound is returned.
    """
    n = L.shape[0]
    row = np.repeat(np.arange(n), np.diff(L.indptr))
    col = L.indices
    off = (labels[row] == labels[col]) & (row != col)
    a = np.abs(L.data[off])
    re_diag = L.diagonal().real
    bounds = [
        np.maximum.reduceat((re_diag + np.bincount(idx, weights=a, minlength=n))[order], starts[:-1])
        for idx in (row[off], col[off])
    ]
    return np.minimum(*bounds)


def _gap_blocks(L: sp.csr_matrix) -> tuple[complex, float, int] | None:
    r"""Rightmost nonzero eigenvalue from the diagonal blocks of ``L``'s block-triangular form, or ``None``.

    Blocks are visited by decreasing Gershgorin bound (:func:`_block_bounds`); each is diagonalised
    densely until the next bound lies left of the best nonzero eigenvalue found, so no eigenvalue can be
    missed.  ``None`` when a block that cannot be excluded exceeds ``_BLOCK_DENSE_MAX``.  Returns the
    eigenvalue, the residual of its eigenpair in its block and the number of blocks diagonalised.
    """
    labels, order, starts = _scc_blocks(L)
    sizes = np.diff(starts)

    def block(b: int) -> np.ndarray:
        idx = order[starts[b] : starts[b + 1]]
        return L[idx][:, idx].toarray()

    return _visit_blocks(_block_bounds(L, labels, order, starts), lambda b: int(sizes[b]), block)


def _visit_blocks(bounds: np.ndarray, size: Any, block: Any) -> tuple[complex, float, int] | None:
    """Diagonalise blocks by decreasing Gershgorin bound until none can beat the best nonzero eigenvalue.

    ``size(b)`` and ``block(b)`` give block ``b``'s dimension and dense matrix.  Returns the eigenvalue, its
    residual in its block and the number of blocks diagonalised, or ``None`` when a block that cannot be
    excluded exceeds ``_BLOCK_DENSE_MAX``.
    """
    evs: list[np.ndarray] = []
    visited: list[int] = []
    best, lam, where = -np.inf, 0j, -1  # the best nonzero eigenvalue so far, and its block
    for b in np.argsort(-bounds, kind="stable"):
        if bounds[b] < best:
            break  # every remaining eigenvalue lies left of the best one
        if size(int(b)) > _BLOCK_DENSE_MAX:
            return None
        B = block(int(b))
        if not np.any(B.imag):
            B = B.real
        evs.append(np.linalg.eigvals(B))  # eigenvalues only: the one eigenvector needed comes below
        visited.append(int(b))
        allev = np.concatenate(evs)
        keep = np.delete(np.arange(allev.size), int(np.argmin(np.abs(allev))))  # drop the stationary one
        if keep.size:
            i = int(keep[np.argmax(allev[keep].real)])
            best, lam = float(allev[i].real), complex(allev[i])
            where = int(np.searchsorted(np.cumsum([e.size for e in evs]), i, side="right"))
    return lam, (_eigen_residual(block(visited[where]), lam) if where >= 0 else 0.0), len(evs)


def _eigen_residual(B: np.ndarray, lam: complex) -> float:
    r"""Residual :math:`\|Bx - \lambda x\|/\|x\|` of an eigenvector of ``B`` for the computed eigenvalue ``lam``.

    Two steps of inverse iteration with the shift nudged by ``1e-10`` of the block's scale (an exactly
    singular ``B - lam`` would give no vector); the smallest right singular vector if that still fails.
    """
    m = B.shape[0]
    scale = max(1.0, abs(lam), float(np.abs(B).max()))
    x = np.random.default_rng(0).standard_normal(m) + 0j
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lu = sla.lu_factor(B - (lam + 1e-10 * scale) * np.eye(m), check_finite=False)
        for _ in range(2):
            x = sla.lu_solve(lu, x, check_finite=False)
            x /= np.linalg.norm(x)
    if not np.all(np.isfinite(x)):
        x = np.linalg.svd(B - lam * np.eye(m))[2][-1].conj()
    return float(np.linalg.norm(B @ x - lam * x) / np.linalg.norm(x))


class _SiteGraph:
    r"""The block-triangular form of a Liouvillian with local jumps and a diagonal :math:`H_\mathrm{eff}`, unassembled.

    Then :math:`\mathcal L = \Lambda + \sum_i T_i^\mathrm{off}` (:math:`\Lambda` diagonal, :math:`T_i^\mathrm{off}`
    the off-diagonal part of site ``i``'s superoperator on the digits :math:`(b_i, a_i)` of
    :math:`|a\rangle\langle b|`), so its graph is the Cartesian product of the ``N`` local graphs on
    :math:`d^2` vertices.  A path in a Cartesian product exists iff one exists in every factor, so the
    strongly connected components are the products :math:`S_0\times\dots\times S_{N-1}` of local
    components, and each diagonal block is the Kronecker sum
    :math:`\Lambda|_S + \sum_i 1\otimes T_i^\mathrm{off}|_{S_i}\otimes 1`.  Labels, Gershgorin bounds and
    blocks come from ``O(N)`` passes over ``D^2``-vectors: no ``D^2 x D^2`` matrix is formed.
    """

    def __init__(self, model: Model, per_site: dict[int, np.ndarray], hd: np.ndarray):
        from scipy.sparse.csgraph import connected_components

        dims = list(model.dims)
        D = self.D = model.dim
        n = D * D
        self.diag = (-1j * (hd[None, :] - hd.conj()[:, None])).reshape(-1)  # index b D + a
        labels = np.zeros(n, np.int64)
        rsum, csum = np.zeros(n), np.zeros(n)
        self.sites: list[tuple[np.ndarray, np.ndarray, int, np.ndarray]] = []  # (T_off, labels, count, offsets)
        self.mult: list[int] = []
        m = 1
        for i, d in enumerate(dims):
            T = np.asarray(per_site.get(i, np.zeros((d * d, d * d), complex)))
            off = T.copy()
            np.fill_diagonal(off, 0)
            k, lab = connected_components(sp.csr_matrix(off != 0), directed=True, connection="strong")
            inblock = np.where(lab[:, None] == lab[None, :], np.abs(off), 0.0)
            post = math.prod(dims[i + 1 :])
            shape = (math.prod(dims[:i]), d, post * math.prod(dims[:i]), d, post)
            offsets = np.array([(p // d) * D * post + (p % d) * post for p in range(d * d)], np.int64)
            for p in range(d * d):
                sl = (slice(None), p // d, slice(None), p % d, slice(None))
                self.diag.reshape(shape)[sl] += T[p, p]
                labels.reshape(shape)[sl] += lab[p] * m
                rsum.reshape(shape)[sl] += inblock[p].sum()
                csum.reshape(shape)[sl] += inblock[:, p].sum()
            self.sites.append((off, lab, int(k), offsets))
            self.mult.append(m)
            m *= int(k)
        self.count = m
        re = self.diag.real
        bounds = []
        for extra in (rsum, csum):  # row discs and column discs, maximised over each block
            b = np.full(m, -np.inf)
            np.maximum.at(b, labels, re + extra)
            bounds.append(b)
        self.bounds = np.minimum(*bounds)

    @classmethod
    def build(cls, model: Model) -> _SiteGraph | None:
        r"""The structure, or ``None`` unless every jump is local and :math:`H_\mathrm{eff}` exactly diagonal."""
        from opentangle.lindblad.model import _diagonal_heff, _site_superoperators

        per_site = _site_superoperators(model)
        hd = None if per_site is None else _diagonal_heff(model)
        return None if per_site is None or hd is None else cls(model, per_site, hd)

    def _members(self, b: int) -> list[np.ndarray]:
        """The local components ``S_i`` (local indices ``p``) of block ``b``."""
        return [np.flatnonzero(lab == (b // m) % k) for (_, lab, k, _), m in zip(self.sites, self.mult)]

    def size(self, b: int) -> int:
        return math.prod(len(S) for S in self._members(b))

    def block(self, b: int) -> np.ndarray:
        """The dense diagonal block ``b`` (rows in the product order of its local components)."""
        members = self._members(b)
        rows = np.zeros(1, np.int64)
        for (_, _, _, offsets), S in zip(self.sites, members):
            rows = np.add.outer(rows, offsets[S]).ravel()
        msz = rows.size
        B = np.zeros((msz, msz), complex)
        B[np.arange(msz), np.arange(msz)] = self.diag[rows]
        pre = 1
        for (off, _, _, _), S in zip(self.sites, members):
            mi = len(S)
            post = msz // (pre * mi)
            X = off[np.ix_(S, S)]
            if mi > 1 and np.any(X):
                a = np.arange(pre)[:, None] * mi * post
                c = np.arange(post)[None, :]
                for x, y in zip(*np.nonzero(X)):
                    B[(a + x * post + c).ravel(), (a + y * post + c).ravel()] += X[x, y]
            pre *= mi
        return B


def spectral_gap(
    model: Model, *, method: str = "auto", tol: float = 1e-10, seed: int = 0, nev: int = 3, ncv: int = 40
) -> SpectralGap:
    r"""The Liouvillian spectral gap :math:`\Delta = -\max_{\lambda \ne 0} \mathrm{Re}\,\lambda`, certified.

    The gap sets the slowest relaxation rate towards the steady state,
    :math:`\|e^{t\mathcal L}\rho - \rho_{ss}\| \sim e^{-\Delta t}` (Kessler et al., PRA 86, 012116 (2012);
    Minganti et al., PRA 98, 042118 (2018)).

    ``"blocks"`` (default for :math:`D^2 > 256`) uses the sparsity graph of :math:`\mathcal L`: ordered by
    its strongly connected components (Tarjan; ``scipy.sparse.csgraph``), :math:`\mathcal L` is block
    triangular, so its spectrum is exactly the union of the diagonal blocks' spectra.  Blocks are
    diagonalised densely in decreasing order of a Gershgorin bound on their real parts (row and column
    discs), stopping when the next bound lies left of the best nonzero eigenvalue found: no eigenvalue
    can be missed (exhaustive, like ``"dense"``).  Local reset, decay and dephasing with a diagonal
    Hamiltonian split into :math:`3^N` blocks of at most :math:`2^N` (the Ising reset model at
    :math:`N = 10`: one :math:`1024 \times 1024` block is diagonalised).  When every jump is local and
    :math:`H_\mathrm{eff}` is diagonal, the components are products of per-site components and each block a
    Kronecker sum (:class:`_SiteGraph`), so :math:`\mathcal L` is never assembled; only the eigenvalues
    of a block are computed, and the eigenvector of the answer by inverse iteration.  When a block that cannot be
    excluded is larger than ``_BLOCK_DENSE_MAX`` (2048), ``"auto"`` continues with ``"arnoldi"`` and an
    explicit ``"blocks"`` raises :class:`~opentangle.errors.ResourceLimitError`.

    ``"arnoldi"`` (the fallback) runs ARPACK (``which="LR"``, ``nev`` Ritz values,
    basis ``ncv``) on the Liouvillian restricted to traceless matrices, which is invariant and excludes
    the stationary eigenvalue (see :func:`_gap_arnoldi`), in real arithmetic on packed Hermitian
    matrices; it never needs to resolve the zero eigenvalue next to the cluster it is after.  A small
    ``nev`` or ``ncv`` is faster but can stall on a wrong rightmost value (measured: ``nev = 1``,
    ``ncv = 20`` reports 2.05 for the reset model at ``N = 6, r = 0.3``, whose gap is 0.3).
    ``"dense"`` (default below) uses all eigenpairs.  The certificate
    is the residual :math:`\|\mathcal L x - \lambda x\|/\|x\|` of the computed eigenpair; above
    ``bound = 100 tol max(|lambda|, rate scale)`` a :class:`~opentangle.errors.ConvergenceError` is
    raised.  Like every Krylov method, Arnoldi can in principle miss an eigenvalue that the start
    vector does not reach (the random start makes this a measure-zero event); the dense method is
    exhaustive, and so is ``"blocks"``; for ``"blocks"`` the residual is that of the eigenpair in its
    block (each block eigenvalue is an eigenvalue of :math:`\mathcal L`).  ``tol`` is ARPACK's relative accuracy, ``ncv`` its basis size, ``seed`` its start.

    Example
    -------
    >>> from opentangle.operators import sigma_minus
    >>> g = spectral_gap(Model(jumps=[(sigma_minus(), 1.0)]))
    >>> round(g.gap, 12), g.method
    (0.5, 'dense')
    """
    import time

    if not isinstance(model, Model):
        raise InvalidParameterError(f"spectral_gap takes a Model; got {type(model).__name__}")
    if model.time_dependent:
        raise InvalidParameterError("spectral_gap needs a static model; this one is time-dependent")
    tol = _check_tol(tol, "tol")
    for name, value, least in (("nev", nev, 1), ("ncv", ncv, 3)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < least:
            raise InvalidParameterError(f"{name} must be an integer >= {least}; got {value!r}")
    if method not in ("auto", "dense", "blocks", "arnoldi"):
        raise InvalidParameterError(f"method must be 'auto', 'dense', 'blocks' or 'arnoldi'; got {method!r}")
    n = model.dim**2
    explicit = method == "blocks"
    if method == "auto":
        method = "dense" if n <= _GAP_DENSE_MAX else "blocks"
    if method == "arnoldi" and n < 16:
        method = "dense"  # ARPACK needs room for the basis
    from opentangle._limits import Estimate, check_resources

    t0 = time.perf_counter()
    if method == "dense":
        check_resources(Estimate(f"dense eigenvectors of the {n}x{n} Liouvillian", nbytes=16.0 * 3 * n * n))
        lam, res, count = _gap_dense(liouvillian(model))
    elif method == "blocks":
        m = min(n, _BLOCK_DENSE_MAX)
        sites = _SiteGraph.build(model)
        if sites is not None:  # local jumps, diagonal H_eff: the blocks without the D^2 x D^2 matrix
            check_resources(Estimate(f"block eigenvalues of the {n}x{n} Liouvillian", nbytes=64.0 * n + 64.0 * m * m))
            found = _visit_blocks(sites.bounds, sites.size, sites.block)
        else:
            L = liouvillian(model)
            check_resources(
                Estimate(f"block eigenvalues of the {n}x{n} Liouvillian", nbytes=40.0 * L.nnz + 16.0 * 4 * m * m)
            )
            found = _gap_blocks(L)
        if found is None:
            if explicit:
                raise ResourceLimitError(
                    f"method='blocks': the Liouvillian's block-triangular form has a diagonal block larger than "
                    f"{_BLOCK_DENSE_MAX} that cannot be excluded; use method='arnoldi'"
                )
            method = "arnoldi"
        else:
            lam, res, count = found
    if method == "arnoldi":
        check_resources(
            Estimate(
                f"Arnoldi on the {n}x{n} Liouvillian",
                nbytes=_GAP_BYTES_PER_NNZ * liouvillian(model).nnz + 8.0 * (int(ncv) + 8) * n,
            )
        )
        lam, res, count = _gap_arnoldi(
            liouvillian(model), model.dim, tol=tol, seed=int(seed), ncv=int(ncv), nev=int(nev)
        )
    scale = model.rate_scale()
    bound = 100.0 * tol * max(abs(lam), scale)
    if not res <= bound:
        raise ConvergenceError(
            f"the gap eigenpair is not certified: residual {res:.2e} > {bound:.1e}; tighten tol, raise ncv "
            "or use method='dense'"
        )
    gap = -lam.real
    if abs(lam) < 1e-12 * max(1.0, scale):
        gap = 0.0  # a second stationary state: the steady state is not unique (never -0.0)
    return SpectralGap(
        gap=float(gap),
        eigenvalue=lam,
        residual=res,
        bound=bound,
        method=method,
        matvecs=count,
        seconds=time.perf_counter() - t0,
    )
