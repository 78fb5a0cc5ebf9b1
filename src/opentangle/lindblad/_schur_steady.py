r"""Steady states of permutation-symmetric models solved directly on the Schur blocks.

The unknowns are the trace-normalised blocks :math:`\sigma_J = d_J\rho_J` of
:math:`\rho = \oplus_J\rho_J\otimes 1_{d_J}` (see :mod:`opentangle.spins._dicke_liouvillian`), in
real coordinates (real parts of the upper triangle, imaginary parts of the strict upper triangle:
the Liouvillian preserves Hermiticity, so it is real there).  A backward-stable solve is then
accurate in trace norm, and the negativities of :class:`opentangle.spins.PIState` inherit an error
of order :math:`\lVert A^{-1}\rVert\,\epsilon` times polynomial factors in N, instead of the
:math:`2^{N/2}` and worse amplification of a Pauli-basis solution.  Conserved total spin makes the
blocks decouple, so ``sector=`` and ``initial=`` are exact at any N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from opentangle._convert import check_real
from opentangle._lazy import lazy_module
from opentangle.errors import (
    ConvergenceError,
    DimensionError,
    IllConditionedError,
    InvalidParameterError,
    NonUniqueSteadyStateError,
    ResourceLimitError,
)
from opentangle.lindblad.permutation import (
    _SECTOR_ADVICE,
    DENSE_LIMIT_DIM,
    DENSE_MAX_DIM,
    ERROR_BOUND_MAX,
    SymmetricHamiltonian,
    _checked,
    _dense_certified_solve,
    _dense_components,
    _factor_certified,
    _nonunique,
    _total_spin_reason,
    conserves_total_spin,
)

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla
else:  # imported on first use: the small dense path needs no SciPy (issue 19)
    sp = lazy_module("scipy.sparse")
    spla = lazy_module("scipy.sparse.linalg")

__all__ = ["SchurSteadyState", "schur_steady_state"]

_EPS = 2.3e-16


@dataclass(frozen=True, eq=False)
class SchurSteadyState:
    r"""Steady state of a permutation-symmetric model as Schur blocks.

    ``state`` is the :class:`opentangle.spins.PIState` (its ``errors`` carry the solve's
    forward-error estimate, so ``state.negativities()`` reports certified error bars); ``rho1`` /
    ``rho2`` the one- and two-qubit marginals; ``error`` the estimate of
    :math:`\lVert\delta\sigma\rVert_F` over all trace-normalised blocks; ``residual_max`` the
    largest entry of :math:`\mathcal L\sigma`; ``sectors`` the total-spin weights
    ``((j, p_j), ...)`` when :math:`J^2` is conserved; ``solver`` the path that produced the
    answer (``"iterative"``, ``"direct"``, or both joined by ``+`` for several components).
    """

    n: int
    state: Any
    rho1: np.ndarray
    rho2: np.ndarray
    error: float
    residual_max: float
    dimension: int
    blocks: int
    sectors: tuple[tuple[float, float], ...] | None = None
    liouvillian: Any = field(default=None, repr=False)
    solver: str = "direct"

    def negativities(self):
        """All k | N-k negativities and the average (:meth:`opentangle.spins.PIState.negativities`)."""
        return self.state.negativities()

    def __repr__(self) -> str:
        return (
            f"SchurSteadyState(n={self.n}, dimension={self.dimension}, error={self.error:.1e}, "
            f"residual_max={self.residual_max:.1e}, solver={self.solver!r})"
        )


def schur_steady_state(
    *,
    n: int,
    hamiltonian: SymmetricHamiltonian | None = None,
    local_jumps: Any = None,
    collective_jumps: Any = None,
    initial: Any = None,
    sector: float | None = None,
    check_unique: bool = True,
    tol: float = 1e-10,
    seed: int = 0,
    method: str = "auto",
) -> SchurSteadyState:
    r"""Steady state of ``n`` identical qubits on the Schur blocks (the model of :func:`symmetric_steady_state`).

    Solves :math:`\mathcal L\sigma = 0`, :math:`\sum_J\mathrm{tr}\,\sigma_J = 1` for the
    trace-normalised blocks :math:`\sigma_J = d_J\rho_J` by sparse LU with the same forward-error
    certificate and nested-dissection order as :func:`symmetric_steady_state`; the decoupled
    components of the Liouvillian are solved separately.  When :math:`J^2` is conserved (no
    non-trivial local jump) every total spin is its own block: ``sector=j`` returns the steady
    state of that sector, ``initial=`` (a single-qubit ket or 2x2 state for
    :math:`\rho_1^{\otimes N}`, or a :class:`~opentangle.spins.PIState`) mixes the sectors with
    the conserved weights :math:`p_J = \mathrm{tr}(P_J\rho_0)`.

    ``method``: ``"direct"`` (sparse LU, the reference), ``"dense"`` (NumPy only: the whole system
    dense, its uniqueness and conditioning from its singular values, see
    ``permutation._dense_certified_solve``; not with a conserved total spin), ``"iterative"`` (GMRES preconditioned by
    a symmetric block Gauss-Seidel sweep over the total spins J, whose couplings J <-> J +- 1 make
    the system block tridiagonal; each diagonal block is a 2-d grid in (m, m') with little LU
    fill, where the whole system's LU fills like a 3-d one), or ``"auto"`` (dense up to
    ``DENSE_MAX_DIM`` unknowns, N <= 12, without a conserved total spin; iterative for systems of at
    least ``ITERATIVE_MIN_DIM`` unknowns; direct in between).  The iterative path carries the same
    forward-error certificate; where it cannot converge or certify, the direct path decides
    (and names the failure).

    Raises
    ------
    NonUniqueSteadyStateError
        Several decoupled components carry trace (e.g. conserved total spin) and neither
        ``initial`` nor ``sector`` picks one, or a factor is exactly singular.
    IllConditionedError
        A factor cannot be certified (forward-error estimate above ``ERROR_BOUND_MAX``).
    ConvergenceError
        The residual is above ``tol`` or a block is not positive semidefinite.

    References: B. A. Chase and J. M. Geremia, PRA 78, 052101 (2008); N. Shammah et al.,
    PRA 98, 063815 (2018).

    Example
    -------
    >>> import numpy as np
    >>> from opentangle.operators import sigma_z
    >>> plus = np.array([1, 1]) / np.sqrt(2)
    >>> reset = [(np.outer(plus, [1, 0]), 20.0), (np.outer(plus, [0, 1]), 20.0)]
    >>> ss = schur_steady_state(n=16, hamiltonian=SymmetricHamiltonian.ising(3.0),
    ...                         local_jumps=[(sigma_z(), 0.5), *reset])
    >>> neg = ss.negativities()
    >>> bool(neg.errors[-1] < 1e-9), round(neg.half, 6)
    (True, 0.095034)
    """
    from opentangle.spins._dicke_liouvillian import dicke_liouvillian

    tol = check_real(tol, "tol")
    if method not in ("auto", "direct", "iterative", "dense"):
        raise InvalidParameterError(f"method must be 'auto', 'direct', 'iterative' or 'dense'; got {method!r}")
    if not 0 < tol < 1:
        raise InvalidParameterError(f"tol must lie in (0, 1); got {tol}")
    n, ham, local, coll = _checked(n, hamiltonian, local_jumps, collective_jumps)
    total_spin = conserves_total_spin(local)
    _check_initial_sector(n, initial, sector, total_spin)
    twojs, pj = None, None
    if total_spin:  # the sectors decouple: assemble only those that carry weight
        from opentangle.spins.schur import _twojs

        pj = dict(zip(_twojs(n), _sector_weights(n, _twojs(n), initial, sector)))
        twojs = [t for t, p in pj.items() if p > 0]
    if _use_dense(method, n, total_spin):
        dl = dicke_liouvillian(n=n, one_body=ham.one_body, two_body=ham.two_body, local=local, collective=coll)
        try:
            return _dense_steady_state(n, dl, tol, check_unique)
        except (IllConditionedError, NonUniqueSteadyStateError):
            if method == "dense":
                raise
            # "auto": the sparse path below certifies the parity halves and blocks separately
    _check_memory(n, twojs, method)
    dl = dicke_liouvillian(n=n, one_body=ham.one_body, two_body=ham.two_body, local=local, collective=coll, twojs=twojs)
    real, tmat, coords, diag, owner = _real_form(dl)
    norm_a = float(abs(real).sum(axis=1).max()) if real.nnz else 0.0
    if norm_a == 0 and real.shape[0] > 1:
        raise NonUniqueSteadyStateError(
            "the Liouvillian is zero (no Hamiltonian, no jumps): every state is stationary; add dissipation"
        )
    from scipy.sparse.csgraph import connected_components

    n_comp, labels = connected_components(real, directed=False)
    parity = _parity(dl, real)
    traced = sorted(set(labels[diag].tolist()))
    weights = _component_weights(dl, traced, labels, diag, owner, pj)
    z, err2, used = _solve_components(
        real, labels, n_comp, weights, traced, diag, coords, seed, parity, check_unique, method
    )
    if parity is not None and check_unique and not _local_jumps_irreducible(local):
        _certify_odd_part(real, labels, weights, parity, coords, seed)
    state, rmax = _certified_state(n, dl, real, tmat, z, math.sqrt(2.0 * err2), norm_a, tol)
    sectors = None
    if total_spin:
        sectors = tuple((t / 2, float(p)) for t, p in zip(state.twojs[::-1], state.populations[::-1]))
    return _result(
        state,
        dl,
        error=math.sqrt(2.0 * err2),
        residual_max=rmax,
        dimension=real.shape[0],
        blocks=n_comp,
        sectors=sectors,
        solver="+".join(sorted(used)) or "direct",
    )


def _result(state: Any, dl: Any, **fields: Any) -> SchurSteadyState:
    """The result, with the one- and two-site marginals (Hermitised) of ``state``."""
    rho1, rho2 = _marginals(state)
    return SchurSteadyState(
        n=state.n,
        state=state,
        rho1=0.5 * (rho1 + rho1.conj().T),
        rho2=0.5 * (rho2 + rho2.conj().T),
        liouvillian=dl,
        **fields,
    )


def _use_dense(method: str, n: int, total_spin: bool) -> bool:
    """Whether the NumPy path solves: ``"dense"`` (checked), or ``"auto"`` for small systems without conserved J^2."""
    dim = math.comb(n + 3, 3)
    if method == "dense":
        if total_spin:
            raise InvalidParameterError(
                "method='dense' solves a unique steady state only; with a conserved total spin use method='direct'"
            )
        if dim > DENSE_LIMIT_DIM:
            raise InvalidParameterError(
                f"method='dense' holds the {dim} x {dim} system in memory, more than DENSE_LIMIT_DIM = "
                f"{DENSE_LIMIT_DIM} unknowns allow; use method='direct' or 'auto'"
            )
        return True
    return method == "auto" and not total_spin and dim <= DENSE_MAX_DIM


def _dense_steady_state(n: int, dl: Any, tol: float, check_unique: bool) -> SchurSteadyState:
    r"""The steady state from the whole real system, dense (NumPy only).

    The trace row replaces the equation of the first diagonal unknown (it is minus the sum of the
    other diagonal equations: trace preservation), so the system is non-singular exactly when the
    kernel of L is one-dimensional; without ``check_unique`` only the trace-carrying component is
    solved.  The error estimate is :func:`_forward_error` with the exact :math:`\lVert A^{-1}\rVert_2`.
    """
    real, tmat, _, diag, _ = _real_form(dl, dense=True)
    dim = real.shape[0]
    norm_a = float(np.abs(real).sum(axis=1).max())
    if norm_a == 0 and dim > 1:
        raise NonUniqueSteadyStateError(
            "the Liouvillian is zero (no Hamiltonian, no jumps): every state is stationary; add dissipation"
        )
    n_comp, labels = _dense_components(real)
    traced = sorted(set(labels[diag].tolist()))
    if len(traced) > 1:
        raise _nonunique(
            f"the Liouvillian splits into {len(traced)} decoupled components that each carry trace",
            "add dissipation that couples them",
        )
    idx = np.arange(dim) if check_unique else np.flatnonzero(labels == traced[0])
    a = real[np.ix_(idx, idx)]
    is_diag = np.zeros(dim, dtype=bool)
    is_diag[diag] = True
    on_diag = is_diag[idx]
    k = int(np.flatnonzero(on_diag)[0])
    a[k] = on_diag.astype(float)  # sum_J tr sigma_J = 1 replaces an implied equation
    rhs = np.zeros(idx.size)
    rhs[k] = 1.0
    x, _, inv_norm = _dense_certified_solve(a, rhs, what="the Schur-basis Liouvillian with its trace row")
    error = 2.0 * _forward_error(a, x, rhs - a @ x, inv_norm)  # sqrt(2) twice, as on the sparse path
    z = np.zeros(dim)
    z[idx] = x
    state, rmax = _certified_state(n, dl, real, tmat, z, error, norm_a, tol)
    return _result(state, dl, error=error, residual_max=rmax, dimension=dim, blocks=n_comp, solver="dense")


def _check_initial_sector(n: int, initial: Any, sector: float | None, total_spin: bool) -> None:
    """``initial=`` and ``sector=`` are exclusive; ``sector=`` needs, and conserved J^2 needs one of them."""
    if sector is not None and initial is not None:
        raise InvalidParameterError("give initial= or sector=, not both")
    if sector is not None and not total_spin:
        raise InvalidParameterError(
            "sector= needs a conserved total spin J^2, which a non-trivial local jump breaks; use initial="
        )
    if total_spin and initial is None and sector is None:
        raise _nonunique(_total_spin_reason(n), _SECTOR_ADVICE)


def _solve_components(
    real: Any,
    labels: np.ndarray,
    n_comp: int,
    weights: dict,
    traced: list,
    diag: np.ndarray,
    coords: np.ndarray,
    seed: int,
    parity: Any,
    check_unique: bool,
    method: str = "direct",
) -> tuple[np.ndarray, float, set[str]]:
    """Solve the weighted trace-carrying components (and factorise the traceless ones): ``(z, sum of err^2, paths)``."""
    z = np.zeros(real.shape[0])
    err2 = 0.0
    used: set[str] = set()
    for comp in range(n_comp):
        idx = np.flatnonzero(labels == comp)
        if comp in weights:
            if weights[comp] == 0.0:
                continue
            zc, e, how = _solve_traced(real, idx, diag, coords, seed, parity, method)
            used.add(how)
            z[idx] = weights[comp] * zc
            err2 += (weights[comp] * e) ** 2
        elif check_unique and comp not in traced:
            _factor_certified(
                real[idx][:, idx],
                what="a block without trace (a traceless stationary direction)",
                seed=seed,
                coords=coords[idx],
            )
    return z, err2, used


def _certified_state(
    n: int, dl: Any, real: Any, tmat: Any, z: np.ndarray, error: float, norm_a: float, tol: float
) -> tuple[Any, float]:
    """Check the relative residual of ``z`` and the positivity of its blocks: ``(state, max residual)``."""
    resid = real @ z
    rmax = float(np.abs(resid).max())
    rel = 0.0 if rmax == 0 else rmax / (norm_a * max(float(np.abs(z).max()), 1e-300))
    if not np.isfinite(rel) or rel > tol:
        raise ConvergenceError(
            f"steady state did not converge: relative residual {rel:.2e} > tol = {tol:g}; "
            "the model may be ill-conditioned (rates spanning many orders of magnitude)"
        )
    state = _pi_state(n, dl, tmat @ z, error)
    lam = state.min_eigenvalue()
    if lam < -max(tol, 1e-12) * 100:
        raise ConvergenceError(
            f"the solution is not a state: a normalised block has eigenvalue {lam:.3e} < 0; "
            "the model may be ill-conditioned"
        )
    return state, rmax


#: bytes the sparse LU may take (see schur_solve_memory_estimate)
MAX_MEMORY = 8e9


def schur_solve_memory_estimate(dimension: int) -> float:
    """Bytes of the LU factor of a Schur-basis system of this size (fill measured without the parity
    reduction: 2.1e6 entries at dimension 5456, 6.9e7 at 62196, i.e. ~ D^1.43; 16 bytes an entry;
    the parity reduction roughly halves it, so this is an upper bound)."""
    return 16.0 * 2.1e6 * (dimension / 5456.0) ** 1.43


def schur_iterative_memory_estimate(dimension: int) -> float:
    """Bytes of the iterative path: the Krylov basis, the matrix and its block factors (a few dozen
    entries a row, measured), 8 bytes an entry."""
    return 8.0 * dimension * (GMRES_RESTART + 150)


def _check_memory(n: int, twojs: list[int] | None, method: str = "direct") -> None:
    from opentangle.spins.schur import _twojs

    sizes = [(t + 1) ** 2 for t in (_twojs(n) if twojs is None else twojs)]
    dim = sum(sizes) if twojs is None else max(sizes)  # conserved J^2: every sector is its own component
    est = schur_solve_memory_estimate(dim)
    if method != "direct" and (method == "iterative" or dim >= 2 * ITERATIVE_MIN_DIM):  # parity may halve dim
        est = schur_iterative_memory_estimate(dim)
    if est > MAX_MEMORY:
        raise ResourceLimitError(
            f"N = {n}: the Schur-basis solve needs an estimated {est / 1e9:.1f} GB "
            f"(limit {MAX_MEMORY / 1e9:.0f} GB); use a smaller N"
        )


def _real_form(dl, *, dense: bool = False):
    """``(L_real, T, coords, diag, owner)``: sigma = T z with z real; coordinates for the ND order.

    Unknown ``(a, b)`` of a block holds Re sigma_ab for a <= b and Im sigma_ba for a > b; the
    equation in that row is the real (imaginary) part of (L sigma)_ab ((L sigma)_ba).  ``diag``
    lists the unknowns on block diagonals, ``owner`` the block index of every unknown.  Built from
    the COO entries of L in one pass (:func:`_real_entries`), without complex sparse products.
    """
    n = dl.n
    parts = []
    for i, (tj, off) in enumerate(zip(dl.twojs, dl.offsets)):
        d = tj + 1
        a, b = np.divmod(np.arange(d * d), d)
        parts.append((np.full(d * d, i), a, b, off + a * d + b, off + b * d + a, (tj + n) // 2 - a, (tj + n) // 2 - b))
    blk, a, b, idx, tidx, ma, mb = (np.concatenate(p) for p in zip(*parts))
    dim = idx.size
    upper = a <= b
    # columns of T: z_ab (a < b) -> sigma_ab + sigma_ba; z_ba (Im) -> i sigma_ab - i sigma_ba; z_aa -> sigma_aa
    rows = np.concatenate([idx[upper], tidx[a < b], tidx[~upper], idx[~upper]])
    cols = np.concatenate([idx[upper], idx[a < b], idx[~upper], idx[~upper]])
    vals = np.concatenate(
        [np.ones(upper.sum()), np.ones((a < b).sum()), 1j * np.ones((~upper).sum()), -1j * np.ones((~upper).sum())]
    )
    entries = _real_entries(dl.triplets, (a - b).astype(np.int32), tidx.astype(np.int32))
    coords = np.stack([blk, np.minimum(ma, mb), np.maximum(ma, mb)], axis=1)
    if dense:  # the same matrices as arrays (NumPy only)
        flat = rows * dim + cols
        tmat = (np.bincount(flat, vals.real, dim * dim) + 1j * np.bincount(flat, vals.imag, dim * dim)).reshape(
            dim, dim
        )
        rv, (rr, rc) = entries
        real = np.bincount(rr.astype(np.int64) * dim + rc, rv, dim * dim).reshape(dim, dim)
        return real, tmat, coords, idx[a == b], blk
    tmat = sp.csr_matrix((vals, (rows, cols)), shape=(dim, dim))
    real = sp.csr_matrix(entries, shape=(dim, dim))
    real.eliminate_zeros()
    return real, tmat, coords, idx[a == b], blk


def _real_entries(triplets, diff: np.ndarray, tidx: np.ndarray):
    """``(values, (rows, cols))`` of the real form from the complex COO entries ``(r, c, v)`` of L.

    ``diff[i]`` is ``a - b`` of unknown ``i = (a, b)`` and ``tidx[i]`` the index of ``(b, a)``.  With
    M = L T, an entry feeds column c with w1 and, off the diagonal, column tidx[c] with w2
    (a < b: w1 = v, w2 = i v; a > b: w1 = -i v, w2 = v); row r = (a, b) of M with a <= b gives
    Re in row r and, for a < b, Im in row tidx[r] (rows with a > b are not used).  The four
    (row, column) combinations are written into one preallocated set of arrays (fresh large
    temporaries cost page faults).
    """
    r, c, v = triplets
    x, y = v.real, v.imag
    dr, dc = diff[r], diff[c]
    lower = dc > 0
    tr, tc = tidx[r], tidx[c]
    cases = (  # (row mask, column mask, rows, cols, values)
        (dr <= 0, None, r, c, np.where(lower, y, x)),
        (dr <= 0, dc != 0, r, tc, np.where(lower, x, -y)),
        (dr < 0, None, tr, c, np.where(lower, -x, y)),
        (dr < 0, dc != 0, tr, tc, np.where(lower, y, x)),
    )
    masks = [(rm if cm is None else rm & cm) & (val != 0) for rm, cm, _, _, val in cases]
    total = int(sum(int(m.sum()) for m in masks))
    rows, cols, vals = np.empty(total, np.int32), np.empty(total, np.int32), np.empty(total)
    pos = 0
    for m, (_, _, rr, cc, val) in zip(masks, cases):
        k = int(m.sum())
        rows[pos : pos + k], cols[pos : pos + k], vals[pos : pos + k] = rr[m], cc[m], val[m]
        pos += k
    return vals, (rows, cols)


def _parity(dl, real: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray] | None:
    r"""``(perm, sign)`` of the map :math:`\sigma_{m m'} \to \sigma_{-m,-m'}` on the real unknowns, if L commutes with it.

    That map is :math:`\rho \to R\rho R^\dagger` with :math:`R = e^{-i\pi J_x}` (the phases cancel), i.e.
    the symmetry :math:`X^{\otimes N}`; the unique steady state is then invariant, and solving on the
    invariant subspace halves the system (about 3x less LU time).  In real coordinates unknown
    ``(a, b)`` goes to ``(d-1-b, d-1-a)``, with sign -1 for imaginary parts.
    """
    dim = real.shape[0]
    perm = np.empty(dim, dtype=np.int64)
    sign = np.empty(dim)
    for tj, off in zip(dl.twojs, dl.offsets):
        d = tj + 1
        a, b = np.divmod(np.arange(d * d), d)
        perm[off : off + d * d] = off + (d - 1 - b) * d + (d - 1 - a)
        sign[off : off + d * d] = np.where(a <= b, 1.0, -1.0)
    coo = real.tocoo()  # P is an involution that keeps the sign pattern: (P L P)[P r, P c] = s_r s_c L[r, c]
    moved = sp.csr_matrix((sign[coo.row] * sign[coo.col] * coo.data, (perm[coo.row], perm[coo.col])), shape=real.shape)
    scale = float(np.abs(real.data).max()) if real.nnz else 0.0
    if scale == 0 or _max_difference(moved, real) > 1e-12 * scale:
        return None
    return perm, sign


def _max_difference(x: sp.csr_matrix, y: sp.csr_matrix) -> float:
    """``max |x - y|``: on the values alone when both have the same sparsity pattern (no subtraction)."""
    x.sum_duplicates()
    y.sum_duplicates()
    if x.nnz == y.nnz and np.array_equal(x.indptr, y.indptr) and np.array_equal(x.indices, y.indices):
        return float(np.abs(x.data - y.data).max(initial=0.0))
    return float(abs(x - y).max())


def _local_jumps_irreducible(local: list) -> bool:
    r"""True if the local jumps (rate > 0) generate every 2x2 matrix: a proof that the steady state is unique.

    Then the jumps on the N qubits generate :math:`M_{2^N}`, no proper subspace is invariant under
    them, and the semigroup is irreducible, so its stationary state is unique and faithful
    (D. E. Evans, Commun. Math. Phys. 54, 293 (1977); B. Baumgartner and H. Narnhofer,
    J. Phys. A 41, 395303 (2008)).  False is inconclusive.
    """
    from opentangle.lindblad.steady import _generates_full_algebra

    ops = [np.eye(2, dtype=complex)] + [np.asarray(op, dtype=complex) for op, rate in local if rate > 0]
    return _generates_full_algebra(ops, 2)


def _certify_odd_part(real, labels, weights, parity, coords, seed) -> None:
    r"""Raise unless :math:`\mathcal L` is invertible on the parity-odd part of each solved component.

    The parity-reduced solve sees only the :math:`X^{\otimes N}`-invariant half of the space; a
    stationary direction odd under :math:`X^{\otimes N}` (traceless, so it never enters that
    solve) would make the steady state depend on the initial state.  The odd block gets the same
    certificate as the solved one (GMRES with the block Gauss-Seidel preconditioner and an
    inverse-norm estimate for large blocks, else a certified LU).
    """
    for comp, w in weights.items():
        if w == 0.0:
            continue
        idx = np.flatnonzero(labels == comp)
        reduced = _odd_system(real, idx, parity, coords)
        if reduced is None:
            continue
        a, crd = reduced
        what = "the parity-odd part of the Schur-basis Liouvillian (a stationary direction odd under X^N)"
        if a.shape[0] >= ITERATIVE_MIN_DIM:
            rhs = np.random.default_rng(seed + 1).standard_normal(a.shape[0])
            if _iterative_solve(a.tocsc(), rhs / np.linalg.norm(rhs), crd[:, 0], seed) is not None:
                continue
        _factor_certified(a, what=what, seed=seed, coords=crd)


def _odd_system(real, idx, parity, coords):
    """``(A_odd, coords)``: the component restricted to vectors with ``z = -P z``; None if it is not parity-closed."""
    basis = _parity_basis(real.shape[0], idx, parity, -1.0)
    if basis is None or basis[0].shape[1] == 0:
        return None
    expand, rep = basis
    return _restrict(_component(real, idx), rep, expand).tocsc(), coords[idx][np.flatnonzero(rep)]


def _parity_basis(size: int, idx: np.ndarray, parity, even: float):
    """``(expand, rep)`` of the ``z = even * P z`` subspace of component ``idx`` (``even`` = +1 or -1).

    ``rep`` marks the representative unknowns; ``expand`` maps them to the component
    (``z_i = even * s_i z_p(i)``).  None if the parity does not map the component to itself.
    """
    m = idx.size
    pos = np.full(size, -1)
    pos[idx] = np.arange(m)
    if parity is None or not np.all(pos[parity[0][idx]] >= 0):
        return None
    lp, ls = pos[parity[0][idx]], even * parity[1][idx]
    i = np.arange(m)
    rep = (i < lp) | ((i == lp) & (ls > 0))
    col = np.cumsum(rep) - 1
    src = np.where(rep, i, lp)  # the representative each unknown copies
    keep_i = rep | (i > lp)
    vals = np.where(rep, 1.0, ls)[keep_i]
    return sp.csr_matrix((vals, (i[keep_i], col[src[keep_i]])), shape=(m, int(rep.sum()))), rep


def _solve_traced(
    real: sp.csr_matrix,
    idx: np.ndarray,
    diag: np.ndarray,
    coords: np.ndarray,
    seed: int,
    parity: tuple[np.ndarray, np.ndarray] | None = None,
    method: str = "direct",
):
    """Solve one trace-carrying component with trace 1; ``(z, error estimate ||dz||_2, path used)``.

    With ``parity`` (and a component it maps to itself) the solve runs on the invariant subspace.
    ``method``: ``"direct"`` (sparse LU, the reference), ``"iterative"`` (:func:`_iterative_solve`,
    which hands over to the direct path when it cannot converge or certify) or ``"auto"``
    (iterative for at least ``ITERATIVE_MIN_DIM`` unknowns after the parity reduction).
    """
    a, rhs, k, expand, crd = _traced_system(real, idx, diag, coords, parity)
    if method == "iterative" or (method == "auto" and a.shape[0] >= ITERATIVE_MIN_DIM):
        out = _iterative_solve(a, rhs, crd[:, 0], seed)
        if out is not None:
            x, err = out
            return expand @ x, math.sqrt(2.0) * err, "iterative"
        need = schur_solve_memory_estimate(a.shape[0])
        if need > MAX_MEMORY:
            raise ConvergenceError(
                "the iterative Schur-basis solve did not converge or could not be certified, and the direct "
                f"LU that would decide needs an estimated {need / 1e9:.1f} GB (limit {MAX_MEMORY / 1e9:.0f} GB); "
                "the model may be nearly degenerate: try a smaller N, or method='direct' with more memory"
            )
    lu, _, inv_norm = _factor_certified(
        a, what="the traced block of the Schur-basis Liouvillian", seed=seed, coords=crd, last=k
    )
    a = a.tocsr()
    x = lu.solve(rhs)
    r = rhs - a @ x
    for _ in range(3):
        x_new = x + lu.solve(r)
        r_new = rhs - a @ x_new
        if np.linalg.norm(r_new) >= np.linalg.norm(r):
            break
        x, r = x_new, r_new
    return expand @ x, math.sqrt(2.0) * _forward_error(a, x, r, inv_norm), "direct"


def _forward_error(a: sp.csr_matrix, x: np.ndarray, r: np.ndarray, inv_norm: float) -> float:
    r""":math:`\lVert A^{-1}\rVert(\lVert r\rVert + \epsilon\lVert A\rVert_F\lVert x\rVert)` (rounding of the residual included)."""
    entries = a if isinstance(a, np.ndarray) else a.data  # a dense system (the NumPy path) or a sparse one
    frob = math.sqrt(float((entries**2).sum()))
    return inv_norm * (float(np.linalg.norm(r)) + _EPS * frob * float(np.linalg.norm(x)))


def _component(real: sp.csr_matrix, idx: np.ndarray) -> sp.csr_matrix:
    """``real[idx][:, idx]`` (no copy for the whole matrix)."""
    return real if idx.size == real.shape[0] else real[idx][:, idx].tocsr()


def _restrict(sub: sp.csr_matrix, rep: np.ndarray, expand: sp.csr_matrix) -> sp.csr_matrix:
    """``sub[rep] @ expand`` in one COO pass (``expand`` has at most one entry a row)."""
    coo = sub.tocoo()
    nnz_row = np.diff(expand.indptr)
    first = expand.indptr[:-1]
    ok = rep[coo.row] & (nnz_row[coo.col] > 0)
    r, c = coo.row[ok], coo.col[ok]
    rowpos = np.cumsum(rep) - 1
    vals = coo.data[ok] * expand.data[first[c]]
    return sp.csr_matrix((vals, (rowpos[r], expand.indices[first[c]])), shape=(int(rep.sum()), expand.shape[1]))


def _traced_system(real, idx, diag, coords, parity):
    """``(A, b, k, expand, coords)``: the component (parity-reduced) with equation ``k`` replaced by the trace."""
    sub = _component(real, idx)
    m = idx.size
    expand = sp.identity(m, format="csr")
    weight = np.ones(m)
    basis = _parity_basis(real.shape[0], idx, parity, 1.0)
    if basis is not None:
        expand, rep = basis
        sub = _restrict(sub, rep, expand)
        weight = np.asarray(abs(expand).sum(axis=0)).ravel()  # orbit sizes (trace weights of the representatives)
        idx_red = np.flatnonzero(rep)
    else:
        idx_red = np.arange(m)
    dpos = np.flatnonzero(np.isin(idx[idx_red], diag))
    k = int(dpos[0])  # its equation is implied by the others (trace preservation): the trace row replaces it
    keep = np.ones(idx_red.size)
    keep[k] = 0.0
    trace_row = sp.csr_matrix((weight[dpos], (np.full(dpos.size, k), dpos)), shape=sub.shape)
    a = (sp.diags(keep) @ sub + trace_row).tocsc()
    rhs = np.zeros(idx_red.size)
    rhs[k] = 1.0
    return a, rhs, k, expand, coords[idx][idx_red]


#: ``method="auto"`` solves systems at least this large (after the parity reduction) iteratively
#: (:func:`_iterative_solve`); measured under load in one run: 6181 unknowns (reset model, N = 40)
#: 19.4 s iterative against 16.4 s direct, 12341 (PIQS model, N = 40) 5.6 s against 23 s
ITERATIVE_MIN_DIM = 8000
#: GMRES restart length and the most inner iterations of one solve
GMRES_RESTART = 100
GMRES_MAXITER = 2000


class _BlockSGS:
    r"""Symmetric block Gauss-Seidel preconditioner over the total-spin blocks, and its transpose.

    :math:`M = (D + L)D^{-1}(D + U)`, with :math:`D` the diagonal blocks (one sparse LU each: a
    (2J+1)^2 grid in (m, m'), little fill) and :math:`L, U` the couplings J <-> J +- 1 (and the
    trace row); one application is a forward and a backward block sweep.  Measured at N = 40,
    reset model: 29 GMRES iterations to 1e-14 and 28 for three norm-estimate solves, against
    55 and 72 with the forward sweep alone (the same time for the solve, 1.8x less for the
    certificate); at N = 60 for the PIQS model 11 against 12.  :math:`M^T = (D^T + U^T)D^{-T}(D^T + L^T)`
    has the same form (the couplings of :math:`A^T`, the same factors solved with ``trans="T"``):
    ``transposed`` preconditions GMRES on :math:`A^T` for the norm estimate.
    """

    def __init__(self, a: sp.csr_matrix, bounds: list[tuple[int, int]]):
        self.m = a.shape[0]
        at = a.T.tocsr()
        self.lus = [spla.splu(a[s:e, s:e].tocsc(), permc_spec="COLAMD") for s, e in bounds]
        self.couple = {
            "N": [(s, e, a[s:e, :s].tocsr(), a[s:e, e:].tocsr()) for s, e in bounds],
            "T": [(s, e, at[s:e, :s].tocsr(), at[s:e, e:].tocsr()) for s, e in bounds],
        }

    def __call__(self, r: np.ndarray) -> np.ndarray:
        return self.solve(r, "N")

    def transposed(self, r: np.ndarray) -> np.ndarray:
        return self.solve(r, "T")

    def solve(self, r: np.ndarray, trans: str) -> np.ndarray:
        r = np.asarray(r, dtype=float).ravel()
        x = np.empty(self.m)
        parts = list(zip(self.lus, self.couple[trans]))
        for lu, (s, e, lo, _) in parts:
            x[s:e] = lu.solve(r[s:e] - lo @ x[:s] if s else r[s:e], trans=trans)
        for lu, (s, e, _, up) in reversed(parts[:-1]):
            x[s:e] -= lu.solve(up @ x[e:], trans=trans)
        return x


def _gmres(a, b: np.ndarray, prec, rtol: float, x0: np.ndarray | None = None) -> np.ndarray | None:
    """Right-hand side ``b`` to relative residual ``rtol`` (true residual), or None if GMRES stalls."""
    op = spla.LinearOperator(a.shape, matvec=prec, dtype=float)
    x, info = spla.gmres(
        a, b, x0=x0, rtol=rtol, atol=0.0, restart=GMRES_RESTART, maxiter=GMRES_MAXITER // GMRES_RESTART, M=op
    )
    if info < 0 or not np.all(np.isfinite(x)):
        return None
    if float(np.linalg.norm(b - a @ x)) > 10 * rtol * float(np.linalg.norm(b)):
        return None
    return x


def _iterative_solve(a: sp.csc_matrix, rhs: np.ndarray, blk: np.ndarray, seed: int):
    r"""GMRES with :class:`_BlockSGS`; ``(x, forward-error estimate)`` or None (then the direct path decides).

    The certificate is that of the direct path, :math:`\lVert A^{-1}\rVert_{est}(\lVert r\rVert
    + \epsilon\lVert A\rVert_F\lVert x\rVert)` with the true residual ``r`` (GMRES to 1e-14) and
    :math:`\lVert A^{-1}\rVert` from :func:`_inverse_norm` (solves alternately with A and A^T).  A
    singular or nearly singular system makes GMRES stall or the estimate large: the caller then
    falls back to the LU, which names the failure.
    """
    if blk.size == 0 or np.any(np.diff(blk) < 0):
        return None
    cuts = np.flatnonzero(np.diff(blk)) + 1
    bounds = list(zip(np.r_[0, cuts].tolist(), np.r_[cuts, blk.size].tolist()))
    a = a.tocsr()
    try:
        prec = _BlockSGS(a, bounds)
    except RuntimeError:  # a singular diagonal block
        return None
    x = _gmres(a, rhs, prec, 1e-14)
    if x is None:
        return None
    inv = _inverse_norm(a, prec, seed, x / np.linalg.norm(rhs))
    if inv is None:
        return None
    err = _forward_error(a, x, rhs - a @ x, inv)
    if not np.isfinite(err) or err > ERROR_BOUND_MAX:
        return None
    return x, err


#: solves of the norm estimate after the solution (alternately with A^T and A), the factor the
#: estimate is raised by, and the relative residual of each solve
INV_STEPS = 2
INV_SAFETY = 2.0
INV_RTOL = 1e-2


def _inverse_norm(a: sp.csr_matrix, prec: _BlockSGS, seed: int, x: np.ndarray) -> float | None:
    r""":math:`\lVert A^{-1}\rVert_2` estimated from the solution ``x`` of :math:`Ax = b`, ``|b| = 1``, times ``INV_SAFETY``.

    Power method for :math:`A^{-T}A^{-1}` (top eigenvalue :math:`\lVert A^{-1}\rVert_2^2`): ``x`` is its
    first half-step :math:`A^{-1}b`; then ``INV_STEPS`` solves alternately with A^T and A (GMRES to
    ``INV_RTOL``), each normalised result a lower bound of the norm, rising towards it.  A random
    tenth is added to the start so that no direction is missed.  Inverse iteration with A alone
    (the earlier estimate) converges to the spectral radius of :math:`A^{-1}`, which for these
    non-normal systems is 4-9x below the norm.  Measured at N = 36 on five models (reset at three
    rate sets, collective decay with a drive, PIQS-like) against the converged power method with
    the exact LU: the estimate reaches 0.94-0.99 of the norm (from a random start, three solves
    reach only 0.67-0.99 at about the same cost); ``INV_SAFETY = 2`` keeps it above.  None if a
    solve stalls.
    """
    g = np.random.default_rng(seed).standard_normal(a.shape[0])
    z = x / np.linalg.norm(x) + 0.1 * g / np.linalg.norm(g)
    z /= np.linalg.norm(z)
    at = a.T
    inv = float(np.linalg.norm(x))
    for k in range(INV_STEPS):
        z = _gmres(a, z, prec, INV_RTOL) if k % 2 else _gmres(at, z, prec.transposed, INV_RTOL)
        if z is None:
            return None
        inv = float(np.linalg.norm(z))
        z /= inv
    return INV_SAFETY * inv


def _pi_state(n: int, dl, sigma: np.ndarray, err: float):
    """PIState with blocks sigma_J / d_J and per-block error err / d_J."""
    from opentangle.spins.schur import PIState, _twojs, multiplicity

    where = dict(zip(dl.twojs, dl.offsets))
    blocks, errors = [], []
    for tj in _twojs(n):
        d = tj + 1
        dj = float(multiplicity(n, tj / 2))
        if tj not in where:  # a sector without weight (conserved J^2)
            blocks.append(np.zeros((d, d), complex))
            errors.append(0.0)
            continue
        s = sigma[where[tj] : where[tj] + d * d].reshape(d, d)
        blocks.append(0.5 * (s + s.conj().T) / dj)
        errors.append(err / dj)
    return PIState(n=n, blocks=tuple(blocks), errors=tuple(errors))


def _marginals(state) -> tuple[np.ndarray, np.ndarray]:
    r"""One- and two-qubit marginals of a permutation-invariant state from its collective moments.

    :math:`\langle\sigma_a^{(1)}\rangle = 2\langle J_a\rangle/N` and, from
    :math:`\sum_{i\ne j}\sigma_a^{(i)}\sigma_b^{(j)} = 4J_aJ_b - \sum_i\sigma_a^{(i)}\sigma_b^{(i)}` symmetrised
    in (a, b), :math:`\langle\sigma_a^{(1)}\sigma_b^{(2)}\rangle = (2\langle\{J_a, J_b\}\rangle - N\delta_{ab})/(N(N-1))`;
    one pass over the blocks (:math:`\langle X\rangle = \sum_J \mathrm{tr}(\sigma_J X_J)`) instead of the
    Clebsch-Gordan contraction of :meth:`PIState.reduced_state`.
    """
    from opentangle.operators import PAULIS, spin_operators

    n = state.n
    if n < 3:
        return state.reduced_state(1), state.reduced_state(2)
    mean = np.zeros(3)
    second = np.zeros((3, 3), complex)
    for tj, blk, d in zip(state.twojs, state.blocks, state.multiplicities):
        sig = d * blk
        spin = spin_operators(tj / 2)
        for a in range(3):
            sj = sig @ spin[a]
            mean[a] += float(np.trace(sj).real)
            for b in range(3):
                second[a, b] += np.sum(sj * spin[b].T)  # tr(sigma J_a J_b)
    corr = (2 * (second + second.T).real - n * np.eye(3)) / (n * (n - 1))
    p = [PAULIS[c] for c in "XYZ"]
    eye = np.eye(2)
    one = 2 * mean / n
    rho1 = 0.5 * (eye + sum(one[a] * p[a] for a in range(3)))
    rho2 = np.kron(eye, eye) + sum(one[a] * (np.kron(p[a], eye) + np.kron(eye, p[a])) for a in range(3))
    rho2 = 0.25 * (rho2 + sum(corr[a, b] * np.kron(p[a], p[b]) for a in range(3) for b in range(3)))
    return rho1.astype(complex), rho2.astype(complex)


def _component_weights(dl, traced, labels, diag, owner, pj) -> dict[int, float]:
    """Weight of every trace-carrying component in the answer (``pj``: sector weights when J^2 is conserved)."""
    if pj is None:
        if len(traced) == 1:
            return {traced[0]: 1.0}
        raise _nonunique(
            f"the Liouvillian splits into {len(traced)} decoupled components that each carry trace",
            "add dissipation that couples them",
        )
    per_block: dict[int, list[int]] = {}
    for c in traced:
        bl = set(owner[diag[labels[diag] == c]].tolist())
        if len(bl) != 1:  # pragma: no cover - conserved J^2 keeps blocks apart
            raise _nonunique("a decoupled component spans several total spins")
        per_block.setdefault(bl.pop(), []).append(c)
    if any(len(v) > 1 for v in per_block.values()):
        raise _nonunique(
            "a total-spin sector splits into several decoupled components that each carry trace",
            "add dissipation that couples them",
        )
    return {cs[0]: float(pj[dl.twojs[b]]) for b, cs in per_block.items()}


def _sector_weights(n: int, twojs: list[int], initial: Any, sector: Any) -> np.ndarray:
    """p_J per block (order ``twojs``) of ``sector`` (one-hot) or of the initial state."""
    from opentangle.spins.schur import PIState

    if sector is not None:
        j = check_real(sector, "sector")
        if not (0 <= j <= n / 2 and float(n / 2 - j).is_integer()):
            raise InvalidParameterError(
                f"sector must be a total spin j in N/2, N/2 - 1, ..., >= 0 (N = {n}); got {sector}"
            )
        return np.eye(len(twojs))[twojs.index(round(2 * j))]
    if isinstance(initial, PIState):
        if initial.n != n:
            raise DimensionError(f"initial state is for N = {initial.n} qubits, not {n}")
        return initial.populations
    if isinstance(initial, SchurSteadyState):
        if initial.n != n:
            raise DimensionError(f"initial state is for N = {initial.n} qubits, not {n}")
        return initial.state.populations
    from opentangle.states import as_density_matrix

    rho = as_density_matrix(
        initial, dim=2, name="initial", where="a single qubit (initial is rho_1^(x N)), or a PIState"
    )
    lam = np.clip(np.linalg.eigvalsh(rho)[::-1], 0.0, 1.0)  # lambda_up >= lambda_down
    return _product_populations(n, twojs, lam)


def _product_populations(n: int, twojs: list[int], lam: np.ndarray) -> np.ndarray:
    r""":math:`p_J = d_J\sum_{m=-J}^{J}\lambda_1^{N/2+m}\lambda_2^{N/2-m}` of :math:`\rho_1^{\otimes N}`, in logs."""
    from opentangle.spins.schur import multiplicity

    with np.errstate(divide="ignore", invalid="ignore"):
        logl = np.log(lam)
    out = np.zeros(len(twojs))
    for i, tj in enumerate(twojs):
        up = (n + tj) // 2 - np.arange(tj + 1)  # qubits along the larger eigenvector, m = J .. -J
        dn = n - up
        with np.errstate(invalid="ignore"):  # 0 * log(0) = 0
            terms = np.where(up > 0, up * logl[0], 0.0) + np.where(dn > 0, dn * logl[1], 0.0)
        out[i] = (
            math.log(multiplicity(n, tj / 2)) + float(np.logaddexp.reduce(terms))
            if np.isfinite(terms).any()
            else -math.inf
        )
    return np.exp(out)
