r"""Model of the waveguide study: parameters, operators, the Lindblad model, the analytic dark state.

Basis and operators (the package convention, QuTiP's ``sigmam``)
-----------------------------------------------------------------
Each qubit has ``|e> = |0>`` (``sz = +1``) and ``|g> = |1>``; the lowering
operator is ``s_j = |g><e| = sigma_minus`` on qubit ``j``, ``n_j = s_j^dag s_j``
and ``sx_j = s_j + s_j^dag``.  Qubit 1 is the left tensor factor.  The singlet
``S = (|eg> - |ge>)/sqrt2`` is ``bell_state("psi-")``.

Model (Almanakly et al. 2026; Kockum, Johansson, Nori, PRL 120, 140404 (2018))
-------------------------------------------------------------------------------
.. math::

    H &= \delta (n_2 - n_1) + \Omega (\sigma^x_1 + \sigma^x_2) + g (s_1^\dagger s_2 + s_2^\dagger s_1), \\
    \dot\rho &= -i[H, \rho] + \sum_{jk} \Gamma_{jk} \big(s_j \rho s_k^\dagger - \tfrac12\{s_k^\dagger s_j, \rho\}\big)
        + \Gamma' \sum_j D[s_j]\rho + \tfrac{\gamma_\phi}{2} \sum_j D[\sigma^z_j]\rho,

with :math:`\Gamma = [[\Gamma_1, \Gamma_{12}], [\Gamma_{12}, \Gamma_2]]` positive
semidefinite.  For :math:`\Gamma_1 = \Gamma_2 = \Gamma_{12}`, ``g = 0`` and no other
loss the steady state is the pure dark state
:math:`|D\rangle \propto \delta|gg\rangle + \sqrt2\,\Omega|S\rangle` with
:math:`F_S = 2\Omega^2 / (2\Omega^2 + \delta^2)`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._convert import check_nonnegative, check_real
from opentangle.errors import InvalidParameterError
from opentangle.lindblad import Jump, Model, correlated_decay, dephasing, liouvillian
from opentangle.operators import embed, sigma_minus, sigma_x
from opentangle.studies._study import Params, param

__all__ = [
    "DIMS",
    "RATES",
    "WaveguideParams",
    "build_model",
    "dark_state",
    "dark_state_fidelity",
    "hamiltonian",
    "hamiltonian_parts",
    "liouvillian_terms",
    "local_jumps",
    "lowering_operators",
    "rates_from_coherence",
    "readout_flip",
    "singlet_state",
    "waveguide_jumps",
]

DIMS = [2, 2]
#: the parameters that are rates (>= 0)
RATES = ("gamma1", "gamma2", "gamma_loss", "gamma_phi")
_PSD_RTOL = 1e-12


@dataclass(frozen=True)
class WaveguideParams(Params):
    """Model parameters of two qubits with correlated decay into a waveguide (rates in one unit)."""

    omega: float = param(1.0, "Drive amplitude Omega in Omega (sx_1 + sx_2).")
    delta: float = param(0.5, "Detuning delta in delta (n_2 - n_1).")
    gamma1: float = param(1.0, "Waveguide decay rate Gamma_11 of qubit 1.")
    gamma2: float = param(1.0, "Waveguide decay rate Gamma_22 of qubit 2.")
    gamma12: float = param(1.0, "Correlated decay Gamma_12 (|G12| <= sqrt(G1 G2)).")
    g: float = param(0.0, "Waveguide-mediated exchange g (s1^dag s2 + h.c.).")
    gamma_loss: float = param(0.0, "Loss outside the waveguide Gamma' (= 1/T1).")
    gamma_phi: float = param(0.0, "Pure dephasing gamma_phi: gamma_phi/2 D[sz].")

    def validate(self) -> WaveguideParams:
        """The checked instance: finite floats, rates >= 0 and a positive semidefinite decay matrix.

        >>> WaveguideParams(gamma12=1.2).validate()
        Traceback (most recent call last):
        ...
        opentangle.errors.InvalidParameterError: the decay matrix [[gamma1, gamma12], [gamma12, gamma2]] = [[1.0, 1.2], [1.2, 1.0]] is not positive semidefinite; need |gamma12| <= sqrt(gamma1*gamma2) = 1
        """
        p = self.converted()
        for k in RATES:
            check_nonnegative(getattr(p, k), k)
        check_psd(p.gamma1, p.gamma2, p.gamma12)
        return p

    @property
    def scale(self) -> float:
        """The largest |coefficient| of the Liouvillian (at least 1e-300)."""
        return max(1e-300, *(abs(v) for v in self.as_dict().values()))

    def rate_scale(self) -> float:
        """The largest rate or coupling, ignoring the drive; an error when every rate is zero."""
        s = max(self.gamma1, self.gamma2, abs(self.gamma12), self.gamma_loss, self.gamma_phi, abs(self.g))
        if s <= 0:
            raise InvalidParameterError("all rates are zero: give gamma1/gamma2 (or a loss) so a steady state exists")
        return s


def check_psd(g1: float, g2: float, g12: float) -> None:
    """Refuse a decay matrix ``[[g1, g12], [g12, g2]]`` that is not positive semidefinite."""
    if g12 * g12 > g1 * g2 * (1 + _PSD_RTOL) + 1e-300:
        raise InvalidParameterError(
            f"the decay matrix [[gamma1, gamma12], [gamma12, gamma2]] = [[{g1}, {g12}], [{g12}, {g2}]] "
            f"is not positive semidefinite; need |gamma12| <= sqrt(gamma1*gamma2) = {math.sqrt(g1 * g2):.6g}"
        )


def _as_params(params: WaveguideParams | None, values: dict[str, Any]) -> WaveguideParams:
    if params is not None and values:
        raise InvalidParameterError("give a WaveguideParams object or keywords, not both")
    if params is None:
        params = WaveguideParams.from_mapping(values, what="waveguide")
    if not isinstance(params, WaveguideParams):
        raise InvalidParameterError(f"params must be a WaveguideParams; got {type(params).__name__}")
    return params.validate()


# ---------------------------------------------------------------------------- operators
def lowering_operators() -> tuple[np.ndarray, np.ndarray]:
    """``(s_1, s_2)``: lowering operators ``|g><e|`` of the two qubits, 4 x 4 (``|e> = |0>``)."""
    s = sigma_minus()
    return embed(s, 0, DIMS), embed(s, 1, DIMS)


def singlet_state(*, ket: bool = True) -> np.ndarray:
    """The singlet ``S = (|eg> - |ge>)/sqrt2`` (= ``bell_state("psi-")`` in this basis)."""
    v = np.array([0, 1, -1, 0], dtype=complex) / np.sqrt(2)
    return v if ket else np.outer(v, v.conj())


@functools.lru_cache(maxsize=1)
def _parts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s1, s2 = lowering_operators()
    n1, n2 = s1.conj().T @ s1, s2.conj().T @ s2
    sx = embed(sigma_x(), 0, DIMS) + embed(sigma_x(), 1, DIMS)
    return sx, n2 - n1, s1.conj().T @ s2 + s2.conj().T @ s1


def hamiltonian_parts() -> dict[str, np.ndarray]:
    """The operators multiplying ``omega``, ``delta`` and ``g`` in ``H``."""
    sx, nd, ex = _parts()
    return {"omega": sx.copy(), "delta": nd.copy(), "g": ex.copy()}


def hamiltonian(params: WaveguideParams) -> np.ndarray:
    r""":math:`H = \delta(n_2 - n_1) + \Omega(\sigma^x_1 + \sigma^x_2) + g(s_1^\dagger s_2 + h.c.)`."""
    sx, nd, ex = _parts()
    return params.omega * sx + params.delta * nd + params.g * ex


def waveguide_jumps(params: WaveguideParams) -> list[Jump]:
    """The correlated waveguide decay: eigen-jumps of the matrix ``Gamma`` (none when it vanishes)."""
    return list(_waveguide_jumps(params.gamma1, params.gamma2, params.gamma12))


def local_jumps(params: WaveguideParams) -> list[Jump]:
    r"""Loss outside the waveguide :math:`\Gamma' D[s_j]` and dephasing :math:`\tfrac{\gamma_\phi}{2}D[\sigma^z_j]` (T1, T2)."""
    return list(_local_jumps(params.gamma_loss, params.gamma_phi))


# the jumps depend on three and two parameters; cached, because building them costs more than a
# 4 x 4 steady state and an optimiser varies only the drive
@functools.lru_cache(maxsize=64)
def _waveguide_jumps(gamma1: float, gamma2: float, gamma12: float) -> tuple[Jump, ...]:
    gamma = np.array([[gamma1, gamma12], [gamma12, gamma2]])
    return tuple(correlated_decay(rate_matrix=gamma, operators=list(lowering_operators())))


@functools.lru_cache(maxsize=64)
def _local_jumps(gamma_loss: float, gamma_phi: float) -> tuple[Jump, ...]:
    jumps = [Jump(s, gamma_loss) for s in lowering_operators()] if gamma_loss > 0 else []
    if gamma_phi > 0:
        for site in (0, 1):
            jumps += list(dephasing(site=site, rate=gamma_phi, dims=DIMS))
    return tuple(jumps)


def build_model(params: WaveguideParams | None = None, /, **values: Any) -> Model:
    """The two-qubit :class:`opentangle.lindblad.Model` for one parameter point.

    Give a :class:`WaveguideParams` or its fields as keywords.

    Example
    -------
    >>> m = build_model(WaveguideParams(omega=1.0, delta=0.5))     # ideal, Gamma1 = Gamma2 = Gamma12 = 1
    >>> from opentangle.lindblad import steady_state
    >>> round(float(np.real(singlet_state().conj() @ steady_state(m).rho @ singlet_state())), 4)
    0.8889
    """
    p = _as_params(params, values)
    return Model(hamiltonian=hamiltonian(p), jumps=waveguide_jumps(p) + local_jumps(p), dims=DIMS)


@functools.lru_cache(maxsize=1)
def liouvillian_terms() -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """``L = sum_k p_k L_k``: one Liouvillian (CSR) per field of :class:`WaveguideParams` (linear dependence)."""
    s1, s2 = lowering_operators()
    sx, nd, ex = _parts()
    zero = np.zeros((4, 4), dtype=complex)

    def liou(h: np.ndarray = zero, jumps: Any = ()) -> Any:
        return liouvillian(Model(hamiltonian=h, jumps=list(jumps), dims=DIMS)).tocsr()

    l1, l2 = liou(jumps=[Jump(s1, 1.0)]), liou(jumps=[Jump(s2, 1.0)])
    l_sum = liou(jumps=correlated_decay(rate_matrix=np.ones((2, 2)), operators=[s1, s2]))
    deph = [*dephasing(site=0, rate=1.0, dims=DIMS), *dephasing(site=1, rate=1.0, dims=DIMS)]
    terms = {
        "omega": liou(h=sx),
        "delta": liou(h=nd),
        "gamma1": l1,
        "gamma2": l2,
        "gamma12": l_sum - l1 - l2,  # the off-diagonal Gamma_12 part alone
        "g": liou(h=ex),
        "gamma_loss": l1 + l2,
        "gamma_phi": liou(jumps=deph),
    }
    names = tuple(WaveguideParams.defaults())
    return names, tuple(terms[k] for k in names)


# ---------------------------------------------------------------------------- analytic dark state
def _drive(omega: float, delta: float) -> tuple[float, float]:
    om, de = check_real(omega, "omega"), check_real(delta, "delta")
    if om == 0 and de == 0:
        raise InvalidParameterError("omega and delta cannot both be zero: the dark state is then not unique")
    return om, de


def dark_state(*, omega: float, delta: float) -> np.ndarray:
    r"""Normalised dark state :math:`(\delta|gg\rangle + \sqrt2\,\Omega|S\rangle)/\mathcal N`.

    It is annihilated by :math:`s_1 + s_2` and by ``H`` when ``g = 0`` (basis of
    this module; the usual summary of the model writes the relative sign for the opposite
    labelling of the qubits).
    """
    om, de = _drive(omega, delta)
    gg = np.array([0, 0, 0, 1], dtype=complex)
    v = de * gg + math.sqrt(2) * om * singlet_state()
    return v / np.linalg.norm(v)


def dark_state_fidelity(*, omega: float, delta: float) -> float:
    r""":math:`F_S = 2\Omega^2 / (2\Omega^2 + \delta^2)`, the ideal steady-state singlet fidelity.

    Example
    -------
    >>> round(dark_state_fidelity(omega=1.0, delta=0.5), 4)
    0.8889
    """
    om, de = _drive(omega, delta)
    return 2 * om**2 / (2 * om**2 + de**2)


# ---------------------------------------------------------------------------- coherence times, readout
def rates_from_coherence(*, t1: float, t2: float) -> dict[str, float]:
    r"""``gamma_loss`` and ``gamma_phi`` from :math:`T_1` and :math:`T_2` (same time unit).

    :math:`\Gamma' = 1/T_1`, :math:`\gamma_\phi = 1/T_2 - 1/(2T_1)`; needs
    :math:`T_2 \le 2 T_1`.  Rates come out in inverse time units.

    Example
    -------
    >>> rates_from_coherence(t1=2.0, t2=4.0)
    {'gamma_loss': 0.5, 'gamma_phi': 0.0}
    """
    t1 = check_nonnegative(t1, "t1")
    t2 = check_nonnegative(t2, "t2")
    if t1 == 0 or t2 == 0:
        raise InvalidParameterError("t1 and t2 must be > 0")
    if t2 > 2 * t1 * (1 + 1e-12):
        raise InvalidParameterError(f"t2 = {t2} exceeds 2*t1 = {2 * t1}; physical qubits have T2 <= 2 T1")
    return {"gamma_loss": 1.0 / t1, "gamma_phi": max(1.0 / t2 - 0.5 / t1, 0.0)}


def readout_flip(rho: np.ndarray, error: float) -> np.ndarray:
    """Symmetric assignment error: each qubit's outcome flipped with probability ``error`` (bit-flip channel)."""
    e = check_nonnegative(error, "readout_error")
    if e > 0.5:
        raise InvalidParameterError(f"readout_error must be in [0, 0.5]; got {error}")
    x = sigma_x()
    out = np.asarray(rho, dtype=complex)
    for site in (0, 1):
        xs = embed(x, site, DIMS)
        out = (1 - e) * out + e * xs @ out @ xs
    return out
