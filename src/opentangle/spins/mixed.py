r"""Dephased two-ensemble states (dense window) and the S^x outcome amplitudes of the repeater.

Dephasing :math:`-\tfrac{\gamma}{2}\sum_n[(S^z_n)^2\rho - 2S^z_n\rho S^z_n + \rho(S^z_n)^2]`
commutes with ``H = n^a_1 n^a_2``; the exact solution (Li, ..., Byrnes, arXiv:2603.06085) is
:math:`\rho_{kk'}(t) = \rho^0_{kk'}(t)\,e^{-2\gamma t\sum_n (k_n-k'_n)^2}`.
The logarithmic negativity needs the partial transpose of a ``W^2 x W^2`` matrix
(``W`` = Fock window); the default limit ``W^2 <= 3600`` means ``N <~ 100``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from opentangle._convert import check_nonnegative, check_real
from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.spins.fock import (
    FockWindow,
    binomial_amplitudes,
    binomial_log_weights,
    check_n_atoms,
    fock_window,
    log_abs_cos_power,
    reduce_mod_2pi,
)

__all__ = [
    "MAX_NEGATIVITY_DIM",
    "dephased_log_negativity",
    "dephased_state",
    "pure_state_matrix",
    "sx_outcome_amplitudes",
]

#: largest W^2 for which the log-negativity is computed by default (dense eigvalsh)
MAX_NEGATIVITY_DIM = 3600


def pure_state_matrix(n_atoms: int, t: float, *, window: FockWindow) -> np.ndarray:
    r""":math:`\psi_{k_1k_2} = c_{k_1}c_{k_2}e^{ik_1k_2t}` on the window, renormalised (``W x W``)."""
    k = window.k
    c = binomial_amplitudes(window.n_atoms, k)
    kk = np.outer(k.astype(float), k.astype(float))
    # k1 k2 is an integer, so reducing t mod 2 pi first is exact (with an exact reduction:
    # the float 2 pi would be off by t * 4e-17); kk * t itself would lose precision for large t
    tt = reduce_mod_2pi(t)
    psi = np.outer(c, c) * np.exp(1j * np.remainder(kk * tt, 2 * np.pi))
    return psi / np.linalg.norm(psi)


def _damping(win: FockWindow, t: float, gamma: float) -> np.ndarray:
    """``exp(-2 gamma t (k - k')^2)`` on the window; the diagonal is 1 even when ``gamma t`` overflows."""
    d = (win.k[:, None] - win.k[None, :]).astype(float)
    with np.errstate(over="ignore", invalid="ignore"):
        damp = np.exp(-2.0 * (gamma * t) * d**2)
    return np.where(d == 0, 1.0, damp)


def _check_window_dim(win: FockWindow, max_dim: int) -> None:
    if win.size**2 > max_dim:
        raise DimensionError(
            f"the dephased state of N={win.n_atoms} needs {win.size}^2 = {win.size**2} dimensions "
            f"(> max_dim={max_dim}); use a smaller N, a looser window tol, or raise max_dim"
        )


def _dephased_factors(
    n_atoms: int, t: float, gamma: float, *, tol: float, w: float | None, max_dim: int
) -> tuple[np.ndarray, np.ndarray, FockWindow]:
    """Validated inputs -> windowed pure amplitudes ``psi[k1, k2]``, damping ``D[k, k']`` and the window."""
    n = check_n_atoms(n_atoms)
    t, gamma = check_real(t, "t"), check_nonnegative(gamma, "gamma")
    if t < 0 and gamma > 0:
        raise InvalidParameterError(f"t must be >= 0 when gamma > 0 (dephasing only runs forward); got {t}")
    win = fock_window(n, tol=tol, w=w)
    _check_window_dim(win, max_dim)
    return pure_state_matrix(n, t, window=win), _damping(win, t, gamma), win


def dephased_state(
    n_atoms: int,
    t: float,
    gamma: float,
    *,
    tol: float = 1e-10,
    w: float | None = None,
    max_dim: int = MAX_NEGATIVITY_DIM,
) -> tuple[np.ndarray, FockWindow]:
    r"""Exact dephased two-ensemble density matrix ``(W^2, W^2)`` (index ``k1 * W + k2``) and its window.

    .. math:: \rho(t) = \sum \psi_{k_1k_2}\psi^*_{k_1'k_2'}\,
              e^{-2\gamma t[(k_1-k_1')^2 + (k_2-k_2')^2]}\,|k_1k_2\rangle\langle k_1'k_2'|
    """
    psi, damp, win = _dephased_factors(n_atoms, t, gamma, tol=tol, w=w, max_dim=max_dim)
    rho = np.einsum("ab,cd,ac,bd->abcd", psi, psi.conj(), damp, damp)
    m = win.size
    return rho.reshape(m * m, m * m), win


def _dense_log_negativity(
    n_atoms: int,
    t: float,
    gamma: float,
    *,
    tol: float = 1e-10,
    w: float | None = None,
    max_dim: int = MAX_NEGATIVITY_DIM,
) -> tuple[float, FockWindow]:
    r"""Logarithmic negativity :math:`\log_2\|\rho^{T_B}\|_1` of the exactly dephased state.

    The partial transpose is built directly,
    :math:`\rho^{T_B}_{(k_1k_2),(k_1'k_2')} = \psi_{k_1k_2'}\psi^*_{k_1'k_2}D_{k_1k_1'}D_{k_2k_2'}`,
    and diagonalised densely: cost ``O(W^6)``, tractable for ``W^2 <= max_dim``.

    The log-negativity error is not bounded by ``tol`` (unlike the entropy, it is
    sensitive to small eigenvalues, each contributing ``sqrt``-like): treat it as accurate
    to about 1e-6 (see docs/ensembles.md, Known limits).

    The public entry point is :func:`opentangle.spins.dephased.dephased_log_negativity`
    (which adds the error bound and the large-N fiber method).
    """
    psi, damp, win = _dephased_factors(n_atoms, t, gamma, tol=tol, w=w, max_dim=max_dim)
    # rows (k1, k2), columns (k1', k2'): psi[k1, k2'] conj(psi[k1', k2]) D[k1, k1'] D[k2, k2']
    pt = np.einsum("ad,cb,ac,bd->abcd", psi, psi.conj(), damp, damp)
    m = win.size
    ev = np.linalg.eigvalsh(pt.reshape(m * m, m * m))
    # ||rho^{T_B}||_1 >= tr rho = 1: a rounding-level deficit would give a tiny negative value
    return max(0.0, float(math.log2(np.sum(np.abs(ev))))), win


def dephased_log_negativity(n_atoms: int, t: float, gamma: float, **kw: Any) -> Any:
    """Alias of :func:`opentangle.spins.dephased.dephased_log_negativity` (kept importable from here)."""
    from opentangle.spins.dephased import dephased_log_negativity as impl

    return impl(n_atoms, t, gamma, **kw)


# ----------------------------------------------------------------------------- S^x measurement
def sx_outcome_amplitudes(n_atoms: int, q: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    r"""``<q^(x)|chi_alpha>`` for outcome(s) ``q`` of an S^x measurement on the coherent state at azimuth ``alpha``.

    :math:`|q\rangle^{(x)} = e^{-iS^y\pi/4}|q\rangle` (q atoms in ``(|a>+|b>)/sqrt2``) and
    :math:`\langle q^{(x)}|\chi_\alpha\rangle = \sqrt{\binom Nq}\big(\tfrac{1+e^{i\alpha}}{2}\big)^q
    \big(\tfrac{1-e^{i\alpha}}{2}\big)^{N-q}`, evaluated in log space.
    Broadcasts over ``q`` and ``alpha``.
    """
    n = int(n_atoms)
    q = np.asarray(q, dtype=float)
    alpha = np.asarray(alpha, dtype=float)
    h = 0.5 * alpha
    with np.errstate(invalid="ignore"):
        lc = np.where(q == 0, 0.0, log_abs_cos_power(q, h))
        ls = np.where(q == n, 0.0, log_abs_cos_power(n - q, h - np.pi / 2))
    logmag = 0.5 * (binomial_log_weights(n, q) + n * math.log(2.0)) + lc + ls
    neg_c = (np.cos(h) < 0).astype(float)
    neg_s = (np.sin(h) < 0).astype(float)
    phase = n * h - (n - q) * np.pi / 2 + np.pi * (neg_c * q + neg_s * (n - q))
    return np.exp(logmag + 1j * np.remainder(phase, 2 * np.pi))
