"""zipkin-js span calls → OpenTelemetry spans (api-mapping §4.3).

zipkin-js keeps a *current trace id* that `record*` calls annotate; OpenTelemetry hands out span objects.
So the rewrite works in two steps:

1. Leaf calls: `recordBinary` / `setTags` / `recordMessage` / `recordRpc` and annotation records become
   `setAttribute` / `setAttributes` / `addEvent` / `updateName` on the span of the enclosing span callback
   (or `trace.getActiveSpan()?.` outside one); a stop annotation becomes `span.end()`; `scoped(fn)` and
   `letId(id, fn)` become `context.with(...)`; the HttpServer instrumentation's request/response calls
   become the OTel HTTP instrumentation's server span.
2. Span callbacks, innermost first: `tracer.local(name, fn)` becomes `tracer.startActiveSpan(name,
   (span) => ...)` that ends the span and records errors for sync and async callbacks, and
   `scoped(() => { const id = tracer.createChildId(); tracer.setId(id); record(new Annotation.<Start>) ...})`
   becomes `startActiveSpan(name, { kind }, (span) => ...)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext
from otmigrate.languages.javascript import jscode
from otmigrate.languages.javascript import sdk_setup as js
from otmigrate.languages.javascript.tags import attribute_key

RULE_LOCAL = "js-zipkin-local"
RULE_IDS = "js-zipkin-ids-and-annotations"
RULE_RECORD = "js-zipkin-record"
FUNCTIONS = ("arrow_function", "function_expression", "function")
STARTS = {
    "ServerRecv": "SERVER",
    "ClientSend": "CLIENT",
    "ProducerStart": "PRODUCER",
    "ConsumerStart": "CONSUMER",
    "LocalOperationStart": "INTERNAL",
}
ANNOTATION_RECORDS = {  # annotation classes that say what a record call says
    "BinaryAnnotation": "recordBinary",
    "Message": "recordMessage",
    "Rpc": "recordRpc",
    "ServiceName": "recordServiceName",
}
STOPS = {"ServerSend", "ClientRecv", "ProducerStop", "ConsumerStop", "LocalOperationStop"}
ZIPKIN_KEYS = {"http.path": "url.path"}  # zipkin-js's own HTTP tag keys not in OpenTracing's table
ERROR_CATCH = (
    "{i}}} catch (err) {{\n"
    "{i}{u}span.recordException(err);\n"
    "{i}{u}span.setStatus({{ code: SpanStatusCode.ERROR, message: err.message }});\n"
    "{i}{u}throw err;\n"
)
MAX_CALLBACKS = 200
# the tracer methods left after the conversions above (the migrated tracer no longer has them)
UNMIGRATED_TRACER_METHODS = {
    "local",
    "scoped",
    "letId",
    "setId",
    "createChildId",
    "createRootId",
    "join",
    "recordLocalAddr",
    "recordServerAddr",
    "recordClientAddr",
    "writeIdToConsole",
}
ADD_HEADERS_TODO = "Request.addZipkinHeaders: propagation.inject(trace.setSpan(context.active(), span), h)"


def migrate_zipkin_spans(ctx: TransformContext) -> str | None:
    """Both steps; each span callback is converted on a fresh parse so that nested ones compose."""
    tracers = _tracer_names(ctx)
    source = _leaf_calls(ctx, ctx.source, jscode.parse(ctx.source), tracers)
    for _ in range(MAX_CALLBACKS):
        converted = _one_callback(ctx, source, jscode.parse(source), tracers)
        if converted is None:
            break
        source = converted
    return source if source != ctx.source else None


def _tracer_names(ctx: TransformContext) -> set[str]:
    """Variables holding a zipkin Tracer: declared from `new Tracer(...)` here, or named like one."""
    constructors = set(js.names_of(ctx.bindings, "zipkin", "Tracer"))
    names = set()
    for new in ctx.root.find_all(kind="new_expression"):
        constructor = new.field("constructor")
        declarator = new.parent()
        if (
            constructor is not None
            and constructor.text() in constructors
            and declarator.kind() == "variable_declarator"
        ):
            names.add(declarator.field("name").text())
    return names


def _is_tracer(receiver: SgNode, tracers: set[str]) -> bool:
    return receiver.text() in tracers or re.search(r"(?i)tracer$", receiver.text()) is not None


def _function_argument(node: SgNode | None) -> SgNode | None:
    """A callback written in place with no parameters (zipkin calls it with none)."""
    if node is None or node.kind() not in FUNCTIONS:
        return None
    parameters = node.field("parameters")
    if parameters is not None and parameters.named_children():
        return None
    return node


def _child_pattern(call: SgNode, tracers: set[str]) -> tuple[SgNode, str, bool] | None:
    """`scoped(() => { const id = t.createChildId(); t.setId(id); ... })` → (callback, id, is_root)."""
    callback = _function_argument(next(iter(jscode.args_of(call)), None))
    body = callback.field("body") if callback is not None else None
    if body is None or body.kind() != "statement_block":
        return None
    statements = [s for s in body.named_children() if s.kind() != "comment"]
    if len(statements) < 2 or statements[0].kind() != "lexical_declaration":
        return None
    declarator = statements[0].named_children()[0]
    value, name = declarator.field("value"), declarator.field("name")
    created = jscode.method_call(value) if value is not None else None
    if created is None or created[1] not in ("createChildId", "createRootId") or name is None:
        return None
    set_id = statements[1].named_children()[0] if statements[1].kind() == "expression_statement" else None
    called = jscode.method_call(set_id) if set_id is not None else None
    if called is None or called[1] != "setId" or [a.text() for a in jscode.args_of(set_id)] != [name.text()]:
        return None
    if not _is_tracer(created[0], tracers):
        return None
    return callback, name.text(), created[1] == "createRootId"


def _span_callbacks(
    root: SgNode, tracers: set[str]
) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
    """(start, end) of every span callback -> the name its span goes by inside it; and the opening
    `const id = tracer.createChildId(); tracer.setId(id);` statements, converted with their callback."""
    found = {}
    opening = set()
    for call, child in _span_calls(root, tracers):
        if child is None:
            found[_span(jscode.args_of(call)[1])] = "span"
        else:
            found[_span(child[0])] = child[1]
            statements = [s for s in child[0].field("body").named_children() if s.kind() != "comment"]
            opening |= {_span(statements[0]), _span(statements[1])}
    return found, opening


def _span_calls(root: SgNode, tracers: set[str]) -> list[tuple[SgNode, tuple[SgNode, str, bool] | None]]:
    """Every `tracer.local(name, fn)` (with None) and scoped child span (with its `_child_pattern`)."""
    found = []
    for call in root.find_all(kind="call_expression"):
        called = jscode.method_call(call)
        if called is None or not _is_tracer(called[0], tracers):
            continue
        args = jscode.args_of(call)
        if called[1] == "local" and len(args) == 2 and _function_argument(args[1]) is not None:
            found.append((call, None))
        elif called[1] == "scoped" and (child := _child_pattern(call, tracers)) is not None:
            found.append((call, child))
    return found


def _span(node: SgNode) -> tuple[int, int]:
    return node.range().start.index, node.range().end.index


def _enclosing_span(node: SgNode, callbacks: dict[tuple[int, int], str]) -> str | None:
    for ancestor in node.ancestors():
        if ancestor.kind() in FUNCTIONS and _span(ancestor) in callbacks:
            return callbacks[_span(ancestor)]
    return None


def _annotation(node: SgNode | None) -> tuple[str, list[SgNode]] | None:
    """`new Annotation.ClientSend(args)` → ("ClientSend", args)."""
    if node is None or node.kind() != "new_expression":
        return None
    constructor = node.field("constructor")
    found = re.search(r"Annotation\.(\w+)$", constructor.text()) if constructor is not None else None
    return (found.group(1), jscode.args_of(node)) if found else None


@dataclass
class _Spans:
    """What step 1 knows about a file's spans."""

    callbacks: dict[tuple[int, int], str]  # span callback -> the name of its span inside it
    opening: set[tuple[int, int]]  # `const id = createChildId(); setId(id);`, converted with the callback
    ids: set[str]  # names that hold a span after the migration: letId(id, fn) can use them

    def known(self, node: SgNode) -> bool:
        return node.text() in self.ids or node.text() in self.callbacks.values()


