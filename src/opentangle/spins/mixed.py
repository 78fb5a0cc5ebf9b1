r"""Dephased two-ensemble states and the M = 3 repeater chain.

Dephasing :math:`-\tfrac{\gamma}{2}\sum_n[(S^z_n)^2\rho - 2S^z_n\rho S^z_n + \rho(S^z_n)^2]`
commutes with ``H = n^a_1 n^a_2``; the exact solution (Li, ..., Byrnes, arXiv:2603.06085) is
:math:`\rho_{kk'}(t) = \rho^0_{kk'}(t)\,e^{-2\gamma t\sum_n (k_n-k'_n)^2}`.
The logarithmic negativity needs the partial transpose of a ``W^2 x W^2`` matrix
(``W`` = Fock window); the default limit ``W^2 <= 3600`` means ``N <~ 100``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
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
from opentangle.spins.pure import spectrum_entropy

__all__ = [
    "MAX_NEGATIVITY_DIM",
    "RepeaterResult",
    "dephased_log_negativity",
    "dephased_state",
    "pure_state_matrix",
    "repeater_m3",
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
    n_atoms: int, t: float, gamma: float, *, tol: float = 1e-10, w: float | None = None,
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
    n_atoms: int, t: float, gamma: float, *, tol: float = 1e-10, w: float | None = None,
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


# ----------------------------------------------------------------------------- repeater M = 3
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


@dataclass(frozen=True)
class RepeaterResult:
    """Outcome-resolved end-to-end entanglement of the M = 3 chain.

    ``outcomes[i]`` is the S^x outcome q of the middle ensemble, ``probabilities[i]``
    its probability and ``entropies[i]`` the entanglement (bits) of the corrected
    end-to-end state; ``total_probability`` sums the probabilities of all N + 1
    outcomes (1 up to the window's discarded weight).
    """

    n_atoms: int
    t: float
    phi: float
    outcomes: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    entropies: np.ndarray = field(repr=False)
    total_probability: float
    window: FockWindow

    @property
    def mean_entropy(self) -> float:
        return float(np.sum(self.probabilities * self.entropies) / np.sum(self.probabilities))

    def __repr__(self) -> str:
        return (f"RepeaterResult(N={self.n_atoms}, t={self.t:.6g}, phi={self.phi:.6g}, "
                f"outcomes={self.outcomes.size}, mean_entropy={self.mean_entropy:.6f} bits, "
                f"min={self.entropies.min():.6f}, max={self.entropies.max():.6f}, "
                f"total_probability={self.total_probability:.12f})")


def repeater_m3(
    n_atoms: int, *, L: int, t: float | None = None, tol: float = 1e-10, min_probability: float = 1e-14,
    max_window: int = 400,
) -> RepeaterResult:
    r"""Entanglement swapping through a middle ensemble, M = 3 (Pyrkov, Lazarev, Byrnes; Li, ..., Byrnes, arXiv:2603.06085).

    ``H = n_1 n_2 - n_2 n_3`` acts for time ``t`` (default the magic time ``2 pi / L``)
    on three x-coherent ensembles; the middle one is rotated by :math:`e^{i\phi n^a}`,
    :math:`\phi = \pi/(2L)`, and measured in the S^x basis.  Outcome ``q`` leaves

    .. math:: \Psi_q(k_1,k_3) = c_{k_1}c_{k_3}\langle q^{(x)}|\chi_{t(k_1-k_3)+\phi}\rangle ,

    **Correction.** The only correction applied is the outcome-independent local phase
    :math:`e^{-iNt\,n_1/2}\otimes e^{+iNt\,n_3/2}`.  The outcome-dependent phase correction
    of the protocol (Li, ..., Byrnes 2026) is *not* applied: it is a local unitary on the end
    ensembles, and the reported quantities (outcome probabilities and the entanglement
    entropy of each outcome's end-to-end state) are invariant under any local unitary on
    the ends, so they are exactly those of the corrected state.  Quantities that do depend
    on the correction (a fidelity with a target state) are not computed.

    Each outcome's Schmidt spectrum is computed on the Fock windows of ensembles 1 and 3
    (size ``<= max_window``).

    Example:

    >>> round(repeater_m3(20, L=2).total_probability, 10)
    1.0
    """
    n = check_n_atoms(n_atoms)
    if int(L) != L or L < 1:
        raise InvalidParameterError(f"L must be a positive integer; got {L!r}")
    L = int(L)
    t = 2 * np.pi / L if t is None else check_real(t, "t")
    phi = np.pi / (2 * L)
    win = fock_window(n, tol=tol)
    if win.size > max_window:
        raise DimensionError(
            f"the repeater needs the {win.size}-state window of N={n} for both ends (> max_window={max_window}); "
            "use a smaller N or raise max_window"
        )
    k = win.k.astype(float)
    c = binomial_amplitudes(n, win.k)
    c = c / np.linalg.norm(c)
    # k1 - k3 is an integer: reducing t mod 4 pi first is exact and keeps precision for large t
    t4 = reduce_mod_2pi(t, multiple=2)
    az = np.remainder(t4 * (k[:, None] - k[None, :]), 4 * np.pi)
    alpha = az + phi
    corr = np.exp(-0.5j * n * az)
    qs = np.arange(n + 1)
    probs = np.empty(n + 1)
    ents = np.full(n + 1, np.nan)
    for q in qs:
        psi = np.outer(c, c) * sx_outcome_amplitudes(n, np.array(q), alpha) * corr
        p = float(np.sum(np.abs(psi) ** 2))
        probs[q] = p
        if p > min_probability:
            s = np.linalg.svd(psi / math.sqrt(p), compute_uv=False) ** 2
            ents[q] = spectrum_entropy(s / s.sum())
    keep = np.isfinite(ents)
    return RepeaterResult(
        n_atoms=n, t=float(t), phi=float(phi), outcomes=qs[keep], probabilities=probs[keep],
        entropies=ents[keep], total_probability=float(probs.sum()), window=win,
    )
