"""Valid but deep or huge input costs at most its own file (issue 16, point 9), through the real CLI."""

from __future__ import annotations

import json

import pytest

GO_HEAD = 'package svc\n\nimport opentracing "github.com/opentracing/opentracing-go"\n\n'


def _nested_go(depth: int) -> str:
    opening = "".join("\t" * (i + 1) + f"if x > {i} {{\n" for i in range(depth))
    closing = "".join("\t" * (i + 1) + "}\n" for i in reversed(range(depth)))
    return (
        GO_HEAD + "func Work(x int) {\n"
        '\tspan := opentracing.StartSpan("work")\n'
        + opening
        + "\t" * (depth + 1)
        + "return\n"
        + closing
        + "\tspan.Finish()\n}\n"
    )


def _nested_js(depth: int) -> str:
    return (
        "const opentracing = require('opentracing');\n\nfunction work(x) {\n"
        "  const span = opentracing.globalTracer().startSpan('work');\n"
        + "".join(f"if (x > {i}) {{\n" for i in range(depth))
        + "return;\n"
        + "}\n" * depth
        + "  span.finish();\n}\n"
    )


@pytest.mark.parametrize(("name", "make"), [("svc.go", _nested_go), ("svc.js", _nested_js)])
def test_lint_follows_a_span_through_300_nested_blocks(tmp_path, cli, name, make):
    (tmp_path / name).write_text(make(300))
    result = cli("lint", "--format", "json", name, cwd=tmp_path)
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr, result.stderr[-500:]
    codes = {f["code"] for f in json.loads(result.stdout)}
    assert "OTM101" in codes  # the early return leaves the span open


def test_a_python_expression_too_deep_to_compile_costs_its_file_only(tmp_path, cli, legacy):
    (tmp_path / "deep.py").write_text(legacy + "TOTAL = " + " + ".join(["1"] * 20_000) + "\n")
    (tmp_path / "good.py").write_text(legacy)
    for command in ("scan", "rewrite"):
        result = cli(command, *(["--apply"] if command == "rewrite" else []), ".", cwd=tmp_path)
        assert "Traceback" not in result.stderr, result.stderr[-800:]
        assert "deep.py: nested too deeply to analyse" in result.stderr
        assert result.returncode == 1
    assert "opentracing" not in (tmp_path / "good.py").read_text()
