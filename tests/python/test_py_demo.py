"""The demo: `otmigrate rewrite --apply` on the Flask frontend leaves no legacy tracing, and the migrated
service still imports and serves requests with the OTel SDK (the backend is stubbed at the HTTP client)."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

from pymigrate_support import ROOT, require_modules

DEMO = ROOT / "fixtures" / "demo" / "frontend"
LEGACY = ("opentracing", "jaeger_client", "jaeger-client", "py_zipkin")

# Runs in a fresh interpreter next to the migrated app.py. The app's own OTLP exporter is kept but
# its export() records instead of sending (there is no collector).
CLIENT = r"""
import json
from unittest import mock

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

TRACE_ID = "463ac35c9f6413ad48485a3953bb6124"
exported = []
OTLPSpanExporter.export = lambda self, spans: exported.extend(spans) or SpanExportResult.SUCCESS

import app
from opentelemetry import trace


class Backend:
    status_code = 200

    def json(self):
        return {"items": [{"sku": "sock", "price": 2.5, "quantity": 2}], "rows": [1, 2, 3]}

    def raise_for_status(self):
        pass


with mock.patch("requests.get", return_value=Backend()) as get:
    client = app.app.test_client()
    # The caller is a not-yet-migrated service speaking B3 (Werkzeug passes the header names on as sent).
    b3 = {"X-B3-TraceId": TRACE_ID, "X-B3-SpanId": "a2fb4a1d1a96d312", "X-B3-Sampled": "1"}
    checkout = client.get("/checkout/ada", headers=b3)
    report = client.get("/report")
    sent_headers = get.call_args_list[0].kwargs["headers"]
trace.get_tracer_provider().force_flush()
spans = {s.name: s for s in exported}
print("RESULT:" + json.dumps({
    "checkout": [checkout.status_code, checkout.get_json()],
    "report": [report.status_code, report.get_json()],
    "headers": sorted(sent_headers),
    "spans": {
        n: [s.kind.name, s.parent and s.parent.span_id, s.context.span_id, f"{s.context.trace_id:032x}"]
        for n, s in spans.items()
    },
    "provider": type(trace.get_tracer_provider()).__module__,
}))
"""


def test_demo_frontend_migrates_and_still_serves(tmp_path: Path):
    require_modules("flask", "requests", "opentelemetry.sdk", "opentelemetry.propagators.b3")
    service = tmp_path / "frontend"
    shutil.copytree(DEMO, service)
    cli = subprocess.run(
        [sys.executable, "-m", "otmigrate", "rewrite", "--apply", str(service)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode in (0, 1), cli.stderr
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(ast.parse((service / "app.py").read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {m for m in imported if m.split(".")[0] in LEGACY}, imported
    again = subprocess.run(
        [sys.executable, "-m", "otmigrate", "rewrite", str(service)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0 and "0 files would be rewritten" in again.stdout, again.stdout  # idempotent
    requirements = (service / "requirements.txt").read_text()
    assert "opentelemetry-sdk" in requirements
    assert not [legacy for legacy in LEGACY if legacy in requirements], requirements

    run = subprocess.run(
        [sys.executable, "-c", CLIENT], capture_output=True, text=True, timeout=120, cwd=service
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("RESULT:"))[7:])
    assert result["checkout"] == [200, {"user": "ada", "total": 6.0}]
    assert result["report"] == [200, {"rows": [1, 2, 3]}]
    assert result["provider"] == "opentelemetry.sdk.trace"
    # The fleet is mid-migration: W3C and the legacy B3 headers both go out (composite propagator).
    assert {"traceparent", "x-b3-traceid", "x-b3-spanid"} <= set(result["headers"])
    spans = result["spans"]
    server, client, pricing = spans["GET /checkout/ada"], spans["call-backend"], spans["price-order"]
    assert server[0] == "SERVER" and client[0] == "CLIENT" and pricing[0] == "INTERNAL"
    assert client[1] == server[2] and pricing[1] == server[2]
    # The server span continues the caller's B3 trace.
    assert server[1] == int("a2fb4a1d1a96d312", 16) and server[3] == "463ac35c9f6413ad48485a3953bb6124"
    assert spans["build-report"][0] == "INTERNAL"
