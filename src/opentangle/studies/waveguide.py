r"""Driven-dissipative Bell state of two giant atoms in a waveguide (Almanakly et al. 2026).

Two qubits share a waveguide.  Correlated decay makes the singlet dark, a
detuned drive pumps the ground state into a dark superposition of
``|gg>`` and the singlet, and after the drive the frequency is tuned to
:math:`\varphi = \pi` where the waveguide decay vanishes ("freeze").

Basis and operators (the package convention, QuTiP's ``sigmam``)
-----------------------------------------------------------------
Each qubit has ``|e> = |0>`` (``sz = +1``) and ``|g> = |1>``; the lowering
operator is ``s_j = |g><e| = sigma_minus`` on qubit ``j``, ``n_j = s_j^dag s_j``
and ``sx_j = s_j + s_j^dag``.  Qubit 1 is the left tensor factor.  The singlet
``S = (|eg> - |ge>)/sqrt2`` is ``bell_state("psi-")``.

Model (Almanakly et al., arXiv:2606.13375; Kockum, Johansson, Nori, PRL 120, 140404 (2018))
-------------------------------
.. math::

    H &= \delta (n_2 - n_1) + \Omega (\sigma^x_1 + \sigma^x_2) + g (s_1^\dagger s_2 + s_2^\dagger s_1), \\
    \dot\rho &= -i[H, \rho] + \sum_{jk} \Gamma_{jk} \big(s_j \rho s_k^\dagger - \tfrac12\{s_k^\dagger s_j, \rho\}\big)
        + \Gamma' \sum_j D[s_j]\rho + \tfrac{\gamma_\phi}{2} \sum_j D[\sigma^z_j]\rho,

with :math:`\Gamma = [[\Gamma_1, \Gamma_{12}], [\Gamma_{12}, \Gamma_2]]` positive
semidefinite.  For :math:`\Gamma_1 = \Gamma_2 = \Gamma_{12}`, ``g = 0`` and no other
loss the steady state is the pure dark state
:math:`|D\rangle \propto \delta|gg\rangle + \sqrt2\,\Omega|S\rangle` with
:math:`F_S = 2\Omega^2 / (2\Omega^2 + \delta^2)`.

Coherence times: :math:`T_1 = 1/\Gamma'` (waveguide decay switched off) and
:math:`1/T_2 = \Gamma'/2 + \gamma_\phi`, see :func:`rates_from_coherence`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import typer

from opentangle._convert import check_nonnegative, check_real
from opentangle.errors import InvalidParameterError, NonUniqueSteadyStateError
from opentangle.operators import embed, sigma_minus, sigma_x
from opentangle.studies._base import Headline, emit, pyplot, save_figure, start_reproduce
from opentangle.studies._giant_atoms import giant_atom_coefficients

__all__ = [
    "NAME",
    "PARAMETERS",
    "MEASURES",
    "SEEDED",
    "DIMS",
    "lowering_operators",
    "validate_parameters",
    "build_model",
    "dark_state",
    "dark_state_fidelity",
    "singlet_state",
    "state_measures",
    "evaluate",
    "evaluate_batch",
    "DriveOptimum",
    "optimize_drive",
    "rates_from_coherence",
    "FreezeResult",
    "freeze_protocol",
    "relaxation_gap",
    "readout_flip",
    "READINGS",
    "experiment_readings",
    "command",
    "reproduce",
]

NAME = "waveguide"
PARAMETERS: dict[str, float] = {
    "omega": 1.0,
    "delta": 0.5,
    "gamma1": 1.0,
    "gamma2": 1.0,
    "gamma12": 1.0,
    "g": 0.0,
    "gamma_loss": 0.0,
    "gamma_phi": 0.0,
}
MEASURES: tuple[str, ...] = ("singlet_fidelity", "bell_fidelity", "concurrence", "purity", "residual")
SEEDED = False
DIMS = [2, 2]

_RATES = ("gamma1", "gamma2", "gamma_loss", "gamma_phi")
_PSD_RTOL = 1e-12


# ---------------------------------------------------------------------------
# operators, validation, model
# ---------------------------------------------------------------------------
def lowering_operators() -> tuple[np.ndarray, np.ndarray]:
    """``(s_1, s_2)``: lowering operators ``|g><e|`` of the two qubits, 4 x 4 (``|e> = |0>``)."""
    s = sigma_minus()
    return embed(s, 0, DIMS), embed(s, 1, DIMS)


def singlet_state(*, ket: bool = True) -> np.ndarray:
    """The singlet ``S = (|eg> - |ge>)/sqrt2`` (= ``bell_state("psi-")`` in this basis)."""
    v = np.array([0, 1, -1, 0], dtype=complex) / np.sqrt(2)
    return v if ket else np.outer(v, v.conj())


def validate_parameters(**params: Any) -> dict[str, float]:
    """Defaults filled in, every value a finite float, rates >= 0 and Gamma PSD.

    Raises :class:`~opentangle.errors.InvalidParameterError` with a one-line
    message for unknown names, negative rates or a Gamma matrix that is not
    positive semidefinite (``gamma12**2 > gamma1 * gamma2``).
    """
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise InvalidParameterError(f"unknown waveguide parameter(s) {unknown}; valid: {sorted(PARAMETERS)}")
    p = {k: params.get(k, v) for k, v in PARAMETERS.items()}
    out = {}
    for k, v in p.items():
        out[k] = check_nonnegative(v, k) if k in _RATES else check_real(v, k)
    g1, g2, g12 = out["gamma1"], out["gamma2"], out["gamma12"]
    if g12 * g12 > g1 * g2 * (1 + _PSD_RTOL) + 1e-300:
        raise InvalidParameterError(
            f"the decay matrix [[gamma1, gamma12], [gamma12, gamma2]] = [[{g1}, {g12}], [{g12}, {g2}]] "
            f"is not positive semidefinite; need |gamma12| <= sqrt(gamma1*gamma2) = {math.sqrt(g1 * g2):.6g}"
        )
    return out


def _lindblad():
    try:
        from opentangle import lindblad
    except ImportError as exc:  # pragma: no cover - engine missing during development
        raise ImportError("the waveguide study needs opentangle.lindblad (the Lindblad engine)") from exc
    return lindblad


def _hamiltonian_parts() -> dict[str, np.ndarray]:
    s1, s2 = lowering_operators()
    n1, n2 = s1.conj().T @ s1, s2.conj().T @ s2
    return {
        "omega": embed(sigma_x(), 0, DIMS) + embed(sigma_x(), 1, DIMS),
        "delta": n2 - n1,
        "g": s1.conj().T @ s2 + s2.conj().T @ s1,
    }


def build_model(**params: Any):
    """The two-qubit :class:`opentangle.lindblad.Model` for one parameter point.

    Example
    -------
    >>> m = build_model(omega=1.0, delta=0.5)          # ideal, Gamma1 = Gamma2 = Gamma12 = 1
    >>> from opentangle.lindblad import steady_state
    >>> round(float(np.real(singlet_state().conj() @ steady_state(m).rho @ singlet_state())), 4)
    0.8889
    """
    lb = _lindblad()
    p = validate_parameters(**params)
    parts = _hamiltonian_parts()
    h = p["omega"] * parts["omega"] + p["delta"] * parts["delta"] + p["g"] * parts["g"]
    s1, s2 = lowering_operators()
    gamma = np.array([[p["gamma1"], p["gamma12"]], [p["gamma12"], p["gamma2"]]])
    jumps = list(lb.correlated_decay(rate_matrix=gamma, operators=[s1, s2]))
    if p["gamma_loss"] > 0:
        jumps += [lb.Jump(s1, p["gamma_loss"]), lb.Jump(s2, p["gamma_loss"])]
    if p["gamma_phi"] > 0:
        for site in (0, 1):
            jumps += list(lb.dephasing(site=site, rate=p["gamma_phi"], dims=DIMS))
    return lb.Model(hamiltonian=h, jumps=jumps, dims=DIMS)


@functools.lru_cache(maxsize=1)
def _liouvillian_terms() -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """``L = sum_k p_k L_k``: one Liouvillian per entry of PARAMETERS (linear dependence)."""
    lb = _lindblad()
    s1, s2 = lowering_operators()
    parts = _hamiltonian_parts()
    zero = np.zeros((4, 4), dtype=complex)

    def liou(h=zero, jumps=()):
        return lb.liouvillian(lb.Model(hamiltonian=h, jumps=list(jumps), dims=DIMS)).tocsr()

    l1 = liou(jumps=[lb.Jump(s1, 1.0)])
    l2 = liou(jumps=[lb.Jump(s2, 1.0)])
    l_sum = liou(jumps=lb.correlated_decay(rate_matrix=np.ones((2, 2)), operators=[s1, s2]))
    terms = {
        "omega": liou(h=parts["omega"]),
        "delta": liou(h=parts["delta"]),
        "gamma1": l1,
        "gamma2": l2,
        "gamma12": l_sum - l1 - l2,  # the off-diagonal Gamma_12 part alone
        "g": liou(h=parts["g"]),
        "gamma_loss": l1 + l2,
        "gamma_phi": liou(jumps=[*lb.dephasing(site=0, rate=1.0, dims=DIMS), *lb.dephasing(site=1, rate=1.0, dims=DIMS)]),
    }
    names = tuple(PARAMETERS)
    return names, tuple(terms[k] for k in names)


# ---------------------------------------------------------------------------
# analytic dark state
# ---------------------------------------------------------------------------
def dark_state(*, omega: float, delta: float) -> np.ndarray:
    r"""Normalised dark state :math:`(\delta|gg\rangle + \sqrt2\,\Omega|S\rangle)/\mathcal N`.

    It is annihilated by :math:`s_1 + s_2` and by ``H`` when ``g = 0`` (basis of
    this module; the usual summary of the model writes the relative sign for the opposite
    labelling of the qubits).
    """
    om, de = check_real(omega, "omega"), check_real(delta, "delta")
    if om == 0 and de == 0:
        raise InvalidParameterError("omega and delta cannot both be zero: the dark state is then not unique")
    gg = np.array([0, 0, 0, 1], dtype=complex)
    v = de * gg + math.sqrt(2) * om * singlet_state()
    return v / np.linalg.norm(v)


def dark_state_fidelity(*, omega: float, delta: float) -> float:
    r""":math:`F_S = 2\Omega^2 / (2\Omega^2 + \delta^2)`, the ideal steady-state singlet fidelity.

    Example
    -------
    >>> round(dark_state_fidelity(omega=1.0, delta=0.5), 4)
    0.8889
    """
    om, de = check_real(omega, "omega"), check_real(delta, "delta")
    if om == 0 and de == 0:
        raise InvalidParameterError("omega and delta cannot both be zero: the dark state is then not unique")
    return 2 * om**2 / (2 * om**2 + de**2)


# ---------------------------------------------------------------------------
# steady states
# ---------------------------------------------------------------------------
def state_measures(rho: np.ndarray) -> dict[str, np.ndarray | float]:
    """Singlet and best Bell fidelity, concurrence and purity of ``rho`` (batch ``(..., 4, 4)`` allowed)."""
    from opentangle.measures import bell_fidelity, concurrence

    rho = np.asarray(rho)
    v = singlet_state()
    fs = np.real(np.einsum("i,...ij,j->...", v.conj(), rho, v))
    purity = np.real(np.einsum("...ij,...ji->...", rho, rho))
    return {
        "singlet_fidelity": fs,
        "bell_fidelity": np.asarray(bell_fidelity(rho)),
        "concurrence": np.asarray(concurrence(rho)),
        "purity": purity,
    }


def _hermitize(rho: np.ndarray) -> np.ndarray:
    rho = 0.5 * (rho + np.conj(np.swapaxes(rho, -1, -2)))
    return rho / np.trace(rho, axis1=-2, axis2=-1)[..., None, None].real


_RESIDUAL_RTOL = 1e-9


def _repair(rho: np.ndarray, residual: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Project steady states whose residual check passes onto the physical states (PSD, unit trace).

    Near a degenerate steady state (ideal model, ``delta/omega -> 0``) a solve with a tiny
    residual can still be ~1e-8 off and slightly non-positive (purity > 1).  Rows whose
    residual exceeds ``_RESIDUAL_RTOL * scale`` are returned unchanged, so a failed solve is
    never dressed up as physical; the ``residual`` key shows it.
    """
    rho = np.asarray(rho)
    ok = np.isfinite(residual) & (np.asarray(residual) <= _RESIDUAL_RTOL * np.asarray(scale))
    ok = ok & np.all(np.isfinite(rho), axis=(-2, -1))
    if not np.any(ok):
        return rho
    w, v = np.linalg.eigh(rho[ok] if rho.ndim == 3 else rho)
    w = np.clip(w, 0.0, None)
    fixed = np.einsum("...ik,...k,...jk->...ij", v, w, v.conj())
    fixed = fixed / np.trace(fixed, axis1=-2, axis2=-1)[..., None, None].real
    if rho.ndim == 2:
        return fixed
    out = rho.copy()
    out[ok] = fixed
    return out


