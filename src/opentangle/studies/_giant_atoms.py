r"""Giant atoms in a waveguide: Kockum's Markovian coefficients.

Atom ``j`` couples to a one-dimensional waveguide at the points ``x_{j,n}``,
each with rate ``gamma``.  The phase between two points is
:math:`\varphi_{xy} = \varphi\,|x - y|`, where :math:`\varphi = \omega L / v`
is the phase accumulated over one unit of length ``L`` at the atom frequency
:math:`\omega` (positions are given in units of ``L``).  With per-point rates
:math:`\gamma_{jn}` the Markovian coefficients are (Kockum, Johansson, Nori,
PRL 120, 140404 (2018), Eqs. (3)-(6), generalised to unequal rates)

.. math::

    \Delta_j     &= \tfrac12 \sum_{n,m} \sqrt{\gamma_{jn}\gamma_{jm}} \sin\varphi_{jn,jm}, \\
    \Gamma_{jk}  &= \sum_{n,m} \sqrt{\gamma_{jn}\gamma_{km}} \cos\varphi_{jn,km}, \\
    g_{jk}       &= \tfrac12 \sum_{n,m} \sqrt{\gamma_{jn}\gamma_{km}} \sin\varphi_{jn,km} \quad (j \ne k).

``Gamma`` is positive semidefinite by construction (it is a Gram matrix of
the vectors :math:`\sum_n \sqrt{\gamma_{jn}} e^{\pm i\varphi x_{jn}}`).
"""

from __future__ import annotations

import math

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._convert import check_nonnegative, check_real
from opentangle.errors import DimensionError, InvalidParameterError

__all__ = ["LAYOUTS", "GiantAtomCoefficients", "layout_positions", "giant_atom_coefficients", "ProbeSpectrum",
           "probe_spectrum"]

#: Two-atom layouts with unit distance between neighbouring coupling points
#: (Kockum et al. 2018, Fig. 1): a = atom 1, b = atom 2.
LAYOUTS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "small": ((0.0,), (1.0,)),  # two small atoms, one point each
    "sequential": ((0.0, 1.0), (2.0, 3.0)),  # a a b b  ("separate")
    "braided": ((0.0, 2.0), (1.0, 3.0)),  # a b a b
    "nested": ((0.0, 3.0), (1.0, 2.0)),  # a b b a
}


@dataclass(frozen=True)
class GiantAtomCoefficients:
    """Lamb shifts, decay matrix and exchange couplings of atoms at one phase."""

    phase: float
    lamb_shifts: np.ndarray  # (N,)
    gamma_matrix: np.ndarray  # (N, N), Gamma_jj on the diagonal, Gamma_jk off it
    exchange: np.ndarray  # (N, N), g_jk off the diagonal, zero diagonal

    @property
    def gamma1(self) -> float:
        return float(self.gamma_matrix[0, 0])

    @property
    def gamma2(self) -> float:
        return float(self.gamma_matrix[1, 1])

    @property
    def gamma12(self) -> float:
        return float(self.gamma_matrix[0, 1])

    @property
    def g(self) -> float:
        return float(self.exchange[0, 1])

    def as_waveguide_parameters(self) -> dict[str, float]:
        """``gamma1, gamma2, gamma12, g`` and the Lamb-shift detuning for two atoms.

        ``lamb_detuning`` is :math:`(\\Delta_2 - \\Delta_1)/2`, to be added to
        ``delta`` of the two-qubit model; the common shift is absorbed in the
        drive frequency.
        """
        if self.gamma_matrix.shape != (2, 2):
            raise DimensionError("as_waveguide_parameters needs exactly two atoms")
        return {
            "gamma1": self.gamma1,
            "gamma2": self.gamma2,
            "gamma12": self.gamma12,
            "g": self.g,
            "lamb_detuning": float(self.lamb_shifts[1] - self.lamb_shifts[0]) / 2,
        }

    def __repr__(self) -> str:
        n = self.gamma_matrix.shape[0]
        if n == 2:
            return (
                f"GiantAtomCoefficients(phase={self.phase:.6g}, Delta=({self.lamb_shifts[0]:.6g}, "
                f"{self.lamb_shifts[1]:.6g}), Gamma1={self.gamma1:.6g}, Gamma2={self.gamma2:.6g}, "
                f"Gamma12={self.gamma12:.6g}, g={self.g:.6g})"
            )
        return f"GiantAtomCoefficients(phase={self.phase:.6g}, atoms={n})"


