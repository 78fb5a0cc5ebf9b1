"""Monitored free-fermion ladder: ancilla noise enhancing system entanglement (Muzzi et al., PRB).

Two periodic chains of ``L`` sites, the system (hopping ``t1``, monitored
with probability ``p1`` per site per cycle) and the ancilla (``t2``, ``p2``),
coupled rung by rung with ``t12``.  A cycle is ``U(1/2)``, projective
occupation measurements, ``U(1/2)`` with ``U(t) = exp(-i h t)``.  Each chain
starts with ``L/2`` fermions on random sites.

The study is :data:`STUDY` (:class:`~opentangle.studies._study.Study`): model parameters
:class:`LadderParams` and algorithm options :class:`LadderOptions` (``seed``, ``workers``)
in :mod:`.model`, the trajectories in :mod:`.solve`, the reproduce figures in :mod:`.figures`.

Source: C. Muzzi, M. Tsitsishvili, G. Chiriaco, arXiv:2410.06712; see docs/ladder.md.

Example
-------
>>> out = evaluate(L=8, cycles=10, trajectories=2, seed=1)
>>> list(out) == list(MEASURES)
True
"""

from __future__ import annotations

from opentangle.studies._study import Study
from opentangle.studies.ladder.figures import FIGURES, LEVELS
from opentangle.studies.ladder.model import LadderOptions, LadderParams, title
from opentangle.studies.ladder.solve import (
    MEASURES,
    LadderResult,
    compute,
    dynamics,
    ladder_dynamics,
    simulate,
    simulate_ladder,
    unitary_check,
)

__all__ = [
    "MEASURES",
    "NAME",
    "PARAMETERS",
    "SEEDED",
    "STUDY",
    "LadderOptions",
    "LadderParams",
    "LadderResult",
    "command",
    "dynamics",
    "evaluate",
    "ladder_dynamics",
    "reproduce",
    "simulate",
    "simulate_ladder",
    "unitary_check",
]

STUDY = Study(
    name="ladder",
    summary="Monitored two-chain free-fermion ladder: system entanglement vs ancilla noise (entropies in bits).",
    params=LadderParams,
    options=LadderOptions,
    measures=MEASURES,
    compute=compute,
    levels=LEVELS,
    figures=FIGURES,
    seeded=True,
    title=title,
)

NAME = STUDY.name
PARAMETERS = STUDY.PARAMETERS
SEEDED = STUDY.seeded
evaluate = STUDY.evaluate


def __getattr__(name: str) -> object:
    # `command = STUDY.command`, built on first use: building it imports typer, which
    # `opentangle <study> ...` (a plain click command) and a sweep do not need (issue 19)
    if name == "command":
        return STUDY.command
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


reproduce = STUDY.reproduce
