"""The demo worker (fixtures/demo/worker), before and after `otmigrate rewrite --apply`: each runs,
handles a request that carries B3 headers, and reports its spans to a (fake) Zipkin collector in the
caller's trace (issue 5, step 5). The migrated one runs on the OTel SDK from the harness's node_modules."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .jsharness import NODE_MODULES, require_node
from .service_runs import TRACE_ID, Collector, call_service, free_port, rewrite, serve_collector

WORKER = Path(__file__).parents[2] / "fixtures" / "demo" / "worker" / "worker.js"


@pytest.fixture
def collector() -> Iterator[str]:
    yield from serve_collector()


def _serve(
    node: str, worker: Path, collector: str, job: dict, env: dict[str, str], expect: set[str]
) -> tuple[int, dict]:
    """POST one job with B3 headers to the worker; (status, body) once the `expect`ed spans arrived."""
    port = str(free_port())
    env = dict(os.environ, PORT=port, WORKER_PORT=port, ZIPKIN_ENDPOINT=collector, **env)
    return call_service(node, worker, env, "/jobs", expect, payload=job)


GOOD_JOB = {"order_id": "o-1", "items": [{"sku": "a", "qty": 2}, {"sku": "b"}]}
LEGACY_SPANS = {"parse-job", "validate", "run-job"}
MIGRATED_SPANS = {*LEGACY_SPANS, "POST /jobs"}  # the server span: the HTTP instrumentation's


def test_legacy_worker_serves_and_reports_spans(collector: str) -> None:
    node = require_node()
    status, body = _serve(node, WORKER, collector, GOOD_JOB, {"NODE_PATH": str(NODE_MODULES)}, LEGACY_SPANS)
    assert (status, body) == (200, {"order_id": "o-1", "processed": 2, "total_qty": 3})
    names = {s.get("name") for s in Collector.spans if s["traceId"] == TRACE_ID}
    assert names >= LEGACY_SPANS, Collector.spans


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo worker after `otmigrate rewrite --apply`, able to load the harness packages."""
    folder = tmp_path_factory.mktemp("demo") / "worker"
    shutil.copytree(WORKER.parent, folder)
    applied = rewrite(folder, "--apply")
    assert applied.returncode in (0, 1), applied.stderr
    (folder / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    return folder


def test_migrated_worker_has_no_legacy_import(migrated: Path) -> None:
    source = (migrated / "worker.js").read_text()
    assert not re.search(r"""require\(\s*['"](zipkin|jaeger-client|opentracing)""", source), source
    assert "@opentelemetry/sdk-trace-node" in source
    dependencies = json.loads((migrated / "package.json").read_text())["dependencies"]
    assert not [name for name in dependencies if name.startswith("zipkin")], dependencies
    imported = set(re.findall(r"""require\('(@opentelemetry/[\w-]+)'\)""", source))
    assert imported <= set(dependencies), "the migrated worker imports packages its package.json lacks"
    again = rewrite(migrated)
    assert again.returncode == 0, f"a second rewrite still changes the demo:\n{again.stdout}"


def test_migrated_worker_serves_and_reports_spans_in_the_callers_trace(
    migrated: Path, collector: str
) -> None:
    node = require_node()
    status, body = _serve(node, migrated / "worker.js", collector, GOOD_JOB, {}, MIGRATED_SPANS)
    assert (status, body) == (200, {"order_id": "o-1", "processed": 2, "total_qty": 3})
    spans = {s.get("name"): s for s in Collector.spans if s["traceId"].endswith(TRACE_ID)}
    assert set(spans) >= MIGRATED_SPANS, Collector.spans
    server = spans["POST /jobs"]
    assert server["kind"] == "SERVER" and server["parentId"] == "48485a3953bb6124"
    assert server["localEndpoint"]["serviceName"] == "worker"
    assert spans["run-job"]["tags"]["job.total_qty"] == "3"
    assert {spans[n]["parentId"] for n in ("parse-job", "validate", "run-job")} == {server["id"]}


def test_migrated_worker_reports_a_rejected_job_as_an_error(migrated: Path, collector: str) -> None:
    node = require_node()
    status, body = _serve(
        node,
        migrated / "worker.js",
        collector,
        {"order_id": "o-2", "items": [{}]},
        {},
        {"POST /jobs", "validate"},
    )
    assert (status, body) == (422, {"error": "item 0 has no sku"})
    spans = {s.get("name"): s for s in Collector.spans if s["traceId"].endswith(TRACE_ID)}
    server = spans["POST /jobs"]
    assert server["tags"]["http.status_code"] == "422"
    assert [a["value"] for a in server.get("annotations", [])] == ["exception"], server
    assert "validate" in spans, "the span the error left through still ends"