def _leaf_calls(ctx: TransformContext, source: str, root: SgNode, tracers: set[str]) -> str:
    callbacks, opening = _span_callbacks(root, tracers)
    servers = http_servers(root)
    spans = _Spans(callbacks, opening, _server_span_ids(root, servers))
    edits: list[jscode.Edit] = []
    for call in root.find_all(kind="call_expression"):
        called = jscode.method_call(call)
        if called is None:
            continue
        receiver, method = called
        if method == "addZipkinHeaders" and receiver.text().endswith("Request"):
            edits += _add_headers(ctx, source, call, spans)
        elif receiver.text() in servers:
            edits += _server_call(ctx, source, root, call, method)
        elif _is_tracer(receiver, tracers):
            edits += _tracer_call(ctx, source, call, method, spans)
    for member in root.find_all(kind="member_expression"):
        receiver, prop = member.field("object"), member.field("property")
        if (
            prop is not None
            and prop.text() == "id"
            and receiver is not None
            and _is_tracer(receiver, tracers)
        ):
            edits += _manual(
                ctx, source, member, "zipkin tracer.id: the current span is trace.getActiveSpan()"
            )
    if edits:
        js.add_api_names(ctx, "trace", "context", "SpanStatusCode", "SpanKind")
    return jscode.apply_edits(source, edits)


