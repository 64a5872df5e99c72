"""Config and rule files from outside the repository or written to hurt (issue 16, points 6 and 8)."""

from __future__ import annotations

import os
import re

import pytest

LINE_ERROR = re.compile(r"^otmigrate: (?P<path>[^:\n]+):(?P<line>\d+): (?P<what>.+)\n$")

RULE = (
    "id: {id}\nlanguage: python\nlibrary: opentracing\nsafety: safe\nmessage: m\n"
    "rule: {{pattern: 'opentracing.tracer'}}\nfix: 'x'\n"
    "examples:\n  - before: 'opentracing.tracer'\n    after: 'x'\n"
)


def test_a_config_above_the_repository_is_not_used(tmp_path, cli, repo, legacy):
    rules = tmp_path / "evil-rules"
    rules.mkdir()
    (rules / "inject.yml").write_text(
        RULE.format(id="evil").replace("fix: 'x'", "fix: \"__import__('os').system('id')\"")
    )
    (tmp_path / ".otmigrate.toml").write_text(f'rules = ["{rules}"]\n')
    root = repo(tmp_path / "project", {"svc.py": legacy})
    result = cli("rewrite", "--apply", ".", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "system" not in (root / "svc.py").read_text()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_config_owned_by_another_user_is_refused(tmp_path, cli, legacy):
    (tmp_path / ".otmigrate.toml").write_text('exclude = ["*.py"]\n')
    os.chown(tmp_path / ".otmigrate.toml", 4321, 4321)
    (tmp_path / "svc.py").write_text(legacy)
    result = cli("rewrite", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "owned by another user (uid 4321); not trusted" in result.stderr


def test_a_world_writable_config_is_refused(tmp_path, cli, legacy):
    (tmp_path / ".otmigrate.toml").write_text('exclude = ["*.py"]\n')
    (tmp_path / ".otmigrate.toml").chmod(0o666)
    (tmp_path / "svc.py").write_text(legacy)
    result = cli("scan", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert ".otmigrate.toml:1: writable by every user; not trusted" in result.stderr


def test_rule_files_from_outside_the_bundle_are_named(tmp_path, cli, legacy):
    rules = tmp_path / "my-rules"
    rules.mkdir()
    (rules / "mine.yml").write_text(RULE.format(id="my-rule"))
    (tmp_path / "svc.py").write_text(legacy)
    result = cli("rewrite", "--rules", str(rules), ".", cwd=tmp_path)
    assert f"otmigrate: using rules from outside the bundle: {rules / 'mine.yml'}" in result.stderr


ALIAS_BOMB = "utils:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)

HOSTILE_RULES = {
    "recursive alias": (
        RULE.format(id="r").replace("rule: {", "rule: &r {any: [*r], "),
        6,
        "recursive YAML alias",
    ),
    "alias bomb": (RULE.format(id="r") + ALIAS_BOMB, 1, "too many YAML nodes"),
    "pattern not a string": (RULE.format(id="r").replace("'opentracing.tracer'}", "123}"), 6, "pattern"),
    "pattern object without context": (
        RULE.format(id="r").replace("{pattern: 'opentracing.tracer'}", "{pattern: {selector: call}}"),
        6,
        "context",
    ),
    "malformed transform": (RULE.format(id="r") + "transform: [1, 2]\n", 11, "transform"),
    "symbol a list": (RULE.format(id="r") + "symbol: [a, b]\n", 11, "'symbol' must be a string"),
    "python object": ("!!python/object/apply:os.system ['id']\n", 1, "python/object/apply"),
    "deep nesting": ("a: " + "[" * 3000 + "]" * 3000 + "\n", 1, "nested too deeply"),
}


@pytest.mark.parametrize("case", HOSTILE_RULES)
def test_a_hostile_rule_file_is_one_line_with_path_and_line(tmp_path, cli, legacy, case):
    text, line, what = HOSTILE_RULES[case]
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yml").write_text(text)
    (tmp_path / "svc.py").write_text(legacy)
    result = cli("rewrite", "--rules", str(rules), ".", cwd=tmp_path, timeout=60)
    found = LINE_ERROR.match(result.stderr)
    assert found, result.stderr[-2000:]
    assert found["path"].endswith("bad.yml") and int(found["line"]) == line and what in found["what"]
    assert result.returncode == 2


HOSTILE_CONFIGS = {
    "deep array": ("[tool.otmigrate]\nexclude = " + "[" * 3000 + "]" * 3000 + "\n", 2, "nested too deeply"),
    "tool not a table": ("tool = 1\n", 1, "'tool' must be a table"),
    "otmigrate not a table": ("[tool]\notmigrate = 1\n", 2, "[tool.otmigrate] must be a table"),
    "rules at the root": ('[tool.otmigrate]\nrules = ["/"]\n', 2, "outside the repository"),
}


@pytest.mark.parametrize("case", HOSTILE_CONFIGS)
def test_a_hostile_config_is_one_line_with_path_and_line(tmp_path, cli, repo, legacy, case):
    text, line, what = HOSTILE_CONFIGS[case]
    root = repo(tmp_path / "r", {"svc.py": legacy})
    (root / "pyproject.toml").write_text(text)
    result = cli("scan", "--config", "pyproject.toml", ".", cwd=root, timeout=60)
    found = LINE_ERROR.match(result.stderr)
    assert found, result.stderr[-2000:]
    assert found["path"].endswith("pyproject.toml") and int(found["line"]) == line and what in found["what"]
    assert result.returncode == 2


def test_a_malformed_gitignore_line_is_reported_and_matches_nothing_as_in_git(tmp_path, cli, legacy):
    (tmp_path / ".gitignore").write_text("ok.txt\n\\\n")
    (tmp_path / "svc.py").write_text(legacy)
    result = cli("scan", "--format", "json", ".", cwd=tmp_path)
    found = LINE_ERROR.match(result.stderr)
    assert found, result.stderr[-2000:]
    assert found["path"].endswith(".gitignore") and found["line"] == "2" and "ignored" in found["what"]
    assert '"path": "svc.py"' in result.stdout
    assert result.returncode == 0
