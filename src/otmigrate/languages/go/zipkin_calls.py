"""zipkin-go → OTel Go (api-mapping §3.3, §7, §8, §10): tracer set-up, span starts, span methods, B3
propagation and the HTTP middleware.

zipkin-go has no global tracer: a `*zipkin.Tracer` is passed around or kept in a variable. The set-up
installs the SDK provider globally (with W3C + B3 propagation) and the tracer variable becomes
`otel.Tracer(<scope>)`, a `trace.Tracer`; the types `*zipkin.Tracer` / `zipkin.Span` become `trace.Tracer` /
`trace.Span`. `StartSpan` without `zipkin.Parent` starts a root span, so it gets `context.Background()`;
with `Parent(sc)` the parent context is derived from where `sc` came from.
"""

from __future__ import annotations

import json
import re

from ast_grep_py import SgNode, SgRoot

from otmigrate.engine import TransformContext
from otmigrate.languages.go.ot_pass import tracer_name
from otmigrate.languages.go.sdk_setup import (
    Setup,
    add_imports,
    call_with_options,
    checks_error,
    drop_unused_imports,
    fleet_propagators,
    free_name,
    named,
    nested_value,
    redeclared_first,
    single_call,
    statement_removal,
    todo,
)
from otmigrate.languages.go.source_edits import (
    Edit,
    apply_edits,
    enclosing_function,
    enclosing_statement,
    indent_of,
    line_of,
)

ZIPKIN = "github.com/openzipkin/zipkin-go"
# Report lines go under the rule (rules/go/zipkin.yml) that describes the mapping.
SETUP_RULE = "go-zipkin-tracer"
START_RULE = "go-zipkin-start-span"
SPAN_RULE = "go-zipkin-span-methods"
B3_RULE = "go-zipkin-b3"
MIDDLEWARE_RULE = "go-zipkin-http-middleware"
SHUTDOWN = "Shutdown(context.Background())"
PROPAGATOR = "otel.GetTextMapPropagator()"
NAME_AS_OPERATION = "func(operation string, _ *http.Request) string { return operation }"
KINDS = {"Client": "Client", "Server": "Server", "Producer": "Producer", "Consumer": "Consumer"}
# zipkin.Tag* constants and their tag names → the semantic-convention attribute for a string value (§3.3).
TAGS = {
    "TagHTTPMethod": ("http.method", "semconv.HTTPRequestMethodKey.String({})"),
    "TagHTTPPath": ("http.path", "semconv.URLPath({})"),
    "TagHTTPUrl": ("http.url", "semconv.URLFull({})"),
    "TagHTTPRoute": ("http.route", "semconv.HTTPRoute({})"),
    "TagSQLQuery": ("sql.query", "semconv.DBQueryText({})"),
    "TagGRPCStatusCode": ("grpc.status_code", "semconv.RPCResponseStatusCode({})"),
    "TagHTTPStatusCode": ("http.status_code", "semconv.HTTPResponseStatusCode({})"),
    "TagHTTPRequestSize": ("http.request.size", "semconv.HTTPRequestBodySize({})"),
    "TagHTTPResponseSize": ("http.response.size", "semconv.HTTPResponseBodySize({})"),
}
INT_TAGS = {"TagHTTPStatusCode", "TagHTTPRequestSize", "TagHTTPResponseSize"}
TAG_OF_KEY = {key: name for name, (key, _) in TAGS.items()}
# zipkin.Span methods with no call-for-call OTel counterpart, and what to do instead.
UNMIGRATED_SPAN_METHODS = {
    "FinishedWithDuration": "end it with span.End(trace.WithTimestamp(start.Add(d)))",
    "SetRemoteEndpoint": "set semconv.ServicePeerName / ServerAddress / ServerPort attributes",
    "Flush": "spans are exported by the provider (tp.ForceFlush flushes them all)",
}
REPORTER_OPTIONS = {
    "BatchSize": "sdktrace.WithMaxExportBatchSize",
    "BatchInterval": "sdktrace.WithBatchTimeout",
    "MaxBacklog": "sdktrace.WithMaxQueueSize",
}


