"""Checkpoint format: a header line, then one checksummed :class:`Record` per finished chunk; validated on load."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentangle._io import disk_error, write_bytes_atomic
from opentangle.errors import OutputError
from opentangle.sweep._grid import SweepSpec

CHECKPOINT_FORMAT = 2


class CheckpointWarning(UserWarning):
    """Checkpoint records were dropped (bad checksum, index out of range, ...) and will be recomputed."""


@dataclass(frozen=True)
class Record:
    """One checkpoint line: flat indices ``i``, values ``v[measure]`` (aligned with ``i``), errors ``e``."""

    i: list[int]
    v: dict[str, list[Any]]
    e: dict[str, str] = field(default_factory=dict)

    def _body(self) -> str:
        return json.dumps({"i": self.i, "v": self.v, "e": self.e}, sort_keys=True, allow_nan=True)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self._body().encode()).hexdigest()[:16]

    def to_line(self) -> bytes:
        """The JSON line written to the checkpoint, with its checksum ``c``."""
        body = self._body()
        return (body[:-1] + f', "c": "{hashlib.sha256(body.encode()).hexdigest()[:16]}"}}\n').encode()

    @classmethod
    def from_line(cls, line: bytes, spec: SweepSpec) -> tuple[Record | None, str]:
        """The record of a checkpoint line and ``""``, or ``None`` and why it is bad."""
        try:
            raw = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None, "unreadable line"
        if not isinstance(raw, dict) or set(raw) != {"i", "v", "e", "c"}:
            return None, "malformed record"
        i, v, e = raw["i"], raw["v"], raw["e"]
        if not (isinstance(i, list) and isinstance(v, dict) and isinstance(e, dict)):
            return None, "malformed record"
        rec = cls(i, v, e)
        if raw["c"] != rec.checksum:
            return None, "checksum mismatch (edited?)"
        return rec, rec.problem(spec)

    def problem(self, spec: SweepSpec) -> str:
        """``""`` when the record fits ``spec``; else what is wrong with it."""
        n = spec.size
        if not self.i or not all(type(k) is int for k in self.i):  # bool is not an index
            return "index not an integer"
        if not all(0 <= k < n for k in self.i) or len(set(self.i)) != len(self.i):
            return f"index out of range [0, {n}) or repeated"
        missing = [m for m in spec.measures if m not in self.v]
        if missing:
            return f"missing measure {missing[0]!r}"
        for m in spec.measures:
            col = self.v[m]
            if not isinstance(col, list) or len(col) != len(self.i) or not all(map(_plain_value, col)):
                return f"values of {m!r} of the wrong type or length"
        if not all(isinstance(k, str) and isinstance(x, str) for k, x in self.e.items()):
            return "malformed error entry"
        return ""


def _plain_value(x: Any) -> bool:
    """A value a measure may take in a checkpoint: None, bool, number, string or a list of numbers."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return True
    return isinstance(x, list) and all(v is None or isinstance(v, (int, float, list)) for v in x)


def checkpoint_path(out: str | os.PathLike, key: str) -> Path:
    """The append-only checkpoint file of a sweep writing ``out``."""
    out = Path(out)
    return out.with_name(f".{out.name}.{key}.partial.jsonl")


def _header(spec: SweepSpec, out: Path) -> bytes:
    head = {
        "opentangle_checkpoint": CHECKPOINT_FORMAT,
        "key": spec.key,
        "out": out.name,
        "study": spec.study,
        "code": spec.code,
        "points": spec.size,
    }
    return (json.dumps(head, sort_keys=True) + "\n").encode()


