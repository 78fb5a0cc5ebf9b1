"""opentangle: entanglement in open quantum systems.

Entanglement measures, a Lindblad engine, quantum channels, Gaussian free
fermions and large-N spin ensembles, plus five reproducible studies of
entanglement that survives, or is created by, noise and dissipation.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("opentangle")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from typing import Any

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

__all__ = [
    "__version__",
    "errors",
    "to_qutip",
    "ConvergenceError",
    "DimensionError",
    "IllConditionedError",
    "InvalidChannelError",
    "InvalidParameterError",
    "InvalidStateError",
    "NonUniqueSteadyStateError",
    "OpentangleError",
]


def __getattr__(name: str) -> Any:
    # lazy: `import opentangle` (and so `opentangle --help`) does not import NumPy (issue 19)
    if name == "to_qutip":
        from opentangle._convert import to_qutip

        return to_qutip
    raise AttributeError(f"module 'opentangle' has no attribute {name!r}")
