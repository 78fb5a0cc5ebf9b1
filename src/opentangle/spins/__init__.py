"""Spin systems: Schwinger-boson atomic ensembles with Fock windows (engine of the ``ensembles`` study) and
permutation-invariant qubit states in the Schur basis (:mod:`opentangle.spins.schur`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentangle._lazy import lazy_names

if TYPE_CHECKING:  # pragma: no cover - the eager imports, for type checkers only
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
    from opentangle.spins.pure import (
        PureEntanglement,
        entropy_curve,
        pure_entanglement,
        schmidt_spectrum,
        spectrum_entropy,
    )
    from opentangle.spins.schur import PIState, SchurNegativity, multiplicity, negativity_seconds, schur_memory_estimate

#: public name -> defining module; imported on first access (PEP 562), so that
#: importing the Schur basis does not import the ensembles engine (issue 19)
_LAZY = {
    "DephasedNegativity": "opentangle.spins.dephased",
    "FockWindow": "opentangle.spins.fock",
    "MAX_NEGATIVITY_DIM": "opentangle.spins.mixed",
    "PIState": "opentangle.spins.schur",
    "PureEntanglement": "opentangle.spins.pure",
    "SchurNegativity": "opentangle.spins.schur",
    "binomial_amplitudes": "opentangle.spins.fock",
    "binomial_log_weights": "opentangle.spins.fock",
    "coherent_overlap": "opentangle.spins.fock",
    "cos_power": "opentangle.spins.fock",
    "dephased_log_negativity": "opentangle.spins.dephased",
    "dephased_state": "opentangle.spins.mixed",
    "entropy_curve": "opentangle.spins.pure",
    "fiber_trace_norm_bounds": "opentangle.spins.dephased",
    "fock_window": "opentangle.spins.fock",
    "magic_negativity_grid": "opentangle.spins.dephased",
    "magic_order": "opentangle.spins.dephased",
    "multiplicity": "opentangle.spins.schur",
    "negativity_seconds": "opentangle.spins.schur",
    "pure_entanglement": "opentangle.spins.pure",
    "pure_state_matrix": "opentangle.spins.mixed",
    "schmidt_spectrum": "opentangle.spins.pure",
    "schur_memory_estimate": "opentangle.spins.schur",
    "spectrum_entropy": "opentangle.spins.pure",
    "sx_outcome_amplitudes": "opentangle.spins.mixed",
    "x_coherent_state": "opentangle.spins.fock",
}

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
    "negativity_seconds",
    "pure_entanglement",
    "pure_state_matrix",
    "schmidt_spectrum",
    "schur_memory_estimate",
    "spectrum_entropy",
    "sx_outcome_amplitudes",
    "x_coherent_state",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__, globals())
