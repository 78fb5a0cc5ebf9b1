r"""Fast path of the iterative steady-state solver: real "folded" Hermitian matrices and a lean GMRES.

A Hermitian :math:`X = x + i y` (x symmetric, y antisymmetric) is stored as the real D x D matrix
:math:`R = x + y` (so :math:`R^T = x - y`).  Folding is an isometry (:math:`\|R\|_F = \|X\|_F`),
the trace is :math:`\mathrm{tr} R`, and it keeps the tensor structure: a *real* local superoperator
acts on R exactly as on X, with no packing or transposes.  An elementwise Hermiticity-preserving
multiplier :math:`m = \alpha + i\beta` (:math:`m_{ba} = \bar m_{ab}`) acts as
:math:`R \mapsto \alpha\circ R + \beta\circ R^T`, done in row blocks.

The preconditioner is the exact inverse of the elementwise part of :math:`\mathcal L`
(:math:`\mathcal L_0` of the diagonal :math:`H_\mathrm{eff}` plus the diagonal jumps such as
dephasing); the remaining jumps are applied matrix-free.  Used when :math:`H_\mathrm{eff}` is
diagonal and every jump is a channel-builder local jump with a real superoperator (the reset,
amplitude-damping and dephasing families); otherwise the solver keeps the complex path.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

_BLOCK_BYTES = 4e6  # row block of the transposed multiplier products (cache sized)


def fold(X: np.ndarray) -> np.ndarray:
    """Hermitian ``X`` -> real ``Re X + Im X``."""
    return np.ascontiguousarray(X.real + X.imag)


def unfold(R: np.ndarray) -> np.ndarray:
    """Inverse of :func:`fold`: ``x = (R + R^T)/2``, ``y = (R - R^T)/2``, ``X = x + i y``."""
    X = np.empty(R.shape, complex)
    X.real = R
    X.real += R.T
    X.imag = R
    X.imag -= R.T
    X *= 0.5
    return X


def _rows(D: int) -> int:
    return max(1, int(_BLOCK_BYTES // (8 * D)))


def transpose(R: np.ndarray, out: np.ndarray, work: np.ndarray) -> np.ndarray:
    """``out = R^T`` through a tile-major copy (``work``, same size): 5-7x faster than ``R.T`` for D = 2^n.

    A plain strided transpose of a power-of-two matrix maps a column onto a few cache sets; copying
    64 x 64 tiles first keeps both passes on contiguous runs.
    """
    D = R.shape[0]
    T = 64 if D % 64 == 0 else 1
    if T == 1:
        np.copyto(out, R.T)
        return out
    nb = D // T
    tiles = work.reshape(nb, nb, T, T)
    np.copyto(tiles, R.reshape(nb, T, nb, T).transpose(0, 2, 1, 3))  # tiles[J, I, j', i'] = R[J j', I i']
    np.copyto(out.reshape(nb, T, nb, T), tiles.transpose(1, 3, 0, 2))
    return out


def apply_multiplier(a: np.ndarray, b: np.ndarray, R: np.ndarray, out: np.ndarray, work: np.ndarray) -> np.ndarray:
    """``out = a o R + b o R^T`` (a folded elementwise multiplier ``a + i b``); overwrites ``R`` and ``work``."""
    transpose(R, out, work)
    out *= b
    R *= a
    out += R
    return out


class FoldedOperator:
    """``x -> x + P^{-1}(J x + shift x) + u tr x`` on folded matrices (see module docstring)."""

    def __init__(self, h: np.ndarray, W: np.ndarray | None, lowrank: list, scale: float):
        D = h.size
        self.D = D
        self.lowrank = lowrank
        self.count = 0
        self.h, self.W = h, W
        self._buf: np.ndarray | None = None
        self._work: dict[tuple, np.ndarray] = {}
        m = self._multiplier(slice(0, D))
        small = np.abs(m) < 1e-9 * scale
        self.shift = 1e-3 * scale if small.any() else 0.0
        m -= self.shift
        self.pnorm = float(np.abs(m).max())
        inv = np.reciprocal(m, out=m)
        self.a, self.b = np.ascontiguousarray(inv.real), np.ascontiguousarray(inv.imag)
        del m, inv
        self.W = None  # the residual rebuilds the multiplier from (a, b): one D x D array less

    @classmethod
    def build(cls, mf: Any, scale: float) -> FoldedOperator | None:
        """From a ``_MatrixFree`` whose parts are all real-foldable, else None."""
        if not mf.diagonal or mf.generic:
            return None
        if mf.W is not None and np.abs(mf.W.imag).max() > 0:
            return None
        for _, terms in mf.lowrank:
            for ins, outs in terms:
                if any(np.imag(w) != 0 for *_, w in ins) or any(np.imag(w) != 0 for *_, w in outs):
                    return None
        W = None if mf.W is None else np.ascontiguousarray(mf.W.real)
        lowrank = [
            (
                shape,
                [
                    ([(c, d, float(np.real(w))) for c, d, w in ins], [(a, b, float(np.real(w))) for a, b, w in outs])
                    for ins, outs in terms
                ],
            )
            for shape, terms in mf.lowrank
        ]
        return cls(np.asarray(mf.h, complex), W, lowrank, scale)

    def _multiplier(self, s: slice) -> np.ndarray:
        """Rows ``s`` of the elementwise part of L: ``-i(h_a - conj h_b) + W_ab`` (after setup: ``1/(a + ib) + shift``)."""
        if self.W is None and hasattr(self, "a"):
            return 1.0 / (self.a[s] + 1j * self.b[s]) + self.shift
        h = self.h
        m = -1j * (h[s, None] - h.conj()[None, :])
        if self.W is not None:
            m += self.W[s]
        return m

    def jump(self, R: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out += J R`` for the low-rank local terms (real coefficients)."""
        for shape, terms in self.lowrank:
            if 1 < shape[-1] < _STRIDED_MIN:
                _site_matmul(shape, terms, R, out, self._scratch)
                continue
            V = R.reshape(shape)
            O = out.reshape(shape)
            view = V[:, 0, :, 0, :]
            add_site_terms(V, O, terms, self._scratch(("acc", view.shape)), self._scratch(("tmp", view.shape)))
        return out

    def _scratch(self, key: tuple) -> np.ndarray:
        """A work array of shape ``key[1]``, allocated once: above 32 MB each fresh array is a new
        mmap and a page-fault pass (most of the N = 12 solve was system time before this).  Keyed by
        name and size, not shape: every site's slice has its own shape but the same size, so one
        buffer per name serves all sites (N = 12: 0.8 GB of per-site buffers before)."""
        name, shape = key
        size = math.prod(shape)
        buf = self._work.get((name, size))
        if buf is None:
            buf = self._work[(name, size)] = np.empty(size)
        return buf.reshape(shape)

    def __call__(self, xv: np.ndarray) -> np.ndarray:
        """The preconditioned product; the result lives in a buffer that the next call overwrites."""
        D = self.D
        self.count += 1
        if self._buf is None:  # allocated once (fresh D x D arrays cost a page-fault pass each)
            self._buf = np.empty((3, D, D))
        Y, out, work = self._buf
        R = xv.reshape(D, D)
        if self.shift:
            np.multiply(R, self.shift, out=Y)
        else:
            Y.fill(0.0)
        self.jump(R, Y)
        apply_multiplier(self.a, self.b, Y, out, work)
        out += R
        out.reshape(-1)[:: D + 1] += np.trace(R) / D
        return out.reshape(-1)

    def residual(self, R: np.ndarray) -> float:
        """``||L X||_F`` of the folded ``R`` (the multiplier is rebuilt per row block)."""
        D = self.D
        out = np.zeros_like(R)
        self.jump(R, out)
        RT = transpose(R, np.empty_like(R), np.empty_like(R))
        step = _rows(D)
        total = 0.0
        for i in range(0, D, step):
            s = slice(i, min(i + step, D))
            m = self._multiplier(s)
            blk = out[s] + m.real * R[s] + m.imag * RT[s]
            total += float(np.einsum("ij,ij->", blk, blk))
        return math.sqrt(total)


