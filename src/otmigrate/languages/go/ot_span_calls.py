"""opentracing-go span methods and ext setters: SetTag, LogFields / LogKV, Finish / FinishWithOptions,
SetOperationName, baggage, Context(), ext.<Tag>.Set, ext.Error, ext.LogError (api-mapping §3.1, §5, §6)."""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.languages.go.ot_pass import Pass
from otmigrate.languages.go.ot_starts import KINDS
from otmigrate.languages.go.ot_tags import EXT_TAGS, tag_attribute, tag_key
from otmigrate.languages.go.source_edits import (
    arguments,
    call_name,
    enclosing_function,
    indent_of,
    line_of,
    named,
)
from otmigrate.languages.go.type_inference import type_of

# log.<Field> → (attribute constructor, conversion of a non-literal value)
LOG_FIELDS = {
    "String": ("String", None),
    "Bool": ("Bool", None),
    "Int": ("Int", None),
    "Int64": ("Int64", None),
    "Float64": ("Float64", None),
    "Int32": ("Int64", "int64"),
    "Uint32": ("Int64", "int64"),
    "Float32": ("Float64", "float64"),
}
LITERALS = (
    "int_literal",
    "float_literal",
    "interpreted_string_literal",
    "raw_string_literal",
    "true",
    "false",
)
# Span methods no OTel span (nor zipkin-go span) has: on a receiver of unknown type, still legacy code.
LEGACY_ONLY_METHODS = (
    "SetTag",
    "LogFields",
    "LogKV",
    "LogEvent",
    "LogEventWithPayload",
    "SetBaggageItem",
    "BaggageItem",
    "FinishWithOptions",
    "SetOperationName",
)
BAGGAGE_SET = """if member, err := baggage.NewMemberRaw({key}, {value}); err == nil {{
\tif bag, err := baggage.FromContext({ctx}).SetMember(member); err == nil {{
\t\t{ctx} = baggage.ContextWithBaggage({ctx}, bag)
\t}}
}}"""


def migrate_span_methods(p: Pass) -> None:
    inner_first = sorted(
        p.root.find_all(kind="call_expression"), key=lambda c: (c.range().end.index, -c.range().start.index)
    )
    for call in inner_first:
        fn = call.field("function")
        if fn.kind() != "selector_expression" or p.is_claimed(call) or not p.is_span(fn.field("operand")):
            continue
        method, span, args = fn.field("field").text(), fn.field("operand").text(), arguments(call)
        statement = call.parent() is not None and call.parent().kind() == "expression_statement"
        if method == "Finish" and not args:
            p.edit(call, f"{span}.End()", "go-opentracing-finish", "Finish → End")
        elif method == "FinishWithOptions":
            _finish_with_options(p, call, span, args)
        elif method == "SetOperationName":
            p.edit(
                fn.field("field"),
                "SetName",
                "go-opentracing-set-operation-name",
                "SetOperationName → SetName",
            )
        elif method == "Context" and not args and _jaeger_context(p, call, span):
            continue
        elif method == "Context" and not args:
            p.edit(
                fn.field("field"), "SpanContext", "go-opentracing-span-methods", "Context() → SpanContext()"
            )
        elif (
            method in ("SetTag", "LogFields", "LogKV", "LogEvent", "LogEventWithPayload", "SetBaggageItem")
            and not statement
        ):
            p.manual(
                call,
                "go-opentracing-span-methods",
                f"{method} used as a value (OTel span methods return nothing)",
            )
        elif method == "SetTag" and len(args) == 2:
            _set_tag(p, call, span, args[0], args[1])
        elif method in ("LogFields", "LogKV", "LogEvent", "LogEventWithPayload"):
            _log(p, call, span, method, args)
        elif method == "SetBaggageItem" and len(args) == 2:
            _set_baggage(p, call, span, args)
        elif method == "BaggageItem" and len(args) == 1:
            ctx = _baggage_context(p, span, call)
            if ctx is None:
                p.manual(
                    call,
                    "go-opentracing-baggage",
                    "read baggage from the request's context (baggage.FromContext)",
                )
            else:
                value = f"baggage.FromContext({ctx}).Member({args[0].text()}).Value()"
                p.edit(call, value, "go-opentracing-baggage", "BaggageItem → baggage.FromContext")
    _unknown_receivers(p)


