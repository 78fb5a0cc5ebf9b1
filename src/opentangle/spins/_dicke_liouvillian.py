r"""Permutation-symmetric Lindbladians directly on the Schur blocks (the Dicke basis of every total spin).

A permutation-invariant state of ``N`` qubits is :math:`\rho = \oplus_J \rho_J\otimes 1_{d_J}`.  The
unknowns here are the trace-normalised blocks :math:`\sigma_J = d_J\rho_J`
(:math:`\sum_J \mathrm{tr}\,\sigma_J = 1`, entries of order one at every N), so a solution accurate to
rounding in :math:`\sigma` is accurate in trace norm, which is what negativities need (a Pauli-basis
solution is accurate only in absolute terms, and the map to small-J blocks amplifies that error like
:math:`2^{N/2}` or worse).

Collective terms (the Hamiltonian, a polynomial of degree <= 2 in :math:`J_a`; collective jumps
:math:`F = \sum_i j^{(i)}`; the anticommutator of local jumps) act inside each block with the spin-J
matrices.  The sandwich of a local jump :math:`L = l_0 1 + \sum_q l_q s_q` (:math:`s_q` the spherical
components of :math:`\vec\sigma/2`) is, by the Wigner-Eckart theorem and Schur's lemma on the
multiplicity spaces,

.. math::
    \sum_i L^{(i)}\rho L^{(i)\dagger} \to N|l_0|^2\sigma_J + l_0^* K\sigma_J + l_0\sigma_J K^\dagger
    + \sum_{J'=J,J\pm1} \tilde c_N(J\to J')\, A_{J'J}\,\sigma_J\,A_{J'J}^\dagger,

with :math:`K = \sum_q l_q S_q` (collective), :math:`(A_{J'J})_{m'm} = \sum_q l_q\langle J m; 1 q|J' m'\rangle`
and :math:`\tilde c_N(J\to J') = N\,T/(4 d_J (2J'+1))`,
:math:`T = \sum_a \mathrm{tr}(P_{J'}\sigma_a^{(1)} P_J \sigma_a^{(1)})
= 2\sum_{j = J\pm 1/2} \frac{(2J+1)(2J'+1)}{2j+1} d_j(N-1)\,[J' = j\pm\tfrac12] - \delta_{JJ'}(2J+1)d_J(N)`
(from :math:`\sum_a\sigma_a X\sigma_a = 2\cdot 1\otimes\mathrm{tr}_1X - X` and the branching
:math:`\mathrm{tr}_1 P_J^{(N)} = \sum_j \frac{2J+1}{2j+1}P_j^{(N-1)}`).  The same structure underlies
B. A. Chase, J. M. Geremia, PRA 78, 052101 (2008) and PIQS (N. Shammah et al., PRA 98, 063815 (2018)),
which tabulate it for emission, pumping and dephasing; here it holds for any local 2x2 jump.

The complex superoperator acts on the concatenated row-major ``vec(sigma_J)``, blocks in the order
``2J = N % 2, N % 2 + 2, ..., N`` (that of :class:`opentangle.spins.PIState`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from opentangle._lazy import lazy_module
from opentangle.errors import InvalidParameterError
from opentangle.operators import PAULIS, spin_operators
from opentangle.spins.schur import _twojs, multiplicity

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse as sp
else:  # imported on first use of ``matrix`` (issue 19)
    sp = lazy_module("scipy.sparse")

__all__ = ["DickeLiouvillian", "cross_coefficient", "dicke_liouvillian"]

_P = [PAULIS[a] for a in "IXYZ"]


@dataclass(frozen=True, eq=False)
class DickeLiouvillian:
    """Complex superoperator on the trace-normalised Schur blocks; ``offsets[i]`` starts block ``twojs[i]``.

    ``triplets`` are its COO entries ``(rows, cols, values)`` (repeated positions add up); ``matrix``
    is the CSR matrix, built on first use (the Schur solver reads the triplets directly).
    """

    n: int
    triplets: tuple[np.ndarray, np.ndarray, np.ndarray]
    twojs: tuple[int, ...]
    offsets: tuple[int, ...]
    dimension: int

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        rows, cols, vals = self.triplets
        mat = sp.csr_matrix((vals, (rows, cols)), shape=(self.dimension, self.dimension))
        mat.eliminate_zeros()
        return mat

    def __repr__(self) -> str:
        return f"DickeLiouvillian(n={self.n}, dimension={self.dimension}, entries={self.triplets[0].size})"


def cross_coefficient(n: int, twoj: int, twojp: int) -> float:
    r""":math:`\tilde c_N(J\to J')` of the module docstring (exact rational arithmetic, then a float).

    Example
    -------
    >>> cross_coefficient(1, 1, 1)     # one qubit: s_q = sqrt(3/4) x (rank-1 tensor of spin 1/2)
    0.75
    """
    if abs(twoj - twojp) > 2 or multiplicity(n, twoj / 2) == 0 or multiplicity(n, twojp / 2) == 0:
        return 0.0
    total = Fraction(0)
    for tj in (twoj - 1, twoj + 1):
        if 0 <= tj <= n - 1 and abs(twojp - tj) == 1:
            total += Fraction(2 * (twoj + 1) * (twojp + 1) * multiplicity(n - 1, tj / 2), tj + 1)
    dj = multiplicity(n, twoj / 2)
    if twoj == twojp:
        total -= (twoj + 1) * dj
    return float(Fraction(n) * total / (4 * dj * (twojp + 1)))


def _collective(h: np.ndarray, n: int, spin: tuple[np.ndarray, ...]) -> np.ndarray:
    r""":math:`\sum_i h^{(i)}` on one block: :math:`\tfrac{\mathrm{tr}h}{2}N + \sum_a \mathrm{tr}(h\sigma_a) J_a`."""
    out = 0.5 * np.trace(h) * n * np.eye(spin[0].shape[0], dtype=complex)
    for a in range(3):
        out = out + np.trace(h @ _P[a + 1]) * spin[a]
    return out


def _two_body_block(v: np.ndarray, n: int, spin: tuple[np.ndarray, ...]) -> np.ndarray:
    r""":math:`\sum_{i<j}V^{(ij)} = \tfrac12\sum_{ab} v_{ab}\,[f(\sigma_a)f(\sigma_b) - f(\sigma_a\sigma_b)]` on one block."""
    out = np.zeros_like(spin[0])
    for a in range(4):
        fa = _collective(_P[a], n, spin)
        for b in range(4):
            vab = np.trace(v @ np.kron(_P[a], _P[b])) / 4
            if abs(vab) > 0:
                out = out + 0.5 * vab * (fa @ _collective(_P[b], n, spin) - _collective(_P[a] @ _P[b], n, spin))
    return out


def _spherical(op: np.ndarray) -> tuple[complex, dict[int, complex]]:
    """``(l_0, {q: l_q})`` with ``op = l_0 1 + sum_q l_q s_q``, ``s_q`` the spherical components of sigma/2."""
    c = [np.trace(op @ _P[a]) / 2 for a in range(4)]
    return c[0], {1: math.sqrt(2) * (-c[1] + 1j * c[2]), 0: 2 * c[3], -1: math.sqrt(2) * (c[1] + 1j * c[2])}


def _rank1_cg(twoj: int, twojp: int, q: int) -> np.ndarray:
    r""":math:`\langle J m; 1 q|J' m+q\rangle` for ``m = J, J-1, ..., -J`` (closed forms of the j_2 = 1 table, Condon-Shortley).

    Example
    -------
    >>> _rank1_cg(1, 3, 1)                  # <1/2 m; 1 1|3/2 m+1>: 1 for m = 1/2, sqrt(1/3) for m = -1/2
    array([1.        , 0.57735027])
    """
    j = twoj / 2
    m = j - np.arange(twoj + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if twojp == twoj + 2:
            num = {1: (j + m + 1) * (j + m + 2), 0: 2 * (j - m + 1) * (j + m + 1), -1: (j - m + 1) * (j - m + 2)}[q]
            out = np.sqrt(num / ((2 * j + 1) * (2 * j + 2)))
        elif twojp == twoj:
            if q == 0:
                out = m / np.sqrt(j * (j + 1)) if twoj else np.zeros(1)
            else:
                out = -q * np.sqrt((j - q * m) * (j + q * m + 1) / (2 * j * (j + 1))) if twoj else np.zeros(1)
        else:
            num = {1: (j - m) * (j - m - 1), 0: 2 * (j - m) * (j + m), -1: (j + m) * (j + m - 1)}[q]
            out = np.sqrt(np.maximum(num, 0.0) / (2 * j * (2 * j + 1)))
            if q == 0:
                out = -out
    return np.nan_to_num(out)


#: a sparse matrix as ``(rows, cols, values, shape)`` (plain arrays: scipy's constructors dominated assembly)
_Triplets = tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]


def _triplets(dense: np.ndarray) -> _Triplets:
    r, c = np.nonzero(dense)
    return r.astype(np.int32), c.astype(np.int32), dense[r, c], dense.shape


def _rank1(twoj: int, twojp: int, coeff: dict[int, complex]) -> _Triplets:
    r""":math:`A_{m'm} = \sum_q l_q\langle J m; 1 q|J' m'\rangle` (rows m' = J'..-J', columns m = J..-J)."""
    rows, cols, vals = [np.zeros(0, np.int32)], [np.zeros(0, np.int32)], [np.zeros(0, complex)]
    cols_all = np.arange(twoj + 1, dtype=np.int32)
    for q in (1, 0, -1):
        if coeff[q] == 0:
            continue
        mp2 = twoj - 2 * cols_all + 2 * q  # 2 m'
        c = _rank1_cg(twoj, twojp, q)
        ok = (np.abs(mp2) <= twojp) & (c != 0)
        rows.append((twojp - mp2[ok]) // 2)
        cols.append(cols_all[ok])
        vals.append(coeff[q] * c[ok])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), (twojp + 1, twoj + 1)


def _kron_coo(a: _Triplets, b: _Triplets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, vals)`` of ``kron(a, b)``."""
    rows = (a[0][:, None] * b[3][0] + b[0][None, :]).ravel()
    cols = (a[1][:, None] * b[3][1] + b[1][None, :]).ravel()
    return rows, cols, (a[2][:, None] * b[2][None, :]).ravel()


def _sandwich(a: _Triplets, b: _Triplets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``vec(a X b^dagger)`` for row-major vec: ``kron(a, conj(b))``, as COO triplets."""
    return _kron_coo(a, (b[0], b[1], np.conj(b[2]), b[3]))


def dicke_liouvillian(
    *,
    n: int,
    one_body: np.ndarray,
    two_body: np.ndarray,
    local: list[tuple[np.ndarray, float]],
    collective: list[tuple[np.ndarray, float]],
    twojs: list[int] | None = None,
) -> DickeLiouvillian:
    r"""Assemble the superoperator of the module docstring on the blocks :math:`\sigma_J`.

    ``one_body`` (2x2) and ``two_body`` (4x4, swap symmetric) are :math:`h` and :math:`V` of
    :math:`H = \sum_i h^{(i)} + \sum_{i<j}V^{(ij)}`; ``local`` and ``collective`` are validated
    ``[(2x2 operator, rate)]`` lists (as in :func:`opentangle.lindblad.permutation.symmetric_liouvillian`).
    ``twojs`` restricts to some total spins (only without local jumps, when they decouple).

    Example
    -------
    >>> import numpy as np
    >>> from opentangle.operators import sigma_minus
    >>> dl = dicke_liouvillian(n=4, one_body=np.zeros((2, 2)), two_body=np.zeros((4, 4)),
    ...                        local=[(sigma_minus(), 1.0)], collective=[])
    >>> dl.dimension                      # sum_J (2J+1)^2 = C(N+3, 3)
    35
    """
    loc = [
        (_spherical(np.asarray(op, complex)), float(rate), np.asarray(op, complex)) for op, rate in local if rate > 0
    ]
    if twojs is None:
        twojs = _twojs(n)
    elif loc:
        raise InvalidParameterError("twojs= (a subset of total spins) is only valid without local jumps")
    sizes = [(t + 1) ** 2 for t in twojs]
    offsets = tuple(int(x) for x in np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    where = {t: off for t, off in zip(twojs, offsets)}
    trip: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(rcv, r0: int, c0: int, scale: complex = 1.0) -> None:
        trip.append((rcv[0] + r0, rcv[1] + c0, scale * rcv[2]))

    for tj in twojs:
        off, d = where[tj], tj + 1
        spin = spin_operators(tj / 2)
        eye = (np.arange(d, dtype=np.int32), np.arange(d, dtype=np.int32), np.ones(d, complex), (d, d))
        g = -1j * (
            _collective(np.asarray(one_body, complex), n, spin)
            + _two_body_block(np.asarray(two_body, complex), n, spin)
        )
        for op, rate in collective:
            if rate > 0:
                f = _collective(np.asarray(op, complex), n, spin)
                ft = _triplets(f)
                add(_sandwich(ft, ft), off, off, rate)
                g = g - 0.5 * rate * (f.conj().T @ f)
        for (l0, lq), rate, op in loc:
            k = _collective(op - l0 * np.eye(2), n, spin)
            g = g + rate * (
                0.5 * n * abs(l0) ** 2 * np.eye(d) + np.conj(l0) * k - 0.5 * _collective(op.conj().T @ op, n, spin)
            )
            for tjp in (tj - 2, tj, tj + 2):
                c = cross_coefficient(n, tj, tjp) if tjp >= 0 else 0.0
                if c == 0.0:
                    continue
                amat = _rank1(tj, tjp, lq)
                if amat[2].size:
                    add(_sandwich(amat, amat), where[tjp], off, rate * c)
        gt = _triplets(g)
        add(_kron_coo(gt, eye), off, off)
        add(_kron_coo(eye, (gt[0], gt[1], np.conj(gt[2]), gt[3])), off, off)
    rows, cols, vals = (np.concatenate(x) for x in zip(*trip))  # int32 indices: less memory traffic
    return DickeLiouvillian(
        n=n,
        triplets=(rows, cols, vals),
        twojs=tuple(twojs),
        offsets=offsets,
        dimension=int(sum(sizes)),
    )
