r"""Steady states :math:`\mathcal L\rho = 0,\ \mathrm{tr}\rho = 1`: direct, iterative, batched.

* ``direct``: sparse LU (SuperLU, MMD_AT_PLUS_A ordering) of :math:`\mathcal L` with the
  :math:`(0,0)` row replaced by the trace functional.  That matrix is
  singular exactly when the kernel of :math:`\mathcal L` has dimension > 1,
  which is detected by an inverse-iteration estimate of its smallest
  eigenvalue.
* ``iterative`` (matrix-free, large systems): GMRES on
  :math:`P^{-1}\mathcal L x + u\,\mathrm{tr}\,x = u` with the preconditioner
  :math:`P = \mathcal L_0` (the no-jump part,
  :math:`\mathcal L_0\rho = -i(H_\mathrm{eff}\rho - \rho H_\mathrm{eff}^\dagger)`).
  :math:`-\mathcal L_0^{-1}\mathcal J` is the trace-preserving jump map of
  quantum trajectories, so the preconditioned operator is close to the
  identity on the slow modes.  :math:`\mathcal L_0^{-1}` is an elementwise
  division when :math:`H_\mathrm{eff}` is diagonal and a triangular Sylvester
  solve in the Schur basis otherwise.  The operator preserves Hermiticity, so
  GMRES works on real vectors (packed Hermitian matrices).  Uniqueness is
  checked by a second solve from a different start: with a degenerate kernel
  the two answers differ.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from opentangle.errors import (
    ConvergenceError,
    DimensionError,
    InvalidParameterError,
    NonUniqueSteadyStateError,
)
from opentangle.lindblad.model import Model, liouvillian

__all__ = [
    "SteadyState",
    "BatchSteadyState",
    "steady_state",
    "steady_state_batch",
    "steady_state_linear",
]

#: ``auto`` uses the direct solver up to this Liouville dimension ``D**2``.
DIRECT_MAX = 1024
_POS_TOL = 1e-8


@dataclass
class SteadyState:
    """Result of :func:`steady_state`.

    Attributes: ``rho`` (D x D), ``residual`` = ``||L vec(rho)||_2``, ``method``
    (``"direct"`` or ``"iterative"``), ``dims``, ``iterations`` (matrix-vector
    products, iterative only), ``min_eigenvalue`` of ``rho``, ``seconds``, and
    ``tolerance``: the absolute bound ``residual <= tolerance`` that was enforced
    (``tol`` for ``iterative``; ``tol * max(1, model.rate_scale())`` for ``direct``).
    """

    rho: np.ndarray
    residual: float
    method: str
    dims: list[int]
    iterations: int | None = None
    min_eigenvalue: float | None = None
    seconds: float = 0.0
    tolerance: float | None = None

    def __repr__(self) -> str:
        it = f", iterations={self.iterations}" if self.iterations is not None else ""
        me = f", min_eig={self.min_eigenvalue:.2e}" if self.min_eigenvalue is not None else ""
        tl = f" <= tolerance={self.tolerance:.1e}" if self.tolerance is not None else ""
        return (
            f"SteadyState(D={self.rho.shape[0]}, dims={self.dims}, method={self.method!r}, "
            f"residual={self.residual:.2e}{tl}{it}{me}, seconds={self.seconds:.3g})"
        )


    def _repr_html_(self) -> str:  # Jupyter: a compact table
        from opentangle.lindblad._idioms import steady_state_html

        return steady_state_html(self)

@dataclass
class BatchSteadyState:
    """Result of :func:`steady_state_batch` / :func:`steady_state_linear`.

    ``rho`` has shape ``(B, D, D)``; ``residual`` ``(B,)`` is ``||L_b vec(rho_b)||_2``.
    Points whose steady state is not unique are NaN when ``nonunique="nan"``;
    ``unique`` ``(B,)`` flags them.
    """

    rho: np.ndarray
    residual: np.ndarray
    unique: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def __repr__(self) -> str:
        ok = np.isfinite(self.residual)
        mx = float(np.max(self.residual[ok])) if ok.any() else float("nan")
        return (
            f"BatchSteadyState(B={self.rho.shape[0]}, D={self.rho.shape[-1]}, "
            f"max_residual={mx:.2e}, non_unique={int((~self.unique).sum())})"
        )


# ----------------------------------------------------------------------------- helpers


def _finish(rho: np.ndarray, *, check_positive: bool) -> tuple[np.ndarray, float | None]:
    """Hermitise, normalise, check positivity."""
    rho = (rho + rho.conj().T) / 2
    tr = np.trace(rho).real
    if not np.isfinite(tr) or abs(tr) < 1e-300:
        raise ConvergenceError("steady-state solve produced a zero or non-finite trace; check the model")
    rho = rho / tr
    min_eig = None
    if check_positive:
        min_eig = float(np.linalg.eigvalsh(rho)[0])
        if min_eig < -_POS_TOL:
            raise ConvergenceError(
                f"steady state is not positive (smallest eigenvalue {min_eig:.3g}); "
                "tighten tol or use method='direct'"
            )
    return rho, min_eig


def _residual(L: sp.spmatrix, rho: np.ndarray) -> float:
    return float(np.linalg.norm(L @ rho.reshape(-1, order="F")))


def _direct(model: Model, tol: float, check_unique: bool, seed: int) -> tuple[np.ndarray, float]:
    L = liouvillian(model)
    D = model.dim
    n = D * D
    A = L.tolil(copy=True) if n <= 64 else None
    if A is not None:
        A[0, :] = 0
        A = A.tocsr()
    else:
        A = sp.csr_matrix(L, copy=True)
        A.data[A.indptr[0] : A.indptr[1]] = 0
        A.eliminate_zeros()
    tr_row = sp.csr_matrix((np.ones(D), (np.zeros(D, int), np.arange(D) * (D + 1))), shape=(1, n))
    A = (A + sp.vstack([tr_row, sp.csr_matrix((n - 1, n))])).tocsc()
    b = np.zeros(n, complex)
    b[0] = 1.0
    try:
        lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A")
    except RuntimeError as exc:  # "Factor is exactly singular"
        raise NonUniqueSteadyStateError(
            "the Liouvillian kernel has dimension > 1 (the steady state is not unique; "
            "e.g. no dissipation, or a conserved quantity); add dissipation or fix the initial state and use evolve()"
        ) from exc
    x = lu.solve(b)
    for _ in range(2):  # iterative refinement
        r = b - A @ x
        x = x + lu.solve(r)
    if check_unique:
        rng = np.random.default_rng(seed)
        z = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        z /= np.linalg.norm(z)
        grow = 0.0
        for _ in range(3):
            z = lu.solve(z)
            grow = np.linalg.norm(z)
            if not np.isfinite(grow):
                break
            z /= grow
        anorm = spla.norm(A, 1)
        if not np.isfinite(grow) or grow * anorm > 1e12 or not np.all(np.isfinite(x)):
            raise NonUniqueSteadyStateError(
                f"the Liouvillian kernel has dimension > 1 (condition estimate {grow * anorm:.2e}); "
                "the steady state depends on the initial state: use evolve() or break the symmetry"
            )
    return x.reshape(D, D, order="F"), _residual(L, x.reshape(D, D, order="F"))


class _MatrixFree:
    """Matrix-free L = L0 + J and the preconditioner (L0 - shift)^{-1} (see module docstring).

    Jumps built by :meth:`Jump.local` (all channel builders) are grouped per
    site into a local superoperator ``S[a, b, c, d]`` acting on the (row, column)
    index pair of that site; diagonal ones are merged into one elementwise
    multiplier, the rest applied through a low-rank factorisation on strided
    views.  Other jumps use sparse products.
    """

    def __init__(self, model: Model):
        self.D = D = model.dim
        self.heff = heff = model.effective_hamiltonian()
        dims = tuple(model.dims)
        self.W = None  # elementwise part of J
        self.lowrank: list[tuple[tuple[int, int, int], list, list]] = []
        self.generic = []
        per_site: dict[tuple[int, bool], np.ndarray] = {}
        for j in model.jumps:
            if j.rate <= 0 or j.op.nnz == 0:
                continue
            loc = getattr(j, "_local", None)
            if loc is not None and loc[2] == dims:
                site, c, _ = loc
                S = j.rate * np.einsum("ac,bd->abcd", c, c.conj())
                # diagonal jumps (dephasing) go to the elementwise part, the rest is summed per site
                key = (site, bool(np.count_nonzero(c - np.diag(np.diag(c))) == 0))
                per_site[key] = per_site.get(key, 0) + S
            else:
                self.generic.append((j.op, j.op.conj().tocsr(), j.rate))
        for (site, _), S in per_site.items():
            d = dims[site]
            shape = (math.prod(dims[:site]), d, math.prod(dims[site + 1 :]) * math.prod(dims[:site]), d,
                     math.prod(dims[site + 1 :]))
            off = S.copy()
            for a in range(d):
                for b in range(d):
                    off[a, b, a, b] = 0
            if np.abs(off).max() <= 1e-14 * np.abs(S).max():
                if self.W is None:
                    self.W = np.zeros((D, D), complex)
                Wv = self.W.reshape(shape)
                for a in range(d):
                    for b in range(d):
                        Wv[:, a, :, b, :] += S[a, b, a, b]
                continue
            U, sv, Vh = np.linalg.svd(S.reshape(d * d, d * d))
            keep = sv > 1e-14 * sv[0]
            terms = []
            for q in np.flatnonzero(keep):
                u = (U[:, q] * sv[q]).reshape(d, d)
                v = Vh[q].reshape(d, d)
                ins = [(c_, d_, v[c_, d_]) for c_ in range(d) for d_ in range(d) if abs(v[c_, d_]) > 1e-15]
                outs = [(a, b, u[a, b]) for a in range(d) for b in range(d) if abs(u[a, b]) > 1e-15]
                terms.append((ins, outs))
            self.lowrank.append((shape, terms))
        off = heff - sp.diags(heff.diagonal())
        off.eliminate_zeros()
        scale = model.rate_scale()
        self.diagonal = off.nnz == 0 or abs(off).max() <= 1e-14 * scale
        if self.diagonal:
            self.h = h = heff.diagonal()
            den = -1j * (h[:, None] - h.conj()[None, :])
            small = np.abs(den) < 1e-9 * scale
            self.shift = 0.0
            if small.any():  # undamped, degenerate coherences: shift the preconditioner
                self.shift = 1e-3 * scale
            den -= self.shift
            self.pnorm = float(np.abs(den).max())
            self.inv_den = np.reciprocal(den, out=den)  # only 1/(L0 - shift) is kept (memory)
            del den
        else:
            if D > 8192:
                raise DimensionError(
                    f"the iterative solver needs a Schur decomposition of the {D}x{D} effective Hamiltonian; "
                    "too large (limit 8192)"
                )
            T, Z = sla.schur(heff.toarray(), output="complex")
            diag = np.diag(T)
            gap = np.abs(-1j * (diag[:, None] - diag.conj()[None, :]))
            self.shift = 1e-3 * scale if gap.min() < 1e-9 * scale else 0.0
            # (L0 - s) X = Y  <=>  (T - i s) X - X T^H = i Y in the Schur basis (same sign as the diagonal path)
            self.T = T - 1j * self.shift * np.eye(D)
            self.Tc = T
            self.Z = Z
            (self.trsyl,) = sla.get_lapack_funcs(("trsyl",), (T,))
            self.pnorm = 2.0 * scale

    def jump(self, X: np.ndarray) -> np.ndarray:
        out = self.W * X if self.W is not None else np.zeros_like(X)
        for shape, terms in self.lowrank:
            V = X.reshape(shape)
            O = out.reshape(shape)
            tmp = None
            for ins, outs in terms:
                c0, d0, w0 = ins[0]
                acc = w0 * V[:, c0, :, d0, :]
                if tmp is None:
                    tmp = np.empty_like(acc)
                for c_, d_, w in ins[1:]:
                    np.multiply(V[:, c_, :, d_, :], w, out=tmp)
                    acc += tmp
                for a, b, u in outs:
                    np.multiply(acc, u, out=tmp)
                    O[:, a, :, b, :] += tmp
        for c, cc, rate in self.generic:
            # c X c^dag = (conj(c) (c X)^T)^T
            Y = c @ X
            out += rate * (cc @ np.ascontiguousarray(Y.T)).T
        return out

    def l0(self, X: np.ndarray) -> np.ndarray:
        if self.diagonal:
            h = self.h
            return (-1j * (h[:, None] - h.conj()[None, :])) * X
        h = self.heff
        return -1j * (h @ X - (h.conj() @ np.ascontiguousarray(X.T)).T)

    def apply_L(self, X: np.ndarray) -> np.ndarray:
        return self.l0(X) + self.jump(X)

    def pinv(self, Y: np.ndarray) -> np.ndarray:
        """Solve (L0 - shift) X = Y."""
        if self.diagonal:
            return Y * self.inv_den
        Z = self.Z
        Yt = Z.conj().T @ Y @ Z
        # (L0 - s) X = Y  <=>  -i(H X - X H^H) - s X = Y  <=>  (T - i s) X - X T^H = i Y   (Schur basis)
        Xt, scale, info = self.trsyl(self.T, self.Tc, 1j * Yt, trana="N", tranb="C", isgn=-1)
        if info < 0:  # pragma: no cover
            raise ConvergenceError(f"LAPACK trsyl failed (info={info})")
        return Z @ (Xt / scale) @ Z.conj().T



def _trace_norm_above(delta: np.ndarray, limit: float) -> float:
    """Trace norm ``||delta||_1`` of a Hermitian matrix, or its upper bound ``sum |delta_ij|`` when that is ``<= limit``."""
    l1 = float(np.abs(delta).sum())
    if l1 <= limit:  # ||delta||_1 <= sum |delta_ij|: no eigendecomposition needed to certify a small difference
        return l1
    return float(np.abs(np.linalg.eigvalsh((delta + delta.conj().T) / 2)).sum())


def _iterative(model: Model, tol: float, check_unique: bool, seed: int, maxiter: int, restart: int | None,
               x0: np.ndarray | None = None):
    D = model.dim
    n = D * D
    mf = _MatrixFree(model)
    u = np.eye(D, dtype=complex) / D
    count = [0]

    # The preconditioned operator maps Hermitian matrices to Hermitian matrices, so GMRES runs on real
    # vectors of length D^2 (upper triangle: real part, strict lower triangle: imaginary part):
    # half the memory and half the orthogonalisation work of a complex Krylov basis.
    def pack(X):
        R = np.triu(X.real)
        R += np.tril(X.imag, -1)
        return R.reshape(-1)

    def unpack(r):
        R = r.reshape(D, D)
        U = np.triu(R, 1)
        Lo = np.tril(R, -1)
        X = (U + U.T).astype(complex)
        X.real[np.diag_indices(D)] = np.diag(R)
        X.imag[:] = Lo - Lo.T
        return X

    def op(xv):
        X = unpack(xv)
        count[0] += 1
        Y = mf.jump(X)
        if mf.shift:
            Y += mf.shift * X
        out = mf.pinv(Y)
        out += X
        out.reshape(-1)[:: D + 1] += np.trace(X) / D  # + u tr(X), u = 1/D
        return pack(out)

    A = spla.LinearOperator((n, n), matvec=op, dtype=float)
    b = pack(u)

    # ||L x|| <= ||P|| * (preconditioned residual): aim the GMRES tolerance at the true residual
    pnorm = max(mf.pnorm, 1e-300)
    if restart is None:  # keep the Krylov basis below ~2 GB
        restart = int(min(30, max(5, 2e9 // (8 * n))))

    def solve(start, target):
        x = pack((start + start.conj().T) / 2)
        res = np.inf
        goal = 0.35 * target / pnorm  # ||Y||_F <= sqrt(2) ||pack(Y)||
        for _ in range(6):
            x, _ = spla.gmres(A, b, x0=x, rtol=0.0, atol=goal, restart=restart, maxiter=maxiter)
            X = unpack(x)
            tr = np.trace(X)
            res = float(np.linalg.norm(mf.apply_L(X))) / max(abs(tr), 1e-300)
            if res <= target:
                return X / tr, res
            if count[0] > maxiter * restart:
                break
            goal *= 0.1
        raise ConvergenceError(
            f"iterative steady-state solve did not converge: residual {res:.2e} > tol {target:.1e} after "
            f"{count[0]} matrix-vector products; raise maxiter, loosen tol or use method='direct'"
        )

    start = u if x0 is None else np.asarray(x0, complex)
    rho, res = solve(start, tol)
    if check_unique:
        # a second start: with a degenerate kernel GMRES keeps its kernel component, so the answers differ.
        # Solve loosely first and refine only when the two answers disagree.
        rng = np.random.default_rng(seed)
        # Start 2 is u + K (psi psi^dag - u) with a random pure state psi and K = sqrt(D) (Hermitian, trace 1; it
        # need not be positive for the linear solve).  The component of psi psi^dag - u along a conserved
        # quantity is only O(1/sqrt(D)) for a Haar-random psi, so K = sqrt(D) makes the kernel component of
        # the start (which GMRES keeps) O(1) independently of D.
        psi = rng.standard_normal(D) + 1j * rng.standard_normal(D)
        psi /= np.linalg.norm(psi)
        start2 = u + math.sqrt(D) * (np.outer(psi, psi.conj()) - u)
        loose = max(tol, 1e-5)
        rho2, _ = solve(start2, loose)
        limit = 1e-2  # loose answers closer than this: unique (a degenerate kernel gives O(1) differences)
        diff = _trace_norm_above(rho - rho2, limit)
        if diff > limit and loose > tol:
            rho2, _ = solve(rho2, tol)
            limit = max(1e-6, 1e4 * tol)
            diff = _trace_norm_above(rho - rho2, limit)
        if diff > limit:
            raise NonUniqueSteadyStateError(
                f"the Liouvillian kernel has dimension > 1: two starts converged to steady states "
                f"{diff:.2e} apart in trace norm; the steady state depends on the initial state"
            )
    return rho, res, count[0]


# ----------------------------------------------------------------------------- public API


def steady_state(
    model: Model,
    c_ops: Any = None,
    *,
    method: str = "auto",
    tol: float = 1e-10,
    check_unique: bool = True,
    check_positive: bool = True,
    maxiter: int = 200,
    restart: int | None = None,
    seed: int = 0,
) -> SteadyState:
    r"""Unique steady state :math:`\mathcal L\rho = 0`, :math:`\mathrm{tr}\rho = 1` of a :class:`Model`.

    Parameters
    ----------
    model : a :class:`Model`, or QuTiP's Hamiltonian ``H`` with ``c_ops`` (rates inside, ``sqrt(g) c``).
    method : ``"direct"`` (sparse LU), ``"iterative"`` (matrix-free
        preconditioned GMRES) or ``"auto"`` (direct up to ``D**2 <= 1024``).
    tol : bound on the residual :math:`\|\mathcal L\,\mathrm{vec}\rho\|_2`: absolute for ``iterative``;
        for ``direct`` (whose residual is limited by rounding, about ``eps ||L||``) relative to the rate
        scale, ``residual <= tol * max(1, model.rate_scale())``.  The enforced bound is ``SteadyState.tolerance``.
    check_unique : detect a kernel of dimension > 1 (the iterative check costs a second solve).
    check_positive : verify :math:`\rho \ge -10^{-8}` (one ``eigvalsh``).
    maxiter, restart : GMRES outer iterations and restart length (iterative; default
        ``restart`` is 30, reduced so that the Krylov basis stays below about 2 GB).
    seed : seed of the random start vectors used by the uniqueness checks.

    Raises
    ------
    NonUniqueSteadyStateError : the kernel of :math:`\mathcal L` has dimension > 1.
    ConvergenceError : residual above ``tol`` or a non-positive result.

    Example
    -------
    >>> from opentangle.operators import sigma_minus
    >>> ss = steady_state(Model(jumps=[(sigma_minus(), 1.0)]))
    >>> float(round(ss.rho[1, 1].real, 12)), bool(ss.residual < 1e-10)
    (1.0, True)
    """
    from opentangle.lindblad._idioms import as_static_model  # QuTiP's steady_state(H, c_ops); refuses td models

    model = as_static_model(model, c_ops, "steady_state")
    if method not in ("auto", "direct", "iterative"):
        raise InvalidParameterError(f"method must be 'auto', 'direct' or 'iterative'; got {method!r}")
    tol = float(tol)
    if not (np.isfinite(tol) and tol > 0):
        raise InvalidParameterError(f"tol must be a positive number; got {tol}")
    t0 = time.perf_counter()
    n = model.dim**2
    if method == "auto":
        method = "direct" if n <= DIRECT_MAX else "iterative"
    iterations = None
    if method == "direct":
        rho, res = _direct(model, tol, check_unique, seed)
        # LU rounding limits the direct residual to ~eps ||L||: the bound is tol relative to the rate scale
        bound = tol * max(1.0, model.rate_scale())
    else:
        rho, res, iterations = _iterative(model, tol, check_unique, seed, maxiter, restart)
        bound = tol
    rho, min_eig = _finish(rho, check_positive=check_positive)
    if method == "direct":
        res = _residual(liouvillian(model), rho)  # of the returned (Hermitised, trace-1) state
        if res > bound:
            raise ConvergenceError(
                f"direct solve residual {res:.2e} exceeds the bound {bound:.1e} (tol {tol:.1e} x rate scale "
                f"{max(1.0, model.rate_scale()):.3g}); the model is ill-conditioned"
            )
    return SteadyState(rho=rho, residual=res, method=method, dims=list(model.dims), iterations=iterations,
                       min_eigenvalue=min_eig, seconds=time.perf_counter() - t0, tolerance=bound)


def _hermitian_basis(D: int) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal Hermitian operator basis as columns of a unitary ``(D^2, D^2)`` matrix (column stacking).

    Order: ``|a><a|`` (a = 0..D-1, so index 0 is ``|0><0|``), then for a < b
    ``(|a><b| + |b><a|)/sqrt2`` and ``(-i|a><b| + i|b><a|)/sqrt2``.  In this
    basis every Hermiticity-preserving Liouvillian is a real matrix.
    """
    n = D * D
    B = np.zeros((n, n), complex)
    for a in range(D):
        B[a * (D + 1), a] = 1.0
    col = D
    s = 1 / np.sqrt(2)
    for a in range(D):
        for b in range(a + 1, D):
            ab, ba = a + D * b, b + D * a  # vec index of |a><b| and |b><a|
            B[ab, col], B[ba, col] = s, s
            B[ab, col + 1], B[ba, col + 1] = -1j * s, 1j * s
            col += 2
    return B, np.arange(D)