def add_site_terms(V: np.ndarray, O: np.ndarray, terms: list, acc: np.ndarray, tmp: np.ndarray) -> None:
    """``O += S V`` for one site's low-rank superoperator on the ``(p, d, q, d, r)`` views ``V``, ``O``.

    ``terms``: ``(ins, outs)`` pairs, ``ins`` the input elements ``(c, d, w)`` summed into one
    ``(p, q, r)`` slice, ``outs`` the output elements ``(a, b, u)`` it is added to; ``acc`` and
    ``tmp`` are work arrays of that slice's shape (and of the result's dtype).
    """
    for ins, outs in terms:
        c0, d0, w0 = ins[0]
        np.multiply(V[:, c0, :, d0, :], w0, out=acc)
        for c_, d_, w in ins[1:]:
            np.multiply(V[:, c_, :, d_, :], w, out=tmp)
            acc += tmp
        for a, b, u in outs:
            np.multiply(acc, u, out=tmp)
            O[:, a, :, b, :] += tmp


#: sites whose column index has a stride below this use batched matrix products (numpy's strided
#: loops are slow on inner runs of 2-8 elements)
_STRIDED_MIN = 16


def _site_matmul(shape: tuple[int, ...], terms: list, R: np.ndarray, out: np.ndarray, scratch: Callable) -> None:
    """``out += S R`` for one site term via ``(p, q, d r) @ (d r, r)`` products (same result as the strided path)."""
    p, d, q, _, r = shape
    V = R.reshape(p, d, q, d * r)
    O = out.reshape(p, d, q, d * r)
    eye = np.eye(r)
    for ins, outs in terms:
        v, u = np.zeros((d, d)), np.zeros((d, d))
        for c, dd, w in ins:
            v[c, dd] = w
        for a, b, w in outs:
            u[a, b] = w
        rows_in = np.flatnonzero(np.abs(v).sum(axis=1))
        if rows_in.size == 0:
            continue
        acc, z = scratch(("acc", (p, q, r))), scratch(("z", (p, q, r)))
        np.matmul(V[:, rows_in[0]], np.kron(v[rows_in[0]][:, None], eye), out=acc)
        for c in rows_in[1:]:
            acc += np.matmul(V[:, c], np.kron(v[c][:, None], eye), out=z)
        for a in np.flatnonzero(np.abs(u).sum(axis=1)):
            zo = scratch(("out", (p, q, d * r)))
            O[:, a] += np.matmul(acc, np.kron(u[a][None, :], eye), out=zo)


