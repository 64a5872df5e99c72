"""Verification layers 3 and 4 for the hand-written expected outputs: every input runs with its legacy
library, every expected output passes `node --check` and runs with the real OTel packages, and both
produce the same span tree (strictly; under the instrumentation mode of instrumentation_spans.py when the
migrated program's spans come from OTel instrumentation packages).

Each test runs its own case's two programs (jsharness.run_once), so every program runs once per test run
whatever the number of xdist workers."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from . import instrumentation_spans
from .jsharness import (
    FIXTURES,
    fixture_cases,
    program,
    require_node,
    run_dir,
    run_once,
    run_programs,
    stage,
    transpile,
)
from .spantree import normalise

CASES = fixture_cases()
IDS = [str(c.relative_to(FIXTURES)) for c in CASES]
JS_CASES = [c for c in CASES if program(c, "input").suffix != ".ts"]  # TypeScript: test_typescript.py
JS_IDS = [str(c.relative_to(FIXTURES)) for c in JS_CASES]


def run_case(case: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """{"input": legacy run, "expected": OTel run} of one case."""
    programs = {}
    for stem, side in (("input", "legacy"), ("expected", "otel")):
        src = program(case, stem)
        if src.suffix == ".ts":
            programs[stem] = (side, ".js", transpile(require_node(), src.read_text()))
        else:
            programs[stem] = (side, src.suffix, src.read_text())
    return run_once(require_node(), run_dir(tmp_path_factory), programs)


@pytest.mark.parametrize("case", JS_CASES, ids=JS_IDS)
def test_expected_output_is_valid_javascript(case: Path) -> None:
    node = require_node()
    for stem in ("input", "expected"):
        proc = subprocess.run([node, "--check", str(program(case, stem))], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_expected_output_behaves_like_input(case: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    library = str(case.relative_to(FIXTURES)).split("/")[0]
    runs = run_case(case, tmp_path_factory)
    legacy, otel = runs["input"], runs["expected"]
    assert legacy["error"] is None, legacy["error"]
    assert otel["error"] is None, otel["error"]
    assert legacy["stdout"] == otel["stdout"], "the program's own output changed"
    legacy_tree = normalise(legacy["spans"], library)
    assert legacy_tree, "the legacy program produced no spans: the harness saw nothing to compare"
    if instrumentation_spans.uses_instrumentation(otel["spans"]):
        assert instrumentation_spans.mismatch(legacy["spans"], otel["spans"], library) is None
    else:
        assert normalise(otel["spans"], library) == legacy_tree


def test_a_span_left_unended_on_the_error_path_is_caught(tmp_path: Path) -> None:
    """The comparison can fail: without the `.finally` the rewrite adds, the rejected lookup's span is
    never ended, so OTel never exports it, while the legacy MockTracer still reports it."""
    node = require_node()
    case = FIXTURES / "opentracing" / "lifecycle-wrap"
    good = program(case, "expected").read_text()
    migrated_end = "    return order;\n  }).finally(() => span.end());"
    bad = good.replace(migrated_end, "    span.end();\n    return order;\n  });")
    assert bad != good
    legacy = stage(tmp_path, "legacy", program(case, "input").read_text(), ".js")
    listing = [
        {"id": "legacy", "file": str(legacy), "side": "legacy"},
        {"id": "bad", "file": str(stage(tmp_path, "bad", bad, ".js")), "side": "otel"},
    ]
    runs = run_programs(node, tmp_path, listing)
    assert normalise(runs["bad"]["spans"], "opentracing") != normalise(runs["legacy"]["spans"], "opentracing")


def test_a_span_ended_before_its_promise_settles_is_caught(tmp_path_factory: pytest.TempPathFactory) -> None:
    """local-opaque-promise-cjs: without the run-time promise check, the spans end when the promises are
    returned: the rejected read is not recorded (the trees differ) and the 30 ms wait is not in the span."""
    case = FIXTURES / "zipkin" / "local-opaque-promise-cjs"
    good = program(case, "expected").read_text()
    check = "if (result && typeof result.then === 'function') {"
    assert good.count(check) == 3
    runs = run_once(
        require_node(),
        run_dir(tmp_path_factory),
        {
            "legacy": ("legacy", ".js", program(case, "input").read_text()),
            "good": ("otel", ".js", good),
            "early": ("otel", ".js", good.replace(check, "if (false) {")),
        },
    )
    assert all(run["error"] is None for run in runs.values()), runs
    legacy = normalise(runs["legacy"]["spans"], "zipkin")
    assert normalise(runs["good"]["spans"], "zipkin") == legacy
    assert normalise(runs["early"]["spans"], "zipkin") != legacy

    def waited(name: str) -> float:
        return next(s["durationMs"] for s in runs[name]["spans"] if s["name"] == "fetch-rate")

    assert waited("good") >= 29 > waited("early")