def _read_header(path: Path) -> dict[str, Any] | None:
    """The header of a checkpoint that opentangle wrote, else None."""
    try:
        with path.open("rb") as fh:
            head = json.loads(fh.readline(4096).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return head if isinstance(head, dict) and head.get("opentangle_checkpoint") == CHECKPOINT_FORMAT else None


@dataclass
class Checkpoint:
    """The records of a checkpoint file that passed every check, and where good data end."""

    records: list[Record]
    good_end: int
    dropped: Counter

    @property
    def done(self) -> set[int]:
        return {i for rec in self.records for i in rec.i}


def _read_checkpoint(path: Path, spec: SweepSpec, out: Path) -> Checkpoint:
    """Load ``path``, keeping only records that pass every check (see :meth:`Record.problem`).

    A torn last line (a killed run) is cut; any other bad line is dropped, counted and
    the file is rewritten without it, so that its points are recomputed once.
    """
    ck = Checkpoint([], 0, Counter())
    if not path.exists():
        return ck
    with path.open("rb") as fh:
        data = fh.read()
    lines = data.splitlines(keepends=True)
    head = _header(spec, out)
    if not lines or lines[0] != head:
        if lines and lines[0].endswith(b"\n"):
            ck.dropped["not this sweep's checkpoint (header differs)"] += len(lines)
        lines = []
    seen: set[int] = set()
    for line in lines[1:]:
        if not line.endswith(b"\n"):
            continue  # torn last line: that chunk is recomputed, silently (a kill, not a corruption)
        rec, why = Record.from_line(line, spec)
        if rec is not None and not why and seen.isdisjoint(rec.i):
            ck.records.append(rec)
            seen.update(rec.i)
        else:
            ck.dropped[why or "points already recorded"] += 1
    if ck.dropped or (lines and not lines[-1].endswith(b"\n")):
        good = b"".join([head] + [r.to_line() for r in ck.records])

        write_bytes_atomic(path, good, fsync=True)
        ck.good_end = len(good)
    else:
        ck.good_end = len(data)
    return ck


def _warn_dropped(path: Path, dropped: Counter) -> None:
    if dropped:
        why = ", ".join(f"{n} x {reason}" for reason, n in dropped.most_common())
        warnings.warn(
            f"checkpoint {path}: dropped {sum(dropped.values())} bad record(s) ({why}); their points are recomputed",
            CheckpointWarning,
            stacklevel=3,
        )


def _open_checkpoint(path: Path, good_end: int, head: bytes) -> Any:
    """Open ``path`` for appending, first cutting it back to ``good_end`` (drops a torn tail)."""
    fh = path.open("ab")
    try:
        end = fh.seek(0, os.SEEK_END)
        if end > good_end:
            fh.truncate(good_end)
            fh.seek(good_end)
        if good_end == 0:
            fh.write(head)
            fh.flush()
    except BaseException:
        fh.close()
        raise
    return fh


def _remove_obsolete_checkpoints(out: Path, keep: str | None) -> list[Path]:
    """Remove checkpoints of ``out`` that opentangle wrote for other arguments or code (now obsolete)."""
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.([0-9a-f]{{16}})\.partial\.jsonl$")
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(out.parent if str(out.parent) else "."):
            m = pattern.match(entry.name)
            if not m or m.group(1) == keep or not entry.is_file(follow_symlinks=False):
                continue
            head = _read_header(Path(entry.path))
            if head is not None and head.get("out") == out.name and head.get("key") == m.group(1):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _saved_note(ckpt: Path | None, saved: int, total: int) -> str:
    if ckpt is None:
        return "nothing was saved (no --out)"
    return (
        f"the checkpoint {ckpt} is intact with {saved}/{total} points; rerun the same command to resume "
        "without recomputing them"
    )


def _append(fh: Any, rec: Record, ckpt: Path, good_end: int, saved: int, total: int) -> int:
    """Append one record; on a failing disk cut back to the last good line and raise OutputError."""
    line = rec.to_line()
    try:
        fh.write(line)
        fh.flush()
    except OSError as exc:
        with contextlib.suppress(OSError):
            fh.truncate(good_end)
        err = disk_error(exc, ckpt, needed=len(line))
        raise OutputError(f"{err}; {_saved_note(ckpt, saved, total)}", errno=exc.errno, path=str(ckpt)) from None
    return good_end + len(line)
