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
  GMRES works on real vectors (packed Hermitian matrices).  When :math:`H_\mathrm{eff}` is
  diagonal and the jumps are real local ones (reset, damping, dephasing), the fast path of
  :mod:`opentangle.lindblad._folded` runs instead: folded real matrices ``Re X + Im X``, the
  preconditioner is the exact inverse of the whole elementwise part of :math:`\mathcal L`
  (dephasing included), and a lean GMRES keeps only ``restart + 1`` real vectors.
* ``triangular`` (exact, large systems with local jumps and a diagonal :math:`H_\mathrm{eff}`): the
  graph of :math:`\mathcal L` is the Cartesian product of the per-site graphs, so its strongly connected
  components (Tarjan, R. Tarjan, SIAM J. Comput. 1, 146 (1972)) are products of local ones and
  :math:`\mathcal L` is block triangular in their (acyclic) order.  With at most two-body diagonal terms
  every diagonal block is a Kronecker sum :math:`c + M_1\oplus\dots\oplus M_k` of per-site matrices,
  inverted exactly through their eigendecompositions (its eigenvalues are the sums; R. A. Horn and
  C. R. Johnson, *Topics in Matrix Analysis*, Sec. 4.4); block forward substitution gives the kernel
  vector, and :math:`\dim\ker\mathcal L \le \sum_k \dim\ker L_{kk}` proves uniqueness structurally.
  See :mod:`opentangle.lindblad._triangular`.  Certified by the residual of the matrix-free operator
  and a forward-error bound from a power-method estimate of :math:`\lVert A^{-1}\rVert` (substitution
  and its adjoint).
* Uniqueness (iterative): structural first. If the local jumps generate the full matrix
  algebra at every site, the semigroup is irreducible and its steady state unique (Evans); no
  further work.  Otherwise a second, loose solve from a different start: with a degenerate
  kernel the two answers differ.
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
from scipy.sparse.csgraph import connected_components

from opentangle.errors import (
    ConvergenceError,
    DimensionError,
    IllConditionedError,
    InvalidParameterError,
    NonUniqueSteadyStateError,
)
from opentangle.lindblad._folded import add_site_terms
from opentangle.lindblad.model import Model, liouvillian

__all__ = [
    "BatchSteadyState",
    "SteadyState",
    "direct_cost",
    "steady_state",
    "steady_state_batch",
    "steady_state_linear",
]

#: ``auto`` uses the direct solver up to this Liouville dimension ``D**2``.
DIRECT_MAX = 1024
#: ``method="auto"`` consults :func:`direct_cost` up to this Liouville dimension (10 qubits), above it is iterative
COST_MODEL_MAX = 4**10
_POS_TOL = 1e-8
#: above this dimension positivity is certified by a Cholesky factor (min_eigenvalue is then None)
EIGVALSH_MAX = 2048


@dataclass
class SteadyState:
    """Result of :func:`steady_state`.

    Attributes: ``rho`` (D x D), ``residual`` = ``||L vec(rho)||_2``, ``method``
    (``"direct"``, ``"iterative"`` or ``"triangular"``), ``dims``, ``iterations`` (matrix-vector
    products, iterative only), ``min_eigenvalue`` of ``rho``, ``seconds``, and
    ``tolerance``: the absolute bound ``residual <= tolerance`` that was enforced
    (``tol`` for ``iterative``; ``tol * max(1, model.rate_scale())`` for ``direct`` and ``triangular``), and
    ``kernel_dimension`` (the number of independent steady states; > 1 only with ``initial=``,
    ``method="projection"``).  Above ``D = EIGVALSH_MAX`` (2048) positivity is certified by a Cholesky
    factor of ``rho + 1e-8 I`` instead of ``eigvalsh`` and ``min_eigenvalue`` is None.
    """

    rho: np.ndarray
    residual: float
    method: str
    dims: list[int]
    iterations: int | None = None
    min_eigenvalue: float | None = None
    seconds: float = 0.0
    tolerance: float | None = None
    kernel_dimension: int = 1

    def __repr__(self) -> str:
        it = f", iterations={self.iterations}" if self.iterations is not None else ""
        me = f", min_eig={self.min_eigenvalue:.2e}" if self.min_eigenvalue is not None else ""
        tl = f" <= tolerance={self.tolerance:.1e}" if self.tolerance is not None else ""
        tl += f", kernel_dimension={self.kernel_dimension}" if self.kernel_dimension > 1 else ""
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
    if check_positive and rho.shape[0] > EIGVALSH_MAX:
        # a Cholesky factor of rho + tol I exists iff rho >= -tol (up to rounding): ~4x cheaper than eigvalsh
        try:
            sla.cholesky(rho + _POS_TOL * np.eye(rho.shape[0]), lower=True, overwrite_a=True, check_finite=False)
        except np.linalg.LinAlgError:
            raise ConvergenceError(
                f"steady state is not positive (rho + {_POS_TOL:g} I has no Cholesky factor); tighten tol or use "
                "method='direct'"
            ) from None
    elif check_positive:
        min_eig = float(np.linalg.eigvalsh(rho)[0])
        if min_eig < -_POS_TOL:
            raise ConvergenceError(
                f"steady state is not positive (smallest eigenvalue {min_eig:.3g}); tighten tol or use method='direct'"
            )
    return rho, min_eig


def _residual(L: sp.spmatrix, rho: np.ndarray) -> float:
    return float(np.linalg.norm(L @ rho.reshape(-1, order="F")))


#: a direct solve is trusted when its forward-error estimate ||A^-1||_est ||b - A x|| / ||x|| is below this
ERROR_BOUND_MAX = 1e-6
#: the commutant test (dense) runs up to this Liouville dimension D**2
COMMUTANT_MAX = 1024
#: initial= projects with a dense SVD up to this Liouville dimension D**2
PROJECTION_MAX = 1024
_NONUNIQUE_TAIL = (
    "the steady state depends on the initial state: pass initial= (the state it starts from), "
    "use evolve(), or add the dissipation that breaks the conserved quantity"
)


