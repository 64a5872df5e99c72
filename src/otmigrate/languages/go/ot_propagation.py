"""opentracing-go Inject / Extract → the global TextMapPropagator (api-mapping §3.1, §8).

OTel propagation cannot fail and Extract returns a context, so the `err` checks go: a check that only
tolerates ErrSpanContextNotFound disappears, a check for "nothing extracted" asks the context instead.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.languages.go.ot_pass import Pass
from otmigrate.languages.go.source_edits import arguments, call_name, enclosing_function, sides

CARRIERS = {"HTTPHeadersCarrier": "propagation.HeaderCarrier", "TextMapCarrier": "propagation.MapCarrier"}
FORMATS = {"HTTPHeaders": "HTTPHeadersCarrier", "TextMap": "TextMapCarrier"}
CARRIER_TYPES = {"HTTPHeaders": "http.Header", "TextMap": "map[string]string"}
PROPAGATOR = "otel.GetTextMapPropagator()"


def _format(p: Pass, node: SgNode) -> str | None:
    return p.member_of(node.text(), "opentracing")


def carrier(p: Pass, node: SgNode, fmt: str) -> str | None:
    """The OTel carrier for a legacy carrier expression, or None when its type is not known."""
    member = p.member_of(call_name(node), "opentracing")
    if member in CARRIERS and len(arguments(node)) == 1:
        return f"{CARRIERS[member]}({arguments(node)[0].text()})"
    if node.kind() != "identifier":
        return None
    if node.text() in carrier_variables(p):
        return node.text()
    if p.types.get(node.text()) == CARRIER_TYPES[fmt]:
        return f"{CARRIERS[FORMATS[fmt]]}({node.text()})"
    return None


def migrate_extracts(p: Pass) -> None:
    """`sc, err := tracer.Extract(format, carrier)` → `ctx := propagator.Extract(base, carrier)`; the
    references to `sc` in start options then start from that context (p.extracted)."""
    for stmt in p.root.find_all(any=[{"kind": "short_var_declaration"}, {"kind": "assignment_statement"}]):
        left, right = sides(stmt)
        call = right[0] if len(right) == 1 else None
        if call is None or not call_name(call).endswith(".Extract") or len(left) != 2:
            continue
        args = arguments(call)
        fmt = _format(p, args[0]) if len(args) == 2 else None
        if fmt is None:
            continue
        target = carrier(p, args[1], fmt) if fmt in FORMATS else None
        sc, err = left[0].text(), left[1].text()
        function = enclosing_function(stmt)
        if target is None or function is None or not _only_referenced(p, sc, stmt, function):
            reason = (
                "opentracing.Binary has no OTel equivalent"
                if fmt == "Binary"
                else "Extract: use the context otel.GetTextMapPropagator().Extract returns"
            )
            p.manual(stmt, "go-opentracing-inject-extract", reason)
            continue
        name = "ctx" if not p.declared_in("ctx", function) else f"{sc}Ctx"
        check = stmt.next()
        checks_err = (
            err != "_"
            and check is not None
            and check.kind() == "if_statement"
            and re.search(rf"\b{err}\b", check.field("condition").text()) is not None
        )
        if checks_err and not _rewrite_check(p, check, err, name):
            p.manual(
                stmt,
                "go-opentracing-inject-extract",
                "Extract cannot fail in OTel: rewrite the error handling",
            )
            continue
        p.extracted[sc] = name
        p.edit(
            stmt,
            f"{name} := {PROPAGATOR}.Extract({_base(p, args[1], stmt)}, {target})",
            "go-opentracing-inject-extract",
            "Extract → propagator Extract returning a context",
        )
    _extract_values(p)


def _extract_values(p: Pass) -> None:
    """An Extract whose two results are not assigned (`return tracer.Extract(...)`): OTel's returns one
    context, which the callers must use instead of a SpanContext and an error."""
    for call in p.root.find_all(kind="call_expression"):
        args = arguments(call)
        legacy = call_name(call).endswith(".Extract") and len(args) == 2 and _format(p, args[0]) is not None
        if legacy and not p.is_claimed(call):
            p.manual(
                call,
                "go-opentracing-inject-extract",
                "Extract used as a value: otel.GetTextMapPropagator().Extract(ctx, carrier) returns a "
                "context (no error); make the callers start from it",
            )


def _base(p: Pass, carrier_node: SgNode, at: SgNode) -> str:
    """The context to extract into: the request's for `r.Header`, else the one in scope."""
    inner = (
        arguments(carrier_node)[0].text() if carrier_node.kind() == "call_expression" else carrier_node.text()
    )
    if inner.endswith(".Header") and re.fullmatch(r"\w+", inner.removesuffix(".Header")):
        return inner.removesuffix(".Header") + ".Context()"
    return p.ctx_in_scope(at) or "context.Background()"


def _only_referenced(p: Pass, sc: str, stmt: SgNode, function: SgNode) -> bool:
    """Whether the extracted SpanContext is only used as a start reference (ChildOf and the like)."""
    for ident in function.find_all(kind="identifier"):
        if ident.text() != sc or ident.range().start.index <= stmt.range().end.index:
            continue
        call = ident.parent().parent() if ident.parent() is not None else None
        if not (
            p.is_q(call_name(call), "opentracing", "ChildOf", "FollowsFrom")
            or p.is_q(call_name(call), "ext", "RPCServerOption")
        ):
            return False
    return True


