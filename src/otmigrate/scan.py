"""`otmigrate scan`: the inventory of legacy tracing usage, per file, with what rewrite will do to it.

scan is rewrite's dry run: each usage's `fix` comes from running the same engine on the file (with the
run's project model): a line the safe rewrite changes is `safe`, one it marks with a TODO is `manual`, one
only `--unsafe-fixes` changes is `unsafe`, and one it leaves alone is `none`. The engine only runs on
files that import a legacy library or that the project model puts in scope.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ast_grep_py import SgRoot

from otmigrate.blindspots import hidden_legacy_import
from otmigrate.config import Settings
from otmigrate.discovery import discover
from otmigrate.engine import Change, find_bindings, rewrite_source, syntax_error
from otmigrate.languages import LANGUAGES, LIBRARIES, Binding, Language
from otmigrate.pool import map_files
from otmigrate.project import Project, build_project
from otmigrate.rulefiles import Rule, find_matches
from otmigrate.sourcefile import SourceError, read_tracing_source


@dataclass
class Usage:
    library: str
    line: int
    column: int
    symbol: str
    rule: str
    fix: str  # safe | unsafe | manual | none


@dataclass
class FileScan:
    path: str
    language: str
    usages: list[Usage] = field(default_factory=list)
    error: str | None = None


_RULES: list[Rule] = []
_PROJECT: list[Project] = []
_SETTINGS: list[Settings] = []


def _init_worker(rules: list[Rule], project: Project, settings: Settings) -> None:
    _RULES[:] = rules
    _PROJECT[:] = [project]
    _SETTINGS[:] = [settings]


def scan_paths(
    paths: list[str], settings: Settings, rules: list[Rule], jobs: int
) -> tuple[list[FileScan], int]:
    """The files with legacy usage (or a read error), and how many source files were looked at."""
    items = [(str(c.path), c.language.name) for c in discover(paths, settings) if c.language is not None]
    project = build_project(list(items), settings)
    scanned = map_files(_scan_item, items, jobs, _init_worker, (rules, project, settings), on_crash=_crashed)
    results = [r for r in scanned if r is not None]
    return results, len(items)


def _scan_item(item: tuple[str, str]) -> FileScan | None:
    return scan_file(Path(item[0]), item[1], _RULES, _PROJECT[0], _SETTINGS[0])


def _crashed(item: tuple[str, str], reason: str) -> FileScan:
    return FileScan(os.path.relpath(item[0]), item[1], error=reason)


def scan_file(
    path: Path,
    language_name: str,
    rules: list[Rule],
    project: Project | None = None,
    settings: Settings | None = None,
) -> FileScan | None:
    """Usages in one file; None when the file holds no legacy tracing (most files never get parsed)."""
    display = os.path.relpath(path)
    language = LANGUAGES[language_name].for_path(path)
    in_scope = project is not None and project.in_scope(path, language_name)
    try:
        source = read_tracing_source(path, language, in_scope=in_scope)
    except SourceError as exc:
        return FileScan(display, language_name, error=exc.reason)
    if source is None:
        return None
    text = source.text
    hidden = hidden_legacy_import(text, language_name)
    if hidden is not None:
        return FileScan(display, language_name, error=hidden)
    problem = syntax_error(text, language)
    if problem is not None:
        return FileScan(display, language_name, error=problem)
    root = SgRoot(text, language.grep_language).root()
    bindings = find_bindings(language, root)
    legacy = [b for b in bindings if b.is_legacy]
    if not legacy and not in_scope:
        return None
    settings = settings or Settings()
    model = project.model(language_name) if project is not None else None
    fate = _Fate(text, display, language, rules, settings, model)
    library_of = {rule.id: rule.library for rule in rules}
    found: dict[tuple[int, int, str], Usage] = {}
    imports: dict[tuple[int, int], tuple[int, int, str]] = {}  # an import's position → its usage
    ranks: dict[tuple[int, int, str], str] = {}
    for binding in legacy:
        symbol = binding.imported_module + (f".{binding.member}" if binding.member else "")
        rule_id = f"{language.short}-{binding.library}-import"
        imports[(binding.line, binding.column)] = (binding.line, binding.column, symbol)
        ranks[(binding.line, binding.column, symbol)] = "safe"  # a rule on the import keeps its id
        fix = fate.of(binding.line) if binding.is_migratable else "none"
        found[(binding.line, binding.column, symbol)] = Usage(
            binding.library, binding.line, binding.column, symbol, rule_id, fix
        )
    names = {b.local for b in legacy}
    for rule in rules:
        if rule.language.name != language_name:
            continue
        for match in find_matches(rule, root, bindings):
            start = match.range().start
            line = start.line + 1
            fix = fate.of(line)
            if fix == "none" and not _names_legacy(match.text(), names):
                continue  # a generic pattern on code that is not legacy (e.g. already on OTel)
            # A rule matching an import statement (to trigger a handler) is that import's usage, not another
            key = imports.get((line, start.column + 1), (line, start.column + 1, rule.display_symbol))
            usage = Usage(rule.library, line, start.column + 1, key[2], rule.id, fix)
            if key not in found or _RULE_RANK[rule.fix_class] < _RULE_RANK[ranks.get(key, "none")]:
                found[key] = usage
                ranks[key] = rule.fix_class
    # What the engine reports on lines no import or rule match covers (handlers, project-model files)
    covered_lines = {usage.line for usage in found.values()}
    for change in fate.changes:
        if change.line in covered_lines:
            continue
        covered_lines.add(change.line)
        library = library_of.get(change.rule) or _library_in(change.rule, legacy)
        found[(change.line, 1, change.rule)] = Usage(
            library, change.line, 1, change.rule, change.rule, fate.of(change.line)
        )
    # Lines rewrite changes that no usage and no report line names (a pass that did not say what it did)
    lines = text.splitlines()
    for first, last in _hunks(fate.changed):
        if not any(first <= line <= last for line in covered_lines):
            symbol = lines[first - 1].strip()[:60] if first <= len(lines) else ""
            rule_id = f"{language.short}-unreported"
            above = [u for u in found.values() if u.line < first]  # the usage this change belongs to
            library = max(above, key=lambda u: u.line).library if above else _library_in(rule_id, legacy)
            found[(first, 1, rule_id)] = Usage(library, first, 1, symbol, rule_id, "safe")
    usages = sorted(found.values(), key=lambda u: (u.line, u.column, u.symbol))
    kept_reason = getattr(project.model(language_name) if project else None, "kept_reason", None)
    if kept_reason is not None and kept_reason(path) is not None:  # rewrite only writes its TODO there
        usages = [replace(u, fix="manual") if u.fix in ("safe", "unsafe") else u for u in usages]
    return FileScan(display, language_name, usages) if usages else None


_KINDS = ("migrated", "manual", "unsafe", "bridged")
_RULE_RANK = {"safe": 0, "unsafe": 1, "manual": 2, "none": 3}  # which rule names a usage several match


class _Fate:
    """What rewrite does to each line of one file: the same engine, run as rewrite runs it."""

    def __init__(
        self,
        text: str,
        path: str,
        language: Language,
        rules: list[Rule],
        settings: Settings,
        model: object,
    ) -> None:
        self.text = text
        self.path = path  # as rewrite names it: the project model looks files up by it
        self.language = language
        self.rules = rules
        self.settings = settings
        self.model = model
        outcome = rewrite_source(text, path, language, rules, settings, unsafe=False, project=model)
        self.failed = outcome.error is not None
        self.changes: list[Change] = [] if self.failed else outcome.changes
        self.changed = set() if self.failed else _changed_lines(text, outcome.text)
        self.reported = {kind: {c.line for c in self.changes if c.kind == kind} for kind in _KINDS}
        self.manual = self.reported["manual"]
        self._unsafe: set[int] | None = None
        self._statements: dict[int, int] = {}

    def of(self, line: int) -> str:
        if self.failed:
            return "none"
        if line in self.manual or self._statement_start(line) in self.manual:
            return "manual"
        if line in self.changed or line in self.reported["migrated"] or line in self.reported["bridged"]:
            return "safe"
        if line in self.reported["unsafe"] or line in self.unsafe_lines:
            return "unsafe"
        return "none"

    @property
    def unsafe_lines(self) -> set[int]:
        """Lines only `--unsafe-fixes` changes; the second run happens only when the first held a fix back."""
        if self._unsafe is None:
            self._unsafe = set()
            if any(c.kind == "unsafe" for c in self.changes):
                outcome = rewrite_source(
                    self.text,
                    self.path,
                    self.language,
                    self.rules,
                    self.settings,
                    unsafe=True,
                    project=self.model,
                )
                if outcome.error is None:
                    self._unsafe = _changed_lines(self.text, outcome.text) - self.changed
        return self._unsafe

    def _statement_start(self, line: int) -> int:
        if line not in self._statements:
            from otmigrate.verify.coverage import statement_start

            self._statements[line] = statement_start(self.text, self.language.grep_language, line)
        return self._statements[line]


def _changed_lines(before: str, after: str) -> set[int]:
    """1-based lines of `before` that `after` replaces or deletes."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    return {
        i + 1
        for tag, i1, i2, _, _ in matcher.get_opcodes()
        if tag in ("replace", "delete")
        for i in range(i1, i2)
    }


