r"""Extra figures of the ``reset`` study: the Poisson mean of Fig. 3 and the Heisenberg closed form.

``fig_poisson_means(out_dir, level)`` repeats Fig. 3's Poissonian mixture over N in [2, 6] of the
reduced two-qubit states (Ising, dephasing, g = 5 gamma) for every mean 2..6. The paper does
not state the mean, so the figure shows how much the mixture's negativity depends on it.

``fig_heisenberg(out_dir, level)`` checks the Heisenberg model against its closed form
(derived here; checked symbolically for N = 2 and numerically for N <= 4):

.. math:: \rho_\infty = \rho_1^{\otimes N}, \qquad
          \rho_1 = \tfrac12\Big(1 + \frac{r}{r+\gamma}\,\sigma^x\Big).

The reason is that :math:`H = g\sum_{i<j}\vec\sigma_i\cdot\vec\sigma_j = g\sum_{i<j}(2\,\mathrm{SWAP}_{ij} - 1)`
commutes with every symmetric product state. The product :math:`\rho_1^{\otimes N}` is the
steady state of the single-qubit dissipators (reset to :math:`|+\rangle` at rate r, dephasing
:math:`\tfrac\gamma2 D[\sigma^z]`), so it is the unique steady state for every g.
Hence the Heisenberg reset model never entangles: the negativity is 0 for every g, r and gamma.

Reference: L. Hartmann, W. Dür, H. J. Briegel, PRA 74, 052304 (2006).

Wiring, in ``_reset_figures.reproduce``::

    from opentangle.studies._reset_extra import fig_heisenberg, fig_poisson_means
    for fn in (fig1, fig2, fig3, fig_imperfect, fig_thresholds, fig_poisson_means, fig_heisenberg): ...
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from opentangle.studies._base import Headline, pyplot, save_figure

__all__ = ["heisenberg_steady_state", "poisson_weights_mean", "fig_poisson_means", "fig_heisenberg"]

SOURCE = "Hartmann, Dür, Briegel, PRA 74, 052304 (2006)"
POISSON_RANGE = (2, 6)
MEANS = (2.0, 3.0, 4.0, 5.0, 6.0)


def heisenberg_steady_state(n: int, *, r: float, gamma: float = 1.0) -> np.ndarray:
    r"""Closed-form steady state :math:`\rho_1^{\otimes n}` of the Heisenberg reset model (independent of g).

    Example
    -------
    >>> rho = heisenberg_steady_state(2, r=1.0, gamma=1.0)
    >>> round(float(rho[0, 3].real), 6)   # (r / (r + gamma))^2 / 4
    0.0625
    """
    from opentangle._convert import check_nonnegative
    from opentangle.errors import InvalidParameterError

    r, gamma = check_nonnegative(r, "r"), check_nonnegative(gamma, "gamma")
    if r + gamma <= 0:
        raise InvalidParameterError("r + gamma must be > 0 (otherwise the steady state is not unique)")
    if int(n) != n or n < 1:
        raise InvalidParameterError(f"n must be a positive integer; got {n!r}")
    a = r / (r + gamma)
    rho1 = 0.5 * np.array([[1.0, a], [a, 1.0]], dtype=complex)
    out = np.ones((1, 1), dtype=complex)
    for _ in range(int(n)):
        out = np.kron(out, rho1)
    return out


def poisson_weights_mean(mean: float, lo: int = POISSON_RANGE[0], hi: int = POISSON_RANGE[1]) -> np.ndarray:
    """Poisson weights ``mean^N / N!`` on ``lo <= N <= hi``, renormalised (log space)."""
    from scipy.special import gammaln

    ns = np.arange(lo, hi + 1)
    logw = ns * np.log(mean) - gammaln(ns + 1.0)
    w = np.exp(logw - logw.max())
    return w / w.sum()


def _pair_states(r: np.ndarray) -> dict[int, np.ndarray]:
    """Reduced two-qubit steady states for N in POISSON_RANGE (Ising, dephasing, g = 5 gamma), as in Fig. 3."""
    from opentangle.studies import reset as R

    pairs = {}
    for n in range(POISSON_RANGE[0], POISSON_RANGE[1] + 1):
        if n == 2:
            pairs[n] = R.steady_states_grid(n=2, g=5.0, r=r, gamma=1.0)[0]
        else:
            pairs[n] = np.array([R.solve(n=n, g=5.0, r=float(x), gamma=1.0, gap=False, solver="symmetric").rho2
                                 for x in r])
    return pairs


def fig_poisson_means(out_dir: Path, level: str) -> list[Headline]:
    """``reset_fig3_poisson_means``: Fig. 3's mixture negativity against r for Poisson means 2..6."""
    import xarray as xr

    from opentangle.measures import negativity

    r = np.geomspace(0.3, 300.0, 12 if level == "quick" else 32)
    pairs = _pair_states(r)
    ns = sorted(pairs)
    neg = np.array([np.asarray(negativity(sum(w * pairs[n] for w, n in zip(poisson_weights_mean(m), ns))))
                    for m in MEANS])
    pair_neg = np.array([np.asarray(negativity(pairs[n])) for n in ns])
    ds = xr.Dataset(
        {"mixture_negativity": (("mean", "r"), neg), "pair_negativity": (("n", "r"), pair_neg),
         "weights": (("mean", "n"), np.array([poisson_weights_mean(m) for m in MEANS]))},
        coords={"mean": list(MEANS), "r": r, "n": ns},
        attrs={"g": 5.0, "gamma": 1.0, "source": SOURCE,
               "note": "Poisson mixture over N in [2, 6] of the reduced two-qubit states; the paper's mean is unstated"},
    )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 4))
    for m, row in zip(MEANS, neg):
        ax.semilogx(r, row, label=f"Poisson mean {m:g}")
    ax.set(xlabel="r / gamma", ylabel="negativity of the mixture", title="Fig. 3 mixture vs the unstated Poisson mean")
    ax.legend(fontsize=8)
    save_figure(ds, fig, out_dir, "reset_fig3_poisson_means")
    peaks = neg.max(axis=1)
    return [
        Headline.info("Fig.3 max mixture negativity for Poisson means 2..6",
                      " / ".join(f"{p:.4f}" for p in peaks), source=SOURCE,
                      note=f"spread {peaks.max() - peaks.min():.4f} over the unstated mean; "
                           f"entangled at every mean: {bool(np.all(peaks > 0))}"),
    ]