def _rewrite_check(p: Pass, check: SgNode, err: str, ctx: str) -> bool:
    """The `if` on Extract's error, in OTel terms; False when it cannot be expressed."""
    not_found = p.q("opentracing", "ErrSpanContextNotFound")
    condition = re.sub(r"\s+", " ", check.field("condition").text())
    tolerated = {f"{err} != nil && {err} != {not_found}", f"{err} != {not_found} && {err} != nil"}
    missing = {f"{err} != nil", f"{err} == {not_found}"}
    found = {f"{err} == nil", f"{err} != {not_found}"}
    valid = f"trace.SpanContextFromContext({ctx}).IsValid()"
    uses_err = re.search(rf"\b{err}\b", check.field("consequence").text())
    if condition in tolerated and check.field("alternative") is None:
        p.remove(check)
    elif condition in missing | found and not uses_err:
        p.edit(
            check.field("condition"),
            f"!{valid}" if condition in missing else valid,
            "go-opentracing-inject-extract",
            "Extract error check → IsValid",
        )
    else:
        return False
    return True


def migrate_injects(p: Pass) -> None:
    """`err := tracer.Inject(span.Context(), format, carrier)` (+ its `if err != nil`) → propagator Inject."""
    for call in p.root.find_all(kind="call_expression"):
        args = arguments(call)
        if not call_name(call).endswith(".Inject") or len(args) != 3 or p.is_claimed(call):
            continue
        fmt = _format(p, args[1])
        if fmt is None:
            continue
        target = carrier(p, args[2], fmt) if fmt in FORMATS else None
        ctx = _span_context(p, args[0], call)
        stmt, check = _inject_statement(call)
        if fmt == "Binary":
            reason = "opentracing.Binary has no OTel equivalent"
        elif target is None:
            reason = (
                f"Inject: carrier `{args[2].text()}` is no HTTPHeadersCarrier / TextMapCarrier otmigrate can "
                "see: otel.GetTextMapPropagator().Inject needs a propagation.TextMapCarrier (Get, Set, Keys)"
            )
        elif ctx is None:
            reason = f"Inject: `{args[0].text()}` is not the Context() of a span otmigrate knows"
        elif stmt is None:
            reason = "Inject: its error is used beyond `if err != nil` (OTel's Inject cannot fail)"
        else:
            if check is not None:
                p.remove(check)
            p.edit(
                stmt,
                f"{PROPAGATOR}.Inject({ctx}, {target})",
                "go-opentracing-inject-extract",
                "Inject → propagator Inject (it cannot fail)",
            )
            continue
        p.manual(call, "go-opentracing-inject-extract", reason)


def _span_context(p: Pass, node: SgNode, at: SgNode) -> str | None:
    """The context that holds the span whose SpanContext is injected."""
    fn = node.field("function") if node.kind() == "call_expression" else None
    if (
        fn is None
        or fn.kind() != "selector_expression"
        or fn.field("field").text() not in ("Context", "SpanContext")
    ):
        return None
    if not p.is_span(fn.field("operand")):  # a node: `h.sp` is a span by its field's declared type
        return None
    span = fn.field("operand").text()
    start = p.start_of(span, at)
    if start is not None and start.ctx_out not in (None, "_") and start.function == enclosing_function(at):
        return start.ctx_out
    return f"trace.ContextWithSpan({p.ctx_in_scope(at) or 'context.Background()'}, {span})"


def _inject_statement(call: SgNode) -> tuple[SgNode | None, SgNode | None]:
    """(the statement the Inject call is, the `if err != nil` check to drop) or (None, None)."""
    parent = call.parent()
    if parent is not None and parent.kind() == "expression_statement":
        return parent, None
    stmt = parent.parent() if parent is not None and parent.kind() == "expression_list" else None
    if stmt is None or stmt.kind() not in ("short_var_declaration", "assignment_statement"):
        return None, None
    left = [n.text() for n in sides(stmt)[0]]
    holder = stmt.parent()
    if holder is not None and holder.kind() == "if_statement" and holder.field("initializer") == stmt:
        simple = (
            holder.field("alternative") is None and holder.field("condition").text() == f"{left[0]} != nil"
        )
        return (holder, None) if simple else (None, None)
    check = stmt.next()
    if (
        check is not None
        and check.kind() == "if_statement"
        and check.field("condition").text() == f"{left[0]} != nil"
        and check.field("alternative") is None
    ):
        return stmt, check
    return stmt, None


def migrate_carriers(p: Pass) -> None:
    for call in p.root.find_all(kind="call_expression"):
        member = p.member_of(call_name(call), "opentracing")
        if member in CARRIERS and not p.is_claimed(call):
            p.edit(
                call.field("function"),
                CARRIERS[member],
                "go-opentracing-inject-extract",
                f"{member} → {CARRIERS[member]}",
            )


def carrier_variables(p: Pass) -> set[str]:
    """Variables assigned a legacy carrier (`c := opentracing.TextMapCarrier(m)`)."""
    out = set()
    for stmt in p.root.find_all(kind="short_var_declaration"):
        left, right = sides(stmt)
        for name, value in zip(left, right, strict=False):
            fn = call_name(value)
            if p.member_of(fn, "opentracing") in CARRIERS or fn in CARRIERS.values():
                out.add(name.text())
    return out
