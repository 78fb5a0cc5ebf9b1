r"""Steady states of the reset study and their measures: one point, a grid, a batch, the gap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from opentangle.errors import InvalidParameterError, NonUniqueSteadyStateError
from opentangle.operators import partial_trace
from opentangle.studies.reset.measures import (
    gme_measure,
    gme_skip_note,
    negativity_lower_bound,
    pair_measures,
    schur_negativities,
    spin_squeezing_witness,
)
from opentangle.studies.reset.model import (
    BATCH_MAX_N,
    GAP_MAX_N,
    ResetOptions,
    ResetParams,
    as_params,
    build_model,
    check_choice,
    check_full_n,
    check_symmetric_n,
    coefficients,
    liouvillian_terms,
    site_jumps,
    symmetric_hamiltonian,
)

__all__ = [
    "MEASURES",
    "SCHUR_SOLVE_MIN_N",
    "ResetResult",
    "compute",
    "evaluate_batch",
    "evaluate_gap",
    "notes",
    "reset_gap",
    "schur_solve",
    "solve",
    "steady_states_grid",
    "symmetric_solve",
]

#: single-point solves (``solve``, the CLI) from this N use :func:`schur_solve`: the negativities need the
#: Schur blocks there (``opentangle.spins.schur.SCHUR_AUTO_MIN_N``), and the Pauli-basis system loses its
#: certificate at large N
SCHUR_SOLVE_MIN_N = 17

MEASURES: tuple[str, ...] = (
    "negativity",
    "pair_negativity",
    "pair_concurrence",
    "average_negativity",
    "residual",
    "gap",
    "squeezing_xi2",
    "toth_margin",
    "negativity_lower_bound",
    "genuine_entanglement_value",
)

_R0_MESSAGE = "r = 0 leaves no unique steady state (the noise conserves populations); use a reset rate r > 0"


@dataclass
class ResetResult:
    """Steady state of the reset model and its entanglement.

    ``rho`` is the full ``2^N x 2^N`` state (``None`` from the symmetric solver);
    ``rho1``/``rho2`` the one- and two-qubit reduced states; ``method`` says which
    solver ran (``"full"`` or ``"symmetric"``).
    """

    params: ResetParams
    rho: np.ndarray | None
    rho1: np.ndarray
    rho2: np.ndarray
    measures: dict[str, float | None]
    method: str
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        p = self.params
        vals = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.measures.items())
        return (
            f"ResetResult(n={p.n}, g={p.g:g}, gamma={p.gamma:g}, r={p.r:g}, {p.hamiltonian}/{p.noise}, "
            f"solver={self.method}: {vals})"
        )


def _unique(exc: NonUniqueSteadyStateError, r: float) -> NonUniqueSteadyStateError:
    return NonUniqueSteadyStateError(_R0_MESSAGE) if r == 0 else exc


def symmetric_solve(params: ResetParams) -> Any:
    """Permutation-symmetric steady state (:mod:`opentangle.lindblad.permutation`) of ``params``.

    Raises :class:`InvalidParameterError` above ``SYMMETRIC_MAX_N`` (memory estimate in the message).
    """
    from opentangle.lindblad.permutation import symmetric_steady_state

    return _solve_symmetric_model(symmetric_steady_state, params)


def schur_solve(params: ResetParams) -> Any:
    """Steady state of ``params`` solved on the Schur blocks (:func:`opentangle.lindblad.schur_steady_state`).

    Its forward-error certificate holds to ``N = SYMMETRIC_MAX_N`` for the reset model, where the
    Pauli-basis system of :func:`symmetric_solve` can be too ill-conditioned to certify (``N = 80``,
    ``g = 2.5, r = 5``: estimate 1.4e-6, ``||A^-1|| ~ 1e8``; Schur: 1.7e-11).
    """
    from opentangle.lindblad import schur_steady_state

    return _solve_symmetric_model(schur_steady_state, params)


def _solve_symmetric_model(solver: Any, params: ResetParams) -> Any:
    """``solver(n=, hamiltonian=, local_jumps=)`` on the reset model of ``params`` (size cap checked first)."""
    p = as_params(params, {})
    check_symmetric_n(p.n)
    jumps = site_jumps(p)  # NumPy arrays: no opentangle.lindblad.Jump (SciPy sparse) on this path
    try:
        return solver(n=p.n, hamiltonian=symmetric_hamiltonian(p.hamiltonian, p.g), local_jumps=jumps)
    except NonUniqueSteadyStateError as exc:
        raise _unique(exc, p.r) from exc


def _solve_full(p: ResetParams, measures: dict[str, Any]) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    from opentangle.lindblad import steady_state
    from opentangle.measures import average_negativity, negativity

    check_full_n(p.n)
    try:
        ss = steady_state(build_model(p))
    except NonUniqueSteadyStateError as exc:
        raise _unique(exc, p.r) from exc
    measures["residual"] = float(ss.residual)
    rho = 0.5 * (ss.rho + ss.rho.conj().T)
    dims = [2] * p.n
    rho2 = partial_trace(rho, [0, 1], dims)
    measures["negativity"] = float(negativity(rho, dims, part_a=list(range(p.n // 2))))
    measures.update(pair_measures(rho2))
    measures["average_negativity"] = float(average_negativity(rho, dims, symmetric=True))
    measures["negativity_lower_bound"] = negativity_lower_bound(rho, p.n)
    return ss, rho, partial_trace(rho2, [0], [2, 2]), rho2


def _check_negativity_time(n: int, threads: int) -> None:
    """Refuse before solving when the Schur-basis negativities would exceed the time limit (ResourceLimitError)."""
    from opentangle._limits import Estimate, check_resources
    from opentangle.spins import negativity_seconds

    seconds = negativity_seconds(n, symmetry=2, workers=threads)  # the model commutes with the X^(x)N parity
    hint = "use a smaller n or more --threads"
    check_resources(Estimate(f"the negativity and average negativity at n = {n}", seconds=seconds, hint=hint))


def _solve_symmetric(p: ResetParams, measures: dict[str, Any], extra: dict[str, Any], threads: int = 1) -> Any:
    check_symmetric_n(p.n)  # the size cap first: its message names the memory
    _check_negativity_time(p.n, threads)
    # from SCHUR_AUTO_MIN_N the negativities need the Schur-block solve anyway (PIState.from_symmetric):
    # solve there once, and skip the Pauli-basis system, which cannot be certified at large N
    schur = p.n >= SCHUR_SOLVE_MIN_N
    ss = schur_solve(p) if schur else symmetric_solve(p)
    neg = schur_negativities(ss, p.n, threads)
    extra.update(
        symmetric_dimension=ss.dimension,
        symmetric_basis="schur" if schur else "pauli",
        negativity_error=float(neg.errors[-1]),
        average_negativity_error=neg.average_error,
        schur_symmetry=neg.symmetry,
    )
    measures["negativity"] = neg.half
    measures.update(pair_measures(ss.rho2))
    measures["average_negativity"] = neg.average
    measures["negativity_lower_bound"] = negativity_lower_bound(None, p.n, symmetric=ss.state if schur else ss)
    measures["residual"] = float(ss.residual_max if schur else ss.residual)
    return ss


def solve(
    params: ResetParams | None = None,
    /,
    *,
    solver: str = "auto",
    gme: bool = False,
    gap: bool = False,
    threads: int = 1,
    **fields: Any,
) -> ResetResult:
    """Steady state and measures at one parameter point.

    Give a :class:`ResetParams` or its fields as keywords.  ``solver`` is ``"auto"`` (the
    permutation-symmetric solver, exact for every reset model), ``"full"`` (the 4^N Liouville
    space, ``n <= FULL_SPACE_MAX_N``) or ``"symmetric"`` (``n <= SYMMETRIC_MAX_N``).  Every solver
    reports every measure, except that ``gap`` is ``None`` unless ``gap=True`` (then
    :func:`reset_gap`, for ``n <= GAP_MAX_N``).  The symmetric path gets ``negativity`` and
    ``average_negativity`` from the Schur blocks (:class:`opentangle.spins.PIState`), with their
    rounding-error estimates in ``extra``.  ``genuine_entanglement_value`` is ``None`` unless
    ``gme=True`` (an SDP of seconds per point; ``3 <= n <= GME_MAX_N``): then it is the
    PPT-mixture optimum of :func:`~opentangle.studies.reset.genuine_entanglement_of` (negative
    below ``-1e-7``: GME certified), with the full result in ``extra["genuine_entanglement"]``;
    where it stays ``None`` (N = 2, N > GME_MAX_N, cvxpy missing)
    ``extra["genuine_entanglement_note"]`` says why.  ``threads``: threads for the Schur-basis
    negativities (large N; their time estimate is checked against ``OPENTANGLE_MAX_SECONDS`` first).

    Example
    -------
    >>> from opentangle.studies.reset import two_qubit_negativity
    >>> res = solve(n=2, g=2.5, gamma=1.0, r=10.0)
    >>> abs(res.measures["pair_negativity"] - two_qubit_negativity(g=2.5, r=10.0)) < 1e-9
    True
    """
    p = as_params(params, fields)
    opts = ResetOptions(solver=solver, gme=gme, gap=gap, threads=threads).validate()
    measures: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if opts.solver == "full":
        ss, rho, rho1, rho2 = _solve_full(p, measures)
    else:
        ss = _solve_symmetric(p, measures, extra, opts.threads)
        rho, rho1, rho2 = None, ss.rho1, ss.rho2
    value, res, note = gme_measure(opts.gme, p.n, ss if rho is None else rho)
    measures["genuine_entanglement_value"] = value
    extra.update(
        {k: v for k, v in (("genuine_entanglement", res), ("genuine_entanglement_note", note)) if v is not None}
    )
    measures["gap"] = reset_gap(p) if opts.gap and p.n <= GAP_MAX_N else None
    measures.update(spin_squeezing_witness(rho1, rho2, p.n))
    measures = {m: measures[m] for m in MEASURES}
    method = "full" if opts.solver == "full" else "symmetric"
    return ResetResult(params=p, rho=rho, rho1=rho1, rho2=rho2, measures=measures, method=method, extra=extra)


def _solve_options(params: ResetParams, options: ResetOptions) -> ResetResult:
    return solve(params, solver=options.solver, gme=options.gme, gap=options.gap, threads=options.threads)


def compute(params: ResetParams, options: ResetOptions) -> dict[str, float | None]:
    """The ``--json`` object of one point (keys :data:`MEASURES`): :func:`solve` with ``options``."""
    return dict(_solve_options(params, options).measures)


def notes(params: ResetParams, options: ResetOptions) -> list[str]:
    """The CLI's stderr lines: ignored ``--gamma``, and why a requested GME value or gap stays null."""
    lines = []
    if params.noise == "thermal" and params.gamma != ResetParams().gamma:
        lines.append(f"warning: --gamma {params.gamma:g} is ignored with --noise thermal (use --B, --C, --s)")
    if options.gap and params.n > GAP_MAX_N:
        lines.append(f"note: gap is not computed for N = {params.n} > GAP_MAX_N = {GAP_MAX_N} (full-space spectrum)")
    if options.gme:
        note = gme_skip_note(params.n)
        if note is None:
            from opentangle.measures.gme import sdp_missing

            note = sdp_missing()
        if note:
            lines.append(f"note: {note}")
    return lines