def _structural_degeneracy(L: sp.spmatrix, D: int) -> str | None:
    """A proof from the sparsity structure that the kernel of ``L`` has dimension > 1, or None.

    * a vanishing row j: the matrix element j is conserved (a left kernel vector besides the trace);
    * two vanishing columns: two stationary basis elements;
    * two connected components of the graph of L that both carry trace: the restriction of the
      identity to each is conserved.
    """
    L = sp.csr_matrix(L)
    if D == 1:
        return None
    rows = np.flatnonzero(np.diff(L.indptr) == 0)
    if rows.size:
        a, b = rows[0] % D, rows[0] // D
        return f"{rows.size} matrix element(s) of rho are conserved (row of L vanishes, e.g. rho[{a}, {b}])"
    cols = np.flatnonzero(np.diff(L.tocsc().indptr) == 0)
    if cols.size >= 2:
        return f"{cols.size} basis operators |a><b| are stationary (their columns of L vanish)"
    pattern = sp.csr_matrix((np.ones(L.nnz), L.indices, L.indptr), shape=L.shape)
    n_comp, labels = connected_components(pattern, directed=False)
    if n_comp > 1:
        carrying = np.unique(labels[np.arange(D) * (D + 1)])
        if carrying.size > 1:
            return (
                f"L splits into {carrying.size} decoupled blocks that each carry trace (each has its own steady state)"
            )
    return None


def _commutant_residual(model: Model) -> float | None:
    r"""Smallest :math:`\max_A \lVert [A, X]\rVert/\lVert A\rVert` over traceless unit X, A in {H, L_k, L_k^dag}.

    A traceless X that commutes with H and every jump is conserved (:math:`\mathcal L^\dagger X = 0`), so
    a vanishing residual proves a degenerate kernel.  Each operator is normalised on its own, so the
    test does not see ratios of rates (unlike the spectrum of L).  None when D**2 > COMMUTANT_MAX.
    """
    D = model.dim
    if D * D > COMMUTANT_MAX:
        return None
    ops = [model.hamiltonian.toarray()] + [j.op.toarray() for j in model.jumps if j.rate > 0]
    ops += [o.conj().T for o in ops[1:]]
    eye = np.eye(D)
    cs = []
    for a in ops:
        na = np.linalg.norm(a)
        if na > 0:
            a = a / na
            cs.append(np.kron(eye, a) - np.kron(a.T, eye))  # vec(AX - XA), column stacking
    if not cs:
        return 0.0
    gram = sum(c.conj().T @ c for c in cs)
    trace = np.eye(D).reshape(-1) / math.sqrt(D)
    p = np.eye(D * D) - np.outer(trace, trace)  # traceless part
    _, vecs = np.linalg.eigh(p @ gram @ p + np.outer(trace, trace) * np.abs(gram).max())
    best = np.inf
    for v in vecs[:, :2].T:  # candidates: the two lowest; the residual is measured directly (not squared)
        v = v - trace * (trace.conj() @ v)
        v = v / np.linalg.norm(v)
        best = min(best, max(float(np.linalg.norm(c @ v)) for c in cs))
    return best


def _classify_singular(model: Model, detail: str) -> Exception:
    """NonUniqueSteadyStateError if a conserved quantity is proven, else IllConditionedError."""
    res = _commutant_residual(model)
    eps = np.finfo(float).eps
    if res is not None and res <= 16 * eps * math.sqrt(model.dim):
        return NonUniqueSteadyStateError(
            f"the Liouvillian kernel has dimension > 1 ({detail}; a traceless operator commutes with H and "
            f"every jump to working precision, residual {res:.1e}, so it is conserved); " + _NONUNIQUE_TAIL
        )
    why = (
        "no conserved quantity was found (the smallest commutator residual of a traceless operator with H "
        f"and the jumps is {res:.1e})"
        if res is not None
        else f"the commutant test that would prove a conserved quantity is limited to D**2 <= {COMMUTANT_MAX}"
    )
    return IllConditionedError(
        f"the steady state cannot be certified at double precision ({detail}): the kernel of L is either "
        f"degenerate or only nearly so; {why}. Likely a unique but ill-conditioned steady state (rates or couplings "
        "spanning more than ~1e12): rescale or drop the extreme parameter, or pass initial= / use evolve()"
    )


#: the LU certificate's ``||A^-1||`` estimate is multiplied by this (its power method is a lower bound)
LU_NORM_SAFETY = 2.0


def _lu_certificate(lu, A: sp.spmatrix, seed: int, *, complex_rhs: bool = True) -> tuple[float, float]:
    r"""Forward-error estimate ``||A^-1||_est ||b - A x|| / ||x||`` of a random solve, and ``||A^-1||_est``.

    O(1) for a singular A at any size (the factor is exact for some A + E and both factors of the
    estimate are set by E), ~1e-16 for a well-conditioned one.  :math:`\lVert A^{-1}\rVert_2` comes
    from the power method on :math:`A^{-H}A^{-1}`: from the random solve, three solves with the
    factor alternately with :math:`A^H` and :math:`A`, each normalised result a lower bound rising
    towards the norm, times ``LU_NORM_SAFETY``.  Inverse iteration with ``A`` alone converges to the
    spectral radius of :math:`A^{-1}`, which for a non-normal Liouvillian can be several times
    smaller than the norm (4-9x on permutation-symmetric models at N = 36-50).
    ``complex_rhs=False`` for a real factor (the permutation-symmetric solver).
    """
    n = A.shape[0]
    rng = np.random.default_rng(seed)
    b = rng.standard_normal(n)
    if complex_rhs:
        b = b + 1j * rng.standard_normal(n)
    x = lu.solve(b)
    r = float(np.linalg.norm(b - A @ x))
    xn = float(np.linalg.norm(x))
    if not np.isfinite(xn) or xn == 0:
        return math.inf, math.inf
    adjoint = "H" if complex_rhs else "T"
    inv = _inverse_norm_estimate(
        x / xn, xn / float(np.linalg.norm(b)), lambda z, adj: lu.solve(z, trans=adjoint if adj else "N")
    )
    return (inv * r / xn if np.isfinite(inv) else math.inf), inv


