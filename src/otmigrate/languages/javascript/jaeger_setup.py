"""jaeger-client (Node) → OTel JS SDK (api-mapping §4.2, §7, §8).

`initTracer(config, options)` / `initTracerFromEnv(...)` become a `NodeTracerProvider` set-up, and the
tracer variable a `trace.getTracer(serviceName)`; a `ZipkinB3TextMapCodec` registered on the tracer makes
B3 multi-header the legacy format the fleet propagator keeps; `tracer.close(cb)` becomes
`provider.shutdown().then(cb)`; `opentracing.initGlobalTracer(tracer)` goes (`register()` installs the
global provider). The spans a jaeger tracer makes are OpenTracing spans: the opentracing rules migrate
them.
"""

from __future__ import annotations

import json

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext
from otmigrate.languages.javascript import jscode, span_refs
from otmigrate.languages.javascript import sdk_setup as js
from otmigrate.languages.javascript.sdk_setup import Setup

MODULE = "jaeger-client"
RULE = "js-jaeger-init-tracer"
ENV_TODO = (
    "initTracerFromEnv read JAEGER_* variables; OTel reads OTEL_* ones (JAEGER_SAMPLER_TYPE/PARAM → "
    "OTEL_TRACES_SAMPLER/_ARG, JAEGER_ENDPOINT/AGENT_HOST → OTEL_EXPORTER_OTLP_ENDPOINT, JAEGER_TAGS → "
    "OTEL_RESOURCE_ATTRIBUTES)"
)
REMOTE_TODO = (
    "jaeger sampled remotely (its default; initial rate 0.001): a fixed ratio is used here, "
    "see @opentelemetry/sampler-jaeger-remote"
)
RETURNED_TODO = "callers that closed the returned jaeger tracer must shut this provider down (it flushes)"
# jaeger Tracer methods beyond OpenTracing's (which the opentracing rules migrate) and close()
JAEGER_ONLY_METHODS = {"registerInjector", "registerExtractor", "_report", "_isDebugAllowed"}
IGNORED_REPORTER_KEYS = {"agentPort", "agentSocketType"}  # UDP transport details: meaningless for OTLP
IGNORED_OPTION_KEYS = {"traceId128bit"}  # OTel trace ids are always 128-bit


def migrate_jaeger(ctx: TransformContext) -> str | None:
    """Every initTracer call that is declared, a statement or returned becomes a provider set-up."""
    source, root = ctx.source, ctx.root
    init_names = {
        name: from_env
        for member, from_env in (("initTracer", False), ("initTracerFromEnv", True))
        for name in js.names_of(ctx.bindings, MODULE, member)
    }
    calls = [c for c in root.find_all(kind="call_expression") if _callee(c) in init_names]
    if not calls:
        return None
    rule = ctx.rules[0] if ctx.rules else RULE
    codecs, edits, registrations = _b3_codecs(ctx, source)
    tracers: dict[str, str] = {}  # tracer variable -> its provider variable
    setup_functions: set[str] = set()  # functions returning a tracer they set up (now: a provider's)
    setups: list[Setup] = []
    for number, call in enumerate(calls):
        statement = jscode.statement_of(call)
        variable = _declared_variable(statement, call)
        returned = _is_returned(statement, call)
        if variable is None and not returned and not _is_statement_call(statement, call):
            edits += js.todo(
                ctx, source, statement, rule, "initTracer used in an expression: set the provider up by hand"
            )
            continue
        provider = "provider" if number == 0 else f"{variable or 'tracer'}Provider"
        provider = js.free_name(source, provider, f"{provider}Otel")
        setup = _setup(ctx, call, init_names[_callee(call)], codecs.get(variable or ""), provider, edits)
        setups.append(setup)
        indent = jscode.indent_at(source, statement.range().start.index)
        if returned:
            setup_functions.update(_function_name(statement))
            setup.todos.append(RETURNED_TODO)
            ctx.manual(jscode.line_of(call), rule, RETURNED_TODO)
        text = setup.render(indent)
        if returned:
            text += f"\n{indent}return trace.getTracer({setup.service});"
        if variable is not None:
            keyword = statement.child(0).text() if statement.kind() == "lexical_declaration" else "var"
            text += f"\n{indent}{keyword} {variable} = trace.getTracer({setup.service});"
            tracers[variable] = provider
        js.add_api_names(ctx, "trace")
        edits.append((statement.range().start.index, statement.range().end.index, text.lstrip()))
        ctx.migrated(jscode.line_of(call), rule, "jaeger tracer set-up → NodeTracerProvider set-up")
    edits += _tracer_uses(ctx, source, tracers, registrations)
    edits += _set_up_registrations(ctx, source, setup_functions)
    return js.finish_setups(
        js.drop_unused_tracers(jscode.apply_edits(source, edits), tracers, ctx.language.grep_language),
        ctx,
        setups,
    )


def _callee(call: SgNode) -> str:
    function = call.field("function")
    return function.text() if function is not None else ""