def _hunks(lines: set[int]) -> list[tuple[int, int]]:
    """Runs of consecutive line numbers, as (first, last)."""
    runs: list[tuple[int, int]] = []
    for line in sorted(lines):
        if runs and runs[-1][1] == line - 1:
            runs[-1] = (runs[-1][0], line)
        else:
            runs.append((line, line))
    return runs


def _names_legacy(text: str, names: set[str]) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in names)


def _library_in(rule_id: str, legacy: list[Binding]) -> str:
    """The library a handler's report id names (`go-opentracing-…`), else the file's first legacy one."""
    parts = rule_id.split("-")
    if len(parts) > 1 and parts[1] in LIBRARIES:
        return parts[1]
    return legacy[0].library if legacy else "opentracing"


def summary(files: list[FileScan], files_scanned: int) -> dict[str, Any]:
    """The `scan --format json` document (version 1)."""
    usages = [u for f in files for u in f.usages]
    by_language = Counter({f.language: 0 for f in files})
    for f in files:
        by_language[f.language] += len(f.usages)
    return {
        "version": 1,
        "files": [
            {"path": f.path, "language": f.language, "usages": [asdict(u) for u in f.usages]}
            | ({"error": f.error} if f.error else {})
            for f in files
        ],
        "summary": {
            "files_scanned": files_scanned,
            "files_with_legacy": sum(1 for f in files if f.usages),
            "usages": len(usages),
            "by_language": dict(sorted(by_language.items())),
            "by_library": dict(sorted(Counter(u.library for u in usages).items())),
        },
    }
