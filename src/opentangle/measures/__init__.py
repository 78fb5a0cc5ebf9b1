"""Entanglement measures.  One convention per measure, stated in its docstring.

All functions accept NumPy arrays or ``qutip.Qobj`` (whose dims are read),
validate the state (a typed error says what is wrong), and return floats, or
arrays for a leading batch axis.  ``dims`` is optional for two equal
subsystems; ``part_a`` names the subsystems of part A (default: first half).
"""

from opentangle.measures.concurrence import concurrence, entanglement_of_formation
from opentangle.measures.entropy import entanglement_entropy, mutual_information, shannon_entropy, von_neumann_entropy
from opentangle.measures.criteria import (
    Separability,
    ccnr_norm,
    is_separable,
    realignment,
    reduction_criterion,
    reduction_map,
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
from opentangle.measures.gme import (
    GenuineEntanglement,
    SymmetricBlocks,
    WitnessCheck,
    check_decomposable_witness,
    genuine_entanglement,
    genuine_entanglement_value,
    symmetric_blocks,
)
from opentangle.measures.target_fidelity import bell_fidelities, bell_fidelity, ghz_fidelity, is_gme_by_ghz_witness
from opentangle.measures.fully_entangled_fraction import FullyEntangledFraction, fully_entangled_fraction
from opentangle.measures.multipartite import average_negativity, bipartitions, is_permutation_symmetric
from opentangle.measures.negativity import is_ppt, log_negativity, negativity, partial_transpose_spectrum

__all__ = [
    "negativity",
    "log_negativity",
    "is_ppt",
    "partial_transpose_spectrum",
    "concurrence",
    "entanglement_of_formation",
    "von_neumann_entropy",
    "shannon_entropy",
    "entanglement_entropy",
    "mutual_information",
    "bell_fidelity",
    "bell_fidelities",
    "fully_entangled_fraction",
    "FullyEntangledFraction",
    "average_negativity",
    "bipartitions",
    "is_permutation_symmetric",
    "ghz_fidelity",
    "is_gme_by_ghz_witness",
    "genuine_entanglement",
    "genuine_entanglement_value",
    "GenuineEntanglement",
    "WitnessCheck",
    "SymmetricBlocks",
    "symmetric_blocks",
    "check_decomposable_witness",
    "realignment",
    "ccnr_norm",
    "reduction_map",
    "reduction_criterion",
    "is_separable",
    "Separability",
    "fidelity",
    "trace_distance",
    "bures_distance",
    "purity",
    "relative_entropy",
    "renyi_entropy",
    "tsallis_entropy",
    "linear_entropy",
    "conditional_entropy",
    "coherent_information",
    "schmidt_decomposition",
    "schmidt_rank",
    "SchmidtDecomposition",
    "entangling_power",
]
