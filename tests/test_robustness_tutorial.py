"""The tutorial study docs/examples/thermal_machine.py (Brask et al., NJP 17, 113029 (2015)) is right.

Checked against QuTiP (an independent model build and steady-state solver) and against the
analytic fact that equal temperatures give the product Gibbs state (no entanglement); the
tutorial's sweep runs from the file path.
"""

from __future__ import annotations

import math
import runpy
from pathlib import Path

import numpy as np
import pytest

FILE = Path(__file__).parent.parent / "docs" / "examples" / "thermal_machine.py"
study = runpy.run_path(str(FILE))


def qutip_state(t_c, t_h, g, p, E):
    qt = pytest.importorskip("qutip")
    up = [qt.tensor(qt.sigmap(), qt.qeye(2)), qt.tensor(qt.qeye(2), qt.sigmap())]
    H = E * sum(u * u.dag() for u in up) + g * (up[0] * up[1].dag() + up[0].dag() * up[1])
    c_ops = []
    for u, t in zip(up, (t_c, t_h)):
        r = 0.0 if t == 0 else 1 / (math.exp(E / t) + 1)
        c_ops += [math.sqrt(p * r) * u, math.sqrt(p * (1 - r)) * u.dag()]
    rho = qt.steadystate(H, c_ops, method="direct")
    return rho.full(), qt.concurrence(rho)


@pytest.mark.parametrize(
    "point",
    [
        dict(t_c=0.0, t_h=1000.0, g=0.012, p=0.05, E=1.0),
        dict(t_c=0.1, t_h=10.0, g=0.005, p=0.05, E=1.0),
        dict(t_c=0.2, t_h=3.0, g=0.3, p=0.1, E=1.0),
    ],
)
def test_matches_qutip(point):
    rho = study["steady_state"](study["model"](**point)).rho
    ref, c_ref = qutip_state(**point)
    np.testing.assert_allclose(rho, ref, atol=1e-9)
    assert study["evaluate"](**point)["concurrence"] == pytest.approx(c_ref, abs=1e-9)


@pytest.mark.parametrize("t", [0.05, 0.5, 5.0])
def test_equal_temperatures_give_the_product_gibbs_state(t):
    out = study["evaluate"](t_c=t, t_h=t, g=0.01, p=0.05)
    assert out["concurrence"] == 0.0 and out["negativity"] == pytest.approx(0.0, abs=1e-12)
    r = 1 / (math.exp(1 / t) + 1)
    assert out["excitations"] == pytest.approx(2 * r, rel=1e-9)


def test_tutorial_sweep_from_the_file(tmp_path, cli_in_process):
    import xarray as xr

    out = tmp_path / "m.nc"
    code, _, err = cli_in_process(
        [
            "sweep",
            str(FILE),
            "-p",
            "t_h=1:1000:3:log",
            "-p",
            "g=0.012,0.1",
            "--set",
            "t_c=0",
            "--workers",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0, err
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        c = ds.concurrence.values
    assert (c[:, 0] > 0).all() and (np.diff(c[:, 0]) > 0).all()  # a hotter bath, more entanglement ...
    assert (c[:, 1] == 0).all()  # ... but only at weak coupling (g = 0.1 > p: none)
    assert c[-1, 0] == pytest.approx(0.0402, abs=5e-4)  # the tutorial's number at t_h = 1000, g = 0.012