def _add_headers(ctx: TransformContext, source: str, call: SgNode, spans: _Spans) -> list[jscode.Edit]:
    """`const o = Request.addZipkinHeaders(req, id);` → a copy of `req` whose headers (the same object,
    as zipkin's) get the propagator's headers: B3 and W3C from the fleet propagator."""
    args = jscode.args_of(call)
    statement = jscode.statement_of(call)
    declarator = call.parent()
    if (
        len(args) != 2
        or args[0].kind() != "identifier"
        or not spans.known(args[1])
        or declarator.kind() != "variable_declarator"
        or statement.kind() != "lexical_declaration"
        or len(statement.named_children()) != 1
    ):
        return _manual(ctx, source, call, ADD_HEADERS_TODO)
    request, span, name = args[0].text(), args[1].text(), declarator.field("name").text()
    indent = jscode.indent_at(source, statement.range().start.index)
    ctx.migrated(jscode.line_of(call), RULE_IDS, "Request.addZipkinHeaders → propagation.inject")
    js.add_api_names(ctx, "propagation")
    return [
        (*_span(call), f"{{ ...{request}, headers: {request}.headers || {{}} }}"),
        (
            statement.range().end.index,
            statement.range().end.index,
            f"\n{indent}propagation.inject(trace.setSpan(context.active(), {span}), {name}.headers);",
        ),
    ]


def _server_span_ids(root: SgNode, servers: dict[str, SgNode]) -> set[str]:
    """`const id = server.recordRequest(...)` (or its migration, `= trace.getActiveSpan()`): a span now."""
    ids = set()
    for declarator in root.find_all(kind="variable_declarator"):
        value, name = declarator.field("value"), declarator.field("name")
        called = jscode.method_call(value) if value is not None else None
        if name is None or value is None:
            continue
        if value.text() == "trace.getActiveSpan()" or (
            called is not None and called[1] == "recordRequest" and called[0].text() in servers
        ):
            ids.add(name.text())
    return ids


def _kind_of(call: SgNode, callbacks: dict[tuple[int, int], str]) -> str | None:
    """The span kind of the span callback around `call` (for kind-dependent attribute keys)."""
    for ancestor in call.ancestors():
        if ancestor.kind() in FUNCTIONS and _span(ancestor) in callbacks:
            for statement in ancestor.find_all(kind="new_expression"):
                annotation = _annotation(statement)
                if annotation is not None and annotation[0] in STARTS:
                    return STARTS[annotation[0]]
            return "INTERNAL"
    return None


