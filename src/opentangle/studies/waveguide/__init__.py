r"""Driven-dissipative Bell state of two giant atoms in a waveguide (Almanakly et al. 2026).

Two qubits share a waveguide.  Correlated decay makes the singlet dark, a detuned drive pumps
the ground state into a dark superposition of ``|gg>`` and the singlet, and after the drive the
frequency is tuned to :math:`\varphi = \pi` where the waveguide decay vanishes ("freeze").

Modules (in ``opentangle.studies.waveguide``): ``model`` (parameters, operators, the Lindblad
model, the dark state), ``solve`` (steady states, the optimal drive, the experiment's readings),
``freeze`` (the freeze, static and as one time-dependent protocol), ``geometry`` (Kockum's
giant-atom coefficients), ``spectroscopy`` (probe transmission and reflection), ``figures``.

Coherence times: :math:`T_1 = 1/\Gamma'` (waveguide decay switched off) and
:math:`1/T_2 = \Gamma'/2 + \gamma_\phi`, see :func:`rates_from_coherence`.

Example
-------
>>> round(evaluate(omega=1.0, delta=0.5)["singlet_fidelity"], 6)
0.888889
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentangle.errors import InvalidParameterError
from opentangle.studies._study import Options, Params, Study
from opentangle.studies.waveguide.figures import FIGURES, LEVELS, SEED_BELL_FIDELITY, SEED_T2_US
from opentangle.studies.waveguide.freeze import (
    FreezeResult,
    freeze_model,
    freeze_protocol,
    frozen_fidelity,
    frozen_lifetime,
    hold_parameters,
    run_freeze,
)
from opentangle.studies.waveguide.geometry import (
    LAYOUTS,
    GiantAtomCoefficients,
    giant_atom_coefficients,
    layout_positions,
)
from opentangle.studies.waveguide.model import (
    DIMS,
    WaveguideParams,
    build_model,
    dark_state,
    dark_state_fidelity,
    hamiltonian_parts,
    lowering_operators,
    rates_from_coherence,
    readout_flip,
    singlet_state,
)
from opentangle.studies.waveguide.solve import MEASURES as _MEASURES
from opentangle.studies.waveguide.solve import (
    OPTIMUM_KEYS,
    READINGS,
    DriveOptimum,
    WaveguideOptions,
    compute,
    evaluate_batch,
    experiment_readings,
    optimize_drive,
    relaxation_gap,
    state_measures,
)
from opentangle.studies.waveguide.spectroscopy import ProbeSpectrum, probe_spectrum

__all__ = [
    "DIMS",
    "LAYOUTS",
    "MEASURES",
    "NAME",
    "PARAMETERS",
    "READINGS",
    "SEEDED",
    "SEED_BELL_FIDELITY",
    "SEED_T2_US",
    "STUDY",
    "DriveOptimum",
    "FreezeResult",
    "GiantAtomCoefficients",
    "ProbeSpectrum",
    "WaveguideOptions",
    "WaveguideParams",
    "build_model",
    "command",
    "compute",
    "dark_state",
    "dark_state_fidelity",
    "evaluate",
    "evaluate_batch",
    "experiment_readings",
    "freeze_model",
    "freeze_protocol",
    "frozen_fidelity",
    "frozen_lifetime",
    "giant_atom_coefficients",
    "hamiltonian_parts",
    "hold_parameters",
    "layout_positions",
    "lowering_operators",
    "optimize_drive",
    "probe_spectrum",
    "rates_from_coherence",
    "readout_flip",
    "relaxation_gap",
    "reproduce",
    "run_freeze",
    "singlet_state",
    "state_measures",
]


@dataclass(frozen=True, eq=False)
class _WaveguideStudy(Study):
    """A :class:`Study` whose ``--optimize`` point also reports the drive it chose (``OPTIMUM_KEYS``)."""

    def evaluate(self, params: Params | None = None, /, options: Options | None = None, **values: Any) -> dict:
        opts = (
            (options or self.options())
            if params is not None
            else self.options(**{k: v for k, v in values.items() if k in self.options.defaults()})
        )
        if not getattr(opts, "optimize", False):
            return super().evaluate(params, options, **values)
        if params is not None:
            if values:
                raise InvalidParameterError("give a Params object or keywords, not both")
            params, options = params.validate(), opts.validate()
        else:
            params, options = self.split(values)
        out = dict(self.compute(params, options))
        expected = (*self.measures, *OPTIMUM_KEYS)
        if sorted(out) != sorted(expected):
            raise InvalidParameterError(f"study {self.name!r} returned keys {sorted(out)}, not {sorted(expected)}")
        return {k: out[k] for k in expected}


STUDY = _WaveguideStudy(
    name="waveguide",
    summary="Steady-state Bell fidelity of two qubits with correlated decay into a waveguide (Almanakly et al.).",
    params=WaveguideParams,
    options=WaveguideOptions,
    measures=_MEASURES,
    compute=compute,
    levels=LEVELS,
    figures=FIGURES,
    batch=evaluate_batch,
    seeded=False,
    title=lambda params: "waveguide: driven-dissipative Bell state",
)

NAME = STUDY.name
PARAMETERS = STUDY.PARAMETERS
MEASURES = STUDY.MEASURES
SEEDED = STUDY.seeded
evaluate = STUDY.evaluate


def __getattr__(name: str) -> object:
    # `command = STUDY.command`, built on first use: building it imports typer, which
    # `opentangle <study> ...` (a plain click command) and a sweep do not need (issue 19)
    if name == "command":
        return STUDY.command
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


reproduce = STUDY.reproduce