def layout_positions(layout: str, *, spacing: float = 1.0) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Coupling-point positions of a named two-atom layout.

    ``layout`` is one of ``"small"``, ``"sequential"``, ``"braided"``, ``"nested"``;
    neighbouring points are ``spacing`` apart.

    Example
    -------
    >>> layout_positions("braided")
    ((0.0, 2.0), (1.0, 3.0))
    """
    key = str(layout).lower()
    if key == "separate":
        key = "sequential"
    if key not in LAYOUTS:
        raise InvalidParameterError(f"unknown layout {layout!r}; choose one of {sorted(LAYOUTS)}")
    s = check_nonnegative(spacing, "spacing")
    if s == 0:
        raise InvalidParameterError("spacing must be > 0")
    return tuple(tuple(s * x for x in atom) for atom in LAYOUTS[key])  # type: ignore[return-value]


def _per_point(gamma: Any, positions: list[np.ndarray]) -> list[np.ndarray]:
    if np.isscalar(gamma):
        g = check_nonnegative(gamma, "gamma")
        return [np.full(p.shape, g) for p in positions]
    try:
        out = [np.asarray(gj, dtype=float).reshape(p.shape) for gj, p in zip(gamma, positions, strict=True)]
    except (TypeError, ValueError) as exc:
        raise DimensionError(
            "gamma must be a number or one list of per-point rates per atom, shaped like positions"
        ) from exc
    for j, gj in enumerate(out):
        if not np.all(np.isfinite(gj)) or np.any(gj < 0):
            raise InvalidParameterError(f"gamma of atom {j} must be finite rates >= 0; got {gj.tolist()}")
    return out


def giant_atom_coefficients(
    positions: Sequence[Sequence[float]] | str, *, phase: float, gamma: Any = 1.0
) -> GiantAtomCoefficients:
    r"""Kockum coefficients for atoms coupled at ``positions`` (or a named layout).

    Parameters
    ----------
    positions : one sequence of coupling-point positions per atom (units of
        ``L``), or a layout name accepted by :func:`layout_positions`.
    phase : :math:`\varphi = \omega L / v`, the phase per unit length.
    gamma : per-point rate, a number or a list per atom shaped like ``positions``.

    Example
    -------
    Braided atoms at :math:`\varphi = \pi/2` interact without decohering:

    >>> c = giant_atom_coefficients("braided", phase=np.pi / 2)
    >>> round(c.gamma1, 12) + 0.0, round(c.gamma12, 12) + 0.0, round(c.g, 12)
    (0.0, 0.0, 1.0)
    """
    if isinstance(positions, str):
        positions = layout_positions(positions)
    phi = check_real(phase, "phase")
    try:
        pos = [np.asarray(p, dtype=float).ravel() for p in positions]
    except (TypeError, ValueError) as exc:
        raise DimensionError("positions must be one sequence of numbers per atom") from exc
    if len(pos) < 1 or any(p.size == 0 for p in pos):
        raise DimensionError("every atom needs at least one coupling point; got an empty list")
    for j, p in enumerate(pos):
        if not np.all(np.isfinite(p)):
            raise InvalidParameterError(f"positions of atom {j} must be finite; got {p.tolist()}")
    rates = _per_point(gamma, pos)
    n = len(pos)
    lamb = np.zeros(n)
    big_gamma = np.zeros((n, n))
    exch = np.zeros((n, n))
    for j in range(n):
        for k in range(n):
            ph = phi * np.abs(pos[j][:, None] - pos[k][None, :])
            w = np.sqrt(rates[j][:, None] * rates[k][None, :])
            big_gamma[j, k] = np.sum(w * np.cos(ph))
            s = 0.5 * np.sum(w * np.sin(ph))
            if j == k:
                lamb[j] = s
            else:
                exch[j, k] = s
    return GiantAtomCoefficients(phase=phi, lamb_shifts=lamb, gamma_matrix=big_gamma, exchange=exch)


# ----------------------------------------------------------------------------- probe spectroscopy
@dataclass(frozen=True)
class ProbeSpectrum:
    r"""Transmission and reflection amplitudes of a probe against its detuning.

    ``detuning`` is :math:`\omega_p - \omega_a` (bare atom frequency, units of the
    per-point rate), ``flux`` the probe photon flux :math:`|\alpha|^2` (0: linear
    response).  ``transmission`` and ``reflection`` are the complex coherent
    (elastic) amplitudes; ``|t|^2``, ``|r|^2`` are :attr:`T`, :attr:`R`.
    """

    detuning: np.ndarray
    transmission: np.ndarray
    reflection: np.ndarray
    flux: float
    coupling_right: np.ndarray  # c_jR, the amplitude of atom j into the right-moving mode
    coupling_left: np.ndarray

    @property
    def T(self) -> np.ndarray:
        return np.abs(self.transmission) ** 2

    @property
    def R(self) -> np.ndarray:
        return np.abs(self.reflection) ** 2

    def fwhm(self) -> float:
        """Full width at half depth of the dip ``1 - |t|^2`` (one connected dip around its minimum; NaN if not resolved)."""
        depth = 1.0 - self.T
        i0 = int(np.argmax(depth))
        half = 0.5 * depth[i0]
        lo, hi = i0, i0
        while lo > 0 and depth[lo] > half:
            lo -= 1
        while hi < depth.size - 1 and depth[hi] > half:
            hi += 1
        if depth[lo] > half or depth[hi] > half:
            return float("nan")
        x = self.detuning

        def cross(a: int, b: int) -> float:
            return float(x[a] + (half - depth[a]) * (x[b] - x[a]) / (depth[b] - depth[a]))

        return cross(hi, hi - 1) - cross(lo, lo + 1)

    def __repr__(self) -> str:
        return (f"ProbeSpectrum(points={self.detuning.size}, flux={self.flux:g}, min T={self.T.min():.4g}, "
                f"max R={self.R.max():.4g}, fwhm={self.fwhm():.4g})")


def _probe_couplings(pos: list[np.ndarray], rates: list[np.ndarray], phi: float) -> tuple[np.ndarray, np.ndarray]:
    """``c_jR = sum_n sqrt(gamma_jn/2) e^{-i phi x_jn}`` and ``c_jL`` (the ``+i`` phase): ``Gamma_jk = Re(c_jR c_kR^* + c_jL c_kL^*)``."""
    cr = np.array([np.sum(np.sqrt(r / 2) * np.exp(-1j * phi * p)) for p, r in zip(pos, rates)])
    cl = np.array([np.sum(np.sqrt(r / 2) * np.exp(1j * phi * p)) for p, r in zip(pos, rates)])
    return cr, cl


def probe_spectrum(
    positions: Sequence[Sequence[float]] | str,
    *,
    phase: float,
    detunings: Any,
    gamma: Any = 1.0,
    atom_detunings: Any = None,
    loss: float = 0.0,
    dephasing: float = 0.0,
    flux: float = 0.0,
) -> ProbeSpectrum:
    r"""Weak (``flux = 0``) or saturating probe through a waveguide with giant atoms.

    A coherent probe :math:`\alpha e^{i\varphi x}` enters from the left.  Every coupling
    point drives its atom with its phase, :math:`\Omega_j = \alpha c_{jL}`,
    :math:`c_{jL} = \sum_n \sqrt{\gamma_{jn}/2}\,e^{i\varphi x_{jn}}`, and the outputs are
    (input-output theory, Markov limit; Kockum et al. PRA 90, 013837 (2014))

    .. math:: t = 1 - \frac{i}{\alpha}\sum_j c_{jR}\langle s_j\rangle, \qquad
              r = -\frac{i}{\alpha}\sum_j c_{jL}\langle s_j\rangle ,

    with :math:`c_{jR}` the conjugate phases.  The atoms follow the master equation of
    :func:`giant_atom_coefficients` (Lamb shifts, exchange ``g``, decay matrix
    ``Gamma``) plus ``loss`` :math:`\Gamma' D[s_j]` and ``dephasing``
    :math:`\tfrac{\gamma_\phi}{2}D[\sigma^z_j]`, in the frame of the probe.  For
    ``flux = 0``, :math:`\langle s_j\rangle/\alpha` is the Liouvillian's linear response
    :math:`\mathcal L_0\rho_1 = -\mathcal L_1\rho_0` around the ground state; otherwise
    the full steady state at :math:`|\alpha|^2 = ` ``flux`` is solved.

    Closed forms (tests): a small atom gives :math:`r = -\Gamma/(\Gamma + \Gamma' + 2\gamma_\phi - 2i\Delta)`;
    a giant atom with two points the same Lorentzian with :math:`\Gamma = 2\gamma(1+\cos\varphi)`
    centred at the Lamb shift :math:`\gamma\sin\varphi`.

    Example
    -------
    >>> s = probe_spectrum([[0.0]], phase=0.0, detunings=[0.0])
    >>> round(float(s.T[0]), 12), round(float(s.R[0]), 12)   # a small atom on resonance is a mirror
    (0.0, 1.0)
    """
    from opentangle.errors import ConvergenceError, NonUniqueSteadyStateError
    from opentangle.lindblad import Jump, Model, correlated_decay, liouvillian
    from opentangle.lindblad import dephasing as dephasing_jumps
    from opentangle.operators import embed, sigma_minus

    if isinstance(positions, str):
        positions = layout_positions(positions)
    coef = giant_atom_coefficients(positions, phase=phase, gamma=gamma)
    pos = [np.asarray(p, dtype=float).ravel() for p in positions]
    rates = _per_point(gamma, pos)
    n = len(pos)
    if n > 4:
        raise DimensionError(f"probe_spectrum handles up to 4 atoms (dimension 2^n); got {n}")
    x = np.atleast_1d(np.asarray(detunings, dtype=float))
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise InvalidParameterError("detunings must be a finite 1-d array")
    d_atoms = np.zeros(n) if atom_detunings is None else np.asarray(atom_detunings, dtype=float).reshape(n)
    loss, dephasing, flux = (check_nonnegative(v, k) for v, k in ((loss, "loss"), (dephasing, "dephasing"), (flux, "flux")))
    cr, cl = _probe_couplings(pos, rates, coef.phase)
    dims = [2] * n
    s = [embed(sigma_minus(), j, dims) for j in range(n)]
    num = [sj.conj().T @ sj for sj in s]
    jumps = list(correlated_decay(rate_matrix=coef.gamma_matrix, operators=s))
    jumps += [Jump(sj, loss) for sj in s if loss > 0]
    if dephasing > 0:
        for j in range(n):
            jumps += list(dephasing_jumps(site=j, rate=dephasing, dims=dims))
    h_fixed = sum((coef.lamb_shifts[j] + d_atoms[j]) * num[j] for j in range(n))
    h_fixed = h_fixed + sum(coef.exchange[j, k] * s[j].conj().T @ s[k] for j in range(n) for k in range(n) if j != k)
    drive = sum(cl[j] * s[j].conj().T + np.conj(cl[j]) * s[j] for j in range(n))  # per unit alpha
    D = 2**n
    ground = np.zeros((D, D), dtype=complex)
    ground[-1, -1] = 1.0  # |g...g> (|g> = |1>)
    trace_row = np.eye(D).reshape(1, -1, order="F")
    amp = math.sqrt(flux)

    def liou(h: Any, jj: list) -> np.ndarray:  # column stacking, as the Lindblad engine
        return liouvillian(Model(hamiltonian=h, jumps=jj, dims=dims)).toarray()

    l_fixed, l_num, l_drive = liou(h_fixed, jumps), liou(-sum(num), []), liou(drive, [])
    if flux == 0:
        rhs = np.concatenate([-l_drive @ ground.reshape(-1, order="F"), [0.0]])
    else:
        l_fixed = l_fixed + amp * l_drive
        rhs = np.concatenate([np.zeros(D * D), [1.0]])
    ts, rs = np.empty(x.size, complex), np.empty(x.size, complex)
    for i, dp in enumerate(x):
        a = np.vstack([l_fixed + dp * l_num, trace_row])
        sv = np.linalg.svd(a, compute_uv=False)
        if sv[-1] <= 1e-12 * sv[0]:
            raise NonUniqueSteadyStateError(
                f"probe_spectrum: the stationary state at detuning {dp:g} is not unique (a mode has neither "
                "decay nor drive); add loss or dephasing"
            )
        sol, *_ = np.linalg.lstsq(a, rhs, rcond=None)
        resid = float(np.linalg.norm(a @ sol - rhs))
        if resid > 1e-8 * max(1.0, float(np.linalg.norm(rhs))):
            raise ConvergenceError(f"probe_spectrum: no stationary response at detuning {dp:g} (residual {resid:.2e})")
        rho = sol.reshape(D, D, order="F")
        sexp = np.array([np.trace(sj @ rho) for sj in s]) / (amp if flux > 0 else 1.0)
        ts[i] = 1.0 - 1j * np.sum(cr * sexp)
        rs[i] = -1j * np.sum(cl * sexp)
    return ProbeSpectrum(detuning=x, transmission=ts, reflection=rs, flux=flux, coupling_right=cr, coupling_left=cl)
