"""Schwinger-boson ensembles: Fock windows, binomial amplitudes, coherent overlaps.

An ensemble of N two-level atoms in modes a, b is described by the Fock states
``|k>`` (k atoms in a, ``S^z = 2k - N``).  The x-polarised spin coherent state is
``2^(-N/2) sum_k sqrt(C(N,k)) |k>``; the equatorial coherent state at azimuth
``alpha`` is ``sum_k c_k e^{i k alpha} |k>`` (conventions: Li, ..., Byrnes, arXiv:2603.06085).
Everything is computed in log space so that ``N = 10^6`` does not overflow.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._convert import check_real
from opentangle.errors import InvalidParameterError

__all__ = [
    "FockWindow",
    "binomial_amplitudes",
    "binomial_log_weights",
    "check_n_atoms",
    "coherent_overlap",
    "cos_power",
    "fock_window",
    "log_abs_cos_power",
    "reduce_mod_2pi",
    "x_coherent_state",
]

#: the largest ensemble accepted (the window then has ~ 6.4 sqrt(N) states).  Larger N
#: are refused: at N = 10^8 one generic time point takes minutes (cost ~ N b).
MAX_ATOMS = 10**7


@functools.lru_cache(maxsize=8)
def _two_pi_fixed(bits: int) -> int:
    """``floor(2 pi 2^bits)`` (error < 1) by Machin's formula in integer arithmetic."""
    guard = 32
    one = 1 << (bits + guard)

    def arctan_inv(x: int) -> int:  # arctan(1/x) * 2^(bits+guard), alternating series
        total = term = one // x
        x2, n, sign = x * x, 3, -1
        while term:
            term //= x2
            total += sign * (term // n)
            n, sign = n + 2, -sign
        return total

    pi = 4 * (4 * arctan_inv(5) - arctan_inv(239))
    return (2 * pi) >> guard


def reduce_mod_2pi(t: float, *, multiple: int = 1) -> float:
    r"""``t mod 2 pi m`` (``m = multiple``) in ``[0, 2 pi m)``, correctly rounded for every finite float ``t``.

    A float is an exact binary rational, so the remainder is computed exactly: ``t 2^B``
    (an integer) modulo ``floor(2 pi 2^B)`` with ``B = 96 + max(0, exponent of t)`` bits
    of pi.  The error is below ``t / 2^B < 2^-96``, whatever ``t`` (1e14, 1e300).
    ``numpy.remainder(t, 2 * np.pi)`` instead uses the float ``2 pi``, off by 2.4e-16:
    an error of about ``t * 4e-17`` (0.004 rad at t = 1e14).

    Example
    -------
    >>> abs(reduce_mod_2pi(7.0) - (7.0 - 2 * math.pi)) < 1e-15
    True
    >>> round(reduce_mod_2pi(1e14), 12)  # numpy.remainder(1e14, 2 * np.pi) gives 3.356461
    3.352562465297
    """
    t = float(t)
    if not math.isfinite(t):
        raise InvalidParameterError(f"t must be finite; got {t!r}")
    if multiple not in (1, 2):
        raise InvalidParameterError(f"multiple must be 1 or 2; got {multiple!r}")
    if 0.0 <= t < 6.283185307179586 * multiple:  # already reduced (the float 2 pi is below the true 2 pi)
        return t
    num, den = t.as_integer_ratio()  # den is a power of two
    bits = 96 + max(0, math.frexp(t)[1]) + den.bit_length()
    period = multiple * _two_pi_fixed(bits)
    rem = ((num << bits) // den) % period  # exact: den divides 2^bits; Python's % is >= 0
    out = rem / (1 << bits)  # int / int is correctly rounded
    return out if out < 2 * math.pi * multiple else 0.0


def check_n_atoms(n_atoms: Any) -> int:
    """A positive integer number of atoms, or :class:`InvalidParameterError`."""
    try:
        v = float(n_atoms)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"n_atoms must be a positive integer; got {n_atoms!r}") from exc
    if not math.isfinite(v) or v != int(v) or v < 1:
        raise InvalidParameterError(f"n_atoms must be an integer >= 1; got {n_atoms!r}")
    if v > MAX_ATOMS:
        raise InvalidParameterError(
            f"n_atoms must be <= {MAX_ATOMS:.0e} (the largest ensemble this engine handles in reasonable "
            f"time); got {n_atoms!r}"
        )
    return int(v)


@dataclass(frozen=True)
class FockWindow:
    """The Fock states ``k_min <= k <= k_max`` kept for one ensemble of ``n_atoms``.

    ``w`` is the half-width in units of ``sqrt(N)`` (``k`` in ``N/2 +/- w sqrt(N)``);
    ``discarded_weight`` is the binomial weight ``sum_{k outside} C(N,k) / 2^N``.
    """

    n_atoms: int
    k_min: int
    k_max: int
    w: float
    discarded_weight: float

    @property
    def size(self) -> int:
        return self.k_max - self.k_min + 1

    @property
    def k(self) -> np.ndarray:
        return np.arange(self.k_min, self.k_max + 1)

    @property
    def x(self) -> np.ndarray:
        """Centred labels ``k - N/2`` (half-integers for odd N)."""
        return self.k - self.n_atoms / 2.0

    @property
    def is_full(self) -> bool:
        return self.k_min == 0 and self.k_max == self.n_atoms

    def __repr__(self) -> str:
        return (
            f"FockWindow(N={self.n_atoms}, k=[{self.k_min}, {self.k_max}], size={self.size}, "
            f"w={self.w:.3f}, discarded_weight={self.discarded_weight:.3e})"
        )


def fock_window(n_atoms: int, *, tol: float = 1e-10, w: float | None = None) -> FockWindow:
    r"""The Fock window ``k in N/2 +/- w sqrt(N)`` of an x-polarised ensemble.

    With ``w=None`` the narrowest symmetric window whose discarded binomial weight
    :math:`\delta = \sum_{|k-N/2| > w\sqrt N} \binom{N}{k} 2^{-N}` is ``<= tol``
    is chosen; for a pure state the entropy error is then of order
    :math:`\delta(\log_2(1/\delta) + E)` (measured in ``benchmarks/bench_ensembles.py``).

    Example:

    >>> fock_window(10**6, tol=1e-10).size
    6467
    """
    from scipy.stats import binom  # lazy: scipy.stats costs ~2 s of CLI start-up (issue 19)

    n = check_n_atoms(n_atoms)
    if w is None:
        tol = check_real(tol, "tol")
        if not 0 < tol < 1:
            raise InvalidParameterError(f"tol (discarded weight) must lie in (0, 1); got {tol}")
        # smallest k_max with P(k > k_max) <= tol/2, window symmetric about N/2
        k_max = int(binom.isf(tol / 2, n, 0.5))
        k_max = max(k_max, math.ceil(n / 2))
        k_min = n - k_max
    else:
        w = check_real(w, "w")
        if w <= 0:
            raise InvalidParameterError(f"window half-width w must be > 0; got {w}")
        half = w * math.sqrt(n)
        k_min = max(0, math.ceil(n / 2 - half - 1e-9))
        k_max = n - k_min
    k_min, k_max = max(0, k_min), min(n, k_max)
    lost = float(binom.cdf(k_min - 1, n, 0.5) + binom.sf(k_max, n, 0.5)) if k_min > 0 else 0.0
    width = (k_max - n / 2) / math.sqrt(n)
    return FockWindow(n_atoms=n, k_min=k_min, k_max=k_max, w=float(width), discarded_weight=lost)


def _stirlerr(n: Any) -> np.ndarray:
    """``log(n!) - (n + 1/2) log n + n - log(2 pi)/2`` for n >= 16 (asymptotic series, error < 1e-17)."""
    n = np.asarray(n, dtype=float)
    n2 = n * n
    return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - 1.0 / (1680 * n2)) / n2) / n2) / n


