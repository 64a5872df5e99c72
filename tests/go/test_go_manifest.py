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
    assert "golang.org/x/sync v0.8.0" in out
    assert "atomic" not in out  # what remains (OTel, x/sync) does not need it
    assert "\n\n\n" not in out
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
    # the bridge is proven in its own module (test_go_bridge.py), the rest in the harness
    harness = "".join((Path(__file__).parent / name / "go.mod").read_text() for name in ("bridge", "harness"))
    tested = dict(re.findall(r"^\s+(\S+) (v\S+)", harness, re.M))
    assert {module: tested.get(module) for module in OTEL_MODULES} == OTEL_MODULES


DEMO_BACKEND = (Path(__file__).parents[2] / "fixtures" / "demo" / "backend" / "go.mod").read_text()


def test_the_modules_of_the_imports_are_required_exactly():
    imports = frozenset(
        {
            "go.opentelemetry.io/otel",
            "go.opentelemetry.io/otel/attribute",
            "go.opentelemetry.io/otel/sdk/trace",
            "go.opentelemetry.io/otel/trace/noop",
            "go.opentelemetry.io/contrib/propagators/b3",
        }
    )
    out = update_manifest("go.mod", DEMO_BACKEND, imports)
    assert out == (
        "module otmigrate.demo/backend\n\ngo 1.23.0\n\nrequire (\n"
        "\tgo.opentelemetry.io/otel v1.47.0\n"
        "\tgo.opentelemetry.io/otel/trace v1.47.0\n"
        "\tgo.opentelemetry.io/otel/sdk v1.47.0\n"
        "\tgo.opentelemetry.io/contrib/propagators/b3 v1.47.0\n"
        ")\n"
    )
    assert update_manifest("go.mod", out, imports) == out


def test_unknown_or_empty_imports_fall_back_to_what_the_legacy_modules_need():
    fallback = update_manifest("go.mod", DEMO_BACKEND)
    assert update_manifest("go.mod", DEMO_BACKEND, frozenset()) == fallback
    assert "otlptracehttp v1.47.0" in fallback and "jaeger" not in fallback
    zipkin = update_manifest("go.mod", DEMO_BACKEND, frozenset({"go.opentelemetry.io/otel/exporters/zipkin"}))
    assert "\tgo.opentelemetry.io/otel/exporters/zipkin v1.47.0\n" in zipkin
    assert "otlptracehttp" not in zipkin


def test_shared_indirect_requirements_stay_while_other_modules_may_need_them():
    text = DEMO_STYLE.replace("\tgolang.org/x/sync v0.8.0\n", "\tgo.uber.org/zap v1.27.0\n")
    out = update_manifest("go.mod", text + "\nrequire github.com/pkg/errors v0.9.1\n")
    assert "go.uber.org/atomic v1.12.0 // indirect" in out and "go.uber.org/zap" in out
    assert "require github.com/pkg/errors v0.9.1\n" in out  # a direct requirement is the code's own
    assert "jaeger-lib" not in out and "\n\n\n" not in out
