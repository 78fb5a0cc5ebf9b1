"""Seeded, process-parallel trajectories whose results do not depend on the worker count."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle.errors import InvalidParameterError

__all__ = ["MeanStderr", "check_seed", "mean_stderr", "run_trajectories", "trajectory_seeds"]


def check_seed(seed: Any) -> int:
    """A non-negative integer seed, else :class:`InvalidParameterError`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidParameterError(f"seed must be a non-negative integer; got {seed!r}")
    return int(seed)


def trajectory_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent seed sequences; number ``i`` depends only on ``(seed, i)``."""
    root = np.random.SeedSequence(check_seed(seed))
    return [np.random.SeedSequence(root.entropy, spawn_key=(i,)) for i in range(int(n))]


def run_trajectories(
    func: Callable[..., Any],
    n: int,
    *,
    seed: int,
    workers: int = 1,
    args: Sequence[Any] = (),
) -> list[Any]:
    """``[func(seed_seq_i, *args) for i in range(n)]``, in order, optionally over processes.

    ``func`` must be a picklable top-level function when ``workers > 1``.  The
    seed of trajectory ``i`` is derived from ``(seed, i)`` with
    :class:`numpy.random.SeedSequence`, so results are identical for any
    ``workers``.
    """
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise InvalidParameterError(f"number of trajectories must be a positive integer; got {n!r}")
    if isinstance(workers, bool) or int(workers) != workers or workers < 1:
        raise InvalidParameterError(f"workers must be a positive integer; got {workers!r}")
    seeds = trajectory_seeds(seed, int(n))
    if workers == 1 or n == 1:
        return [func(s, *args) for s in seeds]
    chunk = max(1, math.ceil(n / (4 * workers)))
    with ProcessPoolExecutor(max_workers=int(workers)) as pool:
        return list(pool.map(func, seeds, *[[a] * len(seeds) for a in args], chunksize=chunk))


@dataclass(frozen=True)
class MeanStderr:
    """Mean over trajectories and its standard error ``std(ddof=1)/sqrt(K)`` (NaN for K = 1)."""

    mean: float
    stderr: float
    n: int

    def __repr__(self) -> str:
        return f"{self.mean:.6g} ± {self.stderr:.2g} (K={self.n})"


def mean_stderr(samples: Any) -> MeanStderr:
    """:class:`MeanStderr` of a 1-D array of per-trajectory values."""
    x = np.asarray(samples, dtype=float).reshape(-1)
    if x.size == 0:
        raise InvalidParameterError("mean_stderr needs at least one sample")
    err = float(np.std(x, ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")
    return MeanStderr(float(np.mean(x)), err, int(x.size))
