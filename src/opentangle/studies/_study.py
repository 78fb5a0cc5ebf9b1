"""One shape for every study: typed parameters, algorithm options, measures, figures.

A study is a :class:`Study` object.  Its model parameters are a frozen dataclass
derived from :class:`Params` (defaults, types, help text, ``validate()``); its
algorithm options (solvers, tolerances: never swept, never part of the physics) are
a second one derived from :class:`Options`.  ``compute(params, options)`` returns the
measures of one point; ``figures`` are functions ``figure(config) -> FigureOutput``
(or an iterable of them) run by the one generic :meth:`Study.reproduce` that checks
the level, saves every file atomically and times every figure.  The CLI command is
generated from the two dataclasses, so an option exists exactly once.

A study object also answers the plain-module protocol that sweeps use
(``PARAMETERS``, ``MEASURES``, ``evaluate(**params)``, optional ``evaluate_batch``),
so a user's own study may be either a :class:`Study` or a plain module.

Example
-------
>>> import math
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Coin(Params):
...     p: float = param(0.5, "probability of heads, in [0, 1]")
...     def validate(self):
...         from opentangle._convert import check_in_range
...         return Coin(p=check_in_range(self.p, "p", 0.0, 1.0))
>>> coin = Study(name="coin", summary="A biased coin.", params=Coin, measures=("entropy",),
...              compute=lambda pr, op: {"entropy": -pr.p * math.log2(pr.p) - (1 - pr.p) * math.log2(1 - pr.p)})
>>> coin.PARAMETERS
{'p': 0.5}
>>> coin.evaluate(p=0.5)
{'entropy': 1.0}
>>> coin.evaluate(q=1)
Traceback (most recent call last):
...
opentangle.errors.InvalidParameterError: coin has no parameter or option 'q'; parameters: p
"""

from __future__ import annotations

import dataclasses
import inspect
import time
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from opentangle.errors import InvalidParameterError

__all__ = [
    "LEVEL_NAMES",
    "FigureOutput",
    "Levels",
    "NoOptions",
    "Options",
    "Params",
    "Study",
    "click_command",
    "lazy_figure",
    "param",
]

#: the levels of ``opentangle reproduce``: ``--quick``, the default and ``--full``
LEVEL_NAMES = ("quick", "default", "full")

P = TypeVar("P", bound="Params")


def param(default: Any, help: str, *, flag: str | None = None, cli: bool = True) -> Any:
    """A dataclass field of a :class:`Params` or :class:`Options` class, with its CLI help.

    ``flag`` overrides the option name (default ``--name`` with ``_`` written ``-``);
    ``cli=False`` keeps a field off the generated command.
    """
    return field(default=default, metadata={"help": help, "flag": flag, "cli": cli})


def _convert_field(value: Any, kind: Any, name: str) -> Any:
    from opentangle._convert import check_int, check_real

    if kind is bool:
        if not isinstance(value, (bool, int)) or (isinstance(value, int) and value not in (0, 1)):
            raise InvalidParameterError(f"{name} must be true or false; got {value!r}")
        return bool(value)
    if kind is int:
        return check_int(value, name)
    if kind is float:
        return check_real(value, name)
    if kind is str:
        if not isinstance(value, str):
            raise InvalidParameterError(f"{name} must be a string; got {value!r}")
        return value
    return value


#: class -> its resolved field annotations (``typing.get_type_hints`` costs ~5 ms a call)
_FIELD_TYPES: dict[type, dict[str, Any]] = {}