def _physical_measures(rho: np.ndarray, residual: Any, scale: Any) -> dict[str, np.ndarray]:
    """:func:`state_measures` of the repaired states, clipped to [0, 1] where the residual check passes."""
    residual = np.asarray(residual, dtype=float)
    scale = np.asarray(scale, dtype=float)
    meas = state_measures(_repair(rho, residual, scale))
    ok = residual <= _RESIDUAL_RTOL * scale
    return {k: np.where(ok, np.clip(v, 0.0, 1.0), v) for k, v in meas.items()}


def _row_scale(coeffs: np.ndarray) -> np.ndarray:
    """Largest |coefficient| per row (the Liouvillian's scale), at least 1e-300."""
    return np.maximum(np.max(np.abs(np.atleast_2d(coeffs)), axis=-1), 1e-300)


def _solve_linear(coefficients: np.ndarray, *, nonunique: str = "raise") -> tuple[np.ndarray, np.ndarray]:
    lb = _lindblad()
    _, terms = _liouvillian_terms()
    res = lb.steady_state_linear(terms=list(terms), coefficients=np.atleast_2d(coefficients), nonunique=nonunique)
    with np.errstate(invalid="ignore"):
        return _hermitize(np.asarray(res.rho)), np.asarray(res.residual, dtype=float)


