"""Asking git about the user's repository (rewrite --apply's uncommitted check, lint --new-from-rev).

A repository's own config can name programs that git runs while reading it (`core.fsmonitor` on every
`git status`, `filter.<driver>.clean` for files that look changed). Migrating someone else's repository
must run none of them, so every call turns the monitor off, and `safe_git_options` disables the filters.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_NEUTRAL = ("-c", "core.fsmonitor=false")


def run_git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    """`git -C folder ARGS`, or None when git cannot be run at all (not installed, hung). Read-only use:
    optional locks are off, so a concurrent git command in the user's shell is never blocked."""
    try:
        return subprocess.run(
            ["git", "-C", str(folder), *_NEUTRAL, *args],
            capture_output=True,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def safe_git_options(folder: Path) -> list[str]:
    """`-c` options that turn off every content filter the repository configures (a file a filter
    would have cleaned then shows as modified: the guard errs towards not writing it)."""
    done = run_git(folder, "config", "-z", "--get-regexp", r"^filter\..*\.(clean|process)$")
    if done is None or done.returncode != 0:
        return []
    options: list[str] = []
    for entry in done.stdout.decode("utf-8", "surrogateescape").split("\0"):
        key = entry.split("\n", 1)[0]
        driver = key[len("filter.") : key.rfind(".")]
        if driver and f"filter.{driver}.required=false" not in options:
            options += ["-c", f"filter.{driver}.clean=", "-c", f"filter.{driver}.process="]
            options += ["-c", f"filter.{driver}.required=false"]
    return options
