import json
import subprocess
import sys

import pytest

from opentangle import __version__
from opentangle.cli import build_app, main
from opentangle.studies import STUDY_NAMES, available_studies, load_study
from opentangle.studies._base import Headline, emit, to_jsonable


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "opentangle.cli", *args], capture_output=True, text=True, timeout=120)


def test_version_and_help():
    out = run_cli("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"opentangle {__version__}"
    out = run_cli("--help")
    assert out.returncode == 0 and "Usage" in out.stdout


def test_unknown_option_is_one_line_exit_2():
    out = run_cli("--bogus")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "No such option" in out.stderr
    assert "Traceback" not in out.stderr


def test_unknown_command_is_one_line_exit_2():
    out = run_cli("no-such-study")
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0


@pytest.mark.parametrize("name", list(available_studies()))
def test_every_study_has_help_and_contract(name):
    module = load_study(name)
    for attr in ("NAME", "PARAMETERS", "MEASURES", "evaluate", "command", "reproduce"):
        assert hasattr(module, attr), f"study {name} lacks {attr}"
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0


def test_load_study_unknown():
    with pytest.raises(KeyError):
        load_study("nope")
    assert set(available_studies()) <= set(STUDY_NAMES)
    import typer

    group = typer.main.get_command(build_app())
    registered = group.list_commands(None)
    assert len(registered) == len(set(registered)), f"duplicate commands: {registered}"
    for name in registered:  # each resolves to a real command with its own help
        assert group.get_command(None, name).name == name
    expected = set(available_studies()) | {"sweep", "plot", "reproduce"}
    assert expected <= set(registered), f"missing commands: {sorted(expected - set(registered))}"
    assert set(available_studies()), "no study is available"


def test_emit_json_is_one_object(capsys):
    emit({"a": 1.5, "b": float("nan"), "c": True, "d": None}, as_json=True, title="t")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == {"a": 1.5, "b": None, "c": True, "d": None}
    emit({"a": 1.5}, as_json=False, title="demo")
    assert "demo" in capsys.readouterr().out


def test_headline_compare():
    h = Headline.compare("x", 1.0 + 1e-9, 1.0, 1e-8, source="analytic")
    assert h.passed
    assert not Headline.compare("x", float("nan"), 1.0, 1e-8).passed
    assert to_jsonable(h.as_dict())["value"] == pytest.approx(1.0)


def test_help_imports_no_study_or_heavy_module():
    # issue 19: `opentangle --help` reads one-line helps from the sources, importing nothing heavy
    code = (
        "import sys; from opentangle.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.startswith(('opentangle.studies.', 'xarray', 'matplotlib', "
        "'dask', 'numpy', 'scipy'))]\n"
        "print('HEAVY:' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Commands" in out.stdout and "reset" in out.stdout and "sweep" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:", out.stdout.strip().splitlines()[-1]


def test_study_command_imports_only_its_study():
    code = (
        "import sys; from opentangle.cli import main\n"
        "try:\n    main(['ladder', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(('opentangle.studies.', 'xarray', 'dask')))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = out.stdout.strip().splitlines()[-1].split(",")
    assert "opentangle.studies.ladder" in loaded
    assert not any(m.startswith(("opentangle.studies.reset", "opentangle.studies.waveguide", "dask")) for m in loaded)


def test_lower_layers_import_lazily():
    # issue 19: the engine's public names resolve on first use; scipy.stats only inside fock_window
    code = (
        "import sys\nfrom opentangle.lindblad import steady_state\nimport opentangle.spins.fock\n"
        "import opentangle.lindblad as lb\nassert callable(lb.spectral_gap) and 'spectral_gap' in dir(lb)\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(('opentangle.lindblad.', 'scipy.stats')))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = out.stdout.strip().splitlines()[-1].split(",")
    assert "opentangle.lindblad.steady" in loaded and "opentangle.lindblad.dynamics" in loaded
    assert not any(
        m.startswith(
            ("scipy.stats", "opentangle.lindblad.floquet", "opentangle.lindblad.threshold", "opentangle.lindblad.batch")
        )
        for m in loaded
    ), loaded


def test_bare_command_prints_the_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 0 and "Commands:" in capsys.readouterr().out


def test_study_help_is_plain_click_with_defaults(capsys):
    # the generated click command: typed options with their defaults; no rich markup eats "[sdp]"
    with pytest.raises(SystemExit) as exc:
        main(["reset", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert "--n INTEGER" in out and "[default: 2]" in out and "opentangle[sdp]" in " ".join(out.split())
    with pytest.raises(SystemExit) as exc:
        main(["reset", "--n", "2.5"])
    assert exc.value.code == 2 and "not a valid integer" in capsys.readouterr().err


def test_tool_commands_receive_the_rest_of_the_line(capsys):
    # sweep/plot/reproduce stay typer commands behind a forwarding click command: -h and errors still work
    with pytest.raises(SystemExit) as exc:
        main(["sweep", "-h"])
    assert exc.value.code == 0 and "opentangle sweep" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["plot", "--bogus-option"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "bogus" in err
