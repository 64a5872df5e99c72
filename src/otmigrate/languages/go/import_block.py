"""The final pass for Go: rebuild the import block after a migration.

Legacy tracing imports the file no longer uses go; the OTel packages (and `context`, `fmt`) the new code
uses come, in gofmt's grouping (standard library, then the rest). When a local identifier has a new
package's name (`trace := ...`, `func trace()`) or another import has it (grpc's `codes`, `runtime/trace`),
the import gets an alias (`otelcodes`) and the new code's qualified names follow it.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext
from otmigrate.languages.go.imports import package_name

LEGACY_PREFIXES = ("github.com/opentracing/", "github.com/uber/jaeger-client-go", "github.com/openzipkin/")
# The name migrated code uses → (import path, alias). Other Go transforms add their packages here.
OTEL_PACKAGES: dict[str, tuple[str, str | None]] = {
    "otel": ("go.opentelemetry.io/otel", None),
    "trace": ("go.opentelemetry.io/otel/trace", None),
    "attribute": ("go.opentelemetry.io/otel/attribute", None),
    "codes": ("go.opentelemetry.io/otel/codes", None),
    "propagation": ("go.opentelemetry.io/otel/propagation", None),
    "baggage": ("go.opentelemetry.io/otel/baggage", None),
    "noop": ("go.opentelemetry.io/otel/trace/noop", None),
    "semconv": ("go.opentelemetry.io/otel/semconv/v1.43.0", "semconv"),
    "sdktrace": ("go.opentelemetry.io/otel/sdk/trace", "sdktrace"),
    "resource": ("go.opentelemetry.io/otel/sdk/resource", None),
    "otlptracehttp": ("go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp", None),
}
STANDARD = {"context": "context", "fmt": "fmt", "strconv": "strconv"}
_DECLARING_PARENTS = (
    "expression_list",
    "parameter_declaration",
    "var_spec",
    "const_spec",
    "range_clause",
    "function_declaration",  # its name; a type_spec's name is a type_identifier
)


def fix_imports(ctx: TransformContext) -> str | None:
    decl = ctx.root.find(kind="import_declaration")
    if decl is None:
        return None
    head, body = ctx.source[: decl.range().start.index], ctx.source[decl.range().end.index :]
    used = _qualifiers(ctx.root)
    specs = []
    for s in decl.find_all(kind="import_spec"):
        name = s.field("name")
        specs.append((name.text() if name else None, s.field("path").text().strip('"')))
    keep = [(a, p) for a, p in specs if not p.startswith(LEGACY_PREFIXES) or (a or package_name(p)) in used]
    local_names = {
        n.text()
        for n in ctx.root.find_all(kind="identifier")
        if n.parent() and n.parent().kind() in _DECLARING_PARENTS
    } | {s.field("name").text() for s in ctx.root.find_all(kind="type_spec")}
    for short, (path, alias) in OTEL_PACKAGES.items():
        imported = next((a or package_name(p) for a, p in keep if p == path), None)
        # `short` already means something else: a local, or another import (grpc's `codes`)
        taken = short in local_names or any((a or package_name(p)) == short for a, p in keep if p != path)
        if imported is None and taken:
            imported, alias = f"otel{short}", f"otel{short}"
        if imported is not None and imported != short and short in used:
            requalified = _requalify(body, short, imported, only_members=taken)
            if requalified != body:
                body = requalified
                used.add(imported)
        if (imported or short) in used and not any(p == path for _, p in keep):
            keep.append((alias, path))
    for name, path in STANDARD.items():
        if name in used and not any(p == path for _, p in keep):
            keep.append((None, path))
    new = head + _render(keep) + body
    return new if new != ctx.source else None


def _qualifiers(root: SgNode) -> set[str]:
    """The names the code qualifies with (`x` in `x.Y` and `x.T`): the packages it uses. From the syntax
    tree, so a comment or a string that says "trace." uses nothing."""
    names = {n.field("operand").text() for n in root.find_all(kind="selector_expression")}
    names |= {n.field("package").text() for n in root.find_all(kind="qualified_type")}
    return names


def _requalify(body: str, short: str, alias: str, *, only_members: bool) -> str:
    """`trace.X` → `oteltrace.X`. When `trace` also names a local or another import, only for names the
    OTel package declares and the migrated code uses (a local slice has no members; grpc's `codes` has
    `OK`, not `Ok`, and no `Error`)."""
    members = "|".join(OTEL_MEMBERS.get(short, ("$^",))) if only_members else "[A-Z]\\w*"
    return re.sub(rf"(?<![\w.]){short}\.(?=(?:{members})\b)", f"{alias}.", body)


OTEL_MEMBERS = {
    "trace": (
        "Span",
        "SpanContext",
        "Tracer",
        "Link",
        "WithAttributes",
        "WithSpanKind",
        r"SpanKind\w*",
        "WithLinks",
        "WithTimestamp",
        "WithNewRoot",
        "ContextWithSpan",
        "ContextWithSpanContext",
        "SpanFromContext",
        "SpanContextFromContext",
    ),
    "attribute": ("String", "Int", "Int64", "Float64", "Bool", r"\w+Slice", "KeyValue", "Key"),
    "codes": ("Error", "Ok", "Unset"),
    "otel": ("Tracer", "GetTextMapPropagator", "SetTracerProvider", "SetTextMapPropagator"),
    "baggage": ("NewMemberRaw", "FromContext", "ContextWithBaggage"),
    "propagation": ("HeaderCarrier", "MapCarrier", "TraceContext", "Baggage", r"NewComposite\w+"),
    # the constructors ot_tags.py, zipkin_calls.py and the set-up code write (an older semconv version
    # imported next to it keeps its own names)
    "semconv": (
        "SchemaURL",
        "ServiceName",
        "ServicePeerName",
        r"HTTP(?:RequestMethodKey|ResponseStatusCode|Route|RequestBodySize|ResponseBodySize)",
        "URLFull",
        "URLPath",
        "NetworkPeerAddress",
        r"DB(?:QueryText|Namespace|SystemNameKey)",
        "MessagingDestinationName",
        r"(?:Client|Server)(?:Address|Port)",
        "RPCResponseStatusCode",
    ),
}


def _render(specs: list[tuple[str | None, str]]) -> str:
    """An import declaration as gofmt writes it: standard library first, a blank line, the rest."""

    def line(spec: tuple[str | None, str]) -> str:
        alias, path = spec
        return f'{alias + " " if alias else ""}"{path}"'

    if len(specs) == 1:
        return "import " + line(specs[0])
    std = sorted((s for s in specs if "." not in s[1].split("/")[0]), key=lambda s: s[1])
    other = sorted((s for s in specs if "." in s[1].split("/")[0]), key=lambda s: s[1])
    groups = ["\n".join(f"\t{line(s)}" for s in group) for group in (std, other) if group]
    return "import (\n" + "\n\n".join(groups) + "\n)"
