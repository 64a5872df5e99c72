"""Asking git about the user's repository (rewrite --apply's uncommitted check, lint --new-from-rev)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def run_git(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    """`git -C folder ARGS`, or None when git cannot be run at all (not installed, hung). Read-only use:
    optional locks are off, so a concurrent git command in the user's shell is never blocked."""
    try:
        return subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
