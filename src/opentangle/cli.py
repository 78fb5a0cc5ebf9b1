"""Command-line interface: ``opentangle <study> ...``, ``sweep``, ``plot``, ``reproduce``.

Each study module registers itself through its ``command`` callback (see
:mod:`opentangle.studies`); the tool modules ``sweep``, ``plot`` and
``report`` do the same.  Every invalid input ends in a one-line error on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import typer

from opentangle import __version__
from opentangle.errors import OpentangleError
from opentangle.studies import available_studies

TOOL_COMMANDS = {"sweep": "opentangle.sweep", "plot": "opentangle.plot", "reproduce": "opentangle.report"}


def _version_callback(value: bool) -> None:
    if value:
        print(f"opentangle {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """The typer application with every study and tool that is installed."""
    app = typer.Typer(
        name="opentangle",
        help="Entanglement in open quantum systems: studies, sweeps and reproduction reports.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
        ),
    ) -> None:
        """opentangle: simulate, measure and reproduce entanglement in open quantum systems."""

    for name, module in available_studies().items():
        doc = (module.__doc__ or name).strip().splitlines()[0]
        app.command(name=name, help=module.command.__doc__ or doc, short_help=doc)(module.command)
    for name, modname in TOOL_COMMANDS.items():
        if importlib.util.find_spec(modname) is not None:
            module = importlib.import_module(modname)
            if hasattr(module, "command"):
                app.command(name=name)(module.command)
    return app


def _exception_classes(name: str) -> tuple[type, ...]:
    """``name`` from click and from the copy of click that recent typer vendors."""
    found = []
    for modname in ("typer._click.exceptions", "click.exceptions", "typer.exceptions"):
        try:
            module = importlib.import_module(modname)
        except ImportError:
            continue
        cls = getattr(module, name, None)
        if isinstance(cls, type) and cls not in found:
            found.append(cls)
    return tuple(found)


_NO_ARGS = _exception_classes("NoArgsIsHelpError")
_USAGE = _exception_classes("UsageError")
_EXIT = _exception_classes("Exit")
_ABORT = _exception_classes("Abort")
_CLICK = _exception_classes("ClickException")


def _fail(message: str) -> None:
    message = " ".join(str(message).split())
    print(f"opentangle: error: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    app = build_app()
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=argv, prog_name="opentangle", standalone_mode=False)
    except _NO_ARGS:
        sys.exit(0)
    except _USAGE as exc:
        _fail(exc.format_message())
    except _EXIT as exc:
        sys.exit(getattr(exc, "exit_code", 0))
    except _ABORT:
        print("opentangle: aborted", file=sys.stderr)
        sys.exit(130)
    except _CLICK as exc:
        _fail(exc.format_message())
    except OpentangleError as exc:
        _fail(f"{type(exc).__name__}: {exc}")
    except BrokenPipeError:  # pragma: no cover
        sys.exit(0)
    else:
        sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
