"""go.mod migration: legacy requirements out, the tested OTel modules in."""

import re
from pathlib import Path

from otmigrate.languages.go.manifest import OTEL_MODULES, update_manifest

DEMO_STYLE = """module example.com/svc

go 1.23.0

require (
\tgithub.com/opentracing/opentracing-go v1.2.0
\tgithub.com/uber/jaeger-client-go v2.30.0+incompatible
\tgolang.org/x/sync v0.8.0
)

require (
\tgithub.com/uber/jaeger-lib v2.4.1+incompatible // indirect
\tgo.uber.org/atomic v1.12.0 // indirect
)
"""


def test_legacy_out_otel_in():
    out = update_manifest("go.mod", DEMO_STYLE)
    assert "opentracing-go" not in out and "jaeger-client-go" not in out and "jaeger-lib" not in out
    assert (
        "\tgo.opentelemetry.io/otel v1.47.0\n" in out and "\tgo.opentelemetry.io/otel/trace v1.47.0\n" in out
    )
    assert "golang.org/x/sync v0.8.0" in out and "go.uber.org/atomic" in out
    assert update_manifest("go.mod", out) == out


def test_single_line_require_and_untouched_files():
    out = update_manifest(
        "go.mod", "module m\n\ngo 1.22\n\nrequire github.com/opentracing/opentracing-go v1.2.0\n"
    )
    assert (
        out == "module m\n\ngo 1.22\n\nrequire (\n"
        "\tgo.opentelemetry.io/otel v1.47.0\n\tgo.opentelemetry.io/otel/trace v1.47.0\n)\n"
    )
    plain = "module m\n\ngo 1.22\n"
    assert update_manifest("go.mod", plain) == plain


def test_set_up_modules_come_with_the_tracer_libraries():
    out = update_manifest("go.mod", DEMO_STYLE)
    for module in ("sdk", "exporters/otlp/otlptrace/otlptracehttp"):
        assert f"\tgo.opentelemetry.io/otel/{module} v1.47.0\n" in out
    assert "\tgo.opentelemetry.io/contrib/propagators/b3 v1.47.0\n" in out


def test_versions_are_the_ones_the_fixtures_were_proven_with():
    harness = (Path(__file__).parent / "harness" / "go.mod").read_text()
    tested = dict(re.findall(r"^\s+(\S+) (v\S+)", harness, re.M))
    assert {module: tested.get(module) for module in OTEL_MODULES} == OTEL_MODULES
