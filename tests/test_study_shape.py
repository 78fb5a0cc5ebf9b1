"""The one study shape (``opentangle.studies._study``) and the contract every study meets."""

from __future__ import annotations

import dataclasses
import inspect
import math
from dataclasses import dataclass

import pytest

from opentangle.errors import InvalidParameterError
from opentangle.studies import STUDY_NAMES, load_study
from opentangle.studies._study import FigureOutput, Levels, Options, Params, Study, param


@dataclass(frozen=True)
class Coin(Params):
    p: float = param(0.5, "probability of heads, in (0, 1)")
    flips: int = param(3, "number of flips")

    def validate(self) -> Coin:
        c = self.converted()
        if not 0 < c.p < 1:
            raise InvalidParameterError(f"p must lie in (0, 1); got {c.p}")
        return c


@dataclass(frozen=True)
class CoinOptions(Options):
    base: float = param(2.0, "logarithm base")


def _entropy(p: Coin, o: CoinOptions) -> dict:
    h = -(p.p * math.log(p.p) + (1 - p.p) * math.log(1 - p.p)) / math.log(o.base)
    return {"entropy": p.flips * h}


def _figure(cfg):
    import numpy as np
    import xarray as xr

    from opentangle.studies._base import Headline, pyplot

    ps = np.linspace(0.1, 0.9, cfg)
    hs = np.array([_entropy(Coin(p=float(x)), CoinOptions())["entropy"] for x in ps])
    fig, ax = pyplot().subplots()
    ax.plot(ps, hs)
    return FigureOutput(
        "coin_entropy",
        xr.Dataset({"entropy": ("p", hs)}, coords={"p": ps}),
        fig,
        (Headline.compare("H(1/2) of 3 flips", _entropy(Coin(), CoinOptions())["entropy"], 3.0, 1e-12),),
    )


COIN = Study(
    name="coin",
    summary="A biased coin.",
    params=Coin,
    options=CoinOptions,
    measures=("entropy",),
    compute=_entropy,
    levels=Levels(quick=3, default=5, full=9),
    figures=(_figure,),
)


def test_plain_protocol_and_validation():
    assert COIN.PARAMETERS == {"p": 0.5, "flips": 3}
    assert COIN.MEASURES == ("entropy",)
    assert COIN.evaluate(p=0.5, flips=2) == {"entropy": pytest.approx(2.0)}
    assert COIN.evaluate(Coin(p=0.5), CoinOptions(base=math.e))["entropy"] == pytest.approx(3 * math.log(2))
    assert COIN.evaluate(p=0.5, base=4.0)["entropy"] == pytest.approx(1.5)
    with pytest.raises(InvalidParameterError, match="no parameter or option 'q'"):
        COIN.evaluate(q=1)
    with pytest.raises(InvalidParameterError, match=r"p must lie in \(0, 1\)"):
        COIN.evaluate(p=1.5)
    with pytest.raises(InvalidParameterError, match="flips"):
        COIN.evaluate(flips="many")
    assert not hasattr(COIN, "evaluate_batch")


def test_measure_keys_are_checked():
    bad = dataclasses.replace(COIN, compute=lambda p, o: {"entropy": 1.0, "entropi": 2.0})
    with pytest.raises(InvalidParameterError, match="'entropi', which MEASURES does not list"):
        bad.evaluate()
    missing = dataclasses.replace(COIN, measures=("entropy", "purity"))
    with pytest.raises(InvalidParameterError, match="never returned 'purity'"):
        missing.evaluate()


def test_levels_and_reproduce(tmp_path):
    with pytest.raises(InvalidParameterError, match="level must be one of"):
        COIN.reproduce(tmp_path, level="fast")
    rows = COIN.reproduce(tmp_path / "coin", level="quick")
    assert (tmp_path / "coin" / "coin_entropy.nc").is_file() and (tmp_path / "coin" / "coin_entropy.png").is_file()
    assert [r.kind for r in rows] == ["check", "info"] and rows[0].passed
    assert rows[1].label.startswith("seconds: figure")
    with pytest.raises(InvalidParameterError, match="plain file name"):
        FigureOutput("../escape")


def test_generated_command(capsys):
    import json

    import typer
    from typer.testing import CliRunner

    app = typer.Typer()
    app.command()(COIN.command)
    names = list(inspect.signature(COIN.command).parameters)
    assert names == ["p", "flips", "base", "json"]
    out = CliRunner().invoke(app, ["--p", "0.5", "--flips", "4", "--json"])
    assert out.exit_code == 0 and json.loads(out.output) == {"entropy": 4.0}
    out = CliRunner().invoke(app, ["--p", "2"])
    assert out.exit_code != 0 and isinstance(out.exception, InvalidParameterError)


STUDY_FILE = """
import math
from dataclasses import dataclass
from opentangle.studies._study import Params, Study, param

@dataclass(frozen=True)
class Coin(Params):
    p: float = param(0.5, "probability of heads")
    flips: int = param(3, "number of flips")

def compute(p, o):
    return {"entropy": -p.flips * (p.p * math.log2(p.p) + (1 - p.p) * math.log2(1 - p.p))}

COIN = Study(name="coin", summary="A coin.", params=Coin, measures=("entropy",), compute=compute)
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_sweep_takes_a_study_object(tmp_path, workers):
    from opentangle.sweep import run_sweep

    path = tmp_path / "coin_study.py"
    path.write_text(STUDY_FILE)
    res = run_sweep(f"{path}:COIN", axes=["p=0.1:0.9:3"], fixed={"flips": 2}, workers=workers)
    ds = res.dataset if hasattr(res, "dataset") else res
    assert ds["entropy"].shape == (3,)
    assert float(ds["entropy"][1]) == pytest.approx(2.0)
    with pytest.raises(InvalidParameterError, match="unknown parameter 'q'"):
        run_sweep(f"{path}:COIN", axes=["q=0:1:2"], workers=1)


@pytest.mark.parametrize("name", STUDY_NAMES)
def test_builtin_study_contract(name):
    """Every built-in study is a :class:`Study` exposed through its module's plain protocol."""
    module = load_study(name)
    study = module.STUDY
    assert isinstance(study, Study) and study.name == name == module.NAME
    assert dataclasses.is_dataclass(study.params) and study.params.__dataclass_params__.frozen
    assert issubclass(study.params, Params) and issubclass(study.options, Options)
    assert module.PARAMETERS == study.PARAMETERS and tuple(module.MEASURES) == study.MEASURES
    assert set(study.PARAMETERS) <= set(inspect.signature(module.command).parameters)
    assert isinstance(study.levels, Levels) and study.figures
    for f in dataclasses.fields(study.params):
        assert f.metadata.get("help"), f"{name}.{f.name} has no help text"
    study.params().validate()