class _ZipkinMigration:
    def __init__(self, ctx: TransformContext, names: dict[str, str]) -> None:
        self.ctx = ctx
        self.src = ctx.source
        self.root = ctx.root
        self.zipkin = names.get(ZIPKIN)
        self.model = names.get(f"{ZIPKIN}/model")
        self.b3 = names.get(f"{ZIPKIN}/propagation/b3")
        self.middleware = names.get(f"{ZIPKIN}/middleware/http")
        self.reporter = names.get(f"{ZIPKIN}/reporter/http")
        self.edits: list[Edit] = []
        self.tracer = f'otel.Tracer("{tracer_name(ctx.path, self.root)}")'
        self.spans: dict[str, str] = {}  # span variable → the context variable holding it (or "")
        self.extracted: set[str] = set()  # variables that now hold an extracted context
        self.closes_reporter = False  # the set-up's function closed the reporter (defer rep.Close())
        self.migrated_calls: set[int] = set()  # start offsets of calls a statement-level rewrite replaced

    def q(self, package: str | None, member: str) -> str | None:
        return f"{package}.{member}" if package else None

    def edit(self, node: SgNode, text: str, message: str, rule: str = SPAN_RULE) -> None:
        r = node.range()
        self.edits.append(Edit(r.start.index, r.end.index, text))
        self.ctx.migrated(line_of(node), rule, message)

    def run(self) -> str | None:
        for stmt in self.root.find_all(
            any=[{"kind": "short_var_declaration"}, {"kind": "assignment_statement"}]
        ):
            call = single_call(stmt)
            if call is None:
                continue
            function = call.field("function").text()
            if function == self.q(self.zipkin, "NewTracer"):
                self.setup(stmt, call)
            elif function.endswith((".StartSpan", ".StartSpanFromContext")) and self.zipkin:
                self.start(stmt, call)
            elif function == self.q(self.zipkin, "SpanFromContext") and len(named(stmt.field("left"))) == 1:
                self.spans[named(stmt.field("left"))[0].text()] = ""
                self.nil_checks(stmt, named(stmt.field("left"))[0].text())
            elif function.endswith(".Extract") and self.is_b3_extract(named(call.field("arguments"))):
                self.extract(stmt, call)
            elif function in (self.q(self.middleware, "NewClient"), self.q(self.middleware, "NewTransport")):
                self.http_client(stmt, call)
        span_type = self.q(self.zipkin, "Span")
        for param in self.root.find_all(kind="parameter_declaration"):
            kind = param.field("type")
            if span_type and kind is not None and kind.text() == span_type:
                self.spans.update({n.text(): "" for n in param.children() if n.kind() == "identifier"})
        self.calls()
        self.types()
        new = apply_edits(self.src, self.edits)
        if new is None:
            return None
        new = drop_unused_imports(new, SgRoot(new, "go").root(), ("strconv",))  # strconv.Itoa of int tags
        return add_imports(new, SgRoot(new, "go").root())

    # --- set-up --------------------------------------------------------------------------------------
    def setup(self, stmt: SgNode, call: SgNode) -> None:
        function = enclosing_function(stmt)
        args = named(call.field("arguments"))
        left = [n.text() for n in named(stmt.field("left"))]
        if function is None or not args or len(left) != 2:
            todo(
                self.ctx,
                self.edits,
                stmt,
                SETUP_RULE,
                "zipkin.NewTracer: set the OTel SDK provider up by hand",
            )
            return
        if any(o.text() == f"{self.zipkin}.WithNoopTracer(true)" for o in args[1:]):
            self.noop_tracer(stmt, left)
            return
        todos: list[str] = []
        self.closes_reporter = False
        setup = Setup(
            exporter_call="",
            provider=free_name(self.root, "tp", "tracerProvider"),
            exporter=free_name(self.root, "exporter", "traceExporter"),
            resource=[],
            sampler="sdktrace.ParentBased(sdktrace.AlwaysSample())",  # zipkin-go's default sampler
            propagators=fleet_propagators(self.ctx.settings, "b3multi"),
        )
        setup.exporter_call = self.exporter(function, args[0], setup, todos)
        service = None
        for option in args[1:]:
            service = self.tracer_option(function, option, setup, todos) or service
        if service is None and self.ctx.settings.service_name:
            service = json.dumps(self.ctx.settings.service_name)
        if service is not None:
            setup.resource.append(f"semconv.ServiceName({service})")
        tracer, err = left
        indent = indent_of(self.src, stmt)
        check = stmt.next()
        after = check if check is not None and checks_error(check, err) else stmt
        op = ":=" if stmt.kind() == "short_var_declaration" else "="
        tail = [setup.provider_statements(indent)]
        if self.closes_reporter:
            tail.append(f"defer {setup.provider}.{SHUTDOWN}")
        tail.append(f"{tracer} {op} {self.tracer}")
        r = stmt.range()
        self.edits.append(Edit(r.start.index, r.end.index, setup.exporter_statement(err, indent)))
        at = after.range().end.index
        self.edits.append(Edit(at, at, "".join(f"\n{indent}{t}" for t in tail)))
        for reason in todos:
            todo(self.ctx, self.edits, stmt, SETUP_RULE, reason)
        self.ctx.migrated(line_of(stmt), SETUP_RULE, "zipkin.NewTracer → OTel SDK tracer provider set-up")

    def noop_tracer(self, stmt: SgNode, left: list[str]) -> None:
        """`zipkin.NewTracer(r, zipkin.WithNoopTracer(true))` (tests, disabled tracing) → an OTel no-op
        tracer: no provider installed, nothing exported (not the SDK set-up with an exporter)."""
        tracer, err = left
        op = ":=" if stmt.kind() == "short_var_declaration" else "="
        scope = self.tracer.removeprefix("otel.Tracer(").removesuffix(")")
        r = stmt.range()
        self.edits.append(
            Edit(
                r.start.index,
                r.end.index,
                f"{tracer}, {err} {op} noop.NewTracerProvider().Tracer({scope}), error(nil)",
            )
        )
        self.ctx.migrated(line_of(stmt), SETUP_RULE, "zipkin no-op tracer → OTel no-op tracer")

    def exporter(self, function: SgNode, reporter: SgNode, setup: Setup, todos: list[str]) -> str:
        """`reporterhttp.NewReporter(url, opts...)` (through a variable) → the OTel Zipkin exporter."""
        decl = _declaration(function, reporter.text()) if reporter.kind() == "identifier" else None
        call = single_call(decl) if decl is not None else None
        if call is None or call.field("function").text() != self.q(self.reporter, "NewReporter"):
            todos.append("this zipkin reporter is not reporterhttp.NewReporter: choose the OTel exporter")
            return "otlptracehttp.New(context.Background())"
        args = named(call.field("arguments"))
        self.edits.append(statement_removal(self.src, decl))
        for use in function.find_all(kind="call_expression"):
            if use.field("function").text() == f"{reporter.text()}.Close" and use.parent() is not None:
                self.edits.append(statement_removal(self.src, use.parent()))
                self.closes_reporter = True
        for option in args[1:]:
            name = (
                option.field("function").text().removeprefix(f"{self.reporter}.")
                if option.kind() == "call_expression"
                else ""
            )
            if name in REPORTER_OPTIONS:
                setup.batch_options.append(
                    f"{REPORTER_OPTIONS[name]}({nested_value(named(option.field('arguments'))[0])})"
                )
            else:
                todos.append(f"zipkin reporter option {option.text()} is not migrated")
        return call_with_options("zipkinexporter.New", args[0].text(), [])

    def tracer_option(self, function: SgNode, option: SgNode, setup: Setup, todos: list[str]) -> str | None:
        """One NewTracer option; returns the service name when it sets the local endpoint."""
        name = (
            option.field("function").text().removeprefix(f"{self.zipkin}.")
            if option.kind() == "call_expression"
            else ""
        )
        args = named(option.field("arguments")) if name else []
        if name == "WithLocalEndpoint" and args and args[0].kind() == "identifier":
            decl = _declaration(function, args[0].text())
            call = single_call(decl) if decl is not None else None
            if call is not None and call.field("function").text() == self.q(self.zipkin, "NewEndpoint"):
                self.edits.append(statement_removal(self.src, decl))
                left = named(decl.field("left"))
                check = decl.next()
                if len(left) == 2 and check is not None and checks_error(check, left[1].text()):
                    self.edits.append(statement_removal(self.src, check))
                return named(call.field("arguments"))[0].text()
        if name == "WithSampler" and args:
            setup.sampler = self.sampler(function, args[0], todos)
            return None
        if name != "WithTraceID128Bit":  # OTel trace ids are always 128-bit
            todos.append(f"zipkin tracer option {option.text()} is not migrated")
        return None

    def sampler(self, function: SgNode, node: SgNode, todos: list[str]) -> str:
        """§7: zipkin-go samplers as the root of ParentBased; rates match, per-trace decisions differ."""
        text = node.text()
        if text == self.q(self.zipkin, "AlwaysSample"):
            return "sdktrace.ParentBased(sdktrace.AlwaysSample())"
        if text == self.q(self.zipkin, "NeverSample"):
            return "sdktrace.ParentBased(sdktrace.NeverSample())"
        decl = _declaration(function, text) if node.kind() == "identifier" else None
        call = single_call(decl) if decl is not None else node
        constructor = (
            call.field("function").text() if call is not None and call.kind() == "call_expression" else ""
        )
        args = named(call.field("arguments")) if constructor else []
        rate = {
            self.q(self.zipkin, "NewModuloSampler"): lambda: _inverse(args[0]),
            self.q(self.zipkin, "NewBoundarySampler"): lambda: args[0].text(),
            self.q(self.zipkin, "NewCountingSampler"): lambda: args[0].text(),
        }.get(constructor)
        if rate is None or not args:
            todos.append(f"zipkin sampler {text} has no OTel counterpart here")
            return "sdktrace.ParentBased(sdktrace.AlwaysSample())"
        if decl is not None:  # `s, err := zipkin.NewCountingSampler(r)` and its check go with it
            self.edits.append(statement_removal(self.src, decl))
            left, check = named(decl.field("left")), decl.next()
            if len(left) == 2 and check is not None and checks_error(check, left[1].text()):
                self.edits.append(statement_removal(self.src, check))
        return f"sdktrace.ParentBased(sdktrace.TraceIDRatioBased({rate()}))"

    def nil_checks(self, stmt: SgNode, span: str) -> None:
        """§1.3: zipkin.SpanFromContext returns nil without a span, trace.SpanFromContext a no-op span."""
        function = enclosing_function(stmt)
        for check in function.find_all(kind="binary_expression") if function is not None else []:
            operands = {check.field("left").text(), check.field("right").text()}
            operator = check.field("operator").text()
            if operands == {span, "nil"} and operator in ("!=", "=="):
                valid = f"{span}.SpanContext().IsValid()"
                self.edit(
                    check,
                    valid if operator == "!=" else f"!{valid}",
                    "nil span check → SpanContext().IsValid()",
                )

    # --- span starts ----------------------------------------------------------------------------------
    def start(self, stmt: SgNode, call: SgNode) -> None:
        left = [n.text() for n in named(stmt.field("left"))]
        args = named(call.field("arguments"))
        from_context = call.field("function").text().endswith("FromContext")
        tracer = call.field("function").field("operand").text()
        if from_context:
            if len(left) != 2 or len(args) < 2:
                return
            parent, name, options = args[0].text(), args[1], args[2:]
            span, ctx_var = left
        else:
            if len(left) != 1 or not args:
                return
            parent, name, options = "context.Background()", args[0], args[1:]
            span, ctx_var = left[0], "_"
        translated = []
        for option in options:
            result = self.start_option(option)
            if result is None:
                todo(
                    self.ctx,
                    self.edits,
                    stmt,
                    START_RULE,
                    f"zipkin span option {option.text()} is not migrated",
                )
                return
            if result.startswith("parent:"):
                parent = result.removeprefix("parent:")
            else:
                translated.append(result)
        op = ":=" if stmt.kind() == "short_var_declaration" else "="
        call_args = ", ".join([parent, name.text(), *translated])
        self.spans[span] = ctx_var if ctx_var != "_" else ""
        self.edit(
            stmt,
            f"{ctx_var}, {span} {op} {tracer}.Start({call_args})",
            "zipkin span start → Tracer.Start (ctx, span)",
            START_RULE,
        )

    def start_option(self, option: SgNode) -> str | None:
        function = option.field("function").text() if option.kind() == "call_expression" else ""
        name = function.removeprefix(f"{self.zipkin}.")
        args = named(option.field("arguments")) if function else []
        if name == "Kind" and args and args[0].text().removeprefix(f"{self.model}.") in KINDS:
            return f"trace.WithSpanKind(trace.SpanKind{KINDS[args[0].text().removeprefix(f'{self.model}.')]})"
        if name == "StartTime" and args:
            return f"trace.WithTimestamp({args[0].text()})"
        if name == "Tags" and args and args[0].kind() == "composite_literal":
            attrs = []
            for element in named(args[0].field("body")):
                key, value = (named(e)[0] if named(e) else e for e in named(element))
                attr = self.attribute(key.text(), value)
                if attr is None:
                    return None
                attrs.append(attr)
            return f"trace.WithAttributes({', '.join(attrs)})"
        if name == "Parent" and args:
            return "parent:" + p if (p := self.parent_context(args[0])) else None
        return None

    def parent_context(self, sc: SgNode) -> str | None:
        """The context for `zipkin.Parent(sc)`: an extracted one, or one holding `x` of `x.Context()`."""
        text = sc.text()
        if text in self.extracted:
            return text
        span = text.removesuffix(".Context()")
        if span != text and span in self.spans:
            return self.spans[span] or f"trace.ContextWithSpan(context.Background(), {span})"
        return None

    def attribute(self, key: str, value: SgNode) -> str | None:
        """A zipkin tag (string value) → the semantic-convention attribute; None when it cannot be typed."""
        tag = TAG_OF_KEY.get(_string(key) or "") or key.removeprefix(f"string({self.zipkin}.").removesuffix(
            ")"
        )
        if tag not in TAGS:
            return f"attribute.String({key}, {value.text()})"
        template = TAGS[tag][1]
        if tag in INT_TAGS:
            number = _integer(value)
            return template.format(number) if number is not None else None
        return template.format(value.text())

    # --- propagation ----------------------------------------------------------------------------------
    def is_b3_extract(self, args: list[SgNode]) -> bool:
        return (
            len(args) == 1
            and args[0].kind() == "call_expression"
            and args[0].field("function").text() == self.q(self.b3, "ExtractHTTP")
        )

    def extract(self, stmt: SgNode, call: SgNode) -> None:
        """`sc := tracer.Extract(b3.ExtractHTTP(r))` → `sc := <propagator>.Extract(r.Context(), ...)`."""
        left = named(stmt.field("left"))
        request = named(named(call.field("arguments"))[0].field("arguments"))
        if len(left) != 1 or len(request) != 1:
            return
        r = request[0].text()
        self.extracted.add(left[0].text())
        op = ":=" if stmt.kind() == "short_var_declaration" else "="
        self.edit(
            stmt,
            f"{left[0].text()} {op} {PROPAGATOR}.Extract({r}.Context(), {_header_carrier(r)})",
            "b3.ExtractHTTP → propagator Extract returning a context",
            B3_RULE,
        )

    def inject(self, call: SgNode, args: list[SgNode]) -> None:
        """`b3.InjectHTTP(req)(span.Context())` → `<propagator>.Inject(ctx, HeaderCarrier(req.Header))`."""
        inner = call.field("function")
        request = named(inner.field("arguments"))
        span = args[0].text().removesuffix(".Context()") if len(args) == 1 else ""
        holder = call.parent()
        if len(request) != 1 or span not in self.spans or holder is None:
            todo(
                self.ctx, self.edits, call, B3_RULE, "b3.InjectHTTP: inject with otel.GetTextMapPropagator()"
            )
            return
        ctx = self.spans[span] or f"trace.ContextWithSpan(context.Background(), {span})"
        injection = f"{PROPAGATOR}.Inject({ctx}, {_header_carrier(request[0].text())})"
        statement = holder if holder.kind() == "expression_statement" else holder.parent()
        if statement is None or statement.kind() not in (
            "expression_statement",
            "assignment_statement",
            "short_var_declaration",
        ):
            return
        left = named(statement.field("left")) if statement.kind() != "expression_statement" else []
        check = statement.next()
        guard = statement.parent()
        if (  # `if err := b3.InjectHTTP(req)(sc); err != nil {...}`: OTel Inject cannot fail
            left
            and guard is not None
            and guard.kind() == "if_statement"
            and guard.field("initializer") == statement
            and guard.field("alternative") is None
            and guard.field("condition").text() == f"{left[0].text()} != nil"
        ):
            self.edit(guard, injection, "b3.InjectHTTP → propagator Inject (it cannot fail)", B3_RULE)
            return
        if left and left[0].text() != "_":
            if check is None or not checks_error(check, left[0].text()):
                todo(
                    self.ctx,
                    self.edits,
                    statement,
                    B3_RULE,
                    "the B3 inject error is used: OTel Inject cannot fail",
                )
                return
            self.edits.append(statement_removal(self.src, check))
        self.edit(statement, injection, "b3.InjectHTTP → propagator Inject", B3_RULE)

    # --- calls on spans, tags, contexts, middleware ----------------------------------------------------
    def calls(self) -> None:
        for call in self.root.find_all(kind="call_expression"):
            function = call.field("function")
            args = named(call.field("arguments"))
            if function.kind() == "call_expression" and function.field("function").text() == self.q(
                self.b3, "InjectHTTP"
            ):
                self.inject(call, args)
                continue
            if function.kind() != "selector_expression":
                continue
            text, method, receiver = (
                function.text(),
                function.field("field").text(),
                function.field("operand").text(),
            )
            if receiver in self.spans:
                self.span_method(call, receiver, method, args)
            elif m := re.fullmatch(rf"{re.escape(self.zipkin or '')}\.(Tag\w+)\.Set", text):
                self.tag_set(call, m.group(1), args)
            elif text == self.q(self.zipkin, "SpanFromContext"):
                self.edit(function, "trace.SpanFromContext", "zipkin.SpanFromContext → trace.SpanFromContext")
            elif text == self.q(self.zipkin, "NewContext"):
                self.edit(function, "trace.ContextWithSpan", "zipkin.NewContext → trace.ContextWithSpan")
            elif text == self.q(self.middleware, "NewServerMiddleware"):
                self.server_middleware(call, args)
            elif (
                text.startswith(f"{self.middleware}.New")
                and call.range().start.index not in self.migrated_calls
            ):
                todo(
                    self.ctx,
                    self.edits,
                    call,
                    MIDDLEWARE_RULE,
                    f"{text}: use otelhttp.NewTransport (see docs/migration-go.md)",
                )
            elif method == "DoWithAppSpan" and self.middleware:
                todo(
                    self.ctx,
                    self.edits,
                    call,
                    MIDDLEWARE_RULE,
                    "DoWithAppSpan: start the app span with tracer.Start, then Do(req.WithContext(ctx))",
                )

    def span_method(self, call: SgNode, span: str, method: str, args: list[SgNode]) -> None:
        if method == "Finish" and not args:
            self.edit(call, f"{span}.End()", "span.Finish → span.End")
        elif method == "Tag" and len(args) == 2:
            attr = self.attribute(args[0].text(), args[1])
            if attr is None:
                todo(
                    self.ctx, self.edits, call, SPAN_RULE, "a numeric zipkin tag with a computed string value"
                )
            else:
                self.edit(call, f"{span}.SetAttributes({attr})", "span.Tag → SetAttributes")
        elif method == "Annotate" and len(args) == 2:
            self.edit(
                call,
                f"{span}.AddEvent({args[1].text()}, trace.WithTimestamp({args[0].text()}))",
                "span.Annotate → AddEvent",
            )
        elif (
            method == "Context"
            and not args
            and call.parent() is not None
            and call.parent().kind() != "argument_list"
        ):
            self.edit(call.field("function").field("field"), "SpanContext", "span.Context → SpanContext")
        elif method in UNMIGRATED_SPAN_METHODS:
            todo(self.ctx, self.edits, call, SPAN_RULE, f"span.{method}: {UNMIGRATED_SPAN_METHODS[method]}")

    def tag_set(self, call: SgNode, tag: str, args: list[SgNode]) -> None:
        if len(args) != 2:
            return
        span, value = args[0].text(), args[1]
        if tag == "TagError":
            self.edit(
                call,
                f"{span}.SetStatus(codes.Error, {value.text()})",
                "zipkin.TagError → SetStatus(codes.Error)",
            )
            return
        attr = self.attribute(f"string({self.zipkin}.{tag})", value)
        if attr is None:
            todo(self.ctx, self.edits, call, SPAN_RULE, "a numeric zipkin tag with a computed string value")
        else:
            self.edit(call, f"{span}.SetAttributes({attr})", f"zipkin.{tag} → semantic conventions")

    def server_middleware(self, call: SgNode, args: list[SgNode]) -> None:
        """`zipkinhttp.NewServerMiddleware(t, zipkinhttp.SpanName(n))` → `otelhttp.NewMiddleware(...)`; both
        name the span after the method by default (semconv), and after `n` when given."""
        name = None
        for option in args[1:]:
            if (
                option.kind() == "call_expression"
                and option.field("function").text() == f"{self.middleware}.SpanName"
            ):
                name = named(option.field("arguments"))[0].text()
            else:
                todo(
                    self.ctx,
                    self.edits,
                    call,
                    MIDDLEWARE_RULE,
                    f"middleware option {option.text()} is not migrated",
                )
                return
        if name is None:
            self.edit(
                call,
                'otelhttp.NewMiddleware("")',
                "zipkinhttp.NewServerMiddleware → otelhttp.NewMiddleware",
                MIDDLEWARE_RULE,
            )
        else:
            formatter = f"otelhttp.WithSpanNameFormatter({NAME_AS_OPERATION})"
            self.edit(
                call,
                f"otelhttp.NewMiddleware({name}, {formatter})",
                "zipkinhttp.NewServerMiddleware → otelhttp.NewMiddleware",
                MIDDLEWARE_RULE,
            )

    def http_client(self, stmt: SgNode, call: SgNode) -> None:
        """`c, err := zipkinhttp.NewClient(t)` → `c := &http.Client{Transport: otelhttp.NewTransport(...)}`;
        `rt, err := zipkinhttp.NewTransport(t, zipkinhttp.RoundTripper(b))` → `rt := otelhttp.NewTransport(b)`
        (§3.3). Neither OTel call fails, so the error check goes. Other options stay for calls()' TODO."""
        client = call.field("function").text().endswith("NewClient")
        base = "http.DefaultTransport"
        for option in named(call.field("arguments"))[1:]:
            name = option.field("function").text() if option.kind() == "call_expression" else ""
            name = name.removeprefix(f"{self.middleware}.")
            values = named(option.field("arguments")) if name else []
            if name in ("ClientTrace", "TransportTrace") and [v.text() for v in values] == ["false"]:
                continue
            if name == "RoundTripper" and not client and len(values) == 1:
                base = values[0].text()
                continue
            return
        left = [n.text() for n in named(stmt.field("left"))]
        function = enclosing_function(stmt)
        if len(left) != 2 or stmt.kind() != "short_var_declaration" or function is None:
            return
        check = stmt.next()
        check = check if check is not None and checks_error(check, left[1]) else None
        if left[1] != "_" and not (check is not None and redeclared_first(function, left[1], check)):
            return
        transport = f"otelhttp.NewTransport({base})"
        self.edit(
            stmt,
            f"{left[0]} := " + (f"&http.Client{{Transport: {transport}}}" if client else transport),
            "zipkinhttp client transport → otelhttp.NewTransport",
            MIDDLEWARE_RULE,
        )
        if check is not None:
            self.edits.append(statement_removal(self.src, check))
        self.migrated_calls.add(call.range().start.index)

    def types(self) -> None:
        """`*zipkin.Tracer` → `trace.Tracer`, `zipkin.Span` → `trace.Span` wherever a type is written."""
        for node in self.root.find_all(any=[{"kind": "pointer_type"}, {"kind": "qualified_type"}]):
            if node.text() == f"*{self.zipkin}.Tracer":
                self.edit(node, "trace.Tracer", "*zipkin.Tracer → trace.Tracer")
            elif node.text() == f"*{self.middleware}.Client":
                self.edit(node, "*http.Client", "*zipkinhttp.Client → *http.Client", MIDDLEWARE_RULE)
            elif (
                node.text() == f"{self.zipkin}.Span"
                and node.parent() is not None
                and node.parent().kind() != "pointer_type"
            ):
                self.edit(node, "trace.Span", "zipkin.Span → trace.Span")


