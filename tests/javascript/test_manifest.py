"""package.json: legacy tracing packages out, the OTel packages in, at the versions the harness tests."""

from __future__ import annotations

import json
from pathlib import Path

from otmigrate.languages.javascript.manifest import VERSIONS, update_manifest

from .jsharness import HARNESS

DEMO_WORKER = Path(__file__).parents[2] / "fixtures" / "demo" / "worker" / "package.json"


def _manifest(**sections: dict[str, str]) -> str:
    return json.dumps({"name": "svc", "version": "1.0.0", **sections}, indent=2) + "\n"


def test_versions_are_the_ones_the_fixtures_run_against() -> None:
    harness = json.loads((HARNESS / "package.json").read_text())["dependencies"]
    assert {name: harness.get(name) for name in VERSIONS} == VERSIONS


def test_opentracing_becomes_the_api_and_the_rest_stays() -> None:
    text = _manifest(dependencies={"express": "^4.21.2", "opentracing": "^0.14.7"})
    out = json.loads(update_manifest("package.json", text))
    assert out["dependencies"] == {"@opentelemetry/api": "1.9.1", "express": "^4.21.2"}
    assert out["name"] == "svc"


def test_zipkin_packages_become_the_sdk_with_the_zipkin_exporter_and_b3() -> None:
    out = json.loads(update_manifest("package.json", DEMO_WORKER.read_text()))
    deps = out["dependencies"]
    assert not [name for name in deps if name.startswith("zipkin")]
    assert deps["@opentelemetry/exporter-zipkin"] == "2.12.0"
    assert deps["@opentelemetry/propagator-b3"] == "2.12.0"
    assert deps["@opentelemetry/sdk-trace-node"] == "2.12.0"
    assert list(deps) == sorted(deps), "npm keeps dependencies sorted"
    assert out["scripts"] == {"start": "node worker.js"}


def test_jaeger_client_brings_the_otlp_exporter_and_both_propagators() -> None:
    deps = json.loads(update_manifest("package.json", _manifest(dependencies={"jaeger-client": "^3.19.0"})))
    names = set(deps["dependencies"])
    assert {"@opentelemetry/exporter-trace-otlp-http", "@opentelemetry/propagator-jaeger"} <= names
    assert "@opentelemetry/propagator-b3" in names  # ZipkinB3TextMapCodec set-ups
    assert "jaeger-client" not in names


def test_zipkin_instrumentation_brings_the_otel_instrumentations() -> None:
    text = _manifest(dependencies={"zipkin": "^0.22.0", "zipkin-instrumentation-express": "^0.22.0"})
    deps = json.loads(update_manifest("package.json", text))["dependencies"]
    assert deps["@opentelemetry/instrumentation-express"] == "0.60.0"
    assert deps["@opentelemetry/instrumentation-http"] == "0.212.0"


def test_known_imports_narrow_the_packages_to_those_the_code_uses() -> None:
    text = _manifest(dependencies={"jaeger-client": "^3.19.0", "opentracing": "^0.14.7"})
    imports = frozenset(
        {"@opentelemetry/api", "@opentelemetry/propagator-b3", "@opentelemetry/sdk-trace-node"}
    )
    deps = json.loads(update_manifest("package.json", text, imports))["dependencies"]
    assert deps == {
        "@opentelemetry/api": "1.9.1",
        "@opentelemetry/propagator-b3": "2.12.0",
        "@opentelemetry/sdk-trace-node": "2.12.0",
    }


def test_each_section_keeps_its_own_packages() -> None:
    text = _manifest(dependencies={"left-pad": "1.0.0"}, devDependencies={"opentracing": "^0.14.7"})
    out = json.loads(update_manifest("package.json", text))
    assert out["dependencies"] == {"left-pad": "1.0.0"}
    assert out["devDependencies"] == {"@opentelemetry/api": "1.9.1"}


def test_a_pinned_otel_version_the_project_already_has_is_kept() -> None:
    text = _manifest(dependencies={"@opentelemetry/api": "^1.8.0", "opentracing": "^0.14.7"})
    out = json.loads(update_manifest("package.json", text))
    assert out["dependencies"] == {"@opentelemetry/api": "^1.8.0"}


def test_unsorted_sections_keep_their_order_and_indentation_is_kept() -> None:
    text = json.dumps({"dependencies": {"zod": "3.0.0", "opentracing": "0.14.7", "abc": "1.0.0"}}, indent=4)
    out = update_manifest("package.json", text)
    assert list(json.loads(out)["dependencies"]) == ["zod", "abc", "@opentelemetry/api"]
    assert '\n        "zod"' in out
    assert not out.endswith("\n")


def test_nothing_to_do_leaves_the_text_byte_for_byte() -> None:
    text = '{"name": "svc",   "dependencies": {"express": "4.21.2"}}'
    assert update_manifest("package.json", text) == text
    assert update_manifest("package.json", "{ not json") == "{ not json"
    assert update_manifest("package.json", "[1, 2]") == "[1, 2]"
    other = _manifest(dependencies={"opentracing": "1"})
    assert update_manifest("other.json", other) == other


def test_updating_twice_changes_nothing() -> None:
    once = update_manifest("package.json", DEMO_WORKER.read_text())
    assert update_manifest("package.json", once) == once
