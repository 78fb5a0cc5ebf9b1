r"""Exact steady states by block forward substitution (local jumps, diagonal :math:`H_\mathrm{eff}`).

When every jump acts on one site and :math:`H_\mathrm{eff}` is diagonal,
:math:`\mathcal L = \Lambda + \sum_i T_i^\mathrm{off}` with :math:`\Lambda` diagonal on the basis
:math:`|a\rangle\langle b|` and :math:`T_i^\mathrm{off}` the off-diagonal part of site ``i``'s jump
superoperator on its digits :math:`p_i = (b_i, a_i)`.  The graph of :math:`\mathcal L` is the Cartesian
product of the per-site graphs, so its strongly connected components (Tarjan) are products
:math:`S = S_0\times\dots\times S_{N-1}` of local components, and ordered by the condensation DAG
:math:`\mathcal L` is block lower triangular.  Along every edge between blocks exactly one site moves to a
later local component, so the level :math:`\sum_i \mathrm{depth}_i(S_i)` (longest local path) is a
topological order, and blocks of one level are independent.

Each diagonal block is :math:`\Lambda|_S + \sum_i 1\otimes T_i^\mathrm{off}|_{S_i}\otimes 1`.  For a
diagonal :math:`H` with at most two-body terms, :math:`\Lambda|_S` is *separable*, a constant plus one-site
terms on the digits that vary in ``S`` (``E_a - E_b`` is linear in each varying digit once the others are
fixed), so the block is an exact Kronecker sum :math:`c + M_1\oplus\dots\oplus M_k` of small matrices.
With :math:`M_j = V_j\,\mathrm{diag}(\mu_j)\,V_j^{-1}` its inverse is
:math:`(\otimes V_j)\,\mathrm{diag}(c + \textstyle\sum_j \mu_j)^{-1}(\otimes V_j^{-1})`: ``O(m k max m_j)`` per
block of size ``m`` and its eigenvalues are the sums (R. A. Horn and C. R. Johnson, *Topics in Matrix
Analysis*, Thm. 4.4.5).  Separability is fitted (the ANOVA decomposition) and the remainder checked to
rounding; a three-body term fails the check and the caller falls back.

Uniqueness, structurally: for a block-triangular matrix, ``rank L >= sum_k rank L_kk``, so
:math:`\dim\ker\mathcal L \le \sum_k \dim\ker L_{kk}`, and the eigenvalues of every block are enumerated
exactly.  One zero eigenvalue in all blocks: unique.  A zero eigenvalue in a *source* block (no edge
into it) carries a left kernel vector of :math:`\mathcal L`, so two of them prove a degenerate kernel.

The solver is the exact inverse of :math:`A = \mathcal L + \sigma v w^T`, where ``v`` and ``w`` are the
right and left eigenvectors of the singular block for its zero eigenvalue (divide by :math:`\sigma` instead
of 0); :math:`A^{-1}(\sigma v)` is the steady state.  :math:`A^{-H}` is the backward substitution.

Storage: the substitutions work on a flat *batch-major* vector, each batch (the groups of one level and
grid shape) a contiguous ``(nb, m)`` array and each group a row range of it, so an edge between blocks is
a 2-D strided update of the target group's rows (on the tensor ``Z[p_0, ..., p_{N-1}]`` a group is a
strided view whose axes have length 1-2 and cannot be coalesced: push and pull took 21 s, now 6 s, at ``N = 12``).  The tensor
and the ``D x D`` matrix appear only at the boundaries (the independent operator, the result).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from opentangle.lindblad.model import Model

#: a per-site eigenvector basis with ``||V||_F ||V^-1||_F`` above this is refused (near-defective block)
KAPPA_MAX = 1e6
#: a block eigenvalue below this times the rate scale, but not zero to rounding, is ill-conditioned
SMALL_EIGENVALUE = 1e-9
#: batches with at least this many grid axes apply their per-site matrices two axes at a time (``kron`` of
#: the pair, one pass instead of two; a step of ``_along`` at 6-8 axes of 2 is 1.5-3x faster, at 2 slower;
#: ``tri.solve`` at N = 11, A/B in one process: 9.2 s unmerged, 8.4 s from 6 axes, 6.4-7.3 s from 4)
MERGE_AXES_FROM = 4
#: remainder of the separable fit of ``Lambda|_S`` allowed, relative to ``max |Lambda|`` (times eps)
_SEP_EPS = 256.0


class NotApplicable(Exception):
    """The block-triangular Kronecker-sum structure does not hold (message says why)."""


class Uncertified(Exception):
    """The structure holds but the solve cannot be certified (``kind``: ``"nonunique"`` or ``"ill"``)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass
