"""Which tracing packages a Go file imports, and under which local names."""

from __future__ import annotations

from ast_grep_py import SgNode

from otmigrate.languages import Binding

_OPENTRACING = "github.com/opentracing/opentracing-go"
_JAEGER = "github.com/uber/jaeger-client-go"
_ZIPKIN = "github.com/openzipkin/zipkin-go"

CANONICAL = {
    "opentracing": _OPENTRACING,
    "ext": f"{_OPENTRACING}/ext",
    "otlog": f"{_OPENTRACING}/log",
    "mocktracer": f"{_OPENTRACING}/mocktracer",
    "jaeger": _JAEGER,
    "jaegercfg": f"{_JAEGER}/config",
    "jaegerzipkin": f"{_JAEGER}/zipkin",
    "zipkin": _ZIPKIN,
    "zipkinmodel": f"{_ZIPKIN}/model",
    "b3": f"{_ZIPKIN}/propagation/b3",
    "zipkinhttp": f"{_ZIPKIN}/middleware/http",
    "reporterhttp": f"{_ZIPKIN}/reporter/http",
    "zipkinot": "github.com/openzipkin-contrib/zipkin-go-opentracing",
}
"""The identifier rule patterns use for each package (`otlog.String(...)` means opentracing-go/log)."""

_CANONICAL_OF_PATH = {path: name for name, path in CANONICAL.items()}

_PACKAGE_NAMES = {
    _OPENTRACING: "opentracing",
    _JAEGER: "jaeger",
    _ZIPKIN: "zipkin",
    "github.com/openzipkin-contrib/zipkin-go-opentracing": "zipkinot",
}
"""Package names that differ from the last element of their import path."""

_LIBRARY_PREFIXES = (
    (_OPENTRACING, "opentracing"),
    (_JAEGER, "jaeger"),
    ("github.com/openzipkin-contrib/zipkin-go-opentracing", "zipkin"),
    (_ZIPKIN, "zipkin"),
    ("go.opencensus.io", "opencensus"),
    ("go.opentelemetry.io/", "opentelemetry"),
)


def library_of(path: str) -> str | None:
    for prefix, library in _LIBRARY_PREFIXES:
        if path == prefix or path.startswith(prefix.rstrip("/") + "/") or path.startswith(prefix):
            return library
    return None


def canonical_name(path: str) -> str:
    return _CANONICAL_OF_PATH.get(path, path)


def package_name(path: str) -> str:
    """The name a package is used by when imported without an alias."""
    if path in _PACKAGE_NAMES:
        return _PACKAGE_NAMES[path]
    parts = path.split("/")
    last = parts[-1]
    if last.startswith("v") and last[1:].replace(".", "").isdigit() and len(parts) > 1:
        last = parts[-2]  # go.opentelemetry.io/otel/semconv/v1.26.0 → semconv
    return last.removesuffix("-go").removeprefix("go-").replace("-", "")


def find_bindings(root: SgNode) -> list[Binding]:
    bindings: list[Binding] = []
    for spec in root.find_all(kind="import_spec"):
        path_node = spec.field("path")
        if path_node is None:
            continue
        path = path_node.text().strip('"`')
        library = library_of(path)
        if library is None:
            continue
        name_node = spec.field("name")
        local = name_node.text() if name_node is not None else package_name(path)
        if local == "_":
            continue
        pos = spec.range().start
        bindings.append(Binding(library, path, None, local, pos.line + 1, pos.column + 1))
    return bindings
