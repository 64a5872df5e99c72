"""The bundled rule files are ast-grep rule files: the real `ast-grep scan --rule` (ast-grep-cli from PyPI)
accepts each one, and on the rules' own examples finds what otmigrate finds, wherever otmigrate adds
nothing of its own (library gating, alias expansion, Go expression contexts: docs/writing-rules.md)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ast_grep_py import SgRoot
from checkout import installed_tool as tool

from otmigrate.engine import find_bindings
from otmigrate.rulefiles import Rule, bundled_rules_dir, expand_config, find_matches, load_rule_file

RULE_FILES = sorted(bundled_rules_dir().rglob("*.yml"))
EXTENSIONS = {"python": ".py", "go": ".go", "javascript": ".js"}
Span = tuple[int, int, int, int]


def _as_written(rule: Rule, code: str) -> bool:
    """Whether otmigrate runs the rule's matcher on `code` exactly as the file writes it: the code imports
    the rule's library under its canonical name, and no Go expression context was added."""
    root = SgRoot(code, rule.language.grep_language).root()
    bindings = find_bindings(rule.language, root)
    imports_library = rule.library in {b.library for b in bindings if b.is_legacy}
    written = {k: v for k, v in load_raw(rule).items() if k in rule.config}
    return imports_library and expand_config(rule, bindings) == rule.config == written


def load_raw(rule: Rule) -> dict:
    import yaml

    for document in yaml.safe_load_all(rule.path.read_text(encoding="utf-8")):
        if document and document.get("id") == rule.id:
            return document
    raise AssertionError(rule.id)


def otmigrate_spans(rule: Rule, code: str) -> set[Span]:
    root = SgRoot(code, rule.language.grep_language).root()
    spans = set()
    for node in find_matches(rule, root, find_bindings(rule.language, root)):
        start, end = node.range().start, node.range().end
        spans.add((start.line, start.column, end.line, end.column))
    return spans


def test_ast_grep_runs_every_rule_file_and_agrees_with_otmigrate(tmp_path: Path) -> None:
    exe = tool("ast-grep")
    compared = 0
    for rule_file in RULE_FILES:
        compared += _compare(exe, rule_file, tmp_path / rule_file.parent.name / rule_file.stem)
    assert compared >= 60, f"only {compared} example files could be compared"  # 1 of 3 examples or so


def _compare(exe: str, rule_file: Path, folder: Path) -> int:
    """Run ast-grep with `rule_file` over its rules' examples; returns how many example files it compared."""
    folder.mkdir(parents=True)
    rules = load_rule_file(rule_file)
    compared: dict[str, str] = {}
    for rule in rules:
        for number, example in enumerate(rule.examples):
            for kind, code in (
                ("before", example.before),
                ("match", example.match),
                ("none", example.no_match),
            ):
                if code is not None and _as_written(rule, code):
                    name = f"{rule.id}-{number}-{kind}{EXTENSIONS[rule.language.name]}"
                    (folder / name).write_text(code, encoding="utf-8")
                    compared[name] = code
    done = subprocess.run(
        [exe, "scan", "--rule", str(rule_file), "--json=compact", "."],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (rule_file, done.stderr)  # a valid ast-grep rule file
    found: dict[tuple[str, str], set[Span]] = {}
    for match in json.loads(done.stdout or "[]"):
        start, end = match["range"]["start"], match["range"]["end"]
        span = (start["line"], start["column"], end["line"], end["column"])
        found.setdefault((Path(match["file"]).name, match["ruleId"]), set()).add(span)
    for name, code in compared.items():
        for rule in rules:  # every rule of the file ran on every example file
            if name.endswith(EXTENSIONS[rule.language.name]) and _as_written(rule, code):
                assert found.get((name, rule.id), set()) == otmigrate_spans(rule, code), (name, rule.id)
    return len(compared)


OLD_FORM = """id: py-team-helper
language: python
library: opentracing
safety: safe
message: team helper
rule:
  pattern: trace_helper($X)
fix: otel_helper($X)
examples:
  - before: "import opentracing\\ntrace_helper(1)\\n"
    after: "otel_helper(1)\\n"
"""


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (OLD_FORM, None),  # users' files from before: otmigrate's keys at the top level
        (OLD_FORM.replace("safety: safe\n", "metadata:\n  safety: safe\n  owner: me\n"), "'metadata.owner'"),
        (OLD_FORM.replace("fix: otel", "metadata:\n  library: zipkin\nfix: otel"), "'library' is both"),
    ],
    ids=["top-level-keys", "unknown-metadata-key", "key-twice"],
)
def test_rule_files_in_the_older_form_still_load(tmp_path: Path, text: str, error: str | None) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "team.yml").write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "otmigrate", "rules", "test", "mine"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    if error is None:
        assert done.returncode == 0 and done.stdout.strip() == "1 passed, 0 failed", done.stdout + done.stderr
    else:
        assert done.returncode == 2 and error in done.stderr and "team.yml:" in done.stderr, done.stderr
