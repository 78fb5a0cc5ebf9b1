"""The computations of the ladder study: monitored trajectories, their statistics, the exactness check.

Each chain starts with ``L/2`` fermions on random sites; trajectory ``i`` is seeded by
``SeedSequence(seed, spawn_key=(i,))``, so results do not depend on the number of workers
and two runs that differ only in ``p2`` are paired.  Source: C. Muzzi, M. Tsitsishvili,
G. Chiriaco, arXiv:2410.06712; see docs/ladder.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opentangle.fermions import (
    CirculantPropagator,
    GaussianState,
    fermionic_negativity,
    ladder_hopping,
    mean_stderr,
    run_monitored,
    run_trajectories,
)
from opentangle.fermions.correlations import binary_entropy
from opentangle.studies.ladder.model import (
    LadderOptions,
    LadderParams,
    half_step_propagator,
    measurement_probabilities,
)

__all__ = [
    "MEASURES",
    "OBSERVABLES",
    "LadderResult",
    "compute",
    "dynamics",
    "ladder_dynamics",
    "simulate",
    "simulate_ladder",
    "unitary_check",
]

MEASURES: tuple[str, ...] = (
    "system_entropy",
    "system_entropy_err",
    "interchain_entropy",
    "interchain_entropy_err",
    "system_mutual_information",
    "system_mutual_information_err",
)

#: the observables behind :data:`MEASURES` (each reported with its standard error ``<name>_err``)
OBSERVABLES: tuple[str, ...] = ("system_entropy", "interchain_entropy", "system_mutual_information")


@dataclass
class LadderResult:
    """Trajectory statistics of one ladder parameter point.

    ``samples[name]`` holds the per-trajectory time averages (last half of the
    cycles); ``mean``/``stderr`` are over trajectories.  ``max_drift`` is the
    largest departure from purity seen before re-purification.
    """

    params: dict[str, Any]
    samples: dict[str, np.ndarray]
    mean: dict[str, float]
    stderr: dict[str, float]
    max_drift: float
    n_repurified: int
    measurements_per_cycle: float
    seconds: float = field(default=float("nan"), compare=False)

    def measures(self) -> dict[str, float]:
        """The ``--json`` dictionary (keys :data:`MEASURES`)."""
        out: dict[str, float] = {}
        for name in OBSERVABLES:
            out[name] = self.mean[name]
            out[name + "_err"] = self.stderr[name]
        return out

    def summary(self) -> str:
        lines = [f"ladder {self.params}"]
        for name in self.mean:
            lines.append(f"  {name:28s} {self.mean[name]:.5g} ± {self.stderr[name]:.2g}")
        lines.append(f"  max drift {self.max_drift:.1e}, repurified {self.n_repurified}x, {self.seconds:.2f} s")
        return "\n".join(lines)

    def __repr__(self) -> str:
        m = ", ".join(f"{k}={self.mean[k]:.4g}±{self.stderr[k]:.1g}" for k in self.mean)
        return f"LadderResult({m}, K={len(next(iter(self.samples.values())))}, max_drift={self.max_drift:.1e})"


# ----------------------------------------------------------------------------- one trajectory
def _initial_state(rng: np.random.Generator, L: int) -> GaussianState:
    occ = np.zeros(2 * L, dtype=int)
    occ[rng.choice(L, L // 2, replace=False)] = 1
    occ[L + rng.choice(L, L // 2, replace=False)] = 1
    return GaussianState.from_occupations(occ.tolist())


def _observer(L: int, negativity: bool) -> Callable[[GaussianState], dict[str, float]]:
    half_a, half_b, system = slice(0, L // 2), slice(L // 2, L), slice(0, L)

    def observe(s: GaussianState) -> dict[str, float]:
        sa = float(np.sum(binary_entropy(s._spectrum(half_a))))
        sb = float(np.sum(binary_entropy(s._spectrum(half_b))))
        sab = float(np.sum(binary_entropy(s._spectrum(system))))
        out = {"system_entropy": sa, "interchain_entropy": sab, "system_mutual_information": sa + sb - sab}
        if negativity:
            d = s.correlation_matrix(range(L))
            out["system_negativity"] = fermionic_negativity(d, range(L // 2), range(L // 2, L))
        return out

    return observe


def _trajectory(seedseq: np.random.SeedSequence, config: tuple) -> dict[str, Any]:
    """One trajectory; returns time averages of the observables (top level so it pickles)."""
    L, half_step, probs, cycles, negativity = config
    rng = np.random.default_rng(seedseq)
    traj = run_monitored(
        _initial_state(rng, L),
        probabilities=probs,
        cycles=cycles,
        rng=rng,
        half_step=half_step,
        record_from=cycles // 2,
        observe=_observer(L, negativity),
    )
    avg = traj.time_average()
    avg["_drift"] = traj.max_drift
    avg["_repurified"] = traj.n_repurified
    avg["_measurements"] = traj.n_measurements / cycles
    return avg


def _trajectory_series(seedseq: np.random.SeedSequence, config: tuple) -> dict[str, np.ndarray]:
    """One trajectory recorded at the end of every cycle (same seeding and draws as :func:`_trajectory`)."""
    L, half_step, probs, cycles, negativity = config
    rng = np.random.default_rng(seedseq)
    traj = run_monitored(
        _initial_state(rng, L),
        probabilities=probs,
        cycles=cycles,
        rng=rng,
        half_step=half_step,
        record_from=0,
        observe=_observer(L, negativity),
    )
    return {k: np.asarray(v, dtype=float) for k, v in traj.observables.items()}


def _config(params: LadderParams, negativity: bool) -> tuple:
    return (params.L, half_step_propagator(params), measurement_probabilities(params), params.cycles, bool(negativity))


# ----------------------------------------------------------------------------- many trajectories
def simulate(params: LadderParams, options: LadderOptions | None = None, *, negativity: bool = False) -> LadderResult:
    """Run ``params.trajectories`` monitored trajectories and average the last half of the cycles.

    Observables at the end of each averaged cycle: ``system_entropy`` (half of
    the system chain vs everything else), ``interchain_entropy`` (the whole
    system chain vs the ancilla), ``system_mutual_information`` between the
    two halves of the system chain and, with ``negativity=True``, the
    fermionic log negativity between those halves of each trajectory's
    (mixed) system state, ``system_negativity``.

    >>> r = simulate(LadderParams(L=8, cycles=10, trajectories=2), LadderOptions(seed=1))
    >>> sorted(r.mean) == sorted(OBSERVABLES)
    True
    """
    params, options = params.validate(), (options or LadderOptions()).validate()
    t0 = time.perf_counter()
    rows = run_trajectories(
        _trajectory,
        params.trajectories,
        seed=options.seed,
        workers=options.workers,
        args=(_config(params, negativity),),
    )
    names = [k for k in rows[0] if not k.startswith("_")]
    samples = {k: np.array([r[k] for r in rows]) for k in names}
    stats = {k: mean_stderr(v) for k, v in samples.items()}
    return LadderResult(
        params={**params.as_dict(), "seed": options.seed},
        samples=samples,
        mean={k: s.mean for k, s in stats.items()},
        stderr={k: s.stderr for k, s in stats.items()},
        max_drift=float(max(r["_drift"] for r in rows)),
        n_repurified=int(sum(r["_repurified"] for r in rows)),
        measurements_per_cycle=float(np.mean([r["_measurements"] for r in rows])),
        seconds=time.perf_counter() - t0,
    )


def simulate_ladder(
    *,
    L: int,
    t1: float,
    t2: float,
    t12: float,
    p1: float,
    p2: float,
    cycles: int,
    trajectories: int,
    seed: int,
    workers: int = 1,
    negativity: bool = False,
) -> LadderResult:
    """:func:`simulate` from keywords; trajectory ``i`` is seeded by ``(seed, i)``: results do not depend on ``workers``.

    Example
    -------
    >>> r = simulate_ladder(L=8, t1=1, t2=1, t12=0.5, p1=0.1, p2=0.2, cycles=20, trajectories=4, seed=1)
    >>> sorted(r.mean)[:2]
    ['interchain_entropy', 'system_entropy']
    """
    params = LadderParams(L=L, t1=t1, t2=t2, t12=t12, p1=p1, p2=p2, cycles=cycles, trajectories=trajectories)
    return simulate(params, LadderOptions(seed=seed, workers=workers), negativity=negativity)


def dynamics(
    params: LadderParams, options: LadderOptions | None = None, *, negativity: bool = True
) -> dict[str, np.ndarray]:
    """Per-cycle trajectory means of the observables (cycle 1..cycles), and ``<name>_samples`` (trajectory, cycle).

    Trajectory ``i`` uses the seed ``(seed, i)`` as in :func:`simulate`, so two calls that
    differ only in ``p2`` are paired (the random stream does not depend on ``p``).
    """
    params, options = params.validate(), (options or LadderOptions()).validate()
    rows = run_trajectories(
        _trajectory_series,
        params.trajectories,
        seed=options.seed,
        workers=options.workers,
        args=(_config(params, negativity),),
    )
    out: dict[str, np.ndarray] = {"cycle": np.arange(1, params.cycles + 1)}
    for k in rows[0]:
        stack = np.stack([r[k] for r in rows])
        out[k] = stack.mean(axis=0)
        out[k + "_samples"] = stack
    return out


def ladder_dynamics(
    *,
    L: int,
    t1: float,
    t2: float,
    t12: float,
    p1: float,
    p2: float,
    cycles: int,
    trajectories: int,
    seed: int,
    negativity: bool = True,
    workers: int = 1,
) -> dict[str, np.ndarray]:
    """:func:`dynamics` from keywords (the same seeding as :func:`simulate_ladder`)."""
    params = LadderParams(L=L, t1=t1, t2=t2, t12=t12, p1=p1, p2=p2, cycles=cycles, trajectories=trajectories)
    return dynamics(params, LadderOptions(seed=seed, workers=workers), negativity=negativity)


def compute(params: LadderParams, options: LadderOptions) -> dict[str, float]:
    """One parameter point; the ``--json`` dictionary (see :data:`MEASURES`)."""
    return simulate(params, options).measures()


# ----------------------------------------------------------------------------- exactness check
def unitary_check(L: int = 8, cycles: int = 20) -> float:
    """Max deviation of the unmonitored ladder from exact evolution, through the code path of the study.

    The trajectory uses ``ladder_hopping`` and the FFT :class:`CirculantPropagator` (forced, whatever
    ``L``) inside :func:`run_monitored`, recording every cycle so both half and merged steps run; the
    reference is ``conj(U) D0 U^T`` with ``U = exp(-i h cycles)`` and ``h`` written bond by bond here.

    >>> unitary_check(L=6, cycles=9) < 1e-10
    True
    """
    t1, t2, t12 = 1.0, 2.0, 0.5
    h_ref = np.zeros((2 * L, 2 * L))
    for j in range(L):
        k = (j + 1) % L
        h_ref[j, k] = h_ref[k, j] = t1
        h_ref[L + j, L + k] = h_ref[L + k, L + j] = t2
        h_ref[j, L + j] = h_ref[L + j, j] = t12
    half_step = CirculantPropagator(ladder_hopping(L, t1=t1, t2=t2, t12=t12), n_chains=2, dt=0.5, method="fft")
    state = GaussianState.from_occupations([1, 0] * L)
    d0 = state.correlation_matrix()
    run_monitored(
        state,
        probabilities=0.0,
        cycles=cycles,
        rng=np.random.default_rng(0),
        half_step=half_step,
        record_from=cycles // 2,
        observe=lambda s: {},
    )
    w, v = np.linalg.eigh(h_ref)
    u = (v * np.exp(-1j * w * cycles)) @ v.conj().T
    return float(np.abs(state.correlation_matrix() - u.conj() @ d0 @ u.T).max())
