"""Spreading per-file work over processes: files are independent, so a run is a pool of workers."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from otmigrate.progress import track

Item = TypeVar("Item")
Result = TypeVar("Result")

_SERIAL_BELOW = 16  # fewer files than this are not worth a process start-up each


def default_jobs() -> int:
    return os.cpu_count() or 1


def map_files(
    work: Callable[[Item], Result],
    items: list[Item],
    jobs: int,
    initializer: Callable[..., None],
    initargs: Iterable[Any] = (),
) -> Iterator[Result]:
    """`work` over `items`, in order; `initializer(*initargs)` sets up each worker (e.g. loads rules)."""
    if jobs <= 1 or len(items) < _SERIAL_BELOW:
        initializer(*initargs)
        yield from track(map(work, items), len(items))
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(initializer, *initargs))
    try:
        yield from track(pool.map(work, items, chunksize=max(1, len(items) // (jobs * 4))), len(items))
    except BaseException:  # Ctrl-C, or the consumer stopped: end now, not after the queued work
        _stop_now(pool)
        raise
    pool.shutdown()


def _start_worker(initializer: Callable[..., None], *initargs: Any) -> None:
    """Ctrl-C reaches the whole process group; it is the main process's to handle (a worker taking it
    would print a traceback of its own)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    initializer(*initargs)


def _stop_now(pool: ProcessPoolExecutor) -> None:
    workers = list((getattr(pool, "_processes", None) or {}).values())  # no public way to stop one
    pool.shutdown(wait=False, cancel_futures=True)  # (which forgets the workers: taken above)
    for process in workers:
        process.terminate()
