"""Entanglement-preserving local thermalisation (Hsieh, Lostaglio, Acín 2020).

Two parties thermalise their subsystems to ``tau_A`` and ``tau_B`` with local
operations and a *shared* random coin (the protocol ``E_gamma`` of
:mod:`opentangle.channels.eplt`); the output can stay entangled.

Input: the isotropic state ``F Phi+ + (1-F)(1-Phi+)/(d^2-1)``.  Reported:
``entangled`` (negative partial transpose; for d >= 3 ``False`` means PPT),
``output_negativity``, ``output_overlap`` (<Phi+|out|Phi+>),
``fully_entangled_fraction`` and ``marginal_error`` (max entry of
``tr_B out - tau_A`` and ``tr_A out - tau_B``).

The study is :data:`STUDY` (:class:`~opentangle.studies._study.Study`): parameters
:class:`ThermalizeParams` (:mod:`.model`), the computations (:mod:`.solve`) and the
reproduce figures (:mod:`.figures`).

Reference: C.-Y. Hsieh, M. Lostaglio, A. Acín, Phys. Rev. Research 2, 013379
(2020), arXiv:1904.07945.  Conventions: docs/thermalize.md.

Example
-------
>>> evaluate(d=2, tau_a="0.8,0.2", tau_b="0.8,0.2", input_fidelity=0.6)["entangled"]
True
"""

from __future__ import annotations

from opentangle.studies._study import Study
from opentangle.studies.thermalize.figures import FIGURES, LEVELS
from opentangle.studies.thermalize.model import (
    ThermalizeParams,
    gamma_zero_note,
    ladder_thermal_state,
    notes,
    parse_populations,
    title,
)
from opentangle.studies.thermalize.solve import (
    MEASURES,
    BestEPLT,
    EPLTReport,
    best_eplt,
    compute,
    ghz_output_fidelity,
    phi_plus_negativity,
    thermalize,
    threshold_fidelity,
)

__all__ = [
    "MEASURES",
    "NAME",
    "PARAMETERS",
    "SEEDED",
    "STUDY",
    "BestEPLT",
    "EPLTReport",
    "ThermalizeParams",
    "best_eplt",
    "command",
    "evaluate",
    "gamma_zero_note",
    "ghz_output_fidelity",
    "ladder_thermal_state",
    "parse_populations",
    "phi_plus_negativity",
    "reproduce",
    "thermalize",
    "threshold_fidelity",
]

STUDY = Study(
    name="thermalize",
    summary="Entanglement-preserving local thermalisation E_gamma (Hsieh, Lostaglio, Acín 2020).",
    params=ThermalizeParams,
    measures=MEASURES,
    compute=compute,
    levels=LEVELS,
    figures=FIGURES,
    notes=notes,
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
