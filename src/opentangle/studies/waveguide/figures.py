"""Figures and headline numbers of the waveguide study (``opentangle reproduce --study waveguide``).

Units: the waveguide decay rate ``Gamma = gamma1 = gamma2`` is 1 unless stated.  Each function
takes the level's configuration and returns one :class:`~opentangle.studies._study.FigureOutput`.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from opentangle.studies._base import Headline, pyplot
from opentangle.studies._study import FigureOutput, Levels
from opentangle.studies.waveguide.freeze import (
    freeze_protocol,
    frozen_fidelity,
    frozen_lifetime,
    run_freeze,
)
from opentangle.studies.waveguide.geometry import giant_atom_coefficients
from opentangle.studies.waveguide.model import (
    WaveguideParams,
    dark_state_fidelity,
    rates_from_coherence,
)
from opentangle.studies.waveguide.solve import (
    MEASURES,
    READINGS,
    WaveguideOptions,
    compute,
    evaluate_batch,
    experiment_readings,
    optimize_drive,
    relaxation_gap,
)
from opentangle.studies.waveguide.spectroscopy import probe_spectrum

__all__ = [
    "FIGURES",
    "LEVELS",
    "SEED_BELL_FIDELITY",
    "SEED_T2_US",
    "fig_freeze",
    "fig_freeze_protocol",
    "fig_gap",
    "fig_imperfections",
    "fig_kockum",
    "fig_map",
    "fig_region",
    "fig_spectroscopy",
]

LEVELS = Levels(
    #            map  ratios region-grid  c-values  freeze steps  gap points
    quick=dict(nmap=21, nratio=4, nreg=11, ndrive=11, ncorr=1, steps=81, ngap=10, bisect=8, nspec=201),
    default=dict(nmap=41, nratio=7, nreg=41, ndrive=17, ncorr=4, steps=201, ngap=20, bisect=12, nspec=401),
    full=dict(nmap=81, nratio=13, nreg=61, ndrive=25, ncorr=5, steps=401, ngap=40, bisect=16, nspec=801),
)
SEED_T2_US = 29.5  # single-qubit coherence quoted by Almanakly et al. 2026 (us)
SEED_BELL_FIDELITY = 0.89
REF2 = "Kockum et al. PRL 120, 140404 (derived)"
EXPERIMENT = "Almanakly et al., arXiv:2606.13375"
#: figure sweeps run one local start per point; optimize_drive's grid check guards a missed basin
SWEEP_STARTS = 1


def _out(stem: str, ds: Any, fig: Any, heads: list[Headline]) -> FigureOutput:
    fig.tight_layout()
    return FigureOutput(stem, ds, fig, tuple(heads))


def fig_kockum(cfg: dict) -> FigureOutput:
    """The analytic dark state and Kockum's coefficients against the phase, four layouts."""
    import xarray as xr

    f = compute(WaveguideParams(omega=1.0, delta=0.5), WaveguideOptions())["singlet_fidelity"]
    br = giant_atom_coefficients("braided", phase=math.pi / 2)
    heads = [
        Headline.compare("ideal dark state F_S (Omega=1, delta=0.5)", f, 8 / 9, 1e-10, source=REF2),
        Headline.compare("braided, phi=pi/2: Gamma_12/gamma", br.gamma12, 0.0, 1e-12, source="Kockum PRL 120, 140404"),
        Headline.compare("braided, phi=pi/2: g/gamma", br.g, 1.0, 1e-12, source="Kockum PRL 120, 140404"),
    ]
    phis = np.linspace(0, 2 * np.pi, 241)
    layouts = ("small", "sequential", "braided", "nested")
    coef = np.array(
        [
            [[*(c := giant_atom_coefficients(lay, phase=ph)).gamma_matrix.ravel()[[0, 3, 1]], c.g] for ph in phis]
            for lay in layouts
        ]
    )
    ds = xr.Dataset(
        {k: (("layout", "phase"), coef[..., i]) for i, k in enumerate(("gamma1", "gamma2", "gamma12", "g"))},
        coords={"layout": list(layouts), "phase": phis},
        attrs={"units": "per-point rate gamma = 1", "source": "Kockum, Johansson, Nori, PRL 120, 140404 (2018)"},
    )
    fig, axs = pyplot().subplots(1, 4, figsize=(14, 3.2), sharey=True)
    for ax, lay in zip(axs, layouts):
        for k in ("gamma1", "gamma12", "g"):
            ax.plot(phis / np.pi, ds[k].sel(layout=lay), label=k)
        ax.set_title(lay)
        ax.set_xlabel("phase / pi")
    axs[0].legend()
    return _out("waveguide_kockum", ds, fig, heads)


