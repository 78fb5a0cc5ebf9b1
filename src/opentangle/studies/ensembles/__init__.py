"""Entanglement of two atomic ensembles after H = n1 n2 (Li et al. 2026), Fock-window engine.

Two ensembles of N atoms, each prepared in an x-polarised spin coherent state,
interact through ``H = n^a_1 n^a_2`` for a time t, with optional collective
dephasing gamma (exact solution).  Reported: ``entropy`` (bits, pure states only),
``log_negativity`` (``null`` when not computed: gamma > 0 and the window is too
large, see :data:`opentangle.spins.MAX_NEGATIVITY_DIM`), ``window`` (Fock states
kept per ensemble) and ``discarded_weight`` (binomial weight outside the window).
The M = 3 repeater (with dephasing and the fidelity to the target) is
:func:`opentangle.studies.ensembles.repeater.repeater_m3`.

Reference: S. Li et al., arXiv:2603.06085 (2026); T. Byrnes, PRA 88, 023609
(2013).  Conventions: docs/ensembles.md.
"""

from __future__ import annotations

from opentangle.spins import pure_entanglement
from opentangle.studies._study import Levels, Study
from opentangle.studies.ensembles.figures import (
    fig_crevasse,
    fig_dephased_magic,
    fig_lognegativity,
    fig_magic,
    fig_noise_tolerance,
    fig_repeater,
    fig_repeater_fidelity,
)
from opentangle.studies.ensembles.model import (
    WINDOW_TOL,
    WINDOW_TOL_MIXED,
    EnsemblesParams,
    generic_times,
    magic_times,
)
from opentangle.studies.ensembles.repeater import RepeaterResult, RepeaterStates, repeater_m3, repeater_states
from opentangle.studies.ensembles.solve import (
    MEASURES,
    brute_entropy,
    compute,
    decimal_entropy,
    noise_tolerance,
    notes,
    title,
)

__all__ = [
    "MEASURES",
    "NAME",
    "PARAMETERS",
    "SEEDED",
    "STUDY",
    "WINDOW_TOL",
    "WINDOW_TOL_MIXED",
    "EnsemblesParams",
    "RepeaterResult",
    "RepeaterStates",
    "brute_entropy",
    "command",
    "compute",
    "decimal_entropy",
    "evaluate",
    "generic_times",
    "magic_times",
    "noise_tolerance",
    "pure_entanglement",
    "repeater_m3",
    "repeater_states",
    "reproduce",
]

# nt_big: generic times of the N = 10^6 curve (400 at full; one generic time costs about
# 0.4-1 s of one core, so default keeps 100 to stay near the 100 s budget on 2 cores).
# dm_N: the N of the dephased magic-time figure (dense to N ~ 100, the fiber bracket beyond, 1-4 s a point).
LEVELS = Levels(
    quick={
        "nt_small": 241,
        "nt_big": 4,
        "nt_ln": 25,
        "tol_N": (8, 16, 24),
        "rep_N": (20,),
        "hp_N": 0,
        "dense_check": False,
        "rep_gammas": (0.0, 1e-3, 1e-2, 0.1),
        "rep_dephased_N": (3, 8),
        "rep_big_N": (20, 1000, 10**5),
        "dm_N": (8, 16, 10**4),
        "dm_gammas": (0.0, 1e-2, 0.1),
        "dm_L": (2, 3),
        "dm_cross_N": 40,
    },
    default={
        "nt_small": 401,
        "nt_big": 100,
        "nt_ln": 41,
        "tol_N": (8, 16, 24),
        "rep_N": (20, 200),
        "hp_N": 200,
        "dense_check": False,
        "rep_gammas": (0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        "rep_dephased_N": (3, 8, 20),
        "rep_big_N": (20, 200, 10**4, 10**6),
        "dm_N": (8, 16, 32, 10**4, 10**6),
        "dm_gammas": (0.0, 1e-3, 1e-2, 3e-2, 0.1),
        "dm_L": (2, 3),
        "dm_cross_N": 64,
    },
    full={
        "nt_small": 2001,
        "nt_big": 400,
        "nt_ln": 121,
        "tol_N": (8, 16, 24, 32, 40),
        "rep_N": (20, 200, 1000),
        "hp_N": 200,
        "dense_check": True,
        "rep_gammas": (0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        "rep_dephased_N": (3, 8, 20, 40),
        "rep_big_N": (20, 200, 10**4, 10**5, 10**6),
        "dm_N": (8, 16, 32, 64, 100, 10**3, 10**4, 10**5, 10**6),
        "dm_gammas": (0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1),
        "dm_L": (2, 3),
        "dm_cross_N": 100,
    },
)

STUDY = Study(
    name="ensembles",
    summary="Entanglement of two atomic ensembles after H = n1 n2 (Li et al. 2026), Fock-window engine.",
    params=EnsemblesParams,
    measures=MEASURES,
    compute=compute,
    levels=LEVELS,
    figures=(
        fig_crevasse,
        fig_magic,
        fig_lognegativity,
        fig_repeater,
        fig_repeater_fidelity,
        fig_noise_tolerance,
        fig_dephased_magic,
    ),
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
_decimal_entropy = decimal_entropy
_brute_entropy = brute_entropy
