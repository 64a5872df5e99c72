"""OpenTracing call sites -> OpenTelemetry API calls (api-mapping §2.1, tags §5, logs §6).

Works on spans by where they come from, not by type: a name bound by `start_span(...)`, a `with` target
of `start_active_span`/`start_span`, `scope.span`, or a name that says span (`span`, `request_span`).
jaeger-client tracers are OpenTracing tracers, so files that import only jaeger_client come here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider

from otmigrate.languages.python.cst import (
    arg_at,
    code,
    dotted,
    expr,
    has_exit,
    kwarg,
    literal,
    names_used,
    nanoseconds,
    qualified,
    with_reported_todos,
)

# opentracing.ext.tags: constant -> the tag key or value it stands for.
TAG_CONSTANTS = {
    "SPAN_KIND": "span.kind", "SPAN_KIND_RPC_CLIENT": "client", "SPAN_KIND_RPC_SERVER": "server",
    "SPAN_KIND_CONSUMER": "consumer", "SPAN_KIND_PRODUCER": "producer", "SERVICE": "service",
    "ERROR": "error", "COMPONENT": "component", "SAMPLING_PRIORITY": "sampling.priority",
    "PEER_SERVICE": "peer.service", "PEER_HOSTNAME": "peer.hostname", "PEER_ADDRESS": "peer.address",
    "PEER_HOST_IPV4": "peer.ipv4", "PEER_HOST_IPV6": "peer.ipv6", "PEER_PORT": "peer.port",
    "HTTP_URL": "http.url", "HTTP_METHOD": "http.method", "HTTP_STATUS_CODE": "http.status_code",
    "DATABASE_INSTANCE": "db.instance", "DATABASE_STATEMENT": "db.statement", "DATABASE_TYPE": "db.type",
    "DATABASE_USER": "db.user", "MESSAGE_BUS_DESTINATION": "message_bus.destination",
}  # fmt: skip
# §5: OpenTracing tag -> semantic-convention key (semconv v1.43.0).
SEMCONV = {
    "http.method": "http.request.method", "http.url": "url.full",
    "http.status_code": "http.response.status_code", "peer.service": "service.peer.name",
    "peer.ipv4": "network.peer.address", "peer.ipv6": "network.peer.address",
    "db.type": "db.system.name", "db.instance": "db.namespace", "db.statement": "db.query.text",
    "message_bus.destination": "messaging.destination.name",
}  # fmt: skip
# Keys whose OTel name depends on which side of the call the span is: (client/other, server).
PEER = {"peer.hostname": ("server.address", "client.address"), "peer.port": ("server.port", "client.port")}
DB_SYSTEM_VALUES = {"sql": "other_sql"}
KINDS = {"client": "CLIENT", "server": "SERVER", "producer": "PRODUCER", "consumer": "CONSUMER"}
# Fields of an OpenTracing error log that record_exception derives from the exception itself (§6).
ERROR_LOG_FIELDS = {"event", "error.object", "message", "error.kind", "stack"}
ERROR_EVENT_KEYS = {
    "error.kind": "exception.type",
    "message": "exception.message",
    "stack": "exception.stacktrace",
}
# opentracing.logs: constant -> the log field it names (§6).
LOG_CONSTANTS = {
    "EVENT": "event", "ERROR_KIND": "error.kind", "ERROR_OBJECT": "error.object",
    "MESSAGE": "message", "STACK": "stack",
}  # fmt: skip
FORMATS = {"HTTP_HEADERS", "TEXT_MAP", "http_headers", "text_map"}


@dataclass
class Scope:
    """A `with` block that starts a span: its target (old and new name) and kind, when known."""

    old: str | None
    new: str | None
    current: bool  # start_as_current_span (the span is the active one inside)
    kind: str | None = None


class OpenTracingCalls(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, aliases: dict[str, str], report, source: str = "") -> None:
        super().__init__()
        self.aliases = aliases
        self._report = report  # report(kind, line, message)
        self.lines = [line.strip() for line in source.splitlines()]
        self.scopes: list[Scope] = []
        self.functions: list[cst.CSTNode] = []
        self.taken: dict[int, set[str]] = {}
        self.span_names: set[str] = set()
        self.context_names: set[str] = set()
        self.tracer_providers: dict[str, str] = {}  # `tracer = provider.get_tracer(..)`: tracer -> provider
        self.with_calls: set[int] = set()
        self.removed: set[int] = set()
        self.todos: list[tuple[str, int]] = []
        self.hoisting = False  # inside a span.kind statement that moves to the start call
        self.drop_statement = False  # the statement being left only recorded what the with block records
        self.outer_todos: list[list[tuple[str, int]]] = []
        self.statement_call: int | None = None  # the call that is a whole expression statement
        self.start_kinds: dict[int, str] = {}  # start_span call -> the kind a later set_tag gave it
        self.assigned_kinds: dict[str, str] = {}  # span variable -> that kind
        self.current_call: cst.Call | None = None
        self.lifetime_lines: set[int] = set()  # source lines of span starts already reported
        self.handlers: list[tuple[str | None, bool, int]] = []  # except blocks: (name, re-raises, depth)
        self.global_tracer_targets: set[int] = set()  # `opentracing.tracer = x`: left with a TODO

    def report(self, kind: str, node: cst.CSTNode, message: str) -> None:
        position = self.get_metadata(PositionProvider, node, None)
        self._report(kind, position.start.line if position else 0, message)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        """TODOs raised in a compound statement's header belong to that statement, not to its body."""
        self.outer_todos.append(self.todos)
        self.todos = []
        self._hoist_start_span_kinds(node.body)

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.BaseStatement:
        return self._flush_todos(updated)

    def leave_For(self, original: cst.For, updated: cst.For) -> cst.BaseStatement:
        return self._flush_todos(updated)

    def leave_While(self, original: cst.While, updated: cst.While) -> cst.BaseStatement:
        return self._flush_todos(updated)

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        self.todos = self.outer_todos.pop() + self.todos
        return updated.with_changes(
            body=spans_into_with_blocks(updated.body, self.span_names, self._lifetime_todo)
        )

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return updated.with_changes(
            body=spans_into_with_blocks(updated.body, self.span_names, self._lifetime_todo)
        )

    def _lifetime_todo(self, statement: cst.BaseStatement, reason: str | None) -> cst.BaseStatement:
        """A TODO above a span start whose end is not decided here; None: report a migrated lifetime."""
        # Its arguments may be rewritten already; `span = tracer.start_span(` is not.
        text = [
            t.strip() for t in code(statement).splitlines() if t.strip() and not t.strip().startswith("#")
        ]
        head = text[0].split("(")[0]
        lines = [n for n, text in enumerate(self.lines, 1) if text.startswith(head)]
        line = next((n for n in lines if n not in self.lifetime_lines), 0)  # blocks are left in order
        self.lifetime_lines.add(line)
        if reason is None:
            self._report("migrated", line, "span lifetime made explicit (with block or try/finally)")
            return statement
        return with_reported_todos(statement, [(reason, line)], self._report)

    # --- analysis, top-down ------------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        self.functions.append(node)
        self._hoist_start_span_kinds(node.body)

        class Bound(cst.CSTVisitor):
            def visit_Assign(inner, n: cst.Assign) -> None:
                if len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name):
                    name, value = n.targets[0].target.value, n.value
                    if isinstance(value, cst.Call) and self._is_child_span(value):
                        self.span_names.add(name)
                    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
                        if value.func.attr.value == "start_span":
                            self.span_names.add(name)
                        elif value.func.attr.value == "extract" and self._is_format(
                            arg_at(value, 0, "format")
                        ):
                            self.context_names.add(name)
                        elif value.func.attr.value == "get_tracer":
                            self._bind_provider(name, value.func.value)

        node.visit(Bound())

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if qualified(target.target, self.aliases) == "opentracing.tracer":
                self.global_tracer_targets.add(id(target.target))
                self._manual(
                    target.target,
                    "opentracing.tracer = … installs an OpenTracing tracer: install an OpenTelemetry "
                    "provider with trace.set_tracer_provider(provider) instead",
                )

    def visit_Import(self, node: cst.Import) -> bool:
        return False  # module paths like `opentracing.tracer` are names, not expressions to rewrite

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.functions.pop()
        return updated

    def visit_With(self, node: cst.With) -> None:
        item = node.items[0]
        call = item.item
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
            return
        method = call.func.attr.value
        if method == "activate" and dotted(call.func.value).endswith("scope_manager") and call.args:
            # a scope over an existing span: `scope.span` is that span
            old = item.asname.name.value if item.asname and isinstance(item.asname.name, cst.Name) else None
            self.with_calls.add(id(call))
            self.scopes.append(Scope(old, dotted(call.args[0].value) or old, current=True))
            return
        if method not in ("start_active_span", "start_span") or len(node.items) != 1:
            return
        self.with_calls.add(id(call))
        old = item.asname.name.value if item.asname and isinstance(item.asname.name, cst.Name) else None
        new = old
        if old is not None and method == "start_active_span":
            new = self._span_name_for(old)
        scope = Scope(old, new, method == "start_active_span")
        tags = kwarg(call, "tags")
        if tags is not None and isinstance(tags.value, cst.Dict):
            for element in tags.value.elements:
                if isinstance(element, cst.DictElement) and self._tag_key(element.key) == "span.kind":
                    scope.kind = KINDS.get(str(self._tag_value(element.value)))
        if new is not None:
            self.span_names.add(new)
        self._hoist_kind(node, scope, method)
        self.scopes.append(scope)

    def _span_name_for(self, old: str) -> str:
        """`scope` becomes `span` when the function has no other `span`; any other name is kept."""
        func = self.functions[-1]
        taken = self.taken.setdefault(id(func), names_used(func))
        if old == "scope" and "span" not in taken:
            taken.add("span")
            return "span"
        return old

    def _hoist_kind(self, node: cst.With, scope: Scope, method: str) -> None:
        """`<span>.set_tag('span.kind', ...)` in the block moves to the start call (kind is start-only)."""
        if scope.old is None or not isinstance(node.body, cst.IndentedBlock):
            return
        span_expr = f"{scope.old}.span" if method == "start_active_span" else scope.old
        scope.kind = self._kind_tags(node.body.body, span_expr, scope.kind)

    def _kind_tags(self, statements, span_expr: str, kind: str | None) -> str | None:
        """The kind the statements' `span_expr.set_tag('span.kind', K)` give; those statements are removed."""
        for statement in statements:
            if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
                continue
            call = statement.body[0].value if isinstance(statement.body[0], cst.Expr) else None
            if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)):
                continue
            receiver = dotted(call.func.value)
            if call.func.attr.value != "set_tag" or receiver != span_expr or len(call.args) != 2:
                continue
            if self._tag_key(call.args[0].value) != "span.kind":
                continue
            found = KINDS.get(str(self._tag_value(call.args[1].value)))
            if found is not None and kind in (None, found):
                kind = found
                self.removed.add(id(statement))
        return kind

    def _hoist_start_span_kinds(self, statements) -> None:
        """`s = t.start_span(..)` followed in its block by `s.set_tag('span.kind', K)`: kind=K at start."""
        for index, statement in enumerate(statements):
            started = _started_span(statement)
            if started is not None:
                kind = self._kind_tags(statements[index + 1 :], started[0], None)
                if kind is not None:
                    self.start_kinds[id(started[1])] = kind
                    self.assigned_kinds[started[0]] = kind

    # --- rewriting, bottom-up -----------------------------------------------------------------------

    def leave_With(
        self, original: cst.With, updated: cst.With
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        call = original.items[0].item
        if id(call) not in self.with_calls:
            return self._flush_todos(updated)
        scope = self.scopes.pop()
        item = updated.items[0]
        new_call = item.item
        if scope.kind is not None and isinstance(new_call, cst.Call) and kwarg(new_call, "kind") is None:
            new_call = new_call.with_changes(args=[*new_call.args, _kwarg("kind", f"SpanKind.{scope.kind}")])
        asname = item.asname
        if asname is not None and scope.new is not None and scope.new != scope.old:
            asname = asname.with_changes(name=cst.Name(scope.new))
        body = updated.body
        if isinstance(body, cst.IndentedBlock) and not body.body:
            body = body.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])])
        extracted = None
        if call.func.attr.value == "start_active_span" and isinstance(new_call, cst.Call):  # type: ignore[attr-defined]
            new_call, extracted = self._extracted_parent(new_call)
        block = self._flush_todos(
            updated.with_changes(items=[item.with_changes(item=new_call, asname=asname)], body=body)
        )
        if extracted is None:
            return block
        self.report("migrated", original, "the extracted context made current around the span (its baggage)")
        return self._attached(block, extracted)

    def _extracted_parent(self, call: cst.Call) -> tuple[cst.Call, str | None]:
        """The start call, and the extracted context it continues, if any. An extract written inline
        moves out of the call: once attached it is the current context, the span's parent anyway."""
        parent = kwarg(call, "context")
        if parent is None:
            return call, None
        if dotted(parent.value) in self.context_names:
            return call, dotted(parent.value)
        if code(parent.value).startswith("propagate.extract("):
            args = [a for a in call.args if a is not parent]
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return call.with_changes(args=args), code(parent.value)
        return call, None

    def _attached(self, block: cst.BaseStatement, context: str) -> cst.FlattenSentinel[cst.BaseStatement]:
        """`token = otel_context.attach(ctx)` / `try: <block> finally: otel_context.detach(token)`.

        OpenTracing spans inherit the baggage of the span context they continue; OTel reads baggage
        from the current Context, and `start_as_current_span(context=ctx)` makes the span current in
        the *current* context, not in `ctx`. Attaching `ctx` first keeps its baggage readable (and
        propagated on by inject) inside the block, as in OTel's own server instrumentations."""
        func = self.functions[-1]
        taken = self.taken.setdefault(id(func), names_used(func))
        token, number = "token", 1
        while token in taken:
            token, number = f"token_{number}", number + 1
        taken.add(token)
        attach = cst.parse_statement(f"{token} = otel_context.attach({context})")
        detach = cst.parse_statement(f"otel_context.detach({token})")
        guarded = cst.Try(
            body=cst.IndentedBlock(body=[block.with_changes(leading_lines=[])]),
            finalbody=cst.Finally(body=cst.IndentedBlock(body=[detach])),
        )
        return cst.FlattenSentinel([attach.with_changes(leading_lines=block.leading_lines), guarded])

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        name = node.name.name.value if node.name and isinstance(node.name.name, cst.Name) else None
        last = node.body.body[-1] if isinstance(node.body, cst.IndentedBlock) and node.body.body else None
        reraises = (
            isinstance(last, cst.SimpleStatementLine)
            and isinstance(last.body[-1], cst.Raise)
            and (last.body[-1].exc is None or dotted(last.body[-1].exc) == name)
        )
        self.handlers.append((name, reraises, len(self.scopes)))

    def leave_ExceptHandler(
        self, original: cst.ExceptHandler, updated: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        self.handlers.pop()
        return updated

    def _recorded_on_exit(self, span: str, error: str) -> bool:
        """Whether `error` re-raised here leaves a `with` block of `span`, which records it already."""
        if not self.handlers or not self.scopes:
            return False
        name, reraises, depth = self.handlers[-1]
        innermost = self.scopes[-1]
        return (
            reraises
            and name == error
            and depth == len(self.scopes)
            and span in (innermost.new, innermost.old)
        )

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.hoisting = id(node) in self.removed
        only = node.body[0] if len(node.body) == 1 else None
        self.statement_call = id(only.value) if isinstance(only, cst.Expr) else None

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.RemovalSentinel:
        self.hoisting = False
        if self.drop_statement:
            self.drop_statement = False
            return cst.RemoveFromParent()
        if id(original) in self.removed:
            self.report("migrated", original, "span.kind moved to the start call (kind=)")
            return cst.RemoveFromParent()
        return self._flush_todos(updated)

    def _flush_todos(self, node: cst.BaseStatement) -> cst.BaseStatement:
        """Attach the TODOs of the calls in this statement; report each the first time it is written."""
        node = with_reported_todos(node, self.todos, self._report)
        self.todos = []
        return node

    def _manual(self, node: cst.CSTNode, reason: str) -> None:
        position = self.get_metadata(PositionProvider, node, None) or self.get_metadata(
            PositionProvider, self.current_call, None
        )
        self.todos.append((reason, position.start.line if position else 0))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        name = updated.attr.value
        if name == "span" and isinstance(updated.value, cst.Name):
            for scope in reversed(self.scopes):
                if scope.current and scope.old == updated.value.value:
                    return cst.Name(scope.new or scope.old)
        if qualified(original, self.aliases) == "opentracing.tracer":
            if id(original) in self.global_tracer_targets:
                return updated
            return expr("trace.get_tracer(__name__)")
        if name == "active_span" and self._is_tracer(original.value):
            return expr("trace.get_current_span()")
        if name == "context" and self._is_span(updated.value):
            return expr(f"{code(updated.value)}.get_span_context()")
        return updated

    def _is_span(self, node: cst.BaseExpression) -> bool:
        """A span by origin (start_span, a with target, or a start_span call itself, as in
        `tracer.start_span("x").finish()`) or by name (`span`, `request_span`, `self.span`)."""
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            return node.func.attr.value == "start_span"
        name = dotted(node)
        return bool(name) and (name in self.span_names or "span" in name.rsplit(".", 1)[-1].lower())

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        self.current_call = original  # where TODOs about the call's rebuilt arguments are reported
        function = qualified(original.func, self.aliases)
        if function == "opentracing.global_tracer":
            self.report("migrated", original, "global_tracer() → trace.get_tracer(__name__)")
            return expr("trace.get_tracer(__name__)")
        if function == "opentracing.set_global_tracer":
            return self._set_global_tracer(original, updated)
        if self._is_child_span(original):
            return self._child_span(original, updated)
        func = updated.func
        if not isinstance(func, cst.Attribute):
            return updated
        method, receiver = func.attr.value, func.value
        if method == "start_active_span":
            if id(original) not in self.with_calls:
                self._manual(
                    original,
                    "start_active_span outside a `with`, its scope not closed in this block (returned, "
                    "stored, closed elsewhere): end the span and detach its context by hand",
                )
                return updated
            self.report("migrated", original, "start_active_span → start_as_current_span")
            return self._start_args(
                updated.with_changes(func=func.with_changes(attr=cst.Name("start_as_current_span")))
            )
        if method == "start_span":
            started = self._start_args(updated)
            kind = self.start_kinds.get(id(original))
            if kind is not None and kwarg(started, "kind") is None:
                started = started.with_changes(args=[*started.args, _kwarg("kind", f"SpanKind.{kind}")])
            return started
        if method == "activate" and dotted(receiver).endswith("scope_manager") and updated.args:
            if id(original) not in self.with_calls:
                self._manual(
                    original, "scope_manager.activate outside a `with`: use `with trace.use_span(span):`"
                )
                return updated
            finish = arg_at(updated, 1, "finish_on_close")
            end_on_exit = code(finish.value) if finish else "False"
            return expr(f"trace.use_span({code(updated.args[0].value)}, end_on_exit={end_on_exit})")
        if method in ("set_tag", "set_attribute") and len(updated.args) == 2:
            return self._set_tag(updated, receiver, method)
        if method == "log_kv" and updated.args:
            return self._log_kv(original, updated, receiver)
        if method == "log_event" and updated.args:
            payload = arg_at(updated, 1, "payload")
            attrs = f', {{"payload": str({code(payload.value)})}}' if payload else ""
            return expr(f"{code(receiver)}.add_event({code(updated.args[0].value)}{attrs})")
        if method == "get_baggage_item" and len(updated.args) == 1:
            self.report(
                "migrated", original, "get_baggage_item → baggage.get_baggage (the current context's)"
            )
            return expr(f"baggage.get_baggage({code(updated.args[0].value)})")
        if method == "set_baggage_item" and len(updated.args) == 2:
            if id(original) != self.statement_call or not dotted(receiver):
                self._manual(
                    original, "set_baggage_item inside an expression: attach baggage.set_baggage(k, v)"
                )
                return updated
            self.report("migrated", original, "set_baggage_item → attach a context with the baggage")
            key, value = (code(a.value) for a in updated.args)
            return expr(f"otel_context.attach(baggage.set_baggage({key}, {value}))")
        if method == "set_operation_name":
            self.report("migrated", original, "span.set_operation_name(n) → span.update_name(n)")
            return updated.with_changes(func=func.with_changes(attr=cst.Name("update_name")))
        if method == "finish" and self._is_span(receiver):
            self.report("migrated", original, "span.finish() → span.end()")
            when = arg_at(updated, 0, "finish_time")
            end_time = f"end_time={nanoseconds(when.value)}" if when else ""
            return expr(f"{code(receiver)}.end({end_time})")
        if method == "inject" and self._is_format(arg_at(updated, 1, "format")):
            return self._inject(original, updated)
        if method == "extract" and self._is_format(arg_at(updated, 0, "format")):
            carrier = arg_at(updated, 1, "carrier")
            if carrier is not None:
                self.report("migrated", original, "extract → propagate.extract (returns a Context)")
                text = code(carrier.value)
                if text.startswith("dict("):
                    # The legacy codecs matched header names in any case; OTel's default getter is a
                    # case-sensitive dict.get of lower-case names (B3, traceparent, uber-trace-id).
                    text = f"{{k.lower(): v for k, v in {text}.items()}}"
                return expr(f"propagate.extract({text})")
        if method in ("inject", "extract") and self._is_binary(updated):
            self._manual(original, "Format.BINARY has no OpenTelemetry equivalent")
        return updated

    def _set_global_tracer(self, original: cst.Call, call: cst.Call) -> cst.BaseExpression:
        """OTel installs a provider, not a tracer: the provider of `provider.get_tracer(..)` or of a
        name bound to it in this scope (a migrated jaeger `new_tracer()`)."""
        tracer = arg_at(call, 0, "value")
        value = tracer.value if tracer is not None else None
        provider = None
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            if value.func.attr.value == "get_tracer":
                provider = _provider_name(value.func.value)
        elif value is not None:
            provider = self.tracer_providers.get(dotted(value))
        if provider is None:
            self._manual(
                original,
                "set_global_tracer with a tracer whose provider is not known here: "
                "install its TracerProvider with trace.set_tracer_provider(provider)",
            )
            return call
        self.report("migrated", original, "set_global_tracer(tracer) → trace.set_tracer_provider(provider)")
        return expr(f"trace.set_tracer_provider({provider})")

    def _bind_provider(self, tracer: str, provider: cst.BaseExpression) -> None:
        name = _provider_name(provider)
        if name is not None:
            self.tracer_providers[tracer] = name

    def _is_child_span(self, call: cst.Call) -> bool:
        name = qualified(call.func, self.aliases)
        return name.startswith("opentracing.") and name.endswith(".start_child_span")

    def _child_span(self, original: cst.Call, call: cst.Call) -> cst.BaseExpression:
        """`start_child_span(parent, name, tags=, start_time=)`; OTel spans have no `.tracer`, so the
        global tracer starts the child."""
        parent, name = arg_at(call, 0, "parent_span"), arg_at(call, 1, "operation_name")
        if parent is None or name is None:
            return call
        self.report("migrated", original, "start_child_span → start_span(context=the parent's)")
        rest = [a for a in call.args if a.keyword is not None and a.keyword.value in ("tags", "start_time")]
        # opentracing/tracer.py runs `parent.tracer.start_span(name, child_of=parent, ..)` (its docstring
        # says references=child_of(..), which would also make a link; the harness showed it does not).
        started = expr(
            f"trace.get_tracer(__name__).start_span({code(name.value)}, "
            f"context=trace.set_span_in_context({code(parent.value)}))"
        )
        return self._start_args(started.with_changes(args=[*started.args, *rest]))  # type: ignore[attr-defined]

    def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison) -> cst.BaseExpression:
        """`ctx is None` after extract: OTel's extract always returns a Context, so test its span instead."""
        if len(updated.comparisons) != 1 or dotted(updated.left) not in self.context_names:
            return updated
        target = updated.comparisons[0]
        if literal(target.comparator) is not None or not isinstance(target.operator, cst.Is | cst.IsNot):
            return updated
        valid = f"trace.get_current_span({dotted(updated.left)}).get_span_context().is_valid"
        return expr(valid if isinstance(target.operator, cst.IsNot) else f"not {valid}")

    # --- the pieces ----------------------------------------------------------------------------------

    def _is_tracer(self, node: cst.BaseExpression) -> bool:
        name = dotted(node)
        return bool(name) and (
            "tracer" in name.lower() or qualified(node, self.aliases).startswith("opentracing")
        )

    def _is_format(self, arg: cst.Arg | None) -> bool:
        if arg is None:
            return False
        value = literal(arg.value)
        if isinstance(value, str):
            return value in FORMATS
        name = dotted(arg.value)
        return name.rsplit(".", 1)[-1] in FORMATS and "Format" in name

    def _is_binary(self, call: cst.Call) -> bool:
        return any(dotted(a.value).endswith("Format.BINARY") for a in call.args)

    def _tag_key(self, node: cst.BaseExpression) -> str | None:
        value = literal(node)
        if isinstance(value, str):
            return value
        name = qualified(node, self.aliases)
        if name.startswith("opentracing.ext.tags."):
            return TAG_CONSTANTS.get(name.rsplit(".", 1)[-1])
        return None

    def _tag_value(self, node: cst.BaseExpression) -> object:
        key = self._tag_key(node)
        return key if key is not None else literal(node)

    def _scope_kind(self, receiver: cst.BaseExpression) -> str | None:
        name = dotted(receiver)
        if name in self.assigned_kinds:
            return self.assigned_kinds[name]
        for scope in reversed(self.scopes):
            if name in (scope.new, scope.old):
                return scope.kind
        return None

    def _attribute(self, key: str, value: cst.BaseExpression, kind: str | None) -> tuple[str, str]:
        """(OTel key, value code) for an OpenTracing tag."""
        if key in PEER:
            key = PEER[key][kind == "SERVER"]
        elif key in SEMCONV:
            if key == "db.type" and literal(value) in DB_SYSTEM_VALUES:
                return SEMCONV[key], f'"{DB_SYSTEM_VALUES[literal(value)]}"'  # type: ignore[index]
            key = SEMCONV[key]
        return key, code(value)

    def _set_tag(self, call: cst.Call, receiver: cst.BaseExpression, method: str) -> cst.BaseExpression:
        key_node, value = call.args[0].value, call.args[1].value
        key = self._tag_key(key_node)
        legacy_key = key is not None and (
            not isinstance(literal(key_node), str)
            or key in SEMCONV
            or key in PEER
            or key in ("span.kind", "error")
        )
        if method == "set_attribute" and not legacy_key:
            return call
        span = code(receiver)
        if key == "span.kind":
            if self.hoisting:
                return call
            self._manual(
                call, "span.kind can only be given when the span starts: pass kind= to the start call"
            )
            return call
        if key == "sampling.priority":
            self._manual(call, "sampling.priority cannot be honoured after start: use a Sampler")
            return call
        if key == "error":
            flag = literal(value)
            status = {True: "StatusCode.ERROR", False: "StatusCode.OK"}.get(flag)  # type: ignore[call-overload]
            status = status or f"StatusCode.ERROR if {code(value)} else StatusCode.UNSET"
            return expr(f"{span}.set_status(Status({status}))")
        if key is None:
            return call.with_changes(func=call.func.with_changes(attr=cst.Name("set_attribute")))  # type: ignore[attr-defined]
        new_key, value_code = self._attribute(key, value, self._scope_kind(receiver))
        return expr(f'{span}.set_attribute("{new_key}", {value_code})')

    def _log_kv(self, original: cst.Call, call: cst.Call, receiver: cst.BaseExpression) -> cst.BaseExpression:
        fields = self._log_fields(call.args[0].value)
        if fields is None:
            self._manual(original, "log_kv with a computed dict: turn it into add_event(name, attributes)")
            return call
        items, spreads = fields
        when = arg_at(call, 1, "timestamp")
        timestamp = f", timestamp={nanoseconds(when.value)}" if when else ""
        span = code(receiver)
        event = self._tag_value(items["event"]) if "event" in items else "log"
        if event == "error" and "error.object" in items:
            if self._recorded_on_exit(span, dotted(items["error.object"])):
                self.report(
                    "migrated", original, "error log dropped: the with block records the re-raised exception"
                )
                self.drop_statement = True
                return call
            rest = {k: v for k, v in items.items() if k not in ERROR_LOG_FIELDS}
            attrs = f", {_dict(rest, spreads)}" if rest or spreads else ""
            return expr(f"{span}.record_exception({code(items['error.object'])}{attrs}{timestamp})")
        if not isinstance(event, str):
            self._manual(original, "log_kv with a computed event name")
            return call
        if event == "error":
            event = "exception"
            items = {ERROR_EVENT_KEYS.get(k, k): v for k, v in items.items()}
        rest = {k: v for k, v in items.items() if k != "event"}
        attrs = f", {_dict(rest, spreads)}" if rest or spreads else ""
        return expr(f'{span}.add_event("{event}"{attrs}{timestamp})')

    def _log_fields(
        self, node: cst.BaseExpression
    ) -> tuple[dict[str, cst.BaseExpression], list[cst.BaseExpression]] | None:
        """({key: value}, [**spread values]) of a log_kv dict whose keys are known here: string literals,
        `opentracing.logs` constants, or `dict(key=value)` keywords; None for a computed dict."""
        items: dict[str, cst.BaseExpression] = {}
        spreads: list[cst.BaseExpression] = []
        if isinstance(node, cst.Dict):
            for element in node.elements:
                if isinstance(element, cst.StarredDictElement):
                    spreads.append(element.value)
                    continue
                key = self._log_key(element.key)
                if key is None:
                    return None
                items[key] = element.value
        elif isinstance(node, cst.Call) and dotted(node.func) == "dict":
            for arg in node.args:
                if arg.star == "**":
                    spreads.append(arg.value)
                elif arg.keyword is not None:
                    items[arg.keyword.value] = arg.value
                else:
                    return None
        else:
            return None
        return items, spreads

    def _log_key(self, node: cst.BaseExpression) -> str | None:
        value = literal(node)
        if isinstance(value, str):
            return value
        name = qualified(node, self.aliases)
        return LOG_CONSTANTS.get(name.rsplit(".", 1)[-1]) if name.startswith("opentracing.logs.") else None

    def _inject(self, original: cst.Call, call: cst.Call) -> cst.BaseExpression:
        context, carrier = arg_at(call, 0, "span_context"), arg_at(call, 2, "carrier")
        if context is None or carrier is None:
            return call
        self.report("migrated", original, "inject → propagate.inject")
        # jaeger-client's inject also takes the span itself, not only its context
        span = dotted(context.value) if self._is_span(context.value) else _span_of_context(context.value)
        innermost = next((s for s in reversed(self.scopes) if s.new), None)
        if span is not None and innermost is not None and innermost.current and span == innermost.new:
            return expr(f"propagate.inject({code(carrier.value)})")
        parent = f"trace.set_span_in_context({span})" if span else self._non_recording(context.value)
        return expr(f"propagate.inject({code(carrier.value)}, context={parent})")

    def _non_recording(self, node: cst.BaseExpression) -> str:
        return f"trace.set_span_in_context(NonRecordingSpan({code(node)}))"

    def _parent(self, node: cst.BaseExpression) -> str | None:
        """The `context=` value for a `child_of=` parent: a Context, a span, or a span context."""
        name = dotted(node)
        if name in self.context_names:
            return name
        if code(node).startswith("propagate.extract("):  # an extract inlined in the call
            return code(node)
        if code(node) == "trace.get_current_span()":  # `child_of=tracer.active_span`
            return f"trace.set_span_in_context({code(node)})"
        if self._is_span(node):
            return f"trace.set_span_in_context({name})"
        span = _span_of_context(node)
        return f"trace.set_span_in_context({span})" if span else None

    def _start_args(self, call: cst.Call) -> cst.Call:
        args: list[cst.Arg] = []
        references = kwarg(call, "references")
        for arg in call.args:
            name = arg.keyword.value if arg.keyword else None
            if name == "child_of":
                parent = self._parent(arg.value)
                if parent is None:
                    self._manual(call, "child_of= may be a span or a span context: pass context= by hand")
                    args.append(arg)
                else:
                    args.append(_rename(arg, "context", expr(parent)))
            elif name == "references" and references is not None:
                args += self._references(arg, has_child_of=kwarg(call, "child_of") is not None)
            elif name == "tags":
                args += self._tags(arg)
            elif name == "start_time":
                args.append(_rename(arg, "start_time", expr(nanoseconds(arg.value))))
            elif name == "finish_on_close":
                args.append(_rename(arg, "end_on_exit", arg.value))
            elif (
                name == "ignore_active_span"
                and literal(arg.value) is True
                and kwarg(call, "child_of") is None
            ):
                args.append(_rename(arg, "context", expr("Context()")))  # an empty context: a root span
            elif name == "ignore_active_span":
                self._manual(
                    call, "ignore_active_span: start the span with context=Context() to make it a root"
                )
                args.append(arg)
            else:
                args.append(arg)
        return call.with_changes(args=args)

    def _references(self, arg: cst.Arg, *, has_child_of: bool) -> list[cst.Arg]:
        refs = arg.value.elements if isinstance(arg.value, cst.List) else None
        parsed = []
        for element in refs or []:
            ref = element.value
            kind = qualified(ref.func, self.aliases).rsplit(".", 1)[-1] if isinstance(ref, cst.Call) else ""
            if kind not in ("child_of", "follows_from") or not ref.args:  # type: ignore[union-attr]
                parsed = []
                break
            parsed.append((kind, ref.args[0].value))  # type: ignore[union-attr]
        if not parsed:
            self._manual(arg, "references= that are not child_of()/follows_from() calls: build Links by hand")
            return [arg]
        links = ", ".join(
            f'Link({self._span_context(v)}, {{"opentracing.ref_type": "{k}"}})' for k, v in parsed
        )
        out = []
        if not has_child_of:
            first = next((v for k, v in parsed if k == "child_of"), parsed[0][1])
            out.append(_kwarg("context", self._parent(first) or self._non_recording(first)))
        out.append(_rename(arg, "links", expr(f"[{links}]")))
        return out

    def _span_context(self, node: cst.BaseExpression) -> str:
        name = dotted(node)
        return f"{name}.get_span_context()" if self._is_span(node) else code(node)

    def _tags(self, arg: cst.Arg) -> list[cst.Arg]:
        if not isinstance(arg.value, cst.Dict):
            return [_rename(arg, "attributes", arg.value)]
        kind = None
        attributes: dict[str, str] = {}
        pending = []
        for element in arg.value.elements:
            key = self._tag_key(element.key) if isinstance(element, cst.DictElement) else None
            if key is None:
                self._manual(arg, "tags= with computed keys: map them to semantic-convention keys by hand")
                return [_rename(arg, "attributes", arg.value)]
            if key == "span.kind" and KINDS.get(str(self._tag_value(element.value))):
                kind = KINDS[str(self._tag_value(element.value))]
            else:
                pending.append((key, element.value))
        for key, value in pending:
            new_key, value_code = self._attribute(key, value, kind)
            attributes[new_key] = value_code
        out = []
        if kind is not None:
            out.append(_kwarg("kind", f"SpanKind.{kind}", comma=bool(attributes) or _comma(arg)))
        if attributes:
            body = ", ".join(f'"{k}": {v}' for k, v in attributes.items())
            out.append(_rename(arg, "attributes", expr(f"{{{body}}}")))
        return out


