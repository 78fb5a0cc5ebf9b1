"""Two-qubit autonomous thermal machine: entanglement from a temperature gradient alone.

Brask, Haack, Brunner, Huber, "Autonomous quantum thermal machine for generating
steady-state entanglement", New J. Phys. 17, 113029 (2015).  Two resonant qubits
(energy E) exchange excitations (coupling g); qubit 1 touches a cold bath (temperature
t_c), qubit 2 a hot one (t_h), each with rate p, in the local master equation

    H = E (s1+ s1- + s2+ s2-) + g (s1+ s2- + s1- s2+)
    L_k = p [ r_k D[s_k+] + (1 - r_k) D[s_k-] ],   r_k = 1 / (exp(E / t_k) + 1)

The steady state is entangled only when the temperatures differ (at t_c = t_h it is the
product Gibbs state, which commutes with H).  This file is a complete opentangle study:
``opentangle sweep docs/examples/thermal_machine.py -p t_h=0.1:1000:41:log --out m.nc``.
"""

import math

import numpy as np

from opentangle.lindblad import Jump, Model, steady_state
from opentangle.measures import concurrence, negativity
from opentangle.operators import embed, sigma_minus, sigma_plus

PARAMETERS = {"t_c": 0.1, "t_h": 10.0, "g": 0.05, "p": 0.05, "E": 1.0}
MEASURES = ("concurrence", "negativity", "excitations")


def excited_population(E, t):
    """Fermi-Dirac population r = 1/(exp(E/t) + 1) of a qubit in a bath at temperature t."""
    return 0.0 if t == 0 else 1.0 / (math.exp(E / t) + 1.0)


def model(*, t_c, t_h, g, p, E):
    dims = [2, 2]
    up = [embed(sigma_plus(), k, dims) for k in (0, 1)]
    down = [embed(sigma_minus(), k, dims) for k in (0, 1)]
    H = E * (up[0] @ down[0] + up[1] @ down[1]) + g * (up[0] @ down[1] + down[0] @ up[1])
    jumps = []
    for k, t in enumerate((t_c, t_h)):
        r = excited_population(E, t)
        jumps += [Jump(up[k], p * r), Jump(down[k], p * (1 - r))]
    return Model(hamiltonian=H, jumps=jumps, dims=dims)


def evaluate(*, t_c=0.1, t_h=10.0, g=0.05, p=0.05, E=1.0):
    rho = steady_state(model(t_c=t_c, t_h=t_h, g=g, p=p, E=E)).rho
    n = np.real(np.diag(rho)) @ np.array(
        [2, 1, 1, 0]
    )  # basis |00>, |01>, |10>, |11>; |0> is excited (sigma_+ = |0><1|)
    return {
        "concurrence": float(concurrence(rho)),
        "negativity": float(negativity(rho, [2, 2])),
        "excitations": float(n),
    }
