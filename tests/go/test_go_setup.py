"""Tracer set-ups (jaeger-client-go, zipkin-go): what the migrated set-up configures must be what the legacy
one configured. The harness runs each set-up case's main() and probes the installed tracer (see
tests/go/harness/record/probe.go); here the two probes are compared: the sampler's decisions, the service
and process/resource attributes, and the legacy wire format next to W3C (api-mapping §7, §8, §9)."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, ROOT, case_id, cases, has_setup
from envmap import otel_env

from otmigrate.config import Settings
from otmigrate.engine import Outcome, rewrite_source
from otmigrate.languages import LANGUAGES
from otmigrate.rulefiles import load_rule_file

SETUP_CASES = [pytest.param(c, id=case_id(c)) for c in cases() if has_setup(c)]
# Process tags jaeger-client adds by itself; not the program's configuration.
JAEGER_OWN_TAGS = {"jaeger.version", "hostname", "ip", "client-uuid"}
# Header name → the wire format it belongs to (§8).
FORMATS = {
    "traceparent": "tracecontext",
    "uber-trace-id": "jaeger",
    "x-b3-traceid": "b3multi",
    "b3": "b3single",
}
# Root spans are probed 4000 times; a ratio sampler's share of sampled roots stays within this of its rate.
RATE_TOLERANCE = 0.05


def formats(headers: list[str]) -> set[str]:
    return {FORMATS[h] for h in headers if h in FORMATS}


def probe(harness, key: str) -> dict:
    assert key not in harness.build_errors, harness.build_errors[key]
    assert key not in harness.vet_errors, harness.vet_errors[key]
    result = harness.spans[key]
    assert "panic" not in result, f"{key} panicked: {result['panic']}"
    return result


def assert_same_setup(legacy: dict, migrated: dict) -> None:
    assert legacy["installed"] in ("jaeger", "zipkin") and migrated["installed"] == "otel", (legacy, migrated)
    assert abs(migrated["root_sampled"] - legacy["root_sampled"]) <= RATE_TOLERANCE, "root sampling differs"
    assert (migrated["follows_sampled"], migrated["follows_unsampled"]) == (
        legacy["follows_sampled"],
        legacy["follows_unsampled"],
    ), "a child does not follow its remote parent's decision as before"
    assert migrated["service"] == legacy["service"]
    process = {k: v for k, v in legacy["resource"].items() if k not in JAEGER_OWN_TAGS}
    assert migrated["resource"] == process
    assert "tracecontext" in formats(migrated["headers"]), "the migrated set-up does not inject W3C"
    assert formats(migrated["headers"]) - {"tracecontext"} == formats(legacy["headers"]), (
        "the legacy wire format is not injected next to W3C (the fleet's other services need it)"
    )


@pytest.mark.parametrize("case", SETUP_CASES)
def test_expected_setup_matches_legacy(harness, case):
    key = case_id(case)
    assert_same_setup(probe(harness, f"{key}/legacy-probe"), probe(harness, f"{key}/expected-probe"))


@pytest.mark.parametrize("case", SETUP_CASES)
def test_migrated_setup_matches_legacy(harness, case):
    key = case_id(case)
    side = f"{key}/migrated-probe" if f"{key}/migrated-probe" in harness.spans else f"{key}/expected-probe"
    if f"{key}/migrated-probe" in harness.build_errors:
        side = f"{key}/migrated-probe"
    assert_same_setup(probe(harness, f"{key}/legacy-probe"), probe(harness, side))


def test_probe_tells_setups_apart():
    """The comparison fails on a lost legacy format, a different service, or a different sampler."""
    legacy = {
        "installed": "jaeger",
        "root_sampled": 0.25,
        "follows_sampled": True,
        "follows_unsampled": False,
        "service": "svc",
        "resource": {"env": {"t": "string", "v": "x"}, "hostname": {"t": "string", "v": "h"}},
        "headers": ["uber-trace-id"],
    }
    right = {**legacy, "installed": "otel", "root_sampled": 0.26, "headers": ["traceparent", "uber-trace-id"]}
    right["resource"] = {"env": legacy["resource"]["env"]}
    assert_same_setup(legacy, right)
    for wrong in (
        {**right, "headers": ["traceparent"]},
        {**right, "service": "other"},
        {**right, "root_sampled": 1.0},
        {**right, "follows_unsampled": True},
        {**right, "resource": {}},
    ):
        with pytest.raises(AssertionError):
            assert_same_setup(legacy, wrong)


def test_from_env_sides_ran_with_the_deployment_environment(harness):
    """jaeger/from_env: both set-ups took the service from the environment (the SDK's default would be
    unknown_service:<program>, jaeger's FromEnv would fail without one)."""
    for side in ("legacy-probe", "expected-probe"):
        assert probe(harness, f"jaeger/from_env/{side}")["service"] == "ledger-sync"


def test_jaeger_env_translation():
    assert otel_env({"JAEGER_SAMPLER_TYPE": "const", "JAEGER_SAMPLER_PARAM": "0"}) == {
        "OTEL_TRACES_SAMPLER": "parentbased_always_off"
    }
    assert otel_env({"JAEGER_ENDPOINT": "https://c:14268/api/traces", "JAEGER_DISABLED": "true"}) == {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.001",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://c:4318/v1/traces",
        "OTEL_SDK_DISABLED": "true",
    }
    with pytest.raises(ValueError):
        otel_env({"JAEGER_SAMPLER_TYPE": "ratelimiting"})


def _rewrite_with(settings: Settings, case: str, source: str | None = None) -> Outcome:
    """The rewrite of a fixture's input (or of `source` in its place) under other settings."""
    rules = [r for f in sorted((ROOT / "rules" / "go").glob("*.yml")) for r in load_rule_file(f)]
    path = FIXTURES / case / "input.go"
    return rewrite_source(source or path.read_text(), str(path), LANGUAGES["go"], rules, settings)


def test_propagators_setting_replaces_the_fleet_default():
    """A fleet already on W3C: `propagators = ["tracecontext", "baggage"]` drops the legacy format."""
    for case, legacy in (("jaeger/config_const", "jaegerprop"), ("zipkin/tracer_setup", "b3prop")):
        assert f"{legacy}." in _rewrite_with(Settings(), case).text
        w3c = _rewrite_with(Settings(propagators=["tracecontext", "baggage"]), case).text
        assert f"{legacy}." not in w3c and "propagation.TraceContext{}," in w3c


def test_service_name_setting_fills_in_when_the_code_has_none():
    case = "jaeger/default_sampler"
    source = (FIXTURES / case / "input.go").read_text()
    without = source.replace('{ServiceName: "reports"}', "{}")
    for settings, expected in (
        (Settings(service_name="billing"), '"billing"'),
        (Settings(), '"unknown_service"'),
    ):
        assert f"semconv.ServiceName({expected})" in _rewrite_with(settings, case, without).text


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("jaeger/default_sampler", "jaeger's default sampler was remote"),
        ("jaeger/probabilistic_in_main", None),
    ],
)
def test_unmigrated_settings_keep_a_todo_and_a_report_line(case, reason):
    outcome = _rewrite_with(Settings(), case)
    manual = [c.message for c in outcome.changes if c.kind == "manual" and c.rule == "go-jaeger-setup"]
    if reason is None:
        assert manual == [] and "TODO(otmigrate)" not in outcome.text
    else:
        assert any(reason in m for m in manual) and f"TODO(otmigrate): {reason}" in outcome.text


