"""Entanglement-preserving local thermalisation (Hsieh, Lostaglio, Acín 2020).

Two parties thermalise their subsystems to ``tau_A`` and ``tau_B`` with local
operations and a *shared* random coin (the protocol ``E_gamma`` of
:mod:`opentangle.channels.eplt`); the output can stay entangled.

Input: the isotropic state ``F Phi+ + (1-F)(1-Phi+)/(d^2-1)``.  Reported:
``entangled`` (negative partial transpose; for d >= 3 ``False`` means PPT),
``output_negativity``, ``output_overlap`` (<Phi+|out|Phi+>),
``fully_entangled_fraction`` and ``marginal_error`` (max entry of
``tr_B out - tau_A`` and ``tr_A out - tau_B``).

Reference: C.-Y. Hsieh, M. Lostaglio, A. Acín, Phys. Rev. Research 2, 013379
(2020), arXiv:1904.07945.  Conventions: docs/thermalize.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import typer

from opentangle._convert import check_in_range, check_probability_vector
from opentangle.channels import (
    Channel,
    eplt_output,
    fmax_upper_bound,
    from_function,
    ghz_eplt_channel,
    ghz_eplt_output,
    isotropic_twirl,
    local_thermalization_error,
    max_gamma,
    mixing_states,
    eplt_channel,
)
from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.measures import fully_entangled_fraction, ghz_fidelity, negativity
from opentangle.measures.negativity import partial_transpose_spectrum
from opentangle.operators import partial_trace, partial_transpose
from opentangle.states import ghz_state, isotropic_state, maximally_entangled_state, thermal_state
from opentangle._io import save_netcdf
from opentangle.studies._base import Headline, pyplot, save_figure, start_reproduce

__all__ = [
    "NAME",
    "PARAMETERS",
    "MEASURES",
    "SEEDED",
    "EPLTReport",
    "BestEPLT",
    "parse_populations",
    "ladder_thermal_state",
    "thermalize",
    "phi_plus_negativity",
    "ghz_output_fidelity",
    "best_eplt",
    "evaluate",
    "command",
    "reproduce",
]

NAME = "thermalize"
PARAMETERS: dict[str, Any] = {
    "d": 2,
    "tau_a": "0.8,0.2",
    "tau_b": "0.8,0.2",
    "gamma": None,
    "input_fidelity": 1.0,
}
MEASURES: tuple[str, ...] = (
    "gamma",
    "entangled",
    "output_negativity",
    "output_overlap",
    "fully_entangled_fraction",
    "marginal_error",
)
SEEDED = False

#: Partial-transpose eigenvalues above ``-_PPT_RTOL * d^2`` count as zero (eigensolver noise
#: for a unit-trace state).  ``entangled`` and ``output_negativity`` use the same cut, so
#: ``entangled`` is ``output_negativity > 0``.
_PPT_RTOL = 4 * np.finfo(float).eps


def _ppt_tol(d: int) -> float:
    return _PPT_RTOL * d * d


def _is_pure_populations(t: np.ndarray) -> bool:
    """A (diagonal or full) thermal state with rank one: zero temperature."""
    ev = np.linalg.eigvalsh(np.asarray(t)) if np.ndim(t) == 2 else np.asarray(t, dtype=float)
    return bool(np.max(ev) >= 1 - 1e-12)


# ----------------------------------------------------------------------------- inputs
def parse_populations(value: Any, *, name: str = "tau") -> np.ndarray:
    """Populations from ``"0.8,0.2"`` or a sequence; :class:`InvalidParameterError` if not a probability vector."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        try:
            vals = [float(p) for p in parts]
        except ValueError as exc:
            raise InvalidParameterError(
                f"{name} must be comma-separated numbers such as 0.8,0.2; got {value!r}"
            ) from exc
    else:
        vals = value
    p = check_probability_vector(vals, name)
    if p.size < 2:
        raise InvalidParameterError(f"{name} needs at least two populations (d >= 2); got {p.tolist()}")
    return p


