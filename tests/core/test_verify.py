"""`rewrite --verify`: a break the migration plants is found with the language's own tools, reported
with path:line and whether a TODO covers it, and `--apply --verify` then writes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from toolchains import require

from otmigrate.verify import Workspace
from otmigrate.verify import javascript as js_checker
from otmigrate.verify.coverage import todo_covers

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests" / "javascript" / "harness"


def _rule(folder: Path, language: str, pattern: str, fix: str, before: str, after: str) -> Path:
    """A user rule that breaks code on purpose (the bundled rules do not)."""
    rules = folder / "planted-rules"
    rules.mkdir()
    (rules / "break.yml").write_text(
        f"id: planted-{language}-break\nlanguage: {language}\nlibrary: opentracing\nsafety: safe\n"
        f"message: planted break\nrule:\n  pattern: {json.dumps(pattern)}\nfix: {json.dumps(fix)}\n"
        f"examples:\n  - before: {json.dumps(before)}\n    after: {json.dumps(after)}\n"
    )
    return rules


OTMIGRATE = (sys.executable, "-m", "otmigrate", "rewrite")


def _run(project: Path, rules: Path, *options: str) -> tuple[int, dict]:
    env = {**os.environ, "GOFLAGS": "-mod=mod"}
    done = subprocess.run(
        [*OTMIGRATE, "--rules", str(rules), "--select", "planted-", "--format", "json", *options, "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    return done.returncode, json.loads(done.stdout)


def _assert_reported_and_not_written(project: Path, rules: Path, file: str, expected: str, tool: str) -> None:
    before = (project / file).read_text()
    code, document = _run(project, rules, "--verify")
    problems = document["verify"]["problems"]
    assert code == 1 and not document["verify"]["ok"], document["verify"]
    assert any(p["path"] == file and expected in p["message"] and p["tool"] == tool for p in problems), (
        problems
    )
    assert all(not p["covered"] for p in problems)
    code, document = _run(project, rules, "--verify", "--apply")
    assert code == 1 and not any(f["written"] for f in document["files"])
    assert (project / file).read_text() == before
    code, document = _run(project, rules, "--verify", "--apply", "--allow-broken")
    assert any(f["written"] for f in document["files"]) and (project / file).read_text() != before


def test_python_undefined_name(tmp_path: Path) -> None:
    project = tmp_path / "py"
    project.mkdir()
    # the unused `os` import was there before: not the migration's, not reported
    (project / "app.py").write_text(
        'import os\nimport opentracing\n\n\ndef handler():\n    span = opentracing.tracer.start_span("w")\n'
        "    span.finish()\n"
    )
    rules = _rule(
        tmp_path,
        "python",
        "$S.finish()",
        "finish_it($S)",
        "import opentracing\nspan.finish()\n",
        "import opentracing\nfinish_it(span)\n",
    )
    _, document = _run(project, rules, "--verify")
    assert [p["line"] for p in document["verify"]["problems"]] == [7]  # not line 1: `os` was unused before
    _assert_reported_and_not_written(project, rules, "app.py", "undefined name 'finish_it'", "pyflakes")


GO_MOD = "module example.com/app\n\ngo 1.26.0\n\nrequire github.com/opentracing/opentracing-go v1.2.0\n"
GO_APP = """package app

import opentracing "github.com/opentracing/opentracing-go"

func Work() {
	span := opentracing.StartSpan("work")
	span.Finish()
}
"""


def test_go_type_error(tmp_path: Path) -> None:
    require("go")
    project = tmp_path / "go"
    project.mkdir()
    (project / "go.mod").write_text(GO_MOD)
    (project / "go.sum").write_text((REPO / "tests" / "go" / "harness" / "go.sum").read_text())
    (project / "app.go").write_text(GO_APP)
    rules = _rule(
        tmp_path,
        "go",
        "$S.Finish()",
        "$S.Finish(42)",
        "package a\nfunc f() { span.Finish() }\n",
        "package a\nfunc f() { span.Finish(42) }\n",
    )
    _assert_reported_and_not_written(project, rules, "app.go", "too many arguments", "go build")


def test_javascript_missing_dependency(tmp_path: Path) -> None:
    require("node")
    project = tmp_path / "js"
    project.mkdir()
    (project / "package.json").write_text('{"name": "app", "dependencies": {"opentracing": "0.14.7"}}\n')
    (project / "app.js").write_text(
        "const opentracing = require('opentracing');\nconst path = require('path');\n"
        "const local = require('./local');\nmodule.exports = { opentracing, path, local };\n"
    )
    (project / "local.js").write_text("module.exports = 1;\n")
    rules = _rule(
        tmp_path,
        "javascript",
        "require('opentracing')",
        "require('opentracing-gone')",
        "const o = require('opentracing');\n",
        "const o = require('opentracing-gone');\n",
    )
    _assert_reported_and_not_written(
        project, rules, "app.js", "cannot resolve 'opentracing-gone'", "module resolution"
    )


def test_a_problem_under_our_todo_is_covered() -> None:
    python = "x = 1\n# TODO(otmigrate): migrate by hand\nspan = start(\n    tracer,\n)\ny = 2\n"
    assert todo_covers(python, 4, "a.py") and todo_covers(python, 3, "a.py")
    assert not todo_covers(python, 6, "a.py") and not todo_covers(python, 1, "a.py")
    go = "package a\n\nfunc f() {\n\t// TODO(otmigrate): ChildOf\n\tspan := tracer.Start(ctx,\n\t\tx)\n"
    go += "\tg()\n}\n"
    assert todo_covers(go, 6, "a.go") and not todo_covers(go, 7, "a.go")


def test_typescript_type_error_with_tsc(tmp_path: Path) -> None:
    """tsc --noEmit -p on a project with a tsconfig, with the typescript the JS harness installs."""
    require("node")
    if '"typescript"' not in (HARNESS / "package.json").read_text():
        pytest.skip("the JavaScript harness does not install typescript (yet)")
    tsc = HARNESS / "node_modules" / "typescript" / "bin" / "tsc"
    if not tsc.is_file():
        if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS"):
            pytest.fail("typescript is not installed in tests/javascript/harness (npm ci)")
        pytest.skip("typescript not installed in tests/javascript/harness (npm ci)")
    (tmp_path / "node_modules").symlink_to(HARNESS / "node_modules", target_is_directory=True)
    (tmp_path / "tsconfig.json").write_text('{"compilerOptions": {"strict": true}, "include": ["*.ts"]}\n')
    (tmp_path / "package.json").write_text('{"name": "app"}\n')
    text = "export function f(n: number): string {\n  return n;\n}\n"
    (tmp_path / "a.ts").write_text(text)
    workspace = Workspace(tmp_path, {"a.ts": text}, [], [])
    found = js_checker.check(workspace)
    assert [(f.path, f.line, f.tool) for f in found] == [("a.ts", 2, "tsc")], found
    assert "TS2322" in found[0].message and "tsc --noEmit" in workspace.tools


def test_a_missing_toolchain_is_a_notice(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    workspace = Workspace(tmp_path, {"a.js": "x\n"}, [], [])
    assert js_checker.check(workspace) == []
    assert workspace.notices == [
        "node not found on PATH: the migrated JavaScript/TypeScript was not verified"
    ]
