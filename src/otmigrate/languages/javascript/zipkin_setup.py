"""zipkin-js tracer set-up → OTel JS SDK set-up (api-mapping §4.3, §7, §8, §10).

`new Tracer({ctxImpl, recorder, sampler, localServiceName, defaultTags})` becomes a `NodeTracerProvider`
set-up and the tracer variable `trace.getTracer(localServiceName)`:
- `BatchRecorder` + `HttpLogger({endpoint, httpInterval, headers})` → `BatchSpanProcessor(ZipkinExporter(
  {url, headers}), {scheduledDelayMillis})`; `ConsoleRecorder` → `SimpleSpanProcessor(ConsoleSpanExporter)`;
- `CountingSampler(r)` / `alwaysSample` / `neverSample` → the root of a `ParentBasedSampler`;
- `CLSContext` / `ExplicitContext` → the AsyncLocalStorage context manager `register()` installs;
- zipkin's HttpServer instrumentation and zipkin-instrumentation-express → the OTel HTTP / Express
  instrumentations, registered by the set-up; the modules they patch are required after it (in CommonJS).
The propagator keeps B3 multi-header next to W3C (zipkin services speak B3).
"""

from __future__ import annotations

import json
import re

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext
from otmigrate.languages.javascript import jscode
from otmigrate.languages.javascript import sdk_setup as js
from otmigrate.languages.javascript.sdk_setup import Setup
from otmigrate.languages.javascript.zipkin_spans import http_servers

RULE = "js-zipkin-tracer"
RULE_INSTRUMENTATION = "js-zipkin-instrumentation"
HTTP_CLIENT_TODO = (
    "zipkin HttpClient: HttpInstrumentation traces outgoing calls, propagation.inject adds headers"
)
HTTP_SERVER_TODO = (
    "zipkin HttpServer used beyond recordRequest/recordResponse: HttpInstrumentation replaces it"
)
FETCH_WRAPPER = "zipkin-instrumentation-fetch"
AXIOS_WRAPPER = "zipkin-instrumentation-axiosjs"
GLOBAL_FETCH = ("fetch", "globalThis.fetch")  # Node >= 18: undici, which does not go through http
# where an instrumentation lets the set-up add attributes to a client span
ATTRIBUTE_HOOKS = {"HttpInstrumentation": "startOutgoingSpanHook", "UndiciInstrumentation": "startSpanHook"}
ZIPKIN_EXPORTER = ("@opentelemetry/exporter-zipkin", "ZipkinExporter")
CONTEXTS = ("CLSContext", "ExplicitContext")  # both: the default context manager of register()
DROPPED_OPTIONS = {"traceId128Bit", "supportsJoin"}  # OTel ids are 128-bit; OTel never joins spans
# patched when required (axios and node-fetch require http as they load): required after the set-up
INSTRUMENTED_MODULES = {"http", "https", "express", "axios", "node-fetch"}
ESM_HOOK = "ES modules load before this set-up: run node --import @opentelemetry/instrumentation/hook.mjs"