def gmres(
    op: Callable[[np.ndarray], np.ndarray],
    b: np.ndarray,
    x: np.ndarray,
    *,
    atol: float,
    restart: int,
    maxprod: int,
    count: Callable[[], int],
) -> np.ndarray:
    """Restarted GMRES for ``op(x) = b`` from ``x`` (overwritten), classical Gram-Schmidt (BLAS-2).

    Stops when the Arnoldi residual estimate is below ``atol`` or after ``maxprod`` products. The
    basis is one ``(restart + 1, n)`` float64 array; ``op`` may return a buffer it reuses.
    """
    n = b.size
    V = np.empty((restart + 1, n))
    proj = np.empty(n)  # Gram-Schmidt products land here: a fresh n-vector per pass costs a page-fault pass
    while count() < maxprod:
        r = b - op(x)
        beta = float(np.linalg.norm(r))
        if beta <= atol:
            break
        np.divide(r, beta, out=V[0])
        del r
        H = np.zeros((restart + 1, restart))
        y: np.ndarray = np.zeros(0)
        k = 0
        for j in range(restart):
            w = op(V[j])
            before = float(np.linalg.norm(w))
            for _ in range(2):  # classical Gram-Schmidt, repeated only when it cancels (Daniel et al. 1976)
                hj = V[: j + 1] @ w
                w -= np.dot(hj, V[: j + 1], out=proj)
                H[: j + 1, j] += hj
                after = float(np.linalg.norm(w))
                if after > 0.7 * before:
                    break
                before = after
            H[j + 1, j] = after
            k = j + 1
            e1 = np.zeros(k + 1)
            e1[0] = beta
            y, *_ = np.linalg.lstsq(H[: k + 1, :k], e1, rcond=None)
            est = float(np.linalg.norm(H[: k + 1, :k] @ y - e1))
            if H[j + 1, j] <= 1e-14 * beta or est <= atol or count() >= maxprod:
                break
            np.divide(w, H[j + 1, j], out=V[j + 1])
            del w
        x += y @ V[:k]
        if est <= atol:
            break
    return x
