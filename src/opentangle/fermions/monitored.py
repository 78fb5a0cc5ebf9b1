"""Monitored free-fermion circuits: ``U(dt/2)``, random projective ``n_j`` measurements, ``U(dt/2)``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opentangle.errors import DimensionError, InvalidParameterError, InvalidStateError
from opentangle.fermions.state import GaussianState, propagator

__all__ = ["MonitoredTrajectory", "run_monitored"]


@dataclass
class MonitoredTrajectory:
    """One trajectory: observables on the recorded cycles plus bookkeeping.

    ``cycles`` are 1-based cycle numbers at whose end the observables were
    taken; ``max_drift`` is the largest ``|Phi^H Phi - 1|`` seen before
    re-purification, ``n_repurified`` how often a QR was needed.
    """

    cycles: np.ndarray
    observables: dict[str, np.ndarray]
    n_measurements: int
    n_occupied: int
    max_drift: float
    n_repurified: int
    particle_number: float
    extra: dict[str, Any] = field(default_factory=dict)

    def time_average(self) -> dict[str, float]:
        """Mean of every observable over the recorded cycles."""
        return {k: float(np.mean(v)) if len(v) else float("nan") for k, v in self.observables.items()}

    def __repr__(self) -> str:
        avg = ", ".join(f"{k}={v:.4g}" for k, v in self.time_average().items())
        return (
            f"MonitoredTrajectory(recorded={len(self.cycles)}, {avg}, measurements={self.n_measurements}, "
            f"max_drift={self.max_drift:.1e}, n_repurified={self.n_repurified})"
        )


def run_monitored(
    state: GaussianState,
    *,
    probabilities: Any,
    cycles: int,
    rng: np.random.Generator,
    hamiltonian: Any = None,
    half_step: Any = None,
    dt: float = 1.0,
    record_from: int = 0,
    observe: Callable[[GaussianState], Mapping[str, float]] | None = None,
    repurify_every: int = 10,
    tol: float = 1e-10,
) -> MonitoredTrajectory:
    """Run ``cycles`` cycles of ``U(dt/2)``, measurements, ``U(dt/2)`` on ``state`` (in place).

    Each cycle measures mode ``j`` with probability ``probabilities[j]``;
    outcomes follow the Born rule.  Every cycle draws ``2 M`` uniforms from
    ``rng`` (which modes, which outcomes), so the random stream does not
    depend on the probabilities: changing ``p`` on one mode leaves the draws of
    the others unchanged.  ``observe(state)`` is called at the end of cycles
    ``record_from + 1 .. cycles``.  Pass ``half_step = propagator(h, dt/2)``
    (or a :class:`~opentangle.fermions.CirculantPropagator`) to reuse it across
    trajectories.  Two consecutive half steps without an
    observation in between are merged into one matrix product.
    """
    m = state.n_modes
    p = np.broadcast_to(np.asarray(probabilities, dtype=float), (m,))
    if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise InvalidParameterError("measurement probabilities must lie in [0, 1]")
    if isinstance(cycles, bool) or int(cycles) != cycles or cycles < 0:
        raise InvalidParameterError(f"cycles must be a non-negative integer; got {cycles!r}")
    cycles = int(cycles)
    if half_step is None:
        if hamiltonian is None:
            raise InvalidParameterError("run_monitored needs hamiltonian= or half_step=")
        half_step = propagator(hamiltonian, dt / 2)
    if tuple(half_step.shape) != (m, m):
        raise DimensionError(f"propagator must be {m} x {m}; got {half_step.shape}")
    full_step = half_step.squared() if hasattr(half_step, "squared") else half_step @ half_step
    n0 = state.particle_number()
    recorded: list[int] = []
    values: dict[str, list[float]] = {}
    n_meas = n_occ = 0
    pending = False  # a second half step of the previous cycle not yet applied
    for c in range(cycles):
        state.evolve(full_step if pending else half_step)
        which = rng.random(m) < p
        outcome_u = rng.random(m)
        for k in np.flatnonzero(which):
            n_occ += state._measure(int(k), float(outcome_u[k]))
        n_meas += int(which.sum())
        if (c + 1) % repurify_every == 0:
            state.repurify(tol=tol)
        if c >= record_from and observe is not None:
            state.evolve(half_step)
            pending = False
            recorded.append(c + 1)
            for key, val in observe(state).items():
                values.setdefault(key, []).append(float(val))
        else:
            pending = True
    if pending:
        state.evolve(half_step)
    state.repurify(tol=tol)
    n1 = state.particle_number()
    if abs(n1 - n0) > 1e-6 * max(1.0, n0):
        raise InvalidStateError(f"particle number drifted from {n0} to {n1}; lower tol or repurify_every")
    return MonitoredTrajectory(
        cycles=np.asarray(recorded, dtype=int),
        observables={k: np.asarray(v) for k, v in values.items()},
        n_measurements=n_meas,
        n_occupied=n_occ,
        max_drift=state.max_drift,
        n_repurified=state.n_repurified,
        particle_number=n1,
    )
