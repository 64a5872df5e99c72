"""Run one fixture program in this (fresh) interpreter and print its spans as a normalised span tree.

    python spantree.py legacy|otel opentracing|jaeger|zipkin PROGRAM.py

The legacy side runs with the real legacy library and an in-memory recorder (opentracing's MockTracer,
jaeger-client's InMemoryReporter, a capturing py_zipkin transport); the OTel side with the real SDK and
an InMemorySpanExporter. Only the libraries' set-up points are intercepted; the program's source is run
as it is. The legacy tag/log normalisation below is written from api-mapping §5/§6, independently of
the rewriter, so that comparing the two trees means something.
"""

from __future__ import annotations

import json
import runpy
import sys
from typing import Any

MARKER = "SPANTREE:"
SAMPLERS: list[str] = []  # each tracer set-up's sampler, as "parentbased:ratio:0.5" etc. (§7)
PROPAGATION: list[list[str]] = []  # each set-up's legacy wire formats, as ["b3multi"] or ["jaeger"] (§8)

# api-mapping §5: OpenTracing standard tag -> current semantic-convention key.
TAG_KEYS = {
    "http.method": "http.request.method",
    "http.url": "url.full",
    "http.status_code": "http.response.status_code",
    "peer.service": "service.peer.name",
    "peer.ipv4": "network.peer.address",
    "peer.ipv6": "network.peer.address",
    "db.type": "db.system.name",
    "db.instance": "db.namespace",
    "db.statement": "db.query.text",
    "message_bus.destination": "messaging.destination.name",
}
# Keys whose OTel name depends on the span kind (client side vs server side of the call).
PEER_KEYS = {
    "peer.hostname": ("server.address", "client.address"),
    "peer.port": ("server.port", "client.port"),
}
DB_SYSTEM_VALUES = {"sql": "other_sql"}
DROPPED_TAGS = {"sampling.priority"}
# Tags jaeger-client adds to root spans by itself (its sampler's decision); not the program's data.
JAEGER_OWN_TAGS = {"sampler.type", "sampler.param"}
JAEGER_OWN_PROCESS_TAGS = {"jaeger.version", "hostname", "ip"}


def wire_formats(headers) -> list[str]:
    """The legacy formats a set of injected header names carries; W3C (the OTel default) is left out."""
    names = {name.lower() for name in headers}
    formats = {
        "jaeger": "uber-trace-id" in names,
        "b3multi": "x-b3-traceid" in names,
        "b3single": "b3" in names,
    }
    return sorted(f for f, present in formats.items() if present)


def legacy_span(
    name, span_id, parent_id, tags, logs, refs=(), stringify=False, resource=None
) -> dict[str, Any]:
    """Normalise one legacy span: tags -> kind / status / semconv attributes, logs -> event names."""
    tags = dict(tags)
    kind = str(tags.pop("span.kind", "") or "").upper() or "INTERNAL"
    status = "UNSET"
    if "error" in tags:
        error = tags.pop("error")
        # py_zipkin writes "ExcType: message"; OpenTracing writes a bool (False -> OK, compat spec).
        status = "ERROR" if error not in (False, "false", "False") else "OK"
    attributes = {}
    for key, value in tags.items():
        if key in DROPPED_TAGS:
            continue
        if key in PEER_KEYS:
            key = PEER_KEYS[key][kind == "SERVER"]
        elif key in TAG_KEYS:
            if key == "db.type":
                value = DB_SYSTEM_VALUES.get(value, value)
            key = TAG_KEYS[key]
        attributes[key] = str(value) if stringify else value
    events = []
    recorded = []  # exceptions already logged: OpenTracing's Scope.__exit__ logs a re-raised one again
    for fields in logs:
        name_ = fields.get("event", "log")
        error = fields.get("error.object")
        if name_ == "error" and error is not None:
            if any(error is seen or (isinstance(error, str) and error == seen) for seen in recorded):
                continue
            recorded.append(error)
        events.append("exception" if name_ == "error" else name_)
    if stringify and status == "ERROR":
        # py_zipkin records an exception as the tag error="Type: message" when the span exits; its OTel
        # counterpart is the exception event plus the ERROR status (api-mapping §2.3, last row).
        events.append("exception")
    return {
        "id": span_id,
        "parent": parent_id,
        "name": name,
        "kind": kind,
        "attributes": attributes,
        "status": status,
        "events": events,
        "links": sorted(refs),
        "resource": resource,
    }


