"""Spin systems: Schwinger-boson atomic ensembles with Fock windows (engine of the ``ensembles`` study) and
permutation-invariant qubit states in the Schur basis (:mod:`opentangle.spins.schur`)."""

from opentangle.spins.dephased import (
    DephasedNegativity,
    dephased_log_negativity,
    fiber_trace_norm_bounds,
    magic_negativity_grid,
    magic_order,
)
from opentangle.spins.fock import (
    FockWindow,
    binomial_amplitudes,
    binomial_log_weights,
    coherent_overlap,
    cos_power,
    fock_window,
    x_coherent_state,
)
from opentangle.spins.mixed import (
    MAX_NEGATIVITY_DIM,
    dephased_state,
    pure_state_matrix,
    sx_outcome_amplitudes,
)
from opentangle.spins.pure import PureEntanglement, entropy_curve, pure_entanglement, schmidt_spectrum, spectrum_entropy
from opentangle.spins.schur import PIState, SchurNegativity, multiplicity, schur_memory_estimate

__all__ = [
    "MAX_NEGATIVITY_DIM",
    "DephasedNegativity",
    "FockWindow",
    "PIState",
    "PureEntanglement",
    "SchurNegativity",
    "binomial_amplitudes",
    "binomial_log_weights",
    "coherent_overlap",
    "cos_power",
    "dephased_log_negativity",
    "dephased_state",
    "entropy_curve",
    "fiber_trace_norm_bounds",
    "fock_window",
    "magic_negativity_grid",
    "magic_order",
    "multiplicity",
    "pure_entanglement",
    "pure_state_matrix",
    "schmidt_spectrum",
    "schur_memory_estimate",
    "spectrum_entropy",
    "sx_outcome_amplitudes",
    "x_coherent_state",
]