def _declared_variable(statement: SgNode, call: SgNode) -> str | None:
    """`tracer` in `const tracer = initTracer(...)`."""
    if statement.kind() not in ("lexical_declaration", "variable_declaration"):
        return None
    declarators = [c for c in statement.named_children() if c.kind() == "variable_declarator"]
    if len(declarators) != 1:
        return None
    name, value = declarators[0].field("name"), declarators[0].field("value")
    if name is None or value is None or name.kind() != "identifier" or value.range() != call.range():
        return None
    return name.text()


def _is_returned(statement: SgNode, call: SgNode) -> bool:
    """`return initTracer(...)` in a set-up function: the provider is made there, the tracer returned."""
    values = statement.named_children() if statement.kind() == "return_statement" else []
    return len(values) == 1 and values[0].range() == call.range()


def _function_name(statement: SgNode) -> list[str]:
    """The name of the function `statement` returns from: `function make()` or `const make = () => …`."""
    function = jscode.enclosing_scope(statement).parent()
    if function is not None and function.kind() in ("arrow_function", "function_expression"):
        function = function.parent()
    name = function.field("name") if function is not None else None
    return [name.text()] if name is not None and name.kind() == "identifier" else []


def _set_up_registrations(ctx: TransformContext, source: str, setup_functions: set[str]) -> list:
    """`initGlobalTracer(make(...))` → `make(...)`, and `initGlobalTracer(t);` goes for `t = make(...)`,
    where `make` is a set-up function of this file: the provider it makes registers itself now."""
    edits: list = []
    for call in ctx.root.find_all(kind="call_expression"):
        args = jscode.args_of(call)
        if not _callee(call).endswith("initGlobalTracer") or len(args) != 1:
            continue
        values = span_refs.assigned_values(args[0]) if args[0].kind() == "identifier" else []
        statement = jscode.statement_of(call)
        if args[0].kind() == "call_expression" and _callee(args[0]) in setup_functions:
            edits.append((call.range().start.index, call.range().end.index, args[0].text()))
        elif (
            values
            and all(v.kind() == "call_expression" and _callee(v) in setup_functions for v in values)
            and statement.kind() == "expression_statement"
        ):
            edits.append((*js.full_lines(source, statement), ""))
        else:
            continue
        ctx.migrated(
            jscode.line_of(call), RULE, "initGlobalTracer(tracer) goes: the set-up registers its provider"
        )
    return edits


def _is_statement_call(statement: SgNode, call: SgNode) -> bool:
    """`initTracer(...);` or `opentracing.initGlobalTracer(initTracer(...));`."""
    if statement.kind() != "expression_statement":
        return False
    expression = statement.named_children()[0]
    if expression.range() == call.range():
        return True
    return (
        expression.kind() == "call_expression"
        and _callee(expression).endswith("initGlobalTracer")
        and [a.range() for a in jscode.args_of(expression)] == [call.range()]
    )


def _setup(
    ctx: TransformContext, call: SgNode, from_env: bool, legacy_format: str | None, provider: str, edits: list
) -> Setup:
    args = jscode.args_of(call)
    todos: list[str] = [ENV_TODO] if from_env else []
    config = js.object_fields(js.resolve(args[0] if args else None, ctx, edits), todos, "the jaeger config")
    options = js.object_fields(
        js.resolve(args[1] if len(args) > 1 else None, ctx, edits), todos, "the jaeger options"
    )
    service = config.pop("serviceName", None)
    if service is not None:
        service_code = service.text()
    elif from_env:
        service_code = "process.env.JAEGER_SERVICE_NAME"
    else:
        service_code = json.dumps(ctx.settings.service_name or "unknown_service").replace('"', "'")
    setup = Setup(service=service_code, provider=provider, todos=todos)
    setup.sampler = _sampler(config.pop("sampler", None), todos)
    _reporter(setup, js.object_fields(config.pop("reporter", None), todos, "the jaeger reporter"))
    if "disable" in config:
        todos.append("config.disable: set OTEL_SDK_DISABLED=true or do not register the provider")
        config.pop("disable")
    setup.attributes = js.resource_attributes(options.pop("tags", None), todos, "options.tags")
    custom = [
        f"{otel}: {options.pop(key).text()}"
        for key, otel in (("contextKey", "customTraceHeader"), ("baggagePrefix", "customBaggageHeaderPrefix"))
        if key in options
    ]
    setup.jaeger_propagator_options = f"{{ {', '.join(custom)} }}" if custom else ""
    setup.propagators = js.fleet_propagators(ctx.settings.propagators, legacy_format or "jaeger")
    js.leftover_todos(todos, "jaeger config", config)
    js.leftover_todos(todos, "jaeger option", options, IGNORED_OPTION_KEYS)
    js.report_todos(ctx, call, RULE, todos)
    return setup