def _unknown_receivers(p: Pass) -> None:
    """A method only opentracing spans have, called on something whose type the file does not declare (a
    span kept by a type of another package, a call's result): the call cannot be translated blind."""
    for call in p.root.find_all(kind="call_expression"):
        fn = call.field("function")
        if fn.kind() != "selector_expression" or p.is_claimed(call):
            continue
        method, receiver = fn.field("field").text(), fn.field("operand")
        if method in LEGACY_ONLY_METHODS and not p.is_span(receiver) and type_of(receiver, p.types) is None:
            p.manual(
                call,
                "go-opentracing-span-methods",
                f"{method} on {receiver.text()}, whose type otmigrate cannot see (declared in another "
                "package?): if it is an opentracing span, make it a trace.Span and migrate this call",
            )


def _finish_with_options(p: Pass, call: SgNode, span: str, args: list[SgNode]) -> None:
    literal = args[0] if len(args) == 1 else None
    if (
        literal is not None
        and literal.kind() == "composite_literal"
        and p.is_q(literal.field("type"), "opentracing", "FinishOptions")
    ):
        fields = {
            named(e.children())[0].text(): named(named(e.children())[1].children())[0]
            for e in named(literal.field("body").children())
        }
        if set(fields) <= {"FinishTime"}:
            option = f"trace.WithTimestamp({fields['FinishTime'].text()})" if fields else ""
            p.edit(
                call,
                f"{span}.End({option})",
                "go-opentracing-finish-with-options",
                "FinishWithOptions → End(WithTimestamp)",
            )
            return
    p.manual(
        call,
        "go-opentracing-finish-with-options",
        "FinishWithOptions with log records: add them with AddEvent before End",
    )


def span_kind(p: Pass, span: str, at: SgNode) -> str | None:
    """ "server" when a span was started as (or moved to) a server span: peer tags name the client then."""
    start = p.start_of(span, at)
    if start is None:
        return None
    if re.search(r"SpanKind(RPC)?Server\b|RPCServerOption\(", start.call.text()):
        return "server"
    moved = rf"SpanKindRPCServer\.Set\({re.escape(span)}\)"
    return "server" if start.function is not None and re.search(moved, start.function.text()) else None


def _set_tag(p: Pass, call: SgNode, span: str, key: SgNode, value: SgNode) -> None:
    name = tag_key(key)
    if name == "error" and value.kind() in ("true", "false"):
        code = "Error" if value.kind() == "true" else "Ok"
        p.edit(
            call,
            f'{span}.SetStatus(codes.{code}, "")',
            "go-opentracing-set-tag",
            "SetTag(error) → SetStatus",
        )
        return
    if name in ("span.kind", "sampling.priority", "error"):
        p.manual(call, "go-opentracing-set-tag", f"tag {name}: OTel decides this at span start")
        return
    attr, safe = tag_attribute(
        key.text(), value, p.types, kind=span_kind(p, span, call), text=p.render(value)
    )
    if safe or p.ctx.unsafe:
        p.edit(
            call,
            f"{span}.SetAttributes({attr})",
            "go-opentracing-set-tag",
            "SetTag → SetAttributes (typed)",
        )
    else:
        p.unsafe(
            call,
            "go-opentracing-set-tag",
            "SetTag value of unknown type: attribute.String(k, fmt.Sprint(v))",
        )


