"""The tracer set-ups of the jaeger and zipkin fixtures configure what the legacy set-ups did (§7, §8).

The span-tree comparison (test_equivalence) runs both sides with forced in-memory recording, so it
cannot see a wrong sampler, a lost process tag or a propagator that stopped speaking the legacy format.
setup_probe.js runs each program with its real set-up (only the network is cut off) and reports, per
set-up: service name, process tags / resource attributes, sampler and the headers it injects. Here the
legacy description is put in OTel terms, independently of the rewriter, and compared.
"""

from __future__ import annotations

import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from otmigrate.config import Settings
from otmigrate.engine import rewrite_source
from otmigrate.languages import LANGUAGES
from otmigrate.rulefiles import load_rules

from .jsharness import FIXTURES, NODE_MODULES, program, require_node, stage, transpile
from .service_runs import rewrite

PROBE = Path(__file__).parent / "setup_probe.js"
MARK = "otmigrate-setup-probe: "
CASES = sorted(p for library in ("jaeger", "zipkin") for p in (FIXTURES / library).iterdir() if p.is_dir())
IDS = [str(c.relative_to(FIXTURES)) for c in CASES]
HEADER_FORMATS = {
    "uber-trace-id": "jaeger",
    "x-b3-traceid": "b3multi",
    "b3": "b3",
    "traceparent": "tracecontext",
}
SDK_OWN = ("telemetry.sdk.", "process.", "host.")  # what the OTel SDK adds to every resource by itself


def legacy_sampler(text: str) -> str:
    """jaeger-client / zipkin-js sampler → the ParentBased OTel sampler that decides the same (§7)."""
    if text in ("ConstSampler(always)", "always sample", "Sampler(always sample)"):
        return "parentbased:always_on"
    if text in ("ConstSampler(never)", "never sample", "Sampler(never sample)"):
        return "parentbased:always_off"
    rate = re.search(r"(?:samplingRate|sampleRate)=([\d.e-]+)", text)
    return f"parentbased:ratio:{float(rate.group(1))}" if rate else text


def otel_sampler(text: str) -> str:
    root = re.match(r"ParentBased\{root=([^,]+),", text)
    if root is None:
        return text
    ratio = re.fullmatch(r"TraceIdRatioBased\{([\d.e-]+)\}", root.group(1))
    names = {"AlwaysOnSampler": "always_on", "AlwaysOffSampler": "always_off"}
    return "parentbased:" + (
        f"ratio:{float(ratio.group(1))}" if ratio else names.get(root.group(1), root.group(1))
    )


def formats(headers: list[str]) -> set[str]:
    return {HEADER_FORMATS[h.lower()] for h in headers if h.lower() in HEADER_FORMATS}


def strings(attributes: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in attributes.items() if not k.startswith(SDK_OWN)}