def _inverse_norm_estimate(z: np.ndarray, lower: float, solve: Any) -> float:
    r"""``||A^-1||_2`` estimate: ``lower`` raised by the power method on :math:`A^{-H}A^{-1}`, times ``LU_NORM_SAFETY``.

    ``z``: a unit vector, the normalised solution of a random system (``lower`` = its norm ratio);
    ``solve(z, adjoint)`` applies :math:`A^{-1}` or :math:`A^{-H}` (it may overwrite ``z``).  Three
    solves, alternately with :math:`A^H` and :math:`A`, each normalised result a lower bound rising
    towards the norm.  ``inf`` when a solve gives zero or a non-finite vector (a singular factor).
    """
    inv = lower
    for k in range(3):
        z = solve(z, k % 2 == 0)
        zn = float(np.linalg.norm(z))
        if not np.isfinite(zn) or zn == 0:
            return math.inf
        inv = max(inv, zn)
        z /= zn
    return inv * LU_NORM_SAFETY


def _direct(model: Model, tol: float, check_unique: bool, seed: int) -> tuple[np.ndarray, float]:
    L = liouvillian(model)
    D = model.dim
    n = D * D
    if check_unique:
        reason = _structural_degeneracy(L, D)
        if reason is not None:
            raise NonUniqueSteadyStateError(f"the Liouvillian kernel has dimension > 1: {reason}; " + _NONUNIQUE_TAIL)
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
            "the Liouvillian kernel has dimension > 1 (the bordered LU factor is exactly singular); " + _NONUNIQUE_TAIL
        ) from exc
    x = lu.solve(b)
    for _ in range(2):  # iterative refinement
        r = b - A @ x
        x = x + lu.solve(r)
    if check_unique:
        bound, inv = _lu_certificate(lu, A, seed)
        if not np.isfinite(bound) or bound > ERROR_BOUND_MAX or not np.all(np.isfinite(x)):
            raise _classify_singular(
                model, f"forward-error estimate {bound:.1e} > {ERROR_BOUND_MAX:g}, ||A^-1|| ~ {inv:.1e}"
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

    def __init__(self, model: Model, *, precondition: bool = True):
        self.D = model.dim
        self.heff = model.effective_hamiltonian()
        dims = tuple(model.dims)
        self.W: np.ndarray | None = None  # elementwise part of J
        self.lowrank: list[tuple[tuple[int, ...], list]] = []  # (5-D view shape, [(ins, outs), ...])
        self.generic: list = []
        for (site, _), S in self._group_local_jumps(model, dims).items():
            self._add_site_term(dims, site, S)
        off = self.heff - sp.diags(self.heff.diagonal())
        off.eliminate_zeros()
        self.diagonal = off.nnz == 0 or abs(off).max() <= 1e-14 * model.rate_scale()
        self.h = self.heff.diagonal()
        if precondition:
            self._init_preconditioner(model.rate_scale())

    def _group_local_jumps(self, model: Model, dims: tuple[int, ...]) -> dict[tuple[int, bool], np.ndarray]:
        """Sum the local jumps per (site, diagonal?) into superoperators ``S[a, b, c, d]``; others go to ``generic``."""
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
        return per_site

    def _add_site_term(self, dims: tuple[int, ...], site: int, S: np.ndarray) -> None:
        """Add one site superoperator: to the elementwise multiplier ``W`` if diagonal, else as low-rank terms."""
        d = dims[site]
        shape = (
            math.prod(dims[:site]),
            d,
            math.prod(dims[site + 1 :]) * math.prod(dims[:site]),
            d,
            math.prod(dims[site + 1 :]),
        )
        off = S.copy()
        for a in range(d):
            for b in range(d):
                off[a, b, a, b] = 0
        if np.abs(off).max() <= 1e-14 * np.abs(S).max():
            if self.W is None:
                self.W = np.zeros((self.D, self.D), complex)
            Wv = self.W.reshape(shape)
            for a in range(d):
                for b in range(d):
                    Wv[:, a, :, b, :] += S[a, b, a, b]
            return
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

    def _init_preconditioner(self, scale: float) -> None:
        """Set up ``(L0 - shift)^{-1}``: elementwise for a diagonal ``H_eff``, else through its Schur form."""
        D, heff = self.D, self.heff
        if self.diagonal:
            h = self.h
            den = -1j * (h[:, None] - h.conj()[None, :])
            small = np.abs(den) < 1e-9 * scale
            self.shift = 0.0
            if small.any():  # undamped, degenerate coherences: shift the preconditioner
                self.shift = 1e-3 * scale
            den -= self.shift
            self.pnorm = float(np.abs(den).max())
            self.inv_den = np.reciprocal(den, out=den)  # only 1/(L0 - shift) is kept (memory)
            del den
            return
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
            acc = np.empty(V[:, 0, :, 0, :].shape, dtype=out.dtype)
            add_site_terms(V, O, terms, acc, np.empty_like(acc))
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


def _pack(X: np.ndarray) -> np.ndarray:
    """Hermitian ``X`` -> real vector of length D^2 (upper triangle: real part, strict lower: imaginary part)."""
    R = np.triu(X.real)
    R += np.tril(X.imag, -1)
    return R.reshape(-1)


def _unpack(r: np.ndarray, D: int) -> np.ndarray:
    """Inverse of :func:`_pack`."""
    R = r.reshape(D, D)
    U = np.triu(R, 1)
    Lo = np.tril(R, -1)
    X = (U + U.T).astype(complex)
    X.real[np.diag_indices(D)] = np.diag(R)
    X.imag[:] = Lo - Lo.T
    return X


class _PreconditionedGmres:
    """GMRES on ``P^{-1} L x + u tr(x) = u`` over packed real vectors; ``count`` tallies matrix-vector products.

    The preconditioned operator maps Hermitian matrices to Hermitian matrices, so GMRES runs on real
    vectors of length D^2 (:func:`_pack`): half the memory and half the orthogonalisation work of a
    complex Krylov basis.
    """

    def __init__(self, mf: _MatrixFree, maxiter: int, restart: int):
        self.mf, self.maxiter, self.restart = mf, maxiter, restart
        D = mf.D
        self.count = 0
        self.A = spla.LinearOperator((D * D, D * D), matvec=self._op, dtype=float)
        self.b = _pack(np.eye(D, dtype=complex) / D)
        # ||L x|| <= ||P|| * (preconditioned residual): aim the GMRES tolerance at the true residual
        self.pnorm = max(mf.pnorm, 1e-300)

    def _op(self, xv: np.ndarray) -> np.ndarray:
        mf, D = self.mf, self.mf.D
        X = _unpack(xv, D)
        self.count += 1
        Y = mf.jump(X)
        if mf.shift:
            Y += mf.shift * X
        out = mf.pinv(Y)
        out += X
        out.reshape(-1)[:: D + 1] += np.trace(X) / D  # + u tr(X), u = 1/D
        return _pack(out)

    def solve(self, start: np.ndarray, target: float) -> tuple[np.ndarray, float]:
        """Steady state (trace 1) from ``start`` with true residual ``||L rho|| <= target``."""
        D = self.mf.D
        x = _pack((start + start.conj().T) / 2)
        res = np.inf
        goal = 0.35 * target / self.pnorm  # ||Y||_F <= sqrt(2) ||pack(Y)||
        for _ in range(6):
            x, _ = spla.gmres(self.A, self.b, x0=x, rtol=0.0, atol=goal, restart=self.restart, maxiter=self.maxiter)
            X = _unpack(x, D)
            tr = np.trace(X)
            res = float(np.linalg.norm(self.mf.apply_L(X))) / max(abs(tr), 1e-300)
            if res <= target:
                return X / tr, res
            if self.count > self.maxiter * self.restart:
                break
            goal *= 0.1
        raise ConvergenceError(
            f"iterative steady-state solve did not converge: residual {res:.2e} > tol {target:.1e} after "
            f"{self.count} matrix-vector products; raise maxiter, loosen tol or use method='direct'"
        )


class _FoldedGmres:
    """The iterative solve on folded real matrices (:mod:`opentangle.lindblad._folded`): same interface as
    :class:`_PreconditionedGmres` (``solve``, ``count``, ``mf.apply_L`` is not needed)."""

    def __init__(self, op: Any, maxiter: int, restart: int):
        self.op, self.maxiter, self.restart = op, maxiter, restart
        D = op.D
        self.b = np.eye(D).reshape(-1) / D
        self.pnorm = max(op.pnorm, 1e-300)

    @property
    def count(self) -> int:
        return int(self.op.count)

    def solve(self, start: np.ndarray, target: float) -> tuple[np.ndarray, float]:
        """Steady state (trace 1) from ``start`` with true residual ``||L rho|| <= target``."""
        from opentangle.lindblad._folded import fold, gmres, unfold

        D, limit = self.op.D, self.maxiter * self.restart
        x = fold((start + start.conj().T) / 2).reshape(-1)
        res, goal = np.inf, 0.35 * target / self.pnorm
        for _ in range(6):
            x = gmres(self.op, self.b, x, atol=goal, restart=self.restart, maxprod=limit, count=lambda: self.count)
            R = x.reshape(D, D)
            tr = float(np.trace(R))
            res = self.op.residual(R) / max(abs(tr), 1e-300)
            if res <= target:
                return unfold(R / tr), res
            if self.count >= limit:
                break
            goal *= 0.1
        raise ConvergenceError(
            f"iterative steady-state solve did not converge: residual {res:.2e} > tol {target:.1e} after "
            f"{self.count} matrix-vector products; raise maxiter, loosen tol or use method='direct'"
        )


#: the structural uniqueness test closes local algebras up to this site dimension
_ALGEBRA_MAX_DIM = 16


def _foldable(model: Model) -> bool:
    """Whether :class:`_folded.FoldedOperator` applies (decided without any D^2 allocation)."""
    dims = tuple(model.dims)
    for j in model.jumps:
        if j.rate <= 0 or j.op.nnz == 0:
            continue
        loc = getattr(j, "_local", None)
        if loc is None or loc[2] != dims:
            return False
        c = np.asarray(loc[1], complex)
        if np.abs(np.einsum("ac,bd->abcd", c, c.conj()).imag).max() > 0:
            return False
    heff = model.effective_hamiltonian()
    off = heff - sp.diags(heff.diagonal())
    off.eliminate_zeros()
    return bool(off.nnz == 0 or abs(off).max() <= 1e-14 * model.rate_scale())


def _local_algebras_full(model: Model) -> bool:
    r"""True if, at every site, the local jumps generate the full matrix algebra :math:`M_{d}` (a proof of uniqueness).

    Then the jumps generate :math:`M_D`, so no proper subspace is invariant under the jumps (and
    :math:`H_\mathrm{eff}`): the semigroup is irreducible, and an irreducible semigroup has exactly one
    stationary state, which is faithful (D. E. Evans, Commun. Math. Phys. 54, 293 (1977); the
    invariant-subspace form: B. Baumgartner and H. Narnhofer, J. Phys. A 41, 395303 (2008)).  False means
    inconclusive.  Costs ``O(N d^6)``: the algebra is closed by products on ``d x d`` matrices.
    """
    dims = tuple(model.dims)
    per_site: dict[int, list[np.ndarray]] = {i: [np.eye(d)] for i, d in enumerate(dims)}
    for j in model.jumps:
        loc = getattr(j, "_local", None)
        if j.rate > 0 and loc is not None and loc[2] == dims:
            per_site[loc[0]].append(np.asarray(loc[1], complex))
    return all(_generates_full_algebra(ops, dims[i]) for i, ops in per_site.items())


def _generates_full_algebra(ops: list[np.ndarray], d: int) -> bool:
    """Whether the products of ``ops`` (identity included) span all ``d x d`` matrices (False above d = 16)."""
    if d > _ALGEBRA_MAX_DIM:
        return False  # O(d^6): inconclusive, the numerical check decides
    basis = np.zeros((0, d * d), complex)

    def extend(B: np.ndarray, new: list[np.ndarray]) -> np.ndarray:
        M = np.vstack([B] + [m.reshape(1, -1) for m in new])
        sv = np.linalg.svd(M, compute_uv=False)
        rank = int((sv > 1e-10 * sv[0]).sum())
        if rank == B.shape[0]:
            return B
        _, _, vh = np.linalg.svd(M, full_matrices=False)
        return vh[:rank]

    basis = extend(basis, ops)
    for _ in range(d * d):
        if basis.shape[0] == d * d:
            return True
        prods = [(u.reshape(d, d) @ o) for u in basis for o in ops]
        grown = extend(basis, prods)
        if grown.shape[0] == basis.shape[0]:
            return False
        basis = grown
    return basis.shape[0] == d * d


def _check_unique_second_start(
    model: Model, rho: np.ndarray, solver: _PreconditionedGmres | _FoldedGmres, tol: float, seed: int
):
    """Raise if a second, random start converges to a different steady state than ``rho``."""
    D = model.dim
    u = np.eye(D, dtype=complex) / D
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
    rho2, _ = solver.solve(start2, loose)
    limit = 1e-2  # loose answers closer than this: unique (a degenerate kernel gives O(1) differences)
    diff = _trace_norm_above(rho - rho2, limit)
    if diff > limit and loose > tol:
        rho2, _ = solver.solve(rho2, tol)
        limit = max(1e-6, 1e4 * tol)
        diff = _trace_norm_above(rho - rho2, limit)
    if diff > limit and model.dim**2 <= COMMUTANT_MAX and _structural_degeneracy(liouvillian(model), D) is None:
        raise _classify_singular(model, f"two starts converged to steady states {diff:.2e} apart in trace norm")
    if diff > limit:
        raise NonUniqueSteadyStateError(
            f"the Liouvillian kernel has dimension > 1: two starts converged to steady states "
            f"{diff:.2e} apart in trace norm; the steady state depends on the initial state"
        )


def _iterative(
    model: Model,
    tol: float,
    check_unique: bool,
    seed: int,
    maxiter: int,
    restart: int | None,
    x0: np.ndarray | None = None,
):
    from opentangle.lindblad._folded import FoldedOperator

    D = model.dim
    if restart is None:  # keep the Krylov basis below ~1 GB
        restart = _default_restart(D * D)
    mf = _MatrixFree(model, precondition=False)
    fo = FoldedOperator.build(mf, model.rate_scale())
    solver: _FoldedGmres | _PreconditionedGmres
    if fo is not None:
        del mf
        solver = _FoldedGmres(fo, maxiter, restart)
    else:
        mf._init_preconditioner(model.rate_scale())
        solver = _PreconditionedGmres(mf, maxiter, restart)
    start = np.eye(D, dtype=complex) / D if x0 is None else np.asarray(x0, complex)
    rho, res = solver.solve(start, tol)
    if check_unique and not _local_algebras_full(model):
        _check_unique_second_start(model, rho, solver, tol, seed)
    return rho, res, solver.count


#: ``method="auto"`` tries the block-triangular solver from this Liouville dimension ``D**2`` (N = 10 qubits), where
#: it overtakes the folded GMRES that ``auto`` picks there (``benchmarks/bench_lindblad.py --n 8 9 10 11 12``,
#: CPU, same run, idle 2-core machine, reset model: N = 8 0.4 s vs 0.1 s, 9 0.6 vs 0.6, 10 2.7 vs 3.6,
#: 11 11.9 vs 17.1, 12 33.8 s and 1.69 GB vs 97.8 s and 3.12 GB); it is exact (residual ~5e-15 against ~5e-12)
TRIANGULAR_MIN = 4**10
#: ``auto`` tries the triangular path at and above ``TRIANGULAR_MIN`` when the model qualifies (local jumps, a
#: diagonal ``H_eff``); where it does not apply or cannot certify its answer, ``auto`` goes on as before
TRIANGULAR_AUTO = True
#: the block-triangular solver refuses models whose blocks form more groups than this (Python-level loop)
TRIANGULAR_MAX_GROUPS = 20000
#: triangular path, peak bytes per Liouville entry (the batch-major solution vector, the certificate's vectors,
#: the independent matrix-free residual and one batch's work arrays); measured peak RSS 1.69 GB at N = 12
#: (16.8e6 entries), i.e. 89 B/entry besides the 0.2 GB of the interpreter and libraries
_TRIANGULAR_BYTES_PER_ENTRY = 100.0
#: seconds per Liouville entry of a whole triangular solve with its certificate (one core; measured on the
#: reset model: N = 11 11.9 s and N = 12 33.8 s CPU on an idle 2-core AMD EPYC, about 2.0e-6 s/entry)
_TRIANGULAR_SECONDS_PER_ENTRY = 2.5e-6


def triangular_cost(D: int) -> Any:
    """The :class:`opentangle._limits.Estimate` (memory, rough time) of a block-triangular steady state.

    >>> est = triangular_cost(2**13)   # 13 qubits: 67 million Liouville entries
    >>> round(est.nbytes / 1e9, 1), round(est.seconds / 60, 1)
    (6.9, 2.8)
    """
    from opentangle._limits import Estimate

    n = int(D) ** 2
    return Estimate(
        f"a block-triangular steady state of dimension {D} ({n:.3g} Liouville entries)",
        nbytes=_TRIANGULAR_BYTES_PER_ENTRY * n + 2e8,
        seconds=_TRIANGULAR_SECONDS_PER_ENTRY * n,
        hint="use the permutation-symmetric solver when the model is symmetric, or fewer sites",
    )


def _triangular_applies(model: Model) -> bool:
    """Local jumps and an exactly diagonal ``H_eff`` (no ``D^2`` work); separability is checked later."""
    from opentangle.lindblad._triangular import applicable

    return applicable(model)


def _triangular(model: Model, check_unique: bool, seed: int, *, explicit: bool) -> dict[str, Any] | None:
    """The block-triangular solve and its certificate, or None (``auto``) where it does not apply or certify."""
    from opentangle._limits import check_resources
    from opentangle.lindblad import _triangular as tri

    check_resources(triangular_cost(model.dim))
    try:
        out = tri.solve(model, seed=seed, check_unique=check_unique, max_groups=TRIANGULAR_MAX_GROUPS)
    except tri.NotApplicable as exc:
        if explicit:
            raise InvalidParameterError(
                f"method='triangular' needs local jumps, a diagonal H_eff and at most two-body diagonal terms: {exc}; "
                "use method='auto'"
            ) from None
        return None
    except tri.Uncertified as exc:
        if exc.kind == "nonunique":
            raise NonUniqueSteadyStateError(
                f"the Liouvillian kernel has dimension > 1: {exc}; " + _NONUNIQUE_TAIL
            ) from None
        if explicit:
            raise IllConditionedError(
                f"method='triangular' cannot certify its answer: {exc}; use method='iterative' or 'direct'"
            ) from None
        return None
    bound = out.get("bound", 0.0)
    if not bound <= ERROR_BOUND_MAX:
        if explicit:
            raise IllConditionedError(
                f"method='triangular': forward-error estimate {bound:.1e} > {ERROR_BOUND_MAX:g} "
                f"(||A^-1|| ~ {out.get('inv_norm', math.inf):.1e}); the steady state is ill-conditioned: "
                "use method='iterative' or 'direct'"
            )
        return None
    return out


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
    initial: Any = None,
) -> SteadyState:
    r"""Steady state :math:`\mathcal L\rho = 0`, :math:`\mathrm{tr}\rho = 1` of a :class:`Model`.

    Without ``initial`` the steady state must be unique.  With ``initial`` = :math:`\rho_0` it is
    the state the dynamics reaches, :math:`\lim_{t\to\infty} e^{\mathcal L t}\rho_0` (the time
    average where the limit does not exist), computed without time stepping as the spectral
    projection onto the kernel: with right kernel vectors :math:`r_k` (stationary states) and
    left ones :math:`\ell_k` (conserved quantities), biorthonormalised,
    :math:`P\rho_0 = \sum_{k} r_k\,\langle \ell_k, \rho_0\rangle`
    (V. V. Albert and L. Jiang, PRA 89, 022118 (2014)).

    Parameters
    ----------
    model : a :class:`Model`, or QuTiP's Hamiltonian ``H`` with ``c_ops`` (rates inside, ``sqrt(g) c``).
    method : ``"direct"`` (sparse LU), ``"iterative"`` (matrix-free
        preconditioned GMRES), ``"triangular"`` (exact block forward substitution with Kronecker-sum
        blocks: local jumps, a diagonal :math:`H_\mathrm{eff}` with at most two-body terms; checked before
        allocating with :func:`triangular_cost`) or ``"auto"``: triangular from :math:`D^2 \ge 4^{10}`
        (``TRIANGULAR_MIN``, where it overtakes the folded GMRES) when the model qualifies and the answer
        certifies; else direct when
        :func:`direct_cost` predicts an LU that is cheap (under ~1 s) or cheaper than ~300 preconditioned matrix-vector products, and fits
        in memory; otherwise iterative (always above ``COST_MODEL_MAX`` = :math:`4^{10}`, where the
        cost model would itself build a Liouvillian of several GB).  The iterative path checks its
        memory and time estimate (:func:`iterative_cost`) before allocating.
    tol : bound on the residual :math:`\|\mathcal L\,\mathrm{vec}\rho\|_2`: absolute for ``iterative``;
        for ``direct`` (whose residual is limited by rounding, about ``eps ||L||``) relative to the rate
        scale, ``residual <= tol * max(1, model.rate_scale())``.  The enforced bound is ``SteadyState.tolerance``.
    check_unique : detect a kernel of dimension > 1: structural tests first (a vanishing row, two
        vanishing columns, decoupled blocks that carry trace), then a forward-error certificate of
        the LU factor (three triangular solves).  Iterative: a proof of irreducibility (the local jumps
        generate the full algebra at every site, cost microseconds) or else a second solve from another start.
    check_positive : verify :math:`\rho \ge -10^{-8}` (one ``eigvalsh``).
    maxiter, restart : GMRES outer iterations and restart length (iterative, both >= 1; default
        ``restart`` is 30, reduced so that the Krylov basis stays below about 2 GB).
    seed : seed of the random start vectors used by the uniqueness checks.
    initial : a ket or density matrix :math:`\rho_0` (``D**2 <= PROJECTION_MAX``; dense SVD of L).

    Raises
    ------
    NonUniqueSteadyStateError : the kernel of :math:`\mathcal L` provably has dimension > 1 (a structural
        reason, an exactly singular factor, or a conserved operator commuting with H and every jump).
    IllConditionedError : the answer cannot be certified at double precision and no conserved quantity
        was found: unique but ill-conditioned, or degenerate in a way the tests cannot prove.
    ConvergenceError : residual above ``tol`` or a non-positive result.

    Example
    -------
    >>> from opentangle.operators import sigma_minus
    >>> ss = steady_state(Model(jumps=[(sigma_minus(), 1.0)]))
    >>> float(round(ss.rho[1, 1].real, 12)), bool(ss.residual < 1e-10)
    (1.0, True)
    >>> three = Model(jumps=[(np.outer([1, 0, 0], [0, 0, 1]), 1.0)])   # |2> -> |0>; |1> untouched
    >>> np.round(steady_state(three, initial=np.eye(3) / 3).rho.diagonal().real, 6).tolist()
    [0.666667, 0.333333, 0.0]
    """
    from opentangle.lindblad._idioms import as_static_model  # QuTiP's steady_state(H, c_ops); refuses td models

    model = as_static_model(model, c_ops, "steady_state")
    if method not in ("auto", "direct", "iterative", "triangular"):
        raise InvalidParameterError(f"method must be 'auto', 'direct', 'iterative' or 'triangular'; got {method!r}")
    tol = float(tol)
    if not (np.isfinite(tol) and tol > 0):
        raise InvalidParameterError(f"tol must be a positive number; got {tol}")
    _check_count(maxiter, "maxiter")
    if restart is not None:
        _check_count(restart, "restart")
    t0 = time.perf_counter()
    n = model.dim**2
    if initial is not None:
        return _projected(model, initial, tol, check_positive, t0)
    certified = None
    auto_tri = TRIANGULAR_AUTO and method == "auto" and n >= TRIANGULAR_MIN
    if method == "triangular" or (auto_tri and _triangular_applies(model)):
        certified = _triangular(model, check_unique, seed, explicit=method == "triangular")
        method = "triangular" if certified is not None else method
    if method == "auto":
        # above COST_MODEL_MAX the cost model's own Liouvillian and ordering need GBs (N = 12 qubits: ~6 GB)
        # and the LU could fit in memory only for a bandwidth of a few entries: iterative without asking
        method = "direct" if n <= DIRECT_MAX or (n <= COST_MODEL_MAX and direct_cost(model)["direct"]) else "iterative"
    iterations = None
    if certified is not None:
        rho, res = certified["rho"], math.nan
        bound = tol * max(1.0, model.rate_scale())
    elif method == "direct":
        rho, res = _direct(model, tol, check_unique, seed)
        # LU rounding limits the direct residual to ~eps ||L||: the bound is tol relative to the rate scale
        bound = tol * max(1.0, model.rate_scale())
    else:
        from opentangle._limits import check_resources

        second = check_unique and not _local_algebras_full(model)
        check_resources(iterative_cost(model.dim, restart=restart, check_unique=second, folded=_foldable(model)))
        rho, res, iterations = _iterative(model, tol, check_unique, seed, maxiter, restart)
        bound = tol
    rho, min_eig = _finish(rho, check_positive=check_positive)
    if certified is not None:  # residual of the returned state by the independent matrix-free operator
        res = float(np.linalg.norm(certified["operator"].apply_L(rho)))
        if not res <= bound:
            raise ConvergenceError(
                f"triangular solve residual {res:.2e} exceeds the bound {bound:.1e} (tol {tol:.1e} x rate scale "
                f"{max(1.0, model.rate_scale()):.3g}); the model is ill-conditioned: try method='iterative'"
            )
    if method == "direct":
        res = _residual(liouvillian(model), rho)  # of the returned (Hermitised, trace-1) state
        if res > bound:
            raise ConvergenceError(
                f"direct solve residual {res:.2e} exceeds the bound {bound:.1e} (tol {tol:.1e} x rate scale "
                f"{max(1.0, model.rate_scale()):.3g}); the model is ill-conditioned"
            )
    return SteadyState(
        rho=rho,
        residual=res,
        method=method,
        dims=list(model.dims),
        iterations=iterations,
        min_eigenvalue=min_eig,
        seconds=time.perf_counter() - t0,
        tolerance=bound,
    )


