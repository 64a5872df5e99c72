"""`rewrite --verify`: the migrated project checked with the language's own tools, never its own code.

The project (the git work tree holding the run's paths, else the folder given) is copied to a temporary
folder, the migrated files are written into the copy, and each language's checker runs there: Go —
`go mod tidy`, `go build ./...`, `go vet ./...`; Python — `compile()` and pyflakes' undefined / unused
names; JavaScript — `node --check` and module resolution; TypeScript — `tsc --noEmit -p`. A problem the
project already had before the migration is not ours: when a checker finds any, it runs again on the
original files and what it found there is dropped. Each problem says whether a `TODO(otmigrate)` of ours
covers it (on its line, or in the comment lines right above it or above the statement holding it).
A missing toolchain is a notice, not a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otmigrate.verify.coverage import todo_covers

_NOT_COPIED = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox"}
_NOT_COPIED |= {".mypy_cache", ".ruff_cache", ".pytest_cache"}


@dataclass(frozen=True)
class Problem:
    """One compiler / checker message on the migrated project."""

    path: str  # relative to the current directory, like the rest of the report
    line: int
    message: str
    tool: str
    covered: bool = False  # a TODO(otmigrate) of ours marks the spot
    severity: str = "error"  # error | warning (an unused name: untidy, not broken; never blocks --apply)


@dataclass
class Verification:
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # e.g. a missing toolchain: one line each
    tools: list[str] = field(default_factory=list)  # what ran

    @property
    def uncovered(self) -> list[Problem]:
        """The errors no TODO of ours covers: what keeps `--apply --verify` from writing."""
        return [p for p in self.problems if not p.covered and p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.uncovered

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "tools": self.tools,
            "notices": self.notices,
            "problems": [p.__dict__ for p in self.problems],
        }


@dataclass(frozen=True)
class Found:
    """What a checker reports: a path relative to the copy's root."""

    path: str
    line: int
    message: str
    tool: str
    severity: str = "error"


@dataclass
class Workspace:
    """The copy a checker works in, and which files the migration changed there."""

    root: Path  # the copy
    changed: dict[str, str]  # path relative to root → migrated text
    notices: list[str]
    tools: list[str]

    def changed_with(self, *suffixes: str) -> list[str]:
        return sorted(p for p in self.changed if p.endswith(suffixes))

    def notice(self, message: str) -> None:
        if message not in self.notices:
            self.notices.append(message)

    def ran(self, tool: str) -> None:
        if tool not in self.tools:
            self.tools.append(tool)


Checker = Callable[[Workspace], list[Found]]


def _checkers() -> list[Checker]:
    from otmigrate.verify import golang, javascript, python

    return [golang.check, python.check, javascript.check]


def verify_results(paths: list[str], results: list[Any]) -> Verification:
    """Check the project(s) holding the changed files of `results` (rewrite's FileRewrites)."""
    verification = Verification()
    changed = [r for r in results if r.changed and r.source is not None]
    if not changed:
        return verification
    by_project: dict[Path, list[Any]] = {}
    roots = [_project_root(Path(p)) for p in paths or ["."]]
    for result in changed:
        real = Path(os.path.abspath(result.source.path))
        root = max((r for r in roots if real.is_relative_to(r)), key=lambda r: len(r.parts), default=None)
        by_project.setdefault(root or real.parent, []).append(result)
    for root, project_results in sorted(by_project.items()):
        _verify_project(root, project_results, verification)
    return verification


def _project_root(path: Path) -> Path:
    """The git work tree holding `path`, else the folder given (a file's folder)."""
    absolute = Path(os.path.abspath(path))
    folder = absolute if absolute.is_dir() else absolute.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def _verify_project(root: Path, results: list[Any], verification: Verification) -> None:
    with tempfile.TemporaryDirectory(prefix="otmigrate-verify-") as temp:
        copy = Path(temp) / (root.name or "project")
        _copy_project(root, copy)
        migrated = {}
        originals = {}
        for result in results:
            relative = Path(os.path.abspath(result.source.path)).relative_to(root).as_posix()
            migrated[relative] = result.result
            originals[relative] = result.source
            (copy / relative).write_bytes(result.source.encode(result.result))
        workspace = Workspace(copy, migrated, verification.notices, verification.tools)
        for checker in _checkers():
            found = checker(workspace)
            if not found:
                continue
            # What the project already had is not the migration's: check the original files too.
            for relative, source in originals.items():
                (copy / relative).write_bytes(source.raw)
            before = Workspace(copy, {p: s.text for p, s in originals.items()}, [], [])
            known = {(f.path, _normalised(f.message)) for f in checker(before)}
            for relative in migrated:
                (copy / relative).write_bytes(originals[relative].encode(migrated[relative]))
            for f in found:
                if (f.path, _normalised(f.message)) in known:
                    continue
                text = _read(copy / f.path)
                verification.problems.append(
                    Problem(
                        os.path.relpath(root / f.path),
                        f.line,
                        f.message,
                        f.tool,
                        todo_covers(text, f.line, f.path) if text is not None else False,
                        f.severity,
                    )
                )
    verification.problems.sort(key=lambda p: (p.path, p.line, p.message))


def _normalised(message: str) -> str:
    """A message without positions, so a problem the original had matches after lines moved."""
    return re.sub(r"\b(line )?\d+(:\d+)?\b", "N", message)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _copy_project(root: Path, copy: Path) -> None:
    """Copy the project without VCS data, caches and virtualenvs; installed node_modules folders are
    linked, not copied (module resolution and tsc read them, nothing writes them)."""
    links: list[tuple[Path, Path]] = []

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in _NOT_COPIED}
        if "node_modules" in skipped:
            source = Path(folder) / "node_modules"
            links.append((source, copy / Path(folder).relative_to(root) / "node_modules"))
        return skipped

    shutil.copytree(root, copy, ignore=ignore, symlinks=True)
    for source, target in links:
        if source.is_dir():
            target.symlink_to(source, target_is_directory=True)
