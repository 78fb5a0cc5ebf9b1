"""opentangle: entanglement in open quantum systems.

Entanglement measures, a Lindblad engine, quantum channels, Gaussian free
fermions and large-N spin ensembles, plus five reproducible studies of
entanglement that survives, or is created by, noise and dissipation.
"""

from __future__ import annotations

from opentangle import errors
from opentangle.errors import (
    ConvergenceError,
    DimensionError,
    IllConditionedError,
    InvalidChannelError,
    InvalidParameterError,
    InvalidStateError,
    NonUniqueSteadyStateError,
    OpentangleError,
)


def _find_version() -> str:
    """The installed version, read from the ``dist-info`` folder on ``sys.path``.

    ``importlib.metadata`` answers the same but imports ``email``, ``zipfile`` and more
    (0.1-3 s here), which ``opentangle --help`` cannot afford (issue 19).
    """
    import os
    import sys

    for entry in sys.path:
        try:
            names = [n for n in os.listdir(entry or ".") if n.startswith("opentangle-") and n.endswith(".dist-info")]
        except OSError:
            continue
        for name in sorted(names):
            try:
                with open(os.path.join(entry or ".", name, "METADATA"), encoding="utf-8") as fh:
                    for line in fh:
                        if line.startswith("Version:"):
                            return line.split(":", 1)[1].strip()
                        if not line.strip():
                            break
            except OSError:
                continue
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("opentangle")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0+unknown"


__version__ = _find_version()


__all__ = [
    "ConvergenceError",
    "DimensionError",
    "IllConditionedError",
    "InvalidChannelError",
    "InvalidParameterError",
    "InvalidStateError",
    "NonUniqueSteadyStateError",
    "OpentangleError",
    "__version__",
    "errors",
    "to_qutip",
]


def __getattr__(name: str) -> object:
    # lazy: `import opentangle` (and so `opentangle --help`) does not import NumPy (issue 19)
    if name == "to_qutip":
        from opentangle._convert import to_qutip

        return to_qutip
    raise AttributeError(f"module 'opentangle' has no attribute {name!r}")