def _log(p: Pass, call: SgNode, span: str, method: str, args: list[SgNode]) -> None:
    if method == "LogFields":
        event = _log_fields(p, args)
    elif method == "LogKV":
        event = _log_kv(p, args)
    else:  # LogEvent(name) / LogEventWithPayload(name, payload)
        payload = [f'attribute.String("payload", fmt.Sprint({args[1].text()}))'] if len(args) == 2 else []
        event = (args[0].text(), payload, [], True) if args else None
    if event is None:
        p.manual(call, "go-opentracing-log-fields", f"{method} with a field otmigrate cannot translate")
        return
    name, attrs, errors, safe = event
    if not safe and not p.ctx.unsafe:
        p.unsafe(
            call,
            "go-opentracing-log-fields",
            "LogKV value of unknown type: attribute.String(k, fmt.Sprint(v))",
        )
        return
    options = _with_attributes(p, call, attrs)
    lines = []
    for err in errors:  # compat spec: an error log is RecordError with the other fields, plus the status
        lines += [f"{span}.RecordError({err}{options})", f"{span}.SetStatus(codes.Error, {err}.Error())"]
    if not errors:
        lines.append(f"{span}.AddEvent({name}{options})")
    p.edit(
        call,
        f"\n{indent_of(p.source, call)}".join(lines),
        "go-opentracing-log-fields",
        f"{method} → AddEvent / RecordError",
    )


def _with_attributes(p: Pass, call: SgNode, attrs: list[str]) -> str:
    """`, trace.WithAttributes(...)`, one attribute a line when the log call had one field a line."""
    if not attrs:
        return ""
    original = call.field("arguments")
    if "\n" not in original.text():
        return f", trace.WithAttributes({', '.join(attrs)})"
    inner = indent_of(p.source, named(original.children())[0])
    body = "".join(f"{inner}{a},\n" for a in attrs)
    return f", trace.WithAttributes(\n{body}{indent_of(p.source, call)})"


def _log_fields(p: Pass, fields: list[SgNode]) -> tuple[str, list[str], list[str], bool] | None:
    """(event name, attributes, errors, safe) of LogFields(log.X(...)...)."""
    name, attrs, errors = '"log"', [], []
    for f in fields:
        member, args = p.member_of(call_name(f), "otlog"), arguments(f)
        if member == "Error" and len(args) == 1:
            errors.append(args[0].text())
        elif member == "Event" and len(args) == 1:
            name = args[0].text()
        elif member == "String" and len(args) == 2 and tag_key(args[0]) == "event":
            name = args[1].text()
        elif member == "Message" and len(args) == 1:
            attrs.append(f'attribute.String("message", {args[0].text()})')
        elif member == "Object" and len(args) == 2:
            attrs.append(f"attribute.String({args[0].text()}, fmt.Sprint({args[1].text()}))")
        elif member in LOG_FIELDS and len(args) == 2:
            constructor, conversion = LOG_FIELDS[member]
            value = args[1].text()
            if conversion and args[1].kind() not in LITERALS:
                value = f"{conversion}({value})"
            attrs.append(f"attribute.{constructor}({args[0].text()}, {value})")
        else:
            return None
    return name, attrs, errors, True


def _log_kv(p: Pass, kv: list[SgNode]) -> tuple[str, list[str], list[str], bool] | None:
    if len(kv) % 2:
        return None
    name, attrs, errors, safe = '"log"', [], [], True
    for key, value in zip(kv[::2], kv[1::2], strict=True):
        if tag_key(key) is None:
            return None
        if tag_key(key) == "event":
            name = value.text()
        elif tag_key(key) == "error.object":
            errors.append(value.text())
        else:
            attr, known = tag_attribute(key.text(), value, p.types, kind=None, text=p.render(value))
            attrs.append(attr)
            safe = safe and known
    return name, attrs, errors, safe


def _baggage_context(p: Pass, span: str, at: SgNode) -> str | None:
    """The context that carries a span's baggage: the one its start produced, or the one it started from."""
    start = p.start_of(span, at)
    if start is not None and start.ctx_out not in (None, "_"):
        return start.ctx_out
    if start is not None and start.ctx_in and re.fullmatch(r"\w+", start.ctx_in):
        return start.ctx_in
    return None


