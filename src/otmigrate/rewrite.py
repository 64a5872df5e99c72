"""`otmigrate rewrite`: run the engine over files and dependency manifests, then diff or write."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otmigrate.blindspots import hidden_legacy_import
from otmigrate.config import Settings
from otmigrate.diffs import unified_diff
from otmigrate.discovery import discover
from otmigrate.engine import Change, in_original_lines, rewrite_source
from otmigrate.git import run_git, safe_git_options
from otmigrate.languages import LANGUAGES, Language
from otmigrate.manifests import imports_below_manifests, manifest_language, manifest_rule_id
from otmigrate.pool import map_files
from otmigrate.project import Project, build_project
from otmigrate.rulefiles import Rule, selected
from otmigrate.sourcefile import (
    SourceError,
    SourceFile,
    is_generated,
    read_source,
    read_tracing_source,
    remove_stale_temp,
    write_atomic,
)


@dataclass
class FileRewrite:
    path: str  # relative to the current directory
    original: str = ""
    result: str = ""
    changes: list[Change] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)  # lint findings on the rewritten code
    error: str | None = None
    written: bool = False
    source: SourceFile | None = field(default=None, repr=False)  # how to write the result back

    @property
    def changed(self) -> bool:
        return self.error is None and self.result != self.original

    def diff(self) -> str:
        """The change as the bytes on disk will see it (BOM and CRLF kept), so `git apply` takes it."""
        if self.source is None:
            return unified_diff(self.original, self.result, self.path)
        on_disk = self.source.raw.decode("utf-8")
        return unified_diff(on_disk, self.source.encode(self.result).decode("utf-8"), self.path)


@dataclass
class _Job:
    rules: list[Rule]
    settings: Settings
    unsafe: bool
    project: Project


_JOB: list[_Job] = []


def _init_worker(job: _Job) -> None:
    _JOB[:] = [job]


def manifest_names() -> tuple[str, ...]:
    names: list[str] = []
    for language in LANGUAGES.values():
        manifest = language.part("manifest")
        names += getattr(manifest, "MANIFEST_NAMES", ())
    return tuple(names)


def rewrite_paths(
    paths: list[str],
    settings: Settings,
    rules: list[Rule],
    jobs: int,
    *,
    unsafe: bool,
    apply: bool,
    force: bool = False,
    before_write: Callable[[list[FileRewrite]], bool] | None = None,
) -> list[FileRewrite]:
    """Every file that changed, was left for a person, or could not be processed.

    With `apply`, changed files are written, except (unless `force`) those with uncommitted changes in
    git: the user could not tell our edits from theirs, nor undo ours alone. `before_write` sees the
    results first (`--verify`); when it says no, nothing is written."""
    sources, manifests = [], []
    stale: list[Path] = []
    for candidate in discover(paths, settings, manifest_names(), stale_temps=stale):
        item = (str(candidate.path), candidate.language.name if candidate.language else None)
        (manifests if manifest_language(candidate.path) else sources).append(item)
    job = _Job(rules, settings, unsafe, build_project(sources, settings))
    rewritten = map_files(_rewrite_item, sources, jobs, _init_worker, (job,), on_crash=_crashed)
    results = [r for r in rewritten if r is not None]
    results += _rewrite_manifests(manifests, sources, results, rules, settings, unsafe, job.project)
    results.sort(key=lambda r: r.path)
    if apply and (before_write is None or before_write(results)):
        _apply(results, paths, force=force, stale=stale)
    return results


def _apply(results: list[FileRewrite], paths: list[str], *, force: bool, stale: list[Path]) -> None:
    """Write every changed file that may be written; each write succeeds or is reported on its file."""
    for temp in stale:  # left by an earlier run that was killed mid-write
        remove_stale_temp(temp)
    changed = [r for r in results if r.changed and r.source is not None]
    held = {} if force else uncommitted([r.source.path for r in changed if r.source])
    roots = [Path(p).resolve() for p in paths]
    for result in changed:
        assert result.source is not None
        result.error = held.get(result.source.path) or _link_problem(result.source.path, roots)
        if result.error is None:
            _write(result)


def _link_problem(path: Path, roots: list[Path]) -> str | None:
    """A symlink is written through to its target only when the target is under the paths given."""
    if not path.is_symlink():
        return None
    target = path.resolve()
    if any(target == root or target.is_relative_to(root) for root in roots):
        return None
    return f"a symlink to {target}, outside the paths given; not followed (pass the target itself)"


def uncommitted(files: list[Path]) -> dict[Path, str]:
    """The files that must not be written without --force, each with the reason: git reports them as
    modified or untracked, or git cannot say (git missing or failing: the guard fails closed). Files
    outside any git work tree are free. One `git status` per repository (and per `_STATUS_BATCH`
    files), however many folders they are in."""
    resolved = {path: path.resolve() for path in files}
    by_work_tree: dict[Path, list[Path]] = {}
    tops: dict[Path, Path | None] = {}
    for real in resolved.values():
        top = _work_tree(real.parent, tops)
        if top is not None:
            by_work_tree.setdefault(top, []).append(real)
    held: dict[Path, str] = {}
    for top, paths in by_work_tree.items():
        for start in range(0, len(paths), _STATUS_BATCH):
            batch = paths[start : start + _STATUS_BATCH]
            names = [str(p.relative_to(top)) for p in batch]
            status = _git_status(top, names)
            if isinstance(status, _Unknown):
                held.update(
                    dict.fromkeys(batch, f"cannot tell whether it has uncommitted changes ({status})")
                )
                continue
            entries = iter(status.split("\0"))
            for entry in entries:
                if len(entry) > 3:
                    held[(top / entry[3:]).resolve()] = _DIRTY
                    if entry[0] in "RC":
                        next(entries, None)  # a rename's or copy's source path follows
    return {path: held[real] for path, real in resolved.items() if real in held}


_DIRTY = "has uncommitted changes in git (commit or stash them, or pass --force)"


class _Unknown(str):
    """Why git could not tell a file's state."""