def fig_map(cfg: dict) -> FigureOutput:
    """Singlet fidelity and concurrence on an (Omega, delta) map, ideal correlation, a little loss."""
    import xarray as xr

    loss = 0.002
    om = np.geomspace(0.05, 5, cfg["nmap"])
    de = np.geomspace(0.005, 5, cfg["nmap"])
    oo, dd = np.meshgrid(om, de, indexing="ij")
    m = evaluate_batch({"omega": oo, "delta": dd}, {"gamma_loss": loss})
    ds = xr.Dataset(
        {k: (("omega", "delta"), m[k]) for k in MEASURES},
        coords={"omega": om, "delta": de},
        attrs={"gamma1": 1.0, "gamma2": 1.0, "gamma12": 1.0, "gamma_loss": loss},
    )
    fig, axs = pyplot().subplots(1, 2, figsize=(10, 4))
    for ax, k in zip(axs, ("singlet_fidelity", "concurrence")):
        pc = ax.pcolormesh(de, om, m[k], shading="auto", vmin=0, vmax=1)
        ax.contour(de, om, m["singlet_fidelity"], levels=[SEED_BELL_FIDELITY], colors="w")
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="delta / Gamma",
            ylabel="Omega / Gamma",
            title=f"{k}, Gamma'/Gamma={loss}",
        )
        fig.colorbar(pc, ax=ax)
    heads = [
        Headline(
            label=f"max F_S on the (Omega, delta) map, Gamma'/Gamma={loss}", value=float(m["singlet_fidelity"].max())
        )
    ]
    return _out("waveguide_map", ds, fig, heads)


_KINDS = {
    "loss": lambda e: {"gamma_loss": e},  # Gamma'/Gamma
    "correlation": lambda e: {"gamma12": 1 - e},  # 1 - Gamma12/sqrt(Gamma1 Gamma2)
    "dephasing": lambda e: {"gamma_phi": e},  # gamma_phi/Gamma
}


def fig_imperfections(cfg: dict) -> FigureOutput:
    """Optimal fidelity against the imperfection ratios; the square-root scaling."""
    import xarray as xr

    eps = np.geomspace(1e-4, 1e-1, cfg["nratio"])
    best = {k: [optimize_drive(WaveguideParams(**fn(e)), starts=SWEEP_STARTS) for e in eps] for k, fn in _KINDS.items()}
    ds = xr.Dataset(
        {
            **{f"F_{k}": ("ratio", [b.singlet_fidelity for b in v]) for k, v in best.items()},
            **{f"omega_{k}": ("ratio", [b.omega for b in v]) for k, v in best.items()},
            **{f"delta_{k}": ("ratio", [b.delta for b in v]) for k, v in best.items()},
            **{f"gradient_{k}": ("ratio", [b.projected_gradient_norm for b in v]) for k, v in best.items()},
        },
        coords={"ratio": eps},
        attrs={"note": "ratio = Gamma'/Gamma, 1 - Gamma12/Gamma, or gamma_phi/Gamma; optimum over (Omega, delta)"},
    )
    fig, ax = pyplot().subplots(figsize=(5.5, 4))
    small = eps <= 1e-3 * (1 + 1e-9)
    heads = []
    for k, v in best.items():
        inf = 1 - np.array([b.singlet_fidelity for b in v])
        ax.loglog(eps, inf, "o-", label=k)
        slope = float(np.polyfit(np.log(eps[small]), np.log(inf[small]), 1)[0])
        heads.append(
            Headline.compare(f"infidelity exponent vs {k} ratio (ratio <= 1e-3)", slope, 0.5, 0.05, source=REF2)
        )
        heads.append(
            Headline(label=f"(1 - F_S)/sqrt(ratio) at ratio={eps[0]:.0e}, {k}", value=float(inf[0] / np.sqrt(eps[0])))
        )
    ax.loglog(eps, 2.33 * np.sqrt(eps), "k--", label="2.33 sqrt(ratio)")
    ax.set(xlabel="imperfection ratio", ylabel="1 - max F_S")
    ax.legend()
    return _out("waveguide_imperfections", ds, fig, heads)


