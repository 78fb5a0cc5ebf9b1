"""Command-line interface: ``opentangle <study> ...``, ``sweep``, ``plot``, ``reproduce``.

Each study module registers itself through its ``command`` callback (see
:mod:`opentangle.studies`); the tool modules ``sweep``, ``plot`` and
``report`` do the same.  Every invalid input ends in a one-line error on
stderr and exit code 2, never a traceback.

Start-up is lazy (issue 19): ``opentangle --help`` reads each command's one-line
help from its module's docstring without importing it, and ``opentangle reset ...``
imports only the reset study.  No study, xarray, matplotlib or dask is imported
before a command needs it (``benchmarks/bench_cli.py`` measures this).
"""

from __future__ import annotations

import errno as _errno
import importlib
import importlib.util
import re
import sys
import warnings
from typing import Any

import typer
from typer.core import TyperGroup

from opentangle import __version__
from opentangle.errors import OpentangleError

#: command -> module that defines its ``command`` callback, in the order of ``--help``
STUDY_COMMANDS = {
    name: f"opentangle.studies.{name}" for name in ("reset", "waveguide", "thermalize", "ladder", "ensembles")
}
TOOL_COMMANDS = {"sweep": "opentangle.sweep", "plot": "opentangle.plot", "reproduce": "opentangle.report"}
COMMANDS = {**STUDY_COMMANDS, **TOOL_COMMANDS}

_DOCSTRING = re.compile(r'^\s*(?:#[^\n]*\n\s*)*[rRuU]?("""|\'\'\')\s*(.*?)\s*$', re.MULTILINE)


def _available() -> dict[str, str]:
    """The commands whose module exists in this installation (found, not imported)."""
    out = {}
    for name, modname in COMMANDS.items():
        try:
            if importlib.util.find_spec(modname) is not None:
                out[name] = modname
        except (ImportError, ValueError):  # pragma: no cover - a broken installation
            continue
    return out


def _short_help(modname: str) -> str:
    """First line of a module's docstring, read from its source without importing it."""
    try:
        spec = importlib.util.find_spec(modname)
        with open(spec.origin, encoding="utf-8") as fh:  # type: ignore[union-attr, arg-type]
            head = fh.read(4096)
    except (OSError, TypeError, AttributeError, ImportError):
        return ""
    m = _DOCSTRING.search(head)
    return m.group(2).strip() if m else ""


def _version_callback(value: bool) -> None:
    if value:
        print(f"opentangle {__version__}")
        raise typer.Exit()


def _load_command(name: str, modname: str) -> Any:
    """The click command of one subcommand; imports its module."""
    module = importlib.import_module(modname)
    doc = (module.__doc__ or name).strip().splitlines()[0]
    sub = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    sub.command(name=name, help=module.command.__doc__ or doc, short_help=doc)(module.command)
    cmd = typer.main.get_command(sub)
    cmd.name = name
    return cmd


class LazyGroup(TyperGroup):
    """A typer group that imports a subcommand's module only when that subcommand runs."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(_available())

    def get_command(self, ctx: Any, name: str) -> Any:
        available = _available()
        if name not in available:
            return None
        if self._listing:  # `opentangle --help`: a stand-in with the one-line help, nothing imported
            import click

            return click.Command(name, short_help=_short_help(available[name]), help=_short_help(available[name]))
        return _load_command(name, available[name])

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def build_app() -> typer.Typer:
    """The typer application; subcommands are resolved lazily by :class:`LazyGroup`."""
    app = typer.Typer(
        name="opentangle",
        cls=LazyGroup,
        help="Entanglement in open quantum systems: studies, sweeps and reproduction reports.",
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,  # plain click listing: rich costs ~0.4 s of `opentangle --help` (issue 19)
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

    return app


def _exception_classes(name: str) -> tuple[type[BaseException], ...]:
    """``name`` from click and from the copy of click that recent typer vendors."""
    found: list[type[BaseException]] = []
    for modname in ("typer._click.exceptions", "click.exceptions", "typer.exceptions"):
        try:
            module = importlib.import_module(modname)
        except ImportError:
            continue
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException) and cls not in found:
            found.append(cls)
    return tuple(found)


_NO_ARGS = _exception_classes("NoArgsIsHelpError")
_USAGE = _exception_classes("UsageError")
_EXIT = _exception_classes("Exit")
_ABORT = _exception_classes("Abort")
_CLICK = _exception_classes("ClickException")
_DISK = {_errno.ENOSPC, _errno.EDQUOT, _errno.EIO, _errno.EFBIG, _errno.EROFS}


def _fail(message: str) -> None:
    message = " ".join(str(message).split())
    print(f"opentangle: error: {message}", file=sys.stderr)
    sys.exit(2)


def _show_warning(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    """opentangle's own warnings as one line on stderr; others as Python prints them."""
    if category.__module__.startswith("opentangle"):
        print(f"opentangle: warning: {' '.join(str(message).split())}", file=sys.stderr)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    command = typer.main.get_command(build_app())
    previous = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        rv = command.main(args=argv, prog_name="opentangle", standalone_mode=False)
    except _NO_ARGS:
        sys.exit(0)
    except _USAGE as exc:
        _fail(exc.format_message())  # type: ignore[attr-defined]  # click's UsageError
    except _EXIT as exc:
        sys.exit(getattr(exc, "exit_code", 0))
    except _ABORT:
        print("opentangle: aborted", file=sys.stderr)
        sys.exit(130)
    except _CLICK as exc:
        _fail(exc.format_message())  # type: ignore[attr-defined]  # click's ClickException
    except OpentangleError as exc:
        _fail(f"{type(exc).__name__}: {exc}")
    except MemoryError:
        _fail("MemoryError: out of memory; make the problem smaller (the resource estimate missed this case)")
    except BrokenPipeError:  # pragma: no cover
        sys.exit(0)
    except OSError as exc:
        if exc.errno not in _DISK:
            raise
        _fail(f"OutputError: {exc.strerror or exc} ({_errno.errorcode.get(exc.errno, '')}); free disk space and rerun")
    else:
        sys.exit(rv if isinstance(rv, int) else 0)
    finally:
        warnings.showwarning = previous


if __name__ == "__main__":  # pragma: no cover
    main()
