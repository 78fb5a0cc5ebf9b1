"""Entanglement measures.  One convention per measure, stated in its docstring.

All functions accept NumPy arrays or ``qutip.Qobj`` (whose dims are read),
validate the state (a typed error says what is wrong), and return floats, or
arrays for a leading batch axis.  ``dims`` is optional for two equal
subsystems; ``part_a`` names the subsystems of part A (default: first half).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentangle._lazy import lazy_names

if TYPE_CHECKING:  # pragma: no cover - the eager imports, for type checkers only
    from opentangle.measures.concurrence import concurrence, entanglement_of_formation
    from opentangle.measures.criteria import (
        Separability,
        ccnr_norm,
        is_separable,
        realignment,
        reduction_criterion,
        reduction_map,
    )
    from opentangle.measures.entropy import (
        entanglement_entropy,
        mutual_information,
        shannon_entropy,
        von_neumann_entropy,
    )
    from opentangle.measures.fully_entangled_fraction import (
        FullyEntangledFraction,
        fully_entangled_fraction,
        fully_entangled_fraction_optimum,
    )
    from opentangle.measures.gme import (
        GenuineEntanglement,
        SymmetricBlocks,
        WitnessCheck,
        check_decomposable_witness,
        genuine_entanglement,
        genuine_entanglement_value,
        symmetric_blocks,
    )
    from opentangle.measures.information import (
        SchmidtDecomposition,
        bures_distance,
        coherent_information,
        conditional_entropy,
        entangling_power,
        fidelity,
        linear_entropy,
        purity,
        relative_entropy,
        renyi_entropy,
        schmidt_decomposition,
        schmidt_rank,
        trace_distance,
        tsallis_entropy,
    )
    from opentangle.measures.multipartite import average_negativity, bipartitions, is_permutation_symmetric
    from opentangle.measures.negativity import is_ppt, log_negativity, negativity, partial_transpose_spectrum
    from opentangle.measures.target_fidelity import bell_fidelities, bell_fidelity, ghz_fidelity, is_gme_by_ghz_witness

# Importing a submodule binds its name on this package, which would hide a function of the same
# name from __getattr__: those three (light) modules are imported here, their functions bound over them.
from opentangle.measures.concurrence import concurrence
from opentangle.measures.fully_entangled_fraction import fully_entangled_fraction
from opentangle.measures.negativity import negativity

#: public name -> defining module; imported on first access (PEP 562), so that
#: importing one measure does not import the SDP witnesses, information measures and the rest (issue 19)
_LAZY = {
    "FullyEntangledFraction": "opentangle.measures.fully_entangled_fraction",
    "GenuineEntanglement": "opentangle.measures.gme",
    "SchmidtDecomposition": "opentangle.measures.information",
    "Separability": "opentangle.measures.criteria",
    "SymmetricBlocks": "opentangle.measures.gme",
    "WitnessCheck": "opentangle.measures.gme",
    "average_negativity": "opentangle.measures.multipartite",
    "bell_fidelities": "opentangle.measures.target_fidelity",
    "bell_fidelity": "opentangle.measures.target_fidelity",
    "bipartitions": "opentangle.measures.multipartite",
    "bures_distance": "opentangle.measures.information",
    "ccnr_norm": "opentangle.measures.criteria",
    "check_decomposable_witness": "opentangle.measures.gme",
    "coherent_information": "opentangle.measures.information",
    "concurrence": "opentangle.measures.concurrence",
    "conditional_entropy": "opentangle.measures.information",
    "entanglement_entropy": "opentangle.measures.entropy",
    "entanglement_of_formation": "opentangle.measures.concurrence",
    "entangling_power": "opentangle.measures.information",
    "fidelity": "opentangle.measures.information",
    "fully_entangled_fraction": "opentangle.measures.fully_entangled_fraction",
    "fully_entangled_fraction_optimum": "opentangle.measures.fully_entangled_fraction",
    "genuine_entanglement": "opentangle.measures.gme",
    "genuine_entanglement_value": "opentangle.measures.gme",
    "ghz_fidelity": "opentangle.measures.target_fidelity",
    "is_gme_by_ghz_witness": "opentangle.measures.target_fidelity",
    "is_permutation_symmetric": "opentangle.measures.multipartite",
    "is_ppt": "opentangle.measures.negativity",
    "is_separable": "opentangle.measures.criteria",
    "linear_entropy": "opentangle.measures.information",
    "log_negativity": "opentangle.measures.negativity",
    "mutual_information": "opentangle.measures.entropy",
    "negativity": "opentangle.measures.negativity",
    "partial_transpose_spectrum": "opentangle.measures.negativity",
    "purity": "opentangle.measures.information",
    "realignment": "opentangle.measures.criteria",
    "reduction_criterion": "opentangle.measures.criteria",
    "reduction_map": "opentangle.measures.criteria",
    "relative_entropy": "opentangle.measures.information",
    "renyi_entropy": "opentangle.measures.information",
    "schmidt_decomposition": "opentangle.measures.information",
    "schmidt_rank": "opentangle.measures.information",
    "shannon_entropy": "opentangle.measures.entropy",
    "symmetric_blocks": "opentangle.measures.gme",
    "trace_distance": "opentangle.measures.information",
    "tsallis_entropy": "opentangle.measures.information",
    "von_neumann_entropy": "opentangle.measures.entropy",
}

__all__ = [
    "FullyEntangledFraction",
    "GenuineEntanglement",
    "SchmidtDecomposition",
    "Separability",
    "SymmetricBlocks",
    "WitnessCheck",
    "average_negativity",
    "bell_fidelities",
    "bell_fidelity",
    "bipartitions",
    "bures_distance",
    "ccnr_norm",
    "check_decomposable_witness",
    "coherent_information",
    "concurrence",
    "conditional_entropy",
    "entanglement_entropy",
    "entanglement_of_formation",
    "entangling_power",
    "fidelity",
    "fully_entangled_fraction",
    "fully_entangled_fraction_optimum",
    "genuine_entanglement",
    "genuine_entanglement_value",
    "ghz_fidelity",
    "is_gme_by_ghz_witness",
    "is_permutation_symmetric",
    "is_ppt",
    "is_separable",
    "linear_entropy",
    "log_negativity",
    "mutual_information",
    "negativity",
    "partial_transpose_spectrum",
    "purity",
    "realignment",
    "reduction_criterion",
    "reduction_map",
    "relative_entropy",
    "renyi_entropy",
    "schmidt_decomposition",
    "schmidt_rank",
    "shannon_entropy",
    "symmetric_blocks",
    "trace_distance",
    "tsallis_entropy",
    "von_neumann_entropy",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__, globals())
