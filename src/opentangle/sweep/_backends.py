"""Backends: in-process, a local spawn process pool, or a Dask scheduler."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Callable, Coroutine, Generator, Iterator
from typing import Any, TypeVar

import numpy as np

from opentangle._limits import max_workers
from opentangle.errors import InvalidParameterError, OpentangleError
from opentangle.sweep._checkpoint import Record
from opentangle.sweep._evaluate import Task, _evaluate_chunk

T = TypeVar("T")

_ADDRESS = re.compile(r"^inproc://\S+$|^([a-z]+://)?(\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):\d{1,5}$")


class BackendError(OpentangleError, RuntimeError):
    """The workers running a sweep went away (a crashed pool, a lost Dask scheduler); the checkpoint is kept."""


class SchedulerError(BackendError, ConnectionError):
    """The Dask scheduler could not be reached, went away mid-sweep, or Dask is not installed."""


def _connect(address: str, timeout: float) -> Any:
    """A Dask client for ``address``; :class:`SchedulerError` within ``timeout`` (+ import time) if unreachable."""
    try:
        import asyncio

        from dask.distributed import Client
        from distributed.comm import connect
    except ImportError as exc:  # pragma: no cover - dask is a test dependency
        raise SchedulerError("--scheduler needs Dask: pip install 'opentangle[dask]'") from exc

    def fail(why: str) -> SchedulerError:
        return SchedulerError(
            f"cannot reach the Dask scheduler at {address!r} ({why}); check the address "
            "(tcp://host:port) and that `dask scheduler` is running there"
        )

    async def probe() -> None:  # handshake only: a refused, silent or non-Dask port fails here
        comm = await connect(address, timeout=timeout)
        await comm.close()

    try:
        _run_coroutine(lambda: asyncio.wait_for(probe(), timeout + 1.0))
    except (asyncio.TimeoutError, TimeoutError):
        raise fail(f"no answer within {timeout:g} s") from None
    except Exception as exc:  # any failure here means "not a usable scheduler"
        raise fail(f"{type(exc).__name__}: {str(exc)[:120]}") from None
    try:
        return Client(address, timeout=f"{timeout}s", set_as_default=False)
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {str(exc)[:120]}") from None


def _run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(make())``; from inside a running event loop (Jupyter), in a worker thread.

    ``asyncio.run`` refuses to start a second loop in a thread whose loop is running, and the
    caller is synchronous, so it cannot await: a fresh thread gets its own loop. The coroutine is
    created in the thread that runs it.
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no running loop here: the plain path
        return asyncio.run(make())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="opentangle-connect") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _die_with_parent(parent_pid: int) -> None:
    """Pool-worker initializer: exit when the sweep process dies (``kill -9`` leaves no orphans).

    On Linux the kernel sends SIGKILL on the parent's death (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere, or if that call fails, a daemon thread polls ``os.getppid()``.
    """
    import signal
    import threading

    armed = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            armed = libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) == 0
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    if armed:
        return

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="opentangle-parent-watchdog", daemon=True).start()


def _dask_lost(exc: BaseException) -> bool:
    """Whether ``exc`` means the Dask scheduler (or the connection to it) is gone, not a study error."""
    import asyncio
    import concurrent.futures

    names = {"FutureCancelledError", "CancelledError", "CommClosedError", "StreamClosedError", "TimeoutError"}
    return (
        isinstance(exc, (asyncio.CancelledError, concurrent.futures.CancelledError, ConnectionError, TimeoutError))
        or type(exc).__name__ in names
    )


def _run_tasks(tasks: list[Task], *, workers: int, client: Any = None) -> Generator[Record, None, None]:
    """Yield checkpoint records as tasks finish (any order).

    ``client`` is a connected Dask client (see :func:`_connect`); the caller closes it.
    A lost scheduler raises :class:`SchedulerError`, a crashed pool :class:`BackendError`.
    """
    if client is not None:
        yield from _run_dask(tasks, client)
    elif workers <= 1 or len(tasks) <= 1:
        for t in tasks:
            yield _evaluate_chunk(t)
    else:
        yield from _run_pool(tasks, workers)


def _run_dask(tasks: list[Task], client: Any) -> Iterator[Record]:
    from dask.distributed import as_completed

    futures = []
    try:
        futures = [client.submit(_evaluate_chunk, t, pure=False, retries=3) for t in tasks]
        for fut in as_completed(futures, loop=client.loop):
            yield fut.result()
    except Exception as exc:
        if isinstance(exc, OpentangleError) or not _dask_lost(exc):
            raise
        detail = f": {str(exc)[:80]}" if str(exc) else ""
        raise SchedulerError(f"lost the Dask scheduler mid-sweep ({type(exc).__name__}{detail})") from None
    finally:
        with contextlib.suppress(Exception):
            client.cancel(futures)


def _run_pool(tasks: list[Task], workers: int) -> Iterator[Record]:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        pending = set()
        it = iter(tasks)

        def refill() -> None:  # bounded window: at most 2*workers tasks in flight
            for t in it:
                pending.add(pool.submit(_evaluate_chunk, t))
                if len(pending) >= 2 * workers:
                    break

        try:
            refill()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        rec = fut.result()
                    except BrokenProcessPool:
                        raise BackendError("a worker process died (killed, or out of memory)") from None
                    yield rec
                refill()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def _check_backend(workers: int | None, scheduler: str | None) -> str | None:
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
            raise InvalidParameterError(f"--workers must be >= 1, got {workers}")
        if workers > max_workers():
            raise InvalidParameterError(
                f"--workers {workers} is more than {max_workers()} (4 per CPU core on this machine, "
                f"{os.cpu_count()} cores); every worker is a process"
            )
    if scheduler is not None and not scheduler.strip():
        scheduler = None
    if scheduler is not None and not _ADDRESS.match(scheduler.strip()):
        raise SchedulerError(f"malformed scheduler address {scheduler!r}; expected tcp://host:port")
    return scheduler