def binomial_log_weights(n_atoms: int, k: Any) -> np.ndarray:
    r"""``log(C(N, k) / 2^N)`` (natural log), accurate to ~1e-13 also for N = 10^6.

    ``gammaln`` differences (and ``scipy.stats.binom.logpmf``) lose ~1e-9 at
    N = 10^6 to cancellation; for ``min(k, N-k) >= 16`` we use Loader's form
    :math:`\log p = \delta(N) - \delta(k) - \delta(N-k) - N D(k/N\|1/2)
    + \tfrac12\log\frac{N}{2\pi k(N-k)}` with the Stirling remainders
    :math:`\delta` and :math:`D` evaluated with ``log1p``.
    """
    from scipy.special import gammaln

    n = int(n_atoms)
    k = np.asarray(k, dtype=float)
    m = np.minimum(k, n - k)
    big = m >= 16
    out = np.empty(k.shape)
    ks = k[~big]
    out[~big] = gammaln(n + 1.0) - gammaln(ks + 1.0) - gammaln(n - ks + 1.0) - n * math.log(2.0)
    kb = k[big]
    u = 2.0 * kb / n - 1.0
    kl = 0.5 * ((1 + u) * np.log1p(u) + (1 - u) * np.log1p(-u))  # D(k/N || 1/2)
    out[big] = _stirlerr(n) - _stirlerr(kb) - _stirlerr(n - kb) - n * kl + 0.5 * np.log(n / (2 * np.pi * kb * (n - kb)))
    return out


