r"""The M = 3 repeater chain: entanglement swapping through a middle ensemble, with dephasing and target fidelity.

Protocol (Pyrkov & Byrnes; Pyrkov, Lazarev, Byrnes; validated at large N by Li, ..., Byrnes,
arXiv:2603.06085 (2026)).  Three x-coherent ensembles evolve under ``H = n_1 n_2 - n_2 n_3``
for a time ``t`` (default the magic time ``2 pi / L``), with collective S^z dephasing
``gamma`` on every ensemble during the interaction; the middle one is rotated by
:math:`e^{i\phi n^a}`, :math:`\phi = \pi/(2L)`, and measured in the S^x basis (outcome q).

**Conditional state.** With :math:`F_q(\alpha) = \langle q^{(x)}|\chi_\alpha\rangle`
(:func:`opentangle.spins.sx_outcome_amplitudes`) the noiseless end-to-end amplitudes are
:math:`\Psi_q(k_1,k_3) = c_{k_1}c_{k_3}e^{-iNt(k_1-k_3)/2}F_q(t(k_1-k_3)+\phi)` (the factor
:math:`e^{-iNt(k_1-k_3)/2}` is the outcome-independent local phase).  Dephasing multiplies the
three-ensemble density matrix by :math:`e^{-2\gamma t\sum_j (k_j-k_j')^2}` (exact: it commutes
with H), so the conditional end state is

.. math:: \rho_q = \sum c_{k_1}c_{k_3}c_{k_1'}c_{k_3'}\,K_q(d,d')\,
          D(k_1-k_1')D(k_3-k_3')\,|k_1k_3\rangle\langle k_1'k_3'| ,\qquad
          K_q(d,d') = \sum_{k_2,k_2'} h_q(k_2,d)D(k_2-k_2')h_q^*(k_2',d')

with :math:`d = k_1-k_3`, :math:`D(\Delta)=e^{-2\gamma t\Delta^2}` and
:math:`h_q(k_2,d)=\langle q^{(x)}|k_2\rangle c_{k_2}e^{ik_2(td+\phi)}`.

**Target and correction.** The ideal target is the state the direct interaction
``H = n_1 n_3`` of the two end ensembles produces in the same time,
:math:`T(k_1,k_3)=c_{k_1}c_{k_3}e^{ik_1k_3t}` (E = log2 L at the magic time).  The
outcome-dependent correction is the local unitary :math:`U_1^q\otimes U_3^q` that maps the
noiseless :math:`\Psi_q` closest to T: with the Schmidt forms :math:`\Psi_q = A\Sigma_\Psi B^T`,
:math:`T = C\Sigma_T D^T` (sorted), :math:`U_1^q = CA^\dagger`, :math:`U_3^q = \bar D B^\dagger{}^T`
attain the maximum over all local unitaries,
:math:`F_q = (\sum_i\sigma^\Psi_i\sigma^T_i)^2` (Vidal, Jonathan, Nielsen, PRA 62, 012304 (2000)).
The same (outcome-dependent, noise-independent) correction is applied to the dephased state:
:math:`F_q(\gamma) = \langle T_q'|\rho_q|T_q'\rangle/p_q` with the pre-image
:math:`T_q' = (U^q)^\dagger T = A\Sigma_TB^T`.

**Methods.** ``window``: both end ensembles on their Fock window (``W`` states), exact;
``O(N W^2)`` per outcome without dephasing and ``O(W^4)`` per outcome with it (capped at
``max_dephased_window``).  ``magic`` (``gamma = 0``, ``t = 2 pi / L``, any N up to 10^7):
at the magic time :math:`|\chi_{tm}\rangle` depends on ``m mod L`` only, so
:math:`\Psi_q = \sum_{r<L} G_q(r)\,|\chi_{2\pi r/L}\rangle|\chi_{-2\pi r/L}\rangle` and
:math:`T = \sum_r |R_r\rangle|\chi_{2\pi r/L}\rangle` have Schmidt rank ``<= L``; their
spectra follow from ``L x L`` Gram matrices :math:`((1+e^{i\Delta})/2)^N` in closed form,
with :math:`G_q(r) = L^{-1}\sum_s e^{-2\pi irs/L}F_q(\phi+2\pi s/L)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from opentangle._convert import check_nonnegative, check_real
from opentangle.errors import DimensionError, InvalidParameterError
from opentangle.spins import (
    FockWindow,
    binomial_amplitudes,
    coherent_overlap,
    fock_window,
    pure_state_matrix,
    spectrum_entropy,
    sx_outcome_amplitudes,
)
from opentangle.spins.fock import check_n_atoms, reduce_mod_2pi

__all__ = [
    "MAX_DEPHASED_WINDOW",
    "RepeaterResult",
    "RepeaterStates",
    "correction_is_unique",
    "repeater_m3",
    "repeater_states",
]

#: largest end-ensemble window for the dephased fidelity (a W^2 x W^2 form per outcome: 85 MB at W = 48)
MAX_DEPHASED_WINDOW = 48


@dataclass(frozen=True)
class RepeaterResult:
    """Outcome-resolved end-to-end state of the M = 3 chain.

    ``outcomes[i]`` is the S^x outcome q of the middle ensemble, ``probabilities[i]``
    its probability; ``entropies[i]`` the entanglement (bits) of the end-to-end state
    (pure only: ``nan`` when ``gamma > 0``); ``fidelities[i]`` the fidelity of the
    corrected end-to-end state to the target :math:`c_{k_1}c_{k_3}e^{ik_1k_3t}`;
    ``fidelities_uncorrected[i]`` the same with only the outcome-independent phase
    (``nan`` on the ``magic`` path).  ``unique[i]`` says whether the optimal correction is unique
    (:func:`correction_is_unique`); where it is not, the dephased fidelity is that of numpy's
    SVD choice (the pure fidelity is unique in any case).  ``total_probability`` sums all N + 1 outcomes.
    """

    n_atoms: int
    t: float
    phi: float
    gamma: float
    outcomes: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    entropies: np.ndarray = field(repr=False)
    fidelities: np.ndarray = field(repr=False)
    fidelities_uncorrected: np.ndarray = field(repr=False)
    unique: np.ndarray = field(repr=False)
    total_probability: float
    target_entropy: float
    method: str
    window: FockWindow | None = None

    @property
    def mean_entropy(self) -> float:
        """Outcome-averaged end-to-end entropy (bits); ``nan`` when ``gamma > 0``."""
        return float(np.sum(self.probabilities * self.entropies) / np.sum(self.probabilities))

    @property
    def mean_fidelity(self) -> float:
        """Outcome-averaged fidelity of the corrected state to the target."""
        return float(np.sum(self.probabilities * self.fidelities) / np.sum(self.probabilities))

    @property
    def mean_fidelity_uncorrected(self) -> float:
        return float(np.sum(self.probabilities * self.fidelities_uncorrected) / np.sum(self.probabilities))

    def __repr__(self) -> str:
        return (
            f"RepeaterResult(N={self.n_atoms}, t={self.t:.6g}, gamma={self.gamma:g}, method={self.method!r}, "
            f"outcomes={self.outcomes.size}, mean_entropy={self.mean_entropy:.6f} bits, "
            f"mean_fidelity={self.mean_fidelity:.6f}, total_probability={self.total_probability:.12f})"
        )


@dataclass(frozen=True)
class RepeaterStates:
    """Noiseless conditional states on the window (small N): ``psi[i]`` (normalised, outcome-independent
    phase applied), ``corrected[i] = U_1 psi U_3^T``, ``preimage[i] = U^dagger T`` and the target."""

    outcomes: np.ndarray
    probabilities: np.ndarray
    psi: np.ndarray = field(repr=False)
    corrected: np.ndarray = field(repr=False)
    preimage: np.ndarray = field(repr=False)
    target: np.ndarray = field(repr=False)
    window: FockWindow


def _check(n_atoms: object, L: object, t: object, gamma: object) -> tuple[int, int, float, float]:
    n = check_n_atoms(n_atoms)
    if isinstance(L, bool) or not isinstance(L, (int, np.integer, float)) or int(L) != L or L < 1:
        raise InvalidParameterError(f"L must be a positive integer; got {L!r}")
    tt = 2 * math.pi / int(L) if t is None else check_real(t, "t")
    g = check_nonnegative(gamma, "gamma")
    if g > 0 and tt < 0:
        raise InvalidParameterError(f"t must be >= 0 when gamma > 0 (dephasing only runs forward); got {tt}")
    return n, int(L), float(tt), float(g)


def _azimuths(win: FockWindow, t: float) -> np.ndarray:
    """``t (k1 - k3) mod 4 pi`` on the window (k1 - k3 is an integer: reducing t mod 4 pi first is exact)."""
    k = win.k.astype(float)
    return np.remainder(reduce_mod_2pi(t, multiple=2) * (k[:, None] - k[None, :]), 4 * np.pi)


def _conditional(n: int, c: np.ndarray, az: np.ndarray, phi: float, q: int) -> np.ndarray:
    """Unnormalised noiseless ``Psi_q(k1, k3)`` with the outcome-independent phase ``e^{-iN t (k1-k3)/2}``."""
    return np.outer(c, c) * sx_outcome_amplitudes(n, np.array(q), az + phi) * np.exp(-0.5j * n * az)


def correction_is_unique(s_psi: np.ndarray, s_target: np.ndarray, *, tol: float = 1e-9) -> bool:
    """Whether the pre-image ``A Sigma_T B^T`` is unique: ``Sigma_T`` is constant on every degenerate cluster of
    ``Sigma_Psi`` and zero where ``Sigma_Psi`` is (there the two Schmidt vectors' phases are free).
    The pure fidelity is unique in any case.

    >>> correction_is_unique(np.array([0.8, 0.6, 0.0]), np.array([0.7, 0.7, 0.0]))
    True
    >>> correction_is_unique(np.array([1.0, 0.0, 0.0]), np.array([0.7, 0.7, 0.0]))
    False
    """
    start = 0
    for i in range(1, s_psi.size + 1):
        if i == s_psi.size or s_psi[i - 1] - s_psi[i] > tol:
            block = s_target[start:i]
            if np.ptp(block) > tol or (s_psi[i - 1] <= tol and block.max() > tol):
                return False
            start = i
    return True


def _optimal_correction(
    psi: np.ndarray,
    tsvd: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """``(F, s_psi, corrected, preimage)``: the best local unitary maps psi closest to the target (SVD ``tsvd``)."""
    a, s, vh = np.linalg.svd(psi)
    ct, st, dh = tsvd
    fid = float(np.sum(s * st) ** 2)
    return min(fid, 1.0), s, (ct * s) @ dh, (a * st) @ vh


def _unique(psi_s: np.ndarray, tsvd: tuple[np.ndarray, np.ndarray, np.ndarray]) -> bool:
    return correction_is_unique(psi_s, tsvd[1])


def _outcome_table(n: int) -> np.ndarray:
    """``g_q(k) = <q^x|k> c_k`` for all q, k in 0..N (FFT of ``F_q`` on the ``N + 1`` azimuths ``2 pi j/(N+1)``)."""
    m = n + 1
    alphas = 2 * np.pi * np.arange(m) / m
    amps = sx_outcome_amplitudes(n, np.arange(m)[:, None], alphas[None, :])
    return np.fft.fft(amps, axis=1) / m


def _kernel(g: np.ndarray, n: int, t: float, phi: float, dvals: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """``K_q(d, d') = sum h(k2, d) D(k2 - k2') h*(k2', d')`` for one outcome (rows of ``g``: k2 = 0..N)."""
    k2 = np.arange(n + 1, dtype=float)
    tt = reduce_mod_2pi(t)
    h = (g * np.exp(1j * phi * k2))[:, None] * np.exp(1j * np.remainder(np.outer(k2, dvals) * tt, 2 * np.pi))
    return h.T @ d2 @ h.conj()


def _dephased_forms(xs: np.ndarray, kern: np.ndarray, dd: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``x^T [K(k1-k3, k1'-k3') D(k1-k1') D(k3-k3')] conj(x)`` for each row x of ``xs`` (rows ``k1 * W + k3``)."""
    form = kern[np.ix_(idx, idx)]
    form *= dd
    return np.real(np.sum((xs @ form) * xs.conj(), axis=1))


def _damping(win: FockWindow, n: int, t: float, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """``exp(-2 gamma t (k - k')^2)`` on the end window and on the full middle range 0..N."""

    def gauss(k: np.ndarray) -> np.ndarray:
        d = (k[:, None] - k[None, :]).astype(float)
        return np.exp(-2.0 * gamma * t * d**2)

    return gauss(win.k), gauss(np.arange(n + 1))


def _window_path(
    n: int,
    L: int,
    t: float,
    gamma: float,
    *,
    tol: float,
    min_probability: float,
    max_window: int,
    max_dephased_window: int,
) -> RepeaterResult:
    phi = math.pi / (2 * L)
    win = fock_window(n, tol=tol)
    cap = max_window if gamma == 0 else min(max_window, max_dephased_window)
    if win.size > cap:
        raise DimensionError(
            f"the repeater needs the {win.size}-state window of N={n} for both ends (> {cap}"
            + (", the dephased cap max_dephased_window" if gamma > 0 else "")
            + "); use a smaller N, "
            + (
                "raise max_dephased_window (cost ~ W^5)"
                if gamma > 0
                else "method='magic' at t = 2 pi / L, or raise max_window"
            )
        )
    c = binomial_amplitudes(n, win.k)
    c = c / np.linalg.norm(c)
    az = _azimuths(win, t)
    target = pure_state_matrix(n, t, window=win)
    tsvd = np.linalg.svd(target)
    tent = spectrum_entropy(tsvd[1] ** 2)
    if gamma > 0:
        table = _outcome_table(n)
        d1, d2 = _damping(win, n, t, gamma)
        w = win.size
        dvals = np.arange(-(w - 1), w, dtype=float)
        corr = np.exp(-0.5j * n * az)
        dd = np.kron(d1, d1)
        idx = (np.arange(w)[:, None] - np.arange(w)[None, :] + (w - 1)).ravel()
    rows = []
    for q in range(n + 1):
        psi = _conditional(n, c, az, phi, q)
        p = float(np.sum(np.abs(psi) ** 2))
        if p <= min_probability:
            rows.append((q, p, np.nan, np.nan, np.nan, 0.0))
            continue
        psi = psi / math.sqrt(p)
        fid, s, _, pre = _optimal_correction(psi, tsvd)
        raw = float(abs(np.vdot(target, psi)) ** 2)
        ent = spectrum_entropy(s**2 / np.sum(s**2))
        if gamma > 0:
            kern = _kernel(table[q], n, t, phi, dvals, d2)
            p = float(np.real(np.sum(np.outer(c, c).ravel() ** 2 * kern[idx, idx])))
            xs = (np.outer(c, c) * corr * np.stack([pre, target]).conj()).reshape(2, -1)
            fid, raw = (_dephased_forms(xs, kern, dd, idx) / p).tolist()
            ent = np.nan
        rows.append((q, p, ent, fid, raw, float(_unique(s, tsvd))))
    arr = np.array(rows, dtype=float)
    keep = arr[:, 1] > min_probability
    return RepeaterResult(
        n_atoms=n,
        t=t,
        phi=phi,
        gamma=gamma,
        outcomes=arr[keep, 0].astype(int),
        probabilities=arr[keep, 1],
        entropies=arr[keep, 2],
        fidelities=arr[keep, 3],
        fidelities_uncorrected=arr[keep, 4],
        unique=arr[keep, 5].astype(bool),
        total_probability=float(arr[:, 1].sum()),
        target_entropy=tent,
        method="window",
        window=win,
    )


def _sqrtm_psd(g: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(g)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.conj().T


def _candidate_outcomes(n: int, alphas: np.ndarray, eps: float) -> np.ndarray:
    """The outcomes q within the Hoeffding bound ``|q - N p| < sqrt(N ln(2/eps)/2)`` of some azimuth's
    S^x distribution ``Bin(N, p = cos^2(alpha/2))``: every other outcome has probability below ``eps``."""
    x = math.sqrt(0.5 * n * math.log(2.0 / eps))
    keep = np.zeros(n + 1, dtype=bool)
    for mean in n * np.cos(alphas / 2) ** 2:
        keep[max(int(mean - x) - 1, 0) : min(int(mean + x) + 2, n + 1)] = True
    return np.flatnonzero(keep)


def _magic_path(n: int, L: int, t: float, *, min_probability: float) -> RepeaterResult:
    phi = math.pi / (2 * L)
    r = np.arange(L)
    gu = coherent_overlap(n, 2 * np.pi * (r[None, :] - r[:, None]) / L)  # <chi_{2pi r/L}|chi_{2pi r'/L}>
    su, sv = _sqrtm_psd(gu), _sqrtm_psd(gu.conj())
    omega = np.exp(-2j * np.pi * np.outer(r, r) / L)
    # target: R_r orthogonal with weights p_r = sum_{k = r mod L} c_k^2 = (1/L) sum_s w^{-rs} <chi_0|chi_{2 pi s/L}>
    pr = np.clip(np.real(omega @ gu[0]) / L, 0.0, None)
    st = np.linalg.svd(np.sqrt(pr)[:, None] * su.T, compute_uv=False)
    st = st / np.linalg.norm(st)
    qs = _candidate_outcomes(n, phi + 2 * np.pi * r / L, min_probability / (10.0 * L * (n + 1)))
    fq = sx_outcome_amplitudes(n, qs[:, None], (phi + 2 * np.pi * r / L)[None, :])
    gq = fq @ omega.T / L  # G_q(r) = (1/L) sum_s w^{-rs} F_q(phi + 2 pi s / L)
    mats = su[None, :, :] * gq[:, None, :] @ sv.T[None, :, :]
    probs = np.real(np.einsum("qij,qij->q", mats, mats.conj()))
    keep = probs > min_probability
    s = np.linalg.svd(mats[keep], compute_uv=False)
    s = s / np.linalg.norm(s, axis=1, keepdims=True)
    fids = np.minimum(np.sum(s * st[None, :], axis=1) ** 2, 1.0)
    lam = s**2
    with np.errstate(divide="ignore", invalid="ignore"):
        ents = np.maximum(-np.sum(np.where(lam > 1e-300, lam * np.log2(lam), 0.0), axis=1), 0.0)
    nan = np.full(ents.shape, np.nan)
    return RepeaterResult(
        n_atoms=n,
        t=t,
        phi=phi,
        gamma=0.0,
        outcomes=qs[keep],
        probabilities=probs[keep],
        entropies=ents,
        fidelities=fids,
        fidelities_uncorrected=nan,
        unique=np.array([correction_is_unique(row, st) for row in s], dtype=bool),
        total_probability=float(probs.sum()),
        target_entropy=spectrum_entropy(st**2),
        method="magic",
    )


def repeater_m3(
    n_atoms: int,
    *,
    L: int,
    t: float | None = None,
    gamma: float = 0.0,
    method: str = "auto",
    tol: float = 1e-10,
    min_probability: float = 1e-14,
    max_window: int = 400,
    max_dephased_window: int = MAX_DEPHASED_WINDOW,
) -> RepeaterResult:
    r"""Entanglement swapping through a middle ensemble, M = 3, with dephasing and the target fidelity.

    See the module docstring for the protocol, the target state
    :math:`c_{k_1}c_{k_3}e^{ik_1k_3t}`, the outcome-dependent correction and the two methods.
    ``method="auto"`` takes ``window`` when the window fits (``max_window``; with
    ``gamma > 0`` also ``max_dephased_window``), else ``magic`` (``gamma = 0`` and
    ``t = 2 pi / L`` only).  Reference: Pyrkov, Lazarev, Byrnes (original proposal, N = 3);
    Li, ..., Byrnes, arXiv:2603.06085 (2026).

    Example (N = 10^4, t = pi: the magic-time method; every outcome is corrected onto the target):

    >>> r = repeater_m3(10**4, L=2)
    >>> r.method, round(r.total_probability, 10), round(r.mean_fidelity, 6), round(r.mean_entropy, 6)
    ('magic', 1.0, 1.0, 1.0)
    """
    n, L, t, gamma = _check(n_atoms, L, t, gamma)
    if method not in ("auto", "window", "magic"):
        raise InvalidParameterError(f"method must be 'auto', 'window' or 'magic'; got {method!r}")
    magic_ok = gamma == 0 and t == 2 * math.pi / L
    if method == "auto":
        size = fock_window(n, tol=tol).size
        fits = size <= (max_window if gamma == 0 else min(max_window, max_dephased_window))
        method = "window" if fits or not magic_ok else "magic"
    if method == "magic":
        if not magic_ok:
            raise InvalidParameterError("method='magic' needs gamma = 0 and t = 2 pi / L (the default t)")
        return _magic_path(n, L, t, min_probability=min_probability)
    return _window_path(
        n,
        L,
        t,
        gamma,
        tol=tol,
        min_probability=min_probability,
        max_window=max_window,
        max_dephased_window=max_dephased_window,
    )


def repeater_states(
    n_atoms: int,
    *,
    L: int,
    t: float | None = None,
    tol: float = 1e-10,
    min_probability: float = 1e-14,
    max_window: int = 64,
) -> RepeaterStates:
    """The noiseless conditional, corrected and pre-image states on the window (for small N and checks).

    >>> st = repeater_states(3, L=2)
    >>> st.psi.shape[1:], round(float(st.probabilities.sum()), 12)
    ((4, 4), 1.0)
    """
    n, L, t, _ = _check(n_atoms, L, t, 0.0)
    win = fock_window(n, tol=tol)
    if win.size > max_window:
        raise DimensionError(
            f"repeater_states keeps every outcome's W x W state; W={win.size} > max_window={max_window}"
        )
    c = binomial_amplitudes(n, win.k)
    c = c / np.linalg.norm(c)
    az, phi = _azimuths(win, t), math.pi / (2 * L)
    target = pure_state_matrix(n, t, window=win)
    tsvd = np.linalg.svd(target)
    out: list[tuple[int, float, np.ndarray, np.ndarray, np.ndarray]] = []
    for q in range(n + 1):
        psi = _conditional(n, c, az, phi, q)
        p = float(np.sum(np.abs(psi) ** 2))
        if p > min_probability:
            psi = psi / math.sqrt(p)
            _, _, cor, pre = _optimal_correction(psi, tsvd)
            out.append((q, p, psi, cor, pre))
    return RepeaterStates(
        outcomes=np.array([o[0] for o in out]),
        probabilities=np.array([o[1] for o in out]),
        psi=np.array([o[2] for o in out]),
        corrected=np.array([o[3] for o in out]),
        preimage=np.array([o[4] for o in out]),
        target=target,
        window=win,
    )