def _git_status(top: Path, names: list[str]) -> str | _Unknown:
    done = run_git(
        top,
        *safe_git_options(top),
        "--literal-pathspecs",
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        "--",
        *names,
    )
    if done is None:
        return _Unknown("git could not be run")
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return _Unknown(f"git status failed: {message[0] if message else f'exit {done.returncode}'}")
    return done.stdout.decode("utf-8", "surrogateescape")


_STATUS_BATCH = 500  # paths per `git status`, far below any command-line length limit


def _work_tree(folder: Path, tops: dict[Path, Path | None]) -> Path | None:
    """The top of the git work tree holding `folder` (the nearest folder with a `.git` entry, as git
    finds it; a submodule's or linked worktree's `.git` is a file), memoised over the folders seen."""
    walked = []
    top: Path | None = None
    for candidate in (folder, *folder.parents):
        if candidate in tops:
            top = tops[candidate]
            break
        walked.append(candidate)
        if (candidate / ".git").exists():
            top = candidate
            break
    for candidate in walked:
        tops[candidate] = top
    return top


def _rewrite_manifests(
    manifests: list[tuple[str, str | None]],
    sources: list[tuple[str, str | None]],
    results: list[FileRewrite],
    rules: list[Rule],
    settings: Settings,
    unsafe: bool,
    project: Project,
) -> list[FileRewrite]:
    """Manifests come last: each keeps the legacy packages that a source file below it still imports
    in its final text (rewritten or not) and gains the OTel packages that the code below it imports."""
    final_texts = {str(r.source.path): r.result for r in results if r.source is not None}
    below = imports_below_manifests([path for path, _ in manifests], sources, final_texts)
    out = []
    for path, language_name in manifests:
        language = LANGUAGES[language_name] if language_name else None
        found = below[path]
        result = rewrite_file(
            Path(path),
            language,
            rules,
            settings,
            unsafe=unsafe,
            imports=frozenset(found.otel),
            keep=frozenset(found.legacy),
            project=project,
        )
        if result is not None:
            out.append(result)
    return out


def _write(result: FileRewrite) -> None:
    try:
        write_atomic(result.source, result.result)
        result.written = True
    except SourceError as exc:
        result.error = exc.reason


def _rewrite_item(item: tuple[str, str | None]) -> FileRewrite | None:
    job = _JOB[0]
    path, language_name = Path(item[0]), item[1]
    language = LANGUAGES[language_name].for_path(path) if language_name else None
    return rewrite_file(path, language, job.rules, job.settings, unsafe=job.unsafe, project=job.project)