def reset_gap(params: ResetParams) -> float:
    """Liouvillian spectral gap ``-max Re(lambda != 0)`` of one point (full space).

    The one place the reset study computes its gap: the certified
    :func:`opentangle.lindblad.spectral_gap` (eigenpair residual checked; ``ConvergenceError`` otherwise).
    """
    from opentangle.lindblad import spectral_gap

    return float(spectral_gap(build_model(params)).gap)


def evaluate_gap(params: ResetParams | None = None, /, *, method: str = "auto", **fields: Any) -> float:
    """Liouvillian gap at one point: ``method="auto"`` (= ``"engine"``) is :func:`reset_gap`;
    ``"arpack"`` this module's own ``scipy.sparse.linalg.eigs(which="LR")`` call, an independent cross-check."""
    import scipy.sparse.linalg as spla

    from opentangle.errors import ConvergenceError
    from opentangle.lindblad import liouvillian

    method = check_choice(method, "method", ("auto", "engine", "arpack"))
    p = as_params(params, fields)
    if method in ("engine", "auto"):
        return reset_gap(p)
    try:  # ncv = 24, tol = 1e-10: about 2x faster than ncv = 40, tol = 1e-12 at N = 8, same gap to 1e-9
        ev = spla.eigs(
            liouvillian(build_model(p)).tocsr(),
            k=6,
            which="LR",
            ncv=24,
            tol=1e-10,
            maxiter=20000,
            return_eigenvectors=False,
        )
    except spla.ArpackNoConvergence as exc:
        raise ConvergenceError(f"ARPACK did not converge for the Liouvillian gap: {exc}") from exc
    rest = np.delete(ev, int(np.argmin(np.abs(ev))))
    return float(-rest.real.max())


