"""A refused file is told honestly, and no file is silently missed (issue 16, points 12 and 13)."""

from __future__ import annotations

import json


def _rules(folder, *rules: str):
    folder.mkdir()
    for number, rule in enumerate(rules):
        (folder / f"r{number}.yml").write_text(rule)
    return folder


GROWS = (  # three more lines above everything else
    "id: grows-imports\nlanguage: python\nlibrary: opentracing\nsafety: safe\nmessage: adds imports\n"
    'rule: {pattern: import opentracing}\nfix: "import opentracing\\nimport a\\nimport b\\nimport c"\n'
    'examples:\n  - before: "import opentracing"\n'
    '    after: "import opentracing\\nimport a\\nimport b\\nimport c"\n'
)
BREAKS = (  # an unbalanced call
    "id: breaks-calls\nlanguage: python\nlibrary: opentracing\nsafety: safe\nmessage: breaks the call\n"
    "rule: {pattern: '$S.set_tag($$$A)'}\nfix: '$S.set_tag($$$A'\n"
    "examples:\n  - before: 's.set_tag(1)'\n    after: 's.set_tag(1'\n"
)


def test_a_refused_file_lists_no_migrations_and_names_the_users_line(tmp_path, cli, legacy):
    rules = _rules(tmp_path / "rules", GROWS, BREAKS)
    (tmp_path / "svc.py").write_text(legacy)
    args = ["rewrite", "--rules", str(rules), "--select", "grows-imports,breaks-calls"]
    result = cli(*args, "svc.py", cwd=tmp_path)
    expected = "svc.py: the rewritten file would not parse (syntax error at line 6"
    assert expected in result.stderr, result.stderr
    assert "migrated:" not in result.stdout
    document = json.loads(cli(*args, "--format", "json", "svc.py", cwd=tmp_path).stdout)
    assert [change for f in document["files"] for change in f["changes"]] == []
    assert result.returncode == 1


def test_a_star_import_of_a_legacy_library_is_reported_by_every_command(tmp_path, cli):
    source = "from opentracing import *\n\n\ndef handler():\n    span = global_tracer().start_span('x')\n"
    (tmp_path / "svc.py").write_text(source)
    for command in ("scan", "rewrite", "lint"):
        result = cli(command, ".", cwd=tmp_path)
        assert "svc.py: `from opentracing import *`" in result.stderr, (command, result.stderr)
        assert result.returncode == 1, command
    assert (tmp_path / "svc.py").read_text() == source


def test_a_utf16_file_is_reported_not_skipped(tmp_path, cli, legacy):
    (tmp_path / "svc.py").write_bytes(legacy.encode("utf-16"))
    for command in ("scan", "rewrite", "lint"):
        result = cli(command, ".", cwd=tmp_path)
        assert "svc.py: UTF-16 encoded; not read" in result.stderr, (command, result.stderr)
        assert result.returncode == 1, command