class _Site:
    d: int
    off: np.ndarray  # T_i with its diagonal removed (d^2 x d^2, index p = b d + a)
    tdiag: np.ndarray  # diagonal of T_i
    comps: list[np.ndarray]  # local components (sorted local indices)
    depth: np.ndarray  # longest path from a local source, per component
    source: np.ndarray  # no edge into the component
    label: np.ndarray  # component of each local index
    cross: list[tuple[int, int, complex]] = field(default_factory=list)  # edges between components (out, in, w)


def _sites(model: Model) -> list[_Site]:
    from scipy.sparse.csgraph import connected_components

    from opentangle.lindblad.model import _site_superoperators

    per_site = _site_superoperators(model)
    if per_site is None:
        raise NotApplicable("a jump acts on more than one site")
    dims = list(model.dims)
    out = []
    for i, d in enumerate(dims):
        T = np.asarray(per_site.get(i, np.zeros((d * d, d * d), complex)), complex)
        off = T.copy()
        np.fill_diagonal(off, 0)
        k, lab = connected_components(sp.csr_matrix(off != 0), directed=True, connection="strong")
        comps = [np.flatnonzero(lab == c) for c in range(k)]
        po, pi = np.nonzero(off)
        cross = lab[po] != lab[pi]
        edges = set(zip(lab[pi][cross].tolist(), lab[po][cross].tolist()))
        depth = np.zeros(k, np.int64)
        for _ in range(k):  # longest path in the (acyclic) condensation
            for a, b in edges:
                depth[b] = max(depth[b], depth[a] + 1)
        source = np.ones(k, bool)
        for _, b in edges:
            source[b] = False
        site = _Site(d, off, np.diag(T).copy(), comps, depth, source, lab)
        site.cross = [(int(a), int(b), complex(off[a, b])) for a, b in zip(po[cross], pi[cross])]
        out.append(site)
    return out


def _along(mats: np.ndarray, X: np.ndarray, axis: int, out: np.ndarray | None = None) -> np.ndarray:
    """Apply per-block matrices ``mats (nb, m, m)`` along ``axis`` (>= 1) of ``X (nb, m_1, ..., m_k)``.

    ``mats`` may have one block (broadcast).  ``out``: a contiguous array of ``X``'s size, not ``X``.

    A batched ``matmul`` over the blocks (2-3x faster than broadcast multiply-adds, measured at
    ``N = 12``) where each block holds at least a few vectors; ``m^2`` broadcast multiply-adds where
    it holds one (a batched ``matmul`` of tiny matrices is dominated by its per-matrix overhead).
    """
    shape = X.shape
    nb, m = shape[0], shape[axis]
    pre, post = math.prod(shape[1:axis]), math.prod(shape[axis + 1 :])
    if out is None:
        out = np.empty(shape, X.dtype)
    if pre * post >= 4:
        if post == 1:  # (pre x m) @ (m x m)^T per block: one small GEMM each
            np.matmul(X.reshape(nb, pre, m), mats.transpose(0, 2, 1), out=out.reshape(nb, pre, m))
        else:
            np.matmul(mats[:, None], X.reshape(nb, pre, m, post), out=out.reshape(nb, pre, m, post))
        return out.reshape(shape)
    Y = X.reshape(nb, pre, m, post)
    O = out.reshape(nb, pre, m, post)
    for x in range(m):
        acc = O[:, :, x, :]
        np.multiply(mats[:, x, 0, None, None], Y[:, :, 0, :], out=acc)
        for y in range(1, m):
            acc += mats[:, x, y, None, None] * Y[:, :, y, :]
    return out.reshape(shape)


