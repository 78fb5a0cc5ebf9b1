"""Lindblad engine: models, named channels, Liouvillians, steady states, dynamics, spectra.

See ``docs/lindblad.md``; the permutation-symmetric large-N solver is
:mod:`opentangle.lindblad.permutation` (``docs/permutation.md``).  Column-stacking convention:
``vec(rho) = rho.reshape(-1, order="F")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentangle._lazy import lazy_names

if TYPE_CHECKING:  # pragma: no cover - the eager imports, for type checkers only
    from opentangle.lindblad._schur_steady import SchurSteadyState, schur_steady_state
    from opentangle.lindblad.batch import BatchEvolution, affine_liouvillians, evolve_batch
    from opentangle.lindblad.dynamics import Evolution, SpectralGap, Spectrum, evolve, spectral_gap, spectrum
    from opentangle.lindblad.floquet import PeriodicSteadyState, periodic_steady_state
    from opentangle.lindblad.model import (
        Jump,
        Model,
        amplitude_damping,
        correlated_decay,
        dephasing,
        liouvillian,
        reset,
        thermal_jumps,
    )
    from opentangle.lindblad.permutation import (
        SymmetricHamiltonian,
        SymmetricSteadyState,
        spin_squeezing,
        symmetric_liouvillian,
        symmetric_steady_state,
    )
    from opentangle.lindblad.steady import (
        BatchSteadyState,
        SteadyState,
        steady_state,
        steady_state_batch,
        steady_state_linear,
    )
    from opentangle.lindblad.threshold import (
        EntanglementOptimum,
        EntanglementThreshold,
        entanglement_threshold,
        maximize_entanglement,
        min_pt_eigenvalue,
    )
    from opentangle.lindblad.timedep import Pulse

#: public name -> defining module; imported on first access (PEP 562), so that
#: ``from opentangle.lindblad import steady_state`` does not import dynamics, Floquet,
#: thresholds and the permutation solver (CLI start-up, issue 19)
_LAZY = {
    "Evolution": "opentangle.lindblad.dynamics",
    "Spectrum": "opentangle.lindblad.dynamics",
    "SpectralGap": "opentangle.lindblad.dynamics",
    "spectral_gap": "opentangle.lindblad.dynamics",
    "evolve": "opentangle.lindblad.dynamics",
    "spectrum": "opentangle.lindblad.dynamics",
    "Jump": "opentangle.lindblad.model",
    "Model": "opentangle.lindblad.model",
    "amplitude_damping": "opentangle.lindblad.model",
    "correlated_decay": "opentangle.lindblad.model",
    "dephasing": "opentangle.lindblad.model",
    "liouvillian": "opentangle.lindblad.model",
    "reset": "opentangle.lindblad.model",
    "thermal_jumps": "opentangle.lindblad.model",
    "BatchEvolution": "opentangle.lindblad.batch",
    "affine_liouvillians": "opentangle.lindblad.batch",
    "evolve_batch": "opentangle.lindblad.batch",
    "Pulse": "opentangle.lindblad.timedep",
    "PeriodicSteadyState": "opentangle.lindblad.floquet",
    "periodic_steady_state": "opentangle.lindblad.floquet",
    "EntanglementOptimum": "opentangle.lindblad.threshold",
    "EntanglementThreshold": "opentangle.lindblad.threshold",
    "entanglement_threshold": "opentangle.lindblad.threshold",
    "maximize_entanglement": "opentangle.lindblad.threshold",
    "min_pt_eigenvalue": "opentangle.lindblad.threshold",
    "SchurSteadyState": "opentangle.lindblad._schur_steady",
    "schur_steady_state": "opentangle.lindblad._schur_steady",
    "SymmetricHamiltonian": "opentangle.lindblad.permutation",
    "SymmetricSteadyState": "opentangle.lindblad.permutation",
    "spin_squeezing": "opentangle.lindblad.permutation",
    "symmetric_liouvillian": "opentangle.lindblad.permutation",
    "symmetric_steady_state": "opentangle.lindblad.permutation",
    "BatchSteadyState": "opentangle.lindblad.steady",
    "SteadyState": "opentangle.lindblad.steady",
    "steady_state": "opentangle.lindblad.steady",
    "steady_state_batch": "opentangle.lindblad.steady",
    "steady_state_linear": "opentangle.lindblad.steady",
}

__all__ = [
    "BatchEvolution",
    "BatchSteadyState",
    "EntanglementOptimum",
    "EntanglementThreshold",
    "Evolution",
    "Jump",
    "Model",
    "PeriodicSteadyState",
    "Pulse",
    "SchurSteadyState",
    "SpectralGap",
    "Spectrum",
    "SteadyState",
    "SymmetricHamiltonian",
    "SymmetricSteadyState",
    "affine_liouvillians",
    "amplitude_damping",
    "correlated_decay",
    "dephasing",
    "entanglement_threshold",
    "evolve",
    "evolve_batch",
    "liouvillian",
    "maximize_entanglement",
    "min_pt_eigenvalue",
    "periodic_steady_state",
    "reset",
    "schur_steady_state",
    "spectral_gap",
    "spectrum",
    "spin_squeezing",
    "steady_state",
    "steady_state_batch",
    "steady_state_linear",
    "symmetric_liouvillian",
    "symmetric_steady_state",
    "thermal_jumps",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__, globals())