def _batch_core(Ls: np.ndarray, nonunique: str, seed: int, *, basis: np.ndarray | None = None,
                inplace: bool = False) -> BatchSteadyState:
    """Solve a stack of Liouvillians; with ``basis`` they are real matrices in the Hermitian basis."""
    Bn, n, _ = Ls.shape
    D = int(round(np.sqrt(n)))
    trace_idx = np.arange(D) if basis is not None else np.arange(D) * (D + 1)
    A = Ls if inplace else Ls.copy()
    L0row = A[:, 0, :].copy()
    A[:, 0, :] = 0
    A[:, 0, trace_idx] = 1.0
    rng = np.random.default_rng(seed)
    rhs = np.zeros((n, 2), A.dtype)
    rhs[0, 0] = 1.0
    rhs[:, 1] = rng.standard_normal(n) if basis is not None else rng.standard_normal(n) + 1j * rng.standard_normal(n)
    rhs[:, 1] /= np.linalg.norm(rhs[:, 1])
    with np.errstate(all="ignore"):
        try:
            X = np.linalg.solve(A, np.broadcast_to(rhs, (Bn, n, 2)))
            bad = np.zeros(Bn, bool)
        except np.linalg.LinAlgError:  # some exactly singular: find them (batched LU), solve the rest
            sign, _ = np.linalg.slogdet(A)
            bad = sign == 0
            X = np.full((Bn, n, 2), np.nan, A.dtype)
            if (~bad).any():
                X[~bad] = np.linalg.solve(A[~bad], np.broadcast_to(rhs, (int((~bad).sum()), n, 2)))
        anorm = np.abs(A).sum(axis=1).max(axis=1)
        grow = np.linalg.norm(X[:, :, 1], axis=1) * anorm
    bad |= ~np.isfinite(grow) | (grow > 1e12)
    x = X[:, :, 0]
    with np.errstate(all="ignore"):
        x = x / x[:, trace_idx].sum(axis=1).real[:, None]
        # residual ||L x||: restore row 0 of L (it was replaced by the trace row)
        A[:, 0, :] = L0row
        res = np.linalg.norm(np.einsum("bij,bj->bi", A, x), axis=1)
    if basis is not None:
        x = x @ basis.T  # back to column-stacked vec(rho)
    rho = x.reshape(Bn, D, D).transpose(0, 2, 1)
    rho = (rho + rho.conj().transpose(0, 2, 1)) / 2
    if bad.any():
        if nonunique == "raise":
            idx = np.flatnonzero(bad)
            raise NonUniqueSteadyStateError(
                f"{idx.size} of {Bn} Liouvillians have a kernel of dimension > 1 (first indices {idx[:5].tolist()}); "
                "remove those points or pass nonunique='nan'"
            )
        rho[bad] = np.nan
        res[bad] = np.nan
    return BatchSteadyState(rho=rho, residual=res, unique=~bad)