def fig_heisenberg(out_dir: Path, level: str) -> list[Headline]:
    """``reset_heisenberg``: numerical steady states of the Heisenberg model against the closed form."""
    import xarray as xr

    from opentangle.measures import negativity
    from opentangle.studies import reset as R

    gs = np.array([0.5, 2.0, 5.0]) if level == "quick" else np.array([0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
    rs = np.geomspace(0.1, 100.0, 5 if level == "quick" else 11)
    err = np.zeros((gs.size, rs.size))
    neg = np.zeros_like(err)
    for i, g in enumerate(gs):
        for j, r in enumerate(rs):
            res = R.solve(n=2, hamiltonian="heisenberg", g=float(g), r=float(r), gamma=1.0, gap=False, solver="full")
            err[i, j] = float(np.abs(res.rho - heisenberg_steady_state(2, r=float(r))).max())
            neg[i, j] = float(negativity(res.rho))
    n4 = R.solve(n=4, hamiltonian="heisenberg", g=3.0, r=2.0, gamma=1.0, gap=False, solver="full")
    err4 = float(np.abs(n4.rho - heisenberg_steady_state(4, r=2.0)).max())
    ds = xr.Dataset({"max_abs_error": (("g", "r"), err), "negativity": (("g", "r"), neg)},
                    coords={"g": gs, "r": rs},
                    attrs={"gamma": 1.0, "closed_form": "rho1^(x)N, rho1 = (1 + r/(r+gamma) sx)/2", "n4_error": err4})
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 4))
    for g, row in zip(gs, err):
        ax.loglog(rs, np.maximum(row, 1e-17), "o-", label=f"g = {g:g}")
    ax.set(xlabel="r / gamma", ylabel="max |rho_numeric - rho_closed|", title="Heisenberg, N = 2: steady state vs closed form")
    ax.legend(fontsize=8)
    save_figure(ds, fig, out_dir, "reset_heisenberg")
    return [
        Headline.compare("Heisenberg N=2: max |rho - rho1 (x) rho1| over (g, r) (full-space solver)", float(err.max()),
                         0.0, 1e-8, source="derived closed form (module doc)"),
        Headline.compare("Heisenberg N=4, g=3, r=2: max |rho - rho1^(x)4|", err4, 0.0, 1e-8,
                         source="derived closed form (module doc)"),
        Headline.compare("Heisenberg N=2: max negativity over (g, r)", float(neg.max()), 0.0, 1e-8,
                         source="derived: product steady state, never entangled"),
    ]
