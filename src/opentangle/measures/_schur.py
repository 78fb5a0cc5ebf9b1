r"""Spin (Schur-Weyl) blocks of permutation-invariant qubit operators.

An operator on :math:`(\mathbb C^2)^{\otimes n}` that commutes with every
permutation of the qubits is :math:`\bigoplus_j X_j \otimes 1_{m_j}`, with
:math:`X_j` acting on spin :math:`j \in \{n/2, n/2-1, \dots\}` (basis
:math:`m = j, \dots, -j`) and multiplicity
:math:`m_j = \binom{n}{n/2-j} - \binom{n}{n/2-j-1}`.  One copy of spin ``j`` is
spanned by Dicke states of ``2j`` qubits times singlets on the remaining pairs.
All bases here are real, so transposition commutes with the change of basis.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from opentangle.operators import spin_operators

__all__ = ["clebsch_gordan", "multiplicity", "spin_blocks", "spin_copy_basis", "spins"]


def spins(n: int) -> list[float]:
    """Total spins of ``n`` qubits, largest first (``n/2, n/2 - 1, ..., 0 or 1/2``)."""
    return [n / 2 - t for t in range(n // 2 + 1)]


def multiplicity(n: int, j: float) -> int:
    """Number of copies of spin ``j`` in ``n`` qubits."""
    t = round(n / 2 - j)
    return math.comb(n, t) - (math.comb(n, t - 1) if t >= 1 else 0)


@cache
def clebsch_gordan(j1: float, j2: float) -> dict[float, np.ndarray]:
    r"""Real Clebsch-Gordan matrices: ``C[J]`` of shape ``(2J+1, d1 d2)`` with rows :math:`|J, M\rangle`.

    Rows are expanded in the product basis :math:`|j_1 m_1\rangle|j_2 m_2\rangle`
    (index ``i1 * d2 + i2``, ``m`` descending); each copy is lowered with
    :math:`J_-` so it is a standard spin basis (Condon-Shortley signs).
    """
    d1, d2 = round(2 * j1 + 1), round(2 * j2 + 1)
    z1, z2 = spin_operators(j1)[2].real.diagonal(), spin_operators(j2)[2].real.diagonal()
    jp1 = (spin_operators(j1)[0] + 1j * spin_operators(j1)[1]).real
    jp2 = (spin_operators(j2)[0] + 1j * spin_operators(j2)[1]).real
    lower = np.kron(jp1.T, np.eye(d2)) + np.kron(np.eye(d1), jp2.T)
    mtot = (z1[:, None] + z2[None, :]).reshape(-1)
    found: list[np.ndarray] = []
    out: dict[float, np.ndarray] = {}
    big = j1 + j2
    for t in range(round(big - abs(j1 - j2)) + 1):
        J = big - t
        sel = np.isclose(mtot, J)
        basis = np.eye(d1 * d2)[:, sel]
        prev = np.array([v for v in found if np.any(v[sel])]).reshape(-1, d1 * d2)
        if prev.size:
            basis = basis - prev.T @ (prev @ basis)
        u, s, _ = np.linalg.svd(basis, full_matrices=False)
        top = u[:, np.argmax(s)]
        top = top * np.sign(top[np.flatnonzero(np.abs(top) > 1e-12)[0]])
        rows = [top]
        for _ in range(round(2 * J)):
            v = lower @ rows[-1]
            rows.append(v / np.linalg.norm(v))
        out[J] = np.array(rows)
        found.extend(rows)
    return out


def _dicke(n: int, k: int) -> np.ndarray:
    v = np.zeros(2**n)
    idx = [i for i in range(2**n) if bin(i).count("1") == k]
    v[idx] = 1 / math.sqrt(len(idx))
    return v


def spin_copy_basis(n: int, j: float) -> np.ndarray:
    """Columns :math:`|j, m\\rangle` (``m = j..-j``) of one copy of spin ``j`` in ``n`` qubits, shape ``(2^n, 2j+1)``."""
    two_j = round(2 * j)
    singlet = np.array([0.0, 1.0, -1.0, 0.0]) / math.sqrt(2)
    rest: np.ndarray = np.ones(1)
    for _ in range((n - two_j) // 2):
        rest = np.kron(rest, singlet)
    return np.stack([np.kron(_dicke(two_j, k), rest) for k in range(two_j + 1)], axis=1)


def spin_blocks(rho: np.ndarray, n: int) -> dict[float, np.ndarray]:
    r"""Blocks :math:`\rho_j = \langle j,m,\alpha|\rho|j,m',\alpha\rangle` of a permutation-invariant ``rho``.

    ``rho = ⊕_j rho_j ⊗ 1_{m_j}``, so :math:`\sum_j m_j\,\mathrm{tr}\rho_j = \mathrm{tr}\rho`.
    """
    out = {}
    for j in spins(n):
        v = spin_copy_basis(n, j)
        out[j] = v.T @ rho @ v
    return out