NEW_TRACER_MAIN = """package main

import (
\t"github.com/opentracing/opentracing-go"
\t"github.com/uber/jaeger-client-go"
)

func main() {
\tSAMPLER
\ttracer, closer := jaeger.NewTracer("svc", sampler, REPORTER)
\tdefer closer.Close()
\topentracing.SetGlobalTracer(tracer)
}
"""


def _new_tracer(sampler: str, reporter: str) -> Outcome:
    source = NEW_TRACER_MAIN.replace("SAMPLER", sampler).replace("REPORTER", reporter)
    return _rewrite_with(Settings(), "jaeger/config_const", source)


def test_jaeger_new_tracer_with_parts_built_elsewhere_is_left_with_a_todo():
    """A sampler that is not built for this call (here: also used after it) cannot be read."""
    outcome = _new_tracer(
        "sampler := jaeger.NewConstSampler(true)\n\tdefer sampler.Close()", "jaeger.NewNullReporter()"
    )
    assert "\t// TODO(otmigrate): jaeger.NewTracer(service, sampler, reporter)" in outcome.text
    assert "sampler is not built in this function for the tracer only" in outcome.text
    assert "jaeger.NewTracer(" in outcome.text and '"go.opentelemetry.io/otel/sdk/trace"' not in outcome.text
    assert any(c.kind == "manual" and c.rule == "go-jaeger-setup" for c in outcome.changes)
    assert _rewrite_with(Settings(), "jaeger/config_const", outcome.text).text == outcome.text


def test_jaeger_new_tracer_null_reporter_exports_nothing():
    outcome = _new_tracer("sampler := jaeger.NewConstSampler(false)", "jaeger.NewNullReporter()")
    assert '"github.com/uber/jaeger-client-go"' not in outcome.text and "WithBatcher" not in outcome.text
    assert "sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample()))" in outcome.text
    assert "defer tp.Shutdown(" in outcome.text and "TODO" not in outcome.text


def test_jaeger_new_tracer_rate_limiting_sampler_keeps_a_todo():
    """§7: no core OTel sampler limits a rate; the set-up is migrated, the sampler left for a person."""
    outcome = _new_tracer("sampler := jaeger.NewRateLimitingSampler(2)", "jaeger.NewNullReporter()")
    assert "TODO(otmigrate): jaeger sampler type 'ratelimiting' has no OTel SDK sampler" in outcome.text
    assert any(c.kind == "manual" and "ratelimiting" in c.message for c in outcome.changes)


