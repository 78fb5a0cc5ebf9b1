"""The computations of the thermalize study: ``E_gamma`` on a state, closed forms, thresholds, best EPLT.

Reported for one point (:data:`MEASURES`): ``gamma``, ``entangled`` (negative partial
transpose; for d >= 3 ``False`` means PPT), ``output_negativity``, ``output_overlap``
(<Phi+|out|Phi+>), ``fully_entangled_fraction`` and ``marginal_error`` (max entry of
``tr_B out - tau_A`` and ``tr_A out - tau_B``).

Reference: C.-Y. Hsieh, M. Lostaglio, A. Acín, Phys. Rev. Research 2, 013379 (2020),
arXiv:1904.07945.  Conventions: docs/thermalize.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opentangle.channels import (
    Channel,
    eplt_output,
    fmax_upper_bound,
    from_function,
    isotropic_twirl,
    local_thermalization_error,
    max_gamma,
    mixing_states,
)
from opentangle.errors import DimensionError
from opentangle.measures import fully_entangled_fraction, negativity
from opentangle.measures.negativity import partial_transpose_spectrum
from opentangle.operators import partial_trace, partial_transpose
from opentangle.states import isotropic_state, maximally_entangled_state
from opentangle.studies._study import NoOptions
from opentangle.studies.thermalize.model import ThermalizeParams, as_thermal_state, parse_populations

__all__ = [
    "MEASURES",
    "BestEPLT",
    "EPLTReport",
    "best_eplt",
    "compute",
    "ghz_output_fidelity",
    "phi_plus_negativity",
    "pt_min",
    "thermalize",
    "threshold_fidelity",
]

MEASURES: tuple[str, ...] = (
    "gamma",
    "entangled",
    "output_negativity",
    "output_overlap",
    "fully_entangled_fraction",
    "marginal_error",
)

#: Partial-transpose eigenvalues above ``-_PPT_RTOL * d^2`` count as zero (eigensolver noise
#: for a unit-trace state).  ``entangled`` and ``output_negativity`` use the same cut, so
#: ``entangled`` is ``output_negativity > 0``.
_PPT_RTOL = 4 * np.finfo(float).eps


def _ppt_tol(d: int) -> float:
    return _PPT_RTOL * d * d


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class EPLTReport:
    """What :func:`thermalize` finds for one input; ``as_dict()`` is the CLI's ``--json`` object."""

    d: int
    gamma: float
    gamma_max: float
    coins: str
    entangled: bool
    output_negativity: float
    output_overlap: float
    fully_entangled_fraction: float
    fmax_upper_bound: float
    marginal_error: float
    output: np.ndarray = field(repr=False)

    @property
    def eplt_exists(self) -> bool:
        """Whether this ``E_gamma`` has ``gamma > 0``; at ``gamma = 0`` it outputs ``tau_A (x) tau_B``.

        ``False`` does not mean that no EPLT exists for these ``tau``: that is so only
        when a ``tau`` is pure (see :func:`opentangle.channels.mixing_states`).
        """
        return self.gamma > 0

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in MEASURES}

    def summary(self) -> str:
        verdict = "entangled (NPT)" if self.entangled else "PPT (no entanglement detected)"
        note = "" if self.eplt_exists else "  [gamma = 0: E_gamma outputs tau_A (x) tau_B]"
        return (
            f"E_gamma, d={self.d}, gamma={self.gamma:.6g} (max {self.gamma_max:.6g}, {self.coins} coin): {verdict}, "
            f"N={self.output_negativity:.6g}, <Phi+|out|Phi+>={self.output_overlap:.6g}, "
            f"F_max={self.fully_entangled_fraction:.6g} <= bound {self.fmax_upper_bound:.6g}, "
            f"marginal error {self.marginal_error:.1e}{note}"
        )


