r"""Reset-rate thresholds of entanglement: where the steady state stops being PPT (or a witness fires)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from opentangle.operators import partial_trace
from opentangle.studies.reset.measures import schur_state, spin_squeezing_witness
from opentangle.studies.reset.model import ResetParams, as_params, build_model, check_choice, check_full_n
from opentangle.studies.reset.solve import steady_states_grid, symmetric_solve

__all__ = ["WHICH", "full_space_signed", "signed_entanglement", "threshold_r"]

#: what :func:`threshold_r` and :func:`signed_entanglement` look at.
WHICH: tuple[str, ...] = ("pair", "half", "average", "toth", "xi2")


def full_space_signed(which: str, n: int) -> Callable[..., float]:
    """``f(rho, dims)``: the lowest partial-transpose eigenvalue of a full ``n``-qubit state for ``which``
    (``"pair"``: qubits 0, 1; ``"half"``: first ``n//2`` against the rest; ``"average"``: lowest over every cut)."""
    from opentangle.measures.negativity import partial_transpose_spectrum

    which = check_choice(which, "which", ("pair", "half", "average"))
    dims = [2] * n

    def f(rho: np.ndarray, _dims: Any = None) -> float:
        if which == "pair":
            return float(partial_transpose_spectrum(partial_trace(rho, [0, 1], dims), [2, 2], part_a=[0])[..., 0])
        ks = [n // 2] if which == "half" else list(range(1, n // 2 + 1))
        return float(min(partial_transpose_spectrum(rho, dims, part_a=list(range(k)))[..., 0] for k in ks))

    f.__name__ = f"min_pt_eigenvalue_{which}"
    return f


def _witness(p: ResetParams, which: str, rs: np.ndarray) -> np.ndarray:
    key = "toth_margin" if which == "toth" else "squeezing_xi2"
    if p.n == 2:
        rho, _ = _grid(p, rs)
        pairs = [(partial_trace(x, [0], [2, 2]), x) for x in rho]
    else:
        pairs = [(ss.rho1, ss.rho2) for ss in (symmetric_solve(p.at(r=float(r))) for r in rs)]
    vals = np.array([spin_squeezing_witness(a, b, p.n)[key] for a, b in pairs])
    return vals if which == "toth" else vals - 1.0


def _grid(p: ResetParams, rs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return steady_states_grid(
        n=p.n,
        g=p.g,
        r=rs,
        gamma=p.gamma,
        purity=p.purity,
        hamiltonian=p.hamiltonian,
        noise=p.noise,
        B=p.B,
        C=p.C,
        s=p.s,
    )


def signed_entanglement(params: ResetParams, *, which: str = "pair", solver: str = "auto") -> Callable[..., Any]:
    """``rs -> signed entanglement`` at the rates ``rs`` (vectorised; negative: entangled), other fields from ``params``.

    ``which``: ``"pair"``, ``"half"``, ``"average"`` (lowest partial-transpose eigenvalue of qubits 0, 1;
    of the first ``n//2`` against the rest; lowest over every bipartition), ``"toth"`` (smallest Tóth
    spin-squeezing margin) or ``"xi2"`` (Wineland ``xi_R^2 - 1``).  Pair: batched full space for
    ``n = 2``, the permutation-symmetric solver above; half, average: the Schur blocks of the symmetric
    steady state.  ``solver="full"``: pair, half and average from the full space
    (:func:`~opentangle.studies.reset.steady_states_grid`; batched for n <= 4, iterative above).
    """
    from opentangle.measures.negativity import partial_transpose_spectrum

    p = as_params(params, {})
    which = check_choice(which, "which", WHICH)
    solver = check_choice(solver, "solver", ("auto", "full", "symmetric"))
    n = p.n

    def f(rs: Any) -> np.ndarray:
        rs = np.atleast_1d(np.asarray(rs, dtype=float))
        if which in ("toth", "xi2"):
            return _witness(p, which, rs)
        if solver == "full" or (which == "pair" and n == 2):
            if which != "pair":
                check_full_n(n)
            rho, _ = _grid(p, rs)  # (len(rs), 2^n, 2^n): the partial transposes batched
            if which == "pair":
                rho2 = partial_trace(rho, [0, 1], [2] * n) if n > 2 else rho
                return partial_transpose_spectrum(rho2, [2, 2], part_a=[0])[..., 0]
            ks = [n // 2] if which == "half" else list(range(1, n // 2 + 1))
            return np.min([partial_transpose_spectrum(rho, [2] * n, part_a=list(range(k)))[..., 0] for k in ks], axis=0)
        if which == "pair":
            rho2 = np.array([symmetric_solve(p.at(r=float(r))).rho2 for r in rs])
            return partial_transpose_spectrum(rho2, [2, 2], part_a=[0])[..., 0]
        ks = [n // 2] if which == "half" else list(range(1, n // 2 + 1))
        states = [schur_state(symmetric_solve(p.at(r=float(r)))) for r in rs]
        return np.array([min(st.partial_transpose_minimum(k) for k in ks) for st in states])

    return f


def threshold_r(
    params: ResetParams | None = None,
    /,
    *,
    which: str = "pair",
    r_min: float = 1e-2,
    r_max: float = 1e3,
    points: int = 40,
    xtol: float = 1e-6,
    solver: str = "auto",
    **fields: Any,
) -> np.ndarray:
    r"""Reset rates where the steady state changes from separable to entangled (PPT boundary).

    Scans ``points`` log-spaced rates in ``[r_min, r_max]`` for sign changes of
    :func:`signed_entanglement` (``which``: pair, half, average, or the witnesses toth, xi2) and
    refines each bracket to ``xtol``: with :func:`opentangle.lindblad.entanglement_threshold` on the
    full-space model for ``solver="full"``, otherwise with its root finder
    :func:`opentangle.lindblad.threshold.signed_threshold` on the states of :func:`signed_entanglement`
    (the symmetric solver; for ``n = 2`` the batched full space, 4x faster than a model per step).
    Give a :class:`ResetParams` or its fields as keywords (``threshold_r(n=2, g=2.5)``).
    Returns the sorted crossings (empty: never entangled in the window).

    Example
    -------
    >>> round(float(threshold_r(n=2, g=2.5, r_min=1.0, r_max=20.0, points=6, xtol=1e-9)[0]), 5)
    4.19873
    """
    from opentangle.lindblad import entanglement_threshold
    from opentangle.lindblad.threshold import signed_threshold

    p = as_params(params, fields)
    which = check_choice(which, "which", WHICH)
    solver = check_choice(solver, "solver", ("auto", "full", "symmetric"))
    f = signed_entanglement(p, which=which, solver=solver)
    grid = np.geomspace(r_min, r_max, points)
    vals = f(grid)
    full = which in ("pair", "half", "average") and solver == "full"
    out = []
    for k in np.nonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]:
        bracket = (float(grid[k]), float(grid[k + 1]))
        if full:
            res = entanglement_threshold(
                lambda r: build_model(p.at(r=r)), bracket, measure=full_space_signed(which, p.n), tol=xtol
            )
        else:
            res = signed_threshold(lambda x: float(f(np.array([x]))[0]), bracket, tol=xtol, name=which)
        out.append(res.value)
    return np.array(out)
