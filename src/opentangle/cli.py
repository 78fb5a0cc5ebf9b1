"""Command-line interface: ``opentangle <study> ...``, ``sweep``, ``plot``, ``reproduce``.

Each study module registers itself through its ``command`` callback (see
:mod:`opentangle.studies`); the tool modules ``sweep``, ``plot`` and
``report`` do the same.  Every invalid input ends in a one-line error on
stderr and exit code 2, never a traceback.

Start-up is lazy (issue 19): ``opentangle --help`` reads each command's one-line
help from its module's docstring without importing it, and ``opentangle reset ...``
imports only the reset study.  No study, xarray, matplotlib or dask is imported
before a command needs it (``benchmarks/bench_cli.py`` measures this).  :func:`main`
runs on plain click: the study commands are generated click commands, and typer (with
the pydantic validators it builds for every option) is imported only for ``sweep``,
``plot`` and ``reproduce``.  :func:`build_app` is the same interface as a typer app.
"""

from __future__ import annotations

import contextlib
import errno as _errno
import importlib
import importlib.util
import re
import sys
import warnings
from typing import Any

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


def _print_version(ctx: Any, param: Any, value: bool) -> None:
    if value:
        print(f"opentangle {__version__}")
        ctx.exit()


_HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
_ROOT_HELP = "Entanglement in open quantum systems: studies, sweeps and reproduction reports."


def _is_study(module: Any) -> bool:
    study = getattr(module, "STUDY", None)
    return study is not None and hasattr(study, "params") and hasattr(study, "compute")


def _typer_command(name: str, module: Any) -> Any:
    """The typer-built command of a module's ``command`` callback."""
    import typer

    doc = (module.__doc__ or name).strip().splitlines()[0]
    sub = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    sub.command(name=name, help=module.command.__doc__ or doc, short_help=doc, context_settings=dict(_HELP_OPTIONS))(
        module.command
    )
    cmd = typer.main.get_command(sub)
    cmd.name = name
    return cmd


def _click_command(name: str, modname: str) -> Any:
    """The click command of one subcommand; imports its module.

    A :class:`~opentangle.studies._study.Study` becomes a generated click command
    (:func:`~opentangle.studies._study.click_command`).  Any other module's typer callback
    runs in its own typer command, which receives the rest of the command line.
    """
    import click

    module = importlib.import_module(modname)
    doc = (module.__doc__ or name).strip().splitlines()[0]
    if _is_study(module):
        from opentangle.studies._study import click_command

        cmd = click_command(module.STUDY, short_help=doc)
        cmd.name = name
        return cmd

    def forward(args: tuple[str, ...]) -> Any:
        return _typer_command(name, module).main(args=list(args), prog_name=f"opentangle {name}", standalone_mode=False)

    return click.Command(
        name,
        callback=forward,
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
        help=doc,
        short_help=doc,
    )


def _lazy_group(base: Any, load: Any) -> Any:
    """A group class over ``base`` that imports a subcommand's module only when it runs."""

    class Lazy(base):  # base: the group class of click or of typer
        _listing = False

        def list_commands(self, ctx: Any) -> list[str]:
            return list(_available())

        def get_command(self, ctx: Any, name: str) -> Any:
            available = _available()
            if name not in available:
                return None
            if self._listing:  # `opentangle --help`: a stand-in with the one-line help, nothing imported
                import click

                text = _short_help(available[name])
                return click.Command(name, short_help=text, help=text)
            return load(name, available[name])

        def format_help(self, ctx: Any, formatter: Any) -> None:
            self._listing = True
            try:
                super().format_help(ctx, formatter)
            finally:
                self._listing = False

    return Lazy


def _root_command() -> Any:
    """The ``opentangle`` click group that :func:`main` runs."""
    import click

    group = _lazy_group(click.Group, _click_command)
    version = click.Option(
        ["--version"],
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=_print_version,
        help="Print the version and exit.",
    )
    return group(
        "opentangle",
        help=_ROOT_HELP,
        params=[version],
        no_args_is_help=True,
        context_settings=dict(_HELP_OPTIONS),
    )


def _load_command(name: str, modname: str) -> Any:
    """The typer command of one subcommand (for :func:`build_app`); imports its module."""
    return _typer_command(name, importlib.import_module(modname))


def build_app() -> Any:
    """The same interface as a ``typer.Typer`` application (for ``typer.testing.CliRunner``).

    Its subcommands go through typer; :func:`main` builds the faster click group instead.
    """
    import typer
    from typer.core import TyperGroup

    app = typer.Typer(
        name="opentangle",
        cls=_lazy_group(TyperGroup, _load_command),
        help=_ROOT_HELP,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,  # plain click listing: rich costs ~0.4 s of `opentangle --help` (issue 19)
        pretty_exceptions_enable=False,
        context_settings=dict(_HELP_OPTIONS),
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
        ),
    ) -> None:
        """opentangle: simulate, measure and reproduce entanglement in open quantum systems."""

    return app


def _version_callback(value: bool) -> None:
    if value:
        import typer

        print(f"opentangle {__version__}")
        raise typer.Exit()


def _exc(name: str) -> tuple[type[BaseException], ...]:
    """Exception class ``name`` of click and, once a typer command ran, of typer and its click copy.

    Read from the loaded modules only (evaluated when an exception reaches the ``except``
    clause), so that ``main`` never imports typer to classify an error.
    """
    found: list[type[BaseException]] = []
    for modname in ("click.exceptions", "typer._click.exceptions", "typer.exceptions"):
        cls = getattr(sys.modules.get(modname), name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException) and cls not in found:
            found.append(cls)
    return tuple(found)


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
    command = _root_command()
    previous = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        rv = command.main(args=argv, prog_name="opentangle", standalone_mode=False)
    except _exc("NoArgsIsHelpError") as exc:  # bare `opentangle`: the help, exit 0
        with contextlib.suppress(BrokenPipeError):
            print(exc.format_message())  # type: ignore[attr-defined]  # the help text
        sys.exit(0)
    except _exc("UsageError") as exc:
        _fail(exc.format_message())  # type: ignore[attr-defined]  # click's UsageError
    except _exc("Exit") as exc:
        sys.exit(getattr(exc, "exit_code", 0))
    except _exc("Abort"):
        print("opentangle: aborted", file=sys.stderr)
        sys.exit(130)
    except _exc("ClickException") as exc:
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
