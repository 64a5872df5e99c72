"""scan is rewrite's dry run: on every fixture, every rule example and every corpus file, what scan says
rewrite will do is what rewrite does.

- a file rewrite changes (beyond adding TODO comments) has a `safe` usage, and a file with a `safe`
  usage is changed;
- every line rewrite leaves for a person (a TODO) has a `manual` usage, and a `manual` usage has a TODO;
- a `none` usage sits on a line rewrite neither changes nor reports.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from otmigrate.config import Settings
from otmigrate.languages import LANGUAGES, language_for
from otmigrate.rewrite import FileRewrite, rewrite_file, rewrite_paths
from otmigrate.rulefiles import load_rules
from otmigrate.scan import FileScan, scan_file, scan_paths

REPO = Path(__file__).resolve().parents[2]
# shared/ sits beside the clone (CI, /work/main); a worktree is one level further down
CORPUS = next(
    (p / "shared" / "corpus" for p in REPO.parents if (p / "shared" / "corpus").is_dir()),
    REPO.parent / "shared" / "corpus",
)
RULES = load_rules()


def _disagreements(scan: FileScan | None, rewrite: FileRewrite | None) -> list[str]:
    usages = scan.usages if scan is not None else []
    if rewrite is None or rewrite.error:
        changed, manual, reported = False, set(), set()
        changed_lines: set[int] = set()
    else:
        changed = _migrated(rewrite.original, rewrite.result)
        manual = {c.line for c in rewrite.changes if c.kind == "manual"}
        reported = {c.line for c in rewrite.changes}
        changed_lines = _changed_lines(rewrite.original, rewrite.result)
    problems = []
    fixes = {u.fix for u in usages}
    if changed and "safe" not in fixes:
        problems.append("rewrite changes the file, scan has no safe usage")
    if "safe" in fixes and not changed:
        problems.append("scan says safe, rewrite changes nothing")
    manual_usages = {u.line for u in usages if u.fix == "manual"}
    for line in sorted(manual - manual_usages):
        problems.append(f"line {line}: rewrite leaves a TODO, scan has no manual usage there")
    if manual_usages and not manual:
        problems.append(f"scan says manual on {sorted(manual_usages)}, rewrite leaves no TODO")
    for u in usages:
        if u.fix == "none" and (u.line in changed_lines or u.line in reported):
            problems.append(f"line {u.line}: scan says none ({u.rule}), rewrite changes or reports it")
    return problems


def _migrated(before: str, after: str) -> bool:
    """The rewrite changed more than TODO comments."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    added = after.splitlines()
    return any(
        tag != "insert" or not _todo_comment(added[j1:j2])
        for tag, _, _, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )


def _todo_comment(lines: list[str]) -> bool:
    """Inserted lines that are TODO(otmigrate) comments (one may wrap over several comment lines)."""
    comments = all(line.strip().startswith(("#", "//")) for line in lines)
    return comments and "TODO(otmigrate)" in lines[0]


def _changed_lines(before: str, after: str) -> set[int]:
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    return {i + 1 for tag, i1, i2, _, _ in matcher.get_opcodes() if tag != "equal" for i in range(i1, i2)}


def _one_file(path: Path) -> list[str]:
    language = language_for(path)
    assert language is not None
    settings = Settings(root=path.parent)
    scan = scan_file(path, language.name, RULES, None, settings)
    rewrite = rewrite_file(path, language, RULES, settings, unsafe=False)
    return [f"{path}: {p}" for p in _disagreements(scan, rewrite)]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_fixture(language: str) -> None:
    inputs = sorted((REPO / "fixtures" / language).glob("**/input.*"))
    assert inputs
    problems = [p for path in inputs for p in _one_file(path)]
    assert not problems, "\n".join(problems)


def test_every_rule_example(tmp_path: Path) -> None:
    problems = []
    for rule in RULES:
        for number, example in enumerate(rule.examples):
            if example.before is None:
                continue
            extension = rule.language.extensions[0]
            path = tmp_path / f"{rule.id}-{number}{extension}"
            path.write_text(example.before)
            problems += _one_file(path)
    assert not problems, "\n".join(problems)


CORPUS_PROJECTS = sorted(p.parent for p in CORPUS.glob("*/*/CORPUS.md"))


def test_the_corpus_is_there() -> None:
    assert len(CORPUS_PROJECTS) >= 14, f"the real-code corpus is missing at {CORPUS}"


@pytest.mark.parametrize("project", CORPUS_PROJECTS, ids=lambda p: p.name)
def test_every_corpus_file(project: Path, monkeypatch) -> None:
    """The whole project, as a user runs it (project model included); nothing is written."""
    monkeypatch.chdir(project)
    settings = Settings(root=project)
    scans, _ = scan_paths(["."], settings, RULES, 1)
    rewrites = rewrite_paths(["."], settings, RULES, 1, unsafe=False, apply=False)
    by_path = {os.path.normpath(r.path): r for r in rewrites}
    scanned = {os.path.normpath(s.path): s for s in scans}
    problems = []
    for path in sorted(set(by_path) | set(scanned)):
        if path in by_path and any(c.rule.endswith("-manifest") for c in by_path[path].changes):
            continue  # manifests are not source files: scan does not list them
        problems += [f"{path}: {p}" for p in _disagreements(scanned.get(path), by_path.get(path))]
    assert not problems, "\n".join(problems)
