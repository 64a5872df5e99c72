"""Spreading per-file work over processes: files are independent, so a run is a pool of workers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

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
        yield from map(work, items)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=initializer, initargs=tuple(initargs)) as pool:
        yield from pool.map(work, items, chunksize=max(1, len(items) // (jobs * 4)))
