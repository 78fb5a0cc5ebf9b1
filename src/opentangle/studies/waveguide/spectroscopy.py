r"""Probe spectroscopy of giant atoms in a waveguide: transmission and reflection of a coherent probe.

Input-output theory in the Markov limit (Frisk Kockum, Delsing, Johansson, PRA 90, 013837 (2014)),
with the atoms' master equation of :func:`~opentangle.studies.waveguide.geometry.giant_atom_coefficients`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._convert import check_nonnegative
from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.studies.waveguide.geometry import giant_atom_coefficients, layout_positions, per_point_rates

__all__ = ["ProbeSpectrum", "probe_spectrum"]


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
        return (
            f"ProbeSpectrum(points={self.detuning.size}, flux={self.flux:g}, min T={self.T.min():.4g}, "
            f"max R={self.R.max():.4g}, fwhm={self.fwhm():.4g})"
        )


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
    if isinstance(positions, str):
        positions = layout_positions(positions)
    coef = giant_atom_coefficients(positions, phase=phase, gamma=gamma)
    pos = [np.asarray(p, dtype=float).ravel() for p in positions]
    n = len(pos)
    if n > 4:
        raise DimensionError(f"probe_spectrum handles up to 4 atoms (dimension 2^n); got {n}")
    x = np.atleast_1d(np.asarray(detunings, dtype=float))
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise InvalidParameterError("detunings must be a finite 1-d array")
    d_atoms = np.zeros(n) if atom_detunings is None else np.asarray(atom_detunings, dtype=float).reshape(n)
    loss, dephasing, flux = (
        check_nonnegative(v, k) for v, k in ((loss, "loss"), (dephasing, "dephasing"), (flux, "flux"))
    )
    cr, cl = _probe_couplings(pos, per_point_rates(gamma, pos), coef.phase)
    s, l_fixed, l_num, l_drive = _probe_liouvillians(coef, d_atoms, cl, loss, dephasing)
    ts, rs = _responses(s, l_fixed, l_num, l_drive, x, cr, cl, flux)
    return ProbeSpectrum(detuning=x, transmission=ts, reflection=rs, flux=flux, coupling_right=cr, coupling_left=cl)


def _probe_liouvillians(
    coef: Any, d_atoms: np.ndarray, cl: np.ndarray, loss: float, dephasing: float
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Lowering operators and the dense Liouvillians: fixed part, ``-sum n_j`` (probe frame), drive per unit alpha."""
    from opentangle.lindblad import Jump, Model, correlated_decay, liouvillian
    from opentangle.lindblad import dephasing as dephasing_jumps
    from opentangle.operators import embed, sigma_minus

    n = coef.gamma_matrix.shape[0]
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

    def liou(h: Any, jj: list) -> np.ndarray:  # column stacking, as the Lindblad engine
        return liouvillian(Model(hamiltonian=h, jumps=jj, dims=dims)).toarray()

    return s, liou(h_fixed, jumps), liou(-sum(num), []), liou(drive, [])


def _responses(
    s: list[np.ndarray],
    l_fixed: np.ndarray,
    l_num: np.ndarray,
    l_drive: np.ndarray,
    x: np.ndarray,
    cr: np.ndarray,
    cl: np.ndarray,
    flux: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``t`` and ``r`` at every detuning: linear response (``flux = 0``) or the driven steady state."""
    from opentangle.errors import ConvergenceError, NonUniqueSteadyStateError

    D = s[0].shape[0]
    ground = np.zeros((D, D), dtype=complex)
    ground[-1, -1] = 1.0  # |g...g> (|g> = |1>)
    trace_row = np.eye(D).reshape(1, -1, order="F")
    amp = math.sqrt(flux)
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
    return ts, rs
