r"""The freeze: drive the two atoms into the dark state, then retune to the decay-free point.

After the drive the qubit frequency is tuned so that the phase between neighbouring coupling
points is :math:`\varphi = \pi`; for the sequential layout (``a a b b``) the waveguide decay
matrix, the exchange and the Lamb-shift difference all vanish there (Kockum, Johansson, Nori,
PRL 120, 140404 (2018)), and only the intrinsic :math:`T_1`, :math:`T_2` loss remains (Almanakly
et al. 2026).  Two implementations:

* :func:`freeze_protocol`: two static evolutions chained at the freeze (or the hold alone from
  the drive's steady state);
* :func:`freeze_model` / :func:`run_freeze`: one time-dependent
  :class:`~opentangle.lindblad.Model` whose drive, waveguide decay and exchange are switched by
  :class:`~opentangle.lindblad.Pulse` schedules at :math:`t_f`, propagated exactly (one matrix
  exponential per constant segment).

With :math:`\Gamma' = 1/T_1` and :math:`2/T_2 = \Gamma' + 2\gamma_\phi`, after the freeze
(:math:`\tau = t - t_f`, populations :math:`p_1 = \rho_{eg,eg} + \rho_{ge,ge}`, :math:`p_{ee}` at
:math:`t_f`)

.. math::

    F_S(\tau) = \tfrac12\big[(p_1 + 2p_{ee})e^{-\Gamma'\tau} - 2p_{ee}e^{-2\Gamma'\tau}\big]
                - \mathrm{Re}\,\rho_{eg,ge}\,e^{-2\tau/T_2},

which for a pure singlet-like dark state is :math:`F_0(e^{-\tau/T_1} + e^{-2\tau/T_2})/2`
(:func:`frozen_fidelity`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from opentangle._convert import check_int, check_nonnegative
from opentangle.errors import InvalidParameterError
from opentangle.lindblad import Jump, Model, Pulse, evolve, steady_state
from opentangle.measures import bell_fidelity
from opentangle.studies.waveguide.geometry import giant_atom_coefficients
from opentangle.studies.waveguide.model import (
    DIMS,
    WaveguideParams,
    build_model,
    hamiltonian,
    local_jumps,
    singlet_state,
    waveguide_jumps,
)
from opentangle.studies.waveguide.solve import hermitize, state_measures

__all__ = [
    "FreezeResult",
    "freeze_model",
    "freeze_protocol",
    "frozen_fidelity",
    "frozen_lifetime",
    "ground_state",
    "hold_parameters",
    "run_freeze",
]


def ground_state() -> np.ndarray:
    """``|gg><gg|`` (``|g> = |1>``)."""
    gg = np.zeros((4, 4), dtype=complex)
    gg[3, 3] = 1.0
    return gg


def hold_parameters(drive: WaveguideParams, hold: Mapping[str, float] | None = None) -> WaveguideParams:
    """The frozen point: the sequential layout at ``phi = pi`` with the drive off, the drive's T1/T2 loss kept.

    ``hold`` overrides fields (e.g. ``{"g": 0.3}``).
    """
    frozen = giant_atom_coefficients("sequential", phase=math.pi).as_waveguide_parameters()
    values = {
        "omega": 0.0,
        "delta": frozen["lamb_detuning"],
        "gamma1": frozen["gamma1"],
        "gamma2": frozen["gamma2"],
        "gamma12": frozen["gamma12"],
        "g": frozen["g"],
    }
    values = {k: (0.0 if abs(v) < 1e-12 else v) for k, v in values.items()}
    values.update(gamma_loss=drive.gamma_loss, gamma_phi=drive.gamma_phi)
    values.update(dict(hold or {}))
    return WaveguideParams.from_mapping(values, what="hold").validate()


@dataclass(frozen=True)
class FreezeResult:
    """Fidelity against time: drive (``t < t_freeze``), then frozen evolution.

    ``path`` says how it was computed: ``"chained static"`` (:func:`freeze_protocol`) or the
    :func:`~opentangle.lindblad.evolve` path of the one time-dependent model (:func:`run_freeze`).
    """

    times: np.ndarray
    singlet_fidelity: np.ndarray
    bell_fidelity: np.ndarray
    concurrence: np.ndarray
    t_freeze: float
    drive: dict[str, float]
    hold: dict[str, float]
    states: np.ndarray | None = None
    path: str = "chained static"

    def fidelity_at_freeze(self) -> float:
        return float(np.interp(self.t_freeze, self.times, self.singlet_fidelity))

    def __repr__(self) -> str:
        return (
            f"FreezeResult(F_S(freeze)={self.fidelity_at_freeze():.4f}, F_S(end)={self.singlet_fidelity[-1]:.4f}, "
            f"C(end)={self.concurrence[-1]:.4f}, t_freeze={self.t_freeze:.4g}, t_end={self.times[-1]:.4g}, "
            f"path={self.path!r})"
        )


def freeze_protocol(
    drive: WaveguideParams,
    *,
    hold: Mapping[str, float] | None = None,
    t_drive: float | None = None,
    t_hold: float,
    steps: int = 201,
) -> FreezeResult:
    """Drive, then freeze: two static evolutions chained at the freeze.

    ``drive`` holds the model parameters of the pumping stage; the hold is
    :func:`hold_parameters` (``hold`` overrides fields).  With ``t_drive=None`` the hold starts
    from the drive's steady state (the drive has been on "until stable") and times run from the
    freeze; otherwise the system starts in ``|gg>`` at ``t = 0`` and is driven for ``t_drive``.
    """
    pd = drive.validate()
    ph = hold_parameters(pd, hold)
    t_hold = check_nonnegative(t_hold, "t_hold")
    steps = max(check_int(steps, "steps"), 2)
    if t_drive is None:
        rho0 = hermitize(np.asarray(steady_state(build_model(pd)).rho))
        t_freeze = 0.0
        times_d, states_d = np.zeros(0), np.zeros((0, 4, 4), dtype=complex)
    else:
        t_freeze = check_nonnegative(t_drive, "t_drive")
        times_d = np.linspace(0.0, t_freeze, steps)
        states_d = np.asarray(evolve(build_model(pd), ground_state(), times_d.tolist()).states)
        rho0 = states_d[-1]
        times_d, states_d = times_d[:-1], states_d[:-1]
    times_h = np.linspace(0.0, t_hold, steps)
    states_h = np.asarray(evolve(build_model(ph), rho0, times_h.tolist()).states)
    states = hermitize(np.concatenate([states_d, states_h]))
    m = state_measures(states)
    return FreezeResult(
        times=np.concatenate([times_d, t_freeze + times_h]),
        singlet_fidelity=m["singlet_fidelity"],
        bell_fidelity=m["bell_fidelity"],
        concurrence=m["concurrence"],
        t_freeze=t_freeze,
        drive=pd.as_dict(),
        hold=ph.as_dict(),
        states=states,
    )


def _switched(jumps: list[Jump], before: bool, t_freeze: float) -> list[Jump]:
    """The jumps with their rate on before the freeze (``before``) or from it on."""
    return [
        Jump(
            j.op,
            Pulse([0.0, t_freeze], [j.rate], outside=0.0) if before else Pulse([0.0, t_freeze], [0.0], outside=j.rate),
        )
        for j in jumps
    ]


def freeze_model(drive: WaveguideParams, hold: WaveguideParams, *, t_freeze: float) -> Model:
    r"""One time-dependent model: ``drive`` on :math:`[0, t_f)`, ``hold`` from :math:`t_f` on.

    :math:`H(t) = \theta(t_f - t) H_d + \theta(t - t_f) H_h`; the waveguide decay of each stage is
    switched the same way (its eigen-jumps with :class:`~opentangle.lindblad.Pulse` rates), and so
    are the T1/T2 jumps when their rates differ between the stages (else they stay static).
    Every coefficient is a Pulse, so :func:`~opentangle.lindblad.evolve` propagates it exactly.
    """
    pd, ph = drive.validate(), hold.validate()
    t_f = check_nonnegative(t_freeze, "t_freeze")
    if t_f == 0:
        raise InvalidParameterError("t_freeze must be > 0 (the drive needs time to pump the dark state)")
    on, off = Pulse([0.0, t_f], [1.0]), Pulse([0.0, t_f], [0.0], outside=1.0)
    h_terms = [[hamiltonian(p), pulse] for p, pulse in ((pd, on), (ph, off)) if np.any(hamiltonian(p))]
    jumps = _switched(waveguide_jumps(pd), True, t_f) + _switched(waveguide_jumps(ph), False, t_f)
    same_local = (pd.gamma_loss, pd.gamma_phi) == (ph.gamma_loss, ph.gamma_phi)
    if same_local:
        jumps += local_jumps(pd)
    else:
        jumps += _switched(local_jumps(pd), True, t_f) + _switched(local_jumps(ph), False, t_f)
    return Model(hamiltonian=h_terms or None, jumps=jumps, dims=DIMS)


def run_freeze(
    drive: WaveguideParams,
    *,
    hold: Mapping[str, float] | None = None,
    t_drive: float,
    t_hold: float,
    steps: int = 201,
    method: str = "exact",
    store_states: bool = False,
) -> FreezeResult:
    """The freeze as one protocol: start in ``|gg>``, drive for ``t_drive``, hold for ``t_hold``.

    One :func:`freeze_model` integrated by :func:`~opentangle.lindblad.evolve` (``method``
    ``"exact"`` or ``"adaptive"``) on ``steps`` times per stage, the freeze time included; the
    singlet fidelity comes from ``e_ops`` and the concurrence and Bell fidelity are evaluated on
    the fly (``measures``).

    Example
    -------
    >>> r = run_freeze(WaveguideParams(omega=1.0, delta=0.8), t_drive=60.0, t_hold=5.0, steps=31)
    >>> round(r.fidelity_at_freeze(), 3), r.path
    (0.758, 'time-dependent exact')
    """
    pd = drive.validate()
    ph = hold_parameters(pd, hold)
    t_d, t_h = check_nonnegative(t_drive, "t_drive"), check_nonnegative(t_hold, "t_hold")
    steps = max(check_int(steps, "steps"), 2)
    times = np.concatenate([np.linspace(0.0, t_d, steps), t_d + np.linspace(0.0, t_h, steps)[1:]])
    model = freeze_model(pd, ph, t_freeze=t_d)
    v = singlet_state()
    ev = evolve(
        model,
        ground_state(),
        times.tolist(),
        method=method,
        store_states=store_states,
        e_ops={"singlet_fidelity": np.outer(v, v.conj())},
        measures={"concurrence": "concurrence", "bell_fidelity": lambda r: float(bell_fidelity(r))},
    )
    return FreezeResult(
        times=times,
        singlet_fidelity=np.asarray(ev.expect_named["singlet_fidelity"]),
        bell_fidelity=np.asarray(ev.measures["bell_fidelity"]),
        concurrence=np.asarray(ev.measures["concurrence"]),
        t_freeze=t_d,
        drive=pd.as_dict(),
        hold=ph.as_dict(),
        states=None if ev.states is None else np.asarray(ev.states),
        path=f"{ev.path} {ev.method}",
    )


def frozen_fidelity(rho_freeze: np.ndarray, tau: Any, *, t1: float, t2: float) -> np.ndarray:
    """The closed form of the module docstring: singlet fidelity a time ``tau`` after a freeze from ``rho_freeze``."""
    rho = np.asarray(rho_freeze)
    gl, tau = 1.0 / check_nonnegative(t1, "t1"), np.asarray(tau, dtype=float)
    p1, pee = rho[1, 1].real + rho[2, 2].real, rho[0, 0].real
    pop = (p1 + 2 * pee) * np.exp(-gl * tau) - 2 * pee * np.exp(-2 * gl * tau)
    return pop / 2 - rho[1, 2].real * np.exp(-2 * tau / check_nonnegative(t2, "t2"))


def frozen_lifetime(times: np.ndarray, fidelity: np.ndarray) -> float:
    """The first time at which ``fidelity`` falls to ``fidelity[0]/e`` (linear interpolation; NaN if never)."""
    f = np.asarray(fidelity, dtype=float)
    target = f[0] / math.e
    below = np.nonzero(f <= target)[0]
    if not below.size:
        return float("nan")
    i = int(below[0])
    if i == 0:
        return float(times[0])
    return float(times[i - 1] + (target - f[i - 1]) * (times[i] - times[i - 1]) / (f[i] - f[i - 1]))
