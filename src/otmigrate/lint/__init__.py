"""`otmigrate lint`: tracing anti-patterns in Python, Go and JavaScript.

This module is imported on every pre-commit run, so it imports only what the lint path needs: no rich
(unless writing to a terminal), no libcst, no click beyond the CLI's own.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from otmigrate.config import Settings
from otmigrate.lint.model import SEVERITIES, Finding, Fix, severity_rank

if TYPE_CHECKING:
    from otmigrate.lint.settings import LintConfig
    from otmigrate.sourcefile import SourceFile


@dataclass
class LintOptions:
    paths: list[str]
    output_format: str = "text"  # text | json | sarif | github
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    fail_on: str = "warning"
    baseline: Path | None = None
    write_baseline: Path | None = None
    exit_zero: bool = False
    jobs: int | None = None  # None: serial below POOL_FROM files, else one worker per core
    profile: str | None = None
    fix: bool = False  # apply the safe fixes (OTM403 renamed keys) and write the files
    new_from_rev: str | None = None  # report only findings a file did not have at this git revision
    statistics: bool = False  # counts per code instead of the findings
    stdin: tuple[str, bytes] | None = None  # (the name to report, the source) of `lint -`: lint only that


def check_source(path: str, text: str, language: str, settings: Settings) -> list[Finding]:
    """Findings for one file's source (used by `lint`, and by `rewrite` on the code it produces)."""
    from otmigrate.lint.registry import RULES
    from otmigrate.lint.settings import resolve

    config = resolve(RULES, settings.lint, select=settings.select, ignore=settings.ignore)
    try:
        return analyze(path, text, language, config)
    except LintSyntaxError:
        return []  # the rewrite validates what it produces and reports a syntax error itself


class LintSyntaxError(Exception):
    """The file does not parse; checks on a broken tree would report nonsense."""


def analyze(path: str, text: str, language: str, config: LintConfig) -> list[Finding]:
    """Run the enabled checks on one file, then apply severities, suppressions and OTM002."""
    from otmigrate.languages import LANGUAGES
    from otmigrate.lint import suppress
    from otmigrate.lint.context import FileContext
    from otmigrate.lint.registry import CHECKS

    ctx = FileContext(path, text, language, config.checks)
    error = ctx.root.find(kind="ERROR")
    if error is not None:
        raise LintSyntaxError(f"{path}: syntax error at line {error.range().start.line + 1}; not linted")
    validate = LANGUAGES[language].part("validate")
    problem = validate.syntax_error(text) if validate is not None else None
    if problem is not None:
        raise LintSyntaxError(f"{path}: {problem}; not linted")
    for codes, languages, check in CHECKS:
        if language in languages and any(config.is_enabled(c, path) for c in codes):
            check(ctx)
    findings = [f for f in ctx.findings if config.is_enabled(f.code, path)]
    comment_nodes = ctx.root.find_all(kind="comment") if "otmigrate" in text else []
    comments = [(n.range().start.line + 1, n.range().start.column + 1, n.text()) for n in comment_nodes]
    suppressions = suppress.parse(ctx.lines, comments, language)
    findings = suppress.apply(findings, suppressions)
    if config.is_enabled("OTM002", path):
        findings += suppress.unused(
            suppressions,
            path,
            lambda c: any(code.startswith(c) and config.is_enabled(code, path) for code in config.enabled),
        )
    for f in findings:
        f.severity = config.severity.get(f.code, f.severity)
    unique = {(f.code, f.line, f.column, f.message): f for f in findings}
    return sorted(unique.values(), key=Finding.sort_key)


def apply_fixes(text: str, fixes: list[Fix]) -> str:
    """Apply the edits last to first so that earlier offsets stay valid; an edit that overlaps one already
    applied is left out (the next run applies it)."""
    end = len(text) + 1
    for fix in sorted(fixes, key=lambda f: (f.start, f.end), reverse=True):
        if fix.end <= end:
            text = text[: fix.start] + fix.text + text[fix.end :]
            end = fix.start
    return text


def _added_since(
    rev: str, source: SourceFile, path: str, language: str, found: list[Finding], config: LintConfig
) -> list[Finding]:
    """The findings the file did not have at `rev` (all of them for a file that is new there)."""
    from otmigrate.lint import baseline as baselines
    from otmigrate.sourcefile import decode

    old = baselines.at_revision(source.path, rev)
    if old is None:
        return found
    try:
        before = analyze(path, decode(source.path, old).text, language, config)
    except LintSyntaxError:
        return found  # the old version did not parse: nothing to compare with
    return baselines.filter_new(found, baselines.counts(before))


POOL_FROM = 1000
"""Files from which `lint` starts a process pool by default. Measured with benchmarks/lint_bench.py (2 cores):
a pre-commit run (1-50 files) is slower with a pool (its start-up and imports), at 200 files it is a wash,
and from about 1,000 files one worker per core pays off (notes/lint-status.md has the numbers)."""


@dataclass
class FileResult:
    """What linting one file gave: its findings (with its lines, for the code frames), or an error."""

    findings: list[Finding] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    error: str | None = None
    checked: bool = False
    fixed: int = 0


_worker_setup: tuple[LintOptions, LintConfig] | None = None


def _setup_worker(options: LintOptions, config: LintConfig) -> None:
    """Per process (the caller's, or each pool worker's): what every file is linted with."""
    global _worker_setup
    _worker_setup = (options, config)