def ladder_thermal_state(d: int, temperature: float, *, omega: float = 1.0) -> np.ndarray:
    r"""Gibbs state of :math:`H = \omega\,\mathrm{diag}(0, 1, \dots, d-1)` (``k_B = 1``), via :func:`thermal_state`."""
    return thermal_state(np.diag(omega * np.arange(d, dtype=float)), temperature=temperature)


def _state(tau: Any, name: str) -> np.ndarray:
    arr = np.asarray(tau) if not isinstance(tau, str) else None
    if arr is not None and arr.ndim == 2:
        from opentangle.channels import as_thermal_state

        return as_thermal_state(arr, name=name)
    return thermal_state(spectrum=parse_populations(tau, name=name))


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


def thermalize(
    rho: Any, *, tau_a: Any, tau_b: Any, gamma: float | None = None, coins: str = "shared"
) -> EPLTReport:
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
    ta, tb = _state(tau_a, "tau_a"), _state(tau_b, "tau_b")
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


def best_eplt(
    p_a: Any, p_b: Any, *, rho: Any = None, starts: int = 6, seed: int = 0, gammas: int = 9
) -> BestEPLT:
    r"""Maximise the output negativity over a convex family of LOSR local thermalisations.

    Family (shared coin): with probability :math:`\gamma` the isotropic twirl, otherwise a
    *classically correlated* replacement :math:`|i\rangle\langle i|\otimes|j\rangle\langle j|` drawn
    with probabilities :math:`Q_{ij}/(1-\gamma)`; marginals are exact when
    :math:`Q\mathbf 1 = p_A - \gamma/d`, :math:`Q^T\mathbf 1 = p_B - \gamma/d`, :math:`Q\ge0`.
    ``E_gamma`` is the product coupling.  Negativity is convex in ``Q``, so this
    is a seeded multi-start local search (SLSQP) on a grid of ``gamma``: a lower
    bound on the family's optimum.  ``rho`` defaults to :math:`\Phi^+`.
    """
    from scipy.optimize import linprog, minimize

    pa, pb = parse_populations(p_a, name="tau_a"), parse_populations(p_b, name="tau_b")
    d = pa.size
    if pb.size != d:
        raise DimensionError(f"tau_a and tau_b must have the same length; got {d} and {pb.size}")
    rho = maximally_entangled_state(d) if rho is None else rho
    gmax = max_gamma(np.diag(pa), np.diag(pb))
    rng = np.random.default_rng(seed)
    tw = isotropic_twirl(rho, d=d)

    def neg(g: float, q: np.ndarray) -> float:
        out = g * tw + np.diag(np.clip(q, 0, None).reshape(-1))
        return float(negativity(out, [d, d]))

    def objective(g: float, q: np.ndarray) -> float:
        # trial points of the line search are slightly off the constraint set: no state validation here
        out = g * tw + np.diag(np.clip(q, 0, None))
        ev = np.linalg.eigvalsh(partial_transpose(out, [0], [d, d]))
        return float(ev[ev < 0].sum())

    # E_gamma* itself: Q = (1 - gamma) sigma_A sigma_B^T = outer(p_A - gamma/d, p_B - gamma/d) / (1 - gamma)
    q_prod = np.outer(pa - gmax / d, pb - gmax / d) / (1 - gmax) if gmax < 1 else np.zeros((d, d))
    product_neg = neg(gmax, q_prod)
    best = (product_neg, gmax, q_prod)
    for g in np.linspace(0, gmax, gammas)[1:]:
        r, c = pa - g / d, pb - g / d
        if 1 - g <= 1e-12:
            continue
        a_eq = np.vstack([np.kron(np.eye(d), np.ones(d)), np.kron(np.ones(d), np.eye(d))])
        b_eq = np.concatenate([r, c])
        lp = linprog(-np.eye(d).reshape(-1), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        inits = [np.outer(r, c) / (1 - g)]
        if lp.status == 0:
            inits.append(lp.x.reshape(d, d))
        inits += [_sinkhorn(rng.random((d, d)) + 1e-3, r, c) for _ in range(max(0, starts - len(inits)))]
        cons = {"type": "eq", "fun": lambda q: a_eq @ q - b_eq, "jac": lambda q: a_eq}
        for q0 in inits:
            res = minimize(lambda q: objective(g, q), q0.reshape(-1), method="SLSQP", bounds=[(0, None)] * d * d,
                           constraints=[cons], options={"maxiter": 200, "ftol": 1e-12})
            q = np.clip(res.x, 0, None).reshape(d, d)
            q = _sinkhorn(q + 1e-16, np.clip(r, 0, None), np.clip(c, 0, None), iters=200)
            val = neg(g, q)
            if val > best[0]:
                best = (val, float(g), q)
    val, g, q = best
    out = BestEPLT(negativity=val, gamma=g, coupling=q, product_negativity=product_neg, starts=starts)
    err = local_thermalization_error(out.channel(), [np.diag(pa), np.diag(pb)])
    return BestEPLT(val, g, q, product_neg, err, starts)


# ----------------------------------------------------------------------------- study interface
def _check_size(d: int) -> None:
    """Refuse a d whose dense d^2 x d^2 matrices do not fit or take hours (eigensolves are O(d^6)).

    Calibration (one core): d = 20 took 1.4 s, d = 28 took 10 s, i.e. about 2.1e-8 d^6 s.
    """
    from opentangle._limits import Estimate, check_resources

    check_resources(Estimate(f"thermalize d={d} (dense {d * d} x {d * d} matrices)", nbytes=12 * 16 * float(d) ** 4,
                             seconds=2.1e-8 * float(d) ** 6, hint="use a smaller d"))


def _validate(params: dict[str, Any]) -> dict[str, Any]:
    unknown = set(params) - set(PARAMETERS)
    if unknown:
        raise InvalidParameterError(
            f"unknown parameter(s) {sorted(unknown)} for the thermalize study; known: {', '.join(PARAMETERS)}"
        )
    p = {**PARAMETERS, **params}
    try:
        d = int(p["d"])
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"d must be an integer >= 2; got {p['d']!r}") from exc
    if d != p["d"] or d < 2:
        raise InvalidParameterError(f"d must be an integer >= 2; got {p['d']!r}")
    _check_size(d)
    ta, tb = parse_populations(p["tau_a"], name="tau_a"), parse_populations(p["tau_b"], name="tau_b")
    for name, t in (("tau_a", ta), ("tau_b", tb)):
        if t.size != d:
            raise InvalidParameterError(f"{name} has {t.size} populations but d = {d}; give exactly d values")
    f = check_in_range(p["input_fidelity"], "input_fidelity", 0.0, 1.0)
    gamma = p["gamma"]
    if gamma is not None:
        # None (the default) means d * P_min; NaN is rejected, never read as "default"
        try:
            gamma = float(gamma)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(f"gamma must be a real number in [0, d * P_min]; got {gamma!r}") from exc
        if not math.isfinite(gamma):
            raise InvalidParameterError(
                f"gamma must be a finite number in [0, d * P_min]; got {gamma}. Omit --gamma for the default d * P_min"
            )
    return {"d": d, "tau_a": ta, "tau_b": tb, "gamma": gamma, "input_fidelity": f}


