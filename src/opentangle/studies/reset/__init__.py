r"""Steady-state entanglement of N qubits stabilised by a reset to |+> (Hartmann, Dür, Briegel 2006).

``N`` qubits with an all-to-all interaction, local noise and a local reset to
a fresh state at rate ``r`` per qubit:

.. math::
    \dot\rho = -i[H,\rho] + \mathcal L_\text{noise}\rho
    + r\sum_i\bigl(\rho_\text{f}\otimes\mathrm{tr}_i\rho - \rho\bigr),

* ``H`` is Ising :math:`g\sum_{i<j}\sigma^z_i\sigma^z_j` (default), Heisenberg
  :math:`g\sum_{i<j}\vec\sigma_i\cdot\vec\sigma_j`, or the XYZ-plus-field form of
  the paper's Fig. 2, :math:`g\sum_{i<j}(0.7\,\sigma^x\sigma^x + 0.3\,\sigma^y\sigma^y
  + \sigma^z\sigma^z) + 0.5\,g\sum_i\sigma^x_i`;
* the noise is dephasing :math:`\tfrac{\gamma}{2}\sum_i(\sigma^z_i\rho\sigma^z_i-\rho)`
  (default) or the thermal channel of the paper's Eq. (1) with ``B, C, s``
  (:func:`thermal_noise`);
* the fresh state is :math:`\rho_\text{f} = (1 + b\,\sigma^x)/2` with
  :math:`b = \sqrt{2P - 1}` for purity ``P`` (``P = 1``: the pure ``|+>``).

The package: :mod:`.model` (``ResetParams``, ``ResetOptions``, the model), :mod:`.closed_form`
(two qubits), :mod:`.measures`, :mod:`.solve` (``compute``, ``solve``, ``evaluate_batch``, the
gap), :mod:`.threshold` (``threshold_r``), :mod:`.figures_paper` and :mod:`.figures_beyond`
(``opentangle reproduce reset``; they import xarray and matplotlib only when run).

Reference: L. Hartmann, W. Dür, H. J. Briegel, Phys. Rev. A 74, 052304 (2006),
quant-ph/0512219.  Conventions: ``docs/reset.md``.

Example
-------
>>> round(two_qubit_negativity(g=2.5, r=10.0, gamma=1.0), 10)
0.0340909091
>>> evaluate(n=2, g=2.5, r=10.0)["gap"] is None     # the gap only with gap=True (--gap)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentangle.studies._study import Levels, Study, lazy_figure
from opentangle.studies.reset.closed_form import (
    NEGATIVITY_SUPREMUM,
    two_qubit_boundary_g,
    two_qubit_negativity,
    two_qubit_num_den,
    two_qubit_spectrum,
    two_qubit_steady_state,
    two_qubit_threshold_r,
)
from opentangle.studies.reset.measures import (
    genuine_entanglement_of,
    gme_blocks,
    negativity_lower_bound,
    pair_measures,
    schur_state,
    spin_squeezing_witness,
)
from opentangle.studies.reset.model import (
    AVERAGE_NEGATIVITY_MAX_N,
    BATCH_MAX_N,
    FULL_SPACE_MAX_N,
    GAP_MAX_N,
    GME_MAX_N,
    HAMILTONIANS,
    LOWER_BOUND_MAX_K,
    NOISES,
    SCHUR_NEGATIVITY_ATOL,
    SOLVERS,
    SYMMETRIC_MAX_N,
    SYMMETRIC_MEMORY_LIMIT,
    ResetOptions,
    ResetParams,
    build_model,
    fresh_state,
    full_space_memory_estimate,
    hamiltonian,
    liouvillian_terms,
    site_jumps,
    symmetric_hamiltonian,
    symmetric_memory_estimate,
    thermal_noise,
    thermal_occupation,
)
from opentangle.studies.reset.solve import MEASURES as _MEASURES
from opentangle.studies.reset.solve import (
    SCHUR_SOLVE_MIN_N,
    ResetResult,
    compute,
    evaluate_gap,
    notes,
    reset_gap,
    schur_solve,
    solve,
    steady_states_grid,
    symmetric_solve,
)
from opentangle.studies.reset.solve import evaluate_batch as _evaluate_batch
from opentangle.studies.reset.threshold import WHICH, signed_entanglement, threshold_r

if TYPE_CHECKING:  # pragma: no cover - the figure modules, imported on first use (issue 19)
    from opentangle.studies.reset.figures_beyond import heisenberg_steady_state, poisson_weights_mean
    from opentangle.studies.reset.figures_gme import gme_thresholds
    from opentangle.studies.reset.figures_paper import critical_purity, poisson_weights

#: public name -> figure module: imported on first access, so that `opentangle reset ...` and a
#: sweep of the study do not import xarray, matplotlib and the figure code (issue 19)
_LAZY = {
    **dict.fromkeys(("critical_purity", "fig1", "fig2", "fig3", "fig_imperfect", "poisson_weights"), "figures_paper"),
    **dict.fromkeys(
        (
            "fig_average_vs_r",
            "fig_heisenberg",
            "fig_poisson_means",
            "fig_schur_thresholds",
            "fig_thresholds",
            "heisenberg_steady_state",
            "poisson_weights_mean",
        ),
        "figures_beyond",
    ),
    **dict.fromkeys(("fig_gme_thresholds", "gme_thresholds"), "figures_gme"),
}

__all__ = [
    "AVERAGE_NEGATIVITY_MAX_N",
    "BATCH_MAX_N",
    "FULL_SPACE_MAX_N",
    "GAP_MAX_N",
    "GME_MAX_N",
    "HAMILTONIANS",
    "LOWER_BOUND_MAX_K",
    "MEASURES",
    "NAME",
    "NEGATIVITY_SUPREMUM",
    "NOISES",
    "PARAMETERS",
    "SCHUR_NEGATIVITY_ATOL",
    "SCHUR_SOLVE_MIN_N",
    "SEEDED",
    "SOLVERS",
    "STUDY",
    "SYMMETRIC_MAX_N",
    "SYMMETRIC_MEMORY_LIMIT",
    "WHICH",
    "ResetOptions",
    "ResetParams",
    "ResetResult",
    "build_model",
    "command",
    "compute",
    "critical_purity",
    "evaluate",
    "evaluate_batch",
    "evaluate_gap",
    "fresh_state",
    "full_space_memory_estimate",
    "genuine_entanglement_of",
    "gme_blocks",
    "gme_thresholds",
    "hamiltonian",
    "heisenberg_steady_state",
    "liouvillian_terms",
    "negativity_lower_bound",
    "notes",
    "pair_measures",
    "poisson_weights",
    "poisson_weights_mean",
    "reproduce",
    "reset_gap",
    "schur_solve",
    "schur_state",
    "signed_entanglement",
    "site_jumps",
    "solve",
    "spin_squeezing_witness",
    "steady_states_grid",
    "symmetric_hamiltonian",
    "symmetric_memory_estimate",
    "symmetric_solve",
    "thermal_noise",
    "thermal_occupation",
    "threshold_r",
    "two_qubit_boundary_g",
    "two_qubit_negativity",
    "two_qubit_num_den",
    "two_qubit_spectrum",
    "two_qubit_steady_state",
    "two_qubit_threshold_r",
]

_HELP = (
    "--solver auto (default) and symmetric use the permutation-symmetric solver, exact for every reset model, "
    "for 2 <= N <= SYMMETRIC_MAX_N (113, set by a memory estimate): `negativity` (half | half) and "
    "`average_negativity` come from the Schur blocks of the state (opentangle.spins.PIState) and are refused as "
    "ill-conditioned when their rounding-error estimate exceeds SCHUR_NEGATIVITY_ATOL. --solver full uses the 4^N "
    "Liouville space, N <= 10 (N = 9 takes ~30 s, N = 10 a few minutes). `gap` (the Liouvillian gap, full-space "
    "spectrum) is null unless --gap is given, and is computed for N <= 10 with every solver. With --noise thermal, "
    "--gamma is not used. `genuine_entanglement_value` (PPT-mixture optimum, negative below -1e-7: genuine "
    "multipartite entanglement certified) is null unless --gme is given (3 <= N <= 10; needs opentangle[sdp], "
    "else null with a one-line note on stderr)."
)


def _title(p: ResetParams) -> str:
    return f"reset: N={p.n}, g={p.g:g}, gamma={p.gamma:g}, r={p.r:g}, {p.hamiltonian}/{p.noise}"


STUDY = Study(
    name="reset",
    summary="Steady-state entanglement of N qubits stabilised by a reset to |+> (Hartmann, Dür, Briegel 2006).",
    help=_HELP,
    params=ResetParams,
    options=ResetOptions,
    measures=_MEASURES,
    compute=compute,
    levels=Levels(quick="quick", default="default", full="full"),
    figures=tuple(
        lazy_figure(f"{__name__}.{_LAZY[f]}", f)
        for f in (
            "fig1",
            "fig2",
            "fig3",
            "fig_imperfect",
            "fig_thresholds",
            "fig_schur_thresholds",
            "fig_average_vs_r",
            "fig_poisson_means",
            "fig_heisenberg",
            "fig_gme_thresholds",
        )
    ),
    batch=_evaluate_batch,
    seeded=False,
    notes=notes,
    title=_title,
)

NAME = STUDY.name
PARAMETERS = STUDY.PARAMETERS
MEASURES = STUDY.MEASURES
SEEDED = STUDY.seeded
evaluate = STUDY.evaluate
evaluate_batch = _evaluate_batch
reproduce = STUDY.reproduce


def __getattr__(name: str) -> object:
    # `command = STUDY.command`, resolved on first use: building it imports typer, which a sweep or a
    # notebook importing the study does not need; the figure names import their module
    if name == "command":
        return STUDY.command
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
