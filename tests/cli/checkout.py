"""The files a fresh clone of this repository has: what README's and the hooks' tests start from."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


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
