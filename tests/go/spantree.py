"""Normalise raw recorded spans (from tests/go/harness/record) to comparable span trees.

The legacy side is mapped here, from reference/api-mapping.md §1, §5 and §6, independently of the
rewriter: OpenTracing tags to semantic-convention keys, the `error` tag to a status, `span.kind` to a kind,
log records to event names (`event` field, else "log"; an `error.object` field makes an `exception`
event). A FollowsFrom reference becomes a link with `opentracing.ref_type` = `follows_from` (§1.8); a
ChildOf reference is the parent only (the rewriter emits no link for it). zipkin-go tags follow §3.3. A
tree node is (name, kind, status, attributes, events, links, children); a link names the span it points to
(or "remote"), and children are sorted so that sibling order (goroutines) does not matter.

Trees are compared with `same_tree`: strictly, except for the spans an OTel HTTP instrumentation made
(instrumentation scope otelhttp) in place of zipkin-go's HTTP middleware. Those differ by design (§3.3):
otelhttp names spans after semantic conventions and adds semconv attributes zipkin never set. For them the
comparison is (and only is): the legacy name maps to the OTel name (INSTRUMENTATION_NAMES below); kind,
status, events, links, remote parent and place in the tree are equal; every legacy attribute, after the
§3.3 key mapping, is present with its value (a client's `url.path` may be the path of its `url.full`),
except the ones in NOT_RECORDED_BY_OTELHTTP; extra OTel attributes are allowed.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

# OpenTracing standard tags (§5). Kind-dependent keys are resolved in _legacy_attrs.
OT_TAGS = {
    "http.method": "http.request.method",
    "http.url": "url.full",
    "http.status_code": "http.response.status_code",
    "peer.service": "service.peer.name",
    "peer.ipv4": "network.peer.address",
    "peer.ipv6": "network.peer.address",
    "db.statement": "db.query.text",
    "db.instance": "db.namespace",
    "db.type": "db.system.name",
    "message_bus.destination": "messaging.destination.name",
}
# zipkin-go's Tag* constants (§3.3); values are strings in zipkin, typed in OTel.
ZIPKIN_TAGS = {
    "http.method": ("http.request.method", str),
    "http.path": ("url.path", str),
    "http.url": ("url.full", str),
    "http.route": ("http.route", str),
    "http.status_code": ("http.response.status_code", int),
    "http.request.size": ("http.request.body.size", int),
    "http.response.size": ("http.response.body.size", int),
    "grpc.status_code": ("rpc.response.status_code", str),
    "sql.query": ("db.query.text", str),
}
DB_SYSTEM_VALUES = {"sql": "other_sql"}
# Tags a legacy tracer adds by itself (jaeger's sampler decision on root spans), with no OTel counterpart.
TRACER_TAGS = {"sampler.type", "sampler.param", "sampling.priority"}
ZIPKIN_KINDS = {
    "CLIENT": "client",
    "SERVER": "server",
    "PRODUCER": "producer",
    "CONSUMER": "consumer",
    "": "internal",
}


# The OTel HTTP instrumentations whose spans stand for zipkin-go middleware spans.
INSTRUMENTATION_SCOPES = {"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"}


# (kind, key) of legacy middleware attributes otelhttp does not record: zipkin's transport tags the
# response size, otelhttp's client span has no http.response.body.size (docs/migration-go.md says so).
NOT_RECORDED_BY_OTELHTTP = {("client", "http.response.body.size")}


def instrumentation_names(legacy: str, kind: str) -> set[str]:
    """The names otelhttp gives the span zipkin-go's middleware named `legacy`: a transport's
    `<scheme>/<METHOD>` is `HTTP <METHOD>`; a server span named after the method (zipkin's default) is
    `<METHOD>` or, when a ServeMux pattern matched, `<METHOD> <route>` (semconv); a `SpanName` is kept."""
    client = re.fullmatch(r"https?/([A-Z]+)", legacy)
    if kind == "client" and client:
        return {f"HTTP {client.group(1)}"}
    if kind == "server" and re.fullmatch(r"[A-Z]+", legacy):
        return {legacy, f"{legacy} *"}
    return {legacy}


def _val(v: dict):
    """The value, with the port of a local test server (httptest) masked: it differs per run."""
    value = v["v"] if v["t"] != "other" else str(v["v"])
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", value) if isinstance(value, str) else value


def _legacy_attrs(tags: dict, kind: str, zipkin: bool) -> dict:
    attrs = {}
    for key, v in tags.items():
        value = _val(v)
        if key in TRACER_TAGS or key in ("span.kind", "error"):
            continue
        if zipkin and key in ZIPKIN_TAGS:
            key, typ = ZIPKIN_TAGS[key]
            value = typ(value)
        elif not zipkin and key in OT_TAGS:
            key = OT_TAGS[key]
            if key == "db.system.name":
                value = DB_SYSTEM_VALUES.get(value, value)
        elif not zipkin and key in ("peer.hostname", "peer.port"):
            side = "client" if kind == "server" else "server"
            key = f"{side}.{'address' if key == 'peer.hostname' else 'port'}"
        attrs[key] = value
    return attrs


def _legacy_event(ev: dict, zipkin: bool) -> tuple:
    if zipkin:
        return (ev["name"], ())
    fields = {f["k"]: _val(f) for f in ev["fields"]}
    if "error.object" in fields or fields.get("event") == "error":
        return ("exception", ())
    name = fields.pop("event", "log")
    return (name, tuple(sorted((k, json.dumps(v)) for k, v in fields.items())))


def _otel_event(ev: dict) -> tuple:
    if ev["name"] == "exception":
        return ("exception", ())
    return (ev["name"], tuple(sorted((f["k"], json.dumps(_val(f))) for f in ev["fields"])))


def normalise_legacy(spans: list[dict], zipkin: bool = False) -> list[dict]:
    """Legacy raw spans → nodes in OTel terms."""
    nodes = []
    for s in spans:
        tags = s["tags"]
        if zipkin:
            kind = ZIPKIN_KINDS[s.get("kind", "")]
            status = "Error" if "error" in tags else "Unset"
        else:
            kind = str(_val(tags["span.kind"])) if "span.kind" in tags else "internal"
            error = _val(tags["error"]) if "error" in tags else None
            status = {True: "Error", False: "Ok", None: "Unset"}[error]
        nodes.append(
            {
                "id": s["id"],
                "parent": s["parent"],
                "name": s["name"],
                "kind": kind,
                "status": status,
                "attrs": _legacy_attrs(tags, kind, zipkin),
                "events": [_legacy_event(e, zipkin) for e in s.get("events") or []],
                "links": [
                    (link["span"], {"opentracing.ref_type": "follows_from"})
                    for link in s.get("links") or []
                    if link.get("ref_type") == "follows_from"
                ],
            }
        )
    return nodes


def normalise_otel(spans: list[dict]) -> list[dict]:
    return [
        {
            "id": s["id"],
            "parent": s["parent"],
            "name": s["name"],
            "kind": s["kind"],
            "status": s["status"],
            "attrs": {k: _val(v) for k, v in s["tags"].items()},
            "events": [_otel_event(e) for e in s.get("events") or []],
            "links": [
                (link["span"], {k: _val(v) for k, v in (link.get("attrs") or {}).items()})
                for link in s.get("links") or []
            ],
            "instrumentation": s.get("scope") in INSTRUMENTATION_SCOPES,
        }
        for s in spans
    ]


def tree(nodes: list[dict]) -> list:
    """Nest nodes by parent id; a parent id not among the spans is a remote parent (extracted context)."""
    ids = {n["id"] for n in nodes}
    names = {n["id"]: n["name"] for n in nodes}

    def build(n: dict) -> dict:
        kids = sorted((build(c) for c in nodes if c["parent"] == n["id"]), key=json.dumps)
        out = {k: n[k] for k in ("name", "kind", "status")}
        out["attrs"] = dict(sorted(n["attrs"].items()))
        out["events"] = [list(e) for e in n["events"]]
        links = ([names.get(span, "remote"), attrs] for span, attrs in n.get("links", []))
        out["links"] = sorted(links, key=json.dumps)
        if n["parent"] and n["parent"] not in ids:
            out["remote_parent"] = True
        if n.get("instrumentation"):
            out["instrumentation"] = True
        out["children"] = kids
        return out

    return sorted((build(n) for n in nodes if n["parent"] not in ids or not n["parent"]), key=json.dumps)


def legacy_tree(spans: list[dict], library: str) -> list:
    return tree(normalise_legacy(spans, zipkin=library == "zipkin"))


def otel_tree(spans: list[dict]) -> list:
    return tree(normalise_otel(spans))


def same_tree(legacy: list, otel: list) -> bool:
    """Whether the OTel trees are the legacy ones (see the module docstring for instrumentation spans)."""
    if len(legacy) != len(otel):
        return False
    if not legacy:
        return True
    first, rest = legacy[0], legacy[1:]
    return any(
        _same_node(first, node) and same_tree(rest, otel[:i] + otel[i + 1 :]) for i, node in enumerate(otel)
    )


def _same_node(legacy: dict, otel: dict) -> bool:
    if not otel.get("instrumentation"):
        return {k: v for k, v in legacy.items() if k != "children"} == {
            k: v for k, v in otel.items() if k != "children"
        } and same_tree(legacy["children"], otel["children"])
    own = ("kind", "status", "events", "links", "remote_parent")
    return (
        any(_name_matches(otel["name"], n) for n in instrumentation_names(legacy["name"], legacy["kind"]))
        and all(legacy.get(k) == otel.get(k) for k in own)
        and all(
            _attribute_present(k, v, otel["attrs"])
            for k, v in legacy["attrs"].items()
            if (legacy["kind"], k) not in NOT_RECORDED_BY_OTELHTTP
        )
        and same_tree(legacy["children"], otel["children"])
    )


def _name_matches(name: str, pattern: str) -> bool:
    return name == pattern or (pattern.endswith(" *") and name.startswith(pattern[:-1]))


def _attribute_present(key: str, value, attrs: dict) -> bool:
    if attrs.get(key) == value:
        return True
    return key == "url.path" and "url.full" in attrs and urlsplit(str(attrs["url.full"])).path == value