class _Fields:
    """Shared behaviour of :class:`Params` and :class:`Options` (frozen dataclasses)."""

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        """Field name -> resolved annotation (resolved once per class: the CLI asks for every field)."""
        cached = _FIELD_TYPES.get(cls)
        if cached is None:
            hints = typing.get_type_hints(cls)
            cached = {f.name: hints.get(f.name, Any) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
            _FIELD_TYPES[cls] = cached
        return dict(cached)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Field name -> default value."""
        return {f.name: f.default for f in dataclasses.fields(cls)}  # type: ignore[arg-type]

    @classmethod
    def from_mapping(cls: type[P], values: Mapping[str, Any], *, what: str = "") -> P:  # type: ignore[misc]
        """An instance from a mapping; an unknown key is an :class:`InvalidParameterError`."""
        known = cls.defaults()
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise InvalidParameterError(
                f"{what or cls.__name__} has no parameter {unknown[0]!r}; parameters: {', '.join(known)}"
            )
        return cls(**values)

    def converted(self: Any) -> Any:
        """A copy with every ``int``/``float``/``bool``/``str`` field checked and converted."""
        types = type(self).field_types()
        return dataclasses.replace(self, **{k: _convert_field(getattr(self, k), t, k) for k, t in types.items()})

    def validate(self: Any) -> Any:
        """The checked instance (subclasses add their own checks); the default converts the field types."""
        return self.converted()

    def as_dict(self: Any) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Params(_Fields):
    """Base of a study's model parameters: a frozen dataclass whose fields have defaults."""


@dataclass(frozen=True)
class Options(_Fields):
    """Base of a study's algorithm options (solver, tolerances): not swept, not physics."""


@dataclass(frozen=True)
class NoOptions(Options):
    """A study without algorithm options."""


@dataclass(frozen=True)
class FigureOutput:
    """What one figure function produces: files ``<stem>.nc``/``<stem>.png`` and headline rows.

    ``dataset`` (an ``xarray.Dataset``) and ``figure`` (a matplotlib figure) are each optional.
    """

    stem: str
    dataset: Any = None
    figure: Any = None
    headlines: tuple[Any, ...] = ()
    dpi: int = 120  # resolution of the PNG

    def __post_init__(self) -> None:
        if not self.stem or "/" in self.stem or self.stem.startswith("."):
            raise InvalidParameterError(f"a figure stem is a plain file name; got {self.stem!r}")
        object.__setattr__(self, "headlines", tuple(self.headlines))


@dataclass(frozen=True)
class Levels:
    """The configuration of each reproduce level (``quick``, ``default``, ``full``).

    >>> Levels(quick={"n": 2}, default={"n": 4}, full={"n": 8})["quick"]
    {'n': 2}
    """

    quick: Any
    default: Any
    full: Any

    def __getitem__(self, level: str) -> Any:
        if level not in LEVEL_NAMES:
            raise InvalidParameterError(f"level must be one of {sorted(LEVEL_NAMES)}; got {level!r}")
        return getattr(self, level)

    def __contains__(self, level: object) -> bool:
        return level in LEVEL_NAMES

    def keys(self) -> tuple[str, ...]:
        return LEVEL_NAMES


Figure = Callable[[Any], "FigureOutput | Iterable[FigureOutput]"]


def lazy_figure(module: str, name: str) -> Figure:
    """The figure function ``module.name``, imported on its first call.

    Figure modules import xarray and matplotlib and build plots; a study lists them through
    this so that loading the study (``opentangle <study> ...``, a sweep) does not import them.

    >>> fig = lazy_figure("opentangle.studies.reset.figures_paper", "fig1")
    >>> fig.__name__
    'fig1'
    """

    def figure(config: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module), name)(config)

    figure.__name__ = figure.__qualname__ = name
    figure.__module__ = module
    return figure


