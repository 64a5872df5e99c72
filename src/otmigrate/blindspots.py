"""Imports that hide which names come from a legacy library (`from opentracing import *`, Go's
`import . "github.com/opentracing/opentracing-go"`): no binding names the library, so every use would
be missed silently. scan, rewrite and lint report such a file as not processed instead."""

from __future__ import annotations

import re

_HIDING = {
    "python": re.compile(
        r"^[ \t]*from[ \t]+((?:opentracing|jaeger_client|py_zipkin)(?:\.[\w.]+)?)[ \t]+import[ \t]+\*", re.M
    ),
    "go": re.compile(
        r'^[ \t]*(?:import[ \t]+)?\.[ \t]+"((?:github\.com/opentracing|github\.com/uber/jaeger-client-go'
        r'|github\.com/openzipkin)[^"]*)"',
        re.M,
    ),
}


def hidden_legacy_import(text: str, language: str) -> str | None:
    """Why the file cannot be processed, or None."""
    pattern = _HIDING.get(language)
    found = pattern.search(text) if pattern is not None else None
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    return (
        f"`{found.group(0).strip()}` (line {line}) hides which names come from {found.group(1)}; "
        "not processed (import the names you use)"
    )