def otel_span(span, stringify=False, with_resource=True) -> dict[str, Any]:
    # What the SDK adds by itself (telemetry.sdk.*, a random service.instance.id) is not the program's.
    resource = {
        k: v
        for k, v in span.resource.attributes.items()
        if not k.startswith("telemetry.") and k != "service.instance.id"
    }
    return {
        "id": span.context.span_id,
        "parent": span.parent.span_id if span.parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "attributes": {k: (str(v) if stringify else _plain(v)) for k, v in span.attributes.items()},
        "status": span.status.status_code.name,
        "events": [e.name for e in span.events],
        "links": sorted(str(link.attributes.get("opentracing.ref_type")) for link in span.links),
        "resource": resource if with_resource else None,
    }


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def build_tree(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nest spans under their parents; a span whose parent is not here is a root (remote parent noted)."""
    by_id = {s["id"]: s for s in spans}
    children: dict[Any, list] = {}
    roots = []
    for s in spans:
        if s["parent"] in by_id:
            children.setdefault(s["parent"], []).append(s)
        else:
            roots.append(s)

    def node(s):
        out = {k: v for k, v in s.items() if k not in ("id", "parent")}
        out["remote_parent"] = s["parent"] is not None and s["parent"] not in by_id
        out["children"] = sorted((node(c) for c in children.get(s["id"], [])), key=_canonical)
        return out

    return sorted((node(r) for r in roots), key=_canonical)


def _canonical(node) -> str:
    return json.dumps(node, sort_keys=True, default=str)


# --- legacy recorders ---------------------------------------------------------------------------


def run_opentracing(program: str) -> list[dict]:
    import opentracing
    from opentracing.mocktracer import MockTracer
    from opentracing.scope_managers.contextvars import ContextVarsScopeManager

    class RecordingMockTracer(MockTracer):
        """MockTracer that also keeps each span's references (MockTracer drops them)."""

        def start_span(self, operation_name=None, child_of=None, references=None, **kw):
            span = super().start_span(operation_name, child_of=child_of, references=references, **kw)
            if references is not None and not isinstance(references, list):
                references = [references]
            span.ref_types = [r.type for r in references or []]
            return span

    tracer = RecordingMockTracer(ContextVarsScopeManager())
    opentracing.set_global_tracer(tracer)
    runpy.run_path(program, run_name="__main__")
    return [
        legacy_span(
            s.operation_name,
            s.context.span_id,
            s.parent_id,
            s.tags,
            [log.key_values for log in s.logs],
            s.ref_types,
        )
        for s in tracer.finished_spans()
    ]


def run_jaeger(program: str) -> list[dict]:
    from jaeger_client import Config
    from jaeger_client.reporter import InMemoryReporter
    from jaeger_client.sampler import ConstSampler

    reporters = []

    def new_tracer(self, io_loop=None):
        from jaeger_client import SpanContext
        from opentracing.propagation import Format

        SAMPLERS.append(_jaeger_sampler(self.sampler))
        reporters.append(InMemoryReporter())
        tracer = self.create_tracer(reporter=reporters[-1], sampler=self.sampler or ConstSampler(True))
        headers: dict = {}
        tracer.inject(
            SpanContext(trace_id=1, span_id=2, parent_id=None, flags=1), Format.HTTP_HEADERS, headers
        )
        PROPAGATION.append(wire_formats(headers))
        return tracer

    Config.new_tracer = new_tracer
    runpy.run_path(program, run_name="__main__")
    spans = []
    for reporter in reporters:
        for s in reporter.get_spans():
            tags = {t.key: _jaeger_tag_value(t) for t in s.tags if t.key not in JAEGER_OWN_TAGS}
            logs = [{f.key: _jaeger_tag_value(f) for f in log.fields} for log in s.logs]
            refs = [r.type for r in s.references or []]
            # The process: its service and the config's tags (not the ones jaeger-client adds itself).
            resource = {"service.name": s.tracer.service_name}
            resource.update({k: v for k, v in s.tracer.tags.items() if k not in JAEGER_OWN_PROCESS_TAGS})
            spans.append(
                legacy_span(
                    s.operation_name, s.span_id, s.parent_id or None, tags, logs, refs, resource=resource
                )
            )
    return spans


def _jaeger_sampler(sampler) -> str:
    """Jaeger consults its sampler for root spans only; children follow the parent: parent-based."""
    from jaeger_client.sampler import ConstSampler, ProbabilisticSampler

    if sampler is None:
        return "remote"  # no sampler configured: remote sampling (the recorder still samples all)
    if isinstance(sampler, ConstSampler):
        return "parentbased:always_on" if sampler.decision else "parentbased:always_off"
    if isinstance(sampler, ProbabilisticSampler):
        return f"parentbased:ratio:{float(sampler.rate)}"
    return type(sampler).__name__


def _jaeger_tag_value(tag):
    for attr in ("vBool", "vLong", "vDouble", "vStr"):
        value = getattr(tag, attr, None)
        if value is not None:
            return value
    return None


def run_zipkin(program: str) -> list[dict]:
    from py_zipkin import Encoding, zipkin
    from py_zipkin.transport import BaseTransportHandler

    payloads = []

    class Capture(BaseTransportHandler):
        def get_max_payload_bytes(self):
            return None

        def send(self, payload):
            payloads.append(payload)

    original_init = zipkin.zipkin_span.__init__

    def init(self, *args, **kwargs):
        if kwargs.get("transport_handler") is not None:
            # A root span: py_zipkin rolls sample_rate (a percentage) for it; children follow it.
            rate = kwargs.get("sample_rate")
            SAMPLERS.append("none" if rate is None else f"parentbased:ratio:{float(rate) / 100}")
            PROPAGATION.append(["b3multi"])  # py_zipkin only ever speaks B3 (request_helpers.py)
            kwargs["transport_handler"] = Capture()
            kwargs["encoding"] = Encoding.V2_JSON
        original_init(self, *args, **kwargs)

    zipkin.zipkin_span.__init__ = init
    runpy.run_path(program, run_name="__main__")
    spans = []
    for payload in payloads:
        for s in json.loads(payload):
            tags = dict(s.get("tags", {}))
            if "kind" in s:
                tags["span.kind"] = s["kind"]
            logs = [{"event": a["value"]} for a in s.get("annotations", [])]
            resource = {"service.name": s["localEndpoint"]["serviceName"]}
            spans.append(
                legacy_span(
                    s["name"], s["id"], s.get("parentId"), tags, logs, stringify=True, resource=resource
                )
            )
    return spans


# --- OTel side -------------------------------------------------------------------------------------


def run_otel(program: str, library: str) -> list[dict]:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    original_init = TracerProvider.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.add_span_processor(SimpleSpanProcessor(exporter))
        if library != "opentracing":  # pure-API programs use the host's provider, as MockTracer
            SAMPLERS.append(_otel_sampler(self.sampler))

    TracerProvider.__init__ = init
    _silence_network_exporters(SpanExportResult)
    if library == "opentracing":
        # Pure-API programs (like pure-OpenTracing ones) get their SDK from the host, as MockTracer above.
        trace.set_tracer_provider(TracerProvider())
    runpy.run_path(program, run_name="__main__")
    if library != "opentracing":  # what the installed propagators put on the wire, once per set-up
        from opentelemetry import propagate
        from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

        headers: dict = {}
        span = NonRecordingSpan(SpanContext(1, 2, is_remote=False, trace_flags=TraceFlags(1)))
        propagate.inject(headers, context=trace.set_span_in_context(span))
        PROPAGATION.extend([wire_formats(headers)] * len(SAMPLERS))
    # Pure-API programs get their resource from the host, so only jaeger and zipkin set-ups are compared.
    return [
        otel_span(s, stringify=library == "zipkin", with_resource=library != "opentracing")
        for s in exporter.get_finished_spans()
    ]


def _otel_sampler(sampler) -> str:
    from opentelemetry.sdk.trace import sampling

    if isinstance(sampler, sampling.ParentBased):
        return "parentbased:" + _otel_sampler(sampler._root)
    if isinstance(sampler, sampling.TraceIdRatioBased):
        return f"ratio:{float(sampler.rate)}"
    if isinstance(sampler, sampling.StaticSampler):
        return "always_on" if sampler._decision == sampling.Decision.RECORD_AND_SAMPLE else "always_off"
    return type(sampler).__name__


def _silence_network_exporters(result_type) -> None:
    """The program's exporters keep their configuration but send nothing (there is no collector)."""
    import importlib

    for module, cls in [
        ("opentelemetry.exporter.otlp.proto.http.trace_exporter", "OTLPSpanExporter"),
        ("opentelemetry.exporter.otlp.proto.grpc.trace_exporter", "OTLPSpanExporter"),
        ("opentelemetry.exporter.zipkin.json", "ZipkinExporter"),
    ]:
        try:
            exporter_cls = getattr(importlib.import_module(module), cls)
        except ImportError:
            continue
        exporter_cls.export = lambda self, spans: result_type.SUCCESS
        exporter_cls.shutdown = lambda self, *a, **k: None
        exporter_cls.force_flush = lambda self, *a, **k: True


def main(argv: list[str]) -> int:
    side, library, program = argv
    if side == "otel":
        spans = run_otel(program, library)
    else:
        spans = {"opentracing": run_opentracing, "jaeger": run_jaeger, "zipkin": run_zipkin}[library](program)
    result = {"tree": build_tree(spans), "samplers": sorted(SAMPLERS), "propagation": sorted(PROPAGATION)}
    sys.stdout.write(MARKER + json.dumps(result, sort_keys=True, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
