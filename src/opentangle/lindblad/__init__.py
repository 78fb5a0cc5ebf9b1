"""Lindblad engine: models, named channels, Liouvillians, steady states, dynamics, spectra.

See ``docs/lindblad.md``; the permutation-symmetric large-N solver is
:mod:`opentangle.lindblad.permutation` (``docs/permutation.md``).  Column-stacking convention:
``vec(rho) = rho.reshape(-1, order="F")``.
"""

from __future__ import annotations

from opentangle.lindblad.dynamics import Evolution, Spectrum, evolve, spectrum
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
from opentangle.lindblad.batch import BatchEvolution, affine_liouvillians, evolve_batch
from opentangle.lindblad.timedep import Pulse
from opentangle.lindblad.floquet import PeriodicSteadyState, periodic_steady_state
from opentangle.lindblad.threshold import (
    EntanglementOptimum,
    EntanglementThreshold,
    entanglement_threshold,
    maximize_entanglement,
    min_pt_eigenvalue,
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

__all__ = [
    "Model",
    "Jump",
    "dephasing",
    "amplitude_damping",
    "thermal_jumps",
    "reset",
    "correlated_decay",
    "liouvillian",
    "steady_state",
    "SteadyState",
    "evolve",
    "Evolution",
    "spectrum",
    "Spectrum",
    "steady_state_batch",
    "steady_state_linear",
    "BatchSteadyState",
    "SymmetricHamiltonian",
    "SymmetricSteadyState",
    "symmetric_liouvillian",
    "symmetric_steady_state",
    "spin_squeezing",
    "Pulse",
    "evolve_batch",
    "BatchEvolution",
    "affine_liouvillians",
    "periodic_steady_state",
    "PeriodicSteadyState",
    "entanglement_threshold",
    "EntanglementThreshold",
    "maximize_entanglement",
    "EntanglementOptimum",
    "min_pt_eigenvalue",
]
