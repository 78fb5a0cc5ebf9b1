"""Plots: a line for 1-D sweeps, a heatmap + colour bar + measure = 0 contour for 2-D."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import QuadMesh

from opentangle.cli import main
from opentangle.errors import InvalidParameterError
from opentangle.plot import choose_measure, plot_dataset, plot_file
from opentangle.sweep import run_sweep

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))
from sweepfakes import grid as fake_grid  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _contour_vertices(ax) -> np.ndarray:
    paths = [p for c in ax.collections if not isinstance(c, QuadMesh) for p in c.get_paths()]
    return np.concatenate([p.vertices for p in paths]) if paths else np.empty((0, 2))


def test_one_d_is_a_labelled_line():
    ds = run_sweep("sweepfakes.grid", axes=["g=0:6:31"], fixed={"r": 8.0}).dataset
    fig = plot_dataset(ds)
    ax = fig.axes[0]
    (line,) = ax.get_lines()[:1]
    np.testing.assert_array_equal(line.get_xdata(), ds.g.values)
    np.testing.assert_array_equal(line.get_ydata(), ds.negativity.values)
    assert ax.get_xlabel() == "g" and ax.get_ylabel() == "negativity"
    assert "r=8" in ax.get_title()


def test_two_d_heatmap_colourbar_and_boundary():
    ds = run_sweep("sweepfakes.grid", axes=["r=0:10:41", "g=0:6:31"]).dataset
    fig = plot_dataset(ds)
    ax, cax = fig.axes  # heatmap and colour bar
    assert ax.get_xlabel() == "r" and ax.get_ylabel() == "g" and cax.get_ylabel() == "negativity"
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(31, 41), ds.negativity.values.T)
    v = _contour_vertices(ax)
    assert len(v) > 10
    # every boundary vertex lies within one grid cell of a sign change of the analytic numerator
    dr, dg = 10 / 40, 6 / 30
    for r, g in v[:: max(1, len(v) // 40)]:
        rr, gg = np.meshgrid(r + dr * np.array([-1, 0, 1]), g + dg * np.array([-1, 0, 1]))
        n = fake_grid.negativity(np.clip(rr, 0, None), np.clip(gg, 0, None), 1.0)
        assert (n > 0).any() and (n == 0).any()


def test_sign_changing_field_contours_its_zero_level():
    x, y = np.linspace(-1, 3, 21), np.linspace(0, 1, 11)
    ds = xr.Dataset({"witness": (("x", "y"), np.repeat((x - 1.0)[:, None], 11, axis=1))}, coords={"x": x, "y": y})
    v = _contour_vertices(plot_dataset(ds).axes[0])
    np.testing.assert_allclose(v[:, 0], 1.0, atol=1e-12)


def test_no_boundary_when_nothing_is_entangled():
    ds = run_sweep("sweepfakes.grid", axes=["r=0:1:5", "g=0:1:5"]).dataset  # g <= gamma: N = 0
    assert len(_contour_vertices(plot_dataset(ds).axes[0])) == 0


def test_choose_measure_prefers_negativity_and_validates():
    ds = xr.Dataset(
        {"residual": ("x", [1.0, 2.0]), "negativity": ("x", [0.0, 1.0]), "label": ("x", ["a", "b"])},
        coords={"x": [0, 1]},
    )
    assert choose_measure(ds) == "negativity" and choose_measure(ds, "residual") == "residual"
    for bad in ("label", "nope"):
        with pytest.raises(InvalidParameterError):
            choose_measure(ds, bad)


def test_choose_measure_skips_a_constant_echo_of_a_parameter():
    # like thermalize: a constant "gamma" measure listed before "output_negativity"
    ds = run_sweep("sweepfakes.mixed", axes=["x=0:2:9"], workers=1).dataset
    assert ds["gamma"].values.min() == ds["gamma"].values.max()
    assert choose_measure(ds) == "output_negativity"
    assert plot_dataset(ds).axes[0].get_ylabel() == "output_negativity"
    x = [0, 1, 2]
    flat = xr.Dataset(
        {
            "a": ("x", [1.0, 1.0, 1.0]),
            "b": ("x", [1.0, 2.0, 3.0]),
            "purity": ("x", [1, 1, 1]),
            "singlet_fidelity": ("x", [0.5, 0.5, 0.5]),
        },
        coords={"x": x},
    )
    assert choose_measure(flat) == "singlet_fidelity"  # entanglement-like beats varying but unrelated
    assert choose_measure(flat.drop_vars("singlet_fidelity")) == "b"  # else the first varying one
    assert choose_measure(flat[["a"]]) == "a"  # all constant: still something to plot


def test_three_d_needs_select(tmp_path):
    ds = run_sweep("sweepfakes.grid", axes=["r=1:9:3", "g=0:6:4", "gamma=0.5:1:2"]).dataset
    with pytest.raises(InvalidParameterError, match="--select"):
        plot_dataset(ds)
    fig = plot_dataset(ds, select={"gamma": 0.9})
    assert fig.axes[0].get_xlabel() == "r"


def test_cli_writes_a_png(tmp_path, capsys):
    nc = tmp_path / "m.nc"
    run_sweep("sweepfakes.grid", axes=["r=0:6:11", "g=0:6:11"], out=nc)
    with pytest.raises(SystemExit) as exc:
        main(["plot", str(nc)])
    assert exc.value.code == 0
    png = tmp_path / "m.png"
    assert png.read_bytes()[:8] == PNG
    import matplotlib.image

    assert matplotlib.image.imread(png).shape[2] in (3, 4)
    assert plot_file(nc, out=tmp_path / "x.png", measure="entangled").exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["missing.nc"], "no such file"),
        (["{nc}", "--measure", "nope"], "no variable 'nope'"),
        (["{nc}", "--out", "{tmp}/x.pdf"], "only PNG"),
        (["{nc}", "--out", "{tmp}/no/x.png"], "does not exist"),
        (["{nc}", "--out", "/proc/x.png"], "not writable"),  # os.access says yes to root
        (["{nc}", "--out", "/dev/null"], "not a regular file"),  # the rename would replace the device
        (["{nc}", "--select", "gamma"], "malformed --select"),
        (["{bad}"], "cannot read"),
    ],
)
def test_cli_bad_input(args, needle, tmp_path, capsys):
    nc = tmp_path / "m.nc"
    run_sweep("sweepfakes.grid", axes=["r=0:6:3"], out=nc)
    (tmp_path / "bad.nc").write_text("not netcdf")
    argv = ["plot"] + [a.format(nc=nc, tmp=tmp_path, bad=tmp_path / "bad.nc") for a in args]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and needle in err and err.count("\n") == 1