def migrate_zipkin_setup(ctx: TransformContext) -> str | None:
    source, root = ctx.source, ctx.root
    constructors = set(js.names_of(ctx.bindings, "zipkin", "Tracer"))
    tracers = [
        n
        for n in root.find_all(kind="new_expression")
        if (c := n.field("constructor")) and c.text() in constructors
    ]
    edits: list[jscode.Edit] = []
    instrumentations = _instrumentations(ctx, source, root, edits, set_up_here=bool(tracers))
    if not tracers:
        return jscode.apply_edits(source, edits) if edits else None
    setups: list[Setup] = []
    variables: dict[str, str] = {}
    for number, new in enumerate(tracers):
        statement = jscode.statement_of(new)
        declarator = new.parent()
        if declarator.kind() != "variable_declarator" or statement.kind() != "lexical_declaration":
            edits += js.todo(
                ctx, source, new, RULE, "a zipkin Tracer made in an expression: set it up by hand"
            )
            continue
        variable = declarator.field("name").text()
        provider = js.free_name(
            source, "provider" if number == 0 else f"{variable}Provider", f"{variable}Otel"
        )
        setup = _setup(ctx, new, provider, edits)
        setup.instrumentations = instrumentations if number == 0 else []
        setups.append(setup)
        indent = jscode.indent_at(source, statement.range().start.index)
        keyword = statement.child(0).text()
        text = (
            setup.render(indent).lstrip()
            + f"\n{indent}{keyword} {variable} = trace.getTracer({setup.service});"
        )
        edits.append((*_span(statement), text))
        variables[variable] = provider
        js.add_api_names(ctx, "trace")
        ctx.migrated(jscode.line_of(new), RULE, "zipkin Tracer → NodeTracerProvider set-up")
    out = jscode.apply_edits(source, edits)
    if instrumentations and setups:
        reported = len(ctx.changes)
        moved = _require_instrumented_modules_after_setup(ctx, out)
        js.report_on_input_lines(ctx, reported, out)
        out = moved
    return js.finish_setups(js.drop_unused_tracers(out, variables, ctx.language.grep_language), ctx, setups)


def _span(node: SgNode) -> tuple[int, int]:
    return node.range().start.index, node.range().end.index


def _setup(ctx: TransformContext, new: SgNode, provider: str, edits: list[jscode.Edit]) -> Setup:
    todos: list[str] = []
    args = jscode.args_of(new)
    options = js.object_fields(
        js.resolve(args[0] if args else None, ctx, edits), todos, "the zipkin Tracer options"
    )
    service = options.pop("localServiceName", None)
    service_code = (
        service.text()
        if service is not None
        else json.dumps(ctx.settings.service_name or "unknown_service").replace('"', "'")
    )
    setup = Setup(service=service_code, provider=provider, todos=todos)
    setup.sampler = _sampler(js.resolve(options.pop("sampler", None), ctx, edits), todos)
    _recorder(setup, js.resolve(options.pop("recorder", None), ctx, edits), ctx, edits)
    context_impl = js.resolve(options.pop("ctxImpl", None), ctx, edits)
    if context_impl is not None and not any(name in context_impl.text() for name in CONTEXTS):
        todos.append(f"zipkin context {context_impl.text()}: OTel uses the AsyncLocalStorage context manager")
    setup.attributes = js.resource_attributes(options.pop("defaultTags", None), todos, "defaultTags")
    setup.propagators = js.fleet_propagators(ctx.settings.propagators, "b3multi")
    js.leftover_todos(todos, "zipkin Tracer option", options, DROPPED_OPTIONS)
    js.report_todos(ctx, new, RULE, todos)
    return setup


def _sampler(node: SgNode | None, todos: list[str]) -> str:
    """§7: zipkin samples roots and propagates the decision: the root of a ParentBasedSampler."""
    if node is None:
        return "new AlwaysOnSampler()"  # zipkin's default: new Sampler(alwaysSample)
    text = node.text()
    counting = re.fullmatch(r"new [\w.]*CountingSampler\((.*)\)", text, re.S)
    if counting:
        rate = counting.group(1).strip() or "1"
        value = js.literal(jscode.args_of(node)[0]) if jscode.args_of(node) else 1.0
        if isinstance(value, float) and value >= 1:
            return "new AlwaysOnSampler()"
        if isinstance(value, float) and value <= 0:
            return "new AlwaysOffSampler()"
        return f"new TraceIdRatioBasedSampler({rate})"
    if text.endswith("alwaysSample") or text.endswith("alwaysSample)"):
        return "new AlwaysOnSampler()"
    if text.endswith("neverSample") or text.endswith("neverSample)"):
        return "new AlwaysOffSampler()"
    todos.append(f"zipkin sampler {text} has no OpenTelemetry counterpart here: sampling everything")
    return "new AlwaysOnSampler()"


