"""`otmigrate scan`: the inventory of legacy tracing usage, per file, with what can be migrated."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ast_grep_py import SgRoot

from otmigrate.config import Settings
from otmigrate.discovery import discover
from otmigrate.engine import find_bindings, syntax_error
from otmigrate.languages import LANGUAGES
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


_FIX_RANK = {"safe": 0, "unsafe": 1, "manual": 2, "none": 3}
_RULES: list[Rule] = []
_PROJECT: list[Project] = []


def _init_worker(rules: list[Rule], project: Project) -> None:
    _RULES[:] = rules
    _PROJECT[:] = [project]


def scan_paths(
    paths: list[str], settings: Settings, rules: list[Rule], jobs: int
) -> tuple[list[FileScan], int]:
    """The files with legacy usage (or a read error), and how many source files were looked at."""
    items = [(str(c.path), c.language.name) for c in discover(paths, settings) if c.language is not None]
    project = build_project(list(items), settings)
    results = [r for r in map_files(_scan_item, items, jobs, _init_worker, (rules, project)) if r is not None]
    return results, len(items)


def _scan_item(item: tuple[str, str]) -> FileScan | None:
    return scan_file(Path(item[0]), item[1], _RULES, _PROJECT[0])


def scan_file(
    path: Path, language_name: str, rules: list[Rule], project: Project | None = None
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
    problem = syntax_error(text, language)
    if problem is not None:
        return FileScan(display, language_name, error=problem)
    root = SgRoot(text, language.grep_language).root()
    bindings = find_bindings(language, root)
    legacy = [b for b in bindings if b.is_legacy]
    if not legacy:
        return None
    transforms = language.part("transforms")
    import_fix = "safe" if getattr(transforms, "FINAL_PASSES", None) else "none"
    found: dict[tuple[int, int, str], Usage] = {}
    imports: dict[tuple[int, int], tuple[int, int, str]] = {}  # an import's position → its usage
    for binding in legacy:
        symbol = binding.imported_module + (f".{binding.member}" if binding.member else "")
        rule_id = f"{language.short}-{binding.library}-import"
        imports[(binding.line, binding.column)] = (binding.line, binding.column, symbol)
        found[(binding.line, binding.column, symbol)] = Usage(
            binding.library,
            binding.line,
            binding.column,
            symbol,
            rule_id,
            import_fix if binding.is_migratable else "none",
        )
    for rule in rules:
        if rule.language.name != language_name:
            continue
        for match in find_matches(rule, root, bindings):
            start = match.range().start
            usage = Usage(
                rule.library, start.line + 1, start.column + 1, rule.display_symbol, rule.id, rule.fix_class
            )
            # A rule matching an import statement (to trigger a handler) is that import's usage, not another
            key = imports.get((usage.line, usage.column), (usage.line, usage.column, usage.symbol))
            usage = replace(usage, symbol=key[2])
            if key not in found or _FIX_RANK[usage.fix] < _FIX_RANK[found[key].fix]:
                found[key] = usage
    usages = sorted(found.values(), key=lambda u: (u.line, u.column, u.symbol))
    kept_reason = getattr(project.model(language_name) if project else None, "kept_reason", None)
    if kept_reason is not None and kept_reason(path) is not None:  # rewrite only writes its TODO there
        usages = [replace(u, fix="manual") if u.fix in ("safe", "unsafe") else u for u in usages]
    return FileScan(display, language_name, usages)


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
