"""Entanglement measures.  One convention per measure, stated in its docstring.

All functions accept NumPy arrays or ``qutip.Qobj`` (whose dims are read),
validate the state (a typed error says what is wrong), and return floats, or
arrays for a leading batch axis.  ``dims`` is optional for two equal
subsystems; ``part_a`` names the subsystems of part A (default: first half).
"""

from opentangle.measures.concurrence import concurrence, entanglement_of_formation
from opentangle.measures.criteria import (
    Separability,
    ccnr_norm,
    is_separable,
    realignment,
    reduction_criterion,
    reduction_map,
)
from opentangle.measures.entropy import entanglement_entropy, mutual_information, shannon_entropy, von_neumann_entropy
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
