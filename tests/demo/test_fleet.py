"""The demo as a fleet: a request through the Flask frontend, the Go backend and the Node worker makes one
trace across all three services, after `otmigrate rewrite --apply fixtures/demo` and half-way through it.

Each language's own demo test proves its service alone. This one runs the three real processes together,
as a user would after migrating, with one stub collector that takes OTLP/HTTP (frontend, backend) and
Zipkin JSON (the worker keeps exporting to its Zipkin endpoint), and checks what DESIGN.md promises: the
migrated services continue each other's traces (W3C and B3 on the wire), and a migrated backend continues
the trace of a frontend that is still on jaeger-client.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo"
GO_HARNESS = ROOT / "tests" / "go" / "harness"
NODE_MODULES = ROOT / "tests" / "javascript" / "harness" / "node_modules"
GO_ENV = {"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "GOPROXY": "off", "GOSUMDB": "off"}
B3_TRACE_ID = "463ac35c9f6413ad48485a3953bb6124"


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str  # 32 hex digits
    span_id: str
    parent_id: str | None


class _Collector(http.server.BaseHTTPRequestHandler):
    spans: list[Span]

    def do_POST(self) -> None:
        body = self._chunked() if self.headers.get("Transfer-Encoding") == "chunked" else self._sized()
        self.spans.extend(_zipkin_spans(body) if self.path.startswith("/api/v2/spans") else _otlp_spans(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def _sized(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _chunked(self) -> bytes:  # node's http client streams the Zipkin JSON
        body = b""
        while size := int(self.rfile.readline().split(b";")[0], 16):
            body += self.rfile.read(size)
            self.rfile.readline()
        self.rfile.readline()
        return body

    def log_message(self, *args: object) -> None:
        pass


def _otlp_spans(body: bytes) -> list[Span]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    spans = []
    for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
        attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for s in scope_spans.spans:
                parent = s.parent_span_id.hex() or None
                spans.append(
                    Span(attributes["service.name"], s.name, s.trace_id.hex(), s.span_id.hex(), parent)
                )
    return spans


def _zipkin_spans(body: bytes) -> list[Span]:
    return [
        Span(
            s["localEndpoint"]["serviceName"],
            s["name"],
            s["traceId"].rjust(32, "0"),
            s["id"],
            s.get("parentId"),
        )
        for s in json.loads(body)
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_for(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"{process.args} exited {process.returncode}: {process.communicate()[1][-2000:]}"
            )
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"{process.args} did not listen on {port}")


@dataclass
class Fleet:
    migrated: Path
    collector: list[Span]
    collector_port: int
    processes: list[subprocess.Popen[str]]

    def start(self, command: list[str], cwd: Path, port: int, env: dict[str, str]) -> None:
        environment = {**os.environ, "OTEL_BSP_SCHEDULE_DELAY": "200", **env}
        process = subprocess.Popen(
            command, cwd=cwd, env=environment, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.processes.append(process)
        _wait_for(port, process)

    def start_services(self, frontend: Path) -> int:
        """Worker, backend and the given frontend app.py, wired together; the frontend's port."""
        ports = {name: _free_port() for name in ("frontend", "backend", "worker")}
        otlp = f"http://127.0.0.1:{self.collector_port}/v1/traces"
        self.start(
            ["node", "worker.js"],
            self.migrated / "worker",
            ports["worker"],
            {
                "WORKER_PORT": str(ports["worker"]),
                "ZIPKIN_ENDPOINT": f"http://127.0.0.1:{self.collector_port}/api/v2/spans",
            },
        )
        self.start(
            [str(self.migrated / "backend" / "backend")],
            self.migrated / "backend",
            ports["backend"],
            {
                "BACKEND_PORT": str(ports["backend"]),
                "WORKER_URL": f"http://127.0.0.1:{ports['worker']}",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": otlp,
            },
        )
        self.start(
            [sys.executable, "app.py"],
            frontend,
            ports["frontend"],
            {
                "FRONTEND_PORT": str(ports["frontend"]),
                "BACKEND_URL": f"http://127.0.0.1:{ports['backend']}",
                # The migrated set-up derives its OTLP endpoint from the jaeger agent host it had:
                # "http://" + host + ":4318/v1/traces". The URL fragment swallows the fixed port.
                "JAEGER_AGENT_HOST": f"127.0.0.1:{self.collector_port}/v1/traces#",
            },
        )
        return ports["frontend"]

    def spans_of(self, services: set[str], trace_id: str | None = None) -> list[Span]:
        """Every collected span, once each of `services` has exported a span (of `trace_id`)."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            spans = [s for s in self.collector if trace_id is None or s.trace_id == trace_id]
            if services <= {s.service for s in spans}:
                time.sleep(0.5)  # the last batches of the same request
                return list(self.collector)
            time.sleep(0.1)
        seen = sorted({s.service for s in self.collector if trace_id is None or s.trace_id == trace_id})
        raise AssertionError(
            f"spans of trace {trace_id or '(any)'} only from {seen}, wanted {sorted(services)}"
        )


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    for tool in ("go", "node"):
        if shutil.which(tool) is None:
            if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS"):
                pytest.fail(f"OTMIGRATE_REQUIRE_TOOLCHAINS is set but `{tool}` is not on PATH")
            pytest.skip(f"`{tool}` is not on PATH")
    migrated = tmp_path_factory.mktemp("fleet") / "demo"
    shutil.copytree(DEMO, migrated)
    rewrite = subprocess.run(
        [sys.executable, "-m", "otmigrate", "rewrite", "--apply", str(migrated)],
        capture_output=True,
        text=True,
    )
    assert rewrite.returncode == 0, rewrite.stdout[-3000:] + rewrite.stderr
    backend = migrated / "backend"
    with open(backend / "go.sum", "a") as sums:  # what `go mod tidy` would fetch; the harness has it
        sums.write((GO_HARNESS / "go.sum").read_text())
    build = subprocess.run(
        ["go", "build", "-o", "backend", "."],
        cwd=backend,
        env={**os.environ, **GO_ENV},
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    (migrated / "worker" / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)

    spans: list[Span] = []
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), type("Collector", (_Collector,), {"spans": spans})
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fleet = Fleet(migrated, spans, server.server_port, [])
    yield fleet
    server.shutdown()


@pytest.fixture
def running(fleet: Fleet) -> Iterator[Fleet]:
    fleet.collector.clear()
    yield fleet
    for process in fleet.processes:
        process.kill()
        process.wait()
    fleet.processes.clear()


def _by_name(spans: list[Span], service: str, name: str) -> Span:
    (span,) = [s for s in spans if s.service == service and s.name == name]
    return span


def test_one_request_is_one_trace_across_the_migrated_fleet(running: Fleet) -> None:
    port = running.start_services(running.migrated / "frontend")
    status, body = _get(f"http://127.0.0.1:{port}/checkout/ada")
    assert status == 200, body
    assert json.loads(body)["user"] == "ada"

    spans = running.spans_of({"frontend", "backend", "worker"})
    assert len({s.trace_id for s in spans}) == 1, spans
    ids = {s.span_id for s in spans}
    roots = [s for s in spans if s.parent_id is None or s.parent_id not in ids]
    assert [(r.service, r.name) for r in roots] == [("frontend", "GET /checkout/ada")]
    # Each hop's server span is the child of the caller's client span.
    backend_server = _by_name(spans, "backend", "GET /checkout/ada")
    assert backend_server.parent_id == _by_name(spans, "frontend", "call-backend").span_id
    call_worker = _by_name(spans, "backend", "call-worker")
    worker_spans = [s for s in spans if s.service == "worker"]
    assert any(s.parent_id == call_worker.span_id for s in worker_spans), worker_spans


def test_a_migrated_backend_continues_the_trace_of_a_legacy_frontend(running: Fleet) -> None:
    """Half-way through the migration: the frontend is still on jaeger-client (B3 codec)."""
    port = running.start_services(DEMO / "frontend")
    b3 = {"X-B3-TraceId": B3_TRACE_ID, "X-B3-SpanId": "a2fb4a1d1a96d312", "X-B3-Sampled": "1"}
    status, body = _get(f"http://127.0.0.1:{port}/checkout/ada", b3)
    assert status == 200, body

    spans = running.spans_of({"backend", "worker"}, B3_TRACE_ID)
    assert {s.trace_id for s in spans} == {B3_TRACE_ID}, spans
    ids = {s.span_id for s in spans}
    (entry,) = [s for s in spans if s.parent_id not in ids]  # the legacy frontend's span is not collected
    assert (entry.service, entry.name) == ("backend", "GET /checkout/ada")
