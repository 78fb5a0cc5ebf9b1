"""Atomic file output shared by sweeps, plots and study figures."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "can_create_in", "save_netcdf"]


def atomic_write(path: str | os.PathLike, write: Callable[[str], Any], *, fsync: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it into place.

    A reader never sees a half-written file, and an interrupted write leaves
    the previous file (if any) untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        if fsync:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def can_create_in(folder: str | os.PathLike) -> bool:
    """Create and remove a file in ``folder``.

    ``os.access`` says yes to root even on read-only or virtual file systems
    (/sys, /proc), so only a real file tells.
    """
    try:
        fd, probe = tempfile.mkstemp(prefix=".opentangle.", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError:
        return False
    return True


def save_netcdf(ds: Any, path: str | os.PathLike, *, fsync: bool = False) -> Path:
    """Write an xarray Dataset as NetCDF (h5netcdf engine), atomically."""
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"), fsync=fsync)