def _check_grid_rates(g: np.ndarray, r: np.ndarray, gamma: np.ndarray, purity: np.ndarray) -> None:
    for name, arr in (("g", g), ("r", r), ("gamma", gamma)):
        if not np.all(np.isfinite(arr)) or (name != "g" and np.any(arr < 0)):
            raise InvalidParameterError(f"{name} must be finite{' and >= 0 (it is a rate)' if name != 'g' else ''}")
    if np.any((purity < 0.5) | (purity > 1)):
        raise InvalidParameterError("purity of the fresh state must lie in [0.5, 1]")


def steady_states_grid(
    *,
    n: int = 2,
    g: Any,
    r: Any,
    gamma: Any = 1.0,
    purity: Any = 1.0,
    hamiltonian: str = "ising",
    noise: str = "dephasing",
    B: float = 0.0,
    C: float = 1.0,
    s: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Full-space steady states on a grid (one batched ``steady_state_linear`` call for ``n <= BATCH_MAX_N``).

    Arrays ``g, r, gamma, purity`` broadcast together; returns ``(rho, residual)`` with
    shapes ``(*shape, D, D)`` and ``shape``.
    """
    from opentangle.lindblad import steady_state, steady_state_linear

    g, r, gamma, purity = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (g, r, gamma, purity)))
    _check_grid_rates(g, r, gamma, purity)
    D = 2**n
    if n <= BATCH_MAX_N:
        terms = liouvillian_terms(n=n, hamiltonian=hamiltonian, noise=noise, B=B, C=C, s=s)
        res = steady_state_linear(terms=list(terms), coefficients=coefficients(g, gamma, r, purity, noise))
        rho, residual = np.asarray(res.rho), np.asarray(res.residual)
    else:  # dense batched LU of 4^n x 4^n is too costly: one iterative solve per point
        base = ResetParams(n=n, hamiltonian=hamiltonian, noise=noise, B=B, C=C, s=s)
        sols = [
            steady_state(build_model(base.at(g=a, r=b, gamma=c, purity=d)))
            for a, b, c, d in zip(g.ravel(), r.ravel(), gamma.ravel(), purity.ravel())
        ]
        rho = np.array([x.rho for x in sols])
        residual = np.array([x.residual for x in sols])
    rho = rho.reshape(*g.shape, D, D)
    rho = 0.5 * (rho + np.swapaxes(rho.conj(), -1, -2))
    return rho, residual.reshape(g.shape)


_BATCHED = ("g", "r", "gamma", "purity")


def evaluate_batch(
    grid: dict[str, np.ndarray], fixed: dict[str, Any], *, measures: Sequence[str] | None = None, gap: bool = False
) -> dict[str, np.ndarray]:
    """Batched :func:`compute`: one ``steady_state_linear`` call when only ``g, r, gamma, purity``
    vary and ``n <= BATCH_MAX_N``; otherwise a loop over points (same results).

    ``measures`` restricts the work to those keys (the average negativity costs the most);
    ``gap`` is NaN unless ``gap=True``, and ``genuine_entanglement_value`` is NaN (no SDP in a batch).
    """
    want = tuple(MEASURES if measures is None else measures)
    bad = [m for m in want if m not in MEASURES]
    if bad:
        raise InvalidParameterError(f"unknown measure(s) {bad}; the reset study reports {', '.join(MEASURES)}")
    arrays = {k: np.asarray(v) for k, v in grid.items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values())) if arrays else ()
    flat = {k: np.broadcast_to(v, shape).ravel() for k, v in arrays.items()}
    size = int(np.prod(shape))
    p = ResetParams.from_mapping(
        {**fixed, **{k: v[0] for k, v in flat.items()}} if size else dict(fixed), what="the reset study"
    ).validate()
    if not set(arrays) <= set(_BATCHED) or p.n > BATCH_MAX_N:
        opts = ResetOptions(gap=gap)
        rows = [
            compute(ResetParams.from_mapping({**fixed, **{k: v[i] for k, v in flat.items()}}).validate(), opts)
            for i in range(size)
        ]
        return {
            m: np.array([np.nan if row[m] is None else row[m] for row in rows], dtype=float).reshape(shape)
            for m in want
        }
    cols = {k: np.asarray(flat.get(k, np.full(size, getattr(p, k))), dtype=float) for k in _BATCHED}
    for k in _BATCHED:  # validate every point, not only the first
        for v in np.unique(cols[k]):
            p.at(**{k: float(v)})
    out = _batch_measures(p, cols, want, gap)
    return {m: out[m].reshape(shape) for m in want}


def _batch_measures(p: ResetParams, cols: dict[str, np.ndarray], want: tuple[str, ...], gap: bool) -> dict:
    from opentangle.measures import average_negativity, concurrence, negativity

    n, dims = p.n, [2] * p.n
    rho, residual = steady_states_grid(n=n, hamiltonian=p.hamiltonian, noise=p.noise, B=p.B, C=p.C, s=p.s, **cols)
    rho2 = partial_trace(rho, [0, 1], dims)
    nan = np.full(residual.shape, np.nan)
    out: dict[str, np.ndarray] = {"residual": residual, "genuine_entanglement_value": nan, "gap": nan}
    if "negativity" in want:
        out["negativity"] = np.asarray(negativity(rho, dims, part_a=list(range(n // 2))))
    if "negativity_lower_bound" in want:
        out["negativity_lower_bound"] = np.array([negativity_lower_bound(x, n) for x in rho])
    if "pair_negativity" in want:
        out["pair_negativity"] = np.asarray(negativity(rho2))
    if "pair_concurrence" in want:
        out["pair_concurrence"] = np.asarray(concurrence(rho2))
    if "average_negativity" in want:
        out["average_negativity"] = np.array([average_negativity(x, dims, symmetric=True) for x in rho])
    if gap and "gap" in want:  # all eigenvalues of the stacked dense Liouvillians at once
        terms = liouvillian_terms(n=n, hamiltonian=p.hamiltonian, noise=p.noise, B=p.B, C=p.C, s=p.s)
        T = np.array([t.toarray() for t in terms])
        coeff = coefficients(cols["g"], cols["gamma"], cols["r"], cols["purity"], p.noise)
        ev = np.sort(np.linalg.eigvals(np.einsum("bk,kij->bij", coeff, T)).real, axis=-1)
        out["gap"] = -ev[:, -2]  # the zero eigenvalue is the largest
    if "squeezing_xi2" in want or "toth_margin" in want:
        r1 = partial_trace(rho2, [0], [2, 2])
        wit = [spin_squeezing_witness(a, b, n) for a, b in zip(r1, rho2)]
        for key in ("squeezing_xi2", "toth_margin"):
            out[key] = np.array([w[key] for w in wit])
    return out