def evaluate(**params: Any) -> dict[str, Any]:
    """One parameter point: the ``--json`` object (keys :data:`MEASURES`)."""
    p = _validate(params)
    rep = thermalize(isotropic_state(p["input_fidelity"], p["d"]), tau_a=p["tau_a"], tau_b=p["tau_b"],
                     gamma=p["gamma"])
    return rep.as_dict()


def command(
    d: int = typer.Option(PARAMETERS["d"], "--d", help="Local dimension d (>= 2)."),
    tau_a: str = typer.Option(PARAMETERS["tau_a"], "--tau-a", help="Populations of tau_A, e.g. 0.8,0.2."),
    tau_b: str = typer.Option(PARAMETERS["tau_b"], "--tau-b", help="Populations of tau_B, e.g. 0.8,0.2."),
    gamma: Optional[float] = typer.Option(None, "--gamma", help="Coin bias gamma (default d * P_min, the largest)."),
    input_fidelity: float = typer.Option(
        PARAMETERS["input_fidelity"], "--input-fidelity", help="F of the isotropic input state, in [0, 1]."
    ),
    json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Entanglement-preserving local thermalisation E_gamma (Hsieh, Lostaglio, Acín 2020)."""
    import sys

    from opentangle.studies._base import emit

    result = evaluate(d=d, tau_a=tau_a, tau_b=tau_b, gamma=gamma, input_fidelity=input_fidelity)
    emit(result, as_json=json, title=f"thermalize: d={d}, tau_A=({tau_a}), tau_B=({tau_b}), F={input_fidelity:g}")
    note = _gamma_zero_note(tau_a, tau_b, gamma, result["gamma"])
    if note:
        print(f"opentangle: note: {note}", file=sys.stderr)


def _gamma_zero_note(tau_a: Any, tau_b: Any, gamma_given: float | None, gamma_used: float) -> str | None:
    """The stderr note for ``gamma = 0`` (none otherwise); says "no EPLT exists" only for a pure tau."""
    if gamma_used != 0:
        return None
    if gamma_given is not None:
        return "gamma = 0 was requested: E_gamma outputs tau_A (x) tau_B and preserves no entanglement"
    pure = [n for n, t in (("tau_A", tau_a), ("tau_B", tau_b)) if _is_pure_populations(parse_populations(t, name=n))]
    if pure:
        return (f"{' and '.join(pure)} is pure (zero temperature): no EPLT exists, the output is "
                "tau_A (x) tau_B and no entanglement is preserved")
    return ("E_gamma needs P_min > 0: a tau has a zero population, so the default gamma = d * P_min is 0 and "
            "E_gamma outputs tau_A (x) tau_B. A rank-deficient but non-pure tau still admits EPLTs outside the "
            "E_gamma family (map locally onto tau's support, then the shared-coin twirl there)")


# ----------------------------------------------------------------------------- reproduce
_LEVELS = {
    "quick": {"nF": 41, "nT": 25, "dmax": 8, "ds": (2, 3, 4, 8), "nrand": 30, "nmap": 15, "starts": 3, "ng": 5},
    "default": {"nF": 101, "nT": 60, "dmax": 8, "ds": (2, 3, 4, 5, 6, 7, 8), "nrand": 100, "nmap": 31,
                "starts": 5, "ng": 9},
    "full": {"nF": 201, "nT": 120, "dmax": 8, "ds": (2, 3, 4, 5, 6, 7, 8), "nrand": 400, "nmap": 61,
             "starts": 8, "ng": 17},
}


def _pt_min(rho: np.ndarray, d: int) -> float:
    return float(partial_transpose_spectrum(rho, [d, d])[0])


def _threshold_f(ta: np.ndarray, tb: np.ndarray, coins: str) -> float:
    """Smallest input F with an NPT output (brentq on the smallest PT eigenvalue); nan if none."""
    from scipy.optimize import brentq

    d = ta.shape[0]
    f = lambda F: _pt_min(eplt_output(isotropic_state(F, d), ta, tb, coins=coins), d)  # noqa: E731
    if f(1.0) >= -1e-14:
        return float("nan")
    return float(brentq(f, 1.0 / d, 1.0, xtol=1e-13)) if f(1.0 / d) >= 0 else 1.0 / d


def _save(ds, path: Path) -> None:
    save_netcdf(ds, path)


def reproduce(out_dir: Path, *, level: str = "default") -> list[Headline]:
    """Write ``thermalize_*.nc`` / ``*.png`` into ``out_dir`` and return headline numbers."""
    import xarray as xr

    cfg, out_dir = start_reproduce(out_dir, level, _LEVELS)
    plt = pyplot()
    src = "Hsieh, Lostaglio, Acin, PRR 2, 013379 (2020)"
    heads: list[Headline] = []

    # 1. two-qubit threshold F > 1/2, shared vs independent coins
    temps = np.array([0.3, 0.6, 1.0, 2.0, 5.0])
    Fs = np.linspace(0, 1, cfg["nF"])
    neg = np.zeros((2, temps.size, Fs.size))
    thr = np.zeros((2, temps.size))
    gam = np.zeros(temps.size)
    for k, T in enumerate(temps):
        tau = ladder_thermal_state(2, T)
        gam[k] = max_gamma(tau, tau)
        rho = np.stack([isotropic_state(F, 2) for F in Fs])
        for c, coins in enumerate(("shared", "independent")):
            neg[c, k] = negativity(eplt_output(rho, tau, tau, coins=coins), [2, 2])
            thr[c, k] = _threshold_f(tau, tau, coins)
    xr.Dataset(
        {"negativity": (("coins", "temperature", "F"), neg), "threshold_F": (("coins", "temperature"), thr),
         "gamma": ("temperature", gam)},
        coords={"coins": ["shared", "independent"], "temperature": temps, "F": Fs},
        attrs={"description": "E_gamma on two-qubit isotropic inputs, tau = Gibbs of H = diag(0, 1) at T"},
    ).pipe(_save, out_dir / "thermalize_qubit_threshold.nc")
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for k, T in enumerate(temps):
        ax[0].plot(Fs, neg[0, k], label=f"T={T:g} (gamma={gam[k]:.3f})")
        ax[1].plot(Fs, neg[1, k], label=f"T={T:g}")
    for a, t in zip(ax, ("shared coin (EPLT)", "independent local coins")):
        a.axvline(0.5, color="k", ls=":", lw=1)
        a.set(xlabel="input fidelity F", ylabel="output negativity", title=t)
        a.legend(fontsize=7)
    fig.tight_layout()
    save_figure(None, fig, out_dir, "thermalize_qubit_threshold", dpi=120)
    heads.append(Headline.compare("two-qubit threshold F* (shared coin), worst over T", float(
        thr[0][np.argmax(np.abs(thr[0] - 0.5))]), 0.5, 1e-9, source=src + " (equal non-pure tau)"))
    k1 = int(np.argmin(np.abs(temps - 1.0)))
    heads.append(Headline.compare("two-qubit threshold F* (independent coins), T=1", float(thr[1, k1]),
                                  1 / (2 * gam[k1]), 1e-9, source="derived: F* = 1/(2 gamma)",
                                  note="the shared coin matters: independent coins raise the threshold"))

    # 2. qutrits with unequal tau_A, tau_B
    ta, tb = ladder_thermal_state(3, 1.0), ladder_thermal_state(3, 2.0, omega=1.5)
    negq = np.stack([negativity(eplt_output(np.stack([isotropic_state(F, 3) for F in Fs]), ta, tb, coins=c),
                                [3, 3]) for c in ("shared", "independent")])
    thr_q = [_threshold_f(ta, tb, c) for c in ("shared", "independent")]
    ch = eplt_channel(ta, tb)
    lt_err = local_thermalization_error(ch, [ta, tb])
    rng = np.random.default_rng(7)
    from opentangle.states import random_density_matrix

    rand = np.stack([random_density_matrix(9, seed=rng) for _ in range(cfg["nrand"])])
    outs = eplt_output(rand, ta, tb)
    merr = max(float(np.abs(partial_trace(outs, [0], [3, 3]) - ta).max()),
               float(np.abs(partial_trace(outs, [1], [3, 3]) - tb).max()))
    xr.Dataset(
        {"negativity": (("coins", "F"), negq), "threshold_F": ("coins", np.array(thr_q)),
         "tau_a": ("level", np.real(np.diag(ta))), "tau_b": ("level", np.real(np.diag(tb)))},
        coords={"coins": ["shared", "independent"], "F": Fs, "level": np.arange(3)},
        attrs={"gamma": max_gamma(ta, tb), "choi_lt_error": lt_err, "random_input_marginal_error": merr},
    ).pipe(_save, out_dir / "thermalize_qutrit.nc")
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot(Fs, negq[0], label="shared coin")
    ax.plot(Fs, negq[1], label="independent coins")
    ax.axvline(1 / 3, color="k", ls=":", lw=1)
    ax.set(xlabel="input fidelity F", ylabel="output negativity",
           title="qutrits: tau_A(T=1), tau_B(T=2, omega=1.5)")
    ax.legend()
    fig.tight_layout()
    save_figure(None, fig, out_dir, "thermalize_qutrit", dpi=120)
    heads.append(Headline("qutrit threshold F* (shared coin), unequal tau", thr_q[0], note="informative"))
    heads.append(Headline("marginal error on random qutrit inputs", merr, 1e-12, passed=merr <= 1e-12))
    heads.append(Headline("local-thermalisation error on the Choi matrix (qutrit)", lt_err, 1e-12,
                          passed=lt_err <= 1e-12))

    # 3. F_max upper bound on outputs; the popular summary's counterexample
    excess = []
    for d in (2, 3):
        for T in (0.5, 1.0, 3.0):
            ta_ = ladder_thermal_state(d, T)
            tb_ = ladder_thermal_state(d, 1.7 * T)
            bound = fmax_upper_bound(ta_, tb_)
            rr = np.stack([random_density_matrix(d * d, rank=1 + i % (d * d), seed=rng)
                           for i in range(cfg["nrand"] // 3)] + [maximally_entangled_state(d)])
            o = eplt_output(rr, ta_, tb_)
            fm = np.array([fully_entangled_fraction(x, [d, d]) for x in o])
            excess.append(float(np.max(fm - bound)))
    tau1 = ladder_thermal_state(2, 1.0)
    phi = maximally_entangled_state(2)
    rep = thermalize(phi, tau_a=tau1, tau_b=tau1)
    heads.append(Headline.info("max F_max - (sum sqrt p)^2/d over LT outputs (a theorem: <= 0)", max(excess),
                               reference=0.0, source="derived: fidelity monotonicity",
                               note="slack of a theorem, not a test of the model"))
    heads.append(Headline.refuted("popular summary F_max[E(Phi+)] >= 1: F_max (qubits, T=1)",
                                  rep.fully_entangled_fraction, reference=1.0,
                                  reproduced=rep.fully_entangled_fraction < 1.0 - 1e-9,
                          note=f"bound {rep.fmax_upper_bound:.6f}; what holds: F_max >= <Phi+|E(rho)|Phi+> = "
                               f"gamma F + (1-gamma) tr(sigma_A sigma_B^T)/d = {rep.output_overlap:.6f}"))
    g1 = rep.gamma
    heads.append(Headline.compare("<Phi+|E(Phi+)|Phi+> for equal qubit tau = (1+gamma)/2", rep.output_overlap,
                                  (1 + g1) / 2, 1e-12, source="derived"))

    # 4. entanglement preserved vs temperature and d (input Phi+)
    T_grid = np.geomspace(0.1, 20, cfg["nT"])
    ds = cfg["ds"]
    nd = np.full((len(ds), T_grid.size), np.nan)
    gd = np.full_like(nd, np.nan)
    for a, d in enumerate(ds):
        for b, T in enumerate(T_grid):
            p = np.real(np.diag(ladder_thermal_state(d, T)))
            gd[a, b] = max_gamma(np.diag(p))
            nd[a, b] = phi_plus_negativity(p, p)
    # cross-check the closed form against the eigensolver where it resolves the value
    chk = []
    for d in (2, 4, ds[-1]):
        p = np.real(np.diag(ladder_thermal_state(d, 1.0)))
        chk.append(abs(phi_plus_negativity(p, p) - negativity(eplt_output(maximally_entangled_state(d), p, p),
                                                               [d, d])))
    xr.Dataset(
        {"negativity": (("d", "temperature"), nd), "gamma": (("d", "temperature"), gd)},
        coords={"d": list(ds), "temperature": T_grid},
        attrs={"description": "N[E_gamma(Phi+_d)], tau_A = tau_B = Gibbs of diag(0..d-1), gamma = d P_min"},
    ).pipe(_save, out_dir / "thermalize_temperature_d.nc")
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for a, d in enumerate(ds):
        ax.loglog(T_grid, nd[a], label=f"d={d}")
    ax.set(xlabel="temperature T (units of omega)", ylabel="negativity of E_gamma(Phi+)",
           title="entanglement preserved at every T > 0")
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(None, fig, out_dir, "thermalize_temperature_d", dpi=120)
    heads.append(Headline("min negativity over T in [0.1, 20], d <= 8 (> 0: EPLT at every T)", float(np.min(nd)),
                          passed=bool(np.min(nd) > 0), source=src))
    heads.append(Headline("closed-form vs eigensolver negativity, max diff", max(chk), 0.0,
                          passed=max(chk) <= 1e-12))
    d8 = ds[-1]
    p_hot = np.real(np.diag(ladder_thermal_state(d8, 1e6)))
    heads.append(Headline.compare(f"N[E(Phi+_d)], d={d8}, T=1e6 -> (d-1)/2 (gamma -> 1)", phi_plus_negativity(p_hot, p_hot),
                                  (d8 - 1) / 2, 1e-4, source="isotropic twirl of Phi+ is Phi+"))

    # 5. GHZ version: fidelity witness vs temperature
    cases = [(3, 2), (4, 2), (3, 3)]
    T_g = np.geomspace(0.1, 20, cfg["nT"])
    fg = np.array([[ghz_output_fidelity([ladder_thermal_state(d, T)] * n) for T in T_g] for n, d in cases])
    nm = cfg["nmap"]
    T1 = np.geomspace(0.1, 10, nm)
    fmap = np.array([[ghz_output_fidelity([ladder_thermal_state(2, t1), ladder_thermal_state(2, t2),
                                           ladder_thermal_state(2, t2)]) for t2 in T1] for t1 in T1])
    taus3 = [ladder_thermal_state(2, 0.7), ladder_thermal_state(2, 1.5), ladder_thermal_state(2, 3.0)]
    gch = ghz_eplt_channel(taus3)
    ghz_lt = local_thermalization_error(gch, taus3)
    num = float(ghz_fidelity(gch(ghz_state(3)), [2, 2, 2]))
    xr.Dataset(
        {"ghz_fidelity": (("case", "temperature"), fg), "ghz_fidelity_map": (("T1", "T23"), fmap)},
        coords={"case": [f"n={n},d={d}" for n, d in cases], "temperature": T_g, "T1": T1, "T23": T1},
        attrs={"witness": "GME if F_GHZ > 1/d", "choi_lt_error": ghz_lt},
    ).pipe(_save, out_dir / "thermalize_ghz.nc")
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for (n, d), row in zip(cases, fg):
        ax[0].semilogx(T_g, row - 1 / d, label=f"n={n}, d={d}")
    ax[0].axhline(0, color="k", lw=1)
    ax[0].set(xlabel="temperature T", ylabel="F_GHZ - 1/d (>0: GME witnessed)", title="input GHZ, equal T")
    ax[0].legend()
    im = ax[1].pcolormesh(T1, T1, fmap - 0.5, shading="auto", cmap="RdBu", vmin=-0.5, vmax=0.5)
    ax[1].contour(T1, T1, fmap - 0.5, levels=[0], colors="k")
    ax[1].set(xscale="log", yscale="log", xlabel="T of parties 2, 3", ylabel="T of party 1",
              title="3 qubits: F_GHZ - 1/2")
    fig.colorbar(im, ax=ax[1])
    fig.tight_layout()
    save_figure(None, fig, out_dir, "thermalize_ghz", dpi=120)
    tq = ladder_thermal_state(2, 1.0)
    fq = float(ghz_fidelity(ghz_eplt_output(ghz_state(3), [tq] * 3), [2, 2, 2]))
    heads.append(Headline.compare("GHZ n=3 qubits, equal T=1: F_GHZ = (1+gamma)/2", fq, (1 + max_gamma(tq)) / 2,
                                  1e-12, source="derived"))
    for (n, d), row in zip(cases, fg):
        fail = T_g[row <= 1 / d + 1e-12]
        window = f"witness fails for T in [{fail.min():.3g}, {fail.max():.3g}]" if fail.size else "witnessed at every T"
        heads.append(Headline(f"GHZ n={n}, d={d}, equal T in [0.1, 20]: min F_GHZ - 1/d", float(np.min(row - 1 / d)),
                              passed=bool(np.all(row > 1 / d)) if d == 2 else None, note=window))
    heads.append(Headline("3-qubit (T1, T23) map: fraction with GME witnessed", float(np.mean(fmap > 0.5)),
                          note="fails when one party is much colder than the others"))
    heads.append(Headline.compare("GHZ channel: Choi F_GHZ vs closed form", num, ghz_output_fidelity(taus3), 1e-12))
    heads.append(Headline("GHZ channel: local-thermalisation error on the Choi matrix", ghz_lt, 1e-12,
                          passed=ghz_lt <= 1e-12))

    # 6. best EPLT in the convex family (correlated replacement)
    pa, pb = np.real(np.diag(ladder_thermal_state(3, 0.8))), np.real(np.diag(ladder_thermal_state(3, 2.5)))
    best = best_eplt(pa, pb, starts=cfg["starts"], gammas=cfg["ng"], seed=1)
    xr.Dataset(
        {"coupling": (("i", "j"), best.coupling), "tau_a": ("i", pa), "tau_b": ("j", pb)},
        coords={"i": np.arange(3), "j": np.arange(3)},
        attrs={"negativity": best.negativity, "product_negativity": best.product_negativity,
               "gamma": best.gamma, "gamma_max": max_gamma(np.diag(pa), np.diag(pb)), "lt_error": best.lt_error},
    ).pipe(_save, out_dir / "thermalize_best.nc")
    g0 = max_gamma(np.diag(pa), np.diag(pb))
    q_prod = np.outer(pa - g0 / 3, pb - g0 / 3) / (1 - g0)
    fig, ax = plt.subplots(1, 2, figsize=(8, 3.6))
    for a, q, t in ((ax[0], q_prod, f"E_gamma* (product), N={best.product_negativity:.4f}"),
                    (ax[1], best.coupling, f"best found, N={best.negativity:.4f}")):
        im = a.imshow(q, cmap="viridis", vmin=0, vmax=max(q_prod.max(), best.coupling.max()))
        a.set(xlabel="j (sigma_B level)", ylabel="i (sigma_A level)", title=t)
    fig.colorbar(im, ax=ax)
    fig.suptitle("replacement coupling Q_ij (qutrits, Phi+ input)", fontsize=9)
    save_figure(None, fig, out_dir, "thermalize_best", dpi=120)
    heads.append(Headline("best EPLT / E_gamma* negativity (qutrits, Phi+ input)", best.gain,
                          note=f"N = {best.negativity:.6f} vs {best.product_negativity:.6f} at gamma = {best.gamma:.4f}"))
    heads.append(Headline("best EPLT: local-thermalisation error on the Choi matrix", best.lt_error, 1e-12,
                          passed=best.lt_error <= 1e-12))
    return heads