def _min_rate_for(target: float, *, corr: float, lo: float = 10.0, hi: float = 1e5, iters: int = 12) -> float:
    """Smallest Gamma*T (T1 = T2 = T) whose optimal F_S reaches ``target`` (bisection in log)."""

    def f(x: float) -> float:
        p = WaveguideParams(gamma12=corr, **rates_from_coherence(t1=x, t2=x))
        return optimize_drive(p, starts=SWEEP_STARTS).singlet_fidelity

    if f(hi) < target:
        return float("inf")
    a, b = math.log(lo), math.log(hi)
    for _ in range(iters):
        m = 0.5 * (a + b)
        if f(math.exp(m)) >= target:
            b = m
        else:
            a = m
    return math.exp(b)


def _grid_optimum_map(x: np.ndarray, ndrive: int) -> np.ndarray:
    """Best F_S over a log (Omega, delta) grid in [0.02, 5] Gamma, for each (Gamma T1, Gamma T2) in ``x`` x ``x``.

    A lower bound on :func:`optimize_drive` (no local refinement), batched per row of T1; NaN where T2 > 2 T1.
    """
    dr = np.geomspace(0.02, 5.0, ndrive)
    oo, dd = np.meshgrid(dr, dr, indexing="ij")
    fmap = np.full((x.size, x.size), np.nan)
    for i, t1 in enumerate(x):
        t2 = x[x <= 2 * t1 * (1 + 1e-12)]
        if not t2.size:
            continue
        loss = np.full(t2.size, 1.0 / t1)
        phi = np.maximum(1.0 / t2 - 0.5 / t1, 0.0)
        m = evaluate_batch(
            {"omega": oo[None], "delta": dd[None], "gamma_loss": loss[:, None, None], "gamma_phi": phi[:, None, None]}
        )
        f = np.where(m["residual"] < 1e-9, m["singlet_fidelity"], 0.0)
        fmap[i, : t2.size] = f.reshape(t2.size, -1).max(axis=1)
    return fmap


def fig_region(cfg: dict) -> FigureOutput:
    """Where F >= 0.89 is reachable: the (Gamma T1, Gamma T2) map and the needed Gamma at T = 29.5 us."""
    import xarray as xr

    x = np.geomspace(30, 1e4, cfg["nreg"])
    fmap = _grid_optimum_map(x, cfg["ndrive"])
    corrs = np.array([1.0, 0.999, 0.998, 0.995, 0.99])[: cfg["ncorr"]]
    need = np.array([_min_rate_for(SEED_BELL_FIDELITY, corr=c, iters=cfg["bisect"]) for c in corrs])
    need_mhz = need / (2 * np.pi * SEED_T2_US)  # Gamma/2pi in MHz for T1 = T2 = 29.5 us
    ds = xr.Dataset(
        {
            "optimal_singlet_fidelity": (("gamma_t1", "gamma_t2"), fmap),
            "min_gamma_t": ("correlation", need),
            "min_gamma_over_2pi_mhz": ("correlation", need_mhz),
        },
        coords={"gamma_t1": x, "gamma_t2": x, "correlation": corrs},
        attrs={
            "target": SEED_BELL_FIDELITY,
            "t2_us": SEED_T2_US,
            "note": "min_gamma_t: T1 = T2 = T, Gamma12/Gamma = correlation",
        },
    )
    fig, axs = pyplot().subplots(1, 2, figsize=(10, 4))
    pc = axs[0].pcolormesh(x, x, fmap.T, shading="auto", vmin=0.5, vmax=1)
    axs[0].contour(x, x, fmap.T, levels=[SEED_BELL_FIDELITY], colors="w")
    axs[0].set(xscale="log", yscale="log", xlabel="Gamma T1", ylabel="Gamma T2", title="optimal F_S (Gamma12 = Gamma)")
    fig.colorbar(pc, ax=axs[0])
    ok = np.isfinite(need_mhz)
    axs[1].semilogy(1e3 * (1 - corrs[ok]), need_mhz[ok], "o-")
    axs[1].set(
        xlabel="1e3 * (1 - Gamma12/Gamma)",
        ylabel="min Gamma/2pi [MHz] for F_S >= 0.89",
        title=f"T1 = T2 = {SEED_T2_US} us",
    )
    heads = [
        Headline(label="min Gamma*T for F_S >= 0.89 (T1 = T2 = T, Gamma12 = Gamma)", value=float(need[0]), source=REF2),
        Headline(
            label="min Gamma/2pi [MHz] for F_S >= 0.89 at T1 = T2 = 29.5 us, Gamma12 = Gamma",
            value=float(need_mhz[0]),
            source="Almanakly et al. 2026 (29.5 us)",
            note="Gamma is the individual waveguide decay rate Gamma_jj",
        ),
    ]
    return _out("waveguide_region", ds, fig, heads)