def binomial_amplitudes(n_atoms: int, k: Any) -> np.ndarray:
    """``c_k = sqrt(C(N, k) / 2^N)``, the amplitudes of the x-polarised coherent state."""
    n = check_n_atoms(n_atoms)
    ks = np.asarray(k)
    if ks.dtype.kind not in "biuf" or (ks.size and not (np.all(np.isfinite(ks)) and ks.min() >= 0 and ks.max() <= n)):
        raise InvalidParameterError(f"k must be excitation numbers in 0..{n}; got {k!r:.60}")
    return np.exp(0.5 * binomial_log_weights(n, k))


def _reduce(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``theta = m pi + r`` with ``|r| <= pi/2``; returns ``(r, m)``."""
    m = np.rint(theta / np.pi)
    return theta - m * np.pi, m


def log_abs_cos_power(n: Any, theta: Any) -> np.ndarray:
    r"""``N log|cos(theta)|`` computed without cancellation near ``cos = 1``."""
    r, _ = _reduce(np.asarray(theta, dtype=float))
    s = np.sin(0.5 * r)
    with np.errstate(divide="ignore"):
        return n * np.log1p(np.maximum(-2.0 * s * s, -1.0))


def cos_power(n: int, theta: Any) -> np.ndarray:
    r""":math:`\cos^N\theta` in log space (real, with its sign)."""
    theta = np.asarray(theta, dtype=float)
    _r, m = _reduce(theta)
    val = np.exp(log_abs_cos_power(n, theta))
    if n % 2:
        val = np.where(np.mod(m, 2) == 1, -val, val)
    return val


def coherent_overlap(n_atoms: int, dphi: Any) -> np.ndarray:
    r"""Overlap :math:`\langle\chi_{\alpha'}|\chi_{\alpha}\rangle = ((1+e^{i\,\delta})/2)^N`, ``delta = alpha - alpha'``.

    Here :math:`|\chi_\alpha\rangle = \sum_k c_k e^{ik\alpha}|k\rangle` is the
    equatorial spin coherent state.  Closed form
    :math:`e^{iN\delta/2}\cos^N(\delta/2)`, evaluated in log space.

    Example (``|overlap| ~ exp(-N dphi^2 / 8)``):

    >>> import math
    >>> round(float(abs(coherent_overlap(10**6, 0.01))) / math.exp(-12.5), 3)
    1.0
    """
    n = check_n_atoms(n_atoms)
    d = np.asarray(dphi, dtype=float)
    return cos_power(n, 0.5 * d) * np.exp(0.5j * n * np.mod(d, 4 * np.pi))


def x_coherent_state(n_atoms: int, *, phase: float = 0.0, window: FockWindow | None = None) -> np.ndarray:
    r"""Fock amplitudes :math:`c_k e^{ik\,\mathrm{phase}}` of the equatorial coherent state (on ``window``)."""
    n = check_n_atoms(n_atoms)
    phase = check_real(phase, "phase")
    k = np.arange(n + 1) if window is None else window.k
    return binomial_amplitudes(n, k) * np.exp(1j * phase * k)