#: iterative path, peak bytes per Liouville entry besides the Krylov basis (8 (restart + 1) bytes):
#: complex path (about ten D x D complex work arrays; 5.1 GB at N = 12 before issue 19) and folded path
#: (preconditioner 2, operator buffers 3, GMRES vectors 2 real arrays; the complex result at the end;
#: measured peak RSS with one shared work buffer per name: 1.39 GB at N = 11, restart 30, i.e. 84 B/entry
#: besides the basis; 3.94 GB at N = 12 before that fix, minus its 0.84 GB of per-site buffers: 97 B/entry)
_ITERATIVE_BYTES_PER_ENTRY = {False: 160.0, True: 96.0}
#: seconds per Liouville entry and preconditioned product, GMRES orthogonalisation included (one core;
#: complex path: 108 ms at N = 10; folded path: the product alone measured 1.3e-7 at N = 11 and 2.0e-7
#: at N = 12, where it is memory bound, load 2; the whole N = 12 solve: 66 products, 275.5 s user + 110.4 s
#: system at load 5-6, i.e. 3.5e-7 per entry and product, orthogonalisation included)
_ITERATIVE_SECONDS_PER_ENTRY = {False: 1.0e-7, True: 3.5e-7}
#: preconditioned products of one reset-model solve against the GMRES restart length (measured: 25-29 at
#: N = 9-11 with restart 30; 40 at N = 9 and 66 at N = 12 with restart 10; 68-72 at N = 9 with 5-7)
_ITERATIVE_PRODUCTS = ((25, 30), (10, 66), (1, 110))


