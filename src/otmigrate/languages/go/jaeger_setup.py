"""jaeger-client-go tracer set-up → OTel SDK tracer provider (api-mapping §3.2, §7, §8, §10).

`cfg.NewTracer(opts...)` / `cfg.InitGlobalTracer(name, opts...)` on a `jaegercfg.Configuration` literal (or
`jaegercfg.FromEnv()`), and the low-level `jaeger.NewTracer(service, sampler, reporter, opts...)`, become an
OTLP/HTTP exporter, a provider with the configured resource, sampler and
batching, installed globally with the fleet propagator (W3C plus Jaeger's or B3's format). The jaeger
tracer value is gone: `opentracing.SetGlobalTracer(tracer)` is dropped (the provider is installed), and the
closer becomes the provider: `closer.Close()` → `tp.Shutdown(ctx)`, also through a set-up function that
returned the closer as an `io.Closer`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ast_grep_py import SgNode, SgRoot

from otmigrate.engine import TransformContext
from otmigrate.languages.go.ot_pass import tracer_name
from otmigrate.languages.go.project import GoProject
from otmigrate.languages.go.sdk_setup import (
    Setup,
    add_imports,
    call_with_options,
    checks_error,
    drop_unused_imports,
    fleet_propagators,
    free_name,
    identifiers,
    named,
    nested_value,
    single_call,
    statement_removal,
    todo,
    typed_attribute,
    used_elsewhere,
)
from otmigrate.languages.go.source_edits import Edit, apply_edits, enclosing_function, indent_of, line_of

JAEGER = "github.com/uber/jaeger-client-go"
OPENTRACING = "github.com/opentracing/opentracing-go"
RULE = "go-jaeger-setup"
OTLP_HTTP_PORT = "4318"
SHUTDOWN = "Shutdown(context.Background())"
REMOTE_SAMPLING = (
    "jaeger's default sampler was remote (initial rate 0.001): ParentBased(TraceIDRatioBased) keeps the "
    "initial rate; go.opentelemetry.io/contrib/samplers/jaegerremote keeps the remote strategies"
)
FROM_ENV = (
    "jaegercfg.FromEnv: rename the JAEGER_* variables to OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, "
    "OTEL_TRACES_SAMPLER(_ARG) and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, which the SDK reads (table in "
    "docs/migration-go.md)"
)
NEW_TRACER = (
    "jaeger.NewTracer(service, sampler, reporter): build an sdktrace.NewTracerProvider with the matching "
    "sampler, an OTLP exporter and the resource (see docs/migration-go.md)"
)
# Configuration fields and options with no OTel counterpart that changes what is traced.
IGNORED_FIELDS = {"RPCMetrics", "Gen128Bit"}
IGNORED_OPTIONS = {"Logger", "Metrics", "MaxTagValueLength", "PoolSpans", "Gen128Bit"}
IGNORED_REPORTER_OPTIONS = {"Logger", "Metrics"}
# jaeger.New*Sampler → the Configuration's sampler type with the same meaning.
SAMPLER_CONSTRUCTORS = {
    "NewConstSampler": "const",
    "NewProbabilisticSampler": "probabilistic",
    "NewRateLimitingSampler": "ratelimiting",
}


class _Unreadable(Exception):
    """A jaeger.NewTracer argument the handler cannot follow to its constructor; the reason goes in a TODO."""


@dataclass
class _Config:
    """What a jaeger Configuration sets: its fields by name, or "from the environment"."""

    fields: dict[str, SgNode]
    declaration: SgNode | None  # the statement that declares the config variable, removed when migrated
    from_env: bool = False
    todos: list[str] = field(default_factory=list)


class _JaegerSetup:
    def __init__(self, ctx: TransformContext, names: dict[str, str]) -> None:
        self.ctx = ctx
        self.src = ctx.source
        self.root = ctx.root
        self.cfg = names.get(f"{JAEGER}/config")
        self.b3 = names.get(f"{JAEGER}/zipkin")
        self.client = names.get(JAEGER)
        self.transport = names.get(f"{JAEGER}/transport")
        self.ot = names.get(OPENTRACING)
        self.edits: list[Edit] = []
        self.closer_functions: list[str] = []  # set-up functions whose io.Closer result became the provider

    def run(self) -> str | None:
        for stmt in self.root.find_all(
            any=[{"kind": "short_var_declaration"}, {"kind": "assignment_statement"}]
        ):
            call = single_call(stmt)
            if call is None or call.field("function").kind() != "selector_expression":
                continue
            method = call.field("function").field("field").text()
            operand = call.field("function").field("operand")
            if method == "NewTracer" and operand.text() == self.client:
                self.migrate_constructor(stmt, call)
            elif method in ("NewTracer", "InitGlobalTracer"):
                config = self.config_of(operand)
                if config is not None:
                    self.migrate(stmt, call, method, config)
        self.callers_of_setup_functions()
        new = apply_edits(self.src, self.edits)
        if new is None:
            return None
        new = drop_unused_imports(new, SgRoot(new, "go").root(), ("io",))
        return add_imports(new, SgRoot(new, "go").root())

    # --- reading the configuration ------------------------------------------------------------------
    def config_of(self, operand: SgNode) -> _Config | None:
        if self.cfg is None:
            return None
        if self.is_configuration(operand):
            return _Config(_fields(operand), None)
        if operand.kind() != "identifier" or (function := enclosing_function(operand)) is None:
            return None
        for decl in function.find_all(kind="short_var_declaration"):
            left, right = named(decl.field("left")), named(decl.field("right"))
            if not left or left[0].text() != operand.text() or len(right) != 1:
                continue
            value = _unaddressed(right[0])  # `cfg := &config.Configuration{…}` as often as the value
            if self.is_configuration(value):
                return _Config(_fields(value), decl)
            if value.kind() == "call_expression" and value.field("function").text() == f"{self.cfg}.FromEnv":
                return _Config({}, decl, from_env=True)
        return None

    def is_configuration(self, node: SgNode) -> bool:
        return node.kind() == "composite_literal" and node.field("type").text() == f"{self.cfg}.Configuration"

    # --- the set-up ----------------------------------------------------------------------------------
    def migrate(self, stmt: SgNode, call: SgNode, method: str, config: _Config) -> None:
        function = enclosing_function(stmt)
        config_name = call.field("function").field("operand")
        if function is None or (
            config.declaration is not None and len(identifiers(function, config_name.text())) != 2
        ):
            todo(
                self.ctx,
                self.edits,
                stmt,
                RULE,
                "the jaeger config is used elsewhere: set the SDK up by hand",
            )
            return
        args = named(call.field("arguments"))
        service = args[0] if method == "InitGlobalTracer" and args else config.fields.get("ServiceName")
        options = args[1:] if method == "InitGlobalTracer" else args
        setup = Setup(
            exporter_call="",
            provider=free_name(self.root, "tp", "tracerProvider"),
            exporter=free_name(self.root, "exporter", "traceExporter"),
        )
        todos = list(config.todos)
        legacy_format = self.read_options(options, setup, todos)
        self.read_fields(config, service, setup, todos)
        setup.propagators = fleet_propagators(self.ctx.settings, legacy_format)
        left = [n.text() for n in named(stmt.field("left"))]
        tracer, closer, err = [*left, "_", "_", "_"][:3] if method == "NewTracer" else ("_", *left[:2])
        indent = indent_of(self.src, stmt)
        r = stmt.range()
        self.edits.append(Edit(r.start.index, r.end.index, setup.exporter_statement(err or "_", indent)))
        check = stmt.next()
        after = check if check is not None and checks_error(check, err) else stmt
        bridged = (
            self.ctx.project.bridge_for(self.ctx.path) if isinstance(self.ctx.project, GoProject) else []
        )
        statements = (
            setup.bridged(indent, tracer_name(self.ctx.path, self.root))
            if bridged
            else setup.provider_statements(indent)
        )
        self.edits.append(Edit(after.range().end.index, after.range().end.index, "\n" + indent + statements))
        for library in bridged:
            self.ctx.bridged(line_of(stmt), RULE, library)
        for reason in todos:
            todo(self.ctx, self.edits, stmt, RULE, reason)
        if config.declaration is not None:
            self.edits.append(statement_removal(self.src, config.declaration))
            self.remove_config_error_check(config)
        self.drop_tracer(function, tracer)
        self.closer_to_provider(function, closer, setup.provider)
        self.ctx.migrated(line_of(stmt), RULE, f"jaeger {method} → OTel SDK tracer provider set-up")

    def read_fields(self, config: _Config, service: SgNode | None, setup: Setup, todos: list[str]) -> None:
        fields = dict(config.fields)
        fields.pop("ServiceName", None)
        service_code = service.text() if service is not None else None
        if service_code is None and self.ctx.settings.service_name:
            service_code = json.dumps(self.ctx.settings.service_name)
        if config.from_env:
            todos.append(FROM_ENV)
            if service_code is not None:
                setup.resource.append(f"semconv.ServiceName({service_code})")
            setup.exporter_call = "otlptracehttp.New(context.Background())"
            return
        setup.resource.append(f"semconv.ServiceName({service_code or json.dumps('unknown_service')})")
        tags = fields.pop("Tags", None)
        if tags is not None:
            setup.resource += self.tags(tags, todos)
        setup.sampler = _sampler(_fields(_unaddressed(fields.pop("Sampler", None))), todos)
        setup.exporter_call = _exporter(_fields(_unaddressed(fields.pop("Reporter", None))), setup, todos)
        for name in fields:
            if name not in IGNORED_FIELDS:
                todos.append(f"jaeger Configuration.{name} has no OTel SDK counterpart here")

    def tags(self, tags: SgNode, todos: list[str]) -> list[str]:
        """`[]opentracing.Tag{{Key: k, Value: v}, ...}` → typed resource attributes."""
        if tags.kind() != "composite_literal":
            todos.append("jaeger config Tags is not a literal: add them to the resource by hand")
            return []
        attrs = []
        for element in named(tags.field("body")):
            tag = _fields(named(element)[0] if named(element) else None)
            if "Key" in tag and "Value" in tag:
                attrs.append(typed_attribute(tag["Key"].text(), tag["Value"]))
        return attrs

    def read_options(self, options: list[SgNode], setup: Setup, todos: list[str]) -> str:
        """NewTracer options; returns the legacy wire format they configure (B3 or Jaeger's own)."""
        legacy = "jaeger"
        for option in options:
            function = option.field("function").text() if option.kind() == "call_expression" else ""
            name = self.option_name(function)
            args = named(option.field("arguments")) if function else []
            if name in ("Injector", "Extractor") and len(args) == 2 and self.is_b3_propagator(args[1]):
                legacy = "b3multi"
            elif name == "Tag" and len(args) == 2:
                setup.resource.append(typed_attribute(args[0].text(), args[1]))
            elif name == "ZipkinSharedRPCSpan":
                todos.append(
                    "ZipkinSharedRPCSpan is not supported: the OTel server span gets its own span id"
                )
            elif name not in IGNORED_OPTIONS:
                todos.append(f"jaeger option {option.text()} has no OTel SDK counterpart here")
        return legacy

    def option_name(self, function: str) -> str:
        """`jaegercfg.Tag` (a config option) and `jaeger.TracerOptions.Tag` (a tracer option) → `Tag`."""
        for package in (self.cfg, self.client and f"{self.client}.TracerOptions"):
            if package and function.startswith(f"{package}."):
                return function.removeprefix(f"{package}.")
        return function

    def is_b3_propagator(self, node: SgNode) -> bool:
        """`zipkin.NewZipkinB3HTTPHeaderPropagator()`, inline or through a variable (then removed)."""
        constructor = f"{self.b3}.NewZipkinB3HTTPHeaderPropagator()"
        if node.text() == constructor:
            return True
        function = enclosing_function(node)
        if self.b3 is None or node.kind() != "identifier" or function is None:
            return False
        for decl in function.find_all(kind="short_var_declaration"):
            left, right = named(decl.field("left")), named(decl.field("right"))
            if left and left[0].text() == node.text() and right and right[0].text() == constructor:
                removal = statement_removal(self.src, decl)
                if removal not in self.edits:
                    self.edits.append(removal)
                return True
        return False

    def remove_config_error_check(self, config: _Config) -> None:
        """`cfg, err := jaegercfg.FromEnv()` goes; so does the `if err != nil` right after it."""
        assert config.declaration is not None
        left = named(config.declaration.field("left"))
        check = config.declaration.next()
        if len(left) == 2 and check is not None and checks_error(check, left[1].text()):
            self.edits.append(statement_removal(self.src, check))

    # --- jaeger.NewTracer(service, sampler, reporter, opts...) -------------------------------------------
    def migrate_constructor(self, stmt: SgNode, call: SgNode) -> None:
        """The same set-up as a Configuration's, read from the sampler, reporter and transport constructors
        (inline, or in variables declared for this call only, which go with their error checks)."""
        function = enclosing_function(stmt)
        args = named(call.field("arguments"))
        left = [n.text() for n in named(stmt.field("left"))]
        if function is None or len(args) < 3 or len(left) != 2:
            todo(self.ctx, self.edits, stmt, RULE, NEW_TRACER)
            return
        setup = Setup(
            exporter_call="",
            provider=free_name(self.root, "tp", "tracerProvider"),
            exporter=free_name(self.root, "exporter", "traceExporter"),
            resource=[f"semconv.ServiceName({args[0].text()})"],
        )
        todos: list[str] = []
        declarations: list[tuple[SgNode, SgNode | None]] = []  # (variable declaration, its error check)
        try:
            sampler = self.resolve(function, stmt, args[1], declarations)
            kind = SAMPLER_CONSTRUCTORS.get(self.member(sampler), sampler.text())
            setup.sampler = _root_sampler(kind, (named(sampler.field("arguments")) or [None])[0], todos)
            remotes = self.remote_reporters(function, stmt, args[2], declarations, todos)
            if len(remotes) > 1:
                raise _Unreadable(
                    "several remote reporters: one exporter each (sdktrace.WithBatcher per exporter)"
                )
            if remotes:
                fields = self.reporter_fields(function, stmt, remotes[0], declarations, todos)
                setup.exporter_call = _exporter(fields, setup, todos)
            else:
                setup.exporter = ""
            checked = sorted(
                (d for d in declarations if d[1] is not None), key=lambda d: d[0].range().start.index
            )
            if checked and not setup.exporter and used_elsewhere(function, _error_of(checked[0][0]), checked):
                raise _Unreadable(f"{_error_of(checked[0][0])} is used after the set-up: declare it there")
        except _Unreadable as unreadable:
            todo(self.ctx, self.edits, stmt, RULE, f"{NEW_TRACER}; {unreadable}")
            return
        setup.propagators = fleet_propagators(self.ctx.settings, self.read_options(args[3:], setup, todos))
        indent = indent_of(self.src, stmt)
        provider = setup.provider_statements(indent)
        if setup.exporter and checked:  # the first checked declaration becomes the exporter's, check kept
            first = checked.pop(0)[0]
            declarations = [d for d in declarations if d[0] != first]
            self.replace(first, setup.exporter_statement(_error_of(first), indent))
        elif setup.exporter:  # the transports did not fail; the OTel global error handler logs
            check = f"if err != nil {{\n{indent}\totel.Handle(err)\n{indent}}}"
            provider = f"{setup.exporter_statement('err', indent)}\n{indent}{check}\n{indent}{provider}"
        for declaration, check in declarations:
            self.edits.append(statement_removal(self.src, declaration))
            if check is not None:
                self.edits.append(statement_removal(self.src, check))
        self.replace(stmt, provider)
        for reason in todos:
            todo(self.ctx, self.edits, stmt, RULE, reason)
        self.drop_tracer(function, left[0])
        self.closer_to_provider(function, left[1], setup.provider)
        self.ctx.migrated(line_of(stmt), RULE, "jaeger.NewTracer → OTel SDK tracer provider set-up")

    def member(self, call: SgNode) -> str:
        """`jaeger.NewConstSampler(true)` → `NewConstSampler`."""
        return call.field("function").text().removeprefix(f"{self.client}.")

    def resolve(
        self, function: SgNode, stmt: SgNode, node: SgNode, declarations: list[tuple[SgNode, SgNode | None]]
    ) -> SgNode:
        """The constructor call an argument is: inline, or the only value of a variable declared before
        `stmt` in its block and used once."""
        if node.kind() == "call_expression":
            return node
        if node.kind() == "identifier" and len(identifiers(function, node.text())) == 2:
            for decl in function.find_all(kind="short_var_declaration"):
                left, call = named(decl.field("left")), single_call(decl)
                if (
                    call is not None
                    and left
                    and left[0].text() == node.text()
                    and len(left) <= 2
                    and decl.parent() == stmt.parent()
                    and decl.range().end.index < stmt.range().start.index
                ):
                    check = decl.next()
                    checked = check is not None and len(left) == 2 and checks_error(check, left[1].text())
                    declarations.append((decl, check if checked else None))
                    return call
        raise _Unreadable(f"{node.text()} is not built in this function for the tracer only")

    def remote_reporters(
        self,
        function: SgNode,
        stmt: SgNode,
        node: SgNode,
        declarations: list[tuple[SgNode, SgNode | None]],
        todos: list[str],
    ) -> list[SgNode]:
        """The NewRemoteReporter calls a reporter consists of (a composite one flattened). The null reporter
        and an in-memory one nobody reads export nothing."""
        call = self.resolve(function, stmt, node, declarations)
        name = self.member(call)
        if name == "NewCompositeReporter":
            parts = named(call.field("arguments"))
            return [r for p in parts for r in self.remote_reporters(function, stmt, p, declarations, todos)]
        if name == "NewRemoteReporter" and named(call.field("arguments")):
            return [call]
        if name == "NewLoggingReporter":
            todos.append(
                "jaeger's logging reporter: log spans with sdktrace.WithSyncer(<stdouttrace exporter>)"
            )
            return []
        if name in ("NewNullReporter", "NewInMemoryReporter"):
            return []
        raise _Unreadable(f"the reporter {call.text()} is not one of jaeger-client-go's")

    def reporter_fields(
        self,
        function: SgNode,
        stmt: SgNode,
        reporter: SgNode,
        declarations: list[tuple[SgNode, SgNode | None]],
        todos: list[str],
    ) -> dict[str, SgNode]:
        """`NewRemoteReporter(transport, opts...)` → the ReporterConfig fields with the same settings."""
        transport_arg, *options = named(reporter.field("arguments"))
        transport = self.resolve(function, stmt, transport_arg, declarations)
        constructor = transport.field("function").text()
        address = (named(transport.field("arguments")) or [None])[0]
        if constructor == f"{self.client}.NewUDPTransport" and address is not None:
            fields = {"LocalAgentHostPort": address}
        elif constructor == f"{self.transport}.NewHTTPTransport" and address is not None:
            fields = {"CollectorEndpoint": address}
            todos += [
                f"jaeger transport option {o.text()} is not migrated"
                for o in named(transport.field("arguments"))[1:]
            ]
        else:
            raise _Unreadable(f"the transport {transport.text()} is not jaeger's UDP or HTTP transport")
        for option in options:
            function_name = option.field("function").text() if option.kind() == "call_expression" else ""
            name = function_name.removeprefix(f"{self.client}.ReporterOptions.")
            if name in ("QueueSize", "BufferFlushInterval") and named(option.field("arguments")):
                fields[name] = named(option.field("arguments"))[0]
            elif name not in IGNORED_REPORTER_OPTIONS:
                todos.append(f"jaeger reporter option {option.text()} is not migrated")
        return fields

    # --- what used the jaeger tracer and closer --------------------------------------------------------
    def drop_tracer(self, function: SgNode, tracer: str) -> None:
        if tracer == "_":
            return
        for use in identifiers(function, tracer)[1:]:
            call = use.parent().parent() if use.parent() is not None else None
            statement = call.parent() if call is not None else None
            if (
                call is not None
                and statement is not None
                and call.kind() == "call_expression"
                and call.field("function").text() == f"{self.ot}.SetGlobalTracer"
            ):
                self.edits.append(statement_removal(self.src, statement))
            else:
                todo(
                    self.ctx,
                    self.edits,
                    _statement(use),
                    RULE,
                    "the jaeger tracer is used here: use otel.Tracer(name)",
                )

    def closer_to_provider(self, function: SgNode, closer: str, provider: str) -> None:
        if closer == "_":
            return
        for use in identifiers(function, closer)[1:]:
            selector = use.parent()
            if selector is not None and selector.kind() == "selector_expression":
                if selector.field("field").text() == "Close":
                    self.replace(selector.parent(), f"{provider}.{SHUTDOWN}")
                continue
            self.replace(use, provider)
            result = function.field("result")
            if result is not None and "io.Closer" in result.text() and function.field("name") is not None:
                self.replace(result, result.text().replace("io.Closer", "*sdktrace.TracerProvider"))
                self.closer_functions.append(function.field("name").text())

    def callers_of_setup_functions(self) -> None:
        """`closer, err := initTracer()` … `closer.Close()` → `closer.Shutdown(ctx)` in the callers."""
        for name in self.closer_functions:
            for call in self.root.find_all(kind="call_expression"):
                if call.field("function").text() != name or (stmt := call.parent()) is None:
                    continue
                stmt = stmt.parent()
                if stmt is None or stmt.kind() not in ("short_var_declaration", "assignment_statement"):
                    continue
                closer = named(stmt.field("left"))[0].text()
                function = enclosing_function(stmt)
                for close in function.find_all(kind="call_expression") if function else []:
                    if close.field("function").text() == f"{closer}.Close":
                        self.replace(close, f"{closer}.{SHUTDOWN}")

    def replace(self, node: SgNode | None, text: str) -> None:
        if node is not None:
            r = node.range()
            self.edits.append(Edit(r.start.index, r.end.index, text))


def _statement(node: SgNode) -> SgNode:
    for ancestor in node.ancestors():
        if ancestor.parent() is not None and ancestor.parent().kind() in ("block", "statement_list"):
            return ancestor
    return node


def _unaddressed(node: SgNode | None) -> SgNode | None:
    """`&T{...}` → `T{...}`."""
    if node is not None and node.kind() == "unary_expression" and node.field("operand") is not None:
        return node.field("operand")
    return node


def _fields(literal: SgNode | None) -> dict[str, SgNode]:
    """The keyed fields of a composite literal (or of a bare `{...}` literal value)."""
    if literal is None:
        return {}
    body = literal.field("body") if literal.kind() == "composite_literal" else literal
    out = {}
    for element in body.children() if body is not None else []:
        if element.kind() == "keyed_element":
            key, value = named(element)
            out[key.text()] = named(value)[0] if value.kind() == "literal_element" else value
    return out


def _literal(node: SgNode | None) -> str | int | float | None:
    if node is None:
        return None
    text = node.text()
    if node.kind() in ("true", "false"):
        return int(text == "true")
    if node.kind() == "interpreted_string_literal":
        return json.loads(text)
    if node.kind() == "int_literal":
        return int(text)
    if node.kind() == "float_literal":
        return float(text)
    return None


SAMPLER_TYPES = {"SamplerTypeConst": "const", "SamplerTypeProbabilistic": "probabilistic"}


def _sampler(fields: dict[str, SgNode], todos: list[str]) -> str:
    """§7: a Configuration's SamplerConfig."""
    kind_node = fields.get("Type")
    kind = _literal(kind_node)
    if kind is None and kind_node is not None:
        kind = SAMPLER_TYPES.get(kind_node.text().split(".")[-1], kind_node.text())
    return _root_sampler(str(kind).lower() if kind is not None else "remote", fields.get("Param"), todos)


def _root_sampler(kind: str, param: SgNode | None, todos: list[str]) -> str:
    """§7: the jaeger sampler as the root of ParentBased (jaeger consults it for root spans only)."""
    if kind == "const":
        value = _literal(param) if param is not None else 0
        if isinstance(value, int | float):
            return f"sdktrace.ParentBased(sdktrace.{'AlwaysSample' if value else 'NeverSample'}())"
        todos.append("the const sampler's Param is computed: choose AlwaysSample or NeverSample")
        return "sdktrace.ParentBased(sdktrace.AlwaysSample())"
    if kind == "probabilistic" and param is not None:
        return f"sdktrace.ParentBased(sdktrace.TraceIDRatioBased({param.text()}))"
    if kind in ("remote", ""):
        todos.append(REMOTE_SAMPLING)
        rate = param.text() if param is not None else "0.001"
        return f"sdktrace.ParentBased(sdktrace.TraceIDRatioBased({rate}))"
    todos.append(f"jaeger sampler type {kind!r} has no OTel SDK sampler (jaegerremote or tail sampling)")
    return "sdktrace.ParentBased(sdktrace.AlwaysSample())"


def _exporter(fields: dict[str, SgNode], setup: Setup, todos: list[str]) -> str:
    """§10: the reporter's agent or collector address → an OTLP/HTTP exporter on the same host."""
    options = []
    agent, collector = fields.pop("LocalAgentHostPort", None), fields.pop("CollectorEndpoint", None)
    if isinstance(address := _literal(agent), str) and ":" in address:
        options += [f'otlptracehttp.WithEndpoint("{address.rsplit(":", 1)[0]}:{OTLP_HTTP_PORT}")']
        options.append("otlptracehttp.WithInsecure()")
    elif agent is not None:
        todos.append(
            f"the jaeger agent address is computed ({agent.text()}): set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT "
            f"to the collector's OTLP/HTTP endpoint (port {OTLP_HTTP_PORT})"
        )
        options.append("otlptracehttp.WithInsecure()")
    if isinstance(url := _literal(collector), str):
        m = re.match(r"(https?://[^/:]+)(:\d+)?", url)
        base = m.group(1) if m else url
        options.append(f'otlptracehttp.WithEndpointURL("{base}:{OTLP_HTTP_PORT}/v1/traces")')
    elif collector is not None:
        todos.append(f"the jaeger collector endpoint is computed ({collector.text()}): set the OTLP endpoint")
    if (queue := fields.pop("QueueSize", None)) is not None:
        setup.batch_options.append(f"sdktrace.WithMaxQueueSize({nested_value(queue)})")
    if (interval := fields.pop("BufferFlushInterval", None)) is not None:
        setup.batch_options.append(f"sdktrace.WithBatchTimeout({nested_value(interval)})")
    for name in fields:
        todos.append(f"jaeger ReporterConfig.{name} is not migrated (see docs/migration-go.md)")
    return call_with_options("otlptracehttp.New", "context.Background()", options)


def _error_of(declaration: SgNode) -> str:
    """`x, err := ...` → `err`."""
    return named(declaration.field("left"))[-1].text()


def migrate_jaeger(ctx: TransformContext) -> str | None:
    """The jaeger-client-go set-up handler (rule go-jaeger-setup)."""
    names = {b.module: b.local for b in ctx.bindings}
    if f"{JAEGER}/config" not in names and JAEGER not in names:
        return None
    return _JaegerSetup(ctx, names).run()
