"""go.mod migration: legacy requirements out, the tested OTel modules in."""

from otmigrate.languages.go.manifest import update_manifest

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
    assert "opentracing" not in out and "jaeger" not in out
    assert (
        "\tgo.opentelemetry.io/otel v1.47.0\n" in out and "\tgo.opentelemetry.io/otel/trace v1.47.0\n" in out
    )
    assert "golang.org/x/sync v0.8.0" in out and "go.uber.org/atomic" in out
    assert update_manifest("go.mod", out) == out


def test_single_line_require_and_untouched_files():
    out = update_manifest("go.mod", "module m\n\ngo 1.22\n\nrequire github.com/openzipkin/zipkin-go v0.4.3\n")
    assert (
        out == "module m\n\ngo 1.22\n\nrequire (\n"
        "\tgo.opentelemetry.io/otel v1.47.0\n\tgo.opentelemetry.io/otel/trace v1.47.0\n)\n"
    )
    plain = "module m\n\ngo 1.22\n"
    assert update_manifest("go.mod", plain) == plain
