"""zipkin-instrumentation-express → the OTel HTTP + Express instrumentations, proven by running.

The span trees of the two are not comparable (the OTel express instrumentation adds middleware and
request-handler spans zipkin never had), so the fixtures' equivalence test cannot prove this mapping.
Here a small zipkin-js Express service is migrated with `otmigrate rewrite --apply` and both versions
serve a request that carries B3 headers: each must report a server span that continues the caller's
trace, with the handler's `tracer.local` span inside that trace, to a (fake) Zipkin collector.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .jsharness import NODE_MODULES, require_node
from .service_runs import CALLER_SPAN, TRACE_ID, Collector, call_service, free_port, rewrite, serve_collector

SERVICE = """\
'use strict';
const express = require('express');
const { Tracer, BatchRecorder, jsonEncoder: { JSON_V2 } } = require('zipkin');
const CLSContext = require('zipkin-context-cls');
const { HttpLogger } = require('zipkin-transport-http');
const { expressMiddleware } = require('zipkin-instrumentation-express');

const tracer = new Tracer({
  ctxImpl: new CLSContext('zipkin'),
  recorder: new BatchRecorder({
    logger: new HttpLogger({ endpoint: process.env.ZIPKIN_ENDPOINT, jsonEncoder: JSON_V2, httpInterval: 50 }),
  }),
  localServiceName: 'shop',
});

const app = express();
app.use(expressMiddleware({ tracer }));
app.get('/price', (req, res) => {
  const price = tracer.local('lookup-price', () => 4);
  res.json({ price });
});
app.listen(Number(process.env.PORT), () => console.log('listening'));
"""


@pytest.fixture
def collector() -> Iterator[str]:
    yield from serve_collector()


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The legacy service and its migration, each able to load the harness packages."""
    folders = {}
    for side in ("legacy", "migrated"):
        folder = tmp_path_factory.mktemp(side)
        (folder / "service.js").write_text(SERVICE)
        (folder / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
        folders[side] = folder
    applied = rewrite(folders["migrated"] / "service.js", "--apply")
    assert applied.returncode in (0, 1), applied.stderr
    return {side: folder / "service.js" for side, folder in folders.items()}


def _serve_one_request(node: str, program: Path, collector: str) -> dict:
    env = dict(os.environ, PORT=str(free_port()), ZIPKIN_ENDPOINT=collector)
    status, body = call_service(node, program, env, "/price", {"lookup-price"})
    assert status == 200, body
    return body


@pytest.mark.parametrize("side", ["legacy", "migrated"])
def test_express_service_continues_the_callers_trace(
    side: str, services: dict[str, Path], collector: str
) -> None:
    node = require_node()
    assert _serve_one_request(node, services[side], collector) == {"price": 4}
    trace = [s for s in Collector.spans if s["traceId"].endswith(TRACE_ID)]
    server = [s for s in trace if s.get("kind") == "SERVER"]
    # zipkin joins the caller's span (same id, supportsJoin); OTel starts a child of it
    joined = server[0]["id"] == CALLER_SPAN if side == "legacy" else server[0]["parentId"] == CALLER_SPAN
    assert len(server) == 1 and joined, trace
    assert server[0]["localEndpoint"]["serviceName"] == "shop"
    assert "lookup-price" in {s["name"] for s in trace}, trace


def test_the_migration_replaced_the_middleware(services: dict[str, Path]) -> None:
    source = services["migrated"].read_text()
    assert "zipkin" not in source.replace("ZipkinExporter", "").replace("exporter-zipkin", "")
    assert "new ExpressInstrumentation()" in source
    assert source.index("registerInstrumentations(") < source.index("require('express')")
