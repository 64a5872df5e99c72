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
# Indirect requirements only jaeger-client-go brings in. The shared ones (pkg/errors, atomic) are only
# dropped when every other requirement left is an OTel dependency, which is known not to need them.
LEGACY_ONLY_INDIRECT = ("github.com/HdrHistogram/hdrhistogram-go",)
SHARED_INDIRECT = ("github.com/pkg/errors", "go.uber.org/atomic")
OTEL_DEPENDENCY_PREFIXES = ("go.opentelemetry.io/", "golang.org/x/", "google.golang.org/")

OTEL_VERSION = "v1.47.0"
OTEL_MODULES = {  # every OTel module migrated code imports, at the version the fixtures were proven with
    "go.opentelemetry.io/otel": OTEL_VERSION,
    "go.opentelemetry.io/otel/trace": OTEL_VERSION,
    "go.opentelemetry.io/otel/sdk": OTEL_VERSION,
    "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp": OTEL_VERSION,
    "go.opentelemetry.io/otel/exporters/zipkin": OTEL_VERSION,
    "go.opentelemetry.io/contrib/propagators/b3": OTEL_VERSION,
    "go.opentelemetry.io/contrib/propagators/jaeger": OTEL_VERSION,
    "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp": "v0.70.0",
    "go.opentelemetry.io/otel/bridge/opentracing": OTEL_VERSION,
}
_API = ("go.opentelemetry.io/otel", "go.opentelemetry.io/otel/trace")
_SDK_SETUP = (
    *_API,
    "go.opentelemetry.io/otel/sdk",
    "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp",
    "go.opentelemetry.io/contrib/propagators/b3",
)
NEEDED_FOR = {  # when the code's imports are unknown: legacy module → what its migrated code may import
    "github.com/opentracing/opentracing-go": _API,
    "github.com/uber/jaeger-client-go": _SDK_SETUP,
    "github.com/openzipkin/zipkin-go": _SDK_SETUP,
    "github.com/openzipkin-contrib/zipkin-go-opentracing": _SDK_SETUP,
}
_REQUIRE_LINE = re.compile(r"^\s*(?:require\s+)?(\S+)\s+v\S+(?:\s*//.*)?$")


def module_of(import_path: str) -> str | None:
    """The OTel module an import path belongs to: the longest module path that is a prefix of it
    (go.opentelemetry.io/otel/trace/noop is in module otel/trace, otel/attribute in module otel)."""
    owners = [m for m in OTEL_MODULES if import_path == m or import_path.startswith(m + "/")]
    return max(owners, key=len, default=None)


def update_manifest(
    name: str, text: str, imports: frozenset[str] | None = None, keep: frozenset[str] | None = None
) -> str:
    """The go.mod with legacy requirements removed and the OTel modules of `imports` added (the modules
    the legacy libraries' migrated code may need when `imports` is unknown); unchanged if it has none.

    An empty `imports` counts as unknown: no migrated file below the go.mod said what it needs, and
    dropping the legacy modules without adding any would leave already-migrated code unbuildable.
    `keep`: the legacy import paths the packages below still import after the run (their modules stay);
    when it is given, `imports` is complete (every file's final imports), so empty means none."""
    if name != "go.mod" or not any(m in text for m in LEGACY_MODULES):
        return text
    out = _without_legacy(text, _kept_modules(keep))
    if imports or keep is not None:
        needed = {module for module in map(module_of, imports) if module is not None}
    else:
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


def _kept_modules(keep: frozenset[str] | None) -> set[str] | None:
    """The legacy modules that still-imported packages belong to; None when that is not known."""
    if keep is None:
        return None
    kept = {m for m in LEGACY_MODULES for path in keep if path == m or path.startswith(m + "/")}
    if "github.com/uber/jaeger-client-go" in kept:
        # the imports of jaeger-lib (metrics factories for a jaeger set-up) are not in `keep` (no legacy
        # marker names them); a kept jaeger set-up keeps them (patron's trace.go imports both)
        kept.add("github.com/uber/jaeger-lib")
    return kept


def _without_legacy(text: str, kept_modules: set[str] | None = None) -> str:
    """The go.mod without the legacy requirements (but those `kept_modules` still imported) and the
    indirect ones only they needed, emptied require blocks and the blank lines they leave.

    When the imports are known, an indirect legacy requirement stays unless every other requirement is
    an OTel dependency: a third-party module (otgrpc, nethttp, the OTel bridge) or a kept legacy module
    may need it, and `go mod tidy` would put it back — a second rewrite must not take it out again."""
    lines = text.splitlines(keepends=True)
    required = [m.group(1) for m in map(_REQUIRE_LINE.match, lines) if m]
    legacy = (set(LEGACY_MODULES) | set(LEGACY_ONLY_INDIRECT)) - (kept_modules or set())
    others = [mod for mod in required if mod not in legacy and mod not in SHARED_INDIRECT]
    only_otel = all(
        mod.startswith(OTEL_DEPENDENCY_PREFIXES) and "/bridge/opentracing" not in mod for mod in others
    )
    if only_otel:
        legacy |= set(SHARED_INDIRECT)
    kept = []
    for line in lines:
        m = _REQUIRE_LINE.match(line)
        removable = m and m.group(1) in legacy
        indirect = line.rstrip().endswith("// indirect")
        if removable and kept_modules is not None and indirect and not only_otel:
            removable = False
        if removable and (m.group(1) in LEGACY_MODULES or indirect):
            continue
        kept.append(line)
    out = re.sub(r"^require \(\s*\)\n", "", "".join(kept), flags=re.M)
    return re.sub(r"\n{3,}", "\n\n", out).rstrip("\n") + "\n"
