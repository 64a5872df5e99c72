"""README's first command, exactly as written, on a fresh copy of the repository, outside our own venv:
it installs into a new virtual environment, shows the demo's inventory and migration, and exits 0."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from checkout import REPO, repository_files


def readme_first_command() -> str:
    """The first indented (code) line of README's Quick start."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    return next(line[4:] for line in section.splitlines() if line.startswith("    ") and line.strip())


def fresh_checkout(dest: Path) -> Path:
    """The files a clone would have, without .venv or node_modules."""
    for name in repository_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    return dest


def outside_our_venv() -> dict[str, str]:
    """The environment of a new shell: no active virtual environment, its bin folder off PATH."""
    ours = {str(Path(sys.executable).parent), str(Path(sys.prefix) / "bin")}
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p not in ours]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    return {**env, "PATH": os.pathsep.join(path)}


def test_the_readme_quick_start_command_works_as_written(tmp_path: Path) -> None:
    command = readme_first_command()
    assert command.startswith("python3 -m venv .venv && ")
    checkout = fresh_checkout(tmp_path / "otmigrate")
    demo_before = {p: p.read_bytes() for p in (checkout / "fixtures" / "demo").rglob("*") if p.is_file()}
    for shell in ("sh", "bash"):  # dash (POSIX sh) on a fresh venv, then bash over the existing one
        done = subprocess.run(
            [shell, "-c", command],
            cwd=checkout,
            env=outside_our_venv(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, (shell, done.stdout[-2000:], done.stderr[-2000:])
        assert "with legacy tracing" in done.stdout  # scan's inventory
        assert "+++ b/fixtures/demo/frontend/app.py" in done.stdout  # the migration, as a diff
        assert "would be rewritten; run with --apply to write" in done.stdout
    assert (checkout / ".venv" / "bin" / "otmigrate").exists()
    assert {p: p.read_bytes() for p in demo_before} == demo_before  # nothing written