def thermalize(rho: Any, *, tau_a: Any, tau_b: Any, gamma: float | None = None, coins: str = "shared") -> EPLTReport:
    r"""Apply :math:`\mathcal E_\gamma` to ``rho`` (``d x d``) and measure the output.

    ``tau_a``, ``tau_b``: populations (``"0.8,0.2"`` or a vector) or density matrices.
    ``gamma`` defaults to :math:`dP_{\min}`.

    Example
    -------
    >>> from opentangle.states import isotropic_state
    >>> r = thermalize(isotropic_state(0.6, 2), tau_a="0.8,0.2", tau_b="0.8,0.2")
    >>> r.entangled, round(r.gamma, 6)
    (True, 0.4)
    """
    ta, tb = as_thermal_state(tau_a, "tau_a"), as_thermal_state(tau_b, "tau_b")
    if ta.shape != tb.shape:
        raise DimensionError(f"tau_a and tau_b must have the same dimension; got {ta.shape[0]} and {tb.shape[0]}")
    d = ta.shape[0]
    out = eplt_output(rho, ta, tb, gamma=gamma, coins=coins)
    g, _ = mixing_states(ta, tb, gamma=gamma)
    dims = [d, d]
    spec = np.asarray(partial_transpose_spectrum(out, dims), dtype=float)
    neg = spec[spec < -_ppt_tol(d)]
    # negativity = sum of |negative PT eigenvalues| (= (||out^T_A||_1 - 1)/2 for unit trace); the same
    # cut decides `entangled`, so the two can never disagree (an absolute 1e-12 cut could: tau with P_min ~ 1e-13)
    n_out = float(-neg.sum()) if neg.size else 0.0
    phi = maximally_entangled_state(d)
    merr = max(
        float(np.max(np.abs(partial_trace(out, [0], dims) - ta))),
        float(np.max(np.abs(partial_trace(out, [1], dims) - tb))),
    )
    return EPLTReport(
        d=d,
        gamma=g,
        gamma_max=max_gamma(ta, tb),
        coins=coins,
        entangled=bool(n_out > 0),
        output_negativity=n_out,
        output_overlap=float(np.real(np.trace(phi @ out))),
        fully_entangled_fraction=float(fully_entangled_fraction(out, dims)),
        fmax_upper_bound=fmax_upper_bound(ta, tb),
        marginal_error=merr,
        output=out,
    )


def phi_plus_negativity(p_a: Any, p_b: Any, *, gamma: float | None = None) -> float:
    r"""Closed-form negativity of :math:`\mathcal E_\gamma(\Phi^+)` for diagonal ``tau`` (independent of the eigensolver).

    :math:`(\mathcal E_\gamma(\Phi^+))^{T_A} = \gamma\,\mathrm{SWAP}/d + (1-\gamma)\sigma_A\otimes\sigma_B`
    splits into 2x2 blocks on :math:`\{|ij\rangle, |ji\rangle\}`; with :math:`x = (1-\gamma)a_ib_j`,
    :math:`y = (1-\gamma)a_jb_i`, :math:`c=\gamma/d`, the negative eigenvalue is
    :math:`-(c^2-xy)/(\sqrt{((x-y)/2)^2+c^2}+(x+y)/2)` when :math:`xy<c^2`.  Stable at low temperature.
    """
    pa, pb = parse_populations(p_a, name="tau_a"), parse_populations(p_b, name="tau_b")
    g, (sa, sb) = mixing_states(pa, pb, gamma=gamma)
    a, b, d = np.real(np.diag(sa)), np.real(np.diag(sb)), pa.size
    i, j = np.triu_indices(d, 1)
    x, y, c = (1 - g) * a[i] * b[j], (1 - g) * a[j] * b[i], g / d
    num = c * c - x * y
    den = np.sqrt(((x - y) / 2) ** 2 + c * c) + (x + y) / 2
    return float(np.sum(np.where(num > 0, num / np.where(den > 0, den, 1.0), 0.0)))


