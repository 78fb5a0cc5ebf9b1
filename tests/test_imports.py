"""What the command line imports (issue 19): checked in fresh interpreters through ``sys.modules``.

Each check runs a command in a subprocess and lists the modules it loaded; no wall-clock
assertion.  A check fails as soon as a module-level import of one of the forbidden packages
comes back on that path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

#: never imported by the CLI before a command that needs them runs
PLOTTING = ("xarray", "matplotlib", "dask")
#: the study path runs on plain click: typer (and the pydantic validators it builds) only for tool commands
TYPER = ("typer", "pydantic", "rich")


def _loaded(code: str) -> list[str]:
    """Top-level packages and ``opentangle.*`` modules loaded after running ``code`` in a fresh interpreter."""
    probe = (
        "import sys\n"
        f"{code}\n"
        "print('MODULES:' + ','.join(sorted(m for m in sys.modules if '.' not in m or m.startswith(('opentangle.', "
        "'scipy.')))))"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1].removeprefix("MODULES:").split(",")


def _main(*args: str) -> str:
    return f"from opentangle.cli import main\ntry:\n    main({list(args)!r})\nexcept SystemExit:\n    pass"


def _bad(loaded: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in loaded if m.split(".")[0] in prefixes or m.startswith(prefixes)]


def test_import_cli_is_light():
    loaded = _loaded("import opentangle.cli")
    bad = _bad(loaded, (*PLOTTING, *TYPER, "numpy", "scipy", "opentangle.studies.", "opentangle.lindblad"))
    assert not bad, bad


def test_help_imports_no_numpy_typer_or_study():
    loaded = _loaded(_main("--help"))
    bad = _bad(loaded, (*PLOTTING, *TYPER, "numpy", "scipy", "opentangle.studies."))
    assert not bad, bad


def test_reset_command_load_imports_no_figures_typer_or_plotting():
    # `reset --help` builds the reset command: the study's model, solver and measures, nothing else
    loaded = _loaded(_main("reset", "--help"))
    assert "opentangle.studies.reset" in loaded
    bad = _bad(loaded, (*PLOTTING, *TYPER, "opentangle.studies.reset.figures", "opentangle.lindblad.dynamics"))
    assert not bad, bad


def test_reset_call_imports_only_what_it_computes():
    loaded = _loaded(_main("reset", "--n", "2", "--json"))
    assert "opentangle.lindblad.permutation" in loaded  # the symmetric solver ran
    bad = _bad(
        loaded,
        (
            *PLOTTING,
            *TYPER,
            "opentangle.studies.reset.figures",
            "opentangle.measures.gme",  # the SDP witnesses: only with --gme
            "opentangle.measures.information",
            "opentangle.spins.dephased",  # the ensembles engine
            "opentangle.spins.pure",
            "scipy.optimize",
            "scipy.stats",
            "scipy.integrate",
        ),
    )
    assert not bad, bad


def test_reset_figures_still_resolve():
    # the figure names are lazy module attributes: they import their module on first access
    code = (
        "import sys\nimport opentangle.studies.reset as R\n"
        "assert 'opentangle.studies.reset.figures_paper' not in sys.modules\n"
        "assert callable(R.critical_purity) and 'opentangle.studies.reset.figures_paper' in sys.modules\n"
        "assert [f.__name__ for f in R.STUDY.figures][:2] == ['fig1', 'fig2']\n"
        "assert 'critical_purity' in dir(R)"
    )
    assert "opentangle.studies.reset.figures_paper" in _loaded(code)


@pytest.mark.parametrize("package", ["opentangle.measures", "opentangle.spins", "opentangle.lindblad"])
def test_lazy_packages_export_every_name(package):
    # after every submodule is imported (which binds each submodule's name on the package), every public
    # name is still the function or class, never a module: `negativity` is a function and a submodule
    code = (
        f"import importlib, pkgutil, types\nm = importlib.import_module({package!r})\n"
        "for info in pkgutil.iter_modules(m.__path__):\n    if not info.name.startswith('_'):\n"
        "        importlib.import_module(f'{m.__name__}.{info.name}')\n"
        "bad = [n for n in m.__all__ if not hasattr(m, n) or isinstance(getattr(m, n), types.ModuleType)]\n"
        "assert not bad, bad"
    )
    _loaded(code)


def test_study_command_matches_typer_command():
    # the click command main() runs and the typer callback (Study.command) have the same options and defaults
    code = (
        "import inspect, json\nfrom opentangle.studies._study import click_command\n"
        "from opentangle.studies.reset import STUDY\n"
        "cmd = click_command(STUDY)\n"
        "sig = inspect.signature(STUDY.command).parameters\n"
        "print(json.dumps([[p.name, p.default, sig[p.name].default.default] for p in cmd.params]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r[0] for r in rows][-1] == "json" and len(rows) >= 10
    assert all(a == b for _, a, b in rows), rows


def test_states_operators_and_pair_measures_need_only_numpy():
    # scipy.sparse / scipy.special are imported inside the functions that use them (embed(sparse=True), spin_coherent)
    code = (
        "import opentangle.operators, opentangle.states\n"
        "from opentangle.measures import concurrence, negativity\n"
        "rho = opentangle.states.bell_state('phi+')\n"
        "assert abs(negativity(rho) - 0.5) < 1e-12 and abs(concurrence(rho) - 1) < 1e-12"
    )
    loaded = _loaded(code)
    assert "opentangle.measures.negativity" in loaded
    assert not _bad(loaded, ("scipy", *PLOTTING)), _bad(loaded, ("scipy", *PLOTTING))