def _default_restart(n: int) -> int:
    """GMRES restart length: 30, reduced so that the Krylov basis stays below about 1.4 GB."""
    return int(min(30, max(5, 1.4e9 // (8 * n))))


def _products(restart: int) -> int:
    return next(p for r, p in _ITERATIVE_PRODUCTS if restart >= r)


def iterative_cost(D: int, *, restart: int | None = None, check_unique: bool = True, folded: bool = False) -> Any:
    """The :class:`opentangle._limits.Estimate` (memory, rough time) of an iterative solve of dimension ``D``.

    Memory: ``(8 (restart + 1) + c) D^2`` bytes with ``c = 96`` on the folded real path
    (``folded=True``: diagonal ``H_eff``, real local jumps) and ``c = 160`` on the complex path.
    Time: 30-110 preconditioned products (more for short restarts) of ``3.5e-7 D^2`` s (folded) or
    ``1e-7 D^2`` s (complex) each, doubled by ``check_unique`` (the second solve, which runs only when the
    structural test cannot prove uniqueness).

    >>> est = iterative_cost(2**13)   # 13 qubits, complex path
    >>> round(est.nbytes / 1e9), est.seconds > 600
    (14, True)
    >>> fast = iterative_cost(2**13, folded=True, check_unique=False)
    >>> round(fast.nbytes / 1e9, 1), round(fast.seconds / 60)
    (9.7, 43)
    """
    from opentangle._limits import Estimate

    n = int(D) ** 2
    restart = _default_restart(n) if restart is None else int(restart)
    products = _products(restart) * (2 if check_unique else 1)
    path = "folded real" if folded else "complex"
    return Estimate(
        f"an iterative steady state of dimension {D} ({n:.3g} Liouville entries, {path} path)",
        nbytes=(8.0 * (restart + 1) + _ITERATIVE_BYTES_PER_ENTRY[folded]) * n,
        seconds=products * _ITERATIVE_SECONDS_PER_ENTRY[folded] * n,
        hint="use the permutation-symmetric solver when the model is symmetric, or fewer sites",
    )


def _check_count(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidParameterError(f"{name} must be an integer >= 1; got {value!r}")


#: calibration of the cost model (seconds per envelope flop of LU, per nonzero per matrix-vector product)
_LU_SECONDS_PER_FLOP = 1.2e-9
_MATVEC_SECONDS_PER_NNZ = 1.5e-7
_MATVECS_ASSUMED = 300
_LU_MEMORY_MAX = 2e9


def direct_cost(model: Model) -> dict[str, Any]:
    r"""Predicted cost of the direct and iterative solvers, and which ``method="auto"`` picks.

    The LU fill is bounded by the envelope of L after reverse Cuthill-McKee ordering
    (:math:`\sum_i b_i` entries, :math:`\sum_i b_i^2` flops for row bandwidths :math:`b_i`;
    SuperLU's minimum-degree ordering does at least as well).  The iterative cost is
    ``nnz(L)`` per matrix-vector product times a typical count (300): it varies 100-fold between
    models (a single large spin needs thousands), so the direct solver is preferred whenever it
    is predicted under ~1 s.  Constants measured with ``benchmarks/bench_lindblad.py``.

    Example
    -------
    >>> from opentangle.operators import sigma_minus
    >>> direct_cost(Model(jumps=[(sigma_minus(), 1.0)]))["direct"]
    True
    """
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    L = sp.csr_matrix(liouvillian(model))
    pattern = sp.csr_matrix((np.ones(L.nnz), L.indices, L.indptr), shape=L.shape)
    sym = (pattern + pattern.T).tocsr()
    perm = reverse_cuthill_mckee(sym, symmetric_mode=True)
    b = sym[perm][:, perm].tocsr()
    b.sort_indices()
    nonempty = np.diff(b.indptr) > 0
    first = np.arange(b.shape[0])
    first[nonempty] = b.indices[b.indptr[:-1][nonempty]]
    bw = np.maximum(np.arange(b.shape[0]) - first, 0).astype(float)
    lu_seconds = _LU_SECONDS_PER_FLOP * float((bw**2).sum())
    lu_bytes = 2 * 16 * float(bw.sum() + b.shape[0])
    it_seconds = _MATVEC_SECONDS_PER_NNZ * L.nnz * _MATVECS_ASSUMED
    direct = lu_bytes <= _LU_MEMORY_MAX and lu_seconds <= max(1.0, it_seconds)
    return {"direct": bool(direct), "lu_seconds": lu_seconds, "lu_bytes": lu_bytes, "iterative_seconds": it_seconds}


def _projected(model: Model, initial: Any, tol: float, check_positive: bool, t0: float) -> SteadyState:
    """lim e^{Lt} rho0 by biorthonormal left/right kernel bases from a dense SVD of L."""
    from opentangle.states import as_density_matrix

    D = model.dim
    rho0 = as_density_matrix(initial, dim=D, name="initial", where="the model")
    if D * D > PROJECTION_MAX:
        raise DimensionError(
            f"initial= uses a dense SVD of the {D * D}x{D * D} Liouvillian, limited to D**2 <= {PROJECTION_MAX}; "
            "for larger models use evolve() to long times"
        )
    L = liouvillian(model).toarray()
    u, s, vh = np.linalg.svd(L)
    smax = max(float(s[0]), 1e-300)
    zero = s <= 64 * D * D * np.finfo(float).eps * smax
    k = int(zero.sum())
    if k == 0:  # pragma: no cover - a trace-preserving L always has a kernel
        raise ConvergenceError("the Liouvillian has no kernel; is it trace preserving?")
    if k > 1 and _structural_degeneracy(sp.csr_matrix(L), D) is None:
        res = _commutant_residual(model)
        if res is None or res > 16 * np.finfo(float).eps * math.sqrt(D):
            raise IllConditionedError(
                f"L has {k} singular values below the rounding level but no conserved quantity is proven "
                "(structure, commutant): the kernel may be unique with a gap below double precision; rescale the rates"
            )
    slow = s[~zero]
    if slow.size and slow.min() < 1e-8 * smax:
        raise IllConditionedError(
            f"the kernel (dimension {k}) cannot be separated from the slowest mode: singular value "
            f"{slow.min() / smax:.1e} x ||L||; the limit depends on times beyond double precision: rescale the rates"
        )
    right = vh[-k:].conj().T  # L r = 0
    left = u[:, -k:].conj().T  # l^dag L = 0
    vec = left @ rho0.reshape(-1, order="F")
    x = right @ np.linalg.solve(left @ right, vec)
    rho = x.reshape(D, D, order="F")
    rho, min_eig = _finish(rho, check_positive=check_positive)
    res = _residual(sp.csr_matrix(L), rho)
    bound = tol * max(1.0, model.rate_scale())
    if res > bound:
        raise ConvergenceError(f"projected steady state residual {res:.2e} exceeds {bound:.1e}")
    return SteadyState(
        rho=rho,
        residual=res,
        method="projection",
        dims=list(model.dims),
        min_eigenvalue=min_eig,
        seconds=time.perf_counter() - t0,
        tolerance=bound,
        kernel_dimension=k,
    )


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


def _batch_core(
    Ls: np.ndarray, nonunique: str, seed: int, *, basis: np.ndarray | None = None, inplace: bool = False
) -> BatchSteadyState:
    """Solve a stack of Liouvillians; with ``basis`` they are real matrices in the Hermitian basis."""
    Bn, n, _ = Ls.shape
    D = math.isqrt(int(n))
    trace_idx = np.arange(D) if basis is not None else np.arange(D) * (D + 1)
    scale = np.abs(Ls).sum(axis=1).max(axis=1)
    leak = np.abs(Ls[:, trace_idx, :].sum(axis=1)).max(axis=1)  # tr(L X) for basis X: 0 for a Liouvillian
    if np.any(~(leak <= 1e-10 * np.maximum(scale, 1e-300))):
        idx = np.flatnonzero(~(leak <= 1e-10 * np.maximum(scale, 1e-300)))
        raise InvalidParameterError(
            f"{idx.size} of {Bn} matrices are not trace preserving (|tr L(X)| up to {leak[idx].max():.2e} x ||L||, "
            f"first indices {idx[:5].tolist()}), so they are not Liouvillians; build them with "
            "opentangle.lindblad.liouvillian (column stacking)"
        )
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
    bad |= ~(res <= 1e-8 * np.maximum(scale, 1e-300) * np.linalg.norm(x, axis=1))  # not a steady state: refuse
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
    D = math.isqrt(int(n))
    if n != D * D:
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
    stack = [t.toarray() if sp.issparse(t) else np.asarray(t) for t in terms]
    if not stack:
        raise DimensionError("terms must contain at least one Liouvillian")
    T = np.asarray(stack, dtype=complex)
    if T.ndim != 3 or T.shape[1] != T.shape[2]:
        raise DimensionError(f"terms must all be square (n, n) and the same size; got stack shape {T.shape}")
    coeff = np.asarray(coefficients)
    if coeff.ndim == 1:
        coeff = coeff[None]
    if coeff.ndim != 2 or coeff.shape[1] != T.shape[0]:
        raise DimensionError(f"coefficients must have shape (B, {T.shape[0]}) (one column per term); got {coeff.shape}")
    if not np.all(np.isfinite(coeff)):
        raise InvalidParameterError("coefficients contain NaN or infinite entries")
    n = T.shape[1]
    if math.isqrt(int(n)) ** 2 != n:
        raise DimensionError(f"Liouvillian size {n} is not a square D**2")
    D = math.isqrt(int(n))
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
