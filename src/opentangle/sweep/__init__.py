"""Parameter sweeps over a study: local process pool or Dask, checkpointed, written as NetCDF.

``opentangle sweep STUDY --param NAME=START:STOP:NUM ... --out FILE.nc`` evaluates a
study on the Cartesian grid of the swept parameters and writes an
:class:`xarray.Dataset` with one dimension per swept parameter (named exactly as
the parameter) and one variable per measure.  Fixed parameters, the package
version and the seeds are stored as attributes.  Axes are linear
(``r=0:4:41``), logarithmic (``t_h=0.1:1000:41:log``) or explicit lists
(``n=2,4,8``).  ``STUDY`` is a built-in name, a file (``my_study.py``), a module
or ``module:Name`` (:func:`opentangle.studies._resolve.resolve_study`).

Every finished point (or batch chunk) is appended to a checkpoint file
``.<FILE>.<key>.partial.jsonl`` next to the output, where ``key`` hashes the
sweep arguments that determine the result and the study's code (not the worker
count or backend).  Each record carries a checksum and is checked on load (index
range, measures, types); a bad record is dropped, with a warning, and its points
are recomputed.  Rerunning the same command after Ctrl-C, ``kill -9`` or a crash
continues from it; the data are identical to an uninterrupted run, and the
attributes ``resumed_points`` and ``resumed_from`` say that the file was resumed.

Seeds: for seeded studies point ``k`` (flat C-order index over the swept
dimensions) gets ``point_seed(seed, k)``, so results do not depend on workers
or backend.

The package has one module per job: ``_grid`` (spec and grid parsing), ``_evaluate``
(tasks, run in workers), ``_checkpoint`` (the checkpoint format), ``_backends`` (process
pool, Dask), ``_assemble`` (records to xarray, NetCDF), ``_run`` (:func:`run_sweep`) and
``_cli`` (the ``opentangle sweep`` command).  Tasks and records are dataclasses
(:class:`Task`, :class:`Record`).

Example
-------
>>> from opentangle.sweep import run_sweep, GridAxis
>>> ds = run_sweep("reset", axes=[GridAxis.parse("r=0:4:41"), GridAxis.parse("g=0:4:41")],
...                out="reset.nc")                                      # doctest: +SKIP
"""

from __future__ import annotations

from opentangle.studies._resolve import resolve_study
from opentangle.sweep._assemble import write_netcdf_atomic
from opentangle.sweep._backends import BackendError, SchedulerError
from opentangle.sweep._checkpoint import CheckpointWarning, Record, checkpoint_path
from opentangle.sweep._cli import command
from opentangle.sweep._evaluate import Task
from opentangle.sweep._grid import (
    GridAxis,
    SweepSpec,
    make_spec,
    parse_set,
    point_seed,
)
from opentangle.sweep._run import SweepResult, run_sweep

__all__ = [
    "BackendError",
    "CheckpointWarning",
    "GridAxis",
    "Record",
    "SchedulerError",
    "SweepResult",
    "SweepSpec",
    "Task",
    "checkpoint_path",
    "command",
    "make_spec",
    "parse_set",
    "point_seed",
    "resolve_study",
    "run_sweep",
    "write_netcdf_atomic",
]
