r"""Exact entanglement of permutation-invariant N-qubit states in the Schur basis.

A state that commutes with every permutation of its ``N`` qubits is, by
Schur-Weyl duality,

.. math::
    \rho = \bigoplus_J \rho_J \otimes \mathbb 1_{d_J},\qquad
    d_J(N) = \binom{N}{N/2-J} - \binom{N}{N/2-J-1},\qquad \sum_J d_J\,\mathrm{tr}\,\rho_J = 1,

with one ``(2J+1) x (2J+1)`` block per total spin ``J`` (basis ``m = J, ..., -J``,
Condon-Shortley phases).  There are :math:`\sum_J (2J+1)^2 = \binom{N+3}{3}` numbers,
as many as symmetric Pauli correlations, and none of them needs a ``2^N`` matrix.

**From correlations.**  The permutation-symmetric solver gives
:math:`t(n) = \langle\sigma_s\rangle` for Pauli strings with occupations
:math:`n = (n_I, n_X, n_Y, n_Z)`.  Viewed as a vector of the symmetric tensor space
:math:`\mathrm{Sym}^N(M_2)` (a four-mode Fock space), ``rho`` has the orthonormal
coordinates :math:`u(n) = 2^{-N/2}\sqrt{\binom{N}{n}}\,t(n)` (evaluated in logs:
the multinomials reach :math:`4^N`).  A one-site unitary change of basis from the
normalised Paulis to the matrix units :math:`E_{ab} = |a\rangle\langle b|` acts on
this Fock space as two two-mode "beam splitters", ``(I, Z) -> (E_00, E_11)`` and
``(X, Y) -> (E_01, E_10)``, i.e. spin-``p/2`` Wigner matrices computed as the
exponential of a Hermitian tridiagonal generator (unitary, hence stable at any N).
In the matrix-unit Fock space, left and right multiplication by collective spin
operators are bilinear boson operators; the coupled states
:math:`|J, m, m'\rangle` (eigenvectors of the left Casimir, tridiagonal within each
sector of fixed ``(m, m')``, signs fixed by the lowering operators) represent
:math:`|J m\rangle\langle J m'| \otimes \mathbb 1_{d_J}/\sqrt{d_J}`, so
:math:`(\rho_J)_{mm'} = \langle J, m, m'|u\rangle/\sqrt{d_J}`.

**Negativity.**  For the bipartition of ``k`` qubits against ``N - k``, the state
commutes with :math:`S_k \times S_{N-k}`, so in the product of the two Schur bases it
is :math:`\bigoplus_{j_A j_B} X_{j_A j_B}\otimes \mathbb 1_{d_{j_A}(k)\,d_{j_B}(N-k)}`
with :math:`X_{j_A j_B} = \sum_J C_J\,\rho_J\,C_J^T` (``C_J`` the real
Clebsch-Gordan isometry :math:`V_J \to V_{j_A}\otimes V_{j_B}`).  The Schur transform
is real, so the partial transpose on ``A`` transposes :math:`V_{j_A}` only, and

.. math::
    \mathcal N_k = \sum_{j_A \le k/2,\ j_B \le (N-k)/2} d_{j_A}(k)\,d_{j_B}(N-k)\,
    \nu(j_A, j_B),\qquad \nu = \sum |\text{negative eigenvalues of } X_{j_A j_B}^{T_A}|,

where ``nu`` does not depend on ``k``: one table of ``nu`` serves every bipartition
(the average over all :math:`2^{N-1}-1` of them included).  Blocks have size at most
``(k+1)(N-k+1)``; a discrete rotation symmetry of the state (e.g. the parity of the
reset model) splits them further.  The convention is that of
:func:`opentangle.measures.negativity`: the sum of the absolute values of the
negative eigenvalues of the partial transpose, :math:`(\lVert\rho^{T_A}\rVert_1 - 1)/2`.

**Cost.**  ``nu(j_A, j_B) = nu(j_B, j_A)`` (the blocks are swapped by SWAP, and a full transpose keeps
the spectrum), so one table over unordered pairs serves every cut.  Per pair, the Clebsch-Gordan
rows come from one lowering step per ``M`` layer, ``X`` is built layer by layer against the
columns its symmetry class allows, and each symmetry sector of :math:`X^{T_A}` is one gather
followed by a (complex Hermitian) eigenvalue solve, which dominates from N of about 40 on:
:math:`\sum K^3` over the pairs grows like :math:`N^8`.  ``method="reference"`` keeps the previous
implementation (ordered pairs, full ``X``); ``workers=`` spreads the pairs over threads.

References: J. I. Cirac, A. K. Ekert, C. Macchiavello, PRL 82, 4344 (1999) (Schur
blocks of symmetric states); B. A. Chase, J. M. Geremia, PRA 78, 052101 (2008);
L. Hartmann, W. Dür, H. J. Briegel, PRA 74, 052304 (2006) (average negativity).

Example
-------
>>> from opentangle.states import ghz_state
>>> st = PIState.from_dense(ghz_state(4))
>>> round(st.negativity(2), 12), round(st.average_negativity(), 12)
(0.5, 0.5)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from opentangle._convert import as_array
from opentangle.errors import DimensionError, InvalidParameterError, InvalidStateError
from opentangle.operators import PAULIS, spin_operators

__all__ = [
    "MAX_DENSE_N",
    "MAX_REDUCED_K",
    "SCHUR_AUTO_MAX_N",
    "SCHUR_AUTO_MIN_N",
    "PIState",
    "SchurNegativity",
    "multiplicity",
    "negativity_seconds",
    "schur_memory_estimate",
]

#: largest N for the dense ``2^N`` conversions (``from_dense``, ``to_dense``); tests only.
MAX_DENSE_N = 10
#: largest k of :meth:`PIState.reduced_state`.
MAX_REDUCED_K = 6
#: largest memory (bytes) the Schur tables of one state may take (schur_memory_estimate).
MAX_MEMORY = 8e9
#: largest N at which :meth:`PIState.from_symmetric` re-solves on the Schur blocks by default (the reset
#: study's symmetric cap; the iterative Schur solve at N = 100 took 338 s at load average ~13 on 2 cores,
#: 2.2x faster than the direct LU at N = 80 in the same run: ``benchmarks/bench_permutation.py --schur 80 100``).
SCHUR_AUTO_MAX_N = 113
#: seconds per unit of (sector size)^3 in the negativity eigensolvers (time estimate, calibrated on a 2-core
#: AMD EPYC VM on 2026-12-02, reset steady state g = 3, r = 4, every cut and the average: N = 50 2.9 s,
#: N = 60 8.1 s, N = 100 337 s of CPU on two workers; the estimate is 0.9x, 1.2x and 1.5x that)
NEGATIVITY_SECONDS_PER_UNIT = 7e-10
#: below this N, ``from_symmetric(method="auto")`` converts the Pauli correlations: their error
#: amplification is at rounding level there (1e-14 at N = 20 for 1e-16 input errors), and it
#: avoids a second solve in threshold scans over many small-N points.
SCHUR_AUTO_MIN_N = 17
#: an off-symmetry entry below this fraction of its block's largest entry counts as zero.
_SYMMETRY_RTOL = 1e-12


# --------------------------------------------------------------------------- counting
def multiplicity(n: int, j: float) -> int:
    r"""Multiplicity :math:`d_J(N) = \binom{N}{N/2-J} - \binom{N}{N/2-J-1}` of spin ``J`` in ``N`` qubits.

    Example
    -------
    >>> [multiplicity(4, j) for j in (0, 1, 2)]
    [2, 3, 1]
    """
    n = int(n)
    twoj = round(2 * float(j))
    if twoj < 0 or twoj > n or (n - twoj) % 2:
        return 0
    r = (n - twoj) // 2
    return math.comb(n, r) - (math.comb(n, r - 1) if r >= 1 else 0)


def _twojs(n: int) -> list[int]:
    return list(range(n % 2, n + 1, 2))


def schur_memory_estimate(n: int) -> float:
    """Peak bytes of a negativity table of ``n`` qubits (the largest partial-transpose block, a few copies)."""
    n = int(n)
    k = (n // 2 + 1) * ((n + 1) // 2 + 1)
    return 6 * 16.0 * k * k + 48.0 * (n + 1) ** 3


# --------------------------------------------------------------------------- two-mode Fock unitaries
def _fock_unitary(u: np.ndarray, p: int) -> np.ndarray:
    r"""``D[k_out, k_in]``: action of the one-boson unitary ``u`` on two-mode Fock states with ``p`` bosons.

    Mode ``y`` goes to :math:`\sum_x u_{xy}` mode ``x``; ``k`` counts bosons in mode 0.
    Computed as :math:`e^{i\hat G}`, :math:`\hat G = \sum_{xy} G_{xy} c_x^\dagger c_y` with
    :math:`u = e^{iG}` (a Hermitian tridiagonal matrix, exponentiated by ``eigh``: unitary to
    rounding at any ``p``).
    """
    g = _unitary_log(u)
    k = np.arange(p + 1, dtype=float)
    gen = np.diag(g[0, 0] * k + g[1, 1] * (p - k)).astype(complex)
    off = np.sqrt((k[:-1] + 1) * (p - k[:-1]))
    gen[np.arange(1, p + 1), np.arange(p)] = g[0, 1] * off
    gen[np.arange(p), np.arange(1, p + 1)] = g[1, 0] * off
    w, q = np.linalg.eigh(gen)
    return (q * np.exp(1j * w)) @ q.conj().T


def _unitary_log(u: np.ndarray) -> np.ndarray:
    r"""A Hermitian ``g`` with ``u = exp(i g)`` for a 2x2 unitary ``u`` with distinct eigenvalues (NumPy only).

    Any branch of the eigenvalues' angles will do for :func:`_fock_unitary`: two branches differ by
    :math:`2\pi` times a projector, which acts on Fock states as :math:`e^{2\pi i k} = 1`.
    """
    w, z = np.linalg.eig(u)
    g = z @ np.diag(np.angle(w)) @ np.linalg.inv(z)
    return 0.5 * (g + g.conj().T)


_U_IZ = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)  # (I, Z) -> (E00, E11)
_U_XY = np.array([[1, -1j], [1, 1j]], dtype=complex) / math.sqrt(2)  # (X, Y) -> (E01, E10)


@lru_cache(maxsize=4)
def _wigner_tables(n: int) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    return (tuple(_fock_unitary(_U_IZ, p) for p in range(n + 1)), tuple(_fock_unitary(_U_XY, p) for p in range(n + 1)))


# --------------------------------------------------------------------------- coupled sectors
@lru_cache(maxsize=4)
def _sectors(n: int) -> dict[tuple[int, int], np.ndarray]:
    r"""Coupled states :math:`|J, m, m'\rangle` of the matrix-unit Fock space, per sector ``(a, c)``.

    ``a = N/2 + m`` (zeros in the ket), ``c = N/2 + m'`` (zeros in the bra); the basis of the
    sector is ``k = n_00`` from ``max(0, a + c - N)`` up; column ``i`` is ``2J = N - 2(s-1) + 2i``.
    """
    out: dict[tuple[int, int], np.ndarray] = {}
    for a in range(n, -1, -1):
        for c in range(n, -1, -1):
            kmin, kmax = max(0, a + c - n), min(a, c)
            k = np.arange(kmin, kmax + 1, dtype=float)
            s = k.size
            ml = a - n / 2
            n01, n10, n11 = a - k, c - k, n - a - c + k
            diag = ml * ml - ml + k * (n10 + 1) + n01 * (n11 + 1)
            if s > 1:
                off = np.sqrt(n01[:-1] * n10[:-1] * (k[:-1] + 1) * (n11[:-1] + 1))
                # a Jacobi matrix (off > 0): simple eigenvalues, vectors fixed up to the signs set below
                _, vec = np.linalg.eigh(np.diag(diag) + np.diag(off, 1) + np.diag(off, -1))
            else:
                vec = np.ones((1, 1))
            out[(a, c)] = _fix_signs(out, vec, a, c, kmin, n)
    return out


def _lowered(prev: np.ndarray, kmin: int, s: int, coeff_down, coeff_same, kp: np.ndarray):
    """Apply a lowering operator (k -> k-1 with ``coeff_down``, k -> k with ``coeff_same``) to columns of ``prev``."""
    out = np.zeros((s, prev.shape[1]))
    for shift, cf in ((1, coeff_down), (0, coeff_same)):
        tgt = kp - shift - kmin
        ok = (tgt >= 0) & (tgt < s) & (cf > 0)
        np.add.at(out, tgt[ok], cf[ok, None] * prev[ok])
    return out


def _fix_signs(done: dict, vec: np.ndarray, a: int, c: int, kmin: int, n: int) -> np.ndarray:
    """Condon-Shortley signs: lowering |J, m+1, m'> (or |J, m, m'+1>) gives a positive multiple."""
    s = vec.shape[1]
    twoj0 = n - 2 * (s - 1)
    ml2, mr2 = 2 * a - n, 2 * c - n
    signs = np.ones(s)
    if (a + 1, c) in done:  # J > m: from L_- |J, m+1, m'>
        prev = done[(a + 1, c)]
        kpm = max(0, a + 1 + c - n)
        kp = np.arange(kpm, kpm + prev.shape[0])
        low = _lowered(prev, kmin, s, np.sqrt(kp * (c - kp + 1.0)), np.sqrt((a + 1.0 - kp) * (n - a - c + kp)), kp)
        # prev columns start at 2J = n - 2(s_prev - 1); align the shared J values
        p0 = n - 2 * (prev.shape[1] - 1)
        for i in range(s):
            tj = twoj0 + 2 * i
            if tj > ml2:
                signs[i] = np.sign(vec[:, i] @ low[:, (tj - p0) // 2]) or 1.0
    for i in range(s):
        tj = twoj0 + 2 * i
        if tj == ml2:  # J = m: from R_- |J, m, m'+1>, or the top state |J, J, J>
            if mr2 < tj:
                prev = done[(a, c + 1)]
                kpm = max(0, a + c + 1 - n)
                kp = np.arange(kpm, kpm + prev.shape[0])
                p0 = n - 2 * (prev.shape[1] - 1)
                col = prev[:, [(tj - p0) // 2]]
                low = _lowered(
                    col, kmin, s, np.sqrt(kp * (a - kp + 1.0)), np.sqrt((c + 1.0 - kp) * (n - a - c + kp)), kp
                )
                signs[i] = np.sign(vec[:, i] @ low[:, 0]) or 1.0
            else:  # the positive operator |JJ><JJ| has a positive diagonal component (k = kmax)
                signs[i] = np.sign(vec[-1, i]) or 1.0
    return vec * signs


# --------------------------------------------------------------------------- Clebsch-Gordan tables
@lru_cache(maxsize=512)
def _cg_table(ja2: int, jb2: int) -> tuple[np.ndarray, np.ndarray]:
    r"""``(C, twoJ)``: :math:`C[i_A, i_B, l] = \langle j_A m_A; j_B m_B | J_l, m_A + m_B\rangle` (real, Condon-Shortley).

    Top states from the two-term recursion of :math:`J_+|JJ\rangle = 0` (a product of positive
    ratios with alternating signs, no cancellation), the rest by lowering.
    """
    da, db = ja2 + 1, jb2 + 1
    ja, jb = ja2 / 2, jb2 / 2
    twoj = np.arange(abs(ja2 - jb2), ja2 + jb2 + 1, 2)
    j = twoj / 2.0
    nj = twoj.size
    # top states: element t has m_A = j_A - t, m_B = J - m_A, i.e. i_B = ib0 - t
    ib0 = np.rint(jb - j + ja).astype(int)
    steps = np.arange(1, da)
    with np.errstate(divide="ignore", invalid="ignore"):
        num = steps * (ja2 - steps + 1.0)
        den = (jb - j[:, None] + ja - steps + 1) * (jb + j[:, None] - ja + steps)
        ratio = 0.5 * (np.log(np.where(den > 0, den, np.nan)) - np.log(num))
    valid = np.arange(da)[None, :] <= np.minimum(ib0, da - 1)[:, None]
    logc = np.concatenate([np.zeros((nj, 1)), np.nancumsum(ratio, axis=1)], axis=1)
    logc = np.where(valid, logc, -np.inf)
    c = np.exp(logc - logc.max(axis=1, keepdims=True)) * (-1.0) ** np.arange(da)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    cur = np.zeros((nj, da, db))
    lj, lt = np.nonzero(valid)
    cur[lj, lt, ib0[lj] - lt] = c[lj, lt]
    table = cur.copy()
    ma = ja - np.arange(da)
    mb = jb - np.arange(db)
    am_a = np.sqrt((ja + ma) * (ja - ma + 1))[None, :-1, None]  # J_- coefficients
    am_b = np.sqrt((jb + mb) * (jb - mb + 1))[None, None, :-1]
    for depth in range(int(twoj.max())):  # lower every J from M = J - depth to M - 1
        mm = j - depth
        alive = depth < twoj
        nxt = np.zeros_like(cur)
        nxt[:, 1:, :] += am_a * cur[:, :-1, :]
        nxt[:, :, 1:] += am_b * cur[:, :, :-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(alive, 1.0 / np.sqrt(np.maximum((j + mm) * (j - mm + 1), 1e-300)), 0.0)
        cur = nxt * scale[:, None, None]
        table += cur
    return np.moveaxis(table, 0, -1), twoj


@lru_cache(maxsize=256)
def _cg_rows(ja2: int, jb2: int) -> tuple[np.ndarray, np.ndarray]:
    r"""``(A, twoJ)``: the table of :func:`_cg_table` as ``A[i_A d_B + i_B, l]``, computed one ``M`` layer at a time.

    The same recursion (top states from :math:`J_+|JJ\rangle = 0`, the rest by lowering), but each
    lowering step acts only on the layer :math:`i_A + i_B = L` it reaches (``O(K nJ)`` work in all
    instead of ``O(K nJ (d_A + d_B))``).
    """
    da, db = ja2 + 1, jb2 + 1
    ja, jb = ja2 / 2, jb2 / 2
    twoj = np.arange(abs(ja2 - jb2), ja2 + jb2 + 1, 2)
    j = twoj / 2.0
    nj = twoj.size
    start = (ja2 + jb2 - twoj) // 2  # layer of the top state |J, J>
    steps = np.arange(1, da)
    with np.errstate(divide="ignore", invalid="ignore"):
        num = steps * (ja2 - steps + 1.0)
        den = (jb - j[:, None] + ja - steps + 1) * (jb + j[:, None] - ja + steps)
        ratio = 0.5 * (np.log(np.where(den > 0, den, np.nan)) - np.log(num))
    valid = np.arange(da)[None, :] <= np.minimum(start, da - 1)[:, None]
    logc = np.concatenate([np.zeros((nj, 1)), np.nancumsum(ratio, axis=1)], axis=1)
    logc = np.where(valid, logc, -np.inf)
    top = np.exp(logc - logc.max(axis=1, keepdims=True)) * (-1.0) ** np.arange(da)
    top /= np.linalg.norm(top, axis=1, keepdims=True)  # top[l, iA]: i_B = start_l - iA
    nl = ja2 + jb2 + 1
    ia, lay = np.arange(da), np.arange(nl)
    am_a = np.sqrt((ja2 - ia[:-1]) * (ia[:-1] + 1.0))  # J_-^A: row iA -> iA + 1
    src = lay[:, None] - 1 - ia[None, :]  # i_B - 1 of (iA, i_B = L - iA), the J_-^B source in layer L - 1
    am_b = np.where((src >= 0) & (src < db - 1), np.sqrt(np.clip((jb2 - src) * (src + 1.0), 0, None)), 0.0)
    depth = lay[:, None] - start[None, :]  # lowering steps from |J, J> to layer L; M = J - depth
    alive = (depth >= 1) & (depth <= twoj[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        m_old = j[None, :] - depth + 1
        scale = np.where(alive, 1.0 / np.sqrt(np.abs((j + m_old) * (j - m_old + 1))), 0.0)
    first = -np.ones(nl, dtype=int)
    first[start] = np.arange(nj)
    layers = np.zeros((nl, nj, da))
    cur = np.zeros((nj, da))
    for layer in range(nl):
        nxt = cur * am_b[layer]
        nxt[:, 1:] += am_a * cur[:, :-1]
        cur = nxt * scale[layer][:, None]
        if first[layer] >= 0:
            cur[first[layer]] = top[first[layer]]
        layers[layer] = cur
    ll, ii = np.nonzero((lay[:, None] - ia[None, :] >= 0) & (lay[:, None] - ia[None, :] < db))
    out = np.zeros((da, db, nj))
    out[ii, ll - ii] = layers[ll, :, ii]
    return out.reshape(da * db, nj), twoj


def _pair_plan(
    ja2: int, jb2: int, g: int
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int, int, int]], np.ndarray]:
    """``(A, twoJ, spans, layer)``: CG rows of a ``(j_A, j_B)`` pair sorted by (symmetry class, M layer) and a permutation.

    ``spans[L] = (r0, r1, c0, c1)``: the sorted rows of layer ``L`` and the columns it may couple to
    (the same class: ``M - M' = 0 mod g``); ``pos[i_A d_B + i_B]`` is the sorted position of a row.
    """
    a_rows, twoj = _cg_rows(ja2, jb2)
    kdim, nl = a_rows.shape[0], ja2 + jb2 + 1
    ia, ib = np.divmod(np.arange(kdim), jb2 + 1)
    lay = ia + ib  # M = (jA2 + jB2)/2 - L in layer L = iA + iB
    layers = np.arange(nl)
    cls_of = np.zeros(nl, dtype=int) if g == 1 else (layers if g == 0 else layers % g)
    key = cls_of[lay] * nl + lay
    order = np.argsort(key, kind="stable")
    pos = np.empty(kdim, dtype=np.int64)
    pos[order] = np.arange(kdim)
    key_s, cls_s = key[order], cls_of[lay[order]]
    r0 = np.searchsorted(key_s, cls_of * nl + layers, "left")
    r1 = np.searchsorted(key_s, cls_of * nl + layers, "right")
    c0 = np.searchsorted(cls_s, cls_of, "left")
    c1 = np.searchsorted(cls_s, cls_of, "right")
    spans = [(int(r0[i]), int(r1[i]), int(c0[i]), int(c1[i])) for i in range(nl)]
    return a_rows[order], twoj, spans, pos


# --------------------------------------------------------------------------- the state
@dataclass(frozen=True, eq=False)
class SchurNegativity:
    r"""Negativities of a permutation-invariant state for every bipartition size.

    ``by_k[k-1]`` is :math:`\mathcal N_k` for ``k = 1 .. floor(N/2)``; ``average`` the mean over
    all :math:`2^{N-1}-1` unordered bipartitions; ``errors`` / ``average_error`` the rounding
    error estimates (:meth:`PIState.negativity_error`); ``symmetry`` the discrete rotation group
    (``"Z2"``, ``"U1"`` or ``"none"``) used to split the blocks.
    """

    n: int
    by_k: np.ndarray
    average: float
    errors: np.ndarray
    average_error: float
    symmetry: str

    @property
    def half(self) -> float:
        r""":math:`\mathcal N_{\lfloor N/2\rfloor}`."""
        return float(self.by_k[-1])

    def __repr__(self) -> str:
        return (
            f"SchurNegativity(n={self.n}, half={self.half:.6g} +- {self.errors[-1]:.1e}, "
            f"average={self.average:.6g} +- {self.average_error:.1e}, symmetry={self.symmetry})"
        )


@dataclass(frozen=True, eq=False)
class PIState:
    r"""Permutation-invariant state of ``n`` qubits as Schur blocks :math:`\rho = \oplus_J \rho_J\otimes 1_{d_J}`.

    ``blocks[i]`` is :math:`\rho_J` for :math:`2J` = ``twojs[i]`` (``n % 2, n % 2 + 2, ..., n``),
    in the basis ``m = J, J-1, ..., -J``.  Build with :meth:`from_correlations`,
    :meth:`from_symmetric`, :meth:`from_dense` or :meth:`from_spin`.

    Example
    -------
    >>> import numpy as np
    >>> st = PIState.from_spin(np.diag([1.0, 0, 0]))       # |J = 1, m = 1> = |00>
    >>> round(st.negativity(1), 12)
    0.0
    """

    n: int
    blocks: tuple[np.ndarray, ...]
    errors: tuple[float, ...] | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = _check_n(self.n)
        shapes = [np.shape(b) for b in self.blocks]
        want = [(t + 1, t + 1) for t in _twojs(n)]
        if shapes != want:
            raise DimensionError(f"N = {n} needs blocks of shapes {want} (2J = {_twojs(n)}); got {shapes}")
        object.__setattr__(self, "blocks", tuple(np.asarray(b, dtype=complex) for b in self.blocks))
        if self.errors is None:
            object.__setattr__(self, "errors", (0.0,) * len(self.blocks))

    # ---------------------------------------------------------------- basics
    @property
    def twojs(self) -> list[int]:
        return _twojs(self.n)

    def block(self, j: float) -> np.ndarray:
        """The block :math:`\\rho_J` of total spin ``j``."""
        twoj = round(2 * float(j))
        if twoj not in self.twojs:
            raise InvalidParameterError(
                f"spin j = {j} does not occur in {self.n} qubits; use one of {[t / 2 for t in self.twojs]}"
            )
        return self.blocks[self.twojs.index(twoj)]

    @property
    def multiplicities(self) -> np.ndarray:
        """:math:`d_J` per block (floats; exact integers up to 2^53)."""
        return np.array([float(multiplicity(self.n, t / 2)) for t in self.twojs])

    @property
    def populations(self) -> np.ndarray:
        r""":math:`p_J = d_J\,\mathrm{tr}\,\rho_J`, the probability of total spin ``J`` (sums to 1)."""
        return np.array([d * np.trace(b).real for d, b in zip(self.multiplicities, self.blocks)])

    def min_eigenvalue(self) -> float:
        r"""Smallest eigenvalue of the normalised blocks :math:`d_J\rho_J` (``>= 0`` for a state)."""
        return float(
            min(np.linalg.eigvalsh(d * (b + b.conj().T) / 2).min() for d, b in zip(self.multiplicities, self.blocks))
        )

    def check(self, *, atol: float = 1e-8) -> PIState:
        """Raise :class:`InvalidStateError` unless trace 1, Hermitian and PSD (to ``atol``); return self."""
        tr = float(self.populations.sum())
        herm = max(float(np.abs(b - b.conj().T).max()) * d for d, b in zip(self.multiplicities, self.blocks))
        lam = self.min_eigenvalue()
        if abs(tr - 1) > atol or herm > atol or lam < -atol:
            raise InvalidStateError(
                f"not a density matrix: trace {tr:.3e}, Hermiticity error {herm:.1e}, smallest normalised "
                f"block eigenvalue {lam:.3e} (tolerance {atol:g})"
            )
        return self

    def __repr__(self) -> str:
        p = self.populations
        top = np.argsort(p)[::-1][:3]
        desc = ", ".join(f"J={self.twojs[i] / 2:g}: {p[i]:.3g}" for i in top)
        return f"PIState(n={self.n}, blocks={len(self.blocks)}, populations {desc}, ...)"

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_correlations(cls, correlations: Any, *, n: int, occupations: Any, lookup: Any = None) -> PIState:
        r"""Schur blocks from symmetric Pauli correlations ``t`` (see the module docstring).

        ``correlations[i]`` is :math:`\langle\sigma_s\rangle` for any Pauli string with occupations
        ``occupations[i] = (n_I, n_X, n_Y, n_Z)``; the layout of
        :class:`opentangle.lindblad.permutation.SymmetricLiouvillian` (``lookup[n_X, n_Y, n_Z]``
        gives the row; built from ``occupations`` when omitted).
        """
        n = _check_n(n)
        if schur_memory_estimate(n) > MAX_MEMORY:
            raise InvalidParameterError(
                f"N = {n}: the Schur tables need an estimated {schur_memory_estimate(n) / 1e9:.1f} GB "
                f"(limit MAX_MEMORY = {MAX_MEMORY / 1e9:.0f} GB); use a smaller N"
            )
        t = np.asarray(correlations, dtype=float).ravel()
        occ = np.asarray(occupations, dtype=np.int64)
        if occ.shape != (math.comb(n + 3, 3), 4) or t.shape != (occ.shape[0],) or np.any(occ.sum(axis=1) != n):
            raise DimensionError(
                f"need C(N+3,3) = {math.comb(n + 3, 3)} correlations with occupation rows summing "
                f"to N = {n}; got t {t.shape}, occupations {occ.shape}"
            )
        if not np.all(np.isfinite(t)):
            raise InvalidStateError("correlations must be finite")
        if lookup is None:
            lookup = -np.ones((n + 1,) * 3, dtype=np.int64)
            lookup[occ[:, 1], occ[:, 2], occ[:, 3]] = np.arange(occ.shape[0])
        lookup = np.asarray(lookup)
        if lookup.shape != (n + 1,) * 3 or not np.issubdtype(lookup.dtype, np.integer):
            raise DimensionError(f"lookup must be an integer array of shape {(n + 1,) * 3}; got {lookup.shape}")
        if abs(t[lookup[0, 0, 0]] - 1) > 1e-8:
            raise InvalidStateError(f"t(N,0,0,0) = tr rho must be 1; got {t[lookup[0, 0, 0]]!r}")
        raw = _blocks_from_t(n, t, lookup)
        # (rho_J)_{mm'} and (rho_J)_{m'm} come from different sectors: the anti-Hermitian part is rounding
        errors = tuple(float(np.linalg.norm(b - b.conj().T)) for b in raw)
        return cls(n=n, blocks=tuple(0.5 * (b + b.conj().T) for b in raw), errors=errors)

    @classmethod
    def from_symmetric(cls, steady: Any, *, method: str = "auto") -> PIState:
        """Schur blocks of a :class:`~opentangle.lindblad.permutation.SymmetricSteadyState`.

        ``method="schur"`` re-solves the same model on the Schur blocks (``steady.schur_state()``,
        accurate in trace norm, so the negativity error estimates include the solve's own error).
        ``"correlations"`` converts the Pauli correlations ``steady.correlations`` (faster; the
        estimates cover the conversion's rounding only: an absolute error of 1e-16 in ``t`` moves the
        N = 40 half|half negativity by 1.6e-9, so a Pauli solution cannot be certified this way,
        although at N <= 50 it agreed with the Schur solve to 5e-14).  ``"auto"``: ``"schur"`` for
        ``SCHUR_AUTO_MIN_N <= N <= SCHUR_AUTO_MAX_N`` where the Schur solve fits its memory limit
        (:class:`~opentangle.errors.ResourceLimitError` otherwise falls back), else ``"correlations"``.
        """
        from opentangle.errors import ResourceLimitError

        if not (hasattr(steady, "correlations") and hasattr(steady, "liouvillian")):
            raise InvalidParameterError(f"expected a SymmetricSteadyState; got {type(steady).__name__}")
        if method not in ("auto", "schur", "correlations"):
            raise InvalidParameterError(f"method must be 'auto', 'schur' or 'correlations'; got {method!r}")
        can = callable(getattr(steady, "schur_state", None)) and getattr(steady.liouvillian, "model", None) is not None
        if method == "schur" and not can:
            raise InvalidParameterError("method='schur' needs a SymmetricSteadyState that records its model")
        if method == "schur":
            return steady.schur_state()
        if can and method == "auto" and SCHUR_AUTO_MIN_N <= steady.liouvillian.n <= SCHUR_AUTO_MAX_N:
            try:
                return steady.schur_state()
            except ResourceLimitError:  # the Schur solve does not fit: the conversion (its own error estimate)
                pass
        liou = steady.liouvillian
        return cls.from_correlations(steady.correlations, n=liou.n, occupations=liou.occupations, lookup=liou.lookup)

    @classmethod
    def from_dense(cls, rho: Any, *, atol: float = 1e-8) -> PIState:
        """Schur blocks of a dense ``2^N x 2^N`` permutation-invariant density matrix (``N <= MAX_DENSE_N``).

        Raises :class:`InvalidStateError` for a matrix that is not a state or not permutation invariant.
        """
        from opentangle.measures import is_permutation_symmetric
        from opentangle.states import validate_density_matrix

        arr, _ = as_array(rho, name="rho")
        dim = arr.shape[-1] if arr.ndim == 2 else 0
        n = round(math.log2(dim)) if dim > 1 else 0
        if arr.ndim != 2 or arr.shape[0] != dim or 2**n != dim or not 1 <= n <= MAX_DENSE_N:
            raise DimensionError(f"rho must be a 2^N x 2^N matrix with 1 <= N <= {MAX_DENSE_N}; got {arr.shape}")
        arr = validate_density_matrix(arr, atol=atol)
        if n >= 2 and not is_permutation_symmetric(arr, [2] * n, atol=atol):
            raise InvalidStateError(
                "rho is not permutation invariant (it changes under a swap or cyclic shift of "
                "qubits); symmetrise it or use opentangle.measures.negativity on the full state"
            )
        if n == 1:
            return cls(n=1, blocks=(arr.copy(),))
        occ, lookup, t = _dense_correlations(arr, n)
        return cls.from_correlations(t, n=n, occupations=occ, lookup=lookup)

    @classmethod
    def from_spin(cls, rho: Any, *, atol: float = 1e-8) -> PIState:
        r"""A state of the symmetric (Dicke) subspace: spin ``j = N/2`` density matrix, basis ``m = j..-j``.

        Example
        -------
        >>> import numpy as np
        >>> from opentangle.operators import spin_operators
        >>> jx, jy, jz = spin_operators(5)                          # N = 10 qubits
        >>> w, v = np.linalg.eigh(jx)
        >>> st = PIState.from_spin(np.outer(v[:, -1], v[:, -1]))   # all qubits in |+>
        >>> bool(np.allclose(st.reduced_state(2), np.full((4, 4), 0.25)))
        True
        """
        from opentangle.states import validate_density_matrix

        arr = validate_density_matrix(rho, atol=atol)
        n = arr.shape[0] - 1
        if n < 1:
            raise DimensionError(f"a spin-j state has dimension 2j + 1 >= 2; got {arr.shape}")
        blocks = tuple(np.zeros((t + 1, t + 1), complex) for t in _twojs(n)[:-1]) + (arr.astype(complex),)
        return cls(n=n, blocks=blocks)

    # ---------------------------------------------------------------- transformations
    def rotated(self, u: Any) -> PIState:
        r"""The state :math:`U^{\otimes N}\rho\,U^{\dagger\otimes N}` for a 2x2 unitary ``U``."""
        arr, _ = as_array(u, name="u")
        if arr.shape != (2, 2) or not np.allclose(arr.conj().T @ arr, np.eye(2), atol=1e-10):
            raise InvalidParameterError(f"u must be a 2x2 unitary; got shape {arr.shape}")
        arr = arr / np.sqrt(np.linalg.det(arr))  # SU(2); the phase cancels in U rho U^dagger
        vec = _su2_generator(arr)  # u = exp(i g), g = sum_a vec_a sigma_a / 2
        out = []
        for twoj, b in zip(self.twojs, self.blocks):
            jx, jy, jz = spin_operators(twoj / 2)
            d = _expi(vec[0] * jx + vec[1] * jy + vec[2] * jz)
            out.append(d @ b @ d.conj().T)
        return PIState(n=self.n, blocks=tuple(out), errors=self.errors)

    def to_dense(self) -> np.ndarray:
        """The ``2^N x 2^N`` density matrix (``N <= MAX_DENSE_N``), from an explicit Schur basis."""
        if self.n > MAX_DENSE_N:
            raise InvalidParameterError(f"to_dense needs N <= {MAX_DENSE_N} (2^N x 2^N matrix); got N = {self.n}")
        basis = _dense_schur_basis(self.n)
        rho = np.zeros((2**self.n, 2**self.n), complex)
        for twoj, b in zip(self.twojs, self.blocks):
            v = basis[twoj]  # (d_J, 2^N, 2J+1)
            rho += np.einsum("aim,mp,ajp->ij", v, b, v.conj(), optimize=True)
        return rho

    # ---------------------------------------------------------------- entanglement
    def _pair_x(self, ja2: int, jb2: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``X_{jA jB}`` as a ``(dA dB) x (dA dB)`` matrix, row index ``(i_A, i_B)``, and its M layers."""
        table, twoj = _cg_table(ja2, jb2)
        da, db = ja2 + 1, jb2 + 1
        tmax = ja2 + jb2
        a = table.reshape(da * db, twoj.size)  # rows (iA, iB)
        ma = ja2 / 2 - np.arange(da)
        mb = jb2 / 2 - np.arange(db)
        m_row = (ma[:, None] + mb[None, :]).ravel()
        im = np.rint(tmax / 2 - m_row).astype(int)  # index of M in the padded blocks
        g = self._padded(twoj, tmax, real=False)  # (nJ, T, T)
        x = np.zeros((da * db, da * db), complex)
        for layer in _distinct(im):
            rows = np.flatnonzero(im == layer)
            right = g[:, layer, im].T * a  # (cols, nJ): rho_J(M, M'(col)) C_J(col)
            x[rows] = a[rows] @ right.T
        return x, m_row, ma

    def _padded(self, twoj: Any, tmax: int, real: bool) -> np.ndarray:
        """The blocks ``2J in twoj`` centred in ``(tmax + 1)``-square arrays (real parts only if ``real``)."""
        size = tmax + 1
        pad = np.zeros((len(twoj), size, size), float if real else complex)
        for i, t in enumerate(twoj):
            t = int(t)
            b = self.blocks[self.twojs.index(t)]
            o = (tmax - t) // 2
            pad[i, o : o + t + 1, o : o + t + 1] = b.real if real else b
        return pad

    def _symmetry(self) -> tuple[PIState, int]:
        """A rotated, symmetry-projected copy and ``g``: it commutes with rotations by 2 pi / g about z (0: all)."""
        if "sym" in self._cache:
            return self._cache["sym"]
        best = (self, 1)
        for u in _candidate_rotations(self):
            st = self if u is None else self.rotated(u)
            g = _z_symmetry_order(st)
            if g == 0 or (g > best[1] and best[1] != 0):
                best = (_project_symmetry(st, g), g)
            if g == 0:
                break
        self._cache["sym"] = best
        return best

    def _imag_norms(self) -> tuple[np.ndarray, np.ndarray]:
        """Frobenius norms of the real and imaginary parts of the blocks, in ``twojs`` order (cached)."""
        if "imag_norms" not in self._cache:
            re = np.array([np.linalg.norm(np.real(b)) for b in self.blocks])
            im = np.array([np.linalg.norm(np.imag(b)) for b in self.blocks])
            self._cache["imag_norms"] = (re, im)
        return self._cache["imag_norms"]

    def _pair_is_real(self, twoj: Any) -> tuple[bool, float]:
        r"""``(real, dropped)``: whether :math:`X_{j_A j_B}` is real to rounding, and :math:`\lVert\mathrm{Im}\,X
        Vert_F`.

                :math:`X = \sum_J C_J
        ho_J C_J^T` with real isometries :math:`C_J` of orthogonal ranges, so
                :math:`\lVert\mathrm{Im}\,X
        Vert_F^2 = \sum_J\lVert\mathrm{Im}\,
        ho_J
        Vert_F^2` (and the same for the real part).
        """
        re, im = self._imag_norms()
        sel = [self.twojs.index(int(t)) for t in twoj]
        dropped = float(np.sqrt(np.sum(im[sel] ** 2)))
        return dropped <= 1e-13 * float(np.sqrt(np.sum(re[sel] ** 2))), dropped

    def _pt_sectors(self, ja2: int, jb2: int, g: int, real: bool = False) -> list[np.ndarray]:
        r"""The symmetry sectors of :math:`X_{j_A j_B}^{T_A}` (Hermitian for Hermitian blocks; lower triangle read), for a state with rotation order ``g``.

        :math:`X = \sum_J C_J\rho_J C_J^T`, rows sorted by (symmetry class, ``M``), is built one ``M``
        layer of rows at a time against the columns of its class only (``M - M' = 0 mod g``), one
        matrix product each; each sector of the partial transpose (rows :math:`(i_A', i_B)` with
        equal :math:`2(m_B - m_A') \bmod 2g`) is then one gather.
        """
        a, twoj, spans, pos = _pair_plan(ja2, jb2, g)
        kdim, db = a.shape[0], jb2 + 1
        pad = self._padded(twoj, ja2 + jb2, real)  # (nJ, T, T)
        lay = np.empty(kdim, dtype=int)
        for layer, (r0, r1, _, _) in enumerate(spans):
            lay[r0:r1] = layer
        at = np.ascontiguousarray(a.T)
        if real:
            x = np.zeros((kdim, kdim))
            for layer, (r0, r1, c0, c1) in enumerate(spans):
                x[r0:r1, c0:c1] = a[r0:r1] @ (pad[:, layer, lay[c0:c1]] * at[:, c0:c1])
        else:
            x = np.zeros((kdim, kdim), complex)
            xr = x.view(np.float64)  # real (A) times complex: one real product on the interleaved parts
            for layer, (r0, r1, c0, c1) in enumerate(spans):
                z = pad[:, layer, lay[c0:c1]] * at[:, c0:c1]
                xr[r0:r1, 2 * c0 : 2 * c1] = a[r0:r1] @ z.view(np.float64)
        ia, ib = np.divmod(np.arange(kdim), db)
        q2 = jb2 - ja2 + 2 * (ia - ib)  # row (iA', iB) of X^{T_A}: 2(m_B - m_A')
        labels = q2 if g == 0 else np.mod(q2, 2 * g)
        flat = x.ravel()
        out = []
        for lab in _distinct(labels):
            ra, rb = ia[labels == lab], ib[labels == lab]
            # X^{T_A}[(iA', iB), (iA, iB')] = X[(iA, iB), (iA', iB')]
            out.append(flat[pos[ra[None, :] * db + rb[:, None]] * kdim + pos[ra[:, None] * db + rb[None, :]]])
        return out

    def _nu(self, ja2: int, jb2: int, method: str = "fast") -> tuple[float, float]:
        r"""``(nu, error)``: sum of |negative eigenvalues| of ``X_{jA jB}^{T_A}`` and an error estimate.

        ``nu`` is symmetric in its arguments (:math:`X_{j_B j_A} = \mathrm{SWAP}\,X_{j_A j_B}\,\mathrm{SWAP}`
        and a full transpose keeps the spectrum), so the fast path stores it once per unordered pair.
        The estimate is :math:`\sqrt K\,\lVert\delta X\rVert_F` (Hoffman-Wielandt; the partial
        transpose keeps the Frobenius norm), :math:`\lVert\delta X\rVert_F^2 = \sum_J e_J^2` from
        the block error estimates, plus ``K eps max|lambda|`` for the eigensolver and
        :math:`\sqrt K` times the norm of an imaginary part dropped as rounding.
        """
        if method == "reference":
            return self._nu_reference(ja2, jb2)
        st, g = self._symmetry()
        ja2, jb2 = min(ja2, jb2), max(ja2, jb2)
        key = ("nu_fast", ja2, jb2)
        if key in st._cache:
            return st._cache[key]
        twoj = range(jb2 - ja2, ja2 + jb2 + 1, 2)
        if not any(np.any(st.blocks[st.twojs.index(t)]) for t in twoj):  # e.g. a state of the Dicke manifold
            st._cache[("low_fast", ja2, jb2)] = math.inf  # a zero block does not bound the minimum
            st._cache[key] = (0.0, 0.0)
            return 0.0, 0.0
        nu, top, low = 0.0, 0.0, math.inf
        real, dropped = st._pair_is_real(twoj)  # real (e.g. a real model): real arithmetic and eigensolver
        if not real:
            dropped = 0.0
        for sub in st._pt_sectors(ja2, jb2, g, real):
            ev = np.linalg.eigvalsh(sub)
            nu += float(-ev[ev < 0].sum())
            top = max(top, float(np.abs(ev).max()))
            low = min(low, float(ev[0]))
        kdim = (ja2 + 1) * (jb2 + 1)
        e2 = sum(_errs(st)[st.twojs.index(t)] ** 2 for t in twoj)
        err = math.sqrt(kdim * e2) + kdim * 2.3e-16 * top + math.sqrt(kdim) * dropped
        st._cache[("low_fast", ja2, jb2)] = low
        st._cache[key] = (nu, err)
        return nu, err

    def _nu_reference(self, ja2: int, jb2: int) -> tuple[float, float]:
        """The previous implementation of :meth:`_nu` (ordered pairs, full ``X`` then its partial transpose)."""
        st, g = self._symmetry()
        key = ("nu", ja2, jb2)
        if key in st._cache:
            return st._cache[key]
        twoj = range(abs(ja2 - jb2), ja2 + jb2 + 1, 2)
        if not any(np.any(st.blocks[st.twojs.index(t)]) for t in twoj):  # e.g. a state of the Dicke manifold
            st._cache[("low", ja2, jb2)] = math.inf  # a zero block does not bound the minimum
            st._cache[key] = (0.0, 0.0)
            return 0.0, 0.0
        x, _, _ = st._pair_x(ja2, jb2)
        da, db = ja2 + 1, jb2 + 1
        xt = x.reshape(da, db, da, db).transpose(2, 1, 0, 3).reshape(da * db, da * db)  # Hermitian by construction
        ma = ja2 / 2 - np.arange(da)
        mb = jb2 / 2 - np.arange(db)
        q2 = np.rint(2 * (mb[None, :] - ma[:, None])).astype(int).ravel()  # row (iA', iB): 2(m_B - m_A')
        labels = q2 if g == 0 else np.mod(q2, 2 * g)  # rows couple only if 2(M - M') = 0 mod 2g
        nu, top, low = 0.0, 0.0, math.inf
        dropped = float(np.linalg.norm(xt.imag))
        if dropped <= 1e-13 * float(np.linalg.norm(xt.real)):  # a real state (e.g. real model): real eigensolver
            xt = xt.real
        else:
            dropped = 0.0
        for lab in _distinct(labels):
            idx = np.flatnonzero(labels == lab)
            ev = np.linalg.eigvalsh(xt[np.ix_(idx, idx)])
            nu += float(-ev[ev < 0].sum())
            top = max(top, float(np.abs(ev).max()))
            low = min(low, float(ev[0]))
        st._cache[("low", ja2, jb2)] = low
        e2 = sum(_errs(st)[st.twojs.index(t)] ** 2 for t in twoj)
        kdim = da * db
        err = math.sqrt(kdim * e2) + kdim * 2.3e-16 * top + math.sqrt(kdim) * dropped
        st._cache[key] = (nu, err)
        return nu, err

    def _negativity_and_error(self, k: int, method: str = "fast") -> tuple[float, float]:
        k = min(k, self.n - k)
        total = err = 0.0
        for ja2 in range(k % 2, k + 1, 2):
            for jb2 in range((self.n - k) % 2, self.n - k + 1, 2):
                nu, e = self._nu(ja2, jb2, method)
                w = float(multiplicity(k, ja2 / 2)) * float(multiplicity(self.n - k, jb2 / 2))
                total += w * nu
                err += w * e
        return total, err

    def _check_cost(self, ks: Any, method: str, workers: int) -> None:
        """Refuse (ResourceLimitError) before any block is built when the cuts ``ks`` exceed the time limit."""
        from opentangle._limits import Estimate, check_resources

        st, g = self._symmetry()
        done = {(k[1], k[2]) for k in st._cache if k[0] == ("nu" if method == "reference" else "nu_fast")}
        seconds = negativity_seconds(self.n, ks, symmetry=g, workers=workers, skip=done, ordered=method == "reference")
        what = f"the Schur-basis negativities of {len(list(ks))} cut(s) at N = {self.n}"
        check_resources(
            Estimate(what, seconds=seconds, hint="use fewer cuts (negativity(k)), more workers or a smaller N")
        )

    def _prefetch(self, ks: Any, method: str, workers: int) -> None:
        """Fill the ``nu`` table of the cuts ``ks`` with ``workers`` threads (LAPACK releases the GIL), largest blocks first."""
        self._check_cost(ks, method, workers)
        if workers == 1:
            return
        pairs = _pairs(self.n, ks, ordered=method == "reference")
        order = sorted(pairs, key=lambda p: -(p[0] + 1) * (p[1] + 1))
        from concurrent.futures import ThreadPoolExecutor  # lazy: it imports logging (CLI start-up, issue 19)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda p: self._nu(p[0], p[1], method), order))

    def negativity(self, k: int, *, method: str = "fast", workers: int = 1) -> float:
        r"""Negativity of ``k`` qubits against the other ``N - k`` (any ``k``; the state is symmetric).

        ``method="fast"`` (default) or ``"reference"`` (the previous implementation, kept as a check;
        both are exact).  ``workers``: threads over the ``(j_A, j_B)`` blocks (with a one-thread
        BLAS, e.g. ``OMP_NUM_THREADS=1``).

        Example
        -------
        >>> from opentangle.states import ghz_state
        >>> round(PIState.from_dense(ghz_state(5)).negativity(2), 12)
        0.5
        """
        k, method = _check_k(k, self.n), _check_method(method)
        self._prefetch([k], method, _check_workers(workers))
        return self._negativity_and_error(k, method)[0]

    def partial_transpose_minimum(self, k: int, *, method: str = "fast") -> float:
        r"""Smallest eigenvalue of :math:`\rho^{T_A}` for ``k`` qubits in ``A`` (signed: ``< 0`` iff NPT).

        Example
        -------
        >>> from opentangle.states import ghz_state
        >>> round(PIState.from_dense(ghz_state(3)).partial_transpose_minimum(1), 12)
        -0.5
        """
        k = _check_k(k, self.n)
        k = min(k, self.n - k)
        method = _check_method(method)
        st = self._symmetry()[0]
        low = math.inf
        for ja2 in range(k % 2, k + 1, 2):
            for jb2 in range((self.n - k) % 2, self.n - k + 1, 2):
                self._nu(ja2, jb2, method)
                pair = ("low", ja2, jb2) if method == "reference" else ("low_fast", min(ja2, jb2), max(ja2, jb2))
                low = min(low, st._cache[pair])
        return low

    def negativity_error(self, k: int, *, method: str = "fast") -> float:
        """Error estimate of :meth:`negativity` (rounding in the conversion and the eigensolver; not the input's error)."""
        return self._negativity_and_error(_check_k(k, self.n), _check_method(method))[1]

    def negativities(self, *, method: str = "fast", workers: int = 1) -> SchurNegativity:
        r"""All :math:`\mathcal N_k`, ``k = 1..floor(N/2)``, and the average over the :math:`2^{N-1}-1` bipartitions.

        ``method``, ``workers``: as in :meth:`negativity`.  The table of ``nu(j_A, j_B)`` is shared by all ``k``.
        """
        n = self.n
        method = _check_method(method)
        self._prefetch(range(1, n // 2 + 1), method, _check_workers(workers))
        pairs = [self._negativity_and_error(k, method) for k in range(1, n // 2 + 1)]
        by_k = np.array([p[0] for p in pairs])
        errs = np.array([p[1] for p in pairs])
        weights = np.array([math.comb(n, k) / (2 if 2 * k == n else 1) for k in range(1, n // 2 + 1)], dtype=float)
        total = 2.0 ** (n - 1) - 1
        return SchurNegativity(
            n=n,
            by_k=by_k,
            average=float(weights @ by_k / total),
            errors=errs,
            average_error=float(weights @ errs / total),
            symmetry=_sym_name(self._symmetry()[1]),
        )

    def average_negativity(self, *, method: str = "fast", workers: int = 1) -> float:
        """Mean negativity over all unordered bipartitions (as :func:`opentangle.measures.average_negativity`)."""
        return self.negativities(method=method, workers=workers).average

    def reduced_state(self, k: int) -> np.ndarray:
        r"""The ``2^k x 2^k`` state of any ``k`` qubits, ``k <= min(N, MAX_REDUCED_K)``, from the Schur blocks.

        :math:`\rho_A = \oplus_{j_A} Y_{j_A}\otimes 1`, :math:`Y_{j_A} = \sum_{j_B} d_{j_B}(N-k)\,
        \mathrm{tr}_{V_{j_B}} X_{j_A j_B}`, expanded in the Schur basis of ``k`` qubits.
        """
        k = _check_k(k, self.n, upper=min(self.n, MAX_REDUCED_K), allow_all=True)
        if k == self.n:
            return self.to_dense()
        parts = []
        for ja2 in _twojs(k):
            y = np.zeros((ja2 + 1, ja2 + 1), complex)
            for jb2 in _twojs(self.n - k):
                x, _, _ = self._pair_x(ja2, jb2)
                x4 = x.reshape(ja2 + 1, jb2 + 1, ja2 + 1, jb2 + 1)
                y += float(multiplicity(self.n - k, jb2 / 2)) * np.einsum("ibjb->ij", x4)
            parts.append(y)
        return PIState(n=k, blocks=tuple(parts)).to_dense()


# --------------------------------------------------------------------------- helpers
def _pairs(n: int, ks: Any, *, ordered: bool = False) -> set[tuple[int, int]]:
    """The ``(2 j_A, 2 j_B)`` blocks the cuts ``ks`` need (unordered unless ``ordered``)."""
    pairs = set()
    for k in ks:
        k = min(k, n - k)
        for ja2 in range(k % 2, k + 1, 2):
            for jb2 in range((n - k) % 2, n - k + 1, 2):
                pairs.add((ja2, jb2) if ordered else (min(ja2, jb2), max(ja2, jb2)))
    return pairs


def negativity_seconds(
    n: int, ks: Any = None, *, symmetry: int = 1, workers: int = 1, skip: Any = (), ordered: bool = False
) -> float:
    r"""Rough wall time of the Schur-basis negativities of the cuts ``ks`` (default: every cut, as for the average).

    The cost is the dense eigensolvers: a :math:`(j_A, j_B)` block of size :math:`K = d_A d_B`
    splits into ``symmetry = g`` sectors of size :math:`K/g` (``g = 0``, a U(1) symmetry: sectors of
    about :math:`K/\min(d_A, d_B)`), so the cost is :math:`\sum K^3/g^2` times
    :data:`NEGATIVITY_SECONDS_PER_UNIT`, divided by the ``workers`` that have a core.  ``skip``:
    blocks already computed.  The sum grows like :math:`N^8`.

    Example
    -------
    >>> negativity_seconds(100, symmetry=2) > 30 * negativity_seconds(60, symmetry=2)
    True
    """
    ks = range(1, n // 2 + 1) if ks is None else ks
    units = 0.0
    for ja2, jb2 in _pairs(n, ks, ordered=ordered) - set(skip):
        k3 = float((ja2 + 1) * (jb2 + 1)) ** 3
        units += k3 / (min(ja2, jb2) + 1) ** 2 if symmetry == 0 else k3 / max(symmetry, 1) ** 2
    return NEGATIVITY_SECONDS_PER_UNIT * units / max(1, min(workers, os.cpu_count() or 1))


def _errs(st: PIState) -> tuple[float, ...]:
    """The per-block error estimates (always set after ``__post_init__``)."""
    return st.errors if st.errors is not None else (0.0,) * len(st.blocks)


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidParameterError(f"n must be an integer >= 1 (number of qubits); got {n!r}")
    return int(n)


def _check_k(k: Any, n: int, *, upper: int | None = None, allow_all: bool = False) -> int:
    hi = (n if allow_all else n - 1) if upper is None else upper
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= hi:
        raise DimensionError(f"k (qubits in part A) must be an integer in [1, {hi}] for N = {n}; got {k!r}")
    return int(k)


_METHODS = ("fast", "reference")


def _check_method(method: Any) -> str:
    if method not in _METHODS:
        raise InvalidParameterError(f"method must be one of {_METHODS}; got {method!r}")
    return str(method)


def _check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InvalidParameterError(f"workers must be an integer >= 1 (threads); got {workers!r}")
    return int(workers)


def _allowed(dm: np.ndarray, g: int) -> np.ndarray:
    """Which M - M' a state with rotation order ``g`` allows (0: only M = M'; 1: all)."""
    return dm == 0 if g == 0 else (dm % g == 0)


def _sym_name(g: int) -> str:
    return "U1" if g == 0 else ("none" if g == 1 else f"Z{g}")


def _distinct(a: np.ndarray) -> list[int]:
    """The sorted distinct entries of an integer array (``np.unique`` without its first-call import of ``numpy.ma``)."""
    return sorted(set(np.asarray(a).ravel().tolist()))


def _su2_generator(u: np.ndarray) -> list[float]:
    r"""``tr(g sigma_a)``, a = x, y, z, of the traceless Hermitian ``g`` with ``u = exp(i g)`` for ``u`` in SU(2).

    :math:`u = \cos\theta\,1 + i\sin\theta\,\hat n\cdot\vec\sigma` with :math:`\theta \in [0, \pi]` gives
    :math:`g = \theta\,\hat n\cdot\vec\sigma` (the principal logarithm, as from a Schur form), so
    :math:`\mathrm{tr}(g\sigma_a) = 2\theta n_a`; ``u = +-1`` gives zero (a rotation by 0 or 2 pi).

    >>> [round(v, 12) for v in _su2_generator(np.array([[0, 1j], [1j, 0]]))]   # i sigma_x: theta = pi/2
    [3.14159265359, 0.0, 0.0]
    """
    h = (u - u.conj().T) / 2j  # sin(theta) n.sigma
    s_n = np.array([0.5 * np.trace(h @ PAULIS[a]).real for a in "XYZ"])
    s = float(np.linalg.norm(s_n))
    if s == 0.0:
        return [0.0, 0.0, 0.0]
    theta = math.atan2(s, 0.5 * float(np.trace(u).real))
    return [float(v) for v in 2.0 * theta * s_n / s]


def _expi(h: np.ndarray) -> np.ndarray:
    """exp(i h) of a Hermitian matrix."""
    w, v = np.linalg.eigh(h)
    return (v * np.exp(1j * w)) @ v.conj().T


def _candidate_rotations(st: PIState) -> list:
    """Rotations taking a candidate symmetry axis to z: z itself, x, y and the mean-spin direction."""
    s2 = math.sqrt(0.5)
    cands: list = [
        None,
        np.array([[s2, -s2], [s2, s2]], complex),  # y-rotation: x -> z
        np.array([[s2, 1j * s2], [1j * s2, s2]], complex),
    ]  # x-rotation: y -> z
    try:
        r1 = st.reduced_state(1)
        b = np.array([np.trace(r1 @ PAULIS[a]).real for a in "XYZ"])
    except Exception:
        b = np.zeros(3)
    if np.linalg.norm(b) > 1e-9:
        b = b / np.linalg.norm(b)
        # rotate b to z: axis b x z, angle arccos(b_z)
        ax = np.cross(b, [0.0, 0.0, 1.0])
        s = np.linalg.norm(ax)
        if s > 1e-9:
            ang = math.atan2(s, b[2])
            ax = ax / s
            h = -0.5 * ang * sum(c * PAULIS[a] for c, a in zip(ax, "XYZ"))
            cands.append(_expi(h))
    return cands


def _z_symmetry_order(st: PIState) -> int:
    """Largest g such that every block has entries only at m - m' = 0 mod g (0: diagonal blocks).

    An entry counts as present above ``_SYMMETRY_RTOL`` of its block's largest entry, or above 100
    times the block's error estimate, whichever is larger.
    """
    present: set[int] = set()
    for b, err in zip(st.blocks, _errs(st)):
        scale = float(np.abs(b).max())
        tol = max(_SYMMETRY_RTOL * scale, 100.0 * err)
        for dist in range(1, b.shape[0]):
            if max(np.abs(np.diagonal(b, dist)).max(), np.abs(np.diagonal(b, -dist)).max()) > tol:
                present.add(dist)
    if not present:
        return 0
    return math.gcd(*present)


def _project_symmetry(st: PIState, g: int) -> PIState:
    """Drop the entries that the Z_g (g = 0: U(1)) symmetry forbids; their norm joins the error estimate."""
    blocks, errors = [], []
    for b, err in zip(st.blocks, _errs(st)):
        i, j = np.indices(b.shape)
        forbid = (i != j) if g == 0 else ((i - j) % g != 0)
        blocks.append(np.where(forbid, 0.0, b))
        errors.append(err + float(np.linalg.norm(b[forbid])))
    return PIState(n=st.n, blocks=tuple(blocks), errors=tuple(errors))


def _blocks_from_t(n: int, t: np.ndarray, lookup: np.ndarray) -> tuple[np.ndarray, ...]:
    """The conversion of the module docstring: t -> u (Pauli Fock) -> v (matrix-unit Fock) -> rho_J."""
    logfact = np.array([math.lgamma(k + 1.0) for k in range(n + 1)])
    d_iz, d_xy = _wigner_tables(n)
    v3 = np.zeros((n + 1, n + 1, n + 1), complex)  # v3[a, c, k]: a = n00 + n01, c = n00 + n10, k = n00
    log2 = math.log(2.0)
    for p in range(n + 1):
        q = n - p
        ni = np.arange(p + 1)[:, None]
        nx = np.arange(q + 1)[None, :]
        nz, ny = p - ni, q - nx
        rows = lookup[
            np.broadcast_to(nx, (p + 1, q + 1)),
            np.broadcast_to(ny, (p + 1, q + 1)),
            np.broadcast_to(nz, (p + 1, q + 1)),
        ]
        logm = logfact[n] - logfact[ni] - logfact[nx] - logfact[ny] - logfact[nz]
        u = t[rows] * np.exp(0.5 * logm - 0.5 * n * log2)
        v = d_iz[p] @ u @ d_xy[q].T  # v[n00, n01]
        k = np.arange(p + 1)[:, None]
        l = np.arange(q + 1)[None, :]
        a = np.broadcast_to(k + l, v.shape)
        c = np.broadcast_to(k + q - l, v.shape)
        v3[a, c, np.broadcast_to(k, v.shape)] = v
    sectors = _sectors(n)
    twojs = _twojs(n)
    blocks = [np.zeros((t + 1, t + 1), complex) for t in twojs]
    inv_sqrt_d = [1.0 / math.sqrt(float(multiplicity(n, t / 2))) for t in twojs]
    first = twojs[0]
    for (sa, sc), vec in sectors.items():
        kmin = max(0, sa + sc - n)
        size = vec.shape[0]
        coef = vec.T @ v3[sa, sc, kmin : kmin + size]
        t0 = n - 2 * (size - 1)
        for i in range(size):
            tj = t0 + 2 * i
            bi = (tj - first) // 2
            half = tj / 2
            il = round(half - (sa - n / 2))
            ir = round(half - (sc - n / 2))
            blocks[bi][il, ir] = coef[i] * inv_sqrt_d[bi]
    return tuple(blocks)


def pauli_occupations(n: int) -> tuple[np.ndarray, np.ndarray]:
    """All occupations (n_I, n_X, n_Y, n_Z) summing to ``n`` (first row (n, 0, 0, 0)) and the lookup over (n_X, n_Y, n_Z).

    >>> occ, lookup = pauli_occupations(2)
    >>> len(occ), int(lookup[0, 0, 0])
    (10, 0)
    """
    r = np.arange(n + 1)
    nx, ny, nz = (g.ravel() for g in np.meshgrid(r, r, r, indexing="ij"))
    keep = nx + ny + nz <= n
    occ = np.stack([n - nx[keep] - ny[keep] - nz[keep], nx[keep], ny[keep], nz[keep]], axis=1)
    lookup = -np.ones((n + 1,) * 3, dtype=np.int64)
    lookup[occ[:, 1], occ[:, 2], occ[:, 3]] = np.arange(len(occ))
    return occ, lookup


def _dense_correlations(rho: np.ndarray, n: int):
    """Occupations, lookup and t(n) = tr(rho sigma_s) of a dense state (one representative string each)."""
    occ, lookup = pauli_occupations(n)
    paulis = [PAULIS[a] for a in "IXYZ"]
    t = np.empty(len(occ))
    for i, o in enumerate(occ):
        string = [1] * o[1] + [2] * o[2] + [3] * o[3] + [0] * o[0]
        m = rho.reshape((2,) * (2 * n))
        for site, a in enumerate(string):  # contract sigma_a on the ket index of this site
            if a:
                m = np.moveaxis(np.tensordot(paulis[a], m, axes=([1], [site])), 0, site)
        t[i] = np.trace(m.reshape(2**n, 2**n)).real
    return occ, lookup, t


@lru_cache(maxsize=4)
def _dense_schur_basis(n: int) -> dict[int, np.ndarray]:
    r"""``{2J: V}`` with ``V[alpha, :, i]`` = :math:`|J, m = J - i, \alpha\rangle` in the ``2^n`` computational basis.

    Highest-weight vectors from the ``J^2`` eigenspaces of the weight ``m = J`` subspace (any
    orthonormal multiplicity basis), the rest by :math:`J_-` (Condon-Shortley).
    """
    from opentangle.operators import embed

    dims = [2] * n
    jop = [sum(embed(PAULIS[a] / 2, i, dims) for i in range(n)) for a in "XYZ"]
    j2 = sum(o @ o for o in jop).real
    jm = (jop[0] - 1j * jop[1]).real
    ones = np.array([bin(x).count("1") for x in range(2**n)])
    out = {}
    for twoj in _twojs(n):
        j = twoj / 2
        idx = np.flatnonzero(ones == (n - twoj) // 2)  # m = J: (n - 2J)/2 qubits down (|1>)
        w, vec = np.linalg.eigh(j2[np.ix_(idx, idx)])
        top = vec[:, np.abs(w - j * (j + 1)) < 1e-8]
        d = top.shape[1]
        v = np.zeros((d, 2**n, twoj + 1))
        v[:, idx, 0] = top.T
        for i in range(twoj):
            m = j - i
            v[:, :, i + 1] = (jm @ v[:, :, i].T).T / math.sqrt((j + m) * (j - m + 1))
        out[twoj] = v
    return out
