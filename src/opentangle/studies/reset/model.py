r"""Model of the reset study: parameters, options, Hamiltonians, noise and the Lindblad model.

``N`` qubits with an all-to-all interaction, local noise and a local reset to a fresh state
at rate ``r`` per qubit (Hartmann, Dür, Briegel, PRA 74, 052304 (2006)):

.. math::
    \dot\rho = -i[H,\rho] + \mathcal L_\text{noise}\rho
    + r\sum_i\bigl(\rho_\text{f}\otimes\mathrm{tr}_i\rho - \rho\bigr).

The thermal noise of the paper's Eq. (1) is written with its ``B, C, s``
(:func:`thermal_noise`); it is the engine's generic
:func:`opentangle.lindblad.thermal_jumps` with :math:`T_1 = 1/B`, :math:`T_2 = 1/C` and
bath occupation :math:`n_\text{th} = s/(1-2s)`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from opentangle._convert import check_in_range, check_int, check_nonnegative, check_real
from opentangle.errors import InvalidParameterError
from opentangle.operators import embed, sigma_minus, sigma_plus, sigma_x, sigma_y, sigma_z
from opentangle.studies._study import Options, Params, param

__all__ = [
    "AVERAGE_NEGATIVITY_MAX_N",
    "BATCH_MAX_N",
    "FULL_SPACE_MAX_N",
    "GAP_MAX_N",
    "GME_MAX_N",
    "HAMILTONIANS",
    "LOWER_BOUND_MAX_K",
    "NOISES",
    "SCHUR_NEGATIVITY_ATOL",
    "SOLVERS",
    "SYMMETRIC_MAX_N",
    "SYMMETRIC_MEMORY_LIMIT",
    "ResetOptions",
    "ResetParams",
    "build_model",
    "check_choice",
    "check_full_n",
    "check_symmetric_n",
    "coefficients",
    "fresh_state",
    "full_space_memory_estimate",
    "hamiltonian",
    "liouvillian_terms",
    "noise_jumps",
    "site_jumps",
    "symmetric_hamiltonian",
    "symmetric_memory_estimate",
    "thermal_noise",
    "thermal_occupation",
]

HAMILTONIANS: tuple[str, ...] = ("ising", "heisenberg", "xyz")
NOISES: tuple[str, ...] = ("dephasing", "thermal")
#: solvers of :func:`opentangle.studies.reset.solve`.
SOLVERS: tuple[str, ...] = ("auto", "full", "symmetric")
#: largest N solved in the full 4^N-dimensional Liouville space (sparse direct solve).
FULL_SPACE_MAX_N = 10
#: largest N solved as one dense batch by ``steady_state_linear`` (Liouville dimension 4^N <= 256).
BATCH_MAX_N = 4
#: largest N whose Liouvillian gap is computed (full space; at N = 10 the exhaustive "blocks" gap takes about 12 s plus the Liouvillian assembly).
GAP_MAX_N = 10
#: bytes per dimension of the symmetric Liouville space (sparse LU fill), from N = 100: 1.9 GB at C(103,3) = 176851.
_SYMMETRIC_BYTES_PER_DIM = 1.1e4
#: memory the symmetric path may use (solver estimate plus the Schur negativity tables).
SYMMETRIC_MEMORY_LIMIT = 4.0e9
#: the Schur-basis negativities must have a rounding-error estimate below this (else ConvergenceError).
SCHUR_NEGATIVITY_ATOL = 1e-6
#: largest N of ``genuine_entanglement_value`` (``gme=True``): the symmetric PPT-mixture SDP, measured to
#: N = 10 with Clarabel (minutes there; 0.6 s at N = 3, 2.5 s at N = 4, 5 s at N = 5 on the loaded machine).
GME_MAX_N = 10
#: the ``negativity_lower_bound`` uses k qubits against k qubits, k = min(floor(N/2), LOWER_BOUND_MAX_K).
LOWER_BOUND_MAX_K = 3
#: largest N for which the full-space solver reports ``average_negativity`` (= FULL_SPACE_MAX_N).
AVERAGE_NEGATIVITY_MAX_N = 10


def _symmetric_bytes(n: int) -> float:
    from opentangle.spins.schur import schur_memory_estimate

    return _SYMMETRIC_BYTES_PER_DIM * math.comb(int(n) + 3, 3) + schur_memory_estimate(n)


#: largest N accepted by the permutation-symmetric solver: the largest with an estimate <= SYMMETRIC_MEMORY_LIMIT
#: (a literal, so that importing the study does not import the Schur tables; tests/test_reset.py checks it).
SYMMETRIC_MAX_N = 113


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """``value`` lower-cased if it is one of ``choices``, else :class:`InvalidParameterError`."""
    v = str(value).lower()
    if v not in choices:
        raise InvalidParameterError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")
    return v


@dataclass(frozen=True)
class ResetParams(Params):
    """Model parameters of one point of the reset study (rates in units of your choice)."""

    n: int = param(2, "Number of qubits (>= 2).")
    g: float = param(2.5, "Coupling g.")
    gamma: float = param(1.0, "Dephasing rate gamma (dephasing noise).")
    r: float = param(5.0, "Reset rate r per qubit.")
    hamiltonian: str = param("ising", "ising | heisenberg | xyz.")
    noise: str = param("dephasing", "dephasing | thermal.")
    B: float = param(0.0, "Thermal noise: inversion decay rate B.", flag="--B")
    C: float = param(1.0, "Thermal noise: polarisation decay rate C.", flag="--C")
    s: float = param(0.5, "Thermal noise: bath <(1+sz)/2> (1/2: infinite temperature).")
    purity: float = param(1.0, "Purity of the fresh state, in [1/2, 1].")

    def validate(self) -> ResetParams:
        """The checked parameters (typed errors naming the parameter)."""
        out = ResetParams(
            n=check_int(self.n, "n (number of qubits)", minimum=2),
            g=check_real(self.g, "g"),
            gamma=check_nonnegative(self.gamma, "gamma"),
            r=check_nonnegative(self.r, "r (reset rate)"),
            hamiltonian=check_choice(self.hamiltonian, "hamiltonian", HAMILTONIANS),
            noise=check_choice(self.noise, "noise", NOISES),
            B=check_nonnegative(self.B, "B (inversion decay rate)"),
            C=check_nonnegative(self.C, "C (polarisation decay rate)"),
            s=check_in_range(self.s, "s (bath inversion <(1+sz)/2>)", 0.0, 1.0),
            purity=check_in_range(self.purity, "purity of the fresh state", 0.5, 1.0),
        )
        if out.noise == "thermal" and out.C < out.B / 2:
            raise InvalidParameterError(
                f"thermal noise needs C >= B/2 (T2 <= 2 T1) to be completely positive; got B={out.B}, C={out.C}"
            )
        return out

    def at(self, **changes: Any) -> ResetParams:
        """A validated copy with some fields changed (``params.at(r=3.0)``)."""
        return ResetParams.from_mapping({**self.as_dict(), **changes}).validate()


@dataclass(frozen=True)
class ResetOptions(Options):
    """Algorithm options of the reset study (never swept, not physics)."""

    solver: str = param("auto", "auto | full | symmetric. auto: the permutation-symmetric solver (exact here).")
    gme: bool = param(
        False,
        "Also compute genuine_entanglement_value (PPT-mixture SDP, 3 <= N <= 10; seconds per "
        "point, minutes at N = 10). Without --gme it is null.",
    )
    gap: bool = param(
        False,
        "Also compute the Liouvillian gap (full space, N <= 10; the slowest part at large N). "
        "Without --gap it is null.",
    )

    threads: int = param(
        1,
        "Threads for the Schur-basis negativities of the symmetric solver (LAPACK releases the GIL; "
        "the cost grows like N^8: minutes at N = 70). Use with a one-thread BLAS (OMP_NUM_THREADS=1).",
    )

    def validate(self) -> ResetOptions:
        from opentangle._limits import check_count, max_workers

        out = self.converted()
        threads = check_count(out.threads, "threads", minimum=1, maximum=max_workers())
        return ResetOptions(
            solver=check_choice(out.solver, "solver", SOLVERS), gme=out.gme, gap=out.gap, threads=threads
        )


# --------------------------------------------------------------------------- model building
def fresh_state(purity: float = 1.0) -> np.ndarray:
    r"""Fresh single-qubit state :math:`(1 + \sqrt{2P-1}\,\sigma^x)/2` of purity ``P``.

    Example
    -------
    >>> bool(np.allclose(fresh_state(1.0), np.full((2, 2), 0.5)))
    True
    """
    p = check_in_range(purity, "purity of the fresh state", 0.5, 1.0)
    return (np.eye(2) + math.sqrt(2 * p - 1) * sigma_x()) / 2


def hamiltonian(n: int, kind: str = "ising", *, g: float = 1.0) -> Any:
    r"""All-to-all interaction Hamiltonian of ``n`` qubits (scipy sparse CSR).

    Ising :math:`g\sum_{i<j}\sigma^z_i\sigma^z_j`, Heisenberg
    :math:`g\sum_{i<j}\vec\sigma_i\cdot\vec\sigma_j`, or the paper's Fig. 2 form
    :math:`g\sum_{i<j}(0.7\,\sigma^x\sigma^x + 0.3\,\sigma^y\sigma^y + \sigma^z\sigma^z) + 0.5\,g\sum_i\sigma^x_i`.

    Example
    -------
    >>> hamiltonian(2, "ising", g=2.0).toarray().real.diagonal().tolist()
    [2.0, -2.0, -2.0, 2.0]
    """
    n = check_int(n, "n (number of qubits)", minimum=2)
    kind = check_choice(kind, "hamiltonian", HAMILTONIANS)
    dims = [2] * n
    weights = {"ising": {"z": 1.0}, "heisenberg": {"x": 1.0, "y": 1.0, "z": 1.0}, "xyz": {"x": 0.7, "y": 0.3, "z": 1.0}}
    paulis = {"x": sigma_x(), "y": sigma_y(), "z": sigma_z()}
    site_ops = {a: [embed(paulis[a], i, dims, sparse=True) for i in range(n)] for a in weights[kind]}
    H = 0 * site_ops["z"][0]
    for a, w in weights[kind].items():
        for i, j in itertools.combinations(range(n), 2):
            H = H + w * (site_ops[a][i] @ site_ops[a][j])
    if kind == "xyz":
        for i in range(n):
            H = H + 0.5 * embed(sigma_x(), i, dims, sparse=True)
    return (g * H).tocsr()


def thermal_occupation(s: float) -> float:
    r"""Bath occupation :math:`n_\text{th} = s/(1-2s)` whose equilibrium excited population is ``s``.

    ``s = 1/2`` gives ``inf``; ``s > 1/2`` a negative-temperature bath (``n_th <= -1``).

    Example
    -------
    >>> thermal_occupation(0.25), thermal_occupation(0.5)
    (0.5, inf)
    """
    s = check_in_range(s, "s (bath inversion <(1+sz)/2>)", 0.0, 1.0)
    return math.inf if s == 0.5 else s / (1.0 - 2.0 * s)


def thermal_noise(*, site: int, B: float, C: float, s: float, dims: Sequence[int]) -> list:
    r"""Thermal noise of Hartmann, Dür, Briegel, PRA 74, 052304 (2006), Eq. (1), on qubit ``site``.

    ``B`` is the decay rate of the inversion :math:`\langle(1+\sigma_z)/2\rangle`
    (:math:`T_1 = 1/B`), ``C`` the decay rate of the polarisation :math:`\langle\sigma_\pm\rangle`
    (:math:`T_2 = 1/C`) and ``s`` the equilibrium value of :math:`\langle(1+\sigma_z)/2\rangle`
    (``s = 1/2``: infinite temperature, ``s = 0``: zero temperature, all in ``|1>``).  Jumps:
    :math:`\sigma_+` at rate :math:`Bs`, :math:`\sigma_-` at :math:`B(1-s)`, :math:`\sigma_z` at
    :math:`(C - B/2)/2`; complete positivity needs :math:`C \ge B/2`.  Built as
    :func:`opentangle.lindblad.thermal_jumps` with ``t1 = 1/B``, ``t2 = 1/C``,
    ``n_th =`` :func:`thermal_occupation` ``(s)``; ``B = 0, C = gamma`` is dephasing.

    Example
    -------
    >>> sorted(round(j.rate, 3) for j in thermal_noise(site=0, B=1.0, C=1.0, s=0.25, dims=[2]))
    [0.25, 0.25, 0.75]
    """
    from opentangle.lindblad import thermal_jumps

    B = check_nonnegative(B, "B (inversion decay rate)")
    C = check_nonnegative(C, "C (polarisation decay rate)")
    if B / 2 - 1e-12 * max(1.0, B) > C:
        raise InvalidParameterError(
            f"thermal noise with C={C} < B/2={B / 2} is not completely positive (needs T2 <= 2 T1); raise C"
        )
    t1 = math.inf if B == 0 else 1.0 / B
    t2 = math.inf if C == 0 else 1.0 / C
    return thermal_jumps(site=site, t1=t1, t2=min(t2, 2 * t1), n_th=thermal_occupation(s), dims=dims)


def noise_jumps(params: ResetParams, site: int, dims: Sequence[int]) -> list:
    """The local noise jumps of ``params`` (dephasing at ``gamma`` or thermal ``B, C, s``) on ``site``."""
    from opentangle.lindblad import dephasing

    if params.noise == "dephasing":
        return dephasing(site=site, rate=params.gamma, dims=dims)
    return thermal_noise(site=site, B=params.B, C=params.C, s=params.s, dims=dims)


def site_jumps(params: ResetParams) -> list[tuple[np.ndarray, float]]:
    """The jumps of one qubit, ``[(2x2 operator, rate), ...]``: the noise, then the reset (NumPy only).

    The operators and rates of ``noise_jumps(params, 0, [2])`` followed by
    ``opentangle.lindblad.reset(site=0, rate=r, state=fresh_state(purity), dims=[2])``, the same
    arithmetic without building :class:`opentangle.lindblad.Jump` objects (SciPy sparse matrices),
    so that the symmetric solver of a small N runs without SciPy (issue 19).

    Example
    -------
    >>> [round(rate, 3) for _, rate in site_jumps(ResetParams(gamma=1.0, r=8.0))]
    [0.5, 8.0, 8.0]
    """
    if params.noise == "dephasing":
        out = [(sigma_z(), params.gamma / 2)]
    else:  # thermal_noise -> thermal_jumps, step by step
        t1 = math.inf if params.B == 0 else 1.0 / params.B
        t2 = min(math.inf if params.C == 0 else 1.0 / params.C, 2 * t1)
        n_th = thermal_occupation(params.s)
        p = 0.5 if math.isinf(n_th) else n_th / (2 * n_th + 1)
        g1, g2 = 1.0 / t1, 1.0 / t2
        out = [(sigma_minus(), (1 - p) * g1), (sigma_plus(), p * g1), (sigma_z(), max(g2 - g1 / 2, 0.0) / 2)]
    rho = fresh_state(params.purity).astype(complex)
    w, v = np.linalg.eigh((rho + rho.conj().T) / 2)
    for a in range(2):
        if w[a] <= 1e-14:
            continue
        for k in range(2):
            op = np.zeros((2, 2), dtype=complex)
            op[:, k] = v[:, a]
            out.append((op, params.r * w[a]))
    return [(op, float(rate)) for op, rate in out]


def build_model(params: ResetParams | None = None, /, **fields: Any) -> Any:
    """The :class:`opentangle.lindblad.Model` of one parameter point (validated).

    Give a :class:`ResetParams` or its fields as keywords (``build_model(n=2, g=2.5, r=10.0)``).
    """
    from opentangle.lindblad import Model, reset

    p = as_params(params, fields)
    dims = [2] * p.n
    jumps: list = []
    for i in range(p.n):
        jumps += noise_jumps(p, i, dims)
        jumps += reset(site=i, rate=p.r, state=fresh_state(p.purity), dims=dims)
    return Model(hamiltonian=hamiltonian(p.n, p.hamiltonian, g=p.g), jumps=jumps, dims=dims)


def as_params(params: ResetParams | None, fields: dict[str, Any]) -> ResetParams:
    """Validated parameters from a :class:`ResetParams` or from keyword fields (not both)."""
    if params is not None:
        if fields:
            raise InvalidParameterError("give a ResetParams or keywords, not both")
        if not isinstance(params, ResetParams):
            raise InvalidParameterError(f"expected ResetParams; got {type(params).__name__}")
        return params.validate()
    return ResetParams.from_mapping(fields, what="the reset study").validate()


@lru_cache(maxsize=16)
def _terms_cached(n: int, kind: str, noise: str, B: float, C: float, s: float) -> tuple:
    from opentangle.lindblad import Model, liouvillian, reset

    dims = [2] * n
    zero = hamiltonian(n, kind, g=0.0)
    unit = ResetParams(n=n, hamiltonian=kind, noise=noise, gamma=1.0, B=B, C=C, s=s)

    def L(H: Any, jumps: list) -> Any:
        return liouvillian(Model(hamiltonian=H, jumps=jumps, dims=dims)).tocsr()

    def resets(state: np.ndarray) -> list:
        return [j for i in range(n) for j in reset(site=i, rate=1.0, state=state, dims=dims)]

    L_H = L(hamiltonian(n, kind, g=1.0), [])
    L_noise = L(zero, [j for i in range(n) for j in noise_jumps(unit, i, dims)])
    L_mixed = L(zero, resets(np.eye(2) / 2))
    L_plus = L(zero, resets(fresh_state(1.0)))
    return L_H, L_noise, L_mixed, (L_plus - L_mixed).tocsr()


def liouvillian_terms(
    *, n: int, hamiltonian: str = "ising", noise: str = "dephasing", B: float = 0.0, C: float = 1.0, s: float = 0.5
) -> tuple:
    r"""Terms ``(L_H, L_noise, L_mix, L_coh)`` with :math:`\mathcal L = g L_H + c L_\text{noise} + r L_\text{mix} + r b L_\text{coh}`.

    ``c = gamma`` for dephasing (``L_noise`` built at unit rate) and ``c = 1`` for thermal
    noise (built at the given ``B, C, s``); ``b = sqrt(2 purity - 1)``.  Use with
    :func:`coefficients` and ``opentangle.lindblad.steady_state_linear``.
    """
    p = ResetParams(n=n, hamiltonian=hamiltonian, noise=noise, B=B, C=C, s=s).validate()
    return _terms_cached(p.n, p.hamiltonian, p.noise, p.B, p.C, p.s)


def coefficients(g: Any, gamma: Any, r: Any, purity: Any, noise: str) -> np.ndarray:
    """Coefficients ``(g, c, r, r b)`` of :func:`liouvillian_terms`, one row per point (shape ``(-1, 4)``)."""
    g, gamma, r, purity = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (g, gamma, r, purity)))
    c_noise = gamma if noise == "dephasing" else np.ones_like(gamma)
    b = np.sqrt(2 * purity - 1)
    return np.stack([g, c_noise, r, r * b], axis=-1).reshape(-1, 4)


def symmetric_hamiltonian(kind: str, g: float) -> Any:
    """The :class:`~opentangle.lindblad.permutation.SymmetricHamiltonian` of ``hamiltonian`` at coupling ``g``."""
    from opentangle.lindblad.permutation import SymmetricHamiltonian as SH

    kind = check_choice(kind, "hamiltonian", HAMILTONIANS)
    if kind == "ising":
        return SH.ising(g)
    if kind == "heisenberg":
        return SH.heisenberg(g)
    return SH.xyz(0.7 * g, 0.3 * g, g) + SH.field(x=0.5 * g)


def symmetric_memory_estimate(n: int) -> tuple[int, float]:
    """``(dimension, bytes)``: size ``C(N+3,3)`` of the symmetric Liouville space and the estimated
    peak memory of the symmetric path: the sparse-LU steady-state solve (linear in the dimension,
    calibrated at N = 100) plus the Schur-basis negativity tables."""
    return math.comb(int(n) + 3, 3), _symmetric_bytes(n)


def full_space_memory_estimate(n: int) -> float:
    """Estimated peak bytes of the full-space solve: about 40 complex numbers per entry of the 4^N Liouvillian
    vector (sparse LU / Krylov work space; N = 10 needs about 0.7 GB)."""
    return 40 * 16.0 * 4.0 ** int(n)


def check_symmetric_n(n: int) -> None:
    """Refuse ``n > SYMMETRIC_MAX_N`` with the memory estimate (:class:`InvalidParameterError`)."""
    if n > SYMMETRIC_MAX_N:
        dim, mem = symmetric_memory_estimate(n)
        raise InvalidParameterError(
            f"n = {n} is above the symmetric-solver limit n <= {SYMMETRIC_MAX_N}: its Liouville space has dimension "
            f"C(n+3,3) = {dim} and needs an estimated {mem / 1e9:.1f} GB (limit {SYMMETRIC_MEMORY_LIMIT / 1e9:.1f} "
            f"GB, SYMMETRIC_MEMORY_LIMIT); use a smaller n"
        )


def check_full_n(n: int) -> None:
    """Refuse ``n > FULL_SPACE_MAX_N`` with the memory estimate (:class:`InvalidParameterError`)."""
    if n > FULL_SPACE_MAX_N:
        raise InvalidParameterError(
            f"n = {n} is above the full-space limit n <= {FULL_SPACE_MAX_N}: the 4^n = {4**n:.3g}-dimensional "
            f"Liouville space needs an estimated {full_space_memory_estimate(n) / 1e9:.3g} GB "
            f"(limit {full_space_memory_estimate(FULL_SPACE_MAX_N) / 1e9:.2g} GB); use solver='symmetric' "
            "(exact for this model)"
        )