def _tracer_call(
    ctx: TransformContext, source: str, call: SgNode, method: str, spans: _Spans
) -> list[jscode.Edit]:
    span = _enclosing_span(call, spans.callbacks)
    kind = _kind_of(call, spans.callbacks)
    args = jscode.args_of(call)
    target = span or "trace.getActiveSpan()?"
    start = call.range().start.index
    line = jscode.line_of(call)
    recorded = _record(ctx, source, call, method, args, target, kind)
    if recorded is not None:
        return recorded
    if method == "recordAnnotation" and args:
        return _annotation_call(ctx, source, call, args[0], target, span, kind)
    if (
        method == "scoped"
        and len(args) == 1
        and _child_pattern(call, {call.field("function").field("object").text()}) is None
    ):
        ctx.migrated(line, RULE_IDS, "scoped(fn) → context.with(context.active(), fn)")
        return [(start, args[0].range().start.index, "context.with(context.active(), ")]
    if method == "letId" and len(args) == 2 and not spans.known(args[0]):
        return _manual(
            ctx, source, call, f"letId({args[0].text()}): not a span the migration made: set it by hand"
        )
    if method == "letId" and len(args) == 2:
        ctx.migrated(
            line, RULE_IDS, "letId(id, fn) → context.with(trace.setSpan(context.active(), span), fn)"
        )
        return [
            (
                start,
                args[1].range().start.index,
                f"context.with(trace.setSpan(context.active(), {args[0].text()}), ",
            )
        ]
    if (
        method in ("setId", "createChildId", "createRootId")
        and _span(jscode.statement_of(call)) in spans.opening
    ):
        return []  # converted with its callback
    if method == "local" and len(args) == 2 and args[1].kind() in ("identifier", "member_expression"):
        ctx.migrated(
            line, RULE_LOCAL, f"tracer.local(name, {args[1].text()}): the callback is called in place"
        )
        return [(*_span(args[1]), f"() => {args[1].text()}()")]
    if method in UNMIGRATED_TRACER_METHODS and not any(_span(a) in spans.callbacks for a in args):
        return _manual(
            ctx, source, call, f"zipkin tracer.{method}: no migration here (start an OTel span by hand)"
        )
    return []


def _binary(target: str, key: SgNode, value: SgNode, kind: str | None) -> str:
    if js.literal(key) == "error":
        return f"{target}.setStatus({{ code: SpanStatusCode.ERROR, message: {value.text()} }})"
    mapped = _mapped_key(key, kind)
    if mapped[1:-1] == "http.response.status_code":  # a number in OTel; zipkin recorded a string
        number = js.literal(value)
        stringified = re.fullmatch(r"String\((.+)\)|(.+)\.toString\(\)", value.text(), re.S)
        inner = (stringified.group(1) or stringified.group(2)) if stringified else value.text()
        code = str(int(number)) if isinstance(number, str) and number.isdigit() else f"Number({inner})"
        return f"{target}.setAttribute({mapped}, {code})"
    return f"{target}.setAttribute({mapped}, {value.text()})"


def _mapped_key(key: SgNode, kind: str | None) -> str:
    """§5: a literal key takes its current semantic-convention name, in the file's quotes."""
    name = js.literal(key) if key.kind() == "string" else None
    if not isinstance(name, str):
        return key.text()
    new = ZIPKIN_KEYS.get(name) or attribute_key(name, kind)
    return key.text()[0] + new + key.text()[-1]


def _mapped_object(node: SgNode, kind: str | None) -> str:
    if node.kind() != "object":
        return node.text()
    text, base = node.text(), node.range().start.index
    for pair in reversed([p for p in node.named_children() if p.kind() == "pair"]):
        key = pair.field("key")
        if key is not None and key.kind() == "string":
            start, end = key.range().start.index - base, key.range().end.index - base
            text = text[:start] + _mapped_key(key, kind) + text[end:]
    return text


def _annotation_call(
    ctx: TransformContext,
    source: str,
    call: SgNode,
    node: SgNode,
    target: str,
    span: str | None,
    kind: str | None,
) -> list[jscode.Edit]:
    annotation = _annotation(node)
    start, end = _span(call)
    line = jscode.line_of(call)
    name, args = annotation if annotation is not None else ("", [])
    if name in STOPS and span is not None:
        ctx.migrated(line, RULE_IDS, f"Annotation.{name} → span.end()")
        return [(start, end, f"{span}.end()")]
    if name in STARTS and span is not None:
        return []  # converted with its callback
    recorded = _record(ctx, source, call, ANNOTATION_RECORDS.get(name, ""), args, target, kind)
    if recorded is not None:
        return recorded
    if name in STARTS or name in STOPS:
        reason = f"zipkin {name} outside a scoped child span: start or end an OTel span by hand"
    else:
        reason = f"zipkin annotation {name or node.text()} has no OpenTelemetry counterpart here"
    return _manual(ctx, source, call, reason)


