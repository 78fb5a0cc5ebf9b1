"""Spin systems: Schwinger-boson atomic ensembles with Fock windows (engine of the ``ensembles`` study) and
permutation-invariant qubit states in the Schur basis (:mod:`opentangle.spins.schur`)."""

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
    dephased_log_negativity,
    dephased_state,
    pure_state_matrix,
    sx_outcome_amplitudes,
)
from opentangle.spins.schur import PIState, SchurNegativity, multiplicity, schur_memory_estimate
from opentangle.spins.pure import PureEntanglement, entropy_curve, pure_entanglement, schmidt_spectrum, spectrum_entropy

__all__ = [
    "FockWindow",
    "binomial_amplitudes",
    "binomial_log_weights",
    "coherent_overlap",
    "cos_power",
    "fock_window",
    "x_coherent_state",
    "MAX_NEGATIVITY_DIM",
    "dephased_log_negativity",
    "dephased_state",
    "pure_state_matrix",
    "sx_outcome_amplitudes",
    "PureEntanglement",
    "entropy_curve",
    "pure_entanglement",
    "schmidt_spectrum",
    "spectrum_entropy",
    "PIState",
    "SchurNegativity",
    "multiplicity",
    "schur_memory_estimate",
]