def _declaration(function: SgNode, name: str) -> SgNode | None:
    for decl in function.find_all(kind="short_var_declaration"):
        left = named(decl.field("left"))
        if left and left[0].text() == name:
            return decl
    return None


def _header_carrier(request: str) -> str:
    return f"propagation.HeaderCarrier({request}.Header)"


def _inverse(modulo: SgNode) -> str:
    """The sampling rate of `NewModuloSampler(m)`: 1/m."""
    if modulo.kind() == "int_literal" and int(modulo.text()) > 0:
        return repr(1 / int(modulo.text()))
    return f"1/float64({modulo.text()})"


def _string(text: str) -> str | None:
    return json.loads(text) if re.fullmatch(r'"[^"\\]*"', text) else None


def _integer(value: SgNode) -> str | None:
    """The int behind a zipkin tag's string: `"200"` → 200, `strconv.Itoa(n)` → n."""
    literal = _string(value.text())
    if literal is not None and literal.isdigit():
        return literal
    if value.kind() == "call_expression" and value.field("function").text() == "strconv.Itoa":
        return named(value.field("arguments"))[0].text()
    return None


BRIDGE = "github.com/openzipkin-contrib/zipkin-go-opentracing"
BRIDGE_TODO = (
    "zipkin-go-opentracing bridge: set up an OTel SDK provider (zipkinexporter + otel.SetTracerProvider) "
    "in place of this zipkin tracer; the opentracing-go calls now use the OTel global, which records "
    "nothing until a provider is set"
)


