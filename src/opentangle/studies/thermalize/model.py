r"""The model of the thermalize study: parameters, thermal states, populations.

Two parties hold a ``d x d`` isotropic state :math:`F\Phi^+ + (1-F)(1-\Phi^+)/(d^2-1)` and
thermalise their subsystems to ``tau_A``, ``tau_B`` (given by their populations) with the
protocol :math:`\mathcal E_\gamma` of :mod:`opentangle.channels.eplt`.

Reference: C.-Y. Hsieh, M. Lostaglio, A. Acín, Phys. Rev. Research 2, 013379 (2020),
arXiv:1904.07945.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._convert import check_in_range, check_int, check_probability_vector
from opentangle.errors import InvalidParameterError
from opentangle.states import thermal_state
from opentangle.studies._study import NoOptions, Params, param

__all__ = [
    "ThermalizeParams",
    "as_thermal_state",
    "check_size",
    "format_populations",
    "gamma_zero_note",
    "is_pure_populations",
    "ladder_thermal_state",
    "parse_populations",
]


def parse_populations(value: Any, *, name: str = "tau") -> np.ndarray:
    """Populations from ``"0.8,0.2"`` or a sequence; :class:`InvalidParameterError` if not a probability vector.

    >>> parse_populations("0.8,0.2").tolist()
    [0.8, 0.2]
    """
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


def format_populations(populations: Any) -> str:
    """``"0.8,0.2"`` from populations (shortest round-trip form of each number).

    >>> format_populations((1.0, 0.0))
    '1,0'
    """
    return ",".join(f"{float(x):.15g}" for x in populations)


def ladder_thermal_state(d: int, temperature: float, *, omega: float = 1.0) -> np.ndarray:
    r"""Gibbs state of :math:`H = \omega\,\mathrm{diag}(0, 1, \dots, d-1)` (``k_B = 1``), via :func:`thermal_state`.

    >>> np.round(np.diag(ladder_thermal_state(2, 1e-3)).real, 6).tolist()
    [1.0, 0.0]
    """
    return thermal_state(np.diag(omega * np.arange(d, dtype=float)), temperature=temperature)


def as_thermal_state(tau: Any, name: str) -> np.ndarray:
    """A thermal state from populations (``"0.8,0.2"`` or a vector) or from a density matrix."""
    arr = np.asarray(tau) if not isinstance(tau, str) else None
    if arr is not None and arr.ndim == 2:
        from opentangle.channels import as_thermal_state as _checked_state

        return _checked_state(arr, name=name)
    return thermal_state(spectrum=parse_populations(tau, name=name))


def is_pure_populations(t: Any) -> bool:
    """A (diagonal or full) thermal state with rank one: zero temperature."""
    ev = np.linalg.eigvalsh(np.asarray(t)) if np.ndim(t) == 2 else np.asarray(t, dtype=float)
    return bool(np.max(ev) >= 1 - 1e-12)


def check_size(d: int) -> None:
    """Refuse a d whose dense d^2 x d^2 matrices do not fit or take hours (eigensolves are O(d^6)).

    Calibration (one core): d = 20 took 1.4 s, d = 28 took 10 s, i.e. about 2.1e-8 d^6 s.
    """
    from opentangle._limits import Estimate, check_resources

    check_resources(
        Estimate(
            f"thermalize d={d} (dense {d * d} x {d * d} matrices)",
            nbytes=12 * 16 * float(d) ** 4,
            seconds=2.1e-8 * float(d) ** 6,
            hint="use a smaller d",
        )
    )


def _check_gamma(gamma: Any) -> float | None:
    # None (the default) means d * P_min; NaN is rejected, never read as "default"
    if gamma is None:
        return None
    try:
        g = float(gamma)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"gamma must be a real number in [0, d * P_min]; got {gamma!r}") from exc
    if not math.isfinite(g):
        raise InvalidParameterError(
            f"gamma must be a finite number in [0, d * P_min]; got {g}. Omit --gamma for the default d * P_min"
        )
    return g


@dataclass(frozen=True)
class ThermalizeParams(Params):
    """Model parameters of the thermalize study; ``validate()`` parses the populations into tuples.

    >>> p = ThermalizeParams(d=3, tau_a="0.6,0.3,0.1", tau_b="0.5,0.3,0.2").validate()
    >>> p.tau_a, p.gamma
    ((0.6, 0.3, 0.1), None)
    """

    d: int = param(2, "Local dimension d (>= 2).")
    tau_a: str | Sequence[float] = param("0.8,0.2", "Populations of tau_A, e.g. 0.8,0.2.")
    tau_b: str | Sequence[float] = param("0.8,0.2", "Populations of tau_B, e.g. 0.8,0.2.")
    gamma: float | None = param(None, "Coin bias gamma (default d * P_min, the largest).")
    input_fidelity: float = param(1.0, "F of the isotropic input state, in [0, 1].")

    def validate(self) -> ThermalizeParams:
        c = dataclasses.replace(self, d=check_int(self.d, "d", minimum=2)).converted()
        check_size(c.d)
        taus = {name: parse_populations(getattr(c, name), name=name) for name in ("tau_a", "tau_b")}
        for name, t in taus.items():
            if t.size != c.d:
                raise InvalidParameterError(f"{name} has {t.size} populations but d = {c.d}; give exactly d values")
        return dataclasses.replace(
            c,
            tau_a=tuple(float(x) for x in taus["tau_a"]),
            tau_b=tuple(float(x) for x in taus["tau_b"]),
            gamma=_check_gamma(c.gamma),
            input_fidelity=check_in_range(c.input_fidelity, "input_fidelity", 0.0, 1.0),
        )


def gamma_zero_note(tau_a: Any, tau_b: Any, gamma_given: float | None, gamma_used: float) -> str | None:
    """The stderr note for ``gamma = 0`` (none otherwise); says "no EPLT exists" only for a pure tau.

    >>> gamma_zero_note("0.8,0.2", "0.8,0.2", 0.0, 0.0)
    'gamma = 0 was requested: E_gamma outputs tau_A (x) tau_B and preserves no entanglement'
    """
    if gamma_used != 0:
        return None
    if gamma_given is not None:
        return "gamma = 0 was requested: E_gamma outputs tau_A (x) tau_B and preserves no entanglement"
    pure = [n for n, t in (("tau_A", tau_a), ("tau_B", tau_b)) if is_pure_populations(parse_populations(t, name=n))]
    if pure:
        return (
            f"{' and '.join(pure)} is pure (zero temperature): no EPLT exists, the output is "
            "tau_A (x) tau_B and no entanglement is preserved"
        )
    return (
        "E_gamma needs P_min > 0: a tau has a zero population, so the default gamma = d * P_min is 0 and "
        "E_gamma outputs tau_A (x) tau_B. A rank-deficient but non-pure tau still admits EPLTs outside the "
        "E_gamma family (map locally onto tau's support, then the shared-coin twirl there)"
    )


def notes(params: ThermalizeParams, options: NoOptions) -> list[str]:
    """The CLI's stderr lines before computing: the ``gamma = 0`` note, if any."""
    from opentangle.channels import mixing_states

    ta, tb = (thermal_state(spectrum=np.asarray(t)) for t in (params.tau_a, params.tau_b))
    used, _ = mixing_states(ta, tb, gamma=params.gamma)
    note = gamma_zero_note(params.tau_a, params.tau_b, params.gamma, used)
    return [f"note: {note}"] if note else []


def title(params: ThermalizeParams) -> str:
    """The heading of the CLI table."""
    return (
        f"thermalize: d={params.d}, tau_A=({format_populations(params.tau_a)}), "
        f"tau_B=({format_populations(params.tau_b)}), F={params.input_fidelity:g}"
    )
