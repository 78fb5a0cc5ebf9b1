"""Fake batch study: two-qubit Ising + dephasing + reset, analytic negativity (Hartmann, Dür, Briegel 2006)."""

from __future__ import annotations

import numpy as np

from opentangle.errors import InvalidParameterError
from opentangle.studies._base import Headline

NAME = "grid"
PARAMETERS = {"r": 1.0, "g": 2.5, "gamma": 1.0}
MEASURES = ("negativity", "entangled")
SEEDED = False


def negativity(r, g, gamma):
    """Hartmann-Dur-Briegel closed form, factor gamma restored."""
    r, g, gamma = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (r, g, gamma)))
    num = g * r * (r + gamma) - g**2 * (r + gamma) - gamma * (r + gamma / 2) ** 2
    den = 2 * (r + gamma) * (2 * g**2 + (r + gamma / 2) * (r + gamma))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.maximum(0.0, num / den)


def _check(**p):
    for k, v in p.items():
        if np.any(np.asarray(v) < 0):
            raise InvalidParameterError(f"{k} must be >= 0")


def evaluate(*, r=1.0, g=2.5, gamma=1.0):
    _check(r=r, g=g, gamma=gamma)
    n = float(negativity(r, g, gamma))
    return {"negativity": n, "entangled": bool(n > 0)}


def evaluate_batch(grid, fixed):
    p = {**fixed, **grid}
    _check(**p)
    n = negativity(p["r"], p["g"], p["gamma"])
    return {"negativity": n, "entangled": n > 0}


def reproduce(out_dir, *, level):
    from opentangle.plot import plot_file
    from opentangle.sweep import run_sweep

    num = {"quick": 21, "default": 41, "full": 81}[level]
    run_sweep(__name__, axes=[f"r=0:6:{num}", f"g=0:6:{num}"], out=out_dir / "map.nc")
    plot_file(out_dir / "map.nc", out=out_dir / "map.png")
    g = np.linspace(0.01, 10, 2001)
    best = float(np.max(negativity((1 + np.sqrt(3)) * g * 50, g * 50, 1.0)))
    return [
        Headline.compare("sup N along g=r/(1+sqrt3)", best, (np.sqrt(3) - 1) / 8, 1e-3, source="analytic"),
        Headline.compare("deliberately failing row", 1.0, 0.0, 0.1, source="test"),
        Headline(label="informative", value="ok"),
    ]