def lint_file(item: tuple[Path, str]) -> FileResult:
    """Read, lint and (with `--fix`) repair one file; bad input becomes a one-line error, not an exception."""
    from otmigrate.languages import LANGUAGES
    from otmigrate.sourcefile import SourceError, read_tracing_source

    file, language = item
    try:
        source = read_tracing_source(file, LANGUAGES[language], include_otel=True)
    except SourceError as exc:
        return FileResult(error=str(exc), checked=True)
    return FileResult() if source is None else _lint_source(source, os.path.relpath(file), language)


def lint_stdin(name: str, data: bytes, language: str) -> FileResult:
    """`otmigrate lint -`: the source piped in, reported under `name` (--stdin-filename, as ruff has it)."""
    from otmigrate.languages import LANGUAGES
    from otmigrate.sourcefile import SourceError, decode

    if not LANGUAGES[language].mentions_tracing(data, include_otel=True):
        return FileResult()
    try:
        source = decode(Path(name), data)
    except SourceError as exc:
        return FileResult(error=str(exc), checked=True)
    return _lint_source(source, os.path.relpath(name), language)


def _lint_source(source: SourceFile, path: str, language: str) -> FileResult:
    from otmigrate.blindspots import hidden_legacy_import
    from otmigrate.lint import baseline as baselines
    from otmigrate.sourcefile import SourceError, write_atomic

    options, config = _worker_setup
    text = source.text
    hidden = hidden_legacy_import(text, language)
    if hidden is not None:
        return FileResult(error=f"{path}: {hidden}", checked=True)
    try:
        found = analyze(path, text, language, config)
        fixes = [f.fix for f in found if f.fix] if options.fix else []
        fixed = 0
        if fixes:
            text = apply_fixes(text, fixes)
            write_atomic(source, text)
            found = analyze(path, text, language, config)
            fixed = len(fixes) - sum(1 for f in found if f.fix)
        if options.new_from_rev and found:
            found = _added_since(options.new_from_rev, source, path, language, found, config)
    except (LintSyntaxError, SourceError, baselines.BaselineError) as exc:
        return FileResult(error=str(exc), checked=True)
    except (RecursionError, MemoryError) as exc:  # one file the analysis cannot hold costs that file only
        from otmigrate.pool import crash_reason

        return FileResult(error=f"{path}: {crash_reason(exc)}", checked=True)
    return FileResult(found, text.splitlines() if found else [], None, True, fixed)


def _lint_all(
    options: LintOptions, settings: Settings, config: LintConfig
) -> tuple[list[tuple[Path, str]], Iterable[FileResult]]:
    """The items linted and their results, in order: standard input alone, or the files under the paths
    (in a pool from POOL_FROM files)."""
    from otmigrate.discovery import discover
    from otmigrate.languages import language_for

    _setup_worker(options, config)
    if options.stdin is not None:
        name, data = options.stdin
        language = language_for(Path(name))
        item = (Path(name), language.name if language else "python")  # ruff's default for `-`, too
        return [item], [lint_stdin(name, data, item[1])]
    items = [(c.path, c.language.name) for c in discover(options.paths, settings) if c.language is not None]
    jobs = options.jobs or ((os.cpu_count() or 1) if len(items) >= POOL_FROM else 1)
    if jobs > 1:
        from otmigrate.pool import map_files  # the pool's imports cost start-up time: only when asked

        return items, map_files(lint_file, items, jobs, _setup_worker, (options, config))
    from otmigrate.progress import track

    return items, track(map(lint_file, items), len(items))


def run(options: LintOptions, settings: Settings, out: TextIO) -> int:
    """The whole `otmigrate lint` command; returns the exit code (0 clean, 1 findings, 2 usage error)."""
    from otmigrate.lint import baseline as baselines
    from otmigrate.lint.registry import RULES
    from otmigrate.lint.report import render
    from otmigrate.lint.settings import LintConfigError, resolve

    try:
        config = resolve(
            RULES, settings.lint, select=options.select, ignore=options.ignore, profile=options.profile
        )
    except LintConfigError as exc:
        where = f"{settings.config_file}: " if settings.config_file else ""
        print(f"otmigrate: {where}{exc}", file=sys.stderr)
        return 2
    items, results = _lint_all(options, settings, config)
    findings: list[Finding] = []
    sources: dict[str, list[str]] = {}
    errors = checked = fixed = fixed_files = 0
    for (file, _), result in zip(items, results, strict=True):
        checked += result.checked
        fixed += result.fixed
        fixed_files += result.fixed > 0
        if result.error is not None:
            print(f"otmigrate: {result.error}", file=sys.stderr)
            errors += 1
        elif result.findings:
            sources[os.path.relpath(file)] = result.lines
            findings += result.findings

    if options.fix:
        print(f"otmigrate: fixed {fixed} findings in {fixed_files} files", file=sys.stderr)
    if options.write_baseline is not None:
        baselines.write(options.write_baseline, findings)
        print(f"otmigrate: wrote {len(findings)} findings to {options.write_baseline}", file=sys.stderr)
        return 0
    if options.baseline is not None:
        try:
            findings = baselines.filter_new(findings, baselines.load(options.baseline))
        except baselines.BaselineError as exc:
            print(f"otmigrate: baseline {exc}; reporting every finding", file=sys.stderr)
            errors += 1
    findings.sort(key=Finding.sort_key)
    if options.statistics:
        from collections import Counter

        from otmigrate import stats

        counts = Counter((f.code, RULES[f.code].name if f.code in RULES else "") for f in findings)
        stats.render(counts, options.output_format, out)
    else:
        render(options.output_format, findings, RULES, sources, out, files=checked)
    if options.exit_zero:
        return 0
    threshold = severity_rank(options.fail_on) if options.fail_on in SEVERITIES else 1
    failing = any(severity_rank(f.severity) >= threshold for f in findings)
    return 1 if failing or errors else 0