@dataclass(frozen=True, eq=False)
class Study:
    """A study: parameters, options, measures, the computation of one point, and figures.

    ``compute(params, options) -> dict`` returns one value per name in ``measures``
    (``None`` where a measure is not computed).  ``batch(grid, fixed) -> dict`` is an
    optional vectorised evaluation for sweeps.  ``notes(params, options)`` returns lines
    the CLI prints on stderr before computing (warnings about ignored options).
    ``title(params)`` is the heading of the CLI table.  ``figures`` are run in order by
    :meth:`reproduce` with ``levels[level]`` as their argument.
    """

    name: str
    summary: str
    params: type[Params]
    measures: tuple[str, ...]
    compute: Callable[[Any, Any], Mapping[str, Any]]
    options: type[Options] = NoOptions
    levels: Levels | None = None
    figures: tuple[Figure, ...] = ()
    batch: Callable[..., Mapping[str, Any]] | None = None
    seeded: bool = False
    notes: Callable[[Any, Any], list[str]] | None = None
    title: Callable[[Any], str] | None = None
    help: str = ""

    # ------------------------------------------------------------ plain-module protocol
    @property
    def NAME(self) -> str:  # the plain-module protocol names are upper case
        return self.name

    @property
    def PARAMETERS(self) -> dict[str, Any]:
        return self.params.defaults()

    @property
    def MEASURES(self) -> tuple[str, ...]:
        return tuple(self.measures)

    @property
    def SEEDED(self) -> bool:
        return self.seeded

    @property
    def evaluate_batch(self) -> Callable[..., Mapping[str, Any]]:
        if self.batch is None:
            raise AttributeError(f"study {self.name!r} has no evaluate_batch")
        return self.batch

    def split(self, values: Mapping[str, Any]) -> tuple[Any, Any]:
        """Validated ``(params, options)`` from one flat mapping of keywords."""
        pnames, onames = self.params.defaults(), self.options.defaults()
        unknown = sorted(set(values) - set(pnames) - set(onames))
        if unknown:
            raise InvalidParameterError(
                f"{self.name} has no parameter or option {unknown[0]!r}; "
                f"parameters: {', '.join(pnames)}" + (f"; options: {', '.join(onames)}" if onames else "")
            )
        params = self.params(**{k: v for k, v in values.items() if k in pnames}).validate()
        options = self.options(**{k: v for k, v in values.items() if k in onames}).validate()
        return params, options

    def evaluate(self, params: Params | None = None, /, options: Options | None = None, **values: Any) -> dict:
        """The measures of one point, from a :class:`Params` object or from keywords.

        Every key of :attr:`measures` is present; a missing or an extra key is an error of
        the study (:class:`InvalidParameterError` naming the key), never a silent ``NaN``.
        """
        if params is not None:
            if values:
                raise InvalidParameterError("give a Params object or keywords, not both")
            params, options = params.validate(), (options or self.options()).validate()
        else:
            params, options = self.split(values)
        out = dict(self.compute(params, options))
        extra = [k for k in out if k not in self.measures]
        missing = [k for k in self.measures if k not in out]
        if extra or missing:
            what = f"returned {extra[0]!r}, which MEASURES does not list" if extra else f"never returned {missing[0]!r}"
            raise InvalidParameterError(f"study {self.name!r} {what}")
        return {k: out[k] for k in self.measures}

    # ------------------------------------------------------------ reproduce
    def reproduce(self, out_dir: Any, *, level: str = "default") -> list[Any]:
        """Run every figure at ``level``; write ``<stem>.nc``/``.png`` atomically into ``out_dir``.

        Returns the headline rows of all figures, followed by one informative timing row
        per figure function.
        """
        from opentangle.studies._base import Headline, save_figure, start_reproduce

        if self.levels is None:
            raise InvalidParameterError(f"study {self.name!r} has no reproduce levels")
        config, out = start_reproduce(out_dir, level, self.levels)
        rows: list[Any] = []
        timings: list[Any] = []
        for figure in self.figures:
            t0 = time.perf_counter()
            produced = figure(config)
            outputs = [produced] if isinstance(produced, FigureOutput) else list(produced)
            for item in outputs:
                _save(item, out, save_figure)
                rows.extend(item.headlines)
            label = getattr(figure, "__name__", "figure").lstrip("_")
            timings.append(Headline.info(f"seconds: {label} (this run)", round(time.perf_counter() - t0, 3)))
        return rows + timings

    # ------------------------------------------------------------ CLI
    @cached_property
    def command(self) -> Callable[..., None]:
        """The typer callback of ``opentangle <name>``, generated from ``params`` and ``options``."""
        return _make_command(self)


