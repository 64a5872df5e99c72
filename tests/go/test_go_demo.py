"""The demo (issue 4, step 5): `otmigrate rewrite --apply` on the Go backend of fixtures/demo leaves no legacy
import, and the migrated service builds, vets and serves a request with the OTel SDK.

The request comes in with B3 headers, as the not-yet-migrated frontend sends them; a stub worker records
the headers the backend sends on, and a stub OTLP/HTTP collector records what the SDK exports. The go.mod
gets the OTel modules the migrated code imports at the versions the fixtures are tested with (the
harness's go.mod), as `go get` after the migration would; modules the harness did not fetch (the demo's
own leftover indirect requirements) come from the module proxy.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from conftest import ROOT, require_go
from gorun import GOENV, HARNESS

DEMO = ROOT / "fixtures" / "demo" / "backend"
LEGACY_IMPORT = re.compile(r'"github\.com/(opentracing|uber/jaeger-client-go|openzipkin)')
TRACE_ID = "463ac35c9f6413ad"  # a 64-bit B3 trace id, as zipkin-era services send
BUILD_ENV = {**GOENV, "GOSUMDB": "off"}  # modules missing from the cache come from the proxy


def _rewrite(tmp: Path, *flags: str) -> Path:
    service = tmp / "backend"
    shutil.copytree(DEMO, service)
    subprocess.run(
        [sys.executable, "-m", "otmigrate", "rewrite", "--apply", *flags, str(service)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return service


def _require_tested_versions(service: Path) -> None:
    """Require each imported OTel module at the harness's version and take the harness's checksums."""
    tested = dict(re.findall(r"^\s+(\S+) (v\S+)", (HARNESS / "go.mod").read_text(), re.M))
    imports = re.findall(r'"(go\.opentelemetry\.io/[^"]+)"', (service / "main.go").read_text())
    for path in imports:
        module = max((m for m in tested if path == m or path.startswith(m + "/")), key=len)
        subprocess.run(["go", "mod", "edit", f"-require={module}@{tested[module]}"], cwd=service, check=True)
    with open(service / "go.sum", "a") as sums:
        sums.write((HARNESS / "go.sum").read_text())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request with 200 and keeps (path, headers, body length)."""

    seen: list[tuple[str, dict[str, str], int]]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, len(body)))
        self.send_response(200)
        receipt = "receipt" in self.path
        self.send_header("Content-Type", "application/json" if receipt else "application/x-protobuf")
        self.end_headers()
        self.wfile.write(b'"r-1"' if receipt else b"")

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def _serve_stub() -> tuple[http.server.HTTPServer, list]:
    seen: list = []
    handler = type("Stub", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def test_demo_rewrite_leaves_no_legacy_import(tmp_path):
    service = _rewrite(tmp_path)
    assert not LEGACY_IMPORT.search((service / "main.go").read_text())
    go_mod = (service / "go.mod").read_text()
    assert "opentracing" not in go_mod and "jaeger" not in go_mod and "go.opentelemetry.io/otel " in go_mod


def _build_and_serve(service: Path) -> None:
    require_go()
    _require_tested_versions(service)
    for command in (["build", "-o", "backend", "."], ["vet", "."]):
        done = subprocess.run(["go", *command], cwd=service, env=BUILD_ENV, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    worker, worker_seen = _serve_stub()
    collector, exported = _serve_stub()
    port = _free_port()
    env = {
        **os.environ,
        "BACKEND_PORT": str(port),
        "WORKER_URL": f"http://127.0.0.1:{worker.server_port}",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{collector.server_port}/v1/traces",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    backend = subprocess.Popen([str(service / "backend")], env=env, stderr=subprocess.PIPE, text=True)
    try:
        b3 = {"X-B3-TraceId": TRACE_ID, "X-B3-SpanId": "a2fb4a1d1a96d312", "X-B3-Sampled": "1"}
        response = _get(f"http://127.0.0.1:{port}/checkout/cart-7", b3)
        assert response[0] == 200 and '"cart": "cart-7"' in response[1]
        (receipt_path, headers, _), *_ = worker_seen
        assert receipt_path.startswith("/receipt?cart=cart-7")
        # The trace goes on in W3C and, for the services not migrated yet, in B3 (64-bit id padded).
        assert headers["traceparent"].split("-")[1] == TRACE_ID.rjust(32, "0")
        assert headers["x-b3-traceid"].lstrip("0") == TRACE_ID.lstrip("0")
        deadline = time.monotonic() + 10
        while not exported and time.monotonic() < deadline:
            time.sleep(0.1)
        assert exported and exported[0][0] == "/v1/traces" and exported[0][2] > 0, "the SDK exported nothing"
    finally:
        backend.kill()
        backend.wait()
        worker.shutdown()
        collector.shutdown()


def _get(url: str, headers: dict[str, str]) -> tuple[int, str]:
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_demo_builds_and_serves_with_the_otel_sdk(tmp_path):
    _build_and_serve(_rewrite(tmp_path))


def test_demo_with_unsafe_fixes_builds_and_serves_with_the_otel_sdk(tmp_path):
    _build_and_serve(_rewrite(tmp_path, "--unsafe-fixes"))
