"""Running a sweep: spec, resume, tasks, backend, checkpoint appends, assembly, atomic output."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from opentangle._io import check_output_path
from opentangle.errors import InvalidParameterError, OutputError
from opentangle.sweep._assemble import _assemble, write_netcdf_atomic
from opentangle.sweep._backends import BackendError, _check_backend, _connect, _run_tasks
from opentangle.sweep._checkpoint import (
    Checkpoint,
    Record,
    _append,
    _header,
    _open_checkpoint,
    _read_checkpoint,
    _remove_obsolete_checkpoints,
    _saved_note,
    _warn_dropped,
    checkpoint_path,
)
from opentangle.sweep._evaluate import Task
from opentangle.sweep._grid import GridAxis, SweepSpec, make_spec


@dataclass
class SweepResult:
    """Outcome of :func:`run_sweep`."""

    dataset: Any
    out: Path | None
    points: int
    computed: int
    resumed: int
    failed: int
    backend: str
    seconds: float

    def __repr__(self) -> str:
        shape = " x ".join(f"{k}={v}" for k, v in self.dataset.sizes.items())
        return (
            f"SweepResult({shape}, points={self.points}, computed={self.computed}, "
            f"resumed={self.resumed}, failed={self.failed}, backend={self.backend!r}, "
            f"seconds={self.seconds:.2f}, out={str(self.out) if self.out else None!r})"
        )

    def _repr_html_(self) -> str:  # Jupyter: grid, measures, failed/resumed points; a plot for 1-D sweeps
        from opentangle.sweep._display import sweep_html

        return sweep_html(self)

    def summary(self) -> dict[str, Any]:
        return {
            "out": str(self.out) if self.out else None,
            "dims": {k: int(v) for k, v in self.dataset.sizes.items()},
            "measures": list(self.dataset.data_vars),
            "points": self.points,
            "computed": self.computed,
            "resumed": self.resumed,
            "failed": self.failed,
            "backend": self.backend,
            "seconds": round(self.seconds, 3),
        }


@contextlib.contextmanager
def _progress(total: int, done: int, enabled: bool, label: str) -> Iterator[Any]:
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=total, completed=done)
        yield lambda n: bar.advance(task, n)


def _load_resume(ckpt: Path | None, spec: SweepSpec, out: Path | None, resume: bool) -> Checkpoint:
    if ckpt is None or out is None:  # no output file: no checkpoint
        return Checkpoint([], 0, Counter())
    try:
        if resume:
            ck = _read_checkpoint(ckpt, spec, out)
            _warn_dropped(ckpt, ck.dropped)
            return ck
        if ckpt.exists():
            ckpt.unlink()
    except OSError as exc:
        raise InvalidParameterError(
            f"cannot use the checkpoint {ckpt}: {exc.strerror or exc}; use --restart or another --out"
        ) from None
    return Checkpoint([], 0, Counter())


def _tasks(spec: SweepSpec, done: set[int]) -> list[Task]:
    names = tuple(a.name for a in spec.axes)
    axes = [spec.coords[n] for n in names]
    tasks = []
    for chunk in spec.chunks():
        if done.issuperset(chunk.tolist()):
            continue
        sub = np.unravel_index(chunk, spec.shape)  # no full meshgrid: memory stays O(chunk)
        columns = [ax[s].tolist() for ax, s in zip(axes, sub)]
        tasks.append(
            Task(
                spec.study,
                names,
                columns,
                chunk.tolist(),
                spec.fixed,
                spec.measures,
                spec.all_measures,
                spec.seed if spec.seeded else None,
                spec.batch,
            )
        )
    return tasks


def run_sweep(
    study: str | Any,
    *,
    axes: Sequence[GridAxis | str],
    fixed: dict[str, Any] | None = None,
    measures: Sequence[str] | None = None,
    out: str | os.PathLike | None = None,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    batch: bool | None = None,
    resume: bool = True,
    progress: bool = False,
    connect_timeout: float = 3.0,
) -> SweepResult:
    r"""Evaluate a study on the grid ``axes[0] x axes[1] x ...`` and return an xarray Dataset.

    Parameters
    ----------
    study : str or module
        Study name (``opentangle.studies``), a ``.py`` file, a dotted module path or ``module:Name``.
    axes : ``GridAxis`` or strings
        Swept parameters: ``"NAME=START:STOP:NUM"`` (linspace), ``"NAME=START:STOP:NUM:log"``
        (geomspace) or ``"NAME=V1,V2,..."``.
    fixed : dict
        Overrides of the other parameters' defaults.
    measures : list of str
        Measures to keep (default: all of ``study.MEASURES``).
    out : path
        NetCDF file (h5netcdf); written atomically.  Enables checkpoint/resume.
    seed : int
        Sweep seed in ``[0, 2**63 - 1]``; point ``k`` uses :func:`point_seed` ``(seed, k)``.
    workers : int
        Local process-pool size (default ``os.cpu_count()``, at most 4 per core); 1 runs in-process.
        Batch studies run in-process unless ``workers`` is given.
    scheduler : str
        ``tcp://host:port`` of a Dask scheduler; points run as Dask tasks there.
    batch : bool
        Use ``evaluate_batch`` (default: when the study has it and is not seeded).

    Returns
    -------
    SweepResult
        ``.dataset``: dims named as the swept parameters, one variable per measure.

    Raises
    ------
    InvalidParameterError
        Bad arguments, a study returning keys its ``MEASURES`` does not list (or missing one),
        a grid too large for memory (:class:`~opentangle.errors.ResourceLimitError`).
    OutputError
        The disk is full or failing; the checkpoint keeps every finished point.
    BackendError, SchedulerError
        Workers or the Dask scheduler went away; the checkpoint keeps every finished point.

    Examples
    --------
    >>> res = run_sweep("reset", axes=["r=0:4:5", "g=0:4:5"], fixed={"gamma": 1.0})  # doctest: +SKIP
    >>> res.dataset["negativity"].shape                                              # doctest: +SKIP
    (5, 5)
    """
    t0 = time.perf_counter()
    spec = make_spec(study, axes=axes, fixed=fixed, measures=measures, seed=seed, batch=batch)
    scheduler = _check_backend(workers, scheduler)
    out = check_output_path(out) if out is not None else None
    if workers is None:
        workers = 1 if spec.batch else (os.cpu_count() or 1)
    ckpt = checkpoint_path(out, spec.key) if out is not None else None
    ck = _load_resume(ckpt, spec, out, resume)
    resumed = len(ck.done)
    tasks = _tasks(spec, ck.done)
    backend = (
        f"dask:{scheduler}" if scheduler else ("in-process" if workers <= 1 or len(tasks) <= 1 else f"pool:{workers}")
    )
    # connect first: an unreachable scheduler leaves no checkpoint file behind
    client = _connect(scheduler, connect_timeout) if scheduler and tasks else None
    records = ck.records
    computed = _compute(spec, tasks, records, ckpt, ck.good_end, workers, client, progress, out, resumed)
    ds = _assemble(spec, records, resumed=resumed)
    if out is not None and ckpt is not None:  # ckpt is set exactly when out is
        try:
            write_netcdf_atomic(ds, out)
        except OutputError as exc:
            raise OutputError(
                f"{exc}; {_saved_note(ckpt, spec.size, spec.size)}", errno=exc.errno, path=exc.filename
            ) from None
        with contextlib.suppress(OSError):
            ckpt.unlink()
        _remove_obsolete_checkpoints(out, keep=None)
    return SweepResult(
        dataset=ds,
        out=out,
        points=spec.size,
        computed=computed,
        resumed=resumed,
        failed=int(ds.attrs["failed_points"]),
        backend=backend,
        seconds=time.perf_counter() - t0,
    )


def _compute(
    spec: SweepSpec,
    tasks: list[Task],
    records: list[Record],
    ckpt: Path | None,
    good_end: int,
    workers: int,
    client: Any,
    progress: bool,
    out: Path | None,
    resumed: int,
) -> int:
    """Run ``tasks``, appending each record to ``records`` and the checkpoint; return the points computed."""
    fh = None
    computed = 0
    todo = sum(len(t.indices) for t in tasks)
    results = _run_tasks(tasks, workers=workers, client=client)
    try:
        if ckpt is not None and out is not None and tasks:
            try:
                fh = _open_checkpoint(ckpt, good_end, _header(spec, out))
                good_end = fh.tell()  # after the header of a new file
            except OSError as exc:
                raise InvalidParameterError(
                    f"cannot write the checkpoint {ckpt}: {exc.strerror or exc}; choose another --out"
                ) from None
        with _progress(spec.size, resumed, progress and todo > 0, f"sweep {spec.study}") as advance:
            for rec in results:
                if fh is not None and ckpt is not None:
                    good_end = _append(fh, rec, ckpt, good_end, resumed + computed, spec.size)
                records.append(rec)
                computed += len(rec.i)
                advance(len(rec.i))
    except KeyboardInterrupt:
        if ckpt is not None:
            print(
                f"opentangle: interrupted; {resumed + computed}/{spec.size} points saved in {ckpt}; "
                "rerun the same command to resume",
                file=sys.stderr,
            )
        raise
    except BackendError as exc:
        raise type(exc)(f"{exc}; {_saved_note(ckpt, resumed + computed, spec.size)}") from None
    finally:
        results.close()  # cancels what is still queued (pool or Dask) right away
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
    return computed