def ghz_output_fidelity(taus: Sequence[Any], *, gamma: float | None = None) -> float:
    r"""Closed form :math:`F_{GHZ} = \gamma + (1-\gamma)\sum_{a,b}\prod_k(\sigma_k)_{ab}/d` for input GHZ."""
    g, sig = mixing_states(*taus, gamma=gamma)
    d = sig[0].shape[0]
    prod = np.ones((d, d), dtype=complex)
    for s in sig:
        prod = prod * s
    return float(g + (1 - g) * np.real(prod.sum()) / d)


# ----------------------------------------------------------------------------- best EPLT in a convex family
@dataclass(frozen=True)
class BestEPLT:
    r"""Best output negativity over :math:`\gamma T + \sum_{ij}Q_{ij}\,R_{|i\rangle\langle i|}\otimes R_{|j\rangle\langle j|}`."""

    negativity: float
    gamma: float
    coupling: np.ndarray = field(repr=False)
    product_negativity: float = 0.0
    lt_error: float = 0.0
    starts: int = 0

    @property
    def gain(self) -> float:
        return self.negativity / self.product_negativity if self.product_negativity > 0 else math.inf

    def channel(self) -> Channel:
        d = self.coupling.shape[0]
        s = np.diag(self.coupling.reshape(-1)).astype(complex)
        g = self.gamma

        def fn(x: np.ndarray) -> np.ndarray:
            tr = np.trace(x, axis1=-2, axis2=-1)[..., None, None]
            return g * isotropic_twirl(x, d=d, state=False) + tr * s

        return from_function(fn, dims_in=[d, d], dims_out=[d, d], name="best EPLT")


def _sinkhorn(m: np.ndarray, r: np.ndarray, c: np.ndarray, iters: int = 500) -> np.ndarray:
    for _ in range(iters):
        m = m * (r / np.maximum(m.sum(1), 1e-300))[:, None]
        m = m * (c / np.maximum(m.sum(0), 1e-300))[None, :]
    return m


def best_eplt(p_a: Any, p_b: Any, *, rho: Any = None, starts: int = 6, seed: int = 0, gammas: int = 9) -> BestEPLT:
    r"""Maximise the output negativity over a convex family of LOSR local thermalisations.

    Family (shared coin): with probability :math:`\gamma` the isotropic twirl, otherwise a
    *classically correlated* replacement :math:`|i\rangle\langle i|\otimes|j\rangle\langle j|` drawn
    with probabilities :math:`Q_{ij}/(1-\gamma)`; marginals are exact when
    :math:`Q\mathbf 1 = p_A - \gamma/d`, :math:`Q^T\mathbf 1 = p_B - \gamma/d`, :math:`Q\ge0`.
    ``E_gamma`` is the product coupling.  Negativity is convex in ``Q``, so this
    is a seeded multi-start local search (SLSQP) on a grid of ``gamma``: a lower
    bound on the family's optimum.  ``rho`` defaults to :math:`\Phi^+`.
    """
    pa, pb = parse_populations(p_a, name="tau_a"), parse_populations(p_b, name="tau_b")
    d = pa.size
    if pb.size != d:
        raise DimensionError(f"tau_a and tau_b must have the same length; got {d} and {pb.size}")
    rho = maximally_entangled_state(d) if rho is None else rho
    gmax = max_gamma(np.diag(pa), np.diag(pb))
    rng = np.random.default_rng(seed)
    tw = isotropic_twirl(rho, d=d)
    # E_gamma* itself: Q = (1 - gamma) sigma_A sigma_B^T = outer(p_A - gamma/d, p_B - gamma/d) / (1 - gamma)
    q_prod = np.outer(pa - gmax / d, pb - gmax / d) / (1 - gmax) if gmax < 1 else np.zeros((d, d))
    product_neg = _family_negativity(tw, gmax, q_prod)
    best = (product_neg, gmax, q_prod)
    for g in np.linspace(0, gmax, gammas)[1:]:
        if 1 - g <= 1e-12:
            continue
        for q in _local_optima(tw, float(g), pa - g / d, pb - g / d, rng=rng, starts=starts):
            val = _family_negativity(tw, float(g), q)
            if val > best[0]:
                best = (val, float(g), q)
    val, g, q = best
    out = BestEPLT(negativity=val, gamma=g, coupling=q, product_negativity=product_neg, starts=starts)
    err = local_thermalization_error(out.channel(), [np.diag(pa), np.diag(pb)])
    return BestEPLT(val, g, q, product_neg, err, starts)


