"""A progress bar on stderr for long runs: only on a terminal, only after a second, never with -q.

The CLI turns it on around a command (`shown`); the per-file loops (pool.map_files, lint's) pass their
results through `track`, which costs nothing when it is off. The bar is transient: it is gone before the
command prints its output.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from otmigrate.terminal import is_terminal

Item = TypeVar("Item")

DELAY_SECONDS = 1.0  # a run shorter than this shows no bar at all

_description: list[str] = []  # set by `shown`: the label of the bar, e.g. "rewrite"


@contextmanager
def shown(description: str, *, quiet: bool) -> Iterator[None]:
    """Within this block, `track` shows a bar on stderr if it is a terminal and the user did not ask -q."""
    if quiet or not is_terminal(sys.stderr):
        yield
        return
    _description.append(description)
    try:
        yield
    finally:
        _description.pop()


def track(results: Iterable[Item], total: int) -> Iterator[Item]:
    """`results`, one per file, passed through while the bar counts them."""
    if not _description or total == 0:
        yield from results
        return
    bar = _Bar(_description[-1], total)
    try:
        for result in results:
            bar.advance()
            yield result
    finally:
        bar.stop()


class _Bar:
    """rich.progress started by a timer, so that a short run never flashes a bar."""

    def __init__(self, description: str, total: int) -> None:
        self._lock = threading.Lock()
        self._done = 0
        self._total = total
        self._description = description
        self._progress: Any = None
        self._timer = threading.Timer(DELAY_SECONDS, self._start)
        self._timer.daemon = True
        self._timer.start()

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with self._lock:
            if self._timer is None:  # stopped meanwhile
                return
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files"),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            self._task = self._progress.add_task(self._description, total=self._total, completed=self._done)
            self._progress.start()

    def advance(self) -> None:
        with self._lock:
            self._done += 1
            if self._progress is not None:
                self._progress.update(self._task, completed=self._done)

    def stop(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
