"""The demo worker (fixtures/demo/worker) runs, handles a request that carries B3 headers, and reports
its spans to a (fake) Zipkin collector in the caller's trace. The migrated demo is not proven yet: the
zipkin rewrite does not exist (see notes/javascript-status.md)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from .jsharness import NODE_MODULES, require_node

WORKER = Path(__file__).parents[2] / "fixtures" / "demo" / "worker" / "worker.js"
TRACE_ID = "463ac35c9f6413ad48485a3953bb6124"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collector(BaseHTTPRequestHandler):
    spans: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        _Collector.spans.extend(json.loads(body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector():
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    _Collector.spans = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/api/v2/spans"
    server.shutdown()


def test_legacy_worker_serves_and_reports_spans(collector: str) -> None:
    node = require_node()
    port = _free_port()
    env = dict(os.environ, WORKER_PORT=str(port), ZIPKIN_ENDPOINT=collector, NODE_PATH=str(NODE_MODULES))
    proc = subprocess.Popen([node, str(WORKER)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert "listening" in proc.stdout.readline()
        job = {"order_id": "o-1", "items": [{"sku": "a", "qty": 2}, {"sku": "b"}]}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/jobs",
            data=json.dumps(job).encode(),
            method="POST",
            headers={"X-B3-TraceId": TRACE_ID, "X-B3-SpanId": "48485a3953bb6124", "X-B3-Sampled": "1"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.load(response) == {"order_id": "o-1", "processed": 2, "total_qty": 3}
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(_Collector.spans) < 4:
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    names = {s.get("name") for s in _Collector.spans if s["traceId"] == TRACE_ID}
    assert {"parse-job", "validate", "run-job"} <= names, _Collector.spans