@functools.lru_cache(maxsize=1)
def physical_drive() -> WaveguideParams:
    """The optimal drive in physical units: time in us, Gamma/2pi = 5 MHz, T1 = T2 = 29.5 us (shared by two figures)."""
    gam = 2 * np.pi * 5.0
    p = WaveguideParams(gamma1=gam, gamma2=gam, gamma12=gam, **rates_from_coherence(t1=SEED_T2_US, t2=SEED_T2_US))
    opt = optimize_drive(p)
    return WaveguideParams(**{**p.as_dict(), "omega": opt.omega, "delta": opt.delta})


def fig_freeze(cfg: dict) -> FigureOutput:
    """The hold after the freeze, from the drive's steady state, against the pure-dark-state approximation."""
    import xarray as xr

    drive = physical_drive()
    res = freeze_protocol(drive, t_drive=None, t_hold=60.0, steps=cfg["steps"])
    f0, t = res.fidelity_at_freeze(), res.times
    analytic = f0 / 2 * (np.exp(-t / SEED_T2_US) + np.exp(-2 * t / SEED_T2_US))  # pure-dark-state approximation
    ds = xr.Dataset(
        {
            "singlet_fidelity": ("time_us", res.singlet_fidelity),
            "bell_fidelity": ("time_us", res.bell_fidelity),
            "concurrence": ("time_us", res.concurrence),
            "approximation": ("time_us", analytic),
        },
        coords={"time_us": t},
        attrs={"gamma_over_2pi_mhz": 5.0, "t1_us": SEED_T2_US, "t2_us": SEED_T2_US, **drive.as_dict()},
    )
    fig, ax = pyplot().subplots(figsize=(5.5, 4))
    ax.plot(t, res.singlet_fidelity, label="F_S")
    ax.plot(t, res.concurrence, label="concurrence")
    ax.plot(t, analytic, "k--", label="F0/2 (e^-t/T1 + e^-2t/T2)")
    ax.axhline(0.5, color="grey", lw=0.5)
    ax.set(xlabel="time after freeze [us]", ylabel="value", title="freeze at phi = pi, T1 = T2 = 29.5 us")
    ax.legend()
    below = t[res.concurrence < 1e-9]
    heads = [
        Headline(label="F_S at freeze (Gamma/2pi = 5 MHz, T1 = T2 = 29.5 us, optimal drive)", value=f0),
        Headline.compare(
            "frozen F_S(t) vs F0/2 (e^-t/T1 + e^-2t/T2), max deviation",
            float(np.max(np.abs(res.singlet_fidelity - analytic))),
            0.0,
            0.01,
            source=REF2,
            note="exact for a pure dark state; small |ee> weight makes it approximate",
        ),
        Headline(
            label="time after freeze until concurrence vanishes [us]",
            value=float(below[0]) if below.size else float("nan"),
        ),
    ]
    return _out("waveguide_freeze", ds, fig, heads)


