"""The yardstick's own parts, on small inputs: what counts as a passed test, an error under a TODO, a lost
dependency. Fast (no toolchain); the corpus tests in test_realcode.py rely on these being right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .bench import realcode


def test_go_test_json_counts_top_level_tests_and_packages_that_do_not_build() -> None:
    events = [
        {"Action": "pass", "Package": "m/a", "Test": "TestOne"},
        {"Action": "pass", "Package": "m/a", "Test": "TestOne/sub"},
        {"Action": "fail", "Package": "m/a", "Test": "TestTwo"},
        {"Action": "fail", "Package": "m/a"},
        {"Action": "fail", "Package": "m/b", "FailedBuild": "m/b [m/b.test]"},
    ]
    out = "\n".join(["# m/b", *map(json.dumps, events)])
    assert realcode.go_tests(out) == (1, 2)


def test_pytest_summary_counts_failures_and_errors() -> None:
    out = "....F\nFAILED t.py::x\n=== 1 failed, 18 passed, 4 deselected, 2 errors in 1.20s ==="
    assert realcode.pytest_counts(out) == (18, 3)
    assert realcode.pytest_counts("140 passed, 2 skipped in 3.1s") == (140, 0)


def test_jest_and_mocha_summaries() -> None:
    jest = "Test Suites: 1 failed, 1 passed, 2 total\nTests:       2 failed, 15 passed, 2 todo, 19 total\n"
    assert realcode.jest_or_mocha_counts(jest) == (15, 2)
    suite_only = "Test Suites: 1 failed, 1 total\nTests:       0 total\n"
    assert realcode.jest_or_mocha_counts(suite_only) == (0, 1)
    mocha = "  17 passing (2s)\n\n  11 passing (1s)\n  1 failing\n"
    assert realcode.jest_or_mocha_counts(mocha) == (28, 1)


def test_go_and_tsc_error_lines() -> None:
    go = "# m/trace\ntrace/metric.go:7:2: x imported and not used\nvet: ./a.go:3:1: undefined: y\n"
    assert [(e.path, e.line) for e in realcode.go_errors(go)] == [("trace/metric.go", 7), ("a.go", 3)]
    tsc = "src/index.ts(11,22): error TS2307: Cannot find module 'opentracing'.\n"
    found = realcode.TSC_ERROR.findall(tsc)
    assert found == [("src/index.ts", "11", "TS2307: Cannot find module 'opentracing'.")]


def test_an_error_is_under_a_todo_only_in_the_statement_right_below_it(tmp_path: Path) -> None:
    source = tmp_path / "a.go"
    source.write_text(
        "package a\n\nfunc f() {\n"
        "\t// TODO(otmigrate): no OTel equivalent\n"
        "\t// (second line of the comment)\n"
        "\tx := legacy(\n\t\t1)\n"
        "\ty := 2\n}\n"
    )
    assert realcode.lines_under_todos(source) == {4, 5, 6, 7}
    python = tmp_path / "a.py"
    python.write_text("import x\n# TODO(otmigrate): left as is\nspan.set_tag('a', 1)\nspan.finish()\n")
    assert realcode.lines_under_todos(python) == {2, 3}


def test_a_removed_legacy_dependency_is_lost_only_while_a_file_imports_it(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("django\nopentelemetry-api~=1.45\n")
    (tmp_path / "uses.py").write_text("from opentracing.ext import tags\n")
    before = {"opentracing", "jaeger-client"}
    lost = realcode.lost_dependencies(before, tmp_path, "python")
    assert lost == ["opentracing (still imported by uses.py)"]
    assert realcode.otel_requirements(tmp_path) == ["opentelemetry-api~=1.45"]


def test_js_manifests_are_read_per_package(tmp_path: Path) -> None:
    (tmp_path / "packages" / "p").mkdir(parents=True)
    (tmp_path / "package.json").write_text('{"devDependencies": {"zipkin-context-cls": "^0.22.0"}}')
    (tmp_path / "packages" / "p" / "package.json").write_text('{"dependencies": {"zipkin": "^0.22.0"}}')
    assert realcode.declared_legacy(tmp_path, "javascript") == {".:zipkin-context-cls", "packages/p:zipkin"}
    (tmp_path / "packages" / "p" / "package.json").write_text('{"dependencies": {}}')
    (tmp_path / "packages" / "p" / "index.js").write_text("const {Tracer} = require('zipkin');\n")
    lost = realcode.lost_dependencies({"packages/p:zipkin"}, tmp_path, "javascript")
    assert lost == ["packages/p:zipkin (still imported by packages/p/index.js)"]


def test_python_errors_the_original_already_had_are_not_counted() -> None:
    error = realcode.CompilerError
    before = [error("a.py", 3, "F401 `os` imported but unused")]
    after = [error("a.py", 5, "F401 `os` imported but unused"), error("a.py", 9, "F821 Undefined name `x`")]
    assert realcode.new_errors(after, before) == [after[1]]
    moved = [error("t.py", 97, "F811 Redefinition of unused `top_span` from line 96")]
    assert (
        realcode.new_errors(moved, [error("t.py", 96, "F811 Redefinition of unused `top_span` from line 95")])
        == []
    )


def test_an_install_that_cannot_reach_the_registry_is_the_harness_failure() -> None:
    realcode.unreachable("ERROR: No matching distribution found for opentelemetry-api~=9.0")  # a bad pin
    with pytest.raises(RuntimeError, match="network"):
        realcode.unreachable("npm error code EAI_AGAIN\nnpm error request to https://registry.npmjs.org")
