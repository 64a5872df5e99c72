"""OpenTracing tags in OpenTelemetry terms (api-mapping §5): attribute keys, span kinds, the error tag.

The keys are written as string literals rather than `ATTR_*` constants: the stable and incubating
constants live in different entry points of @opentelemetry/semantic-conventions, and a literal needs
no new package.
"""

from __future__ import annotations

# opentracing's `Tags.*` constants (opentracing-javascript src/ext/tags.ts) and the key each one names.
TAG_CONSTANTS = {
    "SPAN_KIND": "span.kind",
    "ERROR": "error",
    "COMPONENT": "component",
    "SAMPLING_PRIORITY": "sampling.priority",
    "PEER_SERVICE": "peer.service",
    "PEER_HOSTNAME": "peer.hostname",
    "PEER_ADDRESS": "peer.address",
    "PEER_HOST_IPV4": "peer.ipv4",
    "PEER_HOST_IPV6": "peer.ipv6",
    "PEER_PORT": "peer.port",
    "HTTP_URL": "http.url",
    "HTTP_METHOD": "http.method",
    "HTTP_STATUS_CODE": "http.status_code",
    "MESSAGE_BUS_DESTINATION": "message_bus.destination",
    "DB_INSTANCE": "db.instance",
    "DB_STATEMENT": "db.statement",
    "DB_TYPE": "db.type",
    "DB_USER": "db.user",
}
KIND_CONSTANTS = {
    "SPAN_KIND_RPC_CLIENT": "CLIENT",
    "SPAN_KIND_RPC_SERVER": "SERVER",
    "SPAN_KIND_MESSAGING_PRODUCER": "PRODUCER",
    "SPAN_KIND_MESSAGING_CONSUMER": "CONSUMER",
}
KIND_VALUES = {"client": "CLIENT", "server": "SERVER", "producer": "PRODUCER", "consumer": "CONSUMER"}

# Current semconv key of each OpenTracing key; a pair is (client and other spans, server spans).
ATTRIBUTE_KEYS: dict[str, str | tuple[str, str]] = {
    "http.method": "http.request.method",
    "http.url": "url.full",
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
}
DB_SYSTEM_VALUES = {"sql": "other_sql"}  # db.type values that are not db.system.name values

NOT_ATTRIBUTES = {
    "sampling.priority": "sampling.priority has no attribute in OpenTelemetry: sampling is decided at start "
    "by the Sampler",
    "peer.address": "peer.address needs splitting into server.address and server.port",
}


def attribute_key(key: str, kind: str | None) -> str:
    """The semconv key for an OpenTracing tag key on a span of `kind` (None: not known, not server)."""
    new = ATTRIBUTE_KEYS.get(key, key)
    if isinstance(new, tuple):
        return new[1] if kind == "SERVER" else new[0]
    return new
