r"""Twirls: closed forms and a seeded Haar Monte Carlo used to test them.

* isotropic twirl :math:`\int dU\,(U\otimes U^*)\rho(U\otimes U^*)^\dagger
  = F\Phi^+ + (1-F)(1-\Phi^+)/(d^2-1)`, :math:`F = \langle\Phi^+|\rho|\Phi^+\rangle`;
* Werner twirl :math:`\int dU\,(U\otimes U)\rho(U\otimes U)^\dagger
  = p_s P_s/d_s + p_a P_a/d_a`, :math:`p_{s,a} = \mathrm{tr}(P_{s,a}\rho)`;
* GHZ twirl (``n`` parties, local dimension ``d``): shared random phases
  :math:`\otimes_k \mathrm{diag}(e^{i\theta_k(j)})` with
  :math:`\sum_k\theta_k(j) = 0`, then a shared cyclic shift :math:`X^{m\otimes n}`.
  It keeps the GHZ overlap, keeps only the diagonal and the coherences
  :math:`|a\dots a\rangle\langle b\dots b|`, and makes every single-party
  marginal maximally mixed.  All three are LOSR (shared randomness only).

Reference: M. Horodecki, P. Horodecki, PRA 59, 4206 (1999); R. F. Werner,
PRA 40, 4277 (1989); W. Dür, J. I. Cirac, PRA 61, 042314 (2000).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from opentangle._convert import as_operator, check_int
from opentangle.channels._core import Channel, from_function
from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.operators import random_unitary
from opentangle.states import maximally_entangled_state, validate_density_matrix

__all__ = [
    "ghz_twirl",
    "ghz_twirl_channel",
    "haar_twirl",
    "isotropic_twirl",
    "isotropic_twirl_channel",
    "werner_twirl",
    "werner_twirl_channel",
]


def _local_dim(arr: np.ndarray, d: int | None) -> int:
    total = arr.shape[-1]
    if d is None:
        d = math.isqrt(total)
    if d < 2 or d * d != total:
        raise DimensionError(f"the twirls act on d x d systems; got dimension {total} (d={d})")
    return int(d)


def _swap(d: int) -> np.ndarray:
    return np.eye(d * d).reshape(d, d, d, d).transpose(0, 1, 3, 2).reshape(d * d, d * d)


def _input(rho: Any, state: bool) -> np.ndarray:
    """A validated state (batch allowed), or any operator when ``state`` is False (the linear extension)."""
    if state:
        return validate_density_matrix(rho, name="rho", batch=True)
    return as_operator(rho, name="rho", batch=True)[0]


def isotropic_twirl(rho: Any, *, d: int | None = None, state: bool = True) -> np.ndarray:
    r"""Closed-form :math:`U\otimes U^*` twirl of ``rho`` (or a batch ``(..., d^2, d^2)``).

    .. math:: T(\rho) = F\,\Phi^+ + (1-F)\frac{1-\Phi^+}{d^2-1},\qquad F = \langle\Phi^+|\rho|\Phi^+\rangle

    ``rho`` must be a density matrix unless ``state=False`` (any operator; ``1-F`` is then
    replaced by ``tr rho - F``).

    Example
    -------
    >>> from opentangle.states import isotropic_state
    >>> bool(np.allclose(isotropic_twirl(isotropic_state(0.7, 3)), isotropic_state(0.7, 3)))
    True
    """
    arr = _input(rho, state)
    d = _local_dim(arr, d)
    phi = maximally_entangled_state(d)
    f = np.einsum("ij,...ji->...", phi, arr)[..., None, None]
    tr = np.trace(arr, axis1=-2, axis2=-1)[..., None, None]
    return f * phi + (tr - f) * (np.eye(d * d) - phi) / (d * d - 1)


def werner_twirl(rho: Any, *, d: int | None = None, state: bool = True) -> np.ndarray:
    r"""Closed-form :math:`U\otimes U` twirl: :math:`p_s P_s/d_s + p_a P_a/d_a` with :math:`p_x = \mathrm{tr}(P_x\rho)`.

    :math:`P_{s,a} = (1 \pm \mathrm{SWAP})/2`, :math:`d_{s,a} = d(d\pm1)/2`.
    """
    arr = _input(rho, state)
    d = _local_dim(arr, d)
    ps = (np.eye(d * d) + _swap(d)) / 2
    pa = np.eye(d * d) - ps
    s = np.einsum("ij,...ji->...", ps, arr)[..., None, None]
    a = np.einsum("ij,...ji->...", pa, arr)[..., None, None]
    return s * ps / (d * (d + 1) / 2) + a * pa / (d * (d - 1) / 2)


def haar_twirl(
    rho: Any,
    *,
    kind: str = "isotropic",
    samples: int = 2000,
    seed: int | np.random.Generator | None = None,
    d: int | None = None,
) -> np.ndarray:
    r"""Monte Carlo twirl over ``samples`` Haar-random unitaries (``kind`` = ``"isotropic"``: :math:`U\otimes U^*`,
    ``"werner"``: :math:`U\otimes U`).  The error falls as :math:`1/\sqrt{\text{samples}}`; use it to test the
    closed forms, not for production.
    """
    arr, _ = as_operator(rho, name="rho")
    d = _local_dim(arr, d)
    if kind not in ("isotropic", "werner"):
        raise InvalidParameterError(f"kind must be 'isotropic' or 'werner'; got {kind!r}")
    if int(samples) != samples or samples < 1:
        raise InvalidParameterError(f"samples must be a positive integer; got {samples!r}")
    rng = np.random.default_rng(seed)
    acc = np.zeros_like(arr)
    for _ in range(int(samples)):
        u = random_unitary(d, seed=rng)
        w = np.kron(u, u.conj() if kind == "isotropic" else u)
        acc += w @ arr @ w.conj().T
    return acc / samples


def _ghz_indices(n: int, d: int) -> np.ndarray:
    return np.arange(d) * sum(d**k for k in range(n))


def ghz_twirl(rho: Any, *, n: int, d: int = 2, state: bool = True) -> np.ndarray:
    r"""Closed-form GHZ twirl of an ``n``-party state of local dimension ``d`` (batch allowed).

    Keeps the diagonal and the GHZ-block coherences :math:`\rho_{a\dots a,\,b\dots b}`, then averages
    both over the shared cyclic shift :math:`a\to a+m`.  Preserves
    :math:`\langle GHZ|\rho|GHZ\rangle`; every single-party marginal of the output is :math:`1/d`.
    """
    arr = _input(rho, state)
    n, d = check_int(n, "n", error=DimensionError), check_int(d, "d", error=DimensionError)
    if n < 2 or d < 2 or arr.shape[-1] != d**n:
        raise DimensionError(f"ghz_twirl needs n >= 2 parties of dimension d >= 2 with d^n = {arr.shape[-1]}")
    batch = arr.shape[:-2]
    axes = tuple(range(len(batch), len(batch) + n))
    p = np.diagonal(arr, axis1=-2, axis2=-1).reshape(*batch, *(d,) * n)
    p = np.mean([np.roll(p, shift=(-m,) * n, axis=axes) for m in range(d)], axis=0)
    g = _ghz_indices(n, d)
    c = arr[..., g[:, None], g[None, :]]
    c = np.mean([np.roll(c, shift=(-m, -m), axis=(-2, -1)) for m in range(d)], axis=0)
    out = np.zeros_like(arr)
    out[..., g[:, None], g[None, :]] = c
    idx = np.arange(d**n)
    out[..., idx, idx] = p.reshape(*batch, d**n)
    return out


def isotropic_twirl_channel(d: int) -> Channel:
    """The isotropic twirl as a :class:`Channel` on ``[d, d]``."""
    d = check_int(d, "d", minimum=2, error=DimensionError)
    return from_function(lambda x: isotropic_twirl(x, d=d, state=False), dims_in=[d, d], dims_out=[d, d], name="T_iso")


def werner_twirl_channel(d: int) -> Channel:
    """The Werner twirl as a :class:`Channel` on ``[d, d]``."""
    d = check_int(d, "d", minimum=2, error=DimensionError)
    return from_function(lambda x: werner_twirl(x, d=d, state=False), dims_in=[d, d], dims_out=[d, d], name="T_werner")


def ghz_twirl_channel(n: int, d: int = 2) -> Channel:
    """The GHZ twirl as a :class:`Channel` on ``[d] * n``."""
    n = check_int(n, "n", minimum=2, error=DimensionError)
    d = check_int(d, "d", minimum=2, error=DimensionError)
    return from_function(lambda x: ghz_twirl(x, n=n, d=d, state=False), dims_in=[d] * n, dims_out=[d] * n, name="T_GHZ")
