"""Model of the ``ensembles`` study: parameters, Fock-window tolerances, time grids.

Two ensembles of N atoms, each in an x-polarised spin coherent state, interact through
``H = n^a_1 n^a_2`` for a time t, with optional collective S^z dephasing gamma (Li, ...,
Byrnes, arXiv:2603.06085 (2026); Byrnes, PRA 88, 023609 (2013)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from opentangle._convert import check_nonnegative, check_real
from opentangle.errors import InvalidParameterError
from opentangle.studies._study import Params, param

__all__ = ["MAGIC_L", "SOURCE", "WINDOW_TOL", "WINDOW_TOL_MIXED", "EnsemblesParams", "generic_times", "magic_times"]

#: discarded binomial weight of the Fock window: pure states / dephased states
WINDOW_TOL = 1e-10
WINDOW_TOL_MIXED = 1e-8
#: magic times t = 2 pi j / L marked on the crevasse figure (j coprime to L)
MAGIC_L = (1, 2, 3, 4, 5, 6, 8)
SOURCE = "Li et al., arXiv:2603.06085 (2026)"


@dataclass(frozen=True)
class EnsemblesParams(Params):
    """Model parameters of one point: atoms per ensemble, interaction time, dephasing rate.

    >>> EnsemblesParams(n_atoms=20, t=1.0).validate().n_atoms
    20
    """

    n_atoms: int = param(1000, "Atoms per ensemble N (>= 1).")
    t: float = param(math.pi / 2, "Interaction time t (H = n1 n2, hbar = 1).")
    gamma: float = param(0.0, "Collective S^z dephasing rate (>= 0).")

    def validate(self) -> EnsemblesParams:
        from opentangle.spins.fock import check_n_atoms

        n = check_n_atoms(self.n_atoms)
        t = check_real(self.t, "t")
        gamma = check_nonnegative(self.gamma, "gamma")
        if gamma > 0 and t < 0:
            raise InvalidParameterError(f"t must be >= 0 when gamma > 0 (dephasing only runs forward); got {t}")
        return EnsemblesParams(n_atoms=n, t=t, gamma=gamma)


def generic_times(n: int) -> np.ndarray:
    """``n`` times in ``(0, 2 pi)`` with no small-denominator ``t / 2 pi``: ``2 pi (j + g) / n``, ``g = (sqrt 5 - 1)/2``.

    Unlike ``linspace(0, 2 pi, n)`` (every point ``2 pi j / (n - 1)``, a rational
    multiple of 2 pi with denominator ``<= n - 1``, where E is ``log2`` of that
    denominator), these are irrational multiples, so the curve shows the generic E(t).

    >>> generic_times(4).round(3).tolist()
    [0.971, 2.542, 4.112, 5.683]
    """
    g = (math.sqrt(5.0) - 1.0) / 2.0
    return 2 * np.pi * (np.arange(n) + g) / n


def magic_times(max_l: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Magic times ``2 pi j / L`` in ``[0, 2 pi)`` with ``gcd(j, L) = 1``, ``L`` in :data:`MAGIC_L` up to ``max_l``.

    >>> magic_times(2)[1].tolist()
    [1, 2]
    """
    ts, ls = [], []
    for L in MAGIC_L:
        if max_l < L:
            continue
        for j in range(L):
            if math.gcd(j, L) == 1:
                ts.append(2 * np.pi * j / L)
                ls.append(L)
    order = np.argsort(ts)
    return np.array(ts)[order], np.array(ls)[order]
