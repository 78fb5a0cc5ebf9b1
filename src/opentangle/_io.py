"""File output shared by every writer: one path check, one atomic writer, one disk-error rule.

Every file opentangle writes (sweep NetCDF and checkpoints, plots, study figures, the
report) goes through :func:`check_output_path` and :func:`atomic_write`:

* an existing path that is not a regular file (a device node such as ``/dev/null``,
  a FIFO, a socket, a directory) is refused, because the atomic rename would replace
  it with a regular file;
* the data go to a temporary file ``.<name>.<pid>.<random>.otmp`` in the same folder,
  then :func:`os.replace` puts them in place: a reader never sees half a file;
* a full or failing disk (``ENOSPC``, ``EDQUOT``, ``EIO``, ...) becomes an
  :class:`~opentangle.errors.OutputError` that says what to free, the temporary file
  is removed and the previous file (if any) is untouched;
* temporary files left by a writer that was killed (``kill -9``) are recognised by
  that name pattern and a dead process id, and removed by the next write of the same
  file.

NetCDF is serialised in memory first (:func:`save_netcdf`) and written with plain
``os.write``, so HDF5 never sees a failing disk (it segfaulted on ``ENOSPC``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opentangle.errors import InvalidParameterError, OutputError

__all__ = [
    "MANIFEST",
    "atomic_write",
    "begin_outputs",
    "can_create_in",
    "check_output_path",
    "disk_error",
    "jsonable",
    "record_outputs",
    "remove_stale_temps",
    "save_netcdf",
    "write_bytes_atomic",
    "write_text_atomic",
]

#: suffix of every temporary file opentangle writes (``.<name>.<pid>.<random>.otmp``)
TMP_SUFFIX = ".otmp"
#: errno values that mean "the disk cannot take this" rather than "bad path"
DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EROFS}
#: a reproduce folder's record of the files that reproduce wrote (the only ones it deletes)
MANIFEST = ".opentangle-manifest.json"


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "directory"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def check_output_path(path: str | os.PathLike, *, what: str = "--out") -> Path:
    """``path`` as a :class:`~pathlib.Path` if a file may be written there; else :class:`InvalidParameterError`.

    Refused: an existing path that is not a regular file (device node, FIFO, socket,
    directory), a missing or unwritable folder, an existing file without write
    permission.  A symbolic link counts as what it points to.

    >>> check_output_path("/dev/null")
    Traceback (most recent call last):
    ...
    opentangle.errors.InvalidParameterError: --out /dev/null exists and is a character device, not a regular file; opentangle writes only regular files (the atomic rename would replace it); choose another name
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InvalidParameterError(f"cannot write {path}: {exc.strerror or exc}; choose another {what}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise InvalidParameterError(f"{what} {path} is a directory; give a file name such as {path / 'out.nc'}")
    if mode is not None and not stat.S_ISREG(mode):
        raise InvalidParameterError(
            f"{what} {path} exists and is a {_kind(mode)}, not a regular file; opentangle writes only regular "
            "files (the atomic rename would replace it); choose another name"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidParameterError(f"cannot write {path}: folder {parent} does not exist; create it first")
    if not can_create_in(parent):
        raise InvalidParameterError(f"cannot write {path}: folder {parent} is not writable; choose another {what}")
    if mode is not None and not os.access(path, os.W_OK):
        raise InvalidParameterError(f"cannot write {path}: permission denied; choose another {what}")
    return path


def can_create_in(folder: str | os.PathLike) -> bool:
    """Create and remove a file in ``folder``.

    ``os.access`` says yes to root even on read-only or virtual file systems
    (/sys, /proc), so only a real file tells.
    """
    import tempfile  # lazy here and below: tempfile and hashlib cost ~0.1 s of CLI start-up (issue 19)

    try:
        fd, probe = tempfile.mkstemp(prefix=".opentangle.", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError:
        return False
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's live process (or not a pid we can judge): keep its file
    return True


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Remove temporary files of ``path`` left by a killed opentangle writer; return them.

    Only names ``.<name>.<pid>.<random>.otmp`` whose ``pid`` is no longer running are
    removed: a concurrent writer's file and every other file are left alone.
    """
    path = Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)\.[A-Za-z0-9_]+{re.escape(TMP_SUFFIX)}$")
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent if str(path.parent) else "."):
            m = pattern.match(entry.name)
            if m and entry.is_file(follow_symlinks=False) and not _pid_alive(int(m.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _size(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if nbytes < 1000 or unit == "TB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1000
    return ""  # pragma: no cover


def disk_error(exc: OSError, path: str | os.PathLike, *, needed: int | None = None) -> OutputError:
    """The :class:`OutputError` for an ``OSError`` raised while writing ``path``: says what to free."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    name = errno.errorcode.get(exc.errno or 0, "error")
    why = exc.strerror or str(exc) or name
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        need = f"at least {_size(needed)} " if needed else ""
        hint = f"free {need}on the disk holding {folder} (or choose another --out) and rerun"
    elif exc.errno == errno.EROFS:
        hint = f"{folder} is on a read-only file system; choose another --out"
    else:
        hint = f"check the disk holding {folder} (or choose another --out) and rerun"
    return OutputError(f"cannot write {path}: {why} ({name}); {hint}", errno=exc.errno, path=str(path))


def atomic_write(
    path: str | os.PathLike, write: Callable[[str], Any], *, fsync: bool = False, needed: int | None = None
) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it into place.

    A reader never sees a half-written file, and an interrupted or failed write
    leaves the previous file (if any) untouched and no temporary file behind.
    Raises :class:`InvalidParameterError` for a path that :func:`check_output_path`
    refuses and :class:`OutputError` when the disk fails (full, quota, I/O error).
    """
    import tempfile

    path = check_output_path(path)
    remove_stale_temps(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=TMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise disk_error(exc, path, needed=needed) from None
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
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OutputError):
            raise
        raise disk_error(exc, path, needed=needed) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data).cast("B")
    while view:
        n = os.write(fd, view)
        view = view[n:]


def write_bytes_atomic(path: str | os.PathLike, data: bytes | memoryview, *, fsync: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""

    def write(tmp: str) -> None:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)

    return atomic_write(path, write, fsync=fsync, needed=memoryview(data).nbytes)


def write_text_atomic(path: str | os.PathLike, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_text_atomic(d / "a.txt", "hi").read_text()
    'hi'
    """
    return write_bytes_atomic(path, text.encode(encoding))


def save_netcdf(ds: Any, path: str | os.PathLike, *, fsync: bool = False) -> Path:
    """Write an xarray Dataset as NetCDF (h5netcdf engine), atomically.

    The file is built in memory, then written with :func:`write_bytes_atomic`, so a
    full disk is an :class:`OutputError`, never a crash inside HDF5.
    """
    check_output_path(path)  # before the (possibly long) serialisation
    return write_bytes_atomic(path, ds.to_netcdf(engine="h5netcdf"), fsync=fsync)


# ----------------------------------------------------------------------------- JSON


def jsonable(x: Any, *, finite: bool = False) -> Any:
    """Plain JSON values (the one converter for checkpoints, ``--json`` output and reports).

    Floats round-trip exactly (``json`` writes them by ``repr``).  NaN and inf are kept
    (``finite=False``, for checkpoints; ``json`` writes them as ``NaN``/``Infinity``) or
    become ``None`` (``finite=True``, for strict JSON such as ``--json`` output).  A complex
    value with a non-zero imaginary part is an :class:`InvalidParameterError`.

    >>> jsonable({"a": float("nan"), "b": (1, 2.5)}, finite=True)
    {'a': None, 'b': [1, 2.5]}
    """
    import numpy as np

    if isinstance(x, dict):
        return {str(k): jsonable(v, finite=finite) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v, finite=finite) for v in x]
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "biu" or (x.dtype.kind == "f" and not finite):
            return x.tolist()
        return jsonable(x.tolist(), finite=finite)
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        return None if finite and not math.isfinite(v) else v
    if isinstance(x, (complex, np.complexfloating)):
        if x.imag != 0:
            raise InvalidParameterError("a measure returned a complex value; sweeps and JSON store real values")
        return jsonable(float(x.real), finite=finite)
    if x is None or isinstance(x, str):
        return x
    return str(x)


# ----------------------------------------------------------------------------- reproduce folders


def _fingerprint(p: Path) -> list[int]:
    st = p.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _sha256(p: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == "opentangle-manifest-1" else {}


def _files(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in folder.iterdir() if p.is_file() and not p.is_symlink() and p.name != MANIFEST}


def begin_outputs(folder: str | os.PathLike) -> list[Path]:
    """Prepare ``folder`` for a study's ``reproduce``: remove what the previous reproduce wrote.

    Only files listed in the folder's manifest (:data:`MANIFEST`) whose content is
    unchanged since are removed; a file the user put there, or edited, is kept.
    Then the folder's current files are noted, so that :func:`record_outputs` can
    tell which ones this run writes.  Returns the removed files.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InvalidParameterError(f"{folder} exists and is not a folder; move it away or choose another --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidParameterError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None
    removed = []
    for name, digest in _read_manifest(folder).get("written", {}).items():
        p = folder / name
        if Path(name).name != name or not p.is_file() or p.is_symlink():
            continue
        with contextlib.suppress(OSError):
            if _sha256(p) == digest:
                p.unlink()
                removed.append(p)
    before = {name: _fingerprint(p) for name, p in _files(folder).items()}
    write_text_atomic(
        folder / MANIFEST,
        json.dumps({"format": "opentangle-manifest-1", "started": time.time(), "before": before, "written": {}}),
    )
    return removed


def record_outputs(folder: str | os.PathLike) -> list[str]:
    """Note in the manifest the files of ``folder`` written since :func:`begin_outputs`; return their names."""
    folder = Path(folder)
    data = _read_manifest(folder)
    before = data.get("before", {})
    written = {}
    for name, p in _files(folder).items():
        with contextlib.suppress(OSError):
            if before.get(name) != _fingerprint(p):
                written[name] = _sha256(p)
    data.update(format="opentangle-manifest-1", written=written)
    with contextlib.suppress(OSError, InvalidParameterError):
        write_text_atomic(folder / MANIFEST, json.dumps(data))
    return sorted(written)