def _distinct(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of distinct rows and the map back (``rows[first][inverse] == rows``, checked exactly).

    Rows are grouped by a random projection (a 1-D sort); a collision of different rows is detected
    and then every row is kept.
    """
    h = rows @ np.random.default_rng(1).standard_normal(rows.shape[1])
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not np.array_equal(rows[first][inverse], rows):
        return np.arange(rows.shape[0]), np.arange(rows.shape[0])
    return first, inverse


def _progression(idx: np.ndarray) -> slice | None:
    """``idx`` (sorted) as a slice, or None when it is not an arithmetic progression."""
    if idx.size == 1:
        return slice(int(idx[0]), int(idx[0]) + 1)
    step = int(idx[1] - idx[0])
    if np.all(np.diff(idx) == step):
        return slice(int(idx[0]), int(idx[-1]) + 1, step)
    return None


@dataclass
class _Option:
    """What one site contributes to a group: one multi-member component, or a run of singleton components."""

    sl: slice  # the local indices, a slice of the site's axis
    members: np.ndarray
    multi: int  # the component (grid axis) or -1 (each member is its own block)
    depth: int
    pushes: list[tuple[int, np.ndarray]]  # (p_out, weights over members) of the edges leaving the option


def _run_slice(run: list[int]) -> slice:
    sl = _progression(np.array(run))
    assert sl is not None  # runs are built as progressions
    return sl


def _options(s: _Site) -> list[_Option]:
    opts = []
    for c, S in enumerate(s.comps):
        if S.size > 1:
            sl = _progression(S)
            if sl is None:
                raise NotApplicable(f"a local component {S.tolist()} is not a slice of the site's index")
            opts.append((sl, S, c, int(s.depth[c])))
    single = np.sort(np.array([S[0] for S in s.comps if S.size == 1], np.int64))
    for dep in np.unique(s.depth[s.label[single]]) if single.size else []:
        run: list[int] = []
        for p in single[s.depth[s.label[single]] == dep]:
            if run and _progression(np.array([*run, p])) is None:
                opts.append((_run_slice(run), np.array(run), -1, int(dep)))
                run = []
            run.append(int(p))
        opts.append((_run_slice(run), np.array(run), -1, int(dep)))
    out = []
    for sl, S, c, dep in opts:
        outs = sorted({a for a, b, _ in s.cross if b in set(S.tolist())})
        pushes = [(a, np.array([s.off[a, q] for q in S])) for a in outs]
        out.append(_Option(sl, S, c, dep, pushes))
    return out


class _Group:
    """The blocks of one choice of options (one per site): a row range of its batch's ``(nb, m)`` array.

    Its canonical layout is ``bshape + shape`` (the block axes, then the grid axes, each in site order); on
    the tensor ``Z[p_0, ..., p_{N-1}]`` it is a strided view (:meth:`gather`, :meth:`scatter`).
    """

    def __init__(self, opts: list[_Option], key: tuple[int, ...] = ()):
        self.opts = opts
        self.key = key
        self.level = sum(o.depth for o in opts)
        self.view = tuple(o.sl for o in opts)
        self.multi = [i for i, o in enumerate(opts) if o.multi >= 0]
        blocks = [i for i, o in enumerate(opts) if o.multi < 0]
        self.perm = blocks + self.multi  # canonical layout: block axes, then grid axes
        self.inv = [int(x) for x in np.argsort(self.perm)]
        self.bshape = tuple(opts[i].members.size for i in blocks)
        self.shape = tuple(opts[i].members.size for i in self.multi)
        self.full = self.bshape + self.shape
        self.nb, self.m = math.prod(self.bshape), math.prod(self.shape)
        self.batch, self.row = -1, 0  # set by the owning batch
        # per edge leaving the group: (moving site, p_out, nonzero weights over its members, the canonical
        # array as (pre, members, post) around the moving site's axis); the target is resolved by `link`
        self.out: list[tuple[int, int, list[tuple[int, complex]], tuple[int, int, int]]] = []
        for i, o in enumerate(opts):
            a = self.perm.index(i)
            split = (math.prod(self.full[:a]), self.full[a], math.prod(self.full[a + 1 :]))
            for p_out, w in o.pushes:
                ws = [(q, complex(x)) for q, x in enumerate(w) if x != 0]
                self.out.append((i, int(p_out), ws, split))
        #: resolved edges: (weights, (pre, members, post), target batch, target rows, target split, target index)
        self.edges: list[tuple[list[tuple[int, complex]], tuple[int, int, int], int, slice, tuple[int, int, int], int]]
        self.edges = []

    def link(self, groups: dict[tuple[int, ...], _Group], where: list[dict[int, tuple[int, int]]]) -> None:
        """Resolve the targets of the edges leaving the group.

        The moving site keeps no axis in the contraction, and every other site keeps its option (so its
        kind, block or grid axis), so the remaining axes come in the same order in source and target: the
        update is a plain ``(pre, post)`` array, indexed at the moving site's member in the target.
        """
        self.edges = []
        for i, p_out, ws, split in self.out:
            oi, tq = where[i][p_out]
            t = groups[self.key[:i] + (oi,) + self.key[i + 1 :]]
            ta = t.perm.index(i)
            tsplit = (math.prod(t.full[:ta]), t.full[ta], math.prod(t.full[ta + 1 :]))
            assert tsplit[0] * tsplit[2] == split[0] * split[2]
            self.edges.append((ws, split, t.batch, slice(t.row, t.row + t.nb), tsplit, tq))

    def gather(self, Z: np.ndarray, out: np.ndarray) -> None:
        """The group's entries of the tensor ``Z`` into ``out`` (its ``(nb, m)`` rows, canonical layout)."""
        np.copyto(out.reshape(self.full), Z[self.view].transpose(self.perm))

    def scatter(self, Z: np.ndarray, X: np.ndarray) -> None:
        Z[self.view] = X.reshape(self.full).transpose(self.inv)

    def push(self, X: np.ndarray, store: list[np.ndarray]) -> None:
        """Subtract the edges leaving the group's solved entries ``X`` (canonical) from the downstream entries.

        ``store``: the per-batch ``(nb, m)`` arrays.  The contraction over the moving site and the update
        are 2-D strided operations with contiguous rows.
        """
        for ws, (pre, ma, post), tb, rows, (tpre, tma, tpost), tq in self.edges:
            X3 = X.reshape(pre, ma, post)
            (q, w), rest = ws[0], ws[1:]
            C = w * X3[:, q, :]
            for q, w in rest:
                C += w * X3[:, q, :]
            T = store[tb][rows].reshape(tpre, tma, tpost)
            T[:, tq, :] -= C.reshape(tpre, tpost)

    def pull(self, Y: np.ndarray, store: list[np.ndarray]) -> None:
        """Adjoint of :meth:`push`: subtract the downstream solved entries from the right-hand side ``Y``."""
        for ws, (pre, ma, post), tb, rows, (tpre, tma, tpost), tq in self.edges:
            Y3 = Y.reshape(pre, ma, post)
            T = np.reshape(store[tb][rows].reshape(tpre, tma, tpost)[:, tq, :], (pre, post))
            for q, w in ws:
                Y3[:, q, :] -= np.conj(w) * T


class _Batch:
    """Groups of one level and one grid shape: their blocks are independent and solved in one vectorised pass.

    Its entries are an ``(nb, m)`` array (the groups' rows one after the other), a slice of the flat vector.
    """

    def __init__(self, groups: list[_Group], batch: int = 0, offset: int = 0):
        self.groups = groups
        self.level, self.shape = groups[0].level, groups[0].shape
        self.rows = np.cumsum([0] + [g.nb for g in groups])
        self.nb, self.m = int(self.rows[-1]), groups[0].m
        self.offset = offset
        for g, r in zip(groups, self.rows):
            g.batch, g.row = batch, int(r)
        self.c = np.zeros(self.nb, complex)
        # per grid axis: the distinct per-site eigendecompositions and each block's index into them (a few
        # distinct ones per batch: expanding them to every block took about 2.4 vectors of length n)
        self.V: list[np.ndarray] = []
        self.Vi: list[np.ndarray] = []
        self.mu: list[np.ndarray] = []
        self.idx: list[np.ndarray] = []
        self.deflated: tuple[int, int, float] | None = None
        # the steps of a transform: (first grid axis, number of axes merged), and per direction the
        # (first, second) factors per step as (distinct matrices, each block's index)
        self.steps: list[tuple[int, int]] = []
        self._factors: dict[bool, tuple[list[tuple[np.ndarray, np.ndarray]], ...]] = {}

    def get(self, u: np.ndarray) -> np.ndarray:
        """The batch's ``(nb, m)`` array in the flat (batch-major) vector ``u``: a view, no copy."""
        return u[self.offset : self.offset + self.nb * self.m].reshape(self.nb, self.m)

    def put(self, u: np.ndarray, X: np.ndarray) -> None:
        self.get(u)[...] = X

    def gather(self, Z: np.ndarray) -> np.ndarray:
        """The batch's entries of the tensor ``Z`` (a copy, canonical layout)."""
        out = np.empty((self.nb, self.m), Z.dtype)
        for g, r in zip(self.groups, self.rows):
            g.gather(Z, out[r : r + g.nb])
        return out

    def den(self, out: np.ndarray | None = None) -> np.ndarray:
        """The blocks' eigenvalues ``c + sum_j mu_j`` as ``(nb, m)`` (into ``out``, ``nb m`` entries, if given)."""
        k = len(self.shape)
        den = np.empty((self.nb, *self.shape), complex) if out is None else out.reshape(self.nb, *self.shape)
        acc = self.c
        if not k:
            den[...] = acc
        for j, mu in enumerate(self.mu):  # outer sums, grid axis by grid axis: ((c + mu_0) + mu_1) + ...
            mu = self.per_block(mu, j)
            term = mu.reshape(mu.shape[0], *[1] * j, self.shape[j])
            if j < k - 1:
                acc = acc[..., None] + term
            else:
                np.add(acc[..., None], term, out=den)
        den = den.reshape(self.nb, self.m)
        if self.deflated is not None:
            b, x, sigma = self.deflated
            den[b, x] = sigma
        return den

    def per_block(self, A: np.ndarray, j: int) -> np.ndarray:
        """Axis ``j``'s distinct ``A`` per block (one distinct: broadcast, no copy)."""
        return A if A.shape[0] == 1 else A[self.idx[j]]

    def plan(self) -> None:
        """The transform's steps: one grid axis each, or pairs of them from :data:`MERGE_AXES_FROM` axes."""
        k = len(self.shape)
        size = 2 if k >= MERGE_AXES_FROM else 1
        self.steps = [(j, min(size, k - j)) for j in range(0, k, size)]
        self._factors = {}

    def factors(self, adjoint: bool) -> tuple[list[tuple[np.ndarray, np.ndarray]], ...]:
        """Per step, (distinct matrices, each block's index) of ``V^-1`` then ``V`` (or their adjoints).

        A merged pair of axes gets the Kronecker products of the distinct pairs that occur (a few).
        """
        if adjoint not in self._factors:
            sides: list[list[np.ndarray]] = [self.Vi, self.V]
            if adjoint:
                sides = [[np.ascontiguousarray(v.conj().transpose(0, 2, 1)) for v in vs] for vs in (self.V, self.Vi)]
            out = []
            for mats in sides:
                steps = []
                for j, g in self.steps:
                    if g == 1:
                        steps.append((mats[j], self.idx[j]))
                        continue
                    A, B = mats[j], mats[j + 1]
                    key = self.idx[j] * B.shape[0] + self.idx[j + 1]
                    uniq, inverse = np.unique(key, return_inverse=True)
                    ma, mb = A.shape[1], B.shape[1]
                    K = np.einsum("bij,bkl->bikjl", A[uniq // B.shape[0]], B[uniq % B.shape[0]])
                    steps.append((K.reshape(uniq.size, ma * mb, ma * mb), inverse.reshape(-1)))
                out.append(steps)
            self._factors[adjoint] = tuple(out)
        return self._factors[adjoint]

    def transform(
        self, X: np.ndarray, spare: np.ndarray, steps: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Apply the steps' matrices along the grid axes, alternating between ``X`` and ``spare``: (result, the other)."""
        for (j, g), (M, idx) in zip(self.steps, steps):
            shape = (self.nb, *self.shape[:j], math.prod(self.shape[j : j + g]), *self.shape[j + g :])
            X, spare = _along(M if M.shape[0] == 1 else M[idx], X.reshape(shape), j + 1, out=spare.reshape(shape)), X
        return X.reshape(self.nb, self.m), spare.reshape(self.nb, self.m)

    def solve(self, Y: np.ndarray, adjoint: bool, work: np.ndarray | None = None) -> np.ndarray:
        """The blocks' inverses (or their adjoints) applied to ``Y`` (contiguous ``(nb, m)``), in place.

        ``work``: scratch of at least ``2 nb m`` entries (the intermediate results alternate between ``Y``
        and it, and an even number of steps ends in ``Y``: no array is allocated per batch).  The eigenvalue
        sums are rebuilt per call; the adjoint factors are kept after their first use.
        """
        size = self.nb * self.m
        if work is None:
            work = np.empty(2 * size, complex)
        den = self.den(work[size : 2 * size])
        first, second = self.factors(adjoint)
        if adjoint:
            np.conj(den, out=den)
        X, spare = self.transform(Y, work[:size], first)
        X /= den
        X, _ = self.transform(X, spare, second)
        if X.ctypes.data != Y.ctypes.data:  # both transforms have the same number of steps, so X is Y
            np.copyto(Y, X)
        return Y


class Triangular:
    r"""The block-triangular form of :math:`\mathcal L` as Kronecker-sum blocks, with its substitution solvers.

    Vectors are tensors ``Z[p_0, ..., p_{N-1}]`` over the local indices ``p_i = b_i d_i + a_i`` of
    :math:`|a\rangle\langle b|` at the boundaries (:meth:`sweep`, :meth:`to_batches`, :meth:`from_batches`);
    the solvers work on a flat *batch-major* vector of the same length (:meth:`substitute`): the batches'
    ``(nb, m)`` arrays one after the other, each group a row range in its canonical layout.
    """

    def __init__(self, model: Model, *, max_groups: int = 20000):
        from opentangle.lindblad.model import _diagonal_heff

        hd = _diagonal_heff(model)
        if hd is None:
            raise NotApplicable("the effective Hamiltonian is not diagonal")
        self.dims = list(model.dims)
        self.D = model.dim
        self.n = self.D**2
        self.scale = max(1.0, model.rate_scale())
        self.sites = _sites(model)
        self.tshape = tuple(d * d for d in self.dims)
        self.zeros: list[tuple[int, int, int, float, bool]] = []  # (batch, block, grid point, |lambda|, source)
        self.small: list[float] = []
        self.kappa = 1.0
        byk: dict[tuple[int, tuple[int, ...]], list[_Group]] = {}
        options = [_options(s) for s in self.sites]
        count = math.prod(len(o) for o in options)
        if count > max_groups:
            raise NotApplicable(f"the blocks form {count} groups (more than {max_groups}): too many for this path")
        bykey: dict[tuple[int, ...], _Group] = {}
        for chosen in itertools.product(*[list(enumerate(o)) for o in options]):
            g = _Group([o for _, o in chosen], tuple(k for k, _ in chosen))
            bykey[g.key] = g
            byk.setdefault((g.level, g.shape), []).append(g)
        self.batches: list[_Batch] = []
        offset = 0
        for k in sorted(byk):
            self.batches.append(_Batch(byk[k], len(self.batches), offset))
            offset += self.batches[-1].nb * self.batches[-1].m
        assert offset == self.n
        # site i's local index p -> (its option, its position among the option's members)
        where = [{int(p): (oi, q) for oi, o in enumerate(opts) for q, p in enumerate(o.members)} for opts in options]
        for g in bykey.values():
            g.link(bykey, where)
        lam = self._diagonal(np.asarray(hd, complex))
        for bi, bt in enumerate(self.batches):
            self._fit(bt, bt.gather(lam))
            self._classify(bi, bt)

    # ---------------------------------------------------------------- structure

    def _diagonal(self, hd: np.ndarray) -> np.ndarray:
        r"""The diagonal :math:`\Lambda` of :math:`\mathcal L` as a tensor (from the ``D x D`` matrix, plus the sites' terms)."""
        N = len(self.dims)
        M = hd.conj()[None, :] - hd[:, None]  # i (conj(E_b) - E_a) on |a><b|, as the D x D matrix
        M *= 1j
        lam = self.from_matrix(M)
        del M
        T = np.zeros([1] * N, complex)
        for i, (d, s) in enumerate(zip(self.dims, self.sites)):
            T = T + s.tdiag.reshape([d * d if a == i else 1 for a in range(N)])
        lam += T
        return lam

    def _fit(self, bt: _Batch, lam: np.ndarray) -> None:
        """The separable fit of a batch's diagonal and the per-site eigendecompositions (distinct ones once)."""
        k = len(bt.shape)
        L = lam.reshape((bt.nb, *bt.shape))
        axes = tuple(range(1, k + 1))
        c = L.mean(axis=axes, keepdims=True) if k else L
        bt.c = c.reshape(bt.nb).copy()
        if not k:
            return
        rem = L - c
        for j in range(k):
            f = L.mean(axis=tuple(a for a in axes if a != j + 1), keepdims=True) - c
            rem -= f
            m = bt.shape[j]
            M = np.empty((bt.nb, m, m), complex)
            for g, r in zip(bt.groups, bt.rows):
                i = g.multi[j]
                S = g.opts[i].members
                M[r : r + g.nb] = self.sites[i].off[np.ix_(S, S)]
            M[:, np.arange(m), np.arange(m)] += f.reshape(bt.nb, m)
            first, inverse = _distinct(M.reshape(bt.nb, -1))
            mu, V = np.linalg.eig(M[first])
            Vi = np.linalg.inv(V)
            kap = np.linalg.norm(V, axis=(1, 2)) * np.linalg.norm(Vi, axis=(1, 2))
            self.kappa = max(self.kappa, float(kap.max()))
            inverse = inverse.reshape(-1)
            bt.mu.append(mu)
            bt.V.append(V)
            bt.Vi.append(Vi)
            bt.idx.append(inverse)
        bt.plan()
        err = float(np.abs(rem).max())
        if err > _SEP_EPS * np.finfo(float).eps * max(self.scale, float(np.abs(L).max())):
            raise NotApplicable(
                f"the diagonal part of a block is not a sum of one-site terms (remainder {err:.1e}): "
                "the Hamiltonian has terms of more than two bodies"
            )

    def _classify(self, bi: int, bt: _Batch) -> None:
        """Record the zero eigenvalues (to rounding) and the tiny nonzero ones of a batch's blocks."""
        a = np.abs(bt.den())
        eps = np.finfo(float).eps
        zero = a <= 64 * eps * len(self.sites) * self.scale
        small = ~zero & (a < SMALL_EIGENVALUE * self.scale)
        if small.any():
            self.small.append(float(a[small].min()))
        for b, x in zip(*np.nonzero(zero)):
            self.zeros.append((bi, int(b), int(x), float(a[b, x]), bt.level == 0))

    # ---------------------------------------------------------------- certificates

    def check(self) -> tuple[int, int, int]:
        """The singular block ``(batch, block, grid point)``, or raise :class:`Uncertified`."""
        if self.kappa > KAPPA_MAX:
            raise Uncertified(
                "ill",
                f"a per-site eigenvector basis is nearly defective (||V|| ||V^-1|| = {self.kappa:.1e} > {KAPPA_MAX:g}); "
                "the Kronecker-sum inverse is not accurate",
            )
        nzero = len(self.zeros)
        sources = sum(1 for z in self.zeros if z[4])
        if sources > 1:
            raise Uncertified(
                "nonunique",
                f"{sources} eigenvalues of source blocks of the block-triangular Liouvillian are zero, so the kernel "
                "has dimension > 1",
            )
        if nzero > 1:
            raise Uncertified(
                "ill",
                f"{nzero} diagonal blocks have a zero eigenvalue but fewer than two are sources: the structural test "
                "cannot decide uniqueness",
            )
        if self.small:
            raise Uncertified(
                "ill",
                f"a diagonal block has an eigenvalue {min(self.small):.1e}, tiny but not zero to rounding "
                f"(rate scale {self.scale:.3g}): the kernel is nearly degenerate",
            )
        if nzero == 0:
            raise Uncertified("ill", "no diagonal block has a zero eigenvalue to rounding (is L trace preserving?)")
        bi, b, x, _, _ = self.zeros[0]
        return bi, b, x

    # ---------------------------------------------------------------- solvers

    def deflate(self, sigma: float) -> None:
        """Replace the zero eigenvalue by ``sigma`` (the inverse is then that of ``L + sigma v w^T``)."""
        bi, b, x = self.check()
        self.batches[bi].deflated = (b, x, sigma)
        self.sigma, self.zero = sigma, (bi, b, x)

    def sweep(self, Z: np.ndarray, *, adjoint: bool = False) -> np.ndarray:
        """``A^{-1} Z`` (or ``A^{-H} Z``) in place, ``Z`` a tensor of shape ``tshape``."""
        u = self.substitute(self.to_batches(Z), adjoint=adjoint)
        return self.from_batches(u, out=Z)

    def substitute(self, u: np.ndarray, *, adjoint: bool = False) -> np.ndarray:
        """``A^{-1} u`` (or ``A^{-H} u``) in place, ``u`` a flat batch-major vector (contiguous, length ``n``)."""
        store = [bt.get(u) for bt in self.batches]
        work = np.empty(2 * max(bt.nb * bt.m for bt in self.batches), complex)
        for bi in range(len(self.batches)) if not adjoint else reversed(range(len(self.batches))):
            bt, Y = self.batches[bi], store[bi]
            if adjoint:  # pull from the already solved downstream blocks
                for g, r in zip(bt.groups, bt.rows):
                    g.pull(Y[r : r + g.nb], store)
            bt.solve(Y, adjoint, work)
            if not adjoint:  # push into the downstream blocks
                for g, r in zip(bt.groups, bt.rows):
                    g.push(Y[r : r + g.nb], store)
        return u

    def to_batches(self, Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Tensor -> flat batch-major vector (complex)."""
        u = np.empty(self.n, np.result_type(Z.dtype, complex)) if out is None else out
        for bt in self.batches:
            Y = bt.get(u)
            for g, r in zip(bt.groups, bt.rows):
                g.gather(Z, Y[r : r + g.nb])
        return u

    def from_batches(self, u: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Flat batch-major vector -> tensor of shape ``tshape``."""
        Z = np.empty(self.tshape, u.dtype) if out is None else out
        for bt in self.batches:
            Y = bt.get(u)
            for g, r in zip(bt.groups, bt.rows):
                g.scatter(Z, Y[r : r + g.nb])
        return Z

    def kernel_vectors(self) -> tuple[_Batch, int, np.ndarray, np.ndarray]:
        """The singular batch and block, ``v`` (right) and ``w`` (left, ``w^T v = 1``) on that block."""
        bi, b, x = self.zero
        bt = self.batches[bi]
        digits = np.unravel_index(x, bt.shape) if bt.shape else ()
        v = np.ones(1, complex)
        w = np.ones(1, complex)
        for j, xj in enumerate(digits):  # Kronecker products of the eigenvector columns / inverse rows
            v = np.kron(v, bt.V[j][bt.idx[j][b]][:, xj])
            w = np.kron(w, bt.Vi[j][bt.idx[j][b]][xj, :])
        return bt, b, v, w

    def to_matrix(self, Z: np.ndarray) -> np.ndarray:
        """Tensor -> the ``D x D`` matrix ``X[a, b]``."""
        N = len(self.dims)
        T = Z.reshape([x for d in self.dims for x in (d, d)])  # (b_0, a_0, b_1, a_1, ...)
        return T.transpose([2 * i + 1 for i in range(N)] + [2 * i for i in range(N)]).reshape(self.D, self.D)

    def from_matrix(self, X: np.ndarray) -> np.ndarray:
        N = len(self.dims)
        T = X.reshape(self.dims + self.dims)  # (a_0..a_{N-1}, b_0..b_{N-1})
        return np.ascontiguousarray(T.transpose([x for i in range(N) for x in (N + i, i)])).reshape(self.tshape)


def applicable(model: Model) -> bool:
    """Cheap test (no ``D^2`` work): every jump local and ``H_eff`` exactly diagonal."""
    from opentangle.lindblad.model import _diagonal_heff, _site_superoperators

    return _site_superoperators(model) is not None and _diagonal_heff(model) is not None


def solve(model: Model, *, seed: int, check_unique: bool, max_groups: int = 20000) -> dict[str, Any]:
    """Steady state (unnormalised ``rho``) and the certificate's numbers; raises NotApplicable / Uncertified."""
    from opentangle.lindblad.steady import _inverse_norm_estimate, _MatrixFree

    tri = Triangular(model, max_groups=max_groups)
    sigma = -tri.scale
    tri.deflate(sigma)
    mf = _MatrixFree(model, precondition=False)
    g, b, v, w = tri.kernel_vectors()

    def apply_A(u: np.ndarray) -> np.ndarray:  # L y + sigma v (w^T y), L from the independent operator
        out = tri.to_batches(tri.from_matrix(mf.apply_L(tri.to_matrix(tri.from_batches(u)))))
        g.get(out)[b] += sigma * v * (w @ g.get(u)[b])
        return out

    info: dict[str, Any] = {"blocks": sum(x.nb for x in tri.batches), "kappa": tri.kappa}
    if check_unique:

        def rhs() -> np.ndarray:  # directly in the batch-major layout (i.i.d. entries: any layout will do)
            rng = np.random.default_rng(seed)
            u = np.empty(tri.n, complex)
            u.real = rng.standard_normal(tri.n)
            u.imag = rng.standard_normal(tri.n)
            return u

        # one vector of length n alive besides apply_A's (the right-hand side is drawn again afterwards)
        xr = rhs()
        bn = float(np.linalg.norm(xr))
        tri.substitute(xr)
        res = apply_A(xr)
        res -= rhs()
        r = float(np.linalg.norm(res))
        del res
        xn = float(np.linalg.norm(xr))
        xr /= xn
        inv = _inverse_norm_estimate(xr, xn / bn, lambda z, adjoint: tri.substitute(z, adjoint=adjoint))
        del xr
        info.update(bound=inv * r / xn if np.isfinite(inv) and xn > 0 else math.inf, inv_norm=inv)
    u = np.zeros(tri.n, complex)
    g.get(u)[b] = sigma * v
    tri.substitute(u)
    return {"rho": tri.to_matrix(tri.from_batches(u)), "operator": mf, **info}
