"""Shared set-up for the reliability tests: the real CLI in a subprocess, git repositories, fake tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

LEGACY = (
    "import opentracing\n\n\ndef handler():\n"
    '    with opentracing.tracer.start_active_span("work") as scope:\n'
    '        scope.span.set_tag("job.id", 1)\n'
)
REAL_GIT = shutil.which("git") or "git"

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def legacy() -> str:
    return LEGACY


@pytest.fixture
def cli() -> Cli:
    """`otmigrate ARGS` as a user runs it; `path_prefix` puts fake tools first on PATH."""

    def run(*args: str, cwd: Path, path_prefix: Path | None = None, timeout: float = 120, **env: str):
        environ = {**os.environ, **env}
        if path_prefix is not None:
            environ["PATH"] = f"{path_prefix}{os.pathsep}{environ.get('PATH', '')}"
        return subprocess.run(
            [sys.executable, "-m", "otmigrate", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environ,
        )

    return run


@pytest.fixture
def repo() -> Callable[[Path, dict[str, str]], Path]:
    """A git repository at `root` with `files` committed."""

    def make(root: Path, files: dict[str, str]) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run([REAL_GIT, "init", "-q", str(root)], check=True)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        git = [REAL_GIT, "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
        subprocess.run([*git, "add", "."], check=True)
        subprocess.run([*git, "commit", "-qm", "init"], check=True)
        return root

    return make


@pytest.fixture
def fake_git(tmp_path: Path) -> Callable[[str], Path]:
    """A folder holding a `git` shell script with `body` (the real git is "$REAL_GIT"); put it on PATH."""

    def make(body: str) -> Path:
        folder = tmp_path / "fake-bin"
        folder.mkdir(exist_ok=True)
        script = folder / "git"
        script.write_text(f'#!/bin/sh\nREAL_GIT="{REAL_GIT}"\n{body}\n')
        script.chmod(0o755)
        return folder

    return make