def _crashed(item: tuple[str, str | None], reason: str) -> FileRewrite:
    return FileRewrite(os.path.relpath(item[0]), error=reason)


def rewrite_file(
    path: Path,
    language: Language | None,
    rules: list[Rule],
    settings: Settings,
    *,
    unsafe: bool,
    imports: frozenset[str] | None = None,
    keep: frozenset[str] | None = None,
    project: Project | None = None,
) -> FileRewrite | None:
    """Rewrite one source file (and, if it is a dependency manifest, its dependencies, given the OTel
    modules the code under it `imports` and the legacy modules it still imports, to `keep`).
    `project`: the run's project model; a file it puts in scope is rewritten although it names no
    legacy library."""
    outcome = FileRewrite(os.path.relpath(path))
    owner = manifest_language(path)
    manifest = owner[1] if owner is not None else None
    in_scope = project is not None and language is not None and project.in_scope(path, language.name)
    try:
        if manifest is not None:  # setup.py is both: a manifest, and maybe tracing code
            source = read_source(path)
        elif language is not None:
            source = read_tracing_source(path, language, in_scope=in_scope)
        else:
            source = None
    except SourceError as exc:
        outcome.error = exc.reason
        return outcome
    if source is None or is_generated(source.raw):
        return None
    outcome.source = source
    outcome.original = outcome.result = source.text
    outcome.error = hidden_legacy_import(source.text, language.name) if language is not None else None
    if outcome.error is not None:
        return outcome
    if language is not None and (in_scope or language.mentions_tracing(source.raw)):
        model = project.model(language.name) if project is not None else None
        result = rewrite_source(
            source.text, outcome.path, language, rules, settings, unsafe=unsafe, project=model
        )
        outcome.result, outcome.changes, outcome.error = result.text, result.changes, result.error
        _refuse_if_destructive(outcome, language)
    if owner is not None and outcome.error is None:
        _update_manifest(outcome, path, owner, settings, imports, keep)
    if outcome.changed and language is not None:
        from otmigrate.lint import check_source

        outcome.findings = check_source(outcome.path, outcome.result, language.name, settings)
    if not (outcome.changed or outcome.changes or outcome.error):
        return None
    return outcome


def _update_manifest(
    outcome: FileRewrite,
    path: Path,
    owner: tuple[Language, Any],
    settings: Settings,
    imports: frozenset[str] | None,
    keep: frozenset[str] | None,
) -> None:
    """The manifest's dependency change, under its language's rule id (`py-manifest`, `go-manifest`,
    `js-manifest`) so that `--select` / `--ignore` apply to it as to any rule."""
    language, manifest = owner
    rule_id = manifest_rule_id(language)
    if not selected(rule_id, settings.select, settings.ignore):
        return
    updated = manifest.update_manifest(path.name, outcome.result, imports, keep)
    if updated != outcome.result:
        message = "legacy tracing dependencies → OpenTelemetry"
        if keep:
            message += " (still imported, kept: " + ", ".join(sorted(keep)) + ")"
        outcome.changes.append(Change("migrated", rule_id, 1, message))
        outcome.result = updated


def _refuse_if_destructive(outcome: FileRewrite, language: Language) -> None:
    """The last word before a result may be written: never an emptied file, never a file the language's
    own toolchain rejects (gofmt's parser is stricter than tree-sitter's). A refused file keeps its
    text and reports no migrations: none of them happened."""
    if outcome.error is None and outcome.changed:
        if outcome.original.strip() and not outcome.result.strip():
            outcome.error = "the rewrite would empty the file; not rewritten"
        elif language.name == "go":
            problem = _gofmt_problem(outcome.result)
            if problem is not None:
                problem = in_original_lines(problem, outcome.result, outcome.original)
                outcome.error = f"gofmt rejects the rewritten file ({problem}); not rewritten"
    if outcome.error is not None:
        outcome.result = outcome.original
        outcome.changes = []


def _gofmt_problem(text: str) -> str | None:
    """gofmt -e's verdict on Go source, when gofmt is installed (it is wherever Go code is built)."""
    gofmt = shutil.which("gofmt")
    if gofmt is None:
        return None
    try:
        done = subprocess.run(
            [gofmt, "-e"], input=text.encode(), capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode == 0:
        return None
    first = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return first[0].removeprefix("<standard input>:") if first else f"exit {done.returncode}"