def test_zipkin_nil_span_checks_become_validity_checks():
    """zipkin.SpanFromContext returns nil without a span; trace.SpanFromContext returns a no-op span."""
    source = (FIXTURES / "zipkin" / "reporter_batching" / "input.go").read_text()
    checked = source.replace(
        '\tparent.Tag("template", "welcome")', '\tif parent != nil {\n\t\tparent.Tag("t", "w")\n\t}'
    )
    out = _rewrite_with(Settings(), "zipkin/reporter_batching", checked).text
    assert "if parent.SpanContext().IsValid() {" in out and "nil" not in out.split("func render")[1]


def test_zipkin_client_options_without_counterpart_keep_the_client_with_a_todo():
    source = (FIXTURES / "zipkin" / "http_middleware" / "input.go").read_text()
    tagged = source.replace(
        "zipkinhttp.ClientTrace(false)", 'zipkinhttp.ClientTags(map[string]string{"a": "b"})'
    )
    app_span = source.replace("client.Do(req)", 'client.DoWithAppSpan(req, "fetch")')
    for variant, reason in (
        (tagged, "zipkinhttp.NewClient: use otelhttp.NewTransport"),
        (app_span, "DoWithAppSpan: start the app span with tracer.Start"),
    ):
        outcome = _rewrite_with(Settings(), "zipkin/http_middleware", variant)
        assert f"// TODO(otmigrate): {reason}" in outcome.text
        assert any(c.kind == "manual" and c.rule == "go-zipkin-http-middleware" for c in outcome.changes)


ZIPKIN_OT_BRIDGE = """package main

import (
\t"context"
\t"log"

\t"github.com/opentracing/opentracing-go"
\tzipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"
\t"github.com/openzipkin/zipkin-go"
\treporterhttp "github.com/openzipkin/zipkin-go/reporter/http"
)

func main() {
\treporter := reporterhttp.NewReporter("http://zipkin:9411/api/v2/spans")
\tdefer reporter.Close()
\tendpoint, err := zipkin.NewEndpoint("catalog", "")
\tif err != nil {
\t\tlog.Fatal(err)
\t}
\tnative, err := zipkin.NewTracer(reporter, zipkin.WithLocalEndpoint(endpoint))
\tif err != nil {
\t\tlog.Fatal(err)
\t}
\topentracing.SetGlobalTracer(zipkinot.Wrap(native))
\trun(context.Background())
}

func run(ctx context.Context) {
\tspan, _ := opentracing.StartSpanFromContext(ctx, "list")
\tdefer span.Finish()
\tspan.SetTag("page", 1)
}
"""


def test_zipkin_opentracing_bridge_setup_is_left_with_a_todo():
    """zipkinot.Wrap: go_opentracing migrates the calls; the zipkin set-up keeps a TODO and one report line
    (the migrated calls would otherwise trace into the unset OTel global without anyone noticing)."""
    outcome = _rewrite_with(Settings(), "zipkin/tracer_setup", ZIPKIN_OT_BRIDGE)
    todo = "\t// TODO(otmigrate): zipkin-go-opentracing bridge: set up an OTel SDK provider"
    assert (
        f"{todo}" in outcome.text and "\topentracing.SetGlobalTracer(zipkinot.Wrap(native))" in outcome.text
    )
    assert "otel.Tracer(" in outcome.text  # the opentracing-go calls were migrated
    bridge = [c for c in outcome.changes if c.kind == "manual" and "zipkin-go-opentracing" in c.message]
    assert [c.rule for c in bridge] == ["go-zipkin-tracer"]
    assert _rewrite_with(Settings(), "zipkin/tracer_setup", outcome.text).text == outcome.text


def test_a_bridge_whose_zipkin_tracer_is_made_elsewhere_still_gets_its_todo():
    """A set-up file that only wraps a tracer built in another package imports no zipkin-go module and
    starts no span: the Wrap call itself must start the handler, or the service's opentracing-go calls
    (migrated elsewhere) trace into the unset OTel global unseen."""
    source = (
        'package tracing\n\nimport (\n\t"github.com/opentracing/opentracing-go"\n'
        '\tzipkinot "github.com/openzipkin-contrib/zipkin-go-opentracing"\n)\n\n'
        "func SetUp(native interface{ Close() error }) {\n"
        "\topentracing.SetGlobalTracer(zipkinot.Wrap(native))\n}\n"
    )
    outcome = _rewrite_with(Settings(), "zipkin/tracer_setup", source)
    assert "// TODO(otmigrate): zipkin-go-opentracing bridge" in outcome.text
    assert [c.rule for c in outcome.changes if "zipkin-go-opentracing" in c.message] == ["go-zipkin-tracer"]
