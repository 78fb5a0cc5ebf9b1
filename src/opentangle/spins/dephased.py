r"""Log-negativity of two dephased ensembles at magic times, for any N (the fiber method).

Two x-polarised ensembles evolve under ``H = n_1 n_2`` for the magic time
``t = 2 pi p / L``; collective dephasing multiplies :math:`\rho_{kk'}` by
:math:`e^{-2\gamma t\sum_n(k_n-k_n')^2}` (Li, ..., Byrnes, arXiv:2603.06085), i.e. each
ensemble is rotated by a Gaussian random phase of variance :math:`\sigma^2 = 4\gamma t`.

**Factorisation.** With :math:`C = \mathrm{diag}(c_k)` (binomial amplitudes),
:math:`D_{kk'} = e^{-\sigma^2(k-k')^2/2}`, :math:`Z = \omega^{\hat n}` and the residue
projectors :math:`P_s` (``k = s mod L``), :math:`\omega = e^{2\pi i p/L}`, the partial
transpose is exactly

.. math:: \rho^{T_B} = (C\otimes C)\,X\,(C\otimes C),\qquad
          X = \sum_{r,s}(Z^rDZ^{-s})\otimes(P_sDP_r),

where ``X`` does not depend on N.  On :math:`\ell^2(\mathbb Z)`, ``D`` is multiplication by the
wrapped Gaussian :math:`2\pi g_\sigma(\theta)` in the phase :math:`\theta`, ``Z`` a shift by
:math:`2\pi/L` and ``P_s`` a Fourier projector on the ``L`` points
:math:`\theta = u + 2\pi m/L`.  So ``X`` is a direct integral over ``u`` in
:math:`[-\pi/L,\pi/L)^2` of ``L^2 x L^2`` matrices ``M(u)``, which split further into ``L``
Hermitian blocks :math:`M^{(J)}_{\sigma\sigma'} = p_{J+p(\sigma+\sigma')}\,\hat b(\sigma-\sigma')`
(:math:`p_m = 2\pi g_\sigma(u_1+2\pi m/L)`, :math:`\hat b` the discrete Fourier transform of
:math:`q_m = 2\pi g_\sigma(u_2+2\pi m/L)`).

**Bracket.** With :math:`X = X_+ - X_-` and :math:`S = \mathrm{sgn}\,X` (both fibrewise),

.. math:: \mathrm{tr}\big[(C\otimes C)X(C\otimes C)S\big] \;\le\; \|\rho^{T_B}\|_1 \;\le\;
          \mathrm{tr}\big[(C\otimes C)^2|X|\big] = \frac1{(2\pi)^2}\int du\,\|M(u)\|_1 = U .

The upper bound ``U`` is the ``N -> infinity`` limit (it depends on ``sigma`` and ``L`` only, up
to residue weights that are exactly ``1/L`` for ``L = 2`` and ``1/L + O(2^{-N})`` otherwise).  The
lower bound is :math:`\int dv\,\kappa(v)F(v)` with
:math:`F(v) = (2\pi)^{-2}\int du\,\mathrm{tr}[M(u)S(u+v)]` (``F(0) = U``) and ``kappa`` the
narrow kernel :math:`|\sum_k c_k e^{ikv}|^2/2\pi` of variance ``~ 1/N`` per axis, so the gap
closes like ``1/N``.  Two further lower bounds are rigorous in closed form:
``U - beta`` with :math:`\beta = (\sum_\Delta D_\Delta)^2 - (\sum_\Delta a_\Delta D_\Delta)^2`,
:math:`a_\Delta = \sum_k c_kc_{k+\Delta}` (from :math:`|S_{nn'}|\le 1`), and for ``L = 2``
the fidelity bound :math:`\|\rho^{T_B}\|_1 \ge 2F_1^2`,
:math:`F_1 = \sum_{kk'}c_k^2c_{k'}^2 D_{kk'}` (the pure state is then exactly maximally
entangled of rank 2).

References: S. Li et al., arXiv:2603.06085 (2026); T. Byrnes, PRA 88, 023609 (2013).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from opentangle._convert import check_nonnegative, check_real
from opentangle.errors import ConvergenceError, DimensionError, InvalidParameterError
from opentangle.spins.fock import FockWindow, binomial_amplitudes, binomial_log_weights, check_n_atoms, fock_window

__all__ = [
    "DephasedNegativity",
    "dephased_log_negativity",
    "fiber_trace_norm_bounds",
    "magic_negativity_grid",
    "magic_order",
]

_METHODS = ("auto", "dense", "fiber")
#: the fiber method neglects terms of order 2^-N (off-peak phase kernels, residue weights)
MIN_FIBER_ATOMS = 40
#: largest L recognised as a magic time 2 pi p / L
MAX_MAGIC_L = 64


@dataclass(frozen=True)
class DephasedNegativity:
    """Logarithmic negativity (bits) of the dephased two-ensemble state, with an error bound.

    ``value`` is the estimate, ``error_bound`` bounds ``|value - exact|`` (bits);
    ``lower``/``upper`` is the bracket it comes from (``lower_rigorous`` is a closed-form
    lower bound that needs no quadrature).  ``method`` is ``"dense"`` (windowed density
    matrix, exact up to the window) or ``"fiber"`` (the bracket of the module doc).
    ``window`` is the Fock window of the dense path (``None`` for the fiber path).

    For backward compatibility the object unpacks like the old ``(value, window)`` tuple.
    """

    n_atoms: int
    t: float
    gamma: float
    value: float
    error_bound: float
    lower: float
    upper: float
    lower_rigorous: float
    method: str
    magic_l: int | None
    window: FockWindow | None
    quadrature_error: float = 0.0

    def __iter__(self) -> Any:
        return iter((self.value, self.window))

    def __getitem__(self, i: int) -> Any:
        return (self.value, self.window)[i]

    def __repr__(self) -> str:
        return (
            f"DephasedNegativity(N={self.n_atoms}, t={self.t:.6g}, gamma={self.gamma:.4g}, "
            f"value={self.value:.8f} bits +/- {self.error_bound:.2e}, bracket=[{self.lower:.8f}, "
            f"{self.upper:.8f}], method={self.method!r}, L={self.magic_l})"
        )


def magic_order(t: float, *, max_l: int = MAX_MAGIC_L, rtol: float = 1e-14) -> tuple[int, int] | None:
    """``(p, L)`` with ``t = 2 pi p / L`` (mod 2 pi, ``gcd(p, L) = 1``, ``L <= max_l``) within ``rtol``, else ``None``.

    Example:

    >>> magic_order(math.pi), magic_order(2 * math.pi / 3), magic_order(1.0)
    ((1, 2), (1, 3), None)
    """
    from opentangle.spins.fock import reduce_mod_2pi

    x = reduce_mod_2pi(float(t)) / (2 * math.pi)
    fr = Fraction(x).limit_denominator(max_l)
    if fr.denominator < 2 or abs(float(fr) - x) > rtol * max(1.0, abs(float(t))) / (2 * math.pi):
        return None
    return fr.numerator, fr.denominator


def _wrapped_gauss(theta: np.ndarray, sigma: float) -> np.ndarray:
    r""":math:`2\pi g_\sigma(\theta) = \sum_d e^{-\sigma^2d^2/2}e^{id\theta}` (images for small sigma, Fourier otherwise)."""
    if sigma < 2.5:
        out = np.zeros(np.shape(theta))
        for n in range(-5, 6):
            out += np.exp(-((theta + 2 * np.pi * n) ** 2) / (2 * sigma**2))
        return out * (math.sqrt(2 * np.pi) / sigma)
    dmax = math.ceil(math.sqrt(80.0) / sigma) + 1
    out = np.ones(np.shape(theta))
    for d in range(1, dmax + 1):
        out += 2 * math.exp(-(sigma**2) * d * d / 2) * np.cos(d * theta)
    return out


def _fiber_blocks(u1: np.ndarray, u2: np.ndarray, sigma: float, L: int, p: int) -> np.ndarray:
    """The ``L`` Hermitian ``L x L`` blocks ``M^(J)(u1_i, u2_j)`` on a product grid: shape ``(n1, n2, L, L, L)``."""
    al = 2 * np.pi * np.arange(L) / L
    pm = _wrapped_gauss(u1[:, None] + al, sigma)  # (n1, L)
    qm = _wrapped_gauss(u2[:, None] + al, sigma)  # (n2, L)
    j = np.arange(L)
    bhat = qm @ (np.exp(-2j * np.pi * np.outer(j, j) / L) / L).T  # bhat[:, s] = (1/L) sum_m q_m w^{-s m}
    idx_p = (j[:, None, None] + p * (j[None, :, None] + j[None, None, :])) % L  # (J, sigma, sigma')
    idx_b = (j[:, None] - j[None, :]) % L
    return pm[:, None][..., idx_p] * bhat[None, :][..., idx_b][..., None, :, :]


def _eigs_l2(u1: np.ndarray, u2: np.ndarray, sigma: float) -> np.ndarray:
    """L = 2: the blocks are ``[[a, b], [b, a]]`` with fixed eigenvectors ``(1, +-1)``; eigenvalues ``(n1, n2, 4)``.

    ``J = 0``: ``P0 B0 +- P1 B1``; ``J = 1``: ``P1 B0 +- P0 B1`` (``B0, B1 = (q0 +- q1)/2``).
    """
    p0, p1 = _wrapped_gauss(u1, sigma), _wrapped_gauss(u1 + np.pi, sigma)
    q0, q1 = _wrapped_gauss(u2, sigma), _wrapped_gauss(u2 + np.pi, sigma)
    b0, b1 = 0.5 * (q0 + q1), 0.5 * (q0 - q1)
    x = np.multiply.outer(p0, b0), np.multiply.outer(p1, b1), np.multiply.outer(p1, b0), np.multiply.outer(p0, b1)
    return np.stack([x[0] + x[1], x[0] - x[1], x[2] + x[3], x[2] - x[3]], axis=-1)


def _grid(sigma: float, L: int, n: int) -> tuple[np.ndarray, float]:
    r = min(math.pi / L, 12.0 * sigma)
    h = 2 * r / n
    return -r + (np.arange(n) + 0.5) * h, h


def _upper(sigma: float, L: int, p: int, n: int) -> float:
    u, h = _grid(sigma, L, n)
    if L == 2:
        tn = float(np.abs(_eigs_l2(u, u, sigma)).sum())
    else:
        tn = float(np.abs(np.linalg.eigvalsh(_fiber_blocks(u, u, sigma, L, p))).sum())
    return h * h * tn / (2 * np.pi) ** 2


def _f_of_v(sigma: float, L: int, p: int, n: int, vs: list[tuple[float, float]]) -> np.ndarray:
    r""":math:`F(v) = (2\pi)^{-2}\int du\,\mathrm{tr}[M(u)\,\mathrm{sgn}M(u+v)]` on the midpoint grid."""
    u, h = _grid(sigma, L, n)
    out = []
    if L == 2:
        lam = _eigs_l2(u, u, sigma)
        for v1, v2 in vs:
            out.append(float(np.sum(lam * np.sign(_eigs_l2(u + v1, u + v2, sigma)))))
    else:
        m0 = _fiber_blocks(u, u, sigma, L, p)
        for v1, v2 in vs:
            ev, vec = np.linalg.eigh(_fiber_blocks(u + v1, u + v2, sigma, L, p))
            proj = np.einsum("...ai,...ab,...bi->...i", vec.conj(), m0, vec).real
            out.append(float(np.sum(np.sign(ev) * proj)))
    return h * h * np.asarray(out) / (2 * np.pi) ** 2


def _kernel_std(n_atoms: int) -> float:
    """Per-axis width of ``kappa``: ``sqrt(2 (1 - sum_k c_k c_{k+1}))`` (~ 1/sqrt(N))."""
    win = fock_window(n_atoms, tol=1e-16)
    c = binomial_amplitudes(n_atoms, win.k)
    c = c / np.linalg.norm(c)
    return math.sqrt(max(0.0, 2.0 * (1.0 - float(np.dot(c[:-1], c[1:])))))


@functools.lru_cache(maxsize=256)
def _upper_cached(sigma: float, L: int, p: int, n: int) -> float:
    return _upper(sigma, L, p, n)


@functools.lru_cache(maxsize=256)
def _laplacian(sigma: float, L: int, p: int, n: int) -> tuple[float, float]:
    """Central-difference Laplacian of ``F`` at ``v = 0`` with steps ``4h`` and ``8h`` (N-independent, cached)."""
    h = 2 * min(math.pi / L, 12.0 * sigma) / n
    out = []
    for eps in (4 * h, 8 * h):
        f = _f_of_v(sigma, L, p, n, [(eps, 0.0), (-eps, 0.0), (0.0, eps), (0.0, -eps), (0.0, 0.0)])
        out.append(float((f[0] + f[1] + f[2] + f[3] - 4 * f[4]) / eps**2))
    return out[0], out[1]


def _lower(sigma: float, L: int, p: int, n: int, s: float, upper: float) -> tuple[float, float]:
    """``int kappa F`` and an estimate of its quadrature error."""
    h = 2 * min(math.pi / L, 12.0 * sigma) / n
    if s >= 4 * h:  # kappa resolved by the grid: Gauss-Hermite in v (probabilists', 3 x 3)
        x, w = np.polynomial.hermite_e.hermegauss(3)
        w = w / w.sum()
        f = _f_of_v(sigma, L, p, n, [(s * a, s * b) for a in x for b in x])
        return float(np.sum(np.outer(w, w).ravel() * f)), 0.0
    # kappa narrower than the grid: E F(v) = F(0) + (s^2/2) Lap F(0) (F is C^1,1 at 0, grad F(0) = 0);
    # the two difference steps give the error estimate
    l1, l2 = _laplacian(sigma, L, p, n)
    ests = [upper + 0.5 * s * s * min(lap, 0.0) for lap in (l1, l2)]
    return ests[0], abs(ests[0] - ests[1])


def _rigorous_lower(n_atoms: int, sigma: float, L: int, upper: float) -> float:
    """``max(1, U - beta, 2 F_1^2 [L = 2])`` (trace norms), all in closed form."""
    from scipy.signal import fftconvolve

    win = fock_window(n_atoms, tol=1e-16)
    c = binomial_amplitudes(n_atoms, win.k)
    c = c / np.linalg.norm(c)
    auto = fftconvolve(c, c[::-1])  # a(Delta), Delta = -(W-1)..(W-1)
    dmax = int(min(win.size - 1, math.ceil(math.sqrt(2 * 40.0) / max(sigma, 1e-300))))
    mid = win.size - 1
    d = np.arange(-dmax, dmax + 1)
    damp = np.exp(-(sigma**2) * d.astype(float) ** 2 / 2)
    a = auto[mid - dmax : mid + dmax + 1]
    # the tail |Delta| > dmax of sum D (a ~ 0 there when dmax = W-1)
    tail = 0.0 if dmax >= 8 / max(sigma, 1e-300) else 2 * math.sqrt(math.pi / 2) / sigma
    beta = (float(damp.sum()) + tail) ** 2 - float(np.dot(a, damp)) ** 2
    best = max(1.0, upper - beta)
    if L == 2:
        k2 = np.arange(2 * n_atoms + 1)
        lo, hi = n_atoms - dmax, n_atoms + dmax
        pk = np.exp(binomial_log_weights(2 * n_atoms, k2[lo : hi + 1]))
        f1 = float(np.dot(pk, damp))
        best = max(best, 2 * f1 * f1)
    return best


def fiber_trace_norm_bounds(
    n_atoms: int,
    sigma: float,
    L: int,
    *,
    p: int = 1,
    n_grid: int | None = None,
) -> dict[str, float]:
    r"""Bracket of :math:`\|\rho^{T_B}\|_1` at ``t = 2 pi p / L`` with phase spread ``sigma`` (module doc).

    Returns ``upper`` (``U``), ``lower`` (``int kappa F``), ``lower_rigorous``,
    ``quadrature_error`` (from halving the grid) and ``n_grid``.  Valid for
    ``N >= MIN_FIBER_ATOMS`` (neglected terms ``O(2^-N)``).

    Example (N -> infinity limit at L = 2, sigma = 0.5):

    >>> b = fiber_trace_norm_bounds(10**6, 0.5, 2)
    >>> round(b["upper"], 6), b["upper"] - b["lower"] < 1e-5
    (1.993287, True)
    """
    if n_grid is None:
        r = min(math.pi / L, 12.0 * sigma)
        if L == 2:  # closed-form 2 x 2 blocks: a fine grid is cheap (kinks of |lambda| give O(h^2))
            n_grid = int(min(1024, max(256, math.ceil(64 * r / sigma))))
        else:
            n_grid = int(min(160, max(96, math.ceil(24 * r / sigma))))
        n_grid += n_grid % 2
    sigma = float(sigma)
    up = max(_upper_cached(sigma, L, p, n_grid), 1.0)  # ||rho^T||_1 >= Tr rho = 1: a quadrature below is rounding
    up_half = _upper_cached(sigma, L, p, n_grid // 2)
    quad = abs(up - up_half)
    s = _kernel_std(n_atoms)
    lo, lo_err = _lower(sigma, L, p, n_grid, s, up)
    rig = _rigorous_lower(n_atoms, sigma, L, up)
    lo = max(min(lo, up), rig)
    return {"upper": up, "lower": lo, "lower_rigorous": rig, "quadrature_error": quad + lo_err, "n_grid": float(n_grid)}


def _dense(n: int, t: float, gamma: float, *, tol: float, w: float | None, max_dim: int) -> DephasedNegativity:
    from opentangle.spins.mixed import _dense_log_negativity

    val, win = _dense_log_negativity(n, t, gamma, tol=tol, w=w, max_dim=max_dim)
    # window: ||Delta rho^{T_B}||_1 <= 2 S1(psi) S1(psi - psi_w) <= 2 (N+1) ||psi - psi_w||,
    # ||psi - psi_w||^2 <= 2 delta_2, delta_2 = 1 - (1 - delta)^2; rounding ~ dim * 1e-15
    d2 = 1.0 - (1.0 - win.discarded_weight) ** 2
    trace_err = 2.0 * (n + 1) * math.sqrt(2.0 * d2) + win.size**2 * 1e-15
    err = trace_err / math.log(2.0)
    mg = magic_order(t)
    return DephasedNegativity(
        n_atoms=n,
        t=float(t),
        gamma=float(gamma),
        value=val,
        error_bound=err,
        lower=max(0.0, val - err),
        upper=val + err,
        lower_rigorous=max(0.0, val - err),
        method="dense",
        magic_l=None if mg is None else mg[1],
        window=win,
    )


def _fiber(n: int, t: float, gamma: float, pl: tuple[int, int]) -> DephasedNegativity:
    p, L = pl
    sigma = math.sqrt(4.0 * gamma * t)
    if sigma == 0.0:  # the pure state: E_N = log2 L up to O(2^-N) (exact for L = 2)
        v = math.log2(L)
        return DephasedNegativity(
            n_atoms=n,
            t=float(t),
            gamma=float(gamma),
            value=v,
            error_bound=2.0**-n,
            lower=v,
            upper=v,
            lower_rigorous=v,
            method="fiber",
            magic_l=L,
            window=None,
        )
    b = fiber_trace_norm_bounds(n, sigma, L, p=p)
    up, lo = math.log2(max(1.0, b["upper"])), math.log2(max(1.0, b["lower"]))
    quad = b["quadrature_error"] / (math.log(2.0) * max(1.0, b["lower"]))
    value = 0.5 * (up + lo)
    return DephasedNegativity(
        n_atoms=n,
        t=float(t),
        gamma=float(gamma),
        value=value,
        error_bound=0.5 * (up - lo) + quad + 2.0**-n,
        lower=lo,
        upper=up,
        lower_rigorous=math.log2(b["lower_rigorous"]),
        method="fiber",
        magic_l=L,
        window=None,
        quadrature_error=quad,
    )


def dephased_log_negativity(
    n_atoms: int,
    t: float,
    gamma: float,
    *,
    method: str = "auto",
    tol: float = 1e-10,
    w: float | None = None,
    max_dim: int | None = None,
    atol: float | None = None,
) -> DephasedNegativity:
    r"""Logarithmic negativity :math:`\log_2\|\rho^{T_B}\|_1` (bits) of two dephased ensembles, with an error bound.

    Model: ``H = n_1 n_2`` for time ``t`` on x-coherent states, collective S^z dephasing
    ``gamma`` on both ensembles (exact solution: Li, ..., Byrnes, arXiv:2603.06085).

    ``method``:

    - ``"dense"``: the windowed density matrix, diagonalised (``window^2 <= max_dim``,
      i.e. ``N <~ 100``); ``tol``/``w`` set the window.
    - ``"fiber"``: magic times ``t = 2 pi p / L`` only, any ``N >= 40``: the bracket
      :math:`\mathrm{tr}[C_2XC_2S] \le \|\rho^{T_B}\|_1 \le (2\pi)^{-2}\int\|M(u)\|_1`
      of :mod:`opentangle.spins.dephased`; the value is its midpoint and the error bound its
      half-width plus the quadrature error (the gap closes like ``1/N``).
    - ``"auto"``: dense when it fits, else fiber at magic times; a generic time beyond the
      dense cap raises :class:`DimensionError`.

    ``atol``: if given, a result whose ``error_bound`` exceeds it raises
    :class:`ConvergenceError` instead of being returned.

    The result unpacks as ``(value, window)`` like the earlier tuple return.

    Example:

    >>> r = dephased_log_negativity(10**6, math.pi, 0.02)
    >>> r.method, round(r.value, 5), r.error_bound < 1e-5
    ('fiber', 0.99501, True)
    >>> round(dephased_log_negativity(20, math.pi, 0.0)[0], 10)
    1.0
    """
    from opentangle.spins.mixed import MAX_NEGATIVITY_DIM

    n = check_n_atoms(n_atoms)
    t, gamma = check_real(t, "t"), check_nonnegative(gamma, "gamma")
    if method not in _METHODS:
        raise InvalidParameterError(f"method must be one of {_METHODS}; got {method!r}")
    if t < 0 and gamma > 0:
        raise InvalidParameterError(f"t must be >= 0 when gamma > 0 (dephasing only runs forward); got {t}")
    max_dim = MAX_NEGATIVITY_DIM if max_dim is None else int(max_dim)
    if atol is not None:
        atol = check_nonnegative(atol, "atol")
    how = method
    if how == "auto":
        win = fock_window(n, tol=tol, w=w)
        how = "dense" if win.size**2 <= max_dim else "fiber"
    if how == "dense":
        res = _dense(n, t, gamma, tol=tol, w=w, max_dim=max_dim)
    else:
        pl = magic_order(t)
        if pl is None:
            raise DimensionError(
                f"t={t!r} is not a magic time 2 pi p / L (L <= {MAX_MAGIC_L}): the fiber method needs one, and the "
                f"dense method is capped at window^2 <= {max_dim} (N={n} needs more); use a magic time, a smaller "
                "N, or raise max_dim"
            )
        if n < MIN_FIBER_ATOMS:
            raise InvalidParameterError(
                f"the fiber method needs N >= {MIN_FIBER_ATOMS}; got N={n} (use method='dense')"
            )
        res = _fiber(n, t, gamma, pl)
    if atol is not None and res.error_bound > atol:
        raise ConvergenceError(
            f"log-negativity error bound {res.error_bound:.2e} > atol={atol:.2e} ({res.method}, N={n}, gamma={gamma}); "
            "the fiber bracket closes like 1/N: use a larger N, method='dense' at small N, or loosen atol"
        )
    return res


def magic_negativity_grid(
    n_values: Any,
    gammas: Any,
    *,
    L: int = 2,
) -> dict[str, np.ndarray]:
    """``E_N(t = 2 pi / L)`` on a grid of ``N`` x ``gamma`` (rows N, columns gamma), with error bounds.

    Returns ``{"n": N, "gamma": gamma, "value", "error_bound", "lower", "upper", "method"}`` arrays;
    each point is :func:`dephased_log_negativity` with ``method="auto"``.

    Example:

    >>> g = magic_negativity_grid([10**4, 10**6], [0.0, 0.02], L=2)
    >>> np.round(g["value"], 4).tolist()
    [[1.0, 0.995], [1.0, 0.995]]
    """
    if int(L) != L or L < 2:
        raise InvalidParameterError(f"L must be an integer >= 2; got {L!r}")
    ns = np.asarray(n_values, dtype=np.int64).ravel()
    gs = np.asarray(gammas, dtype=float).ravel()
    t = 2 * math.pi / int(L)
    shape = (ns.size, gs.size)
    out = {k: np.empty(shape) for k in ("value", "error_bound", "lower", "upper")}
    meth = np.empty(shape, dtype=object)
    for i, n in enumerate(ns):
        for j, g in enumerate(gs):
            r = dephased_log_negativity(int(n), t, float(g))
            out["value"][i, j], out["error_bound"][i, j] = r.value, r.error_bound
            out["lower"][i, j], out["upper"][i, j] = r.lower, r.upper
            meth[i, j] = r.method
    return {"n": ns, "gamma": gs, **out, "method": meth}
