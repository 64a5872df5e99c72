"""Normalise the raw spans that harness/capture.js reports into comparable span trees.

The legacy side is mapped to OpenTelemetry terms here, from api-mapping §5 (tag keys), §6 (logs and
errors) and §4.3 (zipkin annotations), written independently of the rewriter so that a comparison between
a legacy program and its migration means something.
"""

from __future__ import annotations

import json
from typing import Any

OTEL_KINDS = {0: "INTERNAL", 1: "SERVER", 2: "CLIENT", 3: "PRODUCER", 4: "CONSUMER"}
OTEL_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}
OT_KINDS = {"client": "CLIENT", "server": "SERVER", "producer": "PRODUCER", "consumer": "CONSUMER"}
ZIPKIN_KIND_START = {
    "ServerRecv": "SERVER",
    "ClientSend": "CLIENT",
    "ProducerStart": "PRODUCER",
    "ConsumerStart": "CONSUMER",
    "LocalOperationStart": "INTERNAL",
}

# §5: OpenTracing tag -> current semconv key (None: no attribute). Kind-dependent keys are tuples
# (client/other, server).
TAG_KEYS: dict[str, Any] = {
    "http.method": "http.request.method",
    "http.url": "url.full",
    "http.path": "url.path",
    "http.status_code": "http.response.status_code",
    "peer.service": "service.peer.name",
    "peer.hostname": ("server.address", "client.address"),
    "peer.ipv4": "network.peer.address",
    "peer.ipv6": "network.peer.address",
    "peer.port": ("server.port", "client.port"),
    "db.type": "db.system.name",
    "db.instance": "db.namespace",
    "db.statement": "db.query.text",
    "message_bus.destination": "messaging.destination.name",
    "sampling.priority": None,
    # jaeger-client's own bookkeeping on sampled root spans: in OTel the sampler is configuration
    "sampler.type": None,
    "sampler.param": None,
}
DB_SYSTEM_VALUES = {"sql": "other_sql"}


def _value(v: Any) -> str:
    """Attribute values compare as strings: Zipkin recorded everything as strings."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return json.dumps(v) if isinstance(v, list) else str(v)


def _map_tags(tags: dict[str, Any], kind: str) -> dict[str, str]:
    out = {}
    for key, value in tags.items():
        if key in ("span.kind", "error") or value is None:
            continue
        new = TAG_KEYS.get(key, key)
        if isinstance(new, tuple):
            new = new[1] if kind == "SERVER" else new[0]
        if new is None:
            continue
        if new == "db.system.name":
            value = DB_SYSTEM_VALUES.get(value, value)
        out[new] = _value(value)
    return out


def _ot_span(raw: dict[str, Any]) -> dict[str, Any]:
    """An opentracing / jaeger span: tags, logs, references (§4.1, §5, §6)."""
    tags = raw["tags"]
    kind = OT_KINDS.get(tags.get("span.kind"), "INTERNAL")
    status = "UNSET"
    if "error" in tags:
        status = "ERROR" if tags["error"] in (True, "true") else "OK"
    events = []
    for fields in raw["logs"]:
        name = fields.get("event", "log")
        if raw["lib"] == "jaeger" and name == "baggage" and set(fields) == {"event", "key", "value"}:
            continue  # jaeger-client logs every setBaggageItem; OTel baggage lives in the Context, no event
        if name == "error":
            name = "exception"
            status = "ERROR"  # an error log means a failed span; OTel needs setStatus for that (§6)
        events.append(name)
    return {
        "id": raw["id"],
        "parent": raw["parent"],
        "name": raw["name"],
        "kind": kind,
        "attributes": _map_tags(tags, kind),
        "status": status,
        "events": events,
        "links": sorted(raw["links"]),
        "service": raw["service"],
    }


def _zipkin_span(raw: dict[str, Any]) -> dict[str, Any]:
    """A zipkin span folded from annotations (§4.3); the `error` tag is the span's status."""
    kind, name, service, status = "INTERNAL", None, None, "UNSET"
    tags: dict[str, Any] = {}
    events = []
    for a in raw["annotations"]:
        t = a["type"]
        if t in ZIPKIN_KIND_START:
            kind = ZIPKIN_KIND_START[t]
            if t == "LocalOperationStart":
                name = a["name"]
        elif t == "Rpc":
            name = a["name"]
        elif t == "ServiceName":
            service = a["serviceName"]
        elif t == "BinaryAnnotation":
            if a["key"] == "error":
                status = "ERROR"
            else:
                tags[a["key"]] = a["value"]
        elif t == "Message":
            events.append(a["message"])
    return {
        "id": raw["id"],
        "parent": raw["parent"],
        "name": name,
        "kind": kind,
        "attributes": _map_tags(tags, kind),
        "status": status,
        "events": events,
        "links": [],
        "service": service,
    }


def _otel_span(raw: dict[str, Any], library: str) -> dict[str, Any]:
    service = raw["service"]
    if service and service.startswith("unknown_service"):
        service = None
    events = raw["events"]
    if library == "zipkin":
        # zipkin-js has no exception events: its `error` tag maps to the status (compared) and the
        # migration's recordException is an addition, so it is not compared against a zipkin program.
        events = [e for e in events if e != "exception"]
    return {
        "id": raw["id"],
        "parent": raw["parent"],
        "name": raw["name"],
        "kind": OTEL_KINDS[raw["kind"]],
        "attributes": {k: _value(v) for k, v in raw["attributes"].items()},
        "status": OTEL_STATUS[raw["status"]],
        "events": list(events),
        "links": sorted(x for x in raw["links"] if x),
        "service": service,
    }


def normalise(raw_spans: list[dict[str, Any]], library: str) -> list[dict[str, Any]]:
    """Raw spans (either side) -> a canonical forest: children nested and sorted, ids dropped."""
    spans = []
    for raw in raw_spans:
        lib = raw["lib"]
        if lib == "otel":
            spans.append(_otel_span(raw, library))
        elif lib == "zipkin":
            spans.append(_zipkin_span(raw))
        else:
            spans.append(_ot_span(raw))
    ids = {s["id"] for s in spans}
    children: dict[Any, list[dict[str, Any]]] = {}
    for s in spans:
        parent = s["parent"] if s["parent"] in ids else ("remote" if s["parent"] else None)
        children.setdefault(parent, []).append(s)

    def build(span: dict[str, Any]) -> dict[str, Any]:
        node = {k: v for k, v in span.items() if k not in ("id", "parent")}
        node["children"] = sorted((build(c) for c in children.get(span["id"], [])), key=json.dumps)
        return node

    roots = [dict(build(s), remote_parent=False) for s in children.get(None, [])]
    roots += [dict(build(s), remote_parent=True) for s in children.get("remote", [])]
    return sorted(roots, key=json.dumps)