def probe(node: str, path: Path, side: str) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [node, str(PROBE), side, str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    marked = [line for line in proc.stdout.splitlines() if line.startswith(MARK)]
    assert proc.returncode == 0 and marked, f"{path} ({side}) did not run:\n{proc.stderr}"
    return json.loads(marked[-1][len(MARK) :])


def probe_case(case: Path, tmp_path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(legacy, otel) set-ups of one case; each test probes its own case, so xdist workers share none."""
    node = require_node()
    jobs = []
    for stem, side in (("input", "legacy"), ("expected", "otel")):
        source = program(case, stem)
        text, suffix = source.read_text(), source.suffix
        if suffix == ".ts":
            text, suffix = transpile(node, text), ".js"
        jobs.append((stage(tmp_path, stem, text, suffix), side))
    with ThreadPoolExecutor(max_workers=2) as pool:
        legacy, otel = pool.map(lambda job: probe(node, *job), jobs)
    return legacy, otel


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_setup_configures_what_the_legacy_setup_did(case: Path, tmp_path: Path) -> None:
    legacy, otel = probe_case(case, tmp_path)
    assert legacy, "the legacy program set no tracer up: nothing to compare"
    assert len(otel) == len(legacy), "one provider per legacy tracer"
    for old, new in zip(legacy, otel, strict=True):
        assert new["service"] == old["service"]
        assert strings(new["attributes"]) == strings(old["attributes"])
        assert otel_sampler(new["sampler"]) == legacy_sampler(old["sampler"])
        assert formats(old["headers"]) <= formats(new["headers"]), "the legacy wire format is no longer sent"
        assert {h.lower() for h in old["headers"]} <= set(new["headers"]), "a legacy header is no longer sent"
        assert "tracecontext" in formats(new["headers"])


def test_the_comparison_catches_a_wrong_setup() -> None:
    """The normalisation must tell samplers and wire formats apart, or the test above proves nothing."""
    assert legacy_sampler("ProbabilisticSampler(samplingRate=0.25)") == otel_sampler(
        "ParentBased{root=TraceIdRatioBased{0.25}, remoteParentSampled=AlwaysOnSampler, x}"
    )
    assert legacy_sampler("ConstSampler(never)") != otel_sampler("ParentBased{root=AlwaysOnSampler, x}")
    assert legacy_sampler("Sampler(countingSampler: sampleRate=0.5)") == "parentbased:ratio:0.5"
    assert otel_sampler("TraceIdRatioBased{0.5}") != "parentbased:ratio:0.5", (
        "a sampler that is not parent-based"
    )
    assert formats(["X-B3-TraceId", "X-B3-SpanId"]) == {"b3multi"}
    assert not formats(["uber-trace-id"]) <= formats(["traceparent", "b3"])


def _rewrite_with(settings: Settings, source: str) -> str:
    rules = [r for r in load_rules() if r.language.name == "javascript"]
    outcome = rewrite_source(source, "setup.js", LANGUAGES["javascript"], rules, settings)
    assert outcome.error is None, outcome.error
    return outcome.text


JAEGER_WITHOUT_NAME = (
    "const { initTracer } = require('jaeger-client');\n"
    "initTracer({ sampler: { type: 'const', param: 1 } });\n"
)
ZIPKIN_WITHOUT_NAME = (
    "const { Tracer } = require('zipkin');\nconst tracer = new Tracer({ ctxImpl, recorder });\n"
)


@pytest.mark.parametrize("source", [JAEGER_WITHOUT_NAME, ZIPKIN_WITHOUT_NAME], ids=["jaeger", "zipkin"])
def test_settings_name_the_service_and_choose_the_propagators(source: str) -> None:
    default = _rewrite_with(Settings(), source)
    assert "[ATTR_SERVICE_NAME]: 'unknown_service'" in default
    assert "new CompositePropagator(" in default, "the fleet propagator (W3C + the legacy format) by default"
    configured = _rewrite_with(
        Settings(service_name="billing", propagators=["tracecontext", "baggage"]), source
    )
    assert "[ATTR_SERVICE_NAME]: 'billing'" in configured
    assert "provider.register();" in configured and "Propagator" not in configured, "W3C only: OTel's default"
    b3_only = _rewrite_with(Settings(propagators=["tracecontext", "b3"]), source)
    assert "new B3Propagator()" in b3_only and "W3CBaggagePropagator" not in b3_only


def test_span_callbacks_are_reported_on_the_users_lines() -> None:
    """Callbacks are converted on intermediate sources; the report must still name the input's lines."""
    worker = Path(__file__).parents[2] / "fixtures" / "demo" / "worker" / "worker.js"
    text = worker.read_text()
    rules = [r for r in load_rules() if r.language.name == "javascript"]
    outcome = rewrite_source(text, str(worker), LANGUAGES["javascript"], rules, Settings())
    lines = text.splitlines()
    converted = [c for c in outcome.changes if "startActiveSpan" in c.message]
    assert len(converted) == 3, converted  # parse-job, validate, run-job
    for change in converted:
        assert re.search(r"tracer\.(local|scoped)\(", lines[change.line - 1]), (
            change,
            lines[change.line - 1],
        )


TRACING_MODULE = """\
const { initTracer } = require('jaeger-client');
const tracer = initTracer({ serviceName: 'orders', sampler: { type: 'const', param: 1 } }, {});
module.exports = { tracer };
"""
APP = """\
const opentracing = require('opentracing');
const { tracer } = require('./tracing');
opentracing.initGlobalTracer(tracer);
const span = opentracing.globalTracer().startSpan('work');
span.finish();
console.log('done');
"""


def test_a_tracer_set_up_in_another_module_still_runs(tmp_path: Path) -> None:
    """The exported tracer survives its set-up's migration (a shorthand export is a use), and the
    registration in the importing module is handled once: one TODO, since its set-up is not visible there."""
    node = require_node()
    (tmp_path / "tracing.js").write_text(TRACING_MODULE)
    (tmp_path / "app.js").write_text(APP)
    (tmp_path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    applied = rewrite(tmp_path, "--apply")
    assert applied.returncode in (0, 1), applied.stderr
    app = (tmp_path / "app.js").read_text()
    assert app.count("TODO(otmigrate)") == 1 and "initGlobalTracer(tracer)" in app, app
    assert "jaeger-client" not in (tmp_path / "tracing.js").read_text()
    proc = subprocess.run(
        [node, "app.js"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0 and proc.stdout == "done\n", proc.stderr
