"""Paths on the command line → the source files to look at.

Honours .gitignore files (the repository's, from its root down) and configured excludes, and never
descends into vendored or installed code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from otmigrate.config import Settings, repository_top
from otmigrate.git import run_git
from otmigrate.languages import Language, language_for
from otmigrate.sourcefile import TEMP_SUFFIX, is_stale_temp, set_max_file_size

SKIPPED_DIRECTORIES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "vendor",
        "third_party",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)


@dataclass(frozen=True)
class Candidate:
    path: Path
    language: Language | None  # None: not a source file (e.g. a dependency manifest)


class _Ignores:
    """The .gitignore files that apply below one folder, each matched relative to its own folder."""

    def __init__(self, settings: Settings) -> None:
        self._by_folder: dict[Path, pathspec.PathSpec | None] = {}
        self._excludes = pathspec.GitIgnoreSpec.from_lines(settings.exclude) if settings.exclude else None
        self._exclude_root = settings.root
        self._by_repository: dict[Path, pathspec.PathSpec | None] = {}

    def _spec(self, folder: Path) -> pathspec.PathSpec | None:
        if folder not in self._by_folder:
            gitignore = folder / ".gitignore"
            spec = None
            if gitignore.is_file():
                try:
                    spec = _gitignore_spec(gitignore, gitignore.read_text(encoding="utf-8").splitlines())
                except (OSError, UnicodeDecodeError):
                    spec = None
            self._by_folder[folder] = spec
        return self._by_folder[folder]

    def _repository_spec(self, top: Path) -> pathspec.PathSpec | None:
        """What git ignores in the whole work tree besides .gitignore: .git/info/exclude and the user's
        global excludes file (core.excludesFile, else $XDG_CONFIG_HOME/git/ignore)."""
        if top not in self._by_repository:
            lines: list[str] = []
            for source in git_exclude_files(top):
                try:
                    lines += source.read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError):
                    continue
            self._by_repository[top] = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
        return self._by_repository[top]

    def ignored(self, path: Path, is_dir: bool, top: Path) -> bool:
        if self._excludes is not None and _matches(self._excludes, path, self._exclude_root, is_dir):
            return True
        repository = self._repository_spec(top) if (top / ".git").exists() else None
        if repository is not None and _matches(repository, path, top, is_dir):
            return True
        for folder in _folders_between(top, path.parent):
            spec = self._spec(folder)
            if spec is not None and _matches(spec, path, folder, is_dir):
                return True
        return False


def _gitignore_spec(path: Path, lines: list[str]) -> pathspec.PathSpec:
    """The patterns of a .gitignore; a line that is not a valid pattern matches nothing, as in git, and
    is reported once."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        valid = []
        for number, line in enumerate(lines, 1):
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except ValueError:
                print(
                    f"otmigrate: {path}:{number}: invalid pattern {line!r}; ignored, as git does",
                    file=sys.stderr,
                )
            else:
                valid.append(line)
        return pathspec.GitIgnoreSpec.from_lines(valid)


def _matches(spec: pathspec.PathSpec, path: Path, base: Path, is_dir: bool) -> bool:
    try:
        relative = path.relative_to(base).as_posix()
    except ValueError:
        return False
    return spec.match_file(relative + "/" if is_dir else relative)


def _folders_between(top: Path, folder: Path) -> list[Path]:
    """`top` and every folder from it down to `folder`."""
    try:
        parts = folder.relative_to(top).parts
    except ValueError:
        return [folder]
    folders = [top]
    for part in parts:
        folders.append(folders[-1] / part)
    return folders


def git_exclude_files(top: Path) -> list[Path]:
    """The exclude files git reads for the work tree at `top` (a linked worktree's `.git` is a file
    naming its git dir, whose `commondir` holds info/exclude)."""
    dot_git = top / ".git"
    git_dir = dot_git
    if dot_git.is_file():
        try:
            pointer = dot_git.read_text(encoding="utf-8").strip().removeprefix("gitdir:").strip()
            git_dir = (top / pointer).resolve()
            common = git_dir / "commondir"
            if common.is_file():
                git_dir = (git_dir / common.read_text(encoding="utf-8").strip()).resolve()
        except (OSError, UnicodeDecodeError):
            return []
    files = [git_dir / "info" / "exclude"]
    configured = run_git(top, "config", "--path", "--get", "core.excludesFile")
    if configured is not None and configured.returncode == 0 and configured.stdout.strip():
        files.append(Path(os.fsdecode(configured.stdout.strip())))
    else:
        config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        files.append(Path(config_home, "git", "ignore"))
    return [f for f in files if f.is_file()]


def discover(
    paths: list[str],
    settings: Settings,
    manifest_names: tuple[str, ...] = (),
    *,
    stale_temps: list[Path] | None = None,
) -> Iterator[Candidate]:
    """Source files (by extension) and, when asked, dependency manifests (by name glob) under `paths`.
    A symlinked file and its target are one file (the first seen). `stale_temps` collects the temp files
    an earlier, killed run left behind. Sets the run's file-size limit for the readers."""
    set_max_file_size(settings.max_file_size)
    ignores = _Ignores(settings)
    seen: set[Path] = set()
    for raw in paths:
        given = Path(raw)
        absolute = given.resolve()
        if not absolute.exists():  # reported by the reader as a one-line error
            yield Candidate(given, language_for(given))
            continue
        if not absolute.is_dir():  # a file, or something the reader refuses with a reason (a FIFO)
            candidate = _candidate(given, manifest_names)
            if candidate and absolute not in seen and not ignores.ignored(absolute, False, absolute.parent):
                seen.add(absolute)
                yield candidate
            continue
        top = repository_top(absolute) or absolute  # its .gitignore files apply from the top
        for folder, dirnames, filenames in os.walk(given):
            folder_path = Path(folder)
            folder_abs = folder_path.resolve()
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in SKIPPED_DIRECTORIES and not ignores.ignored(folder_abs / d, True, top)
            )
            for name in sorted(filenames):
                if (
                    stale_temps is not None
                    and name.endswith(TEMP_SUFFIX)
                    and is_stale_temp(folder_path / name)
                ):
                    stale_temps.append(folder_path / name)
                candidate = _candidate(folder_path / name, manifest_names)
                file_abs = folder_abs / name
                if candidate is None or ignores.ignored(file_abs, False, top):
                    continue
                identity = file_abs.resolve() if file_abs.is_symlink() else file_abs
                if identity in seen:
                    continue
                seen.add(identity)
                yield candidate


def _candidate(path: Path, manifest_names: tuple[str, ...]) -> Candidate | None:
    language = language_for(path)
    if language is not None:
        return Candidate(path, language)
    if any(path.match(pattern) for pattern in manifest_names):
        return Candidate(path, None)
    return None
