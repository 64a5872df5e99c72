"""The files a fresh clone of this repository has: what README's and the hooks' tests start from."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "otmigrate"]


def otmigrate(
    *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The real command line, run in `cwd` with the test's Python (extra `env` on top of ours)."""
    return subprocess.run(
        [*COMMAND, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def repository_files(prefixes: tuple[str, ...] = ("",)) -> list[str]:
    """Tracked files and new ones not ignored (so uncommitted work is tested too), under `prefixes`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout
    names = sorted(set(filter(None, listed.decode().split("\0"))))
    return [n for n in names if n.startswith(prefixes) and (REPO / n).is_file()]


def installed_tool(name: str) -> str:
    """A program the tests' own environment installs (pip install -e '.[test]'): its path; a missing one
    fails under OTMIGRATE_REQUIRE_TOOLCHAINS=1 (CI) and is skipped elsewhere."""
    import os
    import shutil
    import sys

    import pytest

    exe = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(exe).exists():
        if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(f"{name} is not installed (pip install -e '.[test]')")
        pytest.skip(f"{name} is not installed")
    return exe