def evaluate(*, optimize: bool = False, **params: Any) -> dict[str, float]:
    """Steady-state measures for one parameter point (the ``--json`` object).

    With ``optimize=True`` the given ``omega`` and ``delta`` are ignored and
    replaced by the maximiser of the singlet fidelity (:func:`optimize_drive`);
    the result then also holds ``omega``, ``delta`` and ``at_bound`` (``True`` when the
    optimum sits on the edge of the search box, e.g. the ideal model, where
    ``F_S -> 1`` only as ``delta/omega -> 0``: then it is a supremum, not an optimum).
    Where the residual check passes, the state is projected onto the physical states,
    so ``purity`` and the fidelities lie in [0, 1].

    Example
    -------
    >>> r = evaluate(omega=1.0, delta=0.5)
    >>> round(r["singlet_fidelity"], 6)
    0.888889
    """
    p = validate_parameters(**params)
    if optimize:
        fixed = {k: v for k, v in p.items() if k not in ("omega", "delta")}
        best = optimize_drive(**fixed)
        p["omega"], p["delta"] = best.omega, best.delta
    lb = _lindblad()
    try:
        ss = lb.steady_state(build_model(**p))
    except NonUniqueSteadyStateError as exc:
        if optimize and best.at_bound:
            raise InvalidParameterError(
                f"no interior optimum: F_S -> {best.singlet_fidelity:.6f} at the search bound (omega={best.omega:.3g}, "
                f"delta={best.delta:.3g}), where the steady state becomes non-unique; without loss, dephasing or "
                "imperfect correlation F_S = 2 omega^2/(2 omega^2 + delta^2) -> 1 as delta/omega -> 0. "
                "Add gamma_loss, gamma_phi or gamma12 < sqrt(gamma1*gamma2)"
            ) from exc
        raise
    rho = _hermitize(np.asarray(ss.rho))
    scale = float(_row_scale(np.array([p[k] for k in PARAMETERS]))[0])
    out = {k: float(v) for k, v in _physical_measures(rho, float(ss.residual), scale).items()}
    out["residual"] = float(ss.residual)
    if optimize:
        out["omega"] = p["omega"]
        out["delta"] = p["delta"]
        out["at_bound"] = bool(best.at_bound)
    return out


