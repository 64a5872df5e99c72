"""OTel Go SDK set-up code generated from jaeger-client-go and zipkin-go tracer set-ups (api-mapping §3.2,
§3.3, §7, §8, §10), and the source-editing helpers the jaeger and zipkin handlers share.

The generated set-up is gofmt-clean at any indentation: continuation lines are indented one tab deeper
than the statement, closing lines at the statement's level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ast_grep_py import SgNode

from otmigrate.config import Settings
from otmigrate.engine import TransformContext
from otmigrate.languages.go.source_edits import Edit, apply_edits, indent_of, line_of

# OTEL_PROPAGATORS-style names → the propagator each one constructs (§8).
PROPAGATORS = {
    "tracecontext": "propagation.TraceContext{}",
    "baggage": "propagation.Baggage{}",
    "b3multi": "b3prop.New(b3prop.WithInjectEncoding(b3prop.B3MultipleHeader))",
    "b3": "b3prop.New()",
    "jaeger": "jaegerprop.Jaeger{}",
}
W3C = ["tracecontext", "baggage"]
SEMCONV = "go.opentelemetry.io/otel/semconv/v1.43.0"
# The qualifier generated code uses → (import alias or None, import path). The contrib propagators and the
# Zipkin exporter are aliased: their package names (b3, jaeger, zipkin) are the legacy packages' names.
IMPORTS = {
    "context": (None, "context"),
    "fmt": (None, "fmt"),
    "otel": (None, "go.opentelemetry.io/otel"),
    "attribute": (None, "go.opentelemetry.io/otel/attribute"),
    "codes": (None, "go.opentelemetry.io/otel/codes"),
    "trace": (None, "go.opentelemetry.io/otel/trace"),
    "propagation": (None, "go.opentelemetry.io/otel/propagation"),
    "resource": (None, "go.opentelemetry.io/otel/sdk/resource"),
    "sdktrace": ("sdktrace", "go.opentelemetry.io/otel/sdk/trace"),
    "semconv": ("semconv", SEMCONV),
    "otlptracehttp": (None, "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"),
    "zipkinexporter": ("zipkinexporter", "go.opentelemetry.io/otel/exporters/zipkin"),
    "b3prop": ("b3prop", "go.opentelemetry.io/contrib/propagators/b3"),
    "jaegerprop": ("jaegerprop", "go.opentelemetry.io/contrib/propagators/jaeger"),
    "otelhttp": (None, "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"),
    "http": (None, "net/http"),
    "otbridge": ("otbridge", "go.opentelemetry.io/otel/bridge/opentracing"),
    "opentracing": (None, "github.com/opentracing/opentracing-go"),
}
# Literal kinds → the attribute constructor for a value of that kind.
ATTRIBUTE_OF_LITERAL = {
    "interpreted_string_literal": "String",
    "raw_string_literal": "String",
    "int_literal": "Int",
    "float_literal": "Float64",
    "true": "Bool",
    "false": "Bool",
}


def fleet_propagators(settings: Settings | None, legacy: str) -> list[str]:
    """W3C plus the legacy format, so the service keeps talking to the not-yet-migrated ones (§8).

    `propagators` in the configuration overrides this, e.g. ["tracecontext", "baggage"] once the whole
    fleet speaks W3C. Go's global propagator is a no-op until set, so the set-up always sets one.
    """
    configured = settings.propagators if settings is not None else None
    if configured is not None:
        return [name for name in configured if name in PROPAGATORS]
    return [*W3C, legacy]


def typed_attribute(key: str, value: SgNode) -> str:
    """`attribute.<T>(key, value)` with T from a literal value; anything else is printed as a string."""
    kind = ATTRIBUTE_OF_LITERAL.get(value.kind())
    if kind is None:
        return f"attribute.String({key}, fmt.Sprint({value.text()}))"
    return f"attribute.{kind}({key}, {value.text()})"


@dataclass
class Setup:
    """One tracer provider set-up: the exporter statement, then the provider and the propagator."""

    exporter_call: str  # e.g. otlptracehttp.New(context.Background(), ...), one option per line
    provider: str = "tp"
    exporter: str = "exporter"
    batch_options: list[str] = field(default_factory=list)
    resource: list[str] = field(default_factory=list)  # attribute expressions; empty: the SDK default
    sampler: str | None = None  # None: the SDK default (OTEL_TRACES_SAMPLER, else parent-based always-on)
    propagators: list[str] = field(default_factory=lambda: list(W3C))

    def exporter_statement(self, err: str, indent: str) -> str:
        return f"{self.exporter}, {err} := {_indented(self.exporter_call, indent)}"

    def provider_statements(self, indent: str) -> str:
        options = []
        if self.exporter:  # none: the legacy reporter dropped the spans (jaeger's null reporter)
            options.append(f"sdktrace.WithBatcher({', '.join([self.exporter, *self.batch_options])})")
        if self.resource:
            attrs = "".join(f"\n\t{a}," for a in self.resource)
            options.append(f"sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL,{attrs}\n))")
        if self.sampler is not None:
            options.append(f"sdktrace.WithSampler({self.sampler})")
        lines = [
            f"{self.provider} := sdktrace.NewTracerProvider("
            + "".join(f"\n\t{_indented(o, chr(9))}," for o in options)
            + "\n)",
            f"otel.SetTracerProvider({self.provider})",
        ]
        if self.propagators:
            parts = "".join(f"\n\t{PROPAGATORS[name]}," for name in self.propagators)
            lines.append(f"otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator({parts}\n))")
        return f"\n{indent}".join(_indented(line, indent) for line in lines)

    def bridged(self, indent: str, scope: str) -> str:
        """The provider statements with the OpenTracing bridge installed: code that stays on OpenTracing
        (kept packages, libraries such as nethttp) gets the bridge as its global tracer and reports to this
        provider, and spans of both APIs see each other in a context (the wrapper provider)."""
        bridge = (
            f'bridgeTracer, wrapperProvider := otbridge.NewTracerPair({self.provider}.Tracer("{scope}"))\n'
            "otel.SetTracerProvider(wrapperProvider)\n"
            "opentracing.SetGlobalTracer(bridgeTracer)"
        )
        return self.provider_statements(indent).replace(
            f"otel.SetTracerProvider({self.provider})", bridge.replace("\n", "\n" + indent)
        )


def nested_value(node: SgNode) -> str:
    """An expression as gofmt prints it two calls deep: binary operators without spaces."""
    if node.kind() == "binary_expression":
        left, right = node.field("left"), node.field("right")
        return f"{nested_value(left)}{node.field('operator').text()}{nested_value(right)}"
    return node.text()


def call_with_options(function: str, first: str, options: list[str]) -> str:
    """`function(first,\\n\\toption,\\n)`, or `function(first)` without options."""
    if not options:
        return f"{function}({first})"
    return f"{function}({first},\n" + "".join(f"\t{o},\n" for o in options) + ")"


def _indented(text: str, indent: str) -> str:
    return text.replace("\n", "\n" + indent)


# --- editing helpers shared by the jaeger and zipkin handlers ---------------------------------------


def named(node: SgNode | None) -> list[SgNode]:
    return [n for n in node.children() if n.is_named()] if node is not None else []


def statement_removal(source: str, statement: SgNode) -> Edit:
    """Remove a statement with its line (and the line break before it)."""
    r = statement.range()
    line_start = source.rfind("\n", 0, r.start.index)
    line_end = source.find("\n", r.end.index)
    return Edit(max(line_start, 0), line_end if line_end != -1 else len(source), "")


def todo(ctx: TransformContext, edits: list[Edit], statement: SgNode, rule: str, reason: str) -> None:
    """`// TODO(otmigrate): reason` above the statement (once), reported as left for a person."""
    ctx.manual(line_of(statement), rule, reason)
    source = ctx.source
    line_start = source.rfind("\n", 0, statement.range().start.index) + 1
    comment = f"// TODO(otmigrate): {reason}"
    previous = source[source.rfind("\n", 0, max(line_start - 1, 0)) + 1 : line_start]
    if comment not in previous:
        edits.append(Edit(line_start, line_start, f"{indent_of(source, statement)}{comment}\n"))


def identifiers(scope: SgNode, name: str) -> list[SgNode]:
    return [n for n in scope.find_all(kind="identifier") if n.text() == name]


def used_elsewhere(function: SgNode, name: str, statements: list[tuple[SgNode, SgNode | None]]) -> bool:
    """Whether `name` occurs in `function` outside the given statements (declarations and their checks)."""
    spans = [
        (n.range().start.index, n.range().end.index) for pair in statements for n in pair if n is not None
    ]
    return any(
        not any(start <= use.range().start.index < end for start, end in spans)
        for use in identifiers(function, name)
    )


def redeclared_first(function: SgNode, name: str, after: SgNode) -> bool:
    """Whether the first use of `name` after `after` declares it again (`x, name := ...`), so that a
    declaration of `name` before it can go."""
    later = [u for u in identifiers(function, name) if u.range().start.index > after.range().end.index]
    if not later:
        return True
    parent = later[0].parent()
    declaration = parent.parent() if parent is not None else None
    return (
        declaration is not None
        and declaration.kind() == "short_var_declaration"
        and parent == declaration.field("left")
    )


def free_name(root: SgNode, wanted: str, fallback: str) -> str:
    """`wanted`, unless the file already uses that identifier."""
    return fallback if identifiers(root, wanted) else wanted


def drop_unused_imports(source: str, root: SgNode, paths: tuple[str, ...]) -> str:
    """Remove imports of `paths` (unaliased) that the code no longer uses, e.g. io after io.Closer went."""
    decl = root.find(kind="import_declaration")
    if decl is None:
        return source
    used = qualifiers(root)
    unused = [
        statement_removal(source, spec)
        for spec in decl.find_all(kind="import_spec")
        if spec.field("name") is None
        and (path := spec.field("path").text().strip('"')) in paths
        and path.rsplit("/", 1)[-1] not in used
    ]
    return apply_edits(source, unused) or source


def qualifiers(root: SgNode) -> set[str]:
    """The names code qualifies with (`x.` of `x.Y`, in expressions and types): comments and strings that
    mention `sdktrace.NewTracerProvider` do not need its import."""
    out = {n.field("package").text() for n in root.find_all(kind="qualified_type")}
    for selector in root.find_all(kind="selector_expression"):
        if (operand := selector.field("operand")) is not None and operand.kind() == "identifier":
            out.add(operand.text())
    return out


def add_imports(source: str, root: SgNode) -> str:
    """Add the imports that the qualifiers used in the code need and the file lacks; the import pass
    then sorts and groups the block."""
    decl = root.find(kind="import_declaration")
    have = {s.field("path").text().strip('"') for s in root.find_all(kind="import_spec")}
    used = qualifiers(root)
    wanted = [
        f'\t{alias + " " if alias else ""}"{path}"\n'
        for qualifier, (alias, path) in IMPORTS.items()
        if path not in have and qualifier in used
    ]
    if not wanted:
        return source
    if decl is None:
        package = root.find(kind="package_clause")
        at = package.range().end.index if package is not None else 0
        return source[:at] + "\n\nimport (\n" + "".join(wanted) + ")" + source[at:]
    r = decl.range()
    if decl.text().startswith("import (") and decl.text().endswith(")"):  # keep its groups and comments
        return source[: r.end.index - 1] + "".join(wanted) + source[r.end.index - 1 :]
    specs = "".join(f"\t{s.text()}\n" for s in decl.find_all(kind="import_spec"))
    return source[: r.start.index] + "import (\n" + specs + "".join(wanted) + ")" + source[r.end.index :]


def single_call(stmt: SgNode | None) -> SgNode | None:
    """The call an assignment's right side consists of, if it is one call."""
    right = named(stmt.field("right")) if stmt is not None else []
    return right[0] if len(right) == 1 and right[0].kind() == "call_expression" else None


def checks_error(stmt: SgNode, err: str) -> bool:
    """Whether `stmt` is the `if` that checks the error variable `err`."""
    return (
        err not in ("", "_")
        and stmt.kind() == "if_statement"
        and re.search(rf"\b{re.escape(err)}\b", stmt.field("condition").text()) is not None
    )
