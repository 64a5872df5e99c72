"""The comparison mode for spans made by OTel instrumentation packages.

zipkin-instrumentation-express / -fetch / -axiosjs become @opentelemetry/instrumentation-http, -express
and -undici, which describe the same requests in more detail than zipkin did, so the strict tree
equality of the other fixtures cannot hold. This mode relaxes only what those packages add:

1. Express layer spans (`express.type` middleware, router, request_handler) are dropped; their children
   move up to the dropped span's parent (OTel's outgoing calls in a handler are children of its
   request handler span, zipkin's of the server span).
2. Names are compared as they are: zipkin names a client span by its method (`GET`) and the express
   server span `<METHOD> <route>`, as the http/undici and express instrumentations do.
3. Attributes of an instrumentation span: every legacy attribute, after the §5 key mapping, must be on it
   with an equal value, under its current key or under the older key that instrumentation-http still
   writes by default (OTEL_SEMCONV_STABILITY_OPT_IN unset): OLDER_KEYS. Other attributes may be added.
4. Everything else is strict: the tree shape (parents), kinds, statuses, events, services, and every
   span the program makes with its own tracer, attributes included.
"""

from __future__ import annotations

from typing import Any

from .spantree import normalise

INSTRUMENTATION_SCOPE = "@opentelemetry/instrumentation-"
EXPRESS_LAYERS = {"middleware", "router", "request_handler"}
SCOPE_KEY = "otel.scope.name"  # carried through normalise() in the attributes, removed before comparing
OLDER_KEYS = {"url.path": "http.target", "http.response.status_code": "http.status_code"}


def uses_instrumentation(otel_spans: list[dict[str, Any]]) -> bool:
    return any(_instrumented(raw) for raw in otel_spans)


def mismatch(
    legacy_spans: list[dict[str, Any]], otel_spans: list[dict[str, Any]], library: str
) -> str | None:
    """Where the OTel spans differ from the legacy ones under this mode; None when they agree."""
    legacy = normalise(legacy_spans, library)
    otel = normalise(_without_express_layers(otel_spans), library)
    return _forest(legacy, otel, "")


def _instrumented(raw: dict[str, Any]) -> bool:
    return raw.get("lib") == "otel" and (raw.get("scope") or "").startswith(INSTRUMENTATION_SCOPE)


def _without_express_layers(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    layers = {
        raw["id"]: raw["parent"]
        for raw in spans
        if _instrumented(raw) and raw["attributes"].get("express.type") in EXPRESS_LAYERS
    }

    def kept_parent(parent: str | None) -> str | None:
        while parent in layers:
            parent = layers[parent]
        return parent

    kept = []
    for raw in spans:
        if raw["id"] in layers:
            continue
        raw = {**raw, "parent": kept_parent(raw["parent"])}
        if _instrumented(raw):
            raw["attributes"] = {**raw["attributes"], SCOPE_KEY: raw["scope"]}
        kept.append(raw)
    return kept


def _forest(legacy: list[dict[str, Any]], otel: list[dict[str, Any]], path: str) -> str | None:
    """Pair every legacy span with a distinct equivalent OTel sibling (backtracking: siblings may look
    alike until their subtrees are compared)."""
    if len(legacy) != len(otel):
        names = [n["name"] for n in legacy], [n["name"] for n in otel]
        return f"{path or 'roots'}: legacy spans {names[0]}, OTel spans {names[1]}"

    def pair(index: int, free: list[dict[str, Any]]) -> str | None:
        if index == len(legacy):
            return None
        first_error = None
        for candidate in free:
            error = _span(legacy[index], candidate, path) or pair(
                index + 1, [c for c in free if c is not candidate]
            )
            if error is None:
                return None
            first_error = first_error or error
        return first_error

    return pair(0, otel)


def _span(legacy: dict[str, Any], otel: dict[str, Any], path: str) -> str | None:
    here = f"{path}/{legacy['name']}"
    attributes = dict(otel["attributes"])
    instrumented = attributes.pop(SCOPE_KEY, None) is not None
    if _fields(legacy) != _fields(otel):
        return f"{here}: {_fields(legacy)} != {_fields(otel)}"
    if instrumented:
        missing = {k: v for k, v in legacy["attributes"].items() if not _has(attributes, k, v)}
        if missing:
            return f"{here}: the instrumentation span lacks {missing} (it has {attributes})"
    elif legacy["attributes"] != attributes:
        return f"{here}: attributes {legacy['attributes']} != {attributes}"
    return _forest(legacy["children"], otel["children"], here)


def _has(attributes: dict[str, str], key: str, value: str) -> bool:
    if attributes.get(key) == value:
        return True
    older = attributes.get(OLDER_KEYS.get(key, key))
    return older is not None and older.split("?")[0] == value


def _fields(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in ("attributes", "children")}
