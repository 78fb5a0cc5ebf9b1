"""``opentangle sweep``: the typer command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from opentangle.studies._resolve import resolve_study
from opentangle.sweep._grid import GridAxis, parse_set
from opentangle.sweep._run import run_sweep


def command(
    study: str = typer.Argument(
        ..., help="Study: a name (see `opentangle --help`), a file my_study.py, a module, or module:Name."
    ),
    param: list[str] = typer.Option(
        None,
        "--param",
        "-p",
        metavar="NAME=START:STOP:NUM[:log] | NAME=V1,V2,...",
        help="Swept parameter: linear NAME=START:STOP:NUM, log NAME=START:STOP:NUM:log, or a list NAME=V1,V2 (repeat for more dimensions).",
    ),
    set_: list[str] = typer.Option(
        None, "--set", "-s", metavar="NAME=VALUE", help="Fixed parameter NAME=VALUE (repeatable)."
    ),
    measure: list[str] = typer.Option(
        None, "--measure", "-m", metavar="KEY", help="Measure to keep (repeatable; default all)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output NetCDF file, e.g. reset.nc."),
    workers: int = typer.Option(
        None, "--workers", "-w", metavar="K", help="Local worker processes (default: all cores; at most 4 per core)."
    ),
    scheduler: str = typer.Option(
        None, "--scheduler", metavar="ADDRESS", envvar="DASK_SCHEDULER_ADDRESS", help="Dask scheduler tcp://host:port."
    ),
    seed: int = typer.Option(
        0, "--seed", help="Sweep seed in [0, 2**63-1]; point k uses a seed derived from (seed, k)."
    ),
    restart: bool = typer.Option(False, "--restart", help="Discard a checkpoint instead of resuming."),
    json_: bool = typer.Option(False, "--json", help="Print a JSON summary; no progress bar."),
) -> None:
    """Sweep a study over a parameter grid and write an xarray Dataset (NetCDF).

    Example: opentangle sweep reset --param r=0:4:201 --param g=0:4:201 --out reset.nc
    """
    module = resolve_study(study)
    if scheduler:
        _quiet_dask()
    fixed = dict(parse_set(s, dict(module.PARAMETERS)) for s in (set_ or []))
    res = run_sweep(
        study,
        axes=[GridAxis.parse(p) for p in (param or [])],
        fixed=fixed,
        measures=measure or None,
        out=out,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        resume=not restart,
        progress=not json_ and sys.stderr.isatty(),
    )
    if json_:
        print(json.dumps(res.summary()))
    else:
        s = res.summary()
        print(
            f"wrote {s['out']}: {' x '.join(f'{k}={v}' for k, v in s['dims'].items())}, "
            f"{s['computed']} computed, {s['resumed']} resumed, {s['failed']} failed, "
            f"{s['seconds']:.2f} s ({s['backend']})"
        )


def _quiet_dask() -> None:
    """On the command line a lost scheduler is reported in one line; Dask's own tracebacks stay out of it."""
    import contextlib
    import logging

    with contextlib.suppress(ImportError):
        import distributed  # noqa: F401 - its import configures its loggers; override after it

    for name in (
        "distributed",
        "distributed.client",
        "distributed.comm",
        "distributed.core",
        "distributed.utils",
        "distributed.batched",
        "distributed.worker",
        "tornado",
        "asyncio",
    ):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
