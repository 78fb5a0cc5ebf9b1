"""The five mission studies.  A study is the only place a paper's conventions live.

Every built-in study is a :class:`opentangle.studies._study.Study` (typed, frozen
``Params`` and ``Options`` dataclasses, ``compute``, ``Levels`` and figure functions;
the CLI command and ``reproduce`` are generated from them), exposed through its
package's module-level names.  A user's own study may be a ``Study`` too, or just a
plain module:

A study (built in, or the user's own file: see ``docs/your_own_study.md``) is a module
or object that **requires** only

``PARAMETERS``
    ``dict`` of sweepable parameter names (Python identifiers, the CLI option
    with ``-`` replaced by ``_``) to their defaults.
``MEASURES``
    tuple of the keys returned by :func:`evaluate` (the ``--json`` keys).
``evaluate(**params) -> dict``
    one parameter point; the same dictionary the CLI prints with ``--json``.

and may provide (the built-in studies provide all of them)

``NAME``
    the subcommand name.
``evaluate_batch(grid, fixed) -> dict[str, ndarray]`` (optional)
    ``grid`` maps swept parameter names to equally shaped arrays; returns one
    array of that shape per measure.  Sweeps use it when present.
``SEEDED``
    True when :func:`evaluate` accepts ``seed``.
``command``
    the typer callback registered as ``opentangle <NAME>``.
``reproduce(out_dir, *, level) -> list[Headline]``
    writes ``*.nc`` and ``*.png`` into ``out_dir`` and returns headline numbers;
    ``level`` is ``"quick"``, ``"default"`` or ``"full"``.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from opentangle.studies._base import Headline

__all__ = ["STUDY_NAMES", "Headline", "available_studies", "load_study", "resolve_study"]


def __getattr__(name: str) -> Any:
    # lazy: `opentangle --help` must not import numpy-heavy study code (issue 19)
    if name == "Headline":
        from opentangle.studies._base import Headline

        return Headline
    if name == "resolve_study":
        from opentangle.studies._resolve import resolve_study

        return resolve_study
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


STUDY_NAMES: tuple[str, ...] = ("reset", "waveguide", "thermalize", "ladder", "ensembles")


def load_study(name: str) -> ModuleType:
    """Import the study module ``name``; raise ``KeyError`` for an unknown study."""
    if name not in STUDY_NAMES or importlib.util.find_spec(f"opentangle.studies.{name}") is None:
        raise KeyError(name)
    return importlib.import_module(f"opentangle.studies.{name}")


def available_studies() -> dict[str, ModuleType]:
    """The studies that exist in this installation, in mission order."""
    out = {}
    for name in STUDY_NAMES:
        if importlib.util.find_spec(f"opentangle.studies.{name}") is not None:
            out[name] = importlib.import_module(f"opentangle.studies.{name}")
    return out
