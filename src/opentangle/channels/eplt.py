r"""Entanglement-preserving local thermalisation (EPLT), Hsieh, Lostaglio, Acín 2020.

The protocol, with a shared coin of bias :math:`\gamma`:

.. math:: \mathcal E_\gamma(\rho) = \gamma\,T(\rho) + (1-\gamma)\,\sigma_A\otimes\sigma_B,\qquad
          \sigma_X = \frac{\tau_X - \gamma\,1/d}{1-\gamma},

where :math:`T` is the isotropic twirl.  Both output marginals equal :math:`\tau_X`
for every input; :math:`\sigma_X \ge 0` needs :math:`\gamma \le d P_{\min}`.
With *independent* local coins the channel is
:math:`(\mathcal M_A\otimes\mathcal M_B)\circ T`, :math:`\mathcal M_X(Y) = \gamma Y + (1-\gamma)\mathrm{tr}(Y)\sigma_X`:
still a local thermalisation, but the entangled branch only has weight :math:`\gamma^2`.

``E_gamma`` needs :math:`P_{\min} > 0`; with a zero population only :math:`\gamma = 0`
(the product output) is allowed.  That rules out every EPLT only when a ``tau`` is *pure*:
a rank-deficient but non-pure ``tau`` admits EPLTs outside this family (map each
party onto the support of its ``tau``, then apply ``E_gamma`` on that subspace).
The ``n``-party GHZ version replaces :math:`T` by the GHZ twirl.

Reference: C.-Y. Hsieh, M. Lostaglio, A. Acín, Phys. Rev. Research 2, 013379 (2020), arXiv:1904.07945.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from opentangle._convert import as_array, check_real
from opentangle.channels._core import Channel, compose, from_function, mixture, replacement_channel, tensor
from opentangle.channels.twirls import ghz_twirl, ghz_twirl_channel, isotropic_twirl, isotropic_twirl_channel
from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.operators import kron
from opentangle.states import validate_density_matrix

__all__ = [
    "as_thermal_state",
    "eplt_channel",
    "eplt_output",
    "fmax_upper_bound",
    "ghz_eplt_channel",
    "ghz_eplt_output",
    "max_gamma",
    "mixing_states",
]


def as_thermal_state(tau: Any, *, name: str = "tau") -> np.ndarray:
    """A density matrix from a matrix or from a 1-D vector of populations (diagonal state)."""
    arr, _ = as_array(tau, name=name)
    if arr.ndim == 1:
        from opentangle.states import thermal_state

        try:
            return thermal_state(spectrum=arr)
        except InvalidParameterError as exc:
            raise InvalidParameterError(f"{name}: {exc}") from exc
    return validate_density_matrix(tau, name=name)


def _parties(taus: Any) -> list[Any]:
    if isinstance(taus, (str, bytes)) or not hasattr(taus, "__len__"):
        raise DimensionError(f"taus must be a sequence of thermal states (one per party); got {taus!r:.60}")
    if len(taus) < 2:
        raise DimensionError("the GHZ protocol needs at least two parties (one tau per party)")
    return list(taus)


def _taus(taus: Sequence[Any]) -> tuple[list[np.ndarray], int]:
    if not taus:
        raise DimensionError("give at least one thermal state tau")
    ts = [as_thermal_state(t, name=f"tau[{k}]") for k, t in enumerate(taus)]
    d = ts[0].shape[0]
    if any(t.shape[0] != d for t in ts) or d < 2:
        raise DimensionError(
            f"all thermal states must have the same local dimension d >= 2; got {[t.shape[0] for t in ts]}"
        )
    return ts, d


def max_gamma(*taus: Any) -> float:
    r"""Largest allowed coin bias :math:`\gamma_{\max} = d\,P_{\min}` (smallest eigenvalue over all ``taus``), capped at 1."""
    ts, d = _taus(taus)
    pmin = min(float(np.linalg.eigvalsh(t).min()) for t in ts)
    return float(min(1.0, max(0.0, d * pmin)))


def _check_gamma(gamma: float | None, ts: list[np.ndarray], d: int) -> float:
    gmax = max_gamma(*ts)
    if gamma is None:
        return gmax
    g = check_real(gamma, "gamma")
    if g < 0 or g > 1:
        raise InvalidParameterError(f"gamma must lie in [0, 1]; got {g}")
    if g > gmax + 1e-12 and gmax <= 1e-15:
        if any(float(np.linalg.eigvalsh(t).max()) >= 1 - 1e-12 for t in ts):
            raise InvalidParameterError(
                f"gamma = {g:.6g} > 0 is impossible: a thermal state is pure (zero temperature), so no "
                "entanglement-preserving local thermalisation exists at all; only gamma = 0 is allowed"
            )
        raise InvalidParameterError(
            f"gamma = {g:.6g} > 0 is impossible: E_gamma needs P_min > 0, but a thermal state has a zero "
            "population, so only gamma = 0 is allowed in the E_gamma family. (This tau is not pure: EPLTs "
            "outside E_gamma exist, e.g. map locally onto tau's support, then the shared-coin twirl there)"
        )
    if g > gmax + 1e-12:
        raise InvalidParameterError(
            f"gamma = {g:.6g} is above d * P_min = {gmax:.6g}: the mixing states sigma would not be positive. "
            "Use gamma <= d * P_min (the default)"
        )
    return min(g, gmax)


def mixing_states(*taus: Any, gamma: float | None = None) -> tuple[float, list[np.ndarray]]:
    r"""``(gamma, [sigma_k])`` with :math:`\sigma_k = (\tau_k - \gamma/d)/(1-\gamma)` (``sigma_k = tau_k`` if ``gamma = 1``)."""
    ts, d = _taus(taus)
    g = _check_gamma(gamma, ts, d)
    if g >= 1.0:
        return g, [np.eye(d, dtype=complex) / d for _ in ts]
    sig = [(t - g * np.eye(d) / d) / (1 - g) for t in ts]
    return g, [(s + s.conj().T) / 2 for s in sig]


def eplt_output(rho: Any, tau_a: Any, tau_b: Any, *, gamma: float | None = None, coins: str = "shared") -> np.ndarray:
    r"""Closed-form :math:`\mathcal E_\gamma(\rho)` for a state or a batch ``(..., d^2, d^2)`` (fast path, any ``d``).

    ``coins="shared"`` is the EPLT; ``coins="independent"`` uses independent local coins.

    Example
    -------
    >>> from opentangle.states import bell_state
    >>> out = eplt_output(bell_state("phi+"), [0.8, 0.2], [0.8, 0.2])   # gamma = 0.4
    >>> round(float(out[0, 0].real), 3)
    0.8
    """
    g, (sa, sb) = mixing_states(tau_a, tau_b, gamma=gamma)
    d = sa.shape[0]
    tw = isotropic_twirl(rho, d=d)
    if coins == "shared":
        return g * tw + (1 - g) * np.kron(sa, sb)
    if coins == "independent":
        tr = np.trace(tw, axis1=-2, axis2=-1)[..., None, None]
        eye = np.eye(d) / d
        return (
            g * g * tw + g * (1 - g) * tr * (np.kron(eye, sb) + np.kron(sa, eye)) + (1 - g) ** 2 * tr * np.kron(sa, sb)
        )
    raise InvalidParameterError(f"coins must be 'shared' or 'independent'; got {coins!r}")


def eplt_channel(tau_a: Any, tau_b: Any, *, gamma: float | None = None, coins: str = "shared") -> Channel:
    r"""The channel :math:`\mathcal E_\gamma` on ``[d, d]``, built from the toolkit as an LOSR protocol.

    ``coins="shared"``: ``mixture([T, R_A (x) R_B], [gamma, 1 - gamma])`` (one coin, both parties
    follow it).  ``coins="independent"``: ``(M_A (x) M_B) o T`` with local coins.
    The default ``gamma`` is :math:`dP_{\min}`; larger values raise :class:`InvalidParameterError`.
    """
    g, (sa, sb) = mixing_states(tau_a, tau_b, gamma=gamma)
    d = sa.shape[0]
    tw = isotropic_twirl_channel(d)
    ra, rb = replacement_channel(sa, d_in=d, name="sigma_A"), replacement_channel(sb, d_in=d, name="sigma_B")
    if coins == "shared":
        return mixture([tw, tensor(ra, rb)], [g, 1 - g], name=f"E_gamma(gamma={g:.4g}, shared coin)")
    if coins == "independent":
        ident = from_function(lambda x: x, dims_in=d, dims_out=d, name="id", check=False)
        ma = mixture([ident, ra], [g, 1 - g])
        mb = mixture([ident, rb], [g, 1 - g])
        ch = compose(tensor(ma, mb), tw)
        return Channel(ch.choi, ch.dims_in, ch.dims_out, f"E_gamma(gamma={g:.4g}, independent coins)")
    raise InvalidParameterError(f"coins must be 'shared' or 'independent'; got {coins!r}")


def ghz_eplt_output(rho: Any, taus: Sequence[Any], *, gamma: float | None = None) -> np.ndarray:
    r""":math:`\gamma\,T_{GHZ}(\rho) + (1-\gamma)\bigotimes_k\sigma_k` for ``n = len(taus)`` parties (batch allowed)."""
    taus = _parties(taus)
    g, sig = mixing_states(*taus, gamma=gamma)
    d = sig[0].shape[0]
    return g * ghz_twirl(rho, n=len(taus), d=d) + (1 - g) * kron(*sig)


def ghz_eplt_channel(taus: Sequence[Any], *, gamma: float | None = None) -> Channel:
    """The ``n``-party GHZ EPLT as a :class:`Channel` (shared coin: GHZ twirl or product replacement)."""
    taus = _parties(taus)
    g, sig = mixing_states(*taus, gamma=gamma)
    d, n = sig[0].shape[0], len(taus)
    tw = ghz_twirl_channel(n, d)
    rep = tensor(*[replacement_channel(s, d_in=d) for s in sig])
    return mixture([tw, rep], [g, 1 - g], name=f"E_gamma^GHZ(n={n}, gamma={g:.4g})")


def fmax_upper_bound(*taus: Any) -> float:
    r"""Upper bound on the fully entangled fraction of *any* state with marginals ``taus``:

    .. math:: F_{\max} \le \min_X \frac{(\sum_i \sqrt{p^X_i})^2}{d}

    (fidelity with a maximally entangled state is at most the fidelity of the
    marginals, :math:`F(\tau_X, 1/d)`, by monotonicity under partial trace).
    """
    ts, d = _taus(taus)
    vals = [float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(t), 0, None))) ** 2 / d) for t in ts]
    return min(vals)