def _check_nonunique(nonunique: str) -> None:
    if nonunique not in ("raise", "nan"):
        raise InvalidParameterError(f"nonunique must be 'raise' or 'nan'; got {nonunique!r}")


def _chunk(n: int, chunk: int | None) -> int:
    if chunk is None:  # ~8 MB of Liouvillians per block: cache friendly (measured 3x faster than 64 MB)
        chunk = max(8, int(8e6 // (16 * n * n)))
    return int(chunk)


def steady_state_batch(
    liouvillians: Any, *, nonunique: str = "raise", chunk: int | None = None, seed: int = 0
) -> BatchSteadyState:
    r"""Steady states of many small Liouvillians ``(B, n, n)`` (column stacking) in one vectorised call.

    Each :math:`\mathcal L_b` has its :math:`(0,0)` row replaced by the trace
    functional and is solved by batched LU (``numpy.linalg.solve``); a second
    random right-hand side estimates :math:`\|A_b^{-1}\|` to flag kernels of
    dimension > 1.

    Parameters
    ----------
    liouvillians : array ``(B, n, n)`` with ``n = D**2`` (dense; sparse items are densified).
    nonunique : ``"raise"`` (:class:`NonUniqueSteadyStateError`) or ``"nan"`` (mark those points NaN).
    chunk : points per block (default: about 8 MB of Liouvillians per block).

    Example
    -------
    >>> from opentangle.operators import sigma_minus
    >>> L = liouvillian(Model(jumps=[(sigma_minus(), 1.0)])).toarray()
    >>> steady_state_batch(np.stack([L, 2 * L])).rho.shape
    (2, 2, 2)
    """
    _check_nonunique(nonunique)
    if isinstance(liouvillians, (list, tuple)):
        liouvillians = [x.toarray() if sp.issparse(x) else np.asarray(x) for x in liouvillians]
    Ls = np.asarray(liouvillians, dtype=complex)
    if Ls.ndim == 2:
        Ls = Ls[None]
    if Ls.ndim != 3 or Ls.shape[1] != Ls.shape[2]:
        raise DimensionError(f"liouvillians must have shape (B, n, n); got {Ls.shape}")
    n = Ls.shape[1]
    D = int(round(np.sqrt(n)))
    if D * D != n:
        raise DimensionError(f"Liouvillian size {n} is not a square D**2")
    if not np.all(np.isfinite(Ls)):
        raise InvalidParameterError("liouvillians contain NaN or infinite entries")
    c = _chunk(n, chunk)
    parts = [_batch_core(Ls[i : i + c], nonunique, seed) for i in range(0, Ls.shape[0], c)]
    return BatchSteadyState(
        rho=np.concatenate([p.rho for p in parts]),
        residual=np.concatenate([p.residual for p in parts]),
        unique=np.concatenate([p.unique for p in parts]),
    )


def steady_state_linear(
    *,
    terms: Sequence[Any],
    coefficients: Any,
    nonunique: str = "raise",
    chunk: int | None = None,
    seed: int = 0,
) -> BatchSteadyState:
    r"""Batched steady states of :math:`\mathcal L(c) = \sum_k c_k \mathcal L_k` for every row of ``coefficients``.

    Build the parameter-independent terms once (e.g. ``liouvillian`` of the
    Hamiltonian part and of each channel at unit rate) and solve a whole grid:

    Parameters
    ----------
    terms : ``K`` Liouvillians ``(n, n)``, dense or sparse (``n = D**2 <= ~256`` for speed).
    coefficients : ``(B, K)`` real or complex coefficients (a ``(K,)`` vector is one point).
    nonunique, chunk, seed : as in :func:`steady_state_batch`.

    Example
    -------
    >>> from opentangle.operators import sigma_minus, sigma_plus
    >>> down = liouvillian(Model(jumps=[(sigma_minus(), 1.0)]))
    >>> up = liouvillian(Model(jumps=[(sigma_plus(), 1.0)]))
    >>> out = steady_state_linear(terms=[down, up], coefficients=[[1.0, 1.0], [1.0, 3.0]])
    >>> np.round(out.rho[:, 0, 0].real, 12).tolist()
    [0.5, 0.75]
    """
    _check_nonunique(nonunique)
    T = [t.toarray() if sp.issparse(t) else np.asarray(t) for t in terms]
    if not T:
        raise DimensionError("terms must contain at least one Liouvillian")
    T = np.asarray(T, dtype=complex)
    if T.ndim != 3 or T.shape[1] != T.shape[2]:
        raise DimensionError(f"terms must all be square (n, n) and the same size; got stack shape {T.shape}")
    coeff = np.asarray(coefficients)
    if coeff.ndim == 1:
        coeff = coeff[None]
    if coeff.ndim != 2 or coeff.shape[1] != T.shape[0]:
        raise DimensionError(
            f"coefficients must have shape (B, {T.shape[0]}) (one column per term); got {coeff.shape}"
        )
    if not np.all(np.isfinite(coeff)):
        raise InvalidParameterError("coefficients contain NaN or infinite entries")
    n = T.shape[1]
    if int(round(np.sqrt(n))) ** 2 != n:
        raise DimensionError(f"Liouvillian size {n} is not a square D**2")
    D = int(round(np.sqrt(n)))
    basis = None
    if np.isrealobj(coeff):
        # Hermiticity-preserving terms are real in a Hermitian operator basis: solve in real arithmetic
        Bm, _ = _hermitian_basis(D)
        TB = np.einsum("ji,kjl,lm->kim", Bm.conj(), T, Bm, optimize=True)
        if np.abs(TB.imag).max() <= 1e-12 * max(1.0, np.abs(TB.real).max()):
            basis, T = Bm, np.ascontiguousarray(TB.real)
    c = _chunk(n, chunk) * (2 if basis is not None and chunk is None else 1)
    Tm = T.reshape(T.shape[0], -1)
    parts = []
    for i in range(0, coeff.shape[0], c):
        cc = coeff[i : i + c]
        Ls = (cc.astype(T.dtype) @ Tm).reshape(-1, n, n)
        parts.append(_batch_core(Ls, nonunique, seed, basis=basis, inplace=True))
    return BatchSteadyState(
        rho=np.concatenate([p.rho for p in parts]),
        residual=np.concatenate([p.residual for p in parts]),
        unique=np.concatenate([p.unique for p in parts]),
    )