def _recorder(setup: Setup, node: SgNode | None, ctx: TransformContext, edits: list[jscode.Edit]) -> None:
    """§10: the HTTP logger's endpoint → a ZipkinExporter; the console recorder → the console exporter."""
    text = node.text() if node is not None else ""
    if re.fullmatch(r"new [\w.]*ConsoleRecorder\(.*\)", text, re.S):
        setup.console_only = True
        return
    if not re.fullmatch(r"new [\w.]*BatchRecorder\(.*\)", text, re.S) or node is None:
        setup.todos.append(
            f"zipkin recorder {text or '(none)'}: spans go to OTLP (http://localhost:4318) now"
        )
        return
    recorder = js.object_fields(
        next(iter(jscode.args_of(node)), None), setup.todos, "the BatchRecorder options"
    )
    logger = js.resolve(recorder.pop("logger", None), ctx, edits)
    if logger is None or not re.fullmatch(r"new [\w.]*HttpLogger\(.*\)", logger.text(), re.S):
        setup.todos.append(
            "the zipkin logger is not an HttpLogger: spans go to OTLP (http://localhost:4318) now"
        )
        return
    http = js.object_fields(next(iter(jscode.args_of(logger)), None), setup.todos, "the HttpLogger options")
    exporter_options = []
    endpoint = http.pop("endpoint", None)
    if endpoint is not None:
        exporter_options.append(f"url: {endpoint.text()}")
    headers = http.pop("headers", None)
    if headers is not None:
        exporter_options.append(f"headers: {headers.text()}")
    setup.exporter = (
        f"new ZipkinExporter({{ {', '.join(exporter_options)} }})"
        if exporter_options
        else "new ZipkinExporter()"
    )
    setup.exporter_import = ZIPKIN_EXPORTER
    interval = http.pop("httpInterval", None)
    if interval is not None:
        setup.batch_options.append(("scheduledDelayMillis", interval.text()))
    http.pop("jsonEncoder", None)  # the exporter always sends JSON v2
    js.leftover_todos(setup.todos, "zipkin HttpLogger option", http)
    js.leftover_todos(setup.todos, "zipkin BatchRecorder option", recorder, {"timeout"})


def _instrumentations(
    ctx: TransformContext, source: str, root: SgNode, edits: list[jscode.Edit], *, set_up_here: bool
) -> list[str]:
    """zipkin's HttpServer, express middleware and fetch/axios wrappers go; the OTel instrumentations
    that replace them are registered by this file's set-up, or a TODO asks for that where there is none."""
    found: list[str] = []

    def replaced(node: SgNode, statement: SgNode, text: str, names: list[str], message: str) -> None:
        found.extend(names)
        ctx.migrated(jscode.line_of(node), RULE_INSTRUMENTATION, message)
        if set_up_here:
            edits.append((*_span(statement), text) if text else (*js.full_lines(source, statement), ""))
            return
        reason = (
            f"register {' and '.join(names)} in the OpenTelemetry set-up (the tracer is set up elsewhere)"
        )
        if text:
            edits.extend(
                [(*_span(statement), text), *js.todo(ctx, source, node, RULE_INSTRUMENTATION, reason)]
            )
        else:
            ctx.manual(jscode.line_of(node), RULE_INSTRUMENTATION, reason)
            edits.append((*_span(statement), f"// TODO(otmigrate): {reason}"))

    servers = http_servers(root).values()
    for new in root.find_all(kind="new_expression"):
        constructor = new.field("constructor")
        name = constructor.text() if constructor is not None else ""
        statement = jscode.statement_of(new)
        if name.endswith("Instrumentation.HttpServer") and new in servers:
            replaced(new, statement, "", ["HttpInstrumentation"], "HttpServer → HttpInstrumentation")
        elif name.endswith("Instrumentation.HttpServer"):
            edits += js.todo(ctx, source, new, RULE_INSTRUMENTATION, HTTP_SERVER_TODO)
        elif name.endswith("Instrumentation.HttpClient"):
            edits += js.todo(ctx, source, new, RULE_INSTRUMENTATION, HTTP_CLIENT_TODO)
    middleware = set(js.names_of(ctx.bindings, "zipkin-instrumentation-express", "expressMiddleware"))
    wrappers = {
        b.local: b.module
        for b in ctx.bindings
        if b.module in (FETCH_WRAPPER, AXIOS_WRAPPER) and b.member is None
    }
    for call in root.find_all(kind="call_expression"):
        function = call.field("function")
        name = function.text() if function is not None else ""
        statement = jscode.statement_of(call)
        if name in middleware and re.fullmatch(r"[\w.]+\.use\(.*\);?", statement.text(), re.S):
            names = ["HttpInstrumentation", "ExpressInstrumentation"]
            replaced(call, statement, "", names, "expressMiddleware → ExpressInstrumentation")
        elif name in wrappers and jscode.args_of(call):
            unwrapped = jscode.args_of(call)[0].text()
            names = _client_instrumentations(root, wrappers[name], unwrapped)
            message = f"{name}({unwrapped}, ...) → {unwrapped}, traced by {' and '.join(names)}"
            replaced(call, call, unwrapped, names, message)
            edits += _remote_service_todo(ctx, source, call, names)
    return sorted(set(found), key=list(js.INSTRUMENTATIONS).index)


