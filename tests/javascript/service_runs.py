"""Running a service under test (the demo worker, an Express service): free ports, the rewrite through
the command line, and a fake Zipkin collector that keeps every span posted to it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

TRACE_ID = "463ac35c9f6413ad48485a3953bb6124"  # the caller's B3 trace
CALLER_SPAN = "48485a3953bb6124"
B3_HEADERS = {"X-B3-TraceId": TRACE_ID, "X-B3-SpanId": CALLER_SPAN, "X-B3-Sampled": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rewrite(path: Path, *options: str) -> subprocess.CompletedProcess:
    """`otmigrate rewrite [options] path` as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "otmigrate", "rewrite", *options, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


class Collector(BaseHTTPRequestHandler):
    """A Zipkin v2 endpoint: `Collector.spans` holds what was posted."""

    spans: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        Collector.spans.extend(json.loads(self._body()))
        self.send_response(202)
        self.end_headers()

    def _body(self) -> bytes:
        """zipkin-transport-http sends a content-length; the OTel ZipkinExporter sends chunks."""
        if self.headers["content-length"] is not None:
            return self.rfile.read(int(self.headers["content-length"]))
        chunks = []
        while size := int(self.rfile.readline().strip(), 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(chunks)

    def log_message(self, *args: object) -> None:
        pass


def serve_collector() -> Iterator[str]:
    """For a fixture: a fresh collector's URL while the test runs."""
    server = HTTPServer(("127.0.0.1", 0), Collector)
    Collector.spans = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/api/v2/spans"
    server.shutdown()


def call_service(
    node: str, program: Path, env: dict[str, str], path: str, expect: set[str], payload: dict | None = None
) -> tuple[int, dict]:
    """Start `program` (it prints "listening" and serves on `env["PORT"]`), send it one request with B3
    headers (a POST of `payload` if given), wait up to 5 s for the `expect`ed span names to reach the
    collector, stop it; the response's (status, JSON body)."""
    proc = subprocess.Popen(
        [node, str(program)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        assert "listening" in line, proc.stderr.read() if proc.poll() is not None else line
        request = urllib.request.Request(
            f"http://127.0.0.1:{env['PORT']}{path}",
            data=json.dumps(payload).encode() if payload is not None else None,
            method="POST" if payload is not None else "GET",
            headers=B3_HEADERS,
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                status, body = response.status, json.load(response)
        except urllib.error.HTTPError as error:
            status, body = error.code, json.load(error)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not expect <= {span.get("name") for span in Collector.spans}:
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    return status, body
