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


class _LazyModule:
    """Stand-in for a module, imported on the first attribute access (see :func:`lazy_module`)."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):  # copy, pickle and introspection probes
            raise AttributeError(attr)
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it on first attribute access.

    ``sp = lazy_module("scipy.sparse")`` at the top of a module costs nothing until a function
    reads ``sp.csr_matrix``; the module is looked up once and every attribute is read from it,
    so patching the real module stays visible.  Write ``if TYPE_CHECKING: import scipy.sparse as
    sp`` next to it for type checkers.  (The standard library's ``importlib.util.LazyLoader``
    needs the module's spec, and finding the spec of ``scipy.sparse`` imports ``scipy`` itself.)

    >>> m = lazy_module("json")
    >>> m.dumps([1])
    '[1]'
    """
    return _LazyModule(name)