def fig_freeze_protocol(cfg: dict) -> FigureOutput:
    """The freeze as one time-dependent protocol: drive from |gg> into the dark state, retune, hold."""
    import xarray as xr

    drive = physical_drive()
    t_drive = 10.0 / relaxation_gap(drive)  # ten relaxation times: the dark state is reached
    res = run_freeze(drive, t_drive=t_drive, t_hold=60.0, steps=cfg["steps"], store_states=True)
    static = freeze_protocol(drive, t_drive=t_drive, t_hold=60.0, steps=cfg["steps"])
    i = cfg["steps"] - 1  # index of the freeze
    assert res.states is not None  # store_states=True
    tau = res.times[i:] - t_drive
    exact = frozen_fidelity(res.states[i], tau, t1=SEED_T2_US, t2=SEED_T2_US)
    life, life_exact = frozen_lifetime(tau, res.singlet_fidelity[i:]), frozen_lifetime(tau, exact)
    x = (-1 + math.sqrt(1 + 8 / math.e)) / 2  # pure dark state, T1 = T2 = T: (x + x^2)/2 = 1/e, x = e^{-tau/T}
    ds = xr.Dataset(
        {
            "singlet_fidelity": ("time_us", res.singlet_fidelity),
            "bell_fidelity": ("time_us", res.bell_fidelity),
            "concurrence": ("time_us", res.concurrence),
            "chained_static_singlet_fidelity": ("time_us", static.singlet_fidelity),
        },
        coords={"time_us": res.times},
        attrs={"t_freeze_us": t_drive, "t1_us": SEED_T2_US, "t2_us": SEED_T2_US, "path": res.path, **drive.as_dict()},
    )
    fig, axs = pyplot().subplots(1, 2, figsize=(11, 4))
    for k in ("singlet_fidelity", "bell_fidelity", "concurrence"):
        axs[0].plot(res.times, getattr(res, k), label=k)
    axs[0].axvline(t_drive, color="grey", lw=0.8, ls=":")
    axs[0].set(
        xlabel="time [us] (drive, then freeze at the dotted line)",
        ylabel="value",
        title="one time-dependent model: drive, retune to phi = pi",
    )
    axs[0].legend(fontsize=7)
    axs[1].plot(tau, res.singlet_fidelity[i:], label="F_S, time-dependent run")
    axs[1].plot(tau, exact, "k--", label="closed form (T1, T2)")
    axs[1].plot(tau, res.concurrence[i:], label="concurrence")
    axs[1].set(xlabel="time after freeze [us]", ylabel="value", title="after the freeze, T1 = T2 = 29.5 us")
    axs[1].legend(fontsize=7)
    heads = [
        Headline.compare(
            "freeze protocol: one time-dependent model vs two static runs chained at t_f, max |dF_S|",
            float(np.max(np.abs(res.singlet_fidelity - static.singlet_fidelity))),
            0.0,
            1e-8,
            source="independent paths of evolve (Pulse schedules vs static)",
        ),
        Headline.compare(
            "frozen-state lifetime [us] (F_S to F_S(t_f)/e): time-dependent run vs analytic (T1, T2)",
            life,
            life_exact,
            0.01,
            source=REF2,
            note="closed form from the populations at t_f",
        ),
        Headline.info(
            "frozen-state lifetime of a pure dark state, T1 = T2 = 29.5 us [us]",
            -SEED_T2_US * math.log(x),
            note="F0/2 (e^-t/T1 + e^-2t/T2) = F0/e",
        ),
    ]
    return _out("waveguide_freeze_protocol", ds, fig, heads)


