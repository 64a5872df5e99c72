"""The instrumentation comparison mode (instrumentation_spans.py) accepts the migration of
fixtures/javascript/zipkin/express-fetch-cjs, which strict equality cannot, and still catches a missing
span, a wrong parent or kind, a lost attribute, and any difference in a span the program made itself."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from .instrumentation_spans import mismatch
from .jsharness import FIXTURES, program, require_node, run_dir, run_once
from .spantree import normalise

CASE = FIXTURES / "zipkin" / "express-fetch-cjs"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Raw spans of the legacy program, its migration, and the migration without UndiciInstrumentation."""
    expected = program(CASE, "expected").read_text()
    without_undici = expected.replace(", new UndiciInstrumentation()", "")
    assert without_undici != expected
    programs = {
        "legacy": ("legacy", ".js", program(CASE, "input").read_text()),
        "otel": ("otel", ".js", expected),
        "no-undici": ("otel", ".js", without_undici),
    }
    results = run_once(require_node(), run_dir(tmp_path_factory), programs)
    for name, result in results.items():
        assert result["error"] is None, f"{name}: {result['error']}"
    return {name: result["spans"] for name, result in results.items()}


def _span(spans: list[dict[str, Any]], name: str, scope: str) -> dict[str, Any]:
    return next(
        s for s in spans if s["name"] == name and s["scope"] == f"@opentelemetry/instrumentation-{scope}"
    )


def test_the_mode_accepts_the_migration_that_strict_equality_rejects(runs: dict) -> None:
    assert normalise(runs["otel"], "zipkin") != normalise(runs["legacy"], "zipkin")
    assert mismatch(runs["legacy"], runs["otel"], "zipkin") is None


def test_a_missing_span_is_caught(runs: dict) -> None:
    """Without the undici instrumentation global fetch is not traced: its client spans are missing."""
    assert mismatch(runs["legacy"], runs["no-undici"], "zipkin") is not None


def test_a_wrong_parent_is_caught(runs: dict) -> None:
    spans = copy.deepcopy(runs["otel"])
    root = next(s for s in spans if s["parent"] is None)
    _span(spans, "GET /stock/:sku", "http")["parent"] = root["id"]
    assert mismatch(runs["legacy"], spans, "zipkin") is not None


def test_a_wrong_kind_is_caught(runs: dict) -> None:
    spans = copy.deepcopy(runs["otel"])
    _span(spans, "GET /price/:sku", "http")["kind"] = 0  # INTERNAL
    assert mismatch(runs["legacy"], spans, "zipkin") is not None


@pytest.mark.parametrize("key", ["http.status_code", "http.target"])
def test_a_lost_attribute_is_caught(runs: dict, key: str) -> None:
    spans = copy.deepcopy(runs["otel"])
    del _span(spans, "GET /price/:sku", "http")["attributes"][key]
    assert mismatch(runs["legacy"], spans, "zipkin") is not None


def test_spans_the_program_makes_itself_stay_strict(runs: dict) -> None:
    """The same span from the program's own tracer: its extra attributes are differences."""
    spans = copy.deepcopy(runs["otel"])
    _span(spans, "GET /price/:sku", "http")["scope"] = "gateway"
    assert mismatch(runs["legacy"], spans, "zipkin") is not None