def _sampler(node: SgNode | None, todos: list[str]) -> str:
    """§7: the jaeger sampler as the root of a ParentBasedSampler (jaeger only sampled roots)."""
    fields = js.object_fields(node, todos, "the jaeger sampler")
    kind, param = js.literal(fields.get("type")), fields.get("param")
    if kind == "const":
        value = js.literal(param)
        if value is None and param is not None:
            return f"{param.text()} === 1 ? new AlwaysOnSampler() : new AlwaysOffSampler()"
        return "new AlwaysOnSampler()" if value == 1 else "new AlwaysOffSampler()"
    if kind == "probabilistic" and param is not None:
        return f"new TraceIdRatioBasedSampler({param.text()})"
    if kind in (None, "remote"):
        todos.append(REMOTE_TODO)
        return f"new TraceIdRatioBasedSampler({param.text() if param is not None else '0.001'})"
    todos.append(f"jaeger sampler type '{kind}' has no OpenTelemetry JS sampler: sampling everything")
    return "new AlwaysOnSampler()"


def _reporter(setup: Setup, reporter: dict[str, SgNode]) -> None:
    """§10: jaeger's UDP agent or collector → OTLP over HTTP; flush interval → batch delay."""
    host = reporter.pop("agentHost", None)
    if host is not None:
        value = js.literal(host)
        url = (
            f"{host.text()[0]}http://{value}:{js.OTLP_HTTP_PORT}/v1/traces{host.text()[0]}"
            if isinstance(value, str)
            else f"`http://${{{host.text()}}}:{js.OTLP_HTTP_PORT}/v1/traces`"
        )
        setup.exporter = f"new OTLPTraceExporter({{ url: {url} }})"
    if reporter.pop("collectorEndpoint", None) is not None:
        setup.todos.append(
            "reporter.collectorEndpoint was a Jaeger endpoint; point the OTLP exporter at an OTLP receiver"
        )
    interval = reporter.pop("flushIntervalMs", None)
    if interval is not None:
        setup.batch_options.append(("scheduledDelayMillis", interval.text()))
    log_spans = reporter.pop("logSpans", None)
    setup.console = log_spans is not None and js.literal(log_spans) is True
    js.leftover_todos(setup.todos, "jaeger reporter", reporter, IGNORED_REPORTER_KEYS)


def _b3_codecs(ctx: TransformContext, source: str) -> tuple[dict[str, str], list, set[int]]:
    """Tracers that a ZipkinB3TextMapCodec was registered on (-> "b3multi"), the statements to drop, and
    where those registration calls start."""
    constructors = set(js.names_of(ctx.bindings, MODULE, "ZipkinB3TextMapCodec"))
    codec_variables: dict[str, SgNode] = {}
    for new in ctx.root.find_all(kind="new_expression"):
        constructor = new.field("constructor")
        if constructor is None or constructor.text() not in constructors:
            continue
        statement = jscode.statement_of(new)
        variable = _declared_variable(statement, new)
        if variable is not None:
            codec_variables[variable] = statement
    formats: dict[str, str] = {}
    registered: list[str] = []
    registrations: set[int] = set()
    edits = []
    for call in ctx.root.find_all(kind="call_expression"):
        function = call.field("function")
        args = jscode.args_of(call)
        if (
            function is None
            or function.kind() != "member_expression"
            or function.field("property").text() not in ("registerInjector", "registerExtractor")
            or len(args) != 2
            or args[1].text() not in codec_variables
        ):
            continue
        formats[function.field("object").text()] = "b3multi"
        registered.append(args[1].text())
        registrations.add(call.range().start.index)
        edits.append((*js.full_lines(source, jscode.statement_of(call)), ""))
    for variable, statement in codec_variables.items():
        uses = [i for i in ctx.root.find_all(kind="identifier") if i.text() == variable]
        if len(uses) == 1 + registered.count(variable):  # the declaration and the registrations
            edits.append((*js.full_lines(source, statement), ""))
    return formats, edits, registrations


def _tracer_uses(ctx: TransformContext, source: str, tracers: dict[str, str], dropped: set[int]) -> list:
    """`tracer.close(cb)` → `provider.shutdown().then(cb)`; `initGlobalTracer(tracer);` goes."""
    edits = []
    for call in ctx.root.find_all(kind="call_expression"):
        function, args = call.field("function"), jscode.args_of(call)
        if function is None:
            continue
        if function.text().endswith("initGlobalTracer") and len(args) == 1 and args[0].text() in tracers:
            statement = jscode.statement_of(call)
            if statement.kind() == "expression_statement":
                edits.append((*js.full_lines(source, statement), ""))
            continue
        if function.kind() != "member_expression" or function.field("object").text() not in tracers:
            continue
        method = function.field("property").text()
        if (
            method in JAEGER_ONLY_METHODS and call.range().start.index not in dropped
        ):  # what is left after the B3 codec registrations were dropped
            edits += js.todo(
                ctx, source, call, RULE, f"jaeger tracer.{method}: no OpenTelemetry tracer method"
            )
            continue
        if method != "close" or call.range().start.index in dropped:
            continue
        provider = tracers[function.field("object").text()]
        then = f".then({args[0].text()})" if args else ""
        edits.append((call.range().start.index, call.range().end.index, f"{provider}.shutdown(){then}"))
        ctx.migrated(jscode.line_of(call), "js-jaeger-tracer-close", "tracer.close(cb) → provider.shutdown()")
    return edits
