"""Go: `go mod tidy`, `go build ./...` and `go vet ./...` in every module holding a changed file.

GOFLAGS=-mod=mod lets tidy and build update go.mod/go.sum in the copy; GOWORK=off keeps a go.work of
the user's out; GOTOOLCHAIN=local never downloads another toolchain. No `go generate`, no tests run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath

from otmigrate.verify import Found, Workspace

TIMEOUT = 900
_POSITION = re.compile(r"^(?:vet: )?(?:\./)?([^\s:]+\.go):(\d+)(?::\d+)?: (.+)$")


def check(workspace: Workspace) -> list[Found]:
    modules = sorted(
        {
            module
            for path in workspace.changed
            if path.endswith(".go") or PurePosixPath(path).name == "go.mod"
            for module in [_module_of(workspace.root, path)]
            if module is not None
        }
    )
    if not modules:
        return []
    go = shutil.which("go")
    if go is None:
        workspace.notice("go not found on PATH: the migrated Go code was not verified")
        return []
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOWORK": "off", "GOTOOLCHAIN": "local"}
    found: list[Found] = []
    for module in modules:
        folder = workspace.root / module
        for tool, args in (
            ("go mod tidy", ["mod", "tidy"]),
            ("go build", ["build", "./..."]),
            ("go vet", ["vet", "./..."]),
        ):
            workspace.ran(tool)
            try:
                done = subprocess.run(
                    [go, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT
                )
            except subprocess.TimeoutExpired:
                found.append(Found(_join(module, "go.mod"), 1, f"{tool} timed out after {TIMEOUT}s", tool))
                break
            if done.returncode == 0:
                continue
            problems = _problems(module, done.stdout + done.stderr, tool)
            if not problems:  # no position: e.g. tidy cannot resolve a module
                message = " ".join(done.stderr.strip().splitlines()[:3]) or f"{tool} failed"
                problems = [Found(_join(module, "go.mod"), 1, message, tool)]
            found += problems
            if tool == "go build":
                break  # vet would only repeat what the build found
    return found


def _module_of(root: Path, path: str) -> str | None:
    """The folder (relative to the copy) of the go.mod nearest above `path`."""
    folder = PurePosixPath(path).parent
    for candidate in (folder, *folder.parents):
        if (root / candidate / "go.mod").is_file():
            return candidate.as_posix()
    return None


def _join(module: str, path: str) -> str:
    return path if module in ("", ".") else f"{module}/{path}"


def _problems(module: str, output: str, tool: str) -> list[Found]:
    found = []
    for line in output.splitlines():
        m = _POSITION.match(line.strip())
        if m and not m.group(1).startswith("/"):  # not a file of the module cache
            found.append(Found(_join(module, m.group(1)), int(m.group(2)), m.group(3), tool))
    return found