def fig_spectroscopy(cfg: dict) -> FigureOutput:
    """Probe transmission / reflection (linear response and saturation) and the readings of the '8x' linewidth."""
    import xarray as xr

    x = np.linspace(-12, 12, cfg["nspec"])
    heads = _spectrum_checks(x[:: max(1, x.size // 50)])
    loss, fluxes = 0.01, np.array([0.0, 0.5, 2.0, 8.0])  # two sequential giant atoms at phi = 2 pi (Gamma12 = Gamma)
    spec = [probe_spectrum("sequential", phase=2 * np.pi, detunings=x, loss=loss, flux=f) for f in fluxes]
    frz = probe_spectrum("sequential", phase=np.pi, detunings=x, loss=loss)
    one = probe_spectrum([[0.0, 1.0]], phase=2 * np.pi, detunings=x, loss=loss)
    ds = xr.Dataset(
        {
            "T": (("flux", "detuning"), np.array([s.T for s in spec])),
            "R": (("flux", "detuning"), np.array([s.R for s in spec])),
            "T_freeze": ("detuning", frz.T),
            "T_single": ("detuning", one.T),
        },
        coords={"flux": fluxes, "detuning": x},
        attrs={
            "units": "rates and detuning in the per-point rate gamma",
            "loss": loss,
            "layout": "sequential",
            "phase": "2 pi (operating point), pi (freeze)",
        },
    )
    fig, axs = pyplot().subplots(1, 2, figsize=(11, 4))
    for f_, s_ in zip(fluxes, spec):
        axs[0].plot(x, s_.T, label=f"|t|^2, flux {f_:g}" + (" (linear)" if f_ == 0 else ""))
    axs[0].plot(x, spec[0].R, "k--", lw=0.8, label="|r|^2 (linear)")
    axs[0].set(xlabel="probe detuning / gamma", ylabel="power", title="two giant atoms, phi = 2 pi: FWHM 8 gamma")
    axs[0].legend(fontsize=7)
    axs[1].plot(x, one.T, label="one giant atom (FWHM 4 gamma)")
    axs[1].plot(x, spec[0].T, label="two giant atoms (bright mode, 8 gamma)")
    axs[1].plot(x, frz.T, label="two atoms at freeze phi = pi")
    axs[1].set(xlabel="probe detuning / gamma", ylabel="|t|^2", title="linear response, Gamma' = 0.01 gamma")
    axs[1].legend(fontsize=7)
    heads.append(
        Headline.compare(
            "two giant atoms, phi=2pi: transmission FWHM / gamma (bright mode 2 Gamma + Gamma')",
            spec[0].fwhm(),
            8.0 + loss,
            0.02,
            source="analytic: Gamma = 4 gamma per atom, Gamma12 = Gamma",
        )
    )
    heads.append(Headline.info("one giant atom, phi=2pi: FWHM / gamma", one.fwhm(), reference=4.0 + loss))
    return _out("waveguide_spectroscopy", ds, fig, heads + _reading_rows())


def _spectrum_checks(xs: np.ndarray) -> list[Headline]:
    """Closed forms: small atom with loss and dephasing, giant atom with two points, saturating small atom."""
    src = "closed form (input-output theory, Markov limit)"
    lo, dp = 0.3, 0.1
    sm = probe_spectrum([[0.0]], phase=0.0, detunings=xs, loss=lo, dephasing=dp)
    ref = -1.0 / (1.0 + lo + 2 * dp - 2j * xs)
    ph = 1.1
    ga = probe_spectrum([[0.0, 1.0]], phase=ph, detunings=xs)
    gw, gl = 2 * (1 + math.cos(ph)), math.sin(ph)
    errs = []
    for fl in (0.05, 0.5, 2.0):
        sat = probe_spectrum([[0.0]], phase=0.0, detunings=xs, flux=fl)
        errs.append(float(np.max(np.abs(sat.reflection + 0.5 * (0.5 + 1j * xs) / (xs**2 + 0.25 + fl)))))
    return [
        Headline.compare(
            "small atom: max |r - r_Lorentz| (Gamma'=0.3, gamma_phi=0.1)",
            float(np.max(np.abs(sm.reflection - ref))),
            0.0,
            1e-10,
            source=src,
        ),
        Headline.compare(
            "giant atom (2 points, phi=1.1): max |t - t_Lorentz|, width 2g(1+cos phi), shift g sin phi",
            float(np.max(np.abs(ga.transmission - 1 + gw / (gw - 2j * (xs - gl))))),
            0.0,
            1e-10,
            source="Kockum et al., PRA 90, 013837 (2014), Markov limit",
        ),
        Headline.compare(
            "saturating small atom: max |r - r_closed| at flux 0.05, 0.5, 2",
            max(errs),
            0.0,
            1e-10,
            source="resonance fluorescence, elastic part",
        ),
    ]


def _reading_rows() -> list[Headline]:
    """The readings of the published numbers next to the experiment's 0.89 +/- 0.02."""
    rd = experiment_readings(t1_us=SEED_T2_US, t2_us=SEED_T2_US)
    fa, fb = rd["A"]["singlet_fidelity"], rd["B"]["singlet_fidelity"]
    rows = [
        Headline.info(
            "experiment 0.89 +/- 0.02 | model under reading A | reading B (T1 = T2 = 29.5 us)",
            f"0.89 +/- 0.02 | {fa:.3f} | {fb:.3f}",
            source=EXPERIMENT,
            note=f"A: {READINGS['A']} (Gamma/2pi = {rd['A']['gamma_over_2pi_mhz'] * 1e3:.1f} kHz); "
            f"B: {READINGS['B']} (Gamma/2pi = {rd['B']['gamma_over_2pi_mhz'] * 1e3:.1f} kHz); "
            "supremum over the drive, no readout error",
        )
    ]
    for key, fv in (("A", fa), ("B", fb)):
        rows.append(
            Headline.refuted(
                f"reading {key} reproduces F = 0.89 +/- 0.02",
                fv,
                reference=0.89,
                reproduced=bool(fv < 0.87),
                source=EXPERIMENT,
                note=READINGS[key],
            )
        )
    rows.append(
        Headline.info(
            "reading C: the 8x is geometric (FWHM 8 gamma at phi = 2 pi)",
            "consistent",
            note=READINGS["C"] + "; 0.89 then needs the Gamma of the 'min Gamma/2pi' row",
        )
    )
    return rows


def fig_gap(cfg: dict) -> FigureOutput:
    """Relaxation time against the drive: the dark state slows down as Omega/delta grows."""
    import xarray as xr

    ratios = np.geomspace(0.2, 60, cfg["ngap"])
    gaps = np.array([relaxation_gap(WaveguideParams(omega=r * 0.5, delta=0.5)) for r in ratios])
    fs = np.array([dark_state_fidelity(omega=r * 0.5, delta=0.5) for r in ratios])
    ds = xr.Dataset(
        {"gap": ("omega_over_delta", gaps), "singlet_fidelity": ("omega_over_delta", fs)},
        coords={"omega_over_delta": ratios},
        attrs={"delta": 0.5, "gamma": 1.0, "note": "ideal model; gap = slowest Liouvillian relaxation rate"},
    )
    fig, axs = pyplot().subplots(1, 2, figsize=(10, 4))
    axs[0].loglog(ratios, 1 / gaps, label="1/gap (relaxation time)")
    axs[0].loglog(ratios, 1 - fs, label="1 - F_S")
    axs[0].set(xlabel="Omega / delta", ylabel="Gamma^-1 / infidelity")
    axs[0].legend()
    axs[1].loglog(1 / gaps, 1 - fs, "o-")
    axs[1].loglog(1 / gaps, 1.5 * gaps, "k--", label="(1 - F_S) = 3/(2 Gamma t)")
    axs[1].set(xlabel="relaxation time 1/gap [1/Gamma]", ylabel="1 - F_S")
    axs[1].legend()
    heads = [
        Headline.compare(
            "(1 - F_S) * Gamma / gap at Omega/delta = 60 (trade-off constant)",
            float((1 - fs[-1]) / gaps[-1]),
            1.5,
            0.01,
            source="this study (numerical observation)",
            note="gap -> Gamma delta^2 / (3 Omega^2) for Omega >> delta",
        )
    ]
    return _out("waveguide_gap", ds, fig, heads)


#: in the order of the reproduction report (the spectroscopy rows before the gap, as before)
FIGURES = (
    fig_kockum,
    fig_map,
    fig_imperfections,
    fig_region,
    fig_freeze,
    fig_freeze_protocol,
    fig_spectroscopy,
    fig_gap,
)
