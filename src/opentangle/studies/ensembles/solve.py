"""One point of the ``ensembles`` study and its analysis helpers (noise tolerance, independent checks)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from opentangle.errors import InvalidParameterError
from opentangle.spins import MAX_NEGATIVITY_DIM, dephased_log_negativity, fock_window, magic_order, pure_entanglement
from opentangle.studies._study import NoOptions
from opentangle.studies.ensembles.model import WINDOW_TOL, WINDOW_TOL_MIXED, EnsemblesParams

__all__ = ["MEASURES", "brute_entropy", "compute", "decimal_entropy", "noise_tolerance", "notes", "title"]

MEASURES = ("entropy", "log_negativity", "window", "discarded_weight")


def compute(params: EnsemblesParams, options: NoOptions | None = None) -> dict[str, Any]:
    """One parameter point: the ``--json`` object (keys :data:`MEASURES`).

    >>> compute(EnsemblesParams(n_atoms=20, t=math.pi))["window"]
    21
    """
    n, t, gamma = params.n_atoms, params.t, params.gamma
    if gamma == 0:
        r = pure_entanglement(n, t, tol=WINDOW_TOL)
        return {
            "entropy": r.entropy,
            "log_negativity": r.log_negativity,
            "window": r.window.size,
            "discarded_weight": r.window.discarded_weight,
        }
    win = fock_window(n, tol=WINDOW_TOL_MIXED)
    ln = None
    if win.size**2 <= MAX_NEGATIVITY_DIM:
        ln, win = dephased_log_negativity(n, t, gamma, tol=WINDOW_TOL_MIXED)
    elif large_n_magic(n, t):  # beyond the dense cap: the fiber bracket at magic times (spins.dephased)
        # certified or refused: a bracket wider than FIBER_ATOL raises ConvergenceError (never a silent number)
        ln = dephased_log_negativity(n, t, gamma, atol=FIBER_ATOL).value
    return {"entropy": None, "log_negativity": ln, "window": win.size, "discarded_weight": win.discarded_weight}


#: largest error bound of the fiber bracket that the CLI reports as a number (bits)
FIBER_ATOL = 1e-4


def large_n_magic(n_atoms: int, t: float) -> bool:
    """Whether the dephased log-negativity beyond the dense cap is available: a magic time ``2 pi p / L``, N >= 40."""
    return n_atoms >= 40 and magic_order(t) is not None


def notes(params: EnsemblesParams, options: Any = None) -> list[str]:
    """The CLI's stderr note when the dephased log-negativity is not computed (window too large)."""
    if params.gamma == 0:
        return []
    size = fock_window(params.n_atoms, tol=WINDOW_TOL_MIXED).size
    if size**2 <= MAX_NEGATIVITY_DIM or large_n_magic(params.n_atoms, params.t):
        return []
    return [
        f"note: with dephasing at a generic time, log_negativity is only computed for window^2 <= "
        f"{MAX_NEGATIVITY_DIM} (N <~ 100); N={params.n_atoms} needs window {size} (magic times "
        "t = 2 pi p / L have no cap)"
    ]


def title(params: EnsemblesParams) -> str:
    """Heading of the CLI table."""
    return f"ensembles: N={params.n_atoms}, t={params.t:g}, gamma={params.gamma:g}"


def noise_tolerance(n_atoms: int, *, L: int, fraction: float = 0.5, xtol: float = 1e-3) -> float:
    """Dephasing rate gamma* at which the log-negativity at the magic time ``2 pi / L`` drops to ``fraction`` of its pure value.

    >>> 0.05 < noise_tolerance(8, L=2) < 0.2
    True
    """
    from scipy.optimize import brentq

    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 1:
        raise InvalidParameterError(f"L must be a positive integer (the magic time is 2 pi / L); got {L!r}")
    t = 2 * math.pi / L
    ln0 = dephased_log_negativity(n_atoms, t, 0.0, tol=WINDOW_TOL_MIXED)[0]

    def f(lg: float) -> float:
        return dephased_log_negativity(n_atoms, t, 10.0**lg, tol=WINDOW_TOL_MIXED)[0] - fraction * ln0

    return float(10.0 ** brentq(f, -4.0, 1.5, xtol=xtol))


_PI100 = "3.1415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679"


def _svd_entropy(psi: np.ndarray) -> float:
    s = np.linalg.svd(psi, compute_uv=False) ** 2
    s = s[s > 1e-300] / s.sum()
    return max(0.0, float(-np.sum(s * np.log2(s))))


def decimal_entropy(n_atoms: int, t: float) -> float:
    """Independent high-precision check: each phase ``k k' t`` reduced mod 2 pi in 80-digit decimals, full-basis SVD.

    Shares nothing with :func:`opentangle.spins.fock.reduce_mod_2pi` (which uses Machin's
    formula in integer arithmetic): pi is the published 100-decimal string.

    >>> round(decimal_entropy(20, math.pi), 6)
    1.0
    """
    from decimal import Decimal, localcontext

    from scipy.stats import binom

    with localcontext() as ctx:
        ctx.prec = 80
        two_pi, td = 2 * Decimal(_PI100), Decimal(float(t))
        red = {p: float((p * td) % two_pi) for p in {a * b for a in range(n_atoms + 1) for b in range(a, n_atoms + 1)}}
    k = np.arange(n_atoms + 1)
    ph = np.vectorize(red.__getitem__)(np.outer(k, k))
    c = np.sqrt(binom.pmf(k, n_atoms, 0.5))
    return _svd_entropy(np.outer(c, c) * np.exp(1j * ph))


def brute_entropy(n_atoms: int, t: float) -> float:
    """Independent check (small N): SVD of the full Fock-basis amplitudes ``c_k1 c_k2 e^{i k1 k2 t}``.

    No reduction of t mod 2 pi and no reflection symmetry are used, so comparing it with
    the engine at ``2 pi - t`` and ``t + 2 pi`` is a genuine test of periodicity and mirror symmetry.

    >>> round(brute_entropy(20, math.pi / 2), 4)
    2.0
    """
    from scipy.stats import binom

    k = np.arange(n_atoms + 1)
    c = np.sqrt(binom.pmf(k, n_atoms, 0.5))
    return _svd_entropy(np.outer(c, c) * np.exp(1j * np.outer(k, k) * t))