def _record(
    ctx: TransformContext,
    source: str,
    call: SgNode,
    method: str,
    args: list[SgNode],
    target: str,
    kind: str | None,
) -> list[jscode.Edit] | None:
    """A record call (or annotation) as a call on the span; None when `method` is no record call."""
    start, end = _span(call)
    line = jscode.line_of(call)
    if method == "recordBinary" and len(args) == 2:
        ctx.migrated(line, RULE_RECORD, "recordBinary → setAttribute")
        return [(start, end, _binary(target, args[0], args[1], kind))]
    if method == "setTags" and len(args) == 1:
        ctx.migrated(line, RULE_RECORD, "setTags → setAttributes")
        return [(start, end, f"{target}.setAttributes({_mapped_object(args[0], kind)})")]
    if method == "recordMessage" and len(args) == 1:
        ctx.migrated(line, RULE_RECORD, "recordMessage → addEvent")
        return [(start, end, f"{target}.addEvent({args[0].text()})")]
    if method == "recordRpc" and len(args) == 1:
        ctx.migrated(line, RULE_RECORD, "recordRpc → updateName")
        return [(start, end, f"{target}.updateName({args[0].text()})")]
    if method == "recordServiceName":
        ctx.migrated(line, RULE_RECORD, "recordServiceName: the service name is the resource's service.name")
        return _drop_statement(ctx, source, call, "recordServiceName in an expression: drop it by hand")
    return None


def _manual(ctx: TransformContext, source: str, node: SgNode, reason: str) -> list[jscode.Edit]:
    return js.todo(ctx, source, node, RULE_IDS, reason)


def _drop_statement(ctx: TransformContext, source: str, call: SgNode, reason: str) -> list[jscode.Edit]:
    statement = jscode.statement_of(call)
    if statement.kind() == "expression_statement" and _span(statement.named_children()[0]) == _span(call):
        return [(*js.full_lines(source, statement), "")]
    return _manual(ctx, source, call, reason)


# ---- zipkin's HttpServer instrumentation → @opentelemetry/instrumentation-http ----


SERVER_METHODS = ("recordRequest", "recordResponse")


def http_servers(root: SgNode) -> dict[str, SgNode]:
    """Variables holding `new Instrumentation.HttpServer(...)` (-> that expression) used for nothing but
    recordRequest / recordResponse: the OTel HTTP instrumentation takes their place. Others stay (TODO)."""
    found = {}
    for new in root.find_all(kind="new_expression"):
        constructor = new.field("constructor")
        declarator = new.parent()
        if (
            constructor is None
            or not constructor.text().endswith("Instrumentation.HttpServer")
            or declarator.kind() != "variable_declarator"
        ):
            continue
        name = declarator.field("name")
        uses = [
            i
            for i in root.find_all(kind="identifier")
            if i.text() == name.text() and i.range() != name.range()
        ]
        if all(_server_method(use) in SERVER_METHODS for use in uses):
            found[name.text()] = new
    return found


def _server_method(use: SgNode) -> str | None:
    member = use.parent()
    if (
        member is None
        or member.kind() != "member_expression"
        or member.field("object").range() != use.range()
    ):
        return None
    return member.field("property").text()


def _server_call(
    ctx: TransformContext, source: str, root: SgNode, call: SgNode, method: str
) -> list[jscode.Edit]:
    """The server span is the HTTP instrumentation's; a recorded error goes on it."""
    args = jscode.args_of(call)
    line = jscode.line_of(call)
    if method == "recordRequest":
        ctx.migrated(line, RULE_IDS, "HttpServer.recordRequest → the HTTP instrumentation's server span")
        edits = [(*_span(call), "trace.getActiveSpan()")]
        reader = args[2] if len(args) == 3 and args[2].kind() == "identifier" else None
        uses = [
            i for i in root.find_all(kind="identifier") if reader is not None and i.text() == reader.text()
        ]
        if reader is not None and len(uses) == 2:  # its declaration and this call
            statement = jscode.statement_of(next(u for u in uses if _span(u) != _span(reader)))
            edits.append((*js.full_lines(source, statement), ""))
        return edits
    if method == "recordResponse" and len(args) >= 2:
        ctx.migrated(line, RULE_IDS, "HttpServer.recordResponse → status from the HTTP instrumentation")
        if len(args) == 3:
            return [(*_span(call), f"{args[0].text()}?.recordException({args[2].text()})")]
        return _drop_statement(ctx, source, call, "recordResponse in an expression: drop it by hand")
    return _manual(ctx, source, call, f"zipkin HttpServer.{method} has no OpenTelemetry counterpart here")


