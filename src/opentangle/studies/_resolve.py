"""Find a study from what the user typed: a name, a file, a module, or ``module:Name``.

``reset``
    one of the built-in studies (:data:`opentangle.studies.STUDY_NAMES`).
``path/to/my_study.py``
    a Python file, imported by path (no ``PYTHONPATH`` needed).
``mypkg.mystudy``
    a module; the current folder is searched too, as ``python -m`` would.
``mypkg.mystudy:Brask``
    an object in a module (a class or a namespace) with the study attributes.

A study needs only ``PARAMETERS`` (dict name -> default), ``MEASURES`` (tuple of the
keys ``evaluate`` returns) and ``evaluate(**params) -> dict``; see
``docs/your_own_study.md``.  An error raised while importing the user's code is
reported as such, with the file and line, not as an unknown study.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

from opentangle.errors import InvalidParameterError

__all__ = ["REQUIRED", "canonical_name", "code_hash", "resolve_study"]

#: what every study must define (everything else is optional)
REQUIRED = ("PARAMETERS", "MEASURES", "evaluate")


def _where(exc: BaseException, path: str | None) -> str:
    """`` (file.py, line 3)`` for the innermost frame in the user's file, if any."""
    frames = traceback.extract_tb(exc.__traceback__)
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f" ({Path(exc.filename or path or '?').name}, line {exc.lineno})"
    mine = [f for f in frames if path and os.path.abspath(f.filename) == os.path.abspath(path)]
    chosen = mine or list(frames)
    if not chosen:
        return ""
    frame = chosen[-1]
    return f" ({Path(frame.filename).name}, line {frame.lineno})"


def _import_failed(what: str, exc: BaseException, path: str | None) -> InvalidParameterError:
    msg = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    return InvalidParameterError(f"importing the study {what} failed{_where(exc, path)}: {type(exc).__name__}: {msg}")


def _load_file(path: Path) -> Any:
    name = "opentangle_user_study_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidParameterError(f"cannot import {path} as Python; a study file must end in .py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise _import_failed(str(path), exc, str(path)) from None
    return module


def _load_module(modname: str) -> Any:
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)  # like `python -m`: a module next to the user is found without PYTHONPATH
    try:
        return importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        if exc.name and (modname == exc.name or modname.startswith(exc.name + ".")):
            return None  # the module itself does not exist: an unknown study
        raise _import_failed(modname, exc, None) from None
    except Exception as exc:
        spec = importlib.util.find_spec(modname.split(".")[0])
        raise _import_failed(modname, exc, getattr(spec, "origin", None)) from None


def _unknown(name: str) -> InvalidParameterError:
    from opentangle.studies import STUDY_NAMES

    return InvalidParameterError(
        f"unknown study {name!r}; built-in studies: {', '.join(STUDY_NAMES)}; or give a file (my_study.py), "
        "a module (mypkg.mystudy) or module:Name"
    )


def canonical_name(name: str) -> str:
    """The name that finds the same study from any process: a file becomes its absolute path."""
    name = str(name).strip()
    if name.endswith(".py") or os.sep in name.split(":")[0]:
        file, sep, attr = name.partition(":") if not os.path.exists(name) else (name, "", "")
        return str(Path(file).expanduser().resolve()) + (sep + attr if sep else "")
    return name


@lru_cache(maxsize=64)
def _resolve(name: str) -> Any:
    from opentangle.studies import STUDY_NAMES, load_study

    if name in STUDY_NAMES:
        try:
            return load_study(name)
        except KeyError:
            raise _unknown(name) from None
    target, _, attr = name.partition(":") if not os.path.exists(name) else (name, "", "")
    if target.endswith(".py") or os.sep in target:
        path = Path(target)
        if not path.is_file():
            raise InvalidParameterError(f"no study file {target}; give an existing .py file")
        obj = _load_file(path)
    elif target.replace(".", "").replace("_", "").isalnum():
        obj = _load_module(target)
        if obj is None:
            raise _unknown(name)
    else:
        raise _unknown(name)
    if attr:
        if not hasattr(obj, attr):
            raise InvalidParameterError(f"{target} has no attribute {attr!r} (from {name!r})")
        obj = getattr(obj, attr)
    missing = [a for a in REQUIRED if not hasattr(obj, a)]
    if missing:
        raise InvalidParameterError(
            f"{name!r} is not a study: it lacks {', '.join(missing)} (a study defines PARAMETERS, MEASURES and "
            "evaluate; see docs/your_own_study.md)"
        )
    return obj


def resolve_study(name: str) -> Any:
    """The study object (module, class or namespace) that ``name`` refers to.

    Raises :class:`InvalidParameterError` for an unknown study, a file that fails to
    import (the message shows the error and the line), or an object that lacks
    ``PARAMETERS``, ``MEASURES`` or ``evaluate``.

    >>> resolve_study("reset").NAME
    'reset'
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(f"a study is named by a non-empty string; got {name!r}")
    return _resolve(canonical_name(name))


def code_hash(study: Any) -> str:
    """Hash of the code behind ``study``: its source file and every opentangle source file.

    Part of a sweep's checkpoint key, so a resume never mixes points computed by
    different code (an editable install or a ``git pull`` does not change the version).
    """
    h = hashlib.sha256()
    mod = sys.modules.get(getattr(study, "__module__", None) or "") if not hasattr(study, "__file__") else study
    own = getattr(mod, "__file__", None)
    h.update(_file_hash(own).encode() if own else b"")
    h.update(_package_hash().encode())
    return h.hexdigest()[:16]


def _file_hash(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


@lru_cache(maxsize=1)
def _package_hash() -> str:
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode())
        h.update(_file_hash(str(p)).encode())
    return h.hexdigest()
