"""The model of the ladder study: parameters, algorithm options, the hopping and the resource estimate.

Two periodic chains of ``L`` sites, the system (hopping ``t1``, monitored with
probability ``p1`` per site per cycle) and the ancilla (``t2``, ``p2``), coupled rung by
rung with ``t12``.  A cycle is ``U(1/2)``, projective occupation measurements, ``U(1/2)``
with ``U(t) = exp(-i h t)``.  Source: C. Muzzi, M. Tsitsishvili, G. Chiriaco,
arXiv:2410.06712.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._convert import check_in_range
from opentangle.errors import InvalidParameterError
from opentangle.studies._study import Options, Params, param

__all__ = ["LadderOptions", "LadderParams", "half_step_propagator", "measurement_probabilities", "resources", "title"]


def resources(L: int, cycles: int, trajectories: int) -> Any:
    """Memory and rough time of a ladder run: O(L^2) per trajectory, O(L^3) per cycle (measured on 1 core).

    Calibration (one core of a 2-core AMD EPYC VM, 2026-12-02, whole CLI calls): L = 64 and 128 took
    1.5e-3 and 6e-3 s per cycle and trajectory; the estimate is about 1.4x that (a machine of an earlier
    release took 2.7e-2 s at L = 128, where the previous constants estimated 6.4e-2 and so refused
    ``L = 128, 200 cycles, 100 trajectories``, an 87-s run on two workers, under the 10-minute limit).
    """
    from opentangle._limits import Estimate

    per_cycle = 1e-3 + 4e-9 * float(L) ** 3
    return Estimate(
        f"ladder L={L}, cycles={cycles}, trajectories={trajectories}",
        nbytes=12 * (4.0 * L) ** 2 * 16,
        seconds=float(trajectories) * cycles * per_cycle,
        hint="reduce L, --cycles or --trajectories",
    )


@dataclass(frozen=True)
class LadderParams(Params):
    """Model parameters of the ladder (``trajectories`` sets the statistics, so it is swept like the rest).

    >>> LadderParams(L=8.0).validate().L
    8
    """

    L: int = param(32, "Sites per chain (even, >= 4).")
    t1: float = param(1.0, "System hopping.")
    t2: float = param(1.0, "Ancilla hopping.")
    t12: float = param(0.5, "Inter-chain (rung) hopping.")
    p1: float = param(0.1, "Measurement probability per system site per cycle.")
    p2: float = param(0.1, "Measurement probability per ancilla site per cycle.")
    cycles: int = param(100, "Cycles U(1/2), measure, U(1/2).")
    trajectories: int = param(20, "Number of trajectories.")

    def validate(self) -> LadderParams:
        from opentangle._limits import check_count, check_resources

        L = check_count(self.L, "L", minimum=4)
        if L % 2:
            raise InvalidParameterError(f"L must be even (each chain starts half filled); got {L}")
        c = dataclasses.replace(
            self,
            L=L,
            cycles=check_count(self.cycles, "cycles", minimum=1),
            trajectories=check_count(self.trajectories, "trajectories", minimum=1),
        ).converted()
        c = dataclasses.replace(c, p1=check_in_range(c.p1, "p1", 0.0, 1.0), p2=check_in_range(c.p2, "p2", 0.0, 1.0))
        check_resources(resources(c.L, c.cycles, c.trajectories))
        return c


@dataclass(frozen=True)
class LadderOptions(Options):
    """Algorithm options: the seed of the trajectories and the number of worker processes."""

    seed: int = param(0, "Seed; trajectory i uses SeedSequence(seed, spawn_key=(i,)).")
    workers: int = param(1, "Worker processes (results do not depend on it).")

    def validate(self) -> LadderOptions:
        from opentangle.fermions.trajectories import check_seed

        return dataclasses.replace(self, seed=check_seed(self.seed))


def half_step_propagator(params: LadderParams) -> Any:
    """``exp(-i h / 2)`` of the ladder as a :class:`~opentangle.fermions.CirculantPropagator` (FFT fast path)."""
    from opentangle.fermions import CirculantPropagator, ladder_hopping

    h = ladder_hopping(params.L, t1=params.t1, t2=params.t2, t12=params.t12)
    return CirculantPropagator(h, n_chains=2, dt=0.5)  # FFT fast path, tested against propagator()


def measurement_probabilities(params: LadderParams) -> np.ndarray:
    """Per-site measurement probabilities: ``p1`` on the system chain, then ``p2`` on the ancilla."""
    return np.concatenate([np.full(params.L, params.p1), np.full(params.L, params.p2)])


def title(params: LadderParams) -> str:
    """The heading of the CLI table."""
    return f"ladder L={params.L} t2={params.t2} p2={params.p2} ({params.trajectories} trajectories)"