# ---- step 2: span callbacks ----


def _one_callback(ctx: TransformContext, source: str, root: SgNode, tracers: set[str]) -> str | None:
    """Convert the first span callback that holds no other one."""
    candidates = _span_calls(root, tracers)
    for call, child in candidates:
        inner = [c for c, _ in candidates if c is not call and _inside(c, call)]
        if inner:
            continue
        style = jscode.style_of(root)
        if child is None:
            return _convert_local(ctx, source, call, style)
        return _convert_child(ctx, source, call, child, style)
    return None


def _inside(node: SgNode, outer: SgNode) -> bool:
    (start, end), (outer_start, outer_end) = _span(node), _span(outer)
    return outer_start <= start and end <= outer_end


def _statements_text(source: str, statements: list[SgNode], edits: list[jscode.Edit]) -> str:
    """The statements' lines (from the first one's indentation) with the `edits` inside them applied."""
    if not statements:
        return ""
    start = jscode.line_start(source, statements[0].range().start.index)
    end = statements[-1].range().end.index
    inside = [(s - start, e - start, text) for s, e, text in edits if start <= s and e <= end]
    return jscode.apply_edits(source[start:end], inside)


def _indented(text: str, indent: str) -> str:
    """`text` moved so that its first line starts at `indent` (the others keep their relative indent)."""
    lines = text.split("\n")
    base = re.match(r"[ \t]*", lines[0]).group(0)  # type: ignore[union-attr]
    return "\n".join(
        indent + line[len(base) :] if line.startswith(base) and line.strip() else line for line in lines
    )


def _returns(callback: SgNode) -> list[SgNode]:
    """The return statements of `callback` itself (not of functions nested in it)."""
    found = []
    for statement in callback.find_all(kind="return_statement"):
        owner = next(
            (
                a
                for a in statement.ancestors()
                if a.kind() in (*FUNCTIONS, "function_declaration", "method_definition")
            ),
            None,
        )
        if owner is not None and _span(owner) == _span(callback):
            found.append(statement)
    return found


def _visible_promise(node: SgNode | None, async_functions: set[str]) -> bool:
    """A value the code shows is a promise: `.then/.catch/.finally(...)`, `new Promise`, `Promise.x()`,
    or a call of a function declared `async` in this file."""
    if node is None:
        return False
    text = node.text()
    if node.kind() == "new_expression":
        return text.startswith("new Promise")
    if node.kind() != "call_expression":
        return False
    function = node.field("function")
    name = function.text() if function is not None else ""
    return (
        bool(re.search(r"\.(then|catch|finally)$", name))
        or name.startswith("Promise.")
        or name in async_functions
    )


def _may_settle_later(value: SgNode) -> bool:
    """A returned value that may be a promise: the span must end when it settles (`return await`)."""
    return value.kind() in (
        "call_expression",
        "new_expression",
        "identifier",
        "member_expression",
        "ternary_expression",
        "parenthesized_expression",
        "subscript_expression",
    )


def _async_functions(root: SgNode) -> set[str]:
    names = set()
    for node in root.find_all(kind="function_declaration"):
        if node.child(0) is not None and node.child(0).kind() == "async":
            names.add(node.field("name").text())
    for declarator in root.find_all(kind="variable_declarator"):
        value = declarator.field("value")
        if value is not None and value.kind() in FUNCTIONS and value.child(0).kind() == "async":
            names.add(declarator.field("name").text())
    return names


