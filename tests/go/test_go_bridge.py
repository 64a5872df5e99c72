"""The OpenTracing bridge at a boundary the rewrite cannot migrate, proven across packages and on the wire.

A module (tests/go/bridge/go.mod) with a jaeger set-up in main, a package `web` that wraps handlers in
go-stdlib's nethttp (which takes an OpenTracing tracer: kept legacy) and a package `svc` that starts its own
spans (migrated). After `otmigrate rewrite --apply`, the set-up installs the SDK provider and the bridge
(`otbridge.NewTracerPair`, `opentracing.SetGlobalTracer(bridgeTracer)`), web is untouched but its TODO and a
"bridged: remove when nethttp is replaced" line, and the program, sent a request with a W3C `traceparent`,
shows (through a helper that reads the OTel SDK's spans) that nethttp's bridged server span continues the
caller's trace and svc's OTel span is its child."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import require_go
from test_go_demo import _serve_stub
from test_go_project import rewrite_module

MODULE = Path(__file__).parent / "bridge"
TRACE, CALLER = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
GOENV = {**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local"}
FILES = {
    "main.go": f"""package main

import (
\t"fmt"
\t"log"
\t"net/http"
\t"net/http/httptest"

\t"github.com/opentracing/opentracing-go"
\t"github.com/uber/jaeger-client-go"
\t"github.com/uber/jaeger-client-go/config"

\t"otmigrate.test/bridge/svc"
\t"otmigrate.test/bridge/web"
)

func main() {{
\tcfg := &config.Configuration{{
\t\tServiceName: "shop",
\t\tSampler: &config.SamplerConfig{{
\t\t\tType:  jaeger.SamplerTypeConst,
\t\t\tParam: 1,
\t\t}},
\t}}
\ttracer, closer, err := cfg.NewTracer()
\tif err != nil {{
\t\tlog.Fatal(err)
\t}}
\tdefer closer.Close()
\topentracing.SetGlobalTracer(tracer)

\treq := httptest.NewRequest("GET", "/order", nil)
\treq.Header.Set("traceparent", "00-{TRACE}-{CALLER}-01")
\trec := httptest.NewRecorder()
\tweb.Handler(http.HandlerFunc(svc.Serve)).ServeHTTP(rec, req)
\tfmt.Println("status", rec.Code)
}}
""",
    "web/web.go": """package web

import (
\t"net/http"

\t"github.com/opentracing-contrib/go-stdlib/nethttp"
\t"github.com/opentracing/opentracing-go"

\t"otmigrate.test/bridge/check"
)

// Handler traces requests with nethttp, which takes an OpenTracing tracer.
func Handler(next http.Handler) http.Handler {
\tinner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
\t\tcheck.Report(r.Context(), "web")
\t\tnext.ServeHTTP(w, r)
\t})
\treturn nethttp.Middleware(opentracing.GlobalTracer(), inner)
}
""",
    "svc/svc.go": """package svc

import (
\t"net/http"

\t"github.com/opentracing/opentracing-go"

\t"otmigrate.test/bridge/check"
)

// Serve answers a request under a span of its own.
func Serve(w http.ResponseWriter, r *http.Request) {
\tspan, ctx := opentracing.StartSpanFromContext(r.Context(), "lookup")
\tdefer span.Finish()
\tcheck.Report(ctx, "svc")
\tw.WriteHeader(http.StatusOK)
}
""",
    "check/check.go": """// Package check prints what OpenTelemetry sees of the current span.
package check

import (
\t"context"
\t"fmt"

\tsdktrace "go.opentelemetry.io/otel/sdk/trace"
\t"go.opentelemetry.io/otel/trace"
)

// Report prints the span of ctx as OpenTelemetry sees it.
func Report(ctx context.Context, label string) {
\tspan := trace.SpanFromContext(ctx)
\tparent := "-"
\tif read, ok := span.(sdktrace.ReadOnlySpan); ok {
\t\tparent = read.Parent().SpanID().String()
\t}
\tsc := span.SpanContext()
\tfmt.Println(label, sc.TraceID(), sc.SpanID(), parent, span.IsRecording())
}
""",
}


def test_a_kept_nethttp_package_is_bridged_and_continues_the_trace(tmp_path: Path) -> None:
    go = require_go()
    module = tmp_path / "bridge"
    module.mkdir()
    for name in ("go.mod", "go.sum"):
        shutil.copyfile(MODULE / name, module / name)
    for name, text in FILES.items():
        (module / name).parent.mkdir(exist_ok=True)
        (module / name).write_text(text)
    report = rewrite_module(module)
    assert report.count("bridged, line") == 2, report  # the set-up and web's package
    assert "remove when nethttp is replaced" in report
    main = (module / "main.go").read_text()
    assert "otbridge.NewTracerPair(tp.Tracer(" in main and "opentracing.SetGlobalTracer(bridgeTracer)" in main
    assert "jaeger-client-go" not in main
    web = (module / "web/web.go").read_text()
    added = [line for line in web.splitlines() if line not in FILES["web/web.go"].splitlines()]
    assert added and all(line.startswith("// ") for line in added) and "bridges it" in " ".join(added)
    assert "otel.Tracer(" in (module / "svc/svc.go").read_text()
    go_mod = (module / "go.mod").read_text()
    for kept in ("github.com/opentracing/opentracing-go", "github.com/opentracing-contrib/go-stdlib"):
        assert kept in go_mod, kept
    assert "go.opentelemetry.io/otel/bridge/opentracing" in go_mod

    for args in (("build", "./..."), ("vet", "./...")):
        done = subprocess.run([go, *args], cwd=module, env=GOENV, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    collector, exported = _serve_stub()
    try:
        env = {**GOENV, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server_port}"}
        run = subprocess.run(
            [go, "run", "."], cwd=module, env=env, capture_output=True, text=True, timeout=600
        )
    finally:
        collector.shutdown()
    assert run.returncode == 0, run.stderr
    seen = {line.split()[0]: line.split()[1:] for line in run.stdout.splitlines() if line.split()}
    web_trace, web_span, web_parent, web_recording = seen["web"]
    svc_trace, _, svc_parent, svc_recording = seen["svc"]
    assert (web_trace, web_parent, web_recording) == (TRACE, CALLER, "true"), "nethttp's span left the trace"
    assert (svc_trace, svc_parent, svc_recording) == (TRACE, web_span, "true"), "svc's span is not its child"
    assert seen["status"] == ["200"]
    assert exported and exported[0][0] == "/v1/traces", "the SDK exported nothing"