def _coefficient_rows(grid: Mapping[str, Any], fixed: Mapping[str, Any]) -> tuple[np.ndarray, tuple[int, ...]]:
    unknown = sorted((set(grid) | set(fixed)) - set(PARAMETERS))
    if unknown:
        raise InvalidParameterError(f"unknown waveguide parameter(s) {unknown}; valid: {sorted(PARAMETERS)}")
    arrays = {k: np.asarray(v, dtype=float) for k, v in grid.items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else ()
    fix = validate_parameters(**{k: v for k, v in fixed.items() if k not in grid})
    cols = []
    for k in PARAMETERS:
        col = np.broadcast_to(arrays[k], shape) if k in arrays else np.full(shape, fix[k])
        cols.append(col.ravel())
    coeffs = np.stack(cols, axis=-1)
    if not np.all(np.isfinite(coeffs)):
        raise InvalidParameterError("grid values must be finite; found NaN or inf")
    idx = {k: i for i, k in enumerate(PARAMETERS)}
    for k in _RATES:
        if np.any(coeffs[:, idx[k]] < 0):
            raise InvalidParameterError(f"{k} must be >= 0 (it is a rate); the grid has {coeffs[:, idx[k]].min():.6g}")
    g1, g2, g12 = coeffs[:, idx["gamma1"]], coeffs[:, idx["gamma2"]], coeffs[:, idx["gamma12"]]
    bad = g12**2 > g1 * g2 * (1 + _PSD_RTOL) + 1e-300
    if np.any(bad):
        i = int(np.argmax(bad))
        raise InvalidParameterError(
            f"the decay matrix is not positive semidefinite at a grid point (gamma1={g1[i]}, gamma2={g2[i]}, "
            f"gamma12={g12[i]}); need |gamma12| <= sqrt(gamma1*gamma2)"
        )
    return coeffs, shape


def evaluate_batch(grid: Mapping[str, Any], fixed: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Measures on a grid with one batched solve (``steady_state_linear``).

    ``grid`` maps parameter names to broadcastable arrays; ``fixed`` holds scalars.
    The Liouvillian is linear in every parameter, so it is assembled from eight
    fixed terms.
    """
    coeffs, shape = _coefficient_rows(grid, fixed or {})
    rho, residual = _solve_linear(coeffs)
    meas = _physical_measures(rho, residual, _row_scale(coeffs))
    out = {k: np.asarray(v, dtype=float).reshape(shape) for k, v in meas.items()}
    out["residual"] = residual.reshape(shape)
    return out


# ---------------------------------------------------------------------------
# optimal drive
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DriveOptimum:
    """Drive ``(omega, delta)`` that maximises the steady-state singlet fidelity."""

    omega: float
    delta: float
    singlet_fidelity: float
    starts: int
    evaluations: int
    at_bound: bool
    fixed: dict[str, float] = field(default_factory=dict)

    def __repr__(self) -> str:
        flag = ", at a search bound" if self.at_bound else ""
        return (
            f"DriveOptimum(F_S={self.singlet_fidelity:.6f} at omega={self.omega:.6g}, "
            f"delta={self.delta:.6g}; {self.starts} starts, {self.evaluations} solves{flag})"
        )


def _rate_scale(p: Mapping[str, float]) -> float:
    scale = max(p["gamma1"], p["gamma2"], abs(p["gamma12"]), p["gamma_loss"], p["gamma_phi"], abs(p["g"]))
    if scale <= 0:
        raise InvalidParameterError("all rates are zero: give gamma1/gamma2 (or a loss) so a steady state exists")
    return scale


def optimize_drive(
    *,
    omega_range: tuple[float, float] | None = None,
    delta_range: tuple[float, float] | None = None,
    grid: int = 9,
    starts: int = 3,
    symmetric: bool | None = None,
    **params: Any,
) -> DriveOptimum:
    r"""Maximise the steady-state singlet fidelity over :math:`(\Omega, \delta)`.

    Method: a coarse grid (``grid`` x ``grid`` per sign of ``delta``, log-spaced in
    :math:`\Omega` and :math:`|\delta|`) solved in one batch, then bounded
    Nelder-Mead in :math:`(\log_{10}\Omega, \log_{10}|\delta|)` from the ``starts``
    best grid points.  When ``gamma1 == gamma2`` the fidelity is even in
    ``delta`` (exchange symmetry) and only ``delta > 0`` is searched
    (``symmetric=None`` decides this automatically).  Default ranges are :math:`[10^{-3}, 10]\,\Gamma_s` for
    :math:`\Omega` and :math:`[10^{-3}, 10]\,\Gamma_s` for :math:`|\delta|`, with
    :math:`\Gamma_s` the largest rate.  Deterministic (no seed).  In the ideal model
    the supremum :math:`F_S \to 1` is reached only as :math:`\delta/\Omega \to 0`;
    ``at_bound`` flags such a result.

    Example
    -------
    >>> best = optimize_drive(gamma1=1, gamma2=1, gamma12=1, gamma_loss=0.01)
    >>> 0.8 < best.singlet_fidelity < 0.95
    True
    """
    from scipy.optimize import minimize

    p = validate_parameters(**{k: v for k, v in params.items()}, omega=1.0, delta=1.0)
    fixed = {k: v for k, v in p.items() if k not in ("omega", "delta")}
    scale = _rate_scale(p)
    lo_o, hi_o = omega_range or (1e-3 * scale, 10 * scale)
    lo_d, hi_d = delta_range or (1e-3 * scale, 10 * scale)
    if not (0 < lo_o < hi_o and 0 < lo_d < hi_d):
        raise InvalidParameterError("omega_range and delta_range must be (low, high) with 0 < low < high")
    grid = max(int(grid), 2)
    bounds = [(math.log10(lo_o), math.log10(hi_o)), (math.log10(lo_d), math.log10(hi_d))]
    idx = {k: i for i, k in enumerate(PARAMETERS)}
    base = np.array([p[k] for k in PARAMETERS])
    count = [0]

    def rows(x: np.ndarray, sign: float) -> np.ndarray:
        c = np.tile(base, (x.shape[0], 1))
        c[:, idx["omega"]] = 10.0 ** x[:, 0]
        c[:, idx["delta"]] = sign * 10.0 ** x[:, 1]
        return c

    def fidelity(x: np.ndarray, sign: float) -> np.ndarray:
        count[0] += x.shape[0]
        rho, res = _solve_linear(rows(x, sign), nonunique="nan")
        v = singlet_state()
        f = np.real(np.einsum("i,...ij,j->...", v.conj(), rho, v))
        ok = np.isfinite(f) & (res < 1e-9 * scale) & (f <= 1 + 1e-9)
        return np.where(ok, f, 0.0)  # a non-unique or ill-conditioned point never wins

    xo = np.linspace(*bounds[0], grid)
    xd = np.linspace(*bounds[1], grid)
    pts = np.stack(np.meshgrid(xo, xd, indexing="ij"), axis=-1).reshape(-1, 2)
    candidates = []
    if symmetric is None:
        symmetric = p["gamma1"] == p["gamma2"]
    for sign in (1.0,) if symmetric else (1.0, -1.0):
        f = fidelity(pts, sign)
        for i in np.argsort(-f)[: max(int(starts), 1)]:
            candidates.append((float(f[i]), sign, pts[i]))
    candidates.sort(key=lambda c: -c[0])
    candidates = candidates[: max(int(starts), 1)]
    best = (-1.0, 1.0, candidates[0][2])
    for _, sign, x0 in candidates:
        res = minimize(
            lambda x, s=sign: -fidelity(np.asarray(x)[None, :], s)[0],
            x0,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-6, "fatol": 1e-12, "maxiter": 400},
        )
        if -res.fun > best[0]:
            best = (float(-res.fun), sign, np.asarray(res.x))
    f_best, sign, x = best
    at_bound = bool(any(abs(x[i] - b) < 1e-3 for i in range(2) for b in bounds[i]))
    return DriveOptimum(
        omega=float(10 ** x[0]),
        delta=float(sign * 10 ** x[1]),
        singlet_fidelity=f_best,
        starts=len(candidates),
        evaluations=count[0],
        at_bound=at_bound,
        fixed=fixed,
    )


# ---------------------------------------------------------------------------
# coherence times, freeze protocol, relaxation time
# ---------------------------------------------------------------------------
def rates_from_coherence(*, t1: float, t2: float) -> dict[str, float]:
    r"""``gamma_loss`` and ``gamma_phi`` from :math:`T_1` and :math:`T_2` (same time unit).

    :math:`\Gamma' = 1/T_1`, :math:`\gamma_\phi = 1/T_2 - 1/(2T_1)`; needs
    :math:`T_2 \le 2 T_1`.  Rates come out in inverse time units.

    Example
    -------
    >>> rates_from_coherence(t1=2.0, t2=4.0)
    {'gamma_loss': 0.5, 'gamma_phi': 0.0}
    """
    t1 = check_nonnegative(t1, "t1")
    t2 = check_nonnegative(t2, "t2")
    if t1 == 0 or t2 == 0:
        raise InvalidParameterError("t1 and t2 must be > 0")
    if t2 > 2 * t1 * (1 + 1e-12):
        raise InvalidParameterError(f"t2 = {t2} exceeds 2*t1 = {2 * t1}; physical qubits have T2 <= 2 T1")
    return {"gamma_loss": 1.0 / t1, "gamma_phi": max(1.0 / t2 - 0.5 / t1, 0.0)}


@dataclass(frozen=True)
class FreezeResult:
    """Fidelity against time: drive (``t < t_freeze``), then frozen evolution."""

    times: np.ndarray
    singlet_fidelity: np.ndarray
    bell_fidelity: np.ndarray
    concurrence: np.ndarray
    t_freeze: float
    drive: dict[str, float]
    hold: dict[str, float]

    def fidelity_at_freeze(self) -> float:
        return float(np.interp(self.t_freeze, self.times, self.singlet_fidelity))

    def __repr__(self) -> str:
        return (
            f"FreezeResult(F_S(freeze)={self.fidelity_at_freeze():.4f}, F_S(end)={self.singlet_fidelity[-1]:.4f}, "
            f"C(end)={self.concurrence[-1]:.4f}, t_freeze={self.t_freeze:.4g}, t_end={self.times[-1]:.4g})"
        )


def freeze_protocol(
    *,
    drive: Mapping[str, float],
    hold: Mapping[str, float] | None = None,
    t_drive: float | None = None,
    t_hold: float,
    steps: int = 201,
) -> FreezeResult:
    """Drive, then freeze: switch the drive off and tune to the decay-free point.

    ``drive`` holds model parameters for the pumping stage.  ``hold`` defaults to
    the frozen point of the sequential layout at :math:`\\varphi = \\pi`
    (``omega = delta = gamma1 = gamma2 = gamma12 = g = 0``) with the same
    ``gamma_loss`` and ``gamma_phi``.  With ``t_drive=None`` the hold starts from the
    drive's steady state (the drive has been on "until stable"); otherwise the
    system starts in ``|gg>`` and is driven for ``t_drive``.  Times then run from 0
    (drive start, or the freeze when ``t_drive`` is None).
    """
    lb = _lindblad()
    pd = validate_parameters(**dict(drive))
    frozen = giant_atom_coefficients("sequential", phase=math.pi).as_waveguide_parameters()
    default_hold = {
        "omega": 0.0,
        "delta": frozen["lamb_detuning"],
        "gamma1": frozen["gamma1"],
        "gamma2": frozen["gamma2"],
        "gamma12": frozen["gamma12"],
        "g": frozen["g"],
        "gamma_loss": pd["gamma_loss"],
        "gamma_phi": pd["gamma_phi"],
    }
    default_hold = {k: (0.0 if abs(v) < 1e-12 else v) for k, v in default_hold.items()}
    ph = validate_parameters(**{**default_hold, **dict(hold or {})})
    t_hold = check_nonnegative(t_hold, "t_hold")
    steps = max(int(steps), 2)
    if t_drive is None:
        rho0 = _hermitize(np.asarray(lb.steady_state(build_model(**pd)).rho))
        t_freeze = 0.0
        times_d, states_d = np.zeros(0), np.zeros((0, 4, 4), dtype=complex)
    else:
        t_freeze = check_nonnegative(t_drive, "t_drive")
        gg = np.zeros((4, 4), dtype=complex)
        gg[3, 3] = 1.0
        times_d = np.linspace(0.0, t_freeze, steps)
        ev = lb.evolve(build_model(**pd), gg, times_d)
        states_d = np.asarray(ev.states)
        rho0 = states_d[-1]
        times_d, states_d = times_d[:-1], states_d[:-1]
    times_h = np.linspace(0.0, t_hold, steps)
    states_h = np.asarray(lb.evolve(build_model(**ph), rho0, times_h).states)
    times = np.concatenate([times_d, t_freeze + times_h])
    states = _hermitize(np.concatenate([states_d, states_h]))
    m = state_measures(states)
    return FreezeResult(
        times=times,
        singlet_fidelity=np.asarray(m["singlet_fidelity"]),
        bell_fidelity=np.asarray(m["bell_fidelity"]),
        concurrence=np.asarray(m["concurrence"]),
        t_freeze=t_freeze,
        drive=pd,
        hold=ph,
    )


def readout_flip(rho: np.ndarray, error: float) -> np.ndarray:
    """Symmetric assignment error: each qubit's outcome flipped with probability ``error`` (bit-flip channel)."""
    e = check_nonnegative(error, "readout_error")
    if e > 0.5:
        raise InvalidParameterError(f"readout_error must be in [0, 0.5]; got {error}")
    x = sigma_x()
    out = np.asarray(rho, dtype=complex)
    for site in (0, 1):
        xs = embed(x, site, DIMS)
        out = (1 - e) * out + e * xs @ out @ xs
    return out


#: the readings of "a Lorentzian eight times wider than the initial decay rate" (see docs/waveguide.md)
READINGS = {
    "A": "Gamma_jj = 8/T1: the individual waveguide decay rate is 8 times the intrinsic decay rate 1/T1",
    "B": "bright-mode FWHM 2 Gamma + Gamma' + 2 gamma_phi = 8/T1: the measured linewidth is 8 times 1/T1",
    "C": "FWHM = 8 gamma: the bright mode of two two-point giant atoms at phi = 2 pi m is 8 times the "
         "rate gamma of one coupling point (geometry; fixes no rate against 1/T1)",
}


def experiment_readings(
    *, t1_us: float = 29.5, t2_us: float = 29.5, ratio: float = 8.0, readout_error: float = 0.0,
) -> dict[str, dict[str, float]]:
    r"""Model singlet fidelity under readings A and B of the published numbers (Almanakly et al. 2026).

    Reading A: :math:`\Gamma = 8/T_1`.  Reading B: the transmission dip of the two atoms at
    the operating point (:math:`\Gamma_1 = \Gamma_2 = \Gamma_{12} = \Gamma`, ``g = 0``) is the
    bright mode, of full width :math:`2\Gamma + \Gamma' + 2\gamma_\phi` (computed by
    :func:`~opentangle.studies._giant_atoms.probe_spectrum`), set equal to :math:`8/T_1`.
    Reading C (geometric, no rate) is returned with the smallest :math:`\Gamma/2\pi`
    for which the optimum reaches 0.89.  Each fidelity is the supremum over the drive
    :math:`(\Omega, \delta)` in :math:`[10^{-3}, 10^3]\Gamma`, after a symmetric readout
    error (:func:`readout_flip`).  Rates in 1/us.
    """
    lb = _lindblad()
    r = rates_from_coherence(t1=t1_us, t2=t2_us)
    ratio = check_nonnegative(ratio, "ratio")
    gammas = {"A": ratio / t1_us, "B": 0.5 * (ratio / t1_us - r["gamma_loss"] - 2 * r["gamma_phi"])}
    out: dict[str, dict[str, float]] = {}
    for key, gam in gammas.items():
        if gam <= 0:
            out[key] = {"gamma_per_us": gam, "singlet_fidelity": float("nan")}
            continue
        rng = (1e-3 * gam, 1e3 * gam)
        opt = optimize_drive(gamma1=gam, gamma2=gam, gamma12=gam, omega_range=rng, delta_range=rng, **r)
        rho = lb.steady_state(build_model(omega=opt.omega, delta=opt.delta, gamma1=gam, gamma2=gam, gamma12=gam,
                                          **r)).rho
        fs = float(state_measures(readout_flip(_hermitize(np.asarray(rho)), readout_error))["singlet_fidelity"])
        out[key] = {"gamma_per_us": gam, "gamma_over_2pi_mhz": gam / (2 * np.pi), "gamma_over_loss": gam * t1_us,
                    "singlet_fidelity": fs, "omega": opt.omega, "delta": opt.delta, "at_bound": float(opt.at_bound)}
    return out


def relaxation_gap(**params: Any) -> float:
    """Liouvillian gap (slowest relaxation rate) of the model; ``1/gap`` is the time to reach the steady state."""
    lb = _lindblad()
    return float(lb.spectrum(build_model(**params), k=15).gap)


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------
def command(
    omega: float = typer.Option(PARAMETERS["omega"], "--omega", help="Drive amplitude Omega in Omega (sx_1 + sx_2)."),
    delta: float = typer.Option(PARAMETERS["delta"], "--delta", help="Detuning delta in delta (n_2 - n_1)."),
    gamma1: float = typer.Option(PARAMETERS["gamma1"], "--gamma1", help="Waveguide decay rate Gamma_11 of qubit 1."),
    gamma2: float = typer.Option(PARAMETERS["gamma2"], "--gamma2", help="Waveguide decay rate Gamma_22 of qubit 2."),
    gamma12: float = typer.Option(PARAMETERS["gamma12"], "--gamma12", help="Correlated decay Gamma_12 (|G12| <= sqrt(G1 G2))."),
    g: float = typer.Option(PARAMETERS["g"], "--g", help="Waveguide-mediated exchange g (s1^dag s2 + h.c.)."),
    gamma_loss: float = typer.Option(PARAMETERS["gamma_loss"], "--gamma-loss", help="Loss outside the waveguide Gamma' (= 1/T1)."),
    gamma_phi: float = typer.Option(PARAMETERS["gamma_phi"], "--gamma-phi", help="Pure dephasing gamma_phi: gamma_phi/2 D[sz]."),
    optimize: bool = typer.Option(False, "--optimize", help="Choose omega and delta that maximise the singlet fidelity."),
    json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Steady-state Bell fidelity of two qubits with correlated decay into a waveguide (Almanakly et al.)."""
    result = evaluate(
        omega=omega,
        delta=delta,
        gamma1=gamma1,
        gamma2=gamma2,
        gamma12=gamma12,
        g=g,
        gamma_loss=gamma_loss,
        gamma_phi=gamma_phi,
        optimize=optimize,
    )
    emit(result, as_json=json, title="waveguide: driven-dissipative Bell state")


# ---------------------------------------------------------------------------
# reproduction
# ---------------------------------------------------------------------------
_LEVELS = {
    #            map  ratios region-grid  c-values  freeze steps  gap points
    "quick": dict(nmap=21, nratio=4, nreg=11, ndrive=11, ncorr=1, steps=81, ngap=10, bisect=8, nspec=201),
    "default": dict(nmap=41, nratio=7, nreg=41, ndrive=17, ncorr=4, steps=201, ngap=20, bisect=12, nspec=401),
    "full": dict(nmap=81, nratio=13, nreg=61, ndrive=25, ncorr=5, steps=401, ngap=40, bisect=16, nspec=801),
}
SEED_T2_US = 29.5  # single-qubit coherence quoted by the seed (us)
SEED_BELL_FIDELITY = 0.89


def _save(ds, fig, out_dir: Path, stem: str) -> None:
    fig.tight_layout()
    save_figure(ds, fig, out_dir, stem, dpi=110)


def _min_rate_for(target: float, *, corr: float, lo: float = 10.0, hi: float = 1e5, iters: int = 12) -> float:
    """Smallest Gamma*T (T1 = T2 = T) whose optimal F_S reaches ``target`` (bisection in log)."""

    def f(x: float) -> float:
        r = rates_from_coherence(t1=x, t2=x)
        return optimize_drive(gamma12=corr, **r).singlet_fidelity

    if f(hi) < target:
        return float("inf")
    a, b = math.log(lo), math.log(hi)
    for _ in range(iters):
        m = 0.5 * (a + b)
        if f(math.exp(m)) >= target:
            b = m
        else:
            a = m
    return math.exp(b)


def _grid_optimum_map(x: np.ndarray, ndrive: int) -> np.ndarray:
    """Best F_S over a log (Omega, delta) grid in [0.02, 5] Gamma, for each (Gamma T1, Gamma T2) in ``x`` x ``x``.

    A lower bound on :func:`optimize_drive` (no local refinement), batched per row of T1;
    NaN where T2 > 2 T1.
    """
    dr = np.geomspace(0.02, 5.0, ndrive)
    oo, dd = np.meshgrid(dr, dr, indexing="ij")
    fmap = np.full((x.size, x.size), np.nan)
    for i, t1 in enumerate(x):
        t2 = x[x <= 2 * t1 * (1 + 1e-12)]
        if not t2.size:
            continue
        loss = np.full(t2.size, 1.0 / t1)
        phi = np.maximum(1.0 / t2 - 0.5 / t1, 0.0)
        m = evaluate_batch({"omega": oo[None], "delta": dd[None], "gamma_loss": loss[:, None, None],
                            "gamma_phi": phi[:, None, None]})
        f = np.where(m["residual"] < 1e-9, m["singlet_fidelity"], 0.0)
        fmap[i, : t2.size] = f.reshape(t2.size, -1).max(axis=1)
    return fmap


def _spectroscopy(cfg: dict, out_dir: Path, plt: Any, heads: list[Headline]) -> None:
    """Probe transmission / reflection (linear response and saturation) and the readings of the '8x' linewidth."""
    import xarray as xr

    from opentangle.studies._giant_atoms import probe_spectrum

    src = "closed form (input-output theory, Markov limit)"
    x = np.linspace(-12, 12, cfg["nspec"])
    xs = x[:: max(1, x.size // 50)]
    # closed forms: small atom with loss and dephasing, giant atom with two points, saturating small atom
    lo, dp = 0.3, 0.1
    sm = probe_spectrum([[0.0]], phase=0.0, detunings=xs, loss=lo, dephasing=dp)
    ref = -1.0 / (1.0 + lo + 2 * dp - 2j * xs)
    heads.append(Headline.compare("small atom: max |r - r_Lorentz| (Gamma'=0.3, gamma_phi=0.1)",
                                  float(np.max(np.abs(sm.reflection - ref))), 0.0, 1e-10, source=src))
    ph = 1.1
    ga = probe_spectrum([[0.0, 1.0]], phase=ph, detunings=xs)
    gw, gl = 2 * (1 + math.cos(ph)), math.sin(ph)
    heads.append(Headline.compare("giant atom (2 points, phi=1.1): max |t - t_Lorentz|, width 2g(1+cos phi), shift g sin phi",
                                  float(np.max(np.abs(ga.transmission - 1 + gw / (gw - 2j * (xs - gl))))), 0.0, 1e-10,
                                  source="Kockum et al., PRA 90, 013837 (2014), Markov limit"))
    errs = []
    for fl in (0.05, 0.5, 2.0):
        sat = probe_spectrum([[0.0]], phase=0.0, detunings=xs, flux=fl)
        errs.append(float(np.max(np.abs(sat.reflection + 0.5 * (0.5 + 1j * xs) / (xs**2 + 0.25 + fl)))))
    heads.append(Headline.compare("saturating small atom: max |r - r_closed| at flux 0.05, 0.5, 2",
                                  max(errs), 0.0, 1e-10, source="resonance fluorescence, elastic part"))
    # the experiment's geometry: two sequential giant atoms at the operating point phi = 2 pi (Gamma12 = Gamma)
    loss = 0.01
    fluxes = np.array([0.0, 0.5, 2.0, 8.0])
    spec = [probe_spectrum("sequential", phase=2 * np.pi, detunings=x, loss=loss, flux=f) for f in fluxes]
    frz = probe_spectrum("sequential", phase=np.pi, detunings=x, loss=loss)
    one = probe_spectrum([[0.0, 1.0]], phase=2 * np.pi, detunings=x, loss=loss)
    ds = xr.Dataset(
        {"T": (("flux", "detuning"), np.array([s.T for s in spec])), "R": (("flux", "detuning"), np.array([s.R for s in spec])),
         "T_freeze": ("detuning", frz.T), "T_single": ("detuning", one.T)},
        coords={"flux": fluxes, "detuning": x},
        attrs={"units": "rates and detuning in the per-point rate gamma", "loss": loss, "layout": "sequential",
               "phase": "2 pi (operating point), pi (freeze)"},
    )
    fig, axs = plt.subplots(1, 2, figsize=(11, 4))
    for f_, s_ in zip(fluxes, spec):
        axs[0].plot(x, s_.T, label=f"|t|^2, flux {f_:g}" + (" (linear)" if f_ == 0 else ""))
    axs[0].plot(x, spec[0].R, "k--", lw=0.8, label="|r|^2 (linear)")
    axs[0].set(xlabel="probe detuning / gamma", ylabel="power", title="two giant atoms, phi = 2 pi: FWHM 8 gamma")
    axs[0].legend(fontsize=7)
    axs[1].plot(x, one.T, label="one giant atom (FWHM 4 gamma)")
    axs[1].plot(x, spec[0].T, label="two giant atoms (bright mode, 8 gamma)")
    axs[1].plot(x, frz.T, label="two atoms at freeze phi = pi")
    axs[1].set(xlabel="probe detuning / gamma", ylabel="|t|^2", title="linear response, Gamma' = 0.01 gamma")
    axs[1].legend(fontsize=7)
    _save(ds, fig, out_dir, "waveguide_spectroscopy")
    heads.append(Headline.compare("two giant atoms, phi=2pi: transmission FWHM / gamma (bright mode 2 Gamma + Gamma')",
                                  spec[0].fwhm(), 8.0 + loss, 0.02, source="analytic: Gamma = 4 gamma per atom, Gamma12 = Gamma"))
    heads.append(Headline.info("one giant atom, phi=2pi: FWHM / gamma", one.fwhm(), reference=4.0 + loss))
    # readings of the published numbers
    rd = experiment_readings(t1_us=SEED_T2_US, t2_us=SEED_T2_US)
    fa, fb = rd["A"]["singlet_fidelity"], rd["B"]["singlet_fidelity"]
    heads.append(Headline.info("experiment 0.89 +/- 0.02 | model under reading A | reading B (T1 = T2 = 29.5 us)",
                               f"0.89 +/- 0.02 | {fa:.3f} | {rd['B']['singlet_fidelity']:.3f}",
                               source="Almanakly et al., arXiv:2606.13375",
                               note=f"A: {READINGS['A']} (Gamma/2pi = {rd['A']['gamma_over_2pi_mhz'] * 1e3:.1f} kHz); "
                                    f"B: {READINGS['B']} (Gamma/2pi = {rd['B']['gamma_over_2pi_mhz'] * 1e3:.1f} kHz); "
                                    "supremum over the drive, no readout error"))
    for key, fv in (("A", fa), ("B", fb)):
        heads.append(Headline.refuted(f"reading {key} reproduces F = 0.89 +/- 0.02", fv, reference=0.89,
                                      reproduced=bool(fv < 0.87), source="Almanakly et al., arXiv:2606.13375",
                                      note=READINGS[key]))
    heads.append(Headline.info("reading C: the 8x is geometric (FWHM 8 gamma at phi = 2 pi)", "consistent",
                               note=READINGS["C"] + "; 0.89 then needs the Gamma of the 'min Gamma/2pi' row"))


def reproduce(out_dir: Path, *, level: str = "default") -> list[Headline]:
    """Figures (``waveguide_*.png``/``.nc``) and headline numbers for the waveguide study.

    Units: the waveguide decay rate ``Gamma = gamma1 = gamma2`` is 1 unless stated.
    """
    import xarray as xr

    cfg, out_dir = start_reproduce(out_dir, level, _LEVELS)
    plt = pyplot()
    heads: list[Headline] = []
    ref2 = "Kockum et al. PRL 120, 140404 (derived)"

    # 1. analytic dark state and Kockum coefficients
    f = evaluate(omega=1.0, delta=0.5)["singlet_fidelity"]
    heads.append(Headline.compare("ideal dark state F_S (Omega=1, delta=0.5)", f, 8 / 9, 1e-10, source=ref2))
    br = giant_atom_coefficients("braided", phase=math.pi / 2)
    heads.append(Headline.compare("braided, phi=pi/2: Gamma_12/gamma", br.gamma12, 0.0, 1e-12, source="Kockum PRL 120, 140404"))
    heads.append(Headline.compare("braided, phi=pi/2: g/gamma", br.g, 1.0, 1e-12, source="Kockum PRL 120, 140404"))
    phis = np.linspace(0, 2 * np.pi, 241)
    layouts = ("small", "sequential", "braided", "nested")
    coef = np.array([[[*(c := giant_atom_coefficients(l, phase=ph)).gamma_matrix.ravel()[[0, 3, 1]], c.g] for ph in phis] for l in layouts])
    ds = xr.Dataset(
        {k: (("layout", "phase"), coef[..., i]) for i, k in enumerate(("gamma1", "gamma2", "gamma12", "g"))},
        coords={"layout": list(layouts), "phase": phis},
        attrs={"units": "per-point rate gamma = 1", "source": "Kockum, Johansson, Nori, PRL 120, 140404 (2018)"},
    )
    fig, axs = plt.subplots(1, 4, figsize=(14, 3.2), sharey=True)
    for ax, l in zip(axs, layouts):
        for k in ("gamma1", "gamma12", "g"):
            ax.plot(phis / np.pi, ds[k].sel(layout=l), label=k)
        ax.set_title(l)
        ax.set_xlabel("phase / pi")
    axs[0].legend()
    _save(ds, fig, out_dir, "waveguide_kockum")

    # 2. (Omega, delta) maps, ideal-correlated decay with a little loss
    loss = 0.002
    om = np.geomspace(0.05, 5, cfg["nmap"])
    de = np.geomspace(0.005, 5, cfg["nmap"])
    oo, dd = np.meshgrid(om, de, indexing="ij")
    m = evaluate_batch({"omega": oo, "delta": dd}, {"gamma_loss": loss})
    ds = xr.Dataset(
        {k: (("omega", "delta"), m[k]) for k in MEASURES},
        coords={"omega": om, "delta": de},
        attrs={"gamma1": 1.0, "gamma2": 1.0, "gamma12": 1.0, "gamma_loss": loss},
    )
    fig, axs = plt.subplots(1, 2, figsize=(10, 4))
    for ax, k in zip(axs, ("singlet_fidelity", "concurrence")):
        pc = ax.pcolormesh(de, om, m[k], shading="auto", vmin=0, vmax=1)
        ax.contour(de, om, m["singlet_fidelity"], levels=[SEED_BELL_FIDELITY], colors="w")
        ax.set(xscale="log", yscale="log", xlabel="delta / Gamma", ylabel="Omega / Gamma", title=f"{k}, Gamma'/Gamma={loss}")
        fig.colorbar(pc, ax=ax)
    _save(ds, fig, out_dir, "waveguide_map")
    heads.append(Headline(label=f"max F_S on the (Omega, delta) map, Gamma'/Gamma={loss}", value=float(m["singlet_fidelity"].max())))

    # 3. optimal fidelity against the imperfection ratios; sqrt scaling
    eps = np.geomspace(1e-4, 1e-1, cfg["nratio"])
    kinds = {
        "loss": lambda e: {"gamma_loss": e},  # Gamma'/Gamma
        "correlation": lambda e: {"gamma12": 1 - e},  # 1 - Gamma12/sqrt(Gamma1 Gamma2)
        "dephasing": lambda e: {"gamma_phi": e},  # gamma_phi/Gamma
    }
    best = {k: [optimize_drive(**fn(e)) for e in eps] for k, fn in kinds.items()}
    ds = xr.Dataset(
        {
            **{f"F_{k}": ("ratio", [b.singlet_fidelity for b in v]) for k, v in best.items()},
            **{f"omega_{k}": ("ratio", [b.omega for b in v]) for k, v in best.items()},
            **{f"delta_{k}": ("ratio", [b.delta for b in v]) for k, v in best.items()},
        },
        coords={"ratio": eps},
        attrs={"note": "ratio = Gamma'/Gamma, 1 - Gamma12/Gamma, or gamma_phi/Gamma; optimum over (Omega, delta)"},
    )
    fig, ax = plt.subplots(figsize=(5.5, 4))
    small = eps <= 1e-3 * (1 + 1e-9)
    for k, v in best.items():
        inf = 1 - np.array([b.singlet_fidelity for b in v])
        ax.loglog(eps, inf, "o-", label=k)
        slope = float(np.polyfit(np.log(eps[small]), np.log(inf[small]), 1)[0])
        heads.append(Headline.compare(f"infidelity exponent vs {k} ratio (ratio <= 1e-3)", slope, 0.5, 0.05, source=ref2))
        heads.append(Headline(label=f"(1 - F_S)/sqrt(ratio) at ratio={eps[0]:.0e}, {k}", value=float(inf[0] / np.sqrt(eps[0]))))
    ax.loglog(eps, 2.33 * np.sqrt(eps), "k--", label="2.33 sqrt(ratio)")
    ax.set(xlabel="imperfection ratio", ylabel="1 - max F_S")
    ax.legend()
    _save(ds, fig, out_dir, "waveguide_imperfections")

    # 4. where F >= 0.89 is reachable: (Gamma T1, Gamma T2) map and the needed Gamma at T = 29.5 us
    x = np.geomspace(30, 1e4, cfg["nreg"])
    fmap = _grid_optimum_map(x, cfg["ndrive"])
    corrs = np.array([1.0, 0.999, 0.998, 0.995, 0.99])[: cfg["ncorr"]]
    need = np.array([_min_rate_for(SEED_BELL_FIDELITY, corr=c, iters=cfg["bisect"]) for c in corrs])
    need_mhz = need / (2 * np.pi * SEED_T2_US)  # Gamma/2pi in MHz for T1 = T2 = 29.5 us
    ds = xr.Dataset(
        {
            "optimal_singlet_fidelity": (("gamma_t1", "gamma_t2"), fmap),
            "min_gamma_t": ("correlation", need),
            "min_gamma_over_2pi_mhz": ("correlation", need_mhz),
        },
        coords={"gamma_t1": x, "gamma_t2": x, "correlation": corrs},
        attrs={"target": SEED_BELL_FIDELITY, "t2_us": SEED_T2_US, "note": "min_gamma_t: T1 = T2 = T, Gamma12/Gamma = correlation"},
    )
    fig, axs = plt.subplots(1, 2, figsize=(10, 4))
    pc = axs[0].pcolormesh(x, x, fmap.T, shading="auto", vmin=0.5, vmax=1)
    axs[0].contour(x, x, fmap.T, levels=[SEED_BELL_FIDELITY], colors="w")
    axs[0].set(xscale="log", yscale="log", xlabel="Gamma T1", ylabel="Gamma T2", title="optimal F_S (Gamma12 = Gamma)")
    fig.colorbar(pc, ax=axs[0])
    ok = np.isfinite(need_mhz)
    axs[1].semilogy(1e3 * (1 - corrs[ok]), need_mhz[ok], "o-")
    axs[1].set(xlabel="1e3 * (1 - Gamma12/Gamma)", ylabel="min Gamma/2pi [MHz] for F_S >= 0.89", title=f"T1 = T2 = {SEED_T2_US} us")
    _save(ds, fig, out_dir, "waveguide_region")
    heads.append(Headline(label="min Gamma*T for F_S >= 0.89 (T1 = T2 = T, Gamma12 = Gamma)", value=float(need[0]), source=ref2))
    heads.append(
        Headline(
            label="min Gamma/2pi [MHz] for F_S >= 0.89 at T1 = T2 = 29.5 us, Gamma12 = Gamma",
            value=float(need_mhz[0]),
            source="Almanakly et al. 2026 (29.5 us)",
            note="Gamma is the individual waveguide decay rate Gamma_jj",
        )
    )

    # 5. freeze protocol in physical units: time in us, Gamma/2pi = 5 MHz, T1 = T2 = 29.5 us
    gam = 2 * np.pi * 5.0
    rates = rates_from_coherence(t1=SEED_T2_US, t2=SEED_T2_US)
    opt = optimize_drive(gamma1=gam, gamma2=gam, gamma12=gam, **rates)
    drive = dict(omega=opt.omega, delta=opt.delta, gamma1=gam, gamma2=gam, gamma12=gam, **rates)
    res = freeze_protocol(drive=drive, t_drive=None, t_hold=60.0, steps=cfg["steps"])
    f0 = res.fidelity_at_freeze()
    t = res.times
    analytic = f0 / 2 * (np.exp(-t / SEED_T2_US) + np.exp(-2 * t / SEED_T2_US))  # pure-dark-state approximation
    ds = xr.Dataset(
        {
            "singlet_fidelity": ("time_us", res.singlet_fidelity),
            "bell_fidelity": ("time_us", res.bell_fidelity),
            "concurrence": ("time_us", res.concurrence),
            "approximation": ("time_us", analytic),
        },
        coords={"time_us": t},
        attrs={"gamma_over_2pi_mhz": 5.0, "t1_us": SEED_T2_US, "t2_us": SEED_T2_US, **{k: float(v) for k, v in drive.items()}},
    )
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(t, res.singlet_fidelity, label="F_S")
    ax.plot(t, res.concurrence, label="concurrence")
    ax.plot(t, analytic, "k--", label="F0/2 (e^-t/T1 + e^-2t/T2)")
    ax.axhline(0.5, color="grey", lw=0.5)
    ax.set(xlabel="time after freeze [us]", ylabel="value", title="freeze at phi = pi, T1 = T2 = 29.5 us")
    ax.legend()
    _save(ds, fig, out_dir, "waveguide_freeze")
    heads.append(Headline(label="F_S at freeze (Gamma/2pi = 5 MHz, T1 = T2 = 29.5 us, optimal drive)", value=f0))
    heads.append(
        Headline.compare(
            "frozen F_S(t) vs F0/2 (e^-t/T1 + e^-2t/T2), max deviation", float(np.max(np.abs(res.singlet_fidelity - analytic))), 0.0, 0.01,
            source=ref2, note="exact for a pure dark state; small |ee> weight makes it approximate",
        )
    )
    below = t[res.concurrence < 1e-9]
    heads.append(Headline(label="time after freeze until concurrence vanishes [us]", value=float(below[0]) if below.size else float("nan")))

    # 7. spectroscopy and the experiment's numbers
    _spectroscopy(cfg, out_dir, plt, heads)

    # 6. relaxation time against the drive: the dark state slows down as Omega/delta grows
    ratios = np.geomspace(0.2, 60, cfg["ngap"])
    gaps = np.array([relaxation_gap(omega=r * 0.5, delta=0.5) for r in ratios])
    fs = np.array([dark_state_fidelity(omega=r * 0.5, delta=0.5) for r in ratios])
    ds = xr.Dataset(
        {"gap": ("omega_over_delta", gaps), "singlet_fidelity": ("omega_over_delta", fs)},
        coords={"omega_over_delta": ratios},
        attrs={"delta": 0.5, "gamma": 1.0, "note": "ideal model; gap = slowest Liouvillian relaxation rate"},
    )
    fig, axs = plt.subplots(1, 2, figsize=(10, 4))
    axs[0].loglog(ratios, 1 / gaps, label="1/gap (relaxation time)")
    axs[0].loglog(ratios, 1 - fs, label="1 - F_S")
    axs[0].set(xlabel="Omega / delta", ylabel="Gamma^-1 / infidelity")
    axs[0].legend()
    axs[1].loglog(1 / gaps, 1 - fs, "o-")
    axs[1].loglog(1 / gaps, 1.5 * gaps, "k--", label="(1 - F_S) = 3/(2 Gamma t)")
    axs[1].set(xlabel="relaxation time 1/gap [1/Gamma]", ylabel="1 - F_S")
    axs[1].legend()
    _save(ds, fig, out_dir, "waveguide_gap")
    heads.append(
        Headline.compare(
            "(1 - F_S) * Gamma / gap at Omega/delta = 60 (trade-off constant)", float((1 - fs[-1]) / gaps[-1]), 1.5, 0.01,
            source="this study (numerical observation)", note="gap -> Gamma delta^2 / (3 Omega^2) for Omega >> delta",
        )
    )
    return heads