def _convert_local(ctx: TransformContext, source: str, call: SgNode, style: jscode.Style) -> str:
    args = jscode.args_of(call)
    callback = args[1]
    body = callback.field("body")
    is_async = callback.child(0).kind() == "async"
    unit, indent = style.indent, jscode.indent_at(source, call.range().start.index)
    root = call.get_root().root()
    async_functions = _async_functions(root)
    if body.kind() == "statement_block":
        returns = _returns(callback)
        values = [r.named_children()[0] for r in returns if r.named_children()]
        promised = not is_async and any(_visible_promise(v, async_functions) for v in values)
        awaits = [
            (v.range().start.index, v.range().start.index, "await ") for v in values if _may_settle_later(v)
        ]
        text = _indented(
            _statements_text(source, body.named_children(), awaits if is_async or promised else []),
            indent + unit * 2,
        )
    else:
        promised = not is_async and _visible_promise(body, async_functions)
        awaited = (is_async or promised) and _may_settle_later(body)
        text = f"{indent}{unit * 2}return {'await ' if awaited else ''}{body.text()};"
    prefix = "async " if is_async or promised else ""
    converted = (
        f"{prefix}(span) => {{\n{indent}{unit}try {{\n{text}\n"
        + ERROR_CATCH.format(i=indent + unit, u=unit)
        + f"{indent}{unit}}} finally {{\n{indent}{unit * 2}span.end();\n{indent}{unit}}}\n{indent}}}"
    )
    function = call.field("function")
    js.add_api_names(ctx, "SpanStatusCode")
    ctx.migrated(
        jscode.line_of(call), RULE_LOCAL, "tracer.local → startActiveSpan with end and error recording"
    )
    return jscode.apply_edits(
        source,
        [
            (*_span(function.field("property")), "startActiveSpan"),
            (*_span(callback), converted),
        ],
    )


def _convert_child(
    ctx: TransformContext, source: str, call: SgNode, child: tuple[SgNode, str, bool], style: jscode.Style
) -> str:
    callback, id_name, is_root = child
    body = callback.field("body")
    statements = [s for s in body.named_children() if s.kind() != "comment"][2:]
    kind, name = "INTERNAL", None
    rest = []
    for statement in statements:
        expression = statement.named_children()[0] if statement.kind() == "expression_statement" else None
        called = jscode.method_call(expression) if expression is not None else None
        annotation = (
            _annotation(jscode.args_of(expression)[0])
            if called and called[1] == "recordAnnotation" and jscode.args_of(expression)
            else None
        )
        if annotation is not None and annotation[0] in STARTS:
            kind = STARTS[annotation[0]]
            if annotation[1]:
                name = annotation[1][0].text()
            continue
        if called is not None and called[0].text() == id_name and called[1] == "updateName" and name is None:
            name = jscode.args_of(expression)[0].text()
            continue
        rest.append(statement)
    span = "span" if not any(i.text() == "span" for i in body.find_all(kind="identifier")) else id_name
    unit, indent = style.indent, jscode.indent_at(source, call.range().start.index)
    ends_last = rest and re.fullmatch(rf"{re.escape(id_name)}\.end\(\);?", rest[-1].text()) is not None
    if ends_last:
        rest = rest[:-1]
    renames = [
        (*_span(i), span) for s in rest for i in s.find_all(kind="identifier") if i.text() == id_name != span
    ]
    renamed = _statements_text(source, rest, renames)
    if ends_last:
        inner = (
            f"{indent}{unit}try {{\n{_indented(renamed, indent + unit * 2)}\n"
            f"{indent}{unit}}} finally {{\n{indent}{unit * 2}{span}.end();\n{indent}{unit}}}"
        )
    else:
        inner = _indented(renamed, indent + unit)
    options = []
    if is_root:
        options.append("root: true")
    if kind != "INTERNAL":
        options.append(f"kind: SpanKind.{kind}")
    if name is None:
        name = style.string("unknown")
        ctx.manual(
            jscode.line_of(call), RULE_IDS, "the zipkin span had no name (no Rpc or LocalOperationStart)"
        )
    head = f"{name}, {style.object(options)}, " if options else f"{name}, "
    prefix = "async " if callback.child(0).kind() == "async" else ""
    converted = f"{prefix}({span}) => {{\n{inner}\n{indent}}}"
    js.add_api_names(ctx, "SpanKind")
    ctx.migrated(jscode.line_of(call), RULE_IDS, f"createChildId + {kind} annotations → startActiveSpan")
    function = call.field("function")
    return jscode.apply_edits(
        source,
        [(*_span(function.field("property")), "startActiveSpan"), (*_span(callback), head + converted)],
    )