def _bridge_todos(ctx: TransformContext, bridge: str) -> str | None:
    """A zipkin tracer wrapped for opentracing-go: its calls are go_opentracing's, the set-up is left for a
    person (a TODO at each `zipkinot.Wrap`), so that the migrated calls do not trace into nothing unseen."""
    edits: list[Edit] = []
    for call in ctx.root.find_all(kind="call_expression"):
        statement = enclosing_statement(call)
        line_start = ctx.source.rfind("\n", 0, statement.range().start.index)
        above = ctx.source[ctx.source.rfind("\n", 0, max(line_start, 0)) + 1 : line_start]
        if call.field("function").text() == f"{bridge}.Wrap" and BRIDGE_TODO not in above:  # once per site
            todo(ctx, edits, statement, SETUP_RULE, BRIDGE_TODO)
    return apply_edits(ctx.source, edits)


def migrate_zipkin(ctx: TransformContext) -> str | None:
    """The zipkin-go handler (rules go-zipkin-*)."""
    names = {b.module: b.local for b in ctx.bindings}
    if BRIDGE in names:  # also where the wrapped tracer is made in another file
        return _bridge_todos(ctx, names[BRIDGE])
    if not any(path.startswith(ZIPKIN) for path in names) or "github.com/opentracing/opentracing-go" in names:
        return None
    return _ZipkinMigration(ctx, names).run()