def _client_instrumentations(root: SgNode, wrapper: str, client: str) -> list[str]:
    """What traces the calls of the unwrapped client: axios and node-fetch go through http, Node's
    global fetch through undici; for a fetch of unknown make, both are registered."""
    module = _required_module(root, client)
    if wrapper == AXIOS_WRAPPER or module == "node-fetch":
        return ["HttpInstrumentation"]
    if module is None and client in GLOBAL_FETCH:
        return ["UndiciInstrumentation"]
    return ["HttpInstrumentation", "UndiciInstrumentation"]


def _required_module(root: SgNode, name: str) -> str | None:
    """The module a top-level `const name = require('m')` / `import name from 'm'` binds `name` to."""
    binds = rf"(?:(?:const|let|var) {re.escape(name)} = require\(|import {re.escape(name)} from )"
    for statement in root.children():
        found = re.match(rf"{binds}['\"]([@\w/.-]+)['\"]", statement.text())
        if found:
            return found.group(1)
    return None


def _remote_service_todo(
    ctx: TransformContext, source: str, call: SgNode, instrumentations: list[str]
) -> list[jscode.Edit]:
    """The wrapper's remote service name went on its spans (§4.3: service.peer.name); the OTel
    instrumentations add it only through a hook in the set-up."""
    args = jscode.args_of(call)
    options = js.object_fields(args[1] if len(args) > 1 else None, [], "the wrapper options")
    remote = options.get("remoteServiceName")
    if remote is None:
        return []
    hooks = " or ".join(f"{name}'s {ATTRIBUTE_HOOKS[name]}" for name in instrumentations)
    reason = f"zipkin remoteServiceName {remote.text()}: set service.peer.name in {hooks}"
    return js.todo(ctx, source, call, RULE_INSTRUMENTATION, reason)


def _require_instrumented_modules_after_setup(ctx: TransformContext, source: str) -> str:
    """Instrumentations patch a module when it is required: move `require('http')` etc. below the set-up.

    ES modules are hoisted: there the instrumentation needs node's `--import` hook (a TODO says so).
    """
    root = jscode.parse(source, ctx.language.grep_language)
    setup_end = source.find("registerInstrumentations(")
    registration = _statement_at(root, setup_end)
    if js.is_esm(root):
        return jscode.apply_edits(source, js.todo(ctx, source, registration, RULE_INSTRUMENTATION, ESM_HOOK))
    after = registration.range().end.index
    moved = []
    edits: list[jscode.Edit] = []
    for statement in root.children():
        if statement.range().start.index >= setup_end:
            break
        found = re.fullmatch(r"(?:const|let|var) \w+ = require\(['\"]([\w-]+)['\"]\);", statement.text())
        if found and found.group(1) in INSTRUMENTED_MODULES:
            moved.append(statement.text())
            edits.append((*js.full_lines(source, statement), ""))
    if moved:
        edits.append((after, after, "\n" + "\n".join(moved)))
    return jscode.apply_edits(source, edits)


def _statement_at(root: SgNode, index: int) -> SgNode:
    return next(s for s in root.children() if s.range().end.index >= index)
