"""Spreading per-file work over processes: files are independent, so a run is a pool of workers.

A worker must never outlive the run: when the main process dies (kill -9, SIGTERM, a closed terminal)
its workers would otherwise wait forever for work. Each worker asks the kernel for SIGKILL when its
parent dies (Linux) and also watches its parent's pid, which covers every other platform.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from otmigrate.progress import track

Item = TypeVar("Item")
Result = TypeVar("Result")

_SERIAL_BELOW = 16  # fewer files than this are not worth a process start-up each
_PR_SET_PDEATHSIG = 1
_PARENT_POLL_SECONDS = 1.0


def default_jobs() -> int:
    return os.cpu_count() or 1


def map_files(
    work: Callable[[Item], Result],
    items: list[Item],
    jobs: int,
    initializer: Callable[..., None],
    initargs: Iterable[Any] = (),
    on_crash: Callable[[Item, str], Result] | None = None,
) -> Iterator[Result]:
    """`work` over `items`, in order; `initializer(*initargs)` sets up each worker (e.g. loads rules).
    `on_crash(item, reason)` makes the result of a file whose analysis exhausted the stack or memory
    (RecursionError, MemoryError): that file is reported, the run goes on."""
    if on_crash is not None:
        work = functools.partial(_contained, work, on_crash)
    if jobs <= 1 or len(items) < _SERIAL_BELOW:
        initializer(*initargs)
        yield from track(map(work, items), len(items))
        return
    pool = ProcessPoolExecutor(
        max_workers=jobs, initializer=_start_worker, initargs=(os.getpid(), initializer, *initargs)
    )
    try:
        yield from track(pool.map(work, items, chunksize=max(1, len(items) // (jobs * 4))), len(items))
    except BaseException:  # Ctrl-C, or the consumer stopped: end now, not after the queued work
        _stop_now(pool)
        raise
    pool.shutdown()


def crash_reason(exc: BaseException) -> str:
    """The one-line reason for a file whose analysis ran out of stack or memory."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to analyse (RecursionError); not processed"
    return "too large to analyse (out of memory); not processed"


def _contained(work: Callable[[Item], Result], on_crash: Callable[[Item, str], Result], item: Item) -> Result:
    try:
        return work(item)
    except (RecursionError, MemoryError) as exc:
        return on_crash(item, crash_reason(exc))


def _start_worker(parent: int, initializer: Callable[..., None], *initargs: Any) -> None:
    """Ctrl-C reaches the whole process group; it is the main process's to handle (a worker taking it
    would print a traceback of its own). The worker dies with the main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with(parent)
    initializer(*initargs)


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.util.find_library("c")
        if libc is not None:
            ctypes.CDLL(libc, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="otmigrate-parent-watch", daemon=True).start()


def _stop_now(pool: ProcessPoolExecutor) -> None:
    workers = list((getattr(pool, "_processes", None) or {}).values())  # no public way to stop one
    pool.shutdown(wait=False, cancel_futures=True)  # (which forgets the workers: taken above)
    for process in workers:
        process.terminate()