def _dict(items: dict[str, cst.BaseExpression], spreads: Sequence[cst.BaseExpression] = ()) -> str:
    entries = [f'"{k}": {code(v)}' for k, v in items.items()] + [f"**{code(v)}" for v in spreads]
    return "{" + ", ".join(entries) + "}"


def _provider_name(node: cst.BaseExpression) -> str | None:
    """The provider in `<provider>.get_tracer(..)`; None for `trace` (the global one) or an expression."""
    name = dotted(node)
    return name if name and name != "trace" else None


def _span_of_context(node: cst.BaseExpression) -> str | None:
    """`span.get_span_context()` (a migrated `span.context`) -> `span`."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and not node.args:  # noqa: SIM102
        if node.func.attr.value == "get_span_context":
            return dotted(node.func.value) or None
    return None


def _comma(arg: cst.Arg) -> cst.Comma | bool:
    return arg.comma if isinstance(arg.comma, cst.Comma) else False


def _rename(arg: cst.Arg, keyword: str, value: cst.BaseExpression) -> cst.Arg:
    return arg.with_changes(keyword=cst.Name(keyword), value=value)


def _kwarg(keyword: str, value: str, comma: object = False) -> cst.Arg:
    if isinstance(comma, cst.Comma):
        sep = comma
    elif comma:
        sep = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    else:
        sep = cst.MaybeSentinel.DEFAULT
    return cst.Arg(
        keyword=cst.Name(keyword),
        value=expr(value),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
        comma=sep,  # type: ignore[arg-type]
    )


def spans_into_with_blocks(
    body: list[cst.BaseStatement], span_names: set[str], note
) -> list[cst.BaseStatement]:
    """A span's lifetime made explicit (issue 3, "span lifetime").

    `s = t.start_span(..)` .. `s.end()` in one block with no early exit between becomes
    `with t.start_span(..) as s:` (the span is not made current, as in OpenTracing); with an early exit
    (return/raise/break/continue) between, the statements go into `try:` and the end into `finally:`.
    A span not ended in its block (returned, stored, ended elsewhere, never ended) gets a TODO.
    """
    out = list(body)
    index = 0
    while index < len(out):
        stored = _stored_span(out[index])
        if stored is not None:
            out[index] = note(
                out[index], f"span stored in {stored}: its end is not decided here, end it on every path"
            )
        started = _started_span(out[index])
        if (
            started is None
            or started[0] not in span_names
            or _ended_in_finally(out[index + 1 : index + 2], started[0])
        ):
            index += 1
            continue
        name, call = started
        end = next((j for j in range(index + 1, len(out)) if _ends(out[j], name) is not None), None)
        if end is None:
            out[index] = note(
                out[index], f"span '{name}' is not ended in this block: end it in a finally block"
            )
            index += 1
            continue
        between = out[index + 1 : end]
        if has_exit(between):
            note(out[index], None)  # a lifetime made explicit: reported as migrated
            final = cst.Finally(body=cst.IndentedBlock(body=[out[end].with_changes(leading_lines=[])]))
            out[index + 1 : end + 1] = [cst.Try(body=cst.IndentedBlock(body=between), finalbody=final)]
        elif _ends(out[end], name):  # `end()` without arguments: the lifetime is exactly these statements
            note(out[index], None)
            block = cst.IndentedBlock(body=between or [cst.SimpleStatementLine([cst.Pass()])])
            item = cst.WithItem(item=call, asname=cst.AsName(name=cst.Name(name)))
            out[index : end + 1] = [
                cst.With(items=[item], body=block, leading_lines=out[index].leading_lines)
            ]
        index += 1
    return out


def _ended_in_finally(statements: list[cst.BaseStatement], name: str) -> bool:
    """Whether the next statement already owns the span's end: `try: .. finally: name.end()`, or
    `with trace.use_span(name, end_on_exit=True):` (a migrated scope_manager.activate(name, True))."""
    if not statements:
        return False
    following = statements[0]
    if isinstance(following, cst.Try) and following.finalbody is not None:
        return any(_ends(s, name) is not None for s in following.finalbody.body.body)
    if isinstance(following, cst.With) and len(following.items) == 1:
        call = following.items[0].item
        owns = f"trace.use_span({name}, end_on_exit=True)"
        return isinstance(call, cst.Call) and code(call) == owns
    return False


def _started_span(statement: cst.BaseStatement) -> tuple[str, cst.Call] | None:
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    assign = statement.body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
        return None
    target, value = assign.targets[0].target, assign.value
    if isinstance(target, cst.Name) and isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):  # noqa: SIM102
        if value.func.attr.value == "start_span":
            return target.value, value
    return None


def _stored_span(statement: cst.BaseStatement) -> str | None:
    """`self.span = t.start_span(..)` (an attribute or item, not a local name): where it is stored."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    assign = statement.body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
        return None
    target, value = assign.targets[0].target, assign.value
    if isinstance(target, cst.Name) or not isinstance(value, cst.Call):
        return None
    starts = isinstance(value.func, cst.Attribute) and value.func.attr.value == "start_span"
    return code(target) if starts else None


def _ends(statement: cst.BaseStatement, name: str) -> bool | None:
    """True for `name.end()`, False for `name.end(end_time=...)`, None for anything else."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    call = statement.body[0].value if isinstance(statement.body[0], cst.Expr) else None
    if (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and dotted(call.func.value) == name
    ) and call.func.attr.value == "end":
        return not call.args
    return None
