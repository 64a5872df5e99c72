"""opentracing-go span starts and the package-level API: StartSpanFromContext (results swap),
StartSpan and its options, GlobalTracer / SetGlobalTracer, SpanFromContext / ContextWithSpan and the nil
checks on their results, and the legacy type names (api-mapping §3.1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ast_grep_py import SgNode

from otmigrate.languages.go.ot_pass import FROM_CONTEXT, Pass, SpanStart
from otmigrate.languages.go.ot_tags import tag_attribute, tag_key
from otmigrate.languages.go.source_edits import (
    arguments,
    call_arguments,
    call_name,
    enclosing_function,
    in_function_body,
    named,
    sides,
)
from otmigrate.languages.go.type_inference import type_of

KINDS = {
    "SpanKindRPCClient": "client",
    "SpanKindRPCServer": "server",
    "SpanKindProducer": "producer",
    "SpanKindConsumer": "consumer",
}
KIND_ENUMS = {f"{name}Enum": kind for name, kind in KINDS.items()}
OTEL_KINDS = {"client": "Client", "server": "Server", "producer": "Producer", "consumer": "Consumer"}
TYPES = {"Span": "trace.Span", "SpanContext": "trace.SpanContext", "Tracer": "trace.Tracer"}
FOLLOWS_FROM = (
    "trace.WithLinks(trace.Link{{SpanContext: {}, Attributes: []attribute.KeyValue{{"
    'attribute.String("opentracing.ref_type", "follows_from")}}}})'
)


def with_kind(kind: str) -> str:
    return f"trace.WithSpanKind(trace.SpanKind{OTEL_KINDS[kind]})"


@dataclass
class StartOptions:
    """StartSpanOptions in OTel terms."""

    options: list[str] = field(default_factory=list)
    parent: str | None = None  # the context to start from, when a reference names the parent
    kind: str | None = None
    unsafe: bool = False  # an attribute value of unknown type, stringified
    problem: str | None = None  # why an option cannot be translated (then the start stays, with a TODO)


def migrate_starts(p: Pass) -> None:
    for start in p.starts:
        if start.legacy and not p.is_claimed(start.statement):
            _rewrite_start(p, start)
    placed = [s.call for s in p.starts]
    for call in p.root.find_all(kind="call_expression"):
        fn = call_name(call)
        if call in placed or p.is_claimed(call):
            continue
        if p.is_q(fn, "opentracing", *FROM_CONTEXT) or (
            fn.endswith(".StartSpan") and tracer_of(p, call.field("function").field("operand"))
        ):
            p.manual(
                call,
                "go-opentracing-start-span",
                "a span start used as a value: Tracer.Start returns (ctx, span), assign both first",
            )
        elif fn.endswith(".StartSpan") and _unknown_tracer(p, call.field("function").field("operand")):
            _unknown_tracer_todo(p, call)


def _rewrite_start(p: Pass, start: SpanStart) -> None:
    call, stmt = start.call, start.statement
    args = arguments(call)
    from_context = p.is_q(call_name(call), "opentracing", "StartSpanFromContext")
    if from_context:
        tracer, name, rest = p.tracer, args[1], args[2:]
    elif p.is_q(call_name(call), "opentracing", "StartSpanFromContextWithTracer") and len(args) >= 3:
        from_context = True
        tracer, name, rest = tracer_of(p, args[1]) or args[1].text(), args[2], args[3:]
    else:
        tracer = tracer_of(p, call.field("function").field("operand"))
        if tracer is None and _unknown_tracer(p, call.field("function").field("operand")):
            _unknown_tracer_todo(p, stmt)
        if tracer is None or not args:
            return  # not an opentracing tracer (zipkin-go's StartSpan is the jaeger/zipkin half's)
        name, rest = args[0], args[1:]
    opts = start_options(p, rest, stmt)
    if opts.problem is None and from_context and opts.parent is not None:
        opts.problem = "a ChildOf / FollowsFrom reference next to a context: pick the parent and call Start"
    if opts.problem is not None:
        p.manual(stmt, "go-opentracing-start-options", opts.problem)
        return
    if opts.unsafe and not p.ctx.unsafe:
        p.unsafe(
            stmt, "go-opentracing-start-options", "a start tag of unknown type, stringified with fmt.Sprint"
        )
        return
    for moved_kind, kind_stmt in kind_settings(p, start):
        opts.kind = opts.kind or moved_kind
        opts.options.append(with_kind(moved_kind))
        p.remove(kind_stmt)
    if from_context:
        ctx = args[0].text()
    elif opts.parent is not None:
        ctx = opts.parent
    else:
        scoped = p.ctx_in_scope(stmt)
        ctx = scoped or "context.Background()"
        if scoped:
            opts.options.insert(0, "trace.WithNewRoot()")  # OpenTracing: no ChildOf means a root span
    left = f"{start.ctx_out}, {start.span}" if from_context else f"_, {start.span}"
    op = ":=" if stmt.kind() == "short_var_declaration" else "="
    call_text = call_arguments(call, p.source, [ctx, name.text(), *opts.options])
    p.edit(
        stmt,
        f"{left} {op} {tracer}.Start{call_text}",
        "go-opentracing-start-span-from-context" if from_context else "go-opentracing-start-span",
        "span start → Tracer.Start (ctx, span)",
    )


def tracer_of(p: Pass, receiver: SgNode) -> str | None:
    """What an opentracing tracer expression becomes, or None when it is not one."""
    text = receiver.text()
    if text == p.names.get("opentracing") or p.is_q(call_name(receiver), "opentracing", "GlobalTracer"):
        return p.tracer
    if receiver.kind() == "call_expression" and text.endswith(".Tracer()"):
        return p.tracer if p.is_span(receiver.field("function").field("operand")) else None
    return text if p.is_tracer(receiver) else None


def _unknown_tracer(p: Pass, receiver: SgNode) -> bool:
    """A receiver of StartSpan whose type the file does not declare (a tracer from another package), in a
    file that uses no other tracing library whose tracers also have a StartSpan."""
    return not p.other_libraries and type_of(receiver, p.types) is None


def _unknown_tracer_todo(p: Pass, node: SgNode) -> None:
    p.manual(
        node,
        "go-opentracing-start-span",
        "StartSpan on a tracer whose type otmigrate cannot see (declared in another package?): "
        "if it is an opentracing tracer, make it a trace.Tracer and call Start(ctx, name)",
    )


def start_options(p: Pass, args: list[SgNode], at: SgNode) -> StartOptions:
    """StartSpanOptions → OTel SpanStartOptions; `problem` says which one cannot be translated."""
    out = StartOptions()
    for arg in args:
        out.problem = _option(p, arg, at, out)
        if out.problem is not None:
            break
    return out


def _option(p: Pass, arg: SgNode, at: SgNode, out: StartOptions) -> str | None:
    """Add one legacy option to `out`; the reason when it has no translation."""
    text, fn = arg.text(), call_name(arg)
    inner = arguments(arg) if fn else []
    ext_member = p.member_of(text, "ext")
    if ext_member in KINDS:
        out.kind = KINDS[ext_member]
        out.options.append(with_kind(out.kind))
    elif p.is_q(fn, "opentracing", "ChildOf", "FollowsFrom") or p.is_q(fn, "ext", "RPCServerOption"):
        ref = reference(p, inner[0], at) if len(inner) == 1 else None
        if ref is None:
            return (
                f"{text}: otmigrate cannot tell that the reference is a span context "
                "(a span's Context(), or a variable declared as one)"
            )
        parent, span_context = ref
        if p.is_q(fn, "opentracing", "FollowsFrom"):
            out.options.append(FOLLOWS_FROM.format(span_context))
        elif out.parent is not None:
            return "two ChildOf references: an OTel span has one parent (keep one, link the other)"
        if p.is_q(fn, "ext", "RPCServerOption"):
            out.kind = "server"
            out.options.append(with_kind("server"))
        if out.parent is None or p.is_q(fn, "opentracing", "ChildOf"):
            out.parent = parent
    elif p.is_q(fn, "opentracing", "StartTime") and len(inner) == 1:
        out.options.append(f"trace.WithTimestamp({inner[0].text()})")
    elif arg.kind() == "composite_literal" and p.is_q(arg.field("type"), "opentracing", "Tag", "Tags"):
        attrs = _literal_tags(p, arg, out)
        if attrs is None:
            return f"{text}: an error / span.kind / sampling.priority tag, or a key otmigrate cannot read"
        out.options.append(f"trace.WithAttributes({', '.join(attrs)})")
    else:
        return (
            f"start option `{text}` is not written out (a variable or a call): "
            "otmigrate translates ChildOf, FollowsFrom, Tag{}, Tags{}, StartTime and span kinds in place"
        )
    return None


def _literal_tags(p: Pass, literal: SgNode, out: StartOptions) -> list[str] | None:
    """The attributes of `opentracing.Tag{Key: k, Value: v}` or `opentracing.Tags{k: v, ...}`."""
    elements = named(literal.field("body").children())
    if p.is_q(literal.field("type"), "opentracing", "Tag"):
        fields = [named(e.children()) for e in elements]
        if all(len(f) == 2 for f in fields):  # keyed: Key: k, Value: v
            by_name = {f[0].text(): named(f[1].children())[0] for f in fields}
            pairs = [(by_name.get("Key"), by_name.get("Value"))]
        else:
            pairs = (
                [tuple(named(e.children())[0] for e in elements)] if len(elements) == 2 else [(None, None)]
            )
    else:
        pairs = [tuple(named(f.children())[0] for f in named(e.children())) for e in elements]
    attrs = []
    for key, value in pairs:
        if key is None or value is None or tag_key(key) in ("error", "span.kind", "sampling.priority"):
            return None
        attr, safe = tag_attribute(key.text(), value, p.types, kind=out.kind)
        out.unsafe = out.unsafe or not safe
        attrs.append(attr)
    return attrs


def reference(p: Pass, ref: SgNode, at: SgNode) -> tuple[str, str] | None:
    """(parent context, span context) for the argument of ChildOf / FollowsFrom."""
    base = p.ctx_in_scope(at) or "context.Background()"
    if ref.kind() == "call_expression" and ref.field("function").kind() == "selector_expression":
        operand, method = ref.field("function").field("operand"), ref.field("function").field("field").text()
        if method in ("Context", "SpanContext") and p.is_span(operand):
            span = operand.text()
            return f"trace.ContextWithSpan({base}, {span})", f"{span}.SpanContext()"
    if ref.kind() != "identifier":
        return None
    if ref.text() in p.extracted:
        ctx = p.extracted[ref.text()]
        return ctx, f"trace.SpanContextFromContext({ctx})"
    value = _local_value(ref.text(), at)
    typ = (type_of(value, p.types) if value is not None else None) or p.types.get(ref.text(), "")
    if typ.endswith("SpanContext"):
        return f"trace.ContextWithSpanContext({base}, {ref.text()})", ref.text()
    return None


def _local_value(name: str, at: SgNode) -> SgNode | None:
    """What the last `name := value` before `at` in its function assigned: a local's own type beats the
    file-wide one of the name (`ctx` is a context.Context parameter elsewhere, a SpanContext here)."""
    function = enclosing_function(at)
    found = None
    for decl in function.find_all(kind="short_var_declaration") if function is not None else []:
        left, right = sides(decl)
        if decl.range().end.index < at.range().start.index and len(left) == len(right):
            found = next((v for n, v in zip(left, right, strict=True) if n.text() == name), found)
    return found


def kind_settings(p: Pass, start: SpanStart) -> list[tuple[str, SgNode]]:
    """`ext.SpanKindRPCClient.Set(span)` / `ext.SpanKind.Set(span, ext.SpanKindRPCClientEnum)` after a
    start, in its function: OTel fixes the kind at start, so these move into the start call."""
    function = start.function
    if function is None:
        return []
    found = []
    for call in function.find_all(kind="call_expression"):
        fn, args = call_name(call), arguments(call)
        if not fn.endswith(".Set") or not args or args[0].text() != start.span:
            continue
        member = p.member_of(fn.removesuffix(".Set"), "ext")
        kind = KINDS.get(member or "")
        if member == "SpanKind" and len(args) == 2:
            kind = KIND_ENUMS.get(p.member_of(args[1].text(), "ext") or "")
        stmt = call.parent()
        if (
            kind
            and stmt is not None
            and stmt.kind() == "expression_statement"
            and in_function_body(call, function)
            and call.range().start.index > start.statement.range().end.index
        ):
            found.append((kind, stmt))
    return found


def migrate_package_calls(p: Pass) -> None:
    """GlobalTracer, SetGlobalTracer, NoopTracer, SpanFromContext, ContextWithSpan."""
    for call in p.root.find_all(kind="call_expression"):
        fn = call_name(call)
        if p.is_claimed(call):
            continue
        if p.is_q(fn, "opentracing", "GlobalTracer"):
            p.edit(call, p.tracer, "go-opentracing-global-tracer", "GlobalTracer() → otel.Tracer(name)")
        elif p.is_q(fn, "opentracing", "SpanFromContext", "ContextWithSpan"):
            p.edit(
                call.field("function"),
                f"trace.{fn.split('.')[-1]}",
                "go-opentracing-context",
                f"{fn} → trace",
            )
        elif p.is_q(fn, "opentracing", "SetGlobalTracer", "InitGlobalTracer"):
            _set_global_tracer(p, call)
    for literal in p.root.find_all(kind="composite_literal"):
        if p.is_q(literal.field("type"), "opentracing", "NoopTracer") and not p.is_claimed(literal):
            p.edit(
                literal,
                'noop.NewTracerProvider().Tracer("")',
                "go-opentracing-global-tracer",
                "NoopTracer → noop tracer",
            )


def _set_global_tracer(p: Pass, call: SgNode) -> None:
    args = arguments(call)
    if (
        len(args) == 1
        and args[0].kind() == "composite_literal"
        and p.is_q(args[0].field("type"), "opentracing", "NoopTracer")
    ):
        p.edit(
            call,
            "otel.SetTracerProvider(noop.NewTracerProvider())",
            "go-opentracing-global-tracer",
            "SetGlobalTracer → SetTracerProvider",
        )
    elif len(args) == 1 and f"{args[0].text()}, " in p.source and "otbridge.NewTracerPair(" in p.source:
        return  # the OpenTracing bridge the set-up installed for code that stays on OpenTracing
    elif not p.other_libraries:  # a jaeger or zipkin tracer: the SDK set-up rewrite replaces it
        p.manual(
            call,
            "go-opentracing-global-tracer",
            "install an OTel SDK TracerProvider with otel.SetTracerProvider",
        )


def migrate_nil_checks(p: Pass) -> None:
    """`span != nil` / `span == nil`: OTel's SpanFromContext never returns nil (a no-op span instead).
    A struct field stays compared with nil: a field never assigned is nil in OTel too."""
    for check in p.root.find_all(kind="binary_expression"):
        op = check.field("operator").text()
        left, right = check.field("left"), check.field("right")
        if (
            op not in ("==", "!=")
            or right.kind() != "nil"
            or left.kind() != "identifier"
            or not p.is_span(left)
            or p.is_claimed(check)
        ):
            continue
        valid = f"{left.text()}.SpanContext().IsValid()"
        p.edit(
            check, valid if op == "!=" else f"!{valid}", "go-opentracing-context", "span nil check → IsValid"
        )


def migrate_type_names(p: Pass) -> None:
    for typ in p.root.find_all(kind="qualified_type"):
        if p.is_claimed(typ) or (typ.parent() is not None and typ.parent().kind() == "composite_literal"):
            continue  # Tag{} / Tags{} / NoopTracer{} / FinishOptions{}: their calls translate them
        member = p.member_of(typ.text(), "opentracing")
        if member in TYPES:
            p.edit(typ, TYPES[member], "go-opentracing-types", f"opentracing.{member} → {TYPES[member]}")
        elif member is not None:
            p.manual(typ, "go-opentracing-types", f"opentracing.{member} has no OTel counterpart")