def _set_baggage(p: Pass, call: SgNode, span: str, args: list[SgNode]) -> None:
    """OTel baggage lives in a context, not a span: set it on the span's context, where that context is a
    variable of the same function that later code can see."""
    start = p.start_of(span, call)
    if start is None or start.ctx_out in (None, "_") or start.function != enclosing_function(call):
        p.manual(
            call,
            "go-opentracing-baggage",
            "SetBaggageItem: put the baggage in a context (baggage.ContextWithBaggage) and pass it on",
        )
        return
    block = BAGGAGE_SET.format(key=args[0].text(), value=args[1].text(), ctx=start.ctx_out)
    indent = indent_of(p.source, call)
    p.edit(
        call,
        block.replace("\n", "\n" + indent),
        "go-opentracing-baggage",
        "SetBaggageItem → baggage.ContextWithBaggage",
    )


def migrate_ext(p: Pass) -> None:
    for call in p.root.find_all(kind="call_expression"):
        fn, args = call_name(call), arguments(call)
        if p.is_claimed(call):
            continue
        if p.is_q(fn, "ext", "LogError") and len(args) >= 2:
            _log_error(p, call, args)
            continue
        tag = (
            p.member_of(fn.removesuffix(".Set").removesuffix(".SetString"), "ext")
            if fn.endswith((".Set", ".SetString"))
            else None
        )
        if tag is None or not args:
            continue
        span = args[0].text()
        if tag == "Error" and len(args) == 2 and args[1].kind() in ("true", "false"):
            _ext_error(p, call, span, args[1].kind() == "true")
        elif (tag in EXT_TAGS or (tag == "PeerHostIPv4" and fn.endswith(".SetString"))) and len(args) == 2:
            key, value_type = EXT_TAGS.get(tag, ("peer.ipv4", "string"))
            attr, _ = tag_attribute(
                f'"{key}"', args[1], p.types, kind=span_kind(p, span, call), value_type=value_type
            )
            p.edit(
                call,
                f"{span}.SetAttributes({attr})",
                "go-opentracing-ext",
                f"ext.{tag} → semantic conventions",
            )
        elif tag in KINDS or tag == "SpanKind":
            p.manual(
                call,
                "go-opentracing-ext",
                "span kind set where its start is not in this function: pass trace.WithSpanKind to Start",
            )
        else:
            p.manual(call, "go-opentracing-ext", f"ext.{tag} has no OTel translation")


def _ext_error(p: Pass, call: SgNode, span: str, failed: bool) -> None:
    """`ext.Error.Set(span, true)`: an error log in the same block records the error and sets the status
    (so this call goes); otherwise the status, described by the error being returned or checked."""
    if not failed:
        p.edit(call, f'{span}.SetStatus(codes.Ok, "")', "go-opentracing-ext", "ext.Error false → status Ok")
        return
    stmt = call.parent()
    siblings = named(stmt.parent().children()) if stmt is not None and stmt.parent() is not None else []
    if stmt is not None and stmt.kind() == "expression_statement" and _error_logged(p, span, siblings):
        p.remove(stmt)
        p.ctx.migrated(line_of(call), "go-opentracing-ext", "ext.Error + error log → RecordError + SetStatus")
        return
    err = _error_in_scope(siblings, stmt)
    description = f"{err}.Error()" if err else '""'
    p.edit(
        call,
        f"{span}.SetStatus(codes.Error, {description})",
        "go-opentracing-ext",
        "ext.Error → SetStatus(codes.Error)",
    )


def _error_logged(p: Pass, span: str, siblings: list[SgNode]) -> bool:
    """Whether a statement of the block logs an error on the span (it becomes RecordError + SetStatus)."""
    otlog, ext = p.names.get("otlog"), p.names.get("ext")
    for s in siblings:
        text = s.text()
        if otlog and text.startswith(f"{span}.LogFields(") and f"{otlog}.Error(" in text:
            return True
        if ext and text.startswith(f"{ext}.LogError({span},"):
            return True
        if text.startswith(f"{span}.LogKV(") and '"error.object"' in text:
            return True
    return False


