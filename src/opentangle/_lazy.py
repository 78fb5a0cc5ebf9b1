"""Module-level ``__getattr__`` / ``__dir__`` that import a package's public names on first use (PEP 562)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_names(
    package: str, lazy: Mapping[str, str], public: Iterable[str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``lazy`` maps a name to the module that defines it.

    A resolved name is stored in ``namespace`` (the package's ``globals()``), so each import runs once.
    """
    names = tuple(public)

    def __getattr__(name: str) -> Any:
        modname = lazy.get(name)
        if modname is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(modname), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
