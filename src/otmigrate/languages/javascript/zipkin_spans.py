"""zipkin-js span calls → OpenTelemetry spans (api-mapping §4.3).

zipkin-js keeps a *current trace id* that `record*` calls annotate; OpenTelemetry hands out span objects.
So the rewrite works in two steps:

1. Leaf calls: `recordBinary` / `setTags` / `recordMessage` / `recordRpc` and annotation records become
   `setAttribute` / `setAttributes` / `addEvent` / `updateName` on the span of the enclosing span callback
   (or `trace.getActiveSpan()?.` outside one); a stop annotation becomes `span.end()`; `scoped(fn)` and
   `letId(id, fn)` become `context.with(...)`; the HttpServer instrumentation's request/response calls
   become the OTel HTTP instrumentation's server span.
2. Span callbacks (zipkin_callbacks.py), innermost first: `tracer.local(name, fn)` and scoped child
   spans (`createChildId` + start/stop annotations) become `tracer.startActiveSpan(...)` callbacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext
from otmigrate.languages.javascript import jscode
from otmigrate.languages.javascript import sdk_setup as js
from otmigrate.languages.javascript.tags import attribute_key
from otmigrate.languages.javascript.zipkin_callbacks import convert_one_callback
from otmigrate.languages.javascript.zipkin_patterns import (
    FUNCTIONS,
    RULE_IDS,
    RULE_LOCAL,
    RULE_RECORD,
    STARTS,
    STOPS,
    annotation_of,
    child_pattern,
    is_tracer,
    node_span,
    span_calls,
    tracer_names,
)

ANNOTATION_RECORDS = {  # annotation classes that say what a record call says
    "BinaryAnnotation": "recordBinary",
    "Message": "recordMessage",
    "Rpc": "recordRpc",
    "ServiceName": "recordServiceName",
}
ZIPKIN_KEYS = {"http.path": "url.path"}  # zipkin-js's own HTTP tag keys not in OpenTracing's table
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
    tracers = tracer_names(ctx)
    source = _leaf_calls(ctx, ctx.source, jscode.parse(ctx.source, ctx.language.grep_language), tracers)
    for _ in range(MAX_CALLBACKS):
        reported = len(ctx.changes)
        converted = convert_one_callback(
            ctx, source, jscode.parse(source, ctx.language.grep_language), tracers
        )
        if converted is None:
            break
        js.report_on_input_lines(ctx, reported, source)
        source = converted
    return source if source != ctx.source else None


def _span_callbacks(
    root: SgNode, tracers: set[str]
) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
    """(start, end) of every span callback -> the name its span goes by inside it; and the opening
    `const id = tracer.createChildId(); tracer.setId(id);` statements, converted with their callback."""
    found = {}
    opening = set()
    for call, child in span_calls(root, tracers):
        if child is None:
            found[node_span(jscode.args_of(call)[1])] = "span"
        else:
            found[node_span(child[0])] = child[1]
            statements = [s for s in child[0].field("body").named_children() if s.kind() != "comment"]
            opening |= {node_span(statements[0]), node_span(statements[1])}
    return found, opening


def _enclosing_span(node: SgNode, callbacks: dict[tuple[int, int], str]) -> str | None:
    for ancestor in node.ancestors():
        if ancestor.kind() in FUNCTIONS and node_span(ancestor) in callbacks:
            return callbacks[node_span(ancestor)]
    return None


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
        elif is_tracer(receiver, tracers):
            edits += _tracer_call(ctx, source, call, method, spans)
    for member in root.find_all(kind="member_expression"):
        receiver, prop = member.field("object"), member.field("property")
        if prop is not None and prop.text() == "id" and receiver is not None and is_tracer(receiver, tracers):
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
        (*node_span(call), f"{{ ...{request}, headers: {request}.headers || {{}} }}"),
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
        if ancestor.kind() in FUNCTIONS and node_span(ancestor) in callbacks:
            for statement in ancestor.find_all(kind="new_expression"):
                annotation = annotation_of(statement)
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
        and child_pattern(call, {call.field("function").field("object").text()}) is None
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
        and node_span(jscode.statement_of(call)) in spans.opening
    ):
        return []  # converted with its callback
    if method == "local" and len(args) == 2 and args[1].kind() in ("identifier", "member_expression"):
        ctx.migrated(
            line, RULE_LOCAL, f"tracer.local(name, {args[1].text()}): the callback is called in place"
        )
        return [(*node_span(args[1]), f"() => {args[1].text()}()")]
    if method in UNMIGRATED_TRACER_METHODS and not any(node_span(a) in spans.callbacks for a in args):
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
    annotation = annotation_of(node)
    start, end = node_span(call)
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
    start, end = node_span(call)
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
    if statement.kind() == "expression_statement" and node_span(statement.named_children()[0]) == node_span(
        call
    ):
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
        edits = [(*node_span(call), "trace.getActiveSpan()")]
        reader = args[2] if len(args) == 3 and args[2].kind() == "identifier" else None
        uses = [
            i for i in root.find_all(kind="identifier") if reader is not None and i.text() == reader.text()
        ]
        if reader is not None and len(uses) == 2:  # its declaration and this call
            statement = jscode.statement_of(next(u for u in uses if node_span(u) != node_span(reader)))
            edits.append((*js.full_lines(source, statement), ""))
        return edits
    if method == "recordResponse" and len(args) >= 2:
        ctx.migrated(line, RULE_IDS, "HttpServer.recordResponse → status from the HTTP instrumentation")
        if len(args) == 3:
            return [(*node_span(call), f"{args[0].text()}?.recordException({args[2].text()})")]
        return _drop_statement(ctx, source, call, "recordResponse in an expression: drop it by hand")
    return _manual(ctx, source, call, f"zipkin HttpServer.{method} has no OpenTelemetry counterpart here")
