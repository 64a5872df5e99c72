"""The equivalence harness itself: its legacy normalisation follows api-mapping §5/§6, and it tells a
wrong migration from a right one (so an equal tree means something)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pymigrate_support import FIXTURES, HARNESS, span_tree

# Loaded under its own name: tests/go and tests/javascript have spantree modules of their own.
_spec = importlib.util.spec_from_file_location("python_harness_spantree", HARNESS)
harness = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(harness)  # type: ignore[union-attr]
build_tree, legacy_span = harness.build_tree, harness.legacy_span


def test_legacy_tags_become_kind_status_and_semconv_keys():
    span = legacy_span(
        "q", 1, None,
        {"span.kind": "server", "error": True, "http.method": "GET", "peer.hostname": "h", "db.type": "sql",
         "sampling.priority": 1, "custom": 3},
        [{"event": "error", "error.object": ValueError()}, {"message": "m"}],
    )  # fmt: skip
    assert span["kind"] == "SERVER" and span["status"] == "ERROR"
    assert span["attributes"] == {
        "http.request.method": "GET",
        "client.address": "h",
        "db.system.name": "other_sql",
        "custom": 3,
    }
    assert span["events"] == ["exception", "log"]


def test_one_exception_logged_twice_counts_once():
    error = OSError("x")
    logs = [{"event": "error", "error.object": error}, {"event": "error", "error.object": error}]
    assert legacy_span("s", 1, None, {}, logs)["events"] == ["exception"]


def test_tree_nests_children_and_marks_remote_parents():
    spans = [legacy_span("root", 1, 9, {}, []), legacy_span("child", 2, 1, {}, [])]
    (root,) = build_tree(spans)
    assert root["remote_parent"] and root["children"][0]["name"] == "child"


def test_a_wrong_migration_is_caught(tmp_path: Path):
    """ext_tags' expected output with the producer's kind lost must not match the legacy program."""
    case = FIXTURES / "opentracing" / "ext_tags"
    wrong = tmp_path / "wrong.py"
    expected = (case / "expected.py").read_text()
    wrong.write_text(expected.replace(", kind=trace.SpanKind.PRODUCER", ""))
    assert wrong.read_text() != expected
    assert span_tree("otel", "opentracing", wrong) != span_tree("legacy", "opentracing", case / "input.py")


def test_a_wrong_service_name_is_caught(tmp_path: Path):
    """jaeger's config service_name wins over the argument; taking the argument must show."""
    case = FIXTURES / "jaeger" / "resource_tags"
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        (case / "expected.py").read_text().replace('"service.name": "billing"', '"service.name": "x"')
    )
    assert span_tree("otel", "jaeger", wrong) != span_tree("legacy", "jaeger", case / "input.py")


def test_a_wrong_sampler_is_caught(tmp_path: Path):
    """probabilistic 1.0 → always-on records the same spans, but it is not the same sampler (§7)."""
    case = FIXTURES / "jaeger" / "probabilistic_b3"
    wrong = tmp_path / "wrong.py"
    text = (
        (case / "expected.py")
        .read_text()
        .replace("ParentBased(TraceIdRatioBased(1.0))", "ParentBased(ALWAYS_ON)")
    )
    wrong.write_text(text.replace("ParentBased, TraceIdRatioBased", "ALWAYS_ON, ParentBased"))
    migrated, legacy = span_tree("otel", "jaeger", wrong), span_tree("legacy", "jaeger", case / "input.py")
    assert migrated["tree"] == legacy["tree"] and migrated["samplers"] != legacy["samplers"]


def test_a_lost_legacy_wire_format_is_caught(tmp_path: Path):
    """A py_zipkin service that stops sending B3 breaks the not-yet-migrated services it calls."""
    case = FIXTURES / "zipkin" / "root_span"
    text = (case / "expected.py").read_text()
    start = text.index("propagate.set_global_textmap(")
    wrong = tmp_path / "wrong.py"
    wrong.write_text(text[:start] + text[text.index(")\n)\n", start) + 4 :])
    migrated, legacy = span_tree("otel", "zipkin", wrong), span_tree("legacy", "zipkin", case / "input.py")
    assert migrated["tree"] == legacy["tree"] and migrated["propagation"] != legacy["propagation"]
