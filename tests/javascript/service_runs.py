"""Running a service under test (the demo worker, an Express service): free ports, the rewrite through
the command line, and a fake Zipkin collector that keeps every span posted to it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
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
