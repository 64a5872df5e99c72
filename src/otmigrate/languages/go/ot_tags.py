"""OpenTracing tags → OTel attributes: standard keys to semantic conventions (api-mapping §5, semconv
v1.43.0), other keys to the `attribute` constructor of the value's type."""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.languages.go.type_inference import WIDENED, attribute, type_of

# Standard tag → (semconv constructor, the Go type it takes).
SEMCONV = {
    "http.method": ("semconv.HTTPRequestMethodKey.String({})", "string"),
    "http.url": ("semconv.URLFull({})", "string"),
    "http.status_code": ("semconv.HTTPResponseStatusCode({})", "int"),
    "peer.service": ("semconv.ServicePeerName({})", "string"),
    "peer.ipv4": ("semconv.NetworkPeerAddress({})", "string"),
    "peer.ipv6": ("semconv.NetworkPeerAddress({})", "string"),
    "db.statement": ("semconv.DBQueryText({})", "string"),
    "db.instance": ("semconv.DBNamespace({})", "string"),
    "db.type": ("semconv.DBSystemNameKey.String({})", "string"),
    "message_bus.destination": ("semconv.MessagingDestinationName({})", "string"),
}
# peer.hostname / peer.port name the other side: the client's on a server span, the server's otherwise.
BY_KIND = {
    "peer.hostname": ("semconv.ClientAddress({})", "semconv.ServerAddress({})", "string"),
    "peer.port": ("semconv.ClientPort({})", "semconv.ServerPort({})", "int"),
}
DB_SYSTEMS = {'"sql"': '"other_sql"'}
# ext.<Name> → its tag key and the Go type its Set method takes (so no inference is needed).
EXT_TAGS = {
    "HTTPMethod": ("http.method", "string"),
    "HTTPUrl": ("http.url", "string"),
    "HTTPStatusCode": ("http.status_code", "uint16"),
    "PeerService": ("peer.service", "string"),
    "PeerHostname": ("peer.hostname", "string"),
    "PeerPort": ("peer.port", "uint16"),
    "PeerHostIPv6": ("peer.ipv6", "string"),
    "DBStatement": ("db.statement", "string"),
    "DBInstance": ("db.instance", "string"),
    "DBType": ("db.type", "string"),
    "DBUser": ("db.user", "string"),
    "Component": ("component", "string"),
    "MessageBusDestination": ("message_bus.destination", "string"),
}
INT_TYPES = ("int", "int64", *WIDENED)


def tag_key(key: SgNode | str) -> str | None:
    """The tag key a string literal spells, or None for a computed key."""
    text = key if isinstance(key, str) else key.text()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in '"`':
        return text[1:-1]
    return None


def tag_attribute(
    key: str,
    value: SgNode,
    types: dict[str, str],
    *,
    kind: str | None,
    value_type: str | None = None,
    text: str | None = None,
) -> tuple[str, bool]:
    """The attribute for `SetTag(key, value)` and whether it is safe. Unsafe means the value's type is
    unknown and the expression stringifies it with fmt.Sprint (api-mapping §1.5)."""
    name = tag_key(key)
    typ = value_type or type_of(value, types)
    text = text or value.text()
    if name in SEMCONV or name in BY_KIND:
        if name in BY_KIND:
            server, other, wanted = BY_KIND[name]
            template = server if kind == "server" else other
        else:
            template, wanted = SEMCONV[name]
        if name == "db.type":
            text = DB_SYSTEMS.get(text, text)
        if wanted == "string":
            if typ == "string":
                return template.format(text), True
            return template.format(f"fmt.Sprint({text})"), False
        if typ == "int" or value.kind() == "int_literal" or re.fullmatch(r"http\.Status\w+", text):
            return template.format(text), True
        return template.format(f"int({text})"), typ in INT_TYPES
    typed = attribute(key, value, types, text) if value_type is None else _typed(key, text, value_type)
    if typed is not None:
        return typed, True
    return f"attribute.String({key}, fmt.Sprint({text}))", False


def _typed(key: str, text: str, value_type: str) -> str | None:
    if value_type == "string":
        return f"attribute.String({key}, {text})"
    return None
