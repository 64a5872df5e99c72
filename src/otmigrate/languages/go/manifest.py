"""go.mod: the legacy tracing requirements go, the OpenTelemetry modules the migrated code imports come.

The versions are the ones the Go fixtures were built, vetted and run against (tests/go/harness/go.mod).
go.sum cannot be written without the module proxy, so the report asks for `go mod tidy` instead.
"""

from __future__ import annotations

import re

MANIFEST_NAMES = ("go.mod",)

LEGACY_MODULES = (
    "github.com/opentracing/opentracing-go",
    "github.com/uber/jaeger-client-go",
    "github.com/uber/jaeger-lib",
    "github.com/openzipkin/zipkin-go",
    "github.com/openzipkin-contrib/zipkin-go-opentracing",
)
OTEL_VERSION = "v1.47.0"
OTEL_MODULES = {  # every OTel module migrated code imports, at the version the fixtures were proven with
    "go.opentelemetry.io/otel": OTEL_VERSION,
    "go.opentelemetry.io/otel/trace": OTEL_VERSION,
    "go.opentelemetry.io/otel/sdk": OTEL_VERSION,
    "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp": OTEL_VERSION,
    "go.opentelemetry.io/contrib/propagators/b3": OTEL_VERSION,
}
_API = ("go.opentelemetry.io/otel", "go.opentelemetry.io/otel/trace")
_SDK_SETUP = (
    *_API,
    "go.opentelemetry.io/otel/sdk",
    "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp",
    "go.opentelemetry.io/contrib/propagators/b3",
)
NEEDED_FOR = {  # legacy module → the OTel modules its migrated code imports
    "github.com/opentracing/opentracing-go": _API,
    "github.com/uber/jaeger-client-go": _SDK_SETUP,
    "github.com/openzipkin/zipkin-go": _SDK_SETUP,
    "github.com/openzipkin-contrib/zipkin-go-opentracing": _SDK_SETUP,
}
_REQUIRE_LINE = re.compile(r"^\s*(?:require\s+)?(\S+)\s+v\S+(?:\s*//.*)?$")


def update_manifest(name: str, text: str, imports: frozenset[str] | None = None) -> str:
    """The go.mod with legacy requirements removed and the OTel ones added; unchanged if it has none."""
    if name != "go.mod" or not any(m in text for m in LEGACY_MODULES):
        return text
    lines = []
    for line in text.splitlines(keepends=True):
        m = _REQUIRE_LINE.match(line)
        if m and m.group(1) in LEGACY_MODULES:
            continue
        lines.append(line)
    out = re.sub(r"\nrequire \(\s*\)\n", "\n", "".join(lines))
    needed = {mod for legacy, mods in NEEDED_FOR.items() if legacy in text for mod in mods}
    missing = [
        f"\t{mod} {ver}\n"
        for mod, ver in OTEL_MODULES.items()
        if mod in needed and not re.search(rf"^\s*(require\s+)?{re.escape(mod)}\s", out, re.M)
    ]
    if not missing:
        return out
    if re.search(r"^require \($", out, re.M):
        return re.sub(r"^require \(\n", lambda m: m.group(0) + "".join(missing), out, count=1, flags=re.M)
    return out.rstrip("\n") + "\n\nrequire (\n" + "".join(missing) + ")\n"