def _error_in_scope(siblings: list[SgNode], stmt: SgNode | None) -> str | None:
    """The error a failing block is about: the last result of its return, or its `if err != nil`."""
    for s in siblings:
        if s.kind() == "return_statement" and named(s.children()):
            results = named(named(s.children())[0].children()) or [named(s.children())[0]]
            if results[-1].kind() == "identifier" and re.search(r"err", results[-1].text(), re.I):
                return results[-1].text()
    inner = stmt
    for a in stmt.ancestors() if stmt is not None else []:
        if a.kind() == "if_statement" and inner is not None and a.field("consequence") == inner:
            # the nearest `if x != nil` whose body holds the statement, through other ifs
            # (`if err != nil { if !canceled(err) { ext.Error.Set(sp, true) } }`)
            m = re.fullmatch(r"(\w+) != nil", a.field("condition").text())
            if m:
                return m.group(1)
        if a.kind() in ("function_declaration", "method_declaration", "func_literal"):
            return None
        inner = a
    return None


def _log_error(p: Pass, call: SgNode, args: list[SgNode]) -> None:
    span, err = args[0].text(), args[1].text()
    event = _log_fields(p, args[2:])
    if event is None:
        p.manual(call, "go-opentracing-ext", "ext.LogError with fields otmigrate cannot translate")
        return
    options = _with_attributes(p, call, event[1])
    indent = indent_of(p.source, call)
    p.edit(
        call,
        f"{span}.RecordError({err}{options})\n{indent}{span}.SetStatus(codes.Error, {err}.Error())",
        "go-opentracing-ext",
        "ext.LogError → RecordError + SetStatus",
    )


JAEGER_CONTEXT_METHODS = ("TraceID", "SpanID", "IsSampled")


def _jaeger_context(p: Pass, call: SgNode, span: str) -> bool:
    """`sc, ok := span.Context().(jaeger.SpanContext)` (to log trace ids) → `sc, ok := span.SpanContext(),
    span.SpanContext().IsValid()`: OTel's SpanContext has TraceID / SpanID / IsSampled too, and the
    assertion failed exactly when no real tracer was installed (now: the span context is not valid). Other
    uses of `sc` (ParentID, jaeger's String format) get a TODO. True when the call was such an assertion."""
    jaeger = next((b.local for b in p.ctx.bindings if b.module == "github.com/uber/jaeger-client-go"), None)
    assertion = call.parent()
    if (
        jaeger is None
        or assertion is None
        or assertion.kind() != "type_assertion_expression"
        or assertion.field("type") is None
        or assertion.field("type").text() != f"{jaeger}.SpanContext"
    ):
        return False
    holder = assertion.parent().parent() if assertion.parent() is not None else None
    left = (
        named(holder.field("left").children())
        if holder is not None and holder.kind() == "short_var_declaration"
        else []
    )
    uses = [
        n.parent().field("field").text()
        for n in (enclosing_function(call) or p.root).find_all(kind="identifier")
        if left
        and n.text() == left[0].text()
        and n.parent() is not None
        and n.parent().kind() == "selector_expression"
    ]
    if len(left) not in (1, 2) or any(use not in JAEGER_CONTEXT_METHODS for use in uses):
        p.manual(
            call, "go-opentracing-span-methods", f"{jaeger}.SpanContext: read ids from span.SpanContext()"
        )
        return True
    valid = f", {span}.SpanContext().IsValid()" if len(left) == 2 else ""
    p.edit(
        assertion,
        f"{span}.SpanContext(){valid}",
        "go-opentracing-span-methods",
        "Context().(jaeger.SpanContext) → SpanContext() (TraceID / SpanID / IsSampled)",
    )
    return True
