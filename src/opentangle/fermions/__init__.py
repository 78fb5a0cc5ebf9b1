"""Gaussian (free-fermion) engine: Slater-determinant trajectories under unitary hopping and monitoring.

States are number-conserving and stored as orbitals ``Phi`` (``M x N``) with
correlation matrix ``D_ij = <c_i^dag c_j> = (conj(Phi) Phi^T)_ij``.  Functions of
a correlation matrix (entropies, mutual information, fermionic negativity)
accept any Gaussian state, pure or mixed.
"""

from opentangle.fermions.correlations import (
    entanglement_entropy,
    fermionic_negativity,
    mutual_information,
    particle_number,
    renyi_entropy,
    validate_correlation,
)
from opentangle.fermions.hamiltonians import CirculantPropagator, chain_hopping, ladder_hopping
from opentangle.fermions.monitored import MonitoredTrajectory, run_monitored
from opentangle.fermions.state import GaussianState, propagator
from opentangle.fermions.trajectories import MeanStderr, mean_stderr, run_trajectories, trajectory_seeds

__all__ = [
    "CirculantPropagator",
    "GaussianState",
    "MeanStderr",
    "MonitoredTrajectory",
    "chain_hopping",
    "entanglement_entropy",
    "fermionic_negativity",
    "ladder_hopping",
    "mean_stderr",
    "mutual_information",
    "particle_number",
    "propagator",
    "renyi_entropy",
    "run_monitored",
    "run_trajectories",
    "trajectory_seeds",
    "validate_correlation",
]