def _save(item: FigureOutput, out: Path, save_figure: Callable[..., None]) -> None:
    if item.figure is not None:
        save_figure(item.dataset, item.figure, out, item.stem, dpi=item.dpi)
    elif item.dataset is not None:
        from opentangle._io import save_netcdf

        save_netcdf(item.dataset, out / f"{item.stem}.nc")


def _cli_type(kind: Any) -> Any:
    inner = [a for a in typing.get_args(kind) if a is not type(None)]
    if len(inner) == 1 and len(typing.get_args(kind)) == 2 and inner[0] in (int, float):
        return inner[0]  # Optional[int | float]: an option of that type whose default may be None
    return kind if kind in (int, float, str, bool) else str


def _cli_parameters(cls: type[_Fields]) -> list[inspect.Parameter]:
    import typer

    types = cls.field_types()
    out = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        meta = f.metadata
        if not meta.get("cli", True):
            continue
        kind = _cli_type(types[f.name])
        flag = meta.get("flag") or "--" + f.name.replace("_", "-")
        default = f.default if kind is not str or isinstance(f.default, str) else str(f.default)
        option = typer.Option(default, flag, help=meta.get("help", ""))
        out.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind))
    return out


def _run_command(study: Study, values: dict[str, Any]) -> None:
    """Body of ``opentangle <study> ...``: validate, print the notes, compute, print the table or JSON."""
    import sys

    from opentangle.studies._base import emit

    as_json = values.pop("json", False)
    params, options = study.split(values)
    for line in study.notes(params, options) if study.notes else []:
        print(f"opentangle: {line}", file=sys.stderr)
    result = study.evaluate(params, options)
    title = (
        study.title(params)
        if study.title
        else f"{study.name}: " + ", ".join(f"{k}={v}" for k, v in params.as_dict().items())
    )
    emit(result, as_json=as_json, title=title)


def _make_command(study: Study) -> Callable[..., None]:
    import typer

    json_option = inspect.Parameter(
        "json",
        inspect.Parameter.KEYWORD_ONLY,
        annotation=bool,
        default=typer.Option(False, "--json", help="Print one JSON object."),
    )

    def command(**values: Any) -> None:
        _run_command(study, values)

    params = _cli_parameters(study.params) + _cli_parameters(study.options) + [json_option]
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = _command_help(study)
    command.__name__ = study.name
    return command


def _command_help(study: Study) -> str:
    return study.summary + ("\n\n" + study.help if study.help else "")


def _click_option(click: Any, f: dataclasses.Field, kind: type) -> Any:
    """The ``click.Option`` of one dataclass field (flag ``--name``, or the field's ``flag``)."""
    decls = [f.metadata.get("flag") or "--" + f.name.replace("_", "-"), f.name]
    helptext = f.metadata.get("help", "")
    if kind is bool:
        return click.Option(decls, is_flag=True, default=bool(f.default), help=helptext)
    default = f.default if kind is not str or isinstance(f.default, str) else str(f.default)
    ptype = {int: click.INT, float: click.FLOAT, str: click.STRING}[kind]
    return click.Option(decls, type=ptype, default=default, show_default=True, help=helptext)


def click_command(study: Study, *, short_help: str | None = None) -> Any:
    """``opentangle <name>`` as a plain ``click.Command`` built from ``params`` and ``options``.

    The same options, defaults and help as :attr:`Study.command`, without typer: typer imports
    pydantic and builds a validator per option, about half a second of ``opentangle reset ...``
    start-up (issue 19).
    """
    import click

    params: list[click.Parameter] = [
        _click_option(click, f, _cli_type(cls.field_types()[f.name]))
        for cls in (study.params, study.options)
        for f in dataclasses.fields(cls)
        if f.metadata.get("cli", True)
    ]
    params.append(click.Option(["--json", "json"], is_flag=True, default=False, help="Print one JSON object."))

    def callback(**values: Any) -> None:
        _run_command(study, values)

    return click.Command(
        study.name, callback=callback, params=params, help=_command_help(study), short_help=short_help or study.summary
    )