def _family_negativity(tw: np.ndarray, g: float, q: np.ndarray) -> float:
    """Negativity of ``g * twirl + diag(Q)`` (a validated state)."""
    d = q.shape[0]
    return float(negativity(g * tw + np.diag(np.clip(q, 0, None).reshape(-1)), [d, d]))


def _negative_pt_sum(q: np.ndarray, tw: np.ndarray, g: float) -> float:
    # trial points of the line search are slightly off the constraint set: no state validation here
    d = math.isqrt(q.size)
    ev = np.linalg.eigvalsh(partial_transpose(g * tw + np.diag(np.clip(q, 0, None)), [0], [d, d]))
    return float(ev[ev < 0].sum())


def _local_optima(
    tw: np.ndarray, g: float, r: np.ndarray, c: np.ndarray, *, rng: np.random.Generator, starts: int
) -> list[np.ndarray]:
    """SLSQP local optima of the coupling Q >= 0 with row sums ``r`` and column sums ``c``, one per start."""
    from scipy.optimize import linprog, minimize

    d = r.size
    a_eq = np.vstack([np.kron(np.eye(d), np.ones(d)), np.kron(np.ones(d), np.eye(d))])
    b_eq = np.concatenate([r, c])
    lp = linprog(-np.eye(d).reshape(-1), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    inits = [np.outer(r, c) / (1 - g)]
    if lp.status == 0:
        inits.append(lp.x.reshape(d, d))
    inits += [_sinkhorn(rng.random((d, d)) + 1e-3, r, c) for _ in range(max(0, starts - len(inits)))]
    cons = {"type": "eq", "fun": lambda q: a_eq @ q - b_eq, "jac": lambda q: a_eq}
    found = []
    for q0 in inits:
        res = minimize(
            _negative_pt_sum,
            q0.reshape(-1),
            args=(tw, g),
            method="SLSQP",
            bounds=[(0, None)] * d * d,
            constraints=[cons],
            options={"maxiter": 200, "ftol": 1e-12},
        )
        q = np.clip(res.x, 0, None).reshape(d, d)
        found.append(_sinkhorn(q + 1e-16, np.clip(r, 0, None), np.clip(c, 0, None), iters=200))
    return found


# ----------------------------------------------------------------------------- thresholds, one point
def pt_min(rho: np.ndarray, d: int) -> float:
    """Smallest eigenvalue of the partial transpose of a ``d x d`` state."""
    return float(partial_transpose_spectrum(rho, [d, d])[0])


def threshold_fidelity(tau_a: np.ndarray, tau_b: np.ndarray, coins: str) -> float:
    """Smallest isotropic input F with an NPT output (brentq on the smallest PT eigenvalue); nan if none.

    >>> from opentangle.studies.thermalize.model import ladder_thermal_state
    >>> tau = ladder_thermal_state(2, 1.0)
    >>> round(threshold_fidelity(tau, tau, "shared"), 9)
    0.5
    """
    from scipy.optimize import brentq

    d = tau_a.shape[0]

    def f(fid: float) -> float:
        return pt_min(eplt_output(isotropic_state(fid, d), tau_a, tau_b, coins=coins), d)

    if f(1.0) >= -1e-14:
        return float("nan")
    return float(brentq(f, 1.0 / d, 1.0, xtol=1e-13)) if f(1.0 / d) >= 0 else 1.0 / d


def compute(params: ThermalizeParams, options: NoOptions) -> dict[str, Any]:
    """One parameter point: the ``--json`` object (keys :data:`MEASURES`)."""
    rep = thermalize(
        isotropic_state(params.input_fidelity, params.d), tau_a=params.tau_a, tau_b=params.tau_b, gamma=params.gamma
    )
    return rep.as_dict()
