"""Where spans start, and under which local name they live: shared by the lifecycle, error and naming rules.

Matching is by shape (no type information): method names of the OTel and legacy APIs, a Go receiver
that looks like a tracer, configured helper signatures, and same-file wrappers that return a start call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ast_grep_py import SgNode

from otmigrate.lint.context import FileContext
from otmigrate.lint.syntax import CALL, call_args, call_name, kwarg, named

# method -> (index of the span among the call's results, methods that end it, index of the name argument)
STARTS = {
    "python": {
        "start_span": (0, ("end", "finish"), 0),
        "start_active_span": (0, ("close",), 0),
    },
    "go": {
        "Start": (1, ("End",), 1),
        "StartSpan": (0, ("End", "Finish"), 0),
        "StartSpanFromContext": (0, ("End", "Finish"), 1),
    },
    "javascript": {
        "startSpan": (0, ("end", "finish"), 0),
    },
}
# start calls that end their span themselves, or hand it to a callback
AUTO_STARTS = {
    "python": {"start_as_current_span": 0},
    "go": {},
    "javascript": {"startActiveSpan": 0},
}
OTEL_ONLY = {"start_as_current_span", "Start", "startActiveSpan"}
_TRACERISH = re.compile(r"(?i)tracer|\bot\b|opentracing|\.Tracer\(")


@dataclass
class SpanStart:
    call: SgNode
    method: str
    var: str | None  # local name bound to the span; "_" when discarded; None when not a plain binding
    stmt: SgNode | None  # the statement that binds it
    end_methods: tuple[str, ...]
    name_arg: SgNode | None
    decl_scoped: bool  # declared with := / let / const (block scope)


def start_table(ctx: FileContext) -> dict[str, tuple[int, tuple[str, ...], int]]:
    """Start methods for this file: the built-in ones, configured helpers, and same-file wrappers."""
    if "start_table" in ctx.memo:
        return ctx.memo["start_table"]
    table = dict(STARTS[ctx.language])
    ends = table[next(iter(table))][1]
    for sig in ctx.options.span_start_functions:
        name, _, index = sig.rpartition(":") if ":" in sig else (sig, "", "0")
        table[name.rsplit(".", 1)[-1]] = (int(index or 0), ends, -1)
    table.update(_wrappers(ctx, table))
    ctx.memo["start_table"] = table
    return table


def _wrappers(ctx: FileContext, table: dict) -> dict:
    """Functions whose body is `return <start call>` start spans too (the spancheck #33 trap)."""
    found = {}
    fn_kinds = {
        "python": ("function_definition",),
        "go": ("function_declaration",),
        "javascript": ("function_declaration",),
    }[ctx.language]
    for kind in fn_kinds:
        for fn in ctx.root.find_all(kind=kind):
            body, name = fn.field("body"), fn.field("name")
            if body is None or name is None:
                continue
            for ret in body.find_all(kind="return_statement"):
                value = named(ret)[0] if named(ret) else None
                if value is not None and value.kind() == "expression_list" and len(named(value)) == 1:
                    value = named(value)[0]
                if value is not None and value.kind() == CALL[ctx.language]:
                    method = call_name(value)[1]
                    if method in table and is_start_call(ctx, value, table):
                        found[name.text()] = (table[method][0], table[method][1], -1)
    return found


def is_start_call(ctx: FileContext, call: SgNode, table: dict | None = None) -> bool:
    table = table if table is not None else start_table(ctx)
    recv, method = call_name(call)
    if method not in table:
        return False
    if ctx.language == "go" and method in STARTS["go"]:
        return recv is not None and bool(_TRACERISH.search(recv.text()))
    return True


def find_starts(ctx: FileContext) -> list[SpanStart]:
    """Every start call in the file, with the local variable its span is bound to (if any)."""
    if "starts" not in ctx.memo:
        ctx.memo["starts"] = _find_starts(ctx)
    return ctx.memo["starts"]


def _find_starts(ctx: FileContext) -> list[SpanStart]:
    table = start_table(ctx)
    starts = []
    pattern = "|".join(re.escape(m) for m in table)
    for call in ctx.root.find_all(kind=CALL[ctx.language], regex=rf"\b({pattern})\s*\(" if pattern else "x^"):
        _, method = call_name(call)
        if method not in table or not is_start_call(ctx, call, table):
            continue
        index, ends, name_index = table[method]
        var, stmt, scoped = _binding(call, ctx.language, index)
        args = call_args(call)
        name_arg = args[name_index] if 0 <= name_index < len(args) else None
        if ctx.language == "python" and name_arg is None:
            name_arg = kwarg(call, "name") or kwarg(call, "operation_name")
        starts.append(SpanStart(call, method, var, stmt, ends, name_arg, scoped))
    return starts


def _binding(call: SgNode, language: str, index: int) -> tuple[str | None, SgNode | None, bool]:
    parent = call.parent()
    if parent is None:
        return None, None, False
    if language == "python":
        if parent.kind() == "expression_statement":
            return "_", parent, False
        if parent.kind() == "assignment" and parent.field("right") == call:
            left = parent.field("left")
            stmt = parent.parent()
            if left.kind() == "identifier":
                return left.text(), stmt, False
            if left.kind() in ("pattern_list", "tuple_pattern") and index < len(named(left)):
                return named(left)[index].text(), stmt, False
        return None, None, False
    if language == "go":
        if parent.kind() == "expression_statement":
            return "_", parent, False
        if parent.kind() == "expression_list" and parent.parent() is not None:
            stmt = parent.parent()
            decl = stmt.kind() in ("short_var_declaration", "assignment_statement")
            if decl and stmt.field("right") == parent:
                names = named(stmt.field("left"))
                if index < len(names) and names[index].kind() == "identifier":
                    return names[index].text(), stmt, stmt.kind() == "short_var_declaration"
        if parent.kind() == "var_spec":
            names = [n for n in named(parent) if n.kind() == "identifier"]
            if index < len(names):
                return names[index].text(), parent.parent(), True
        return None, None, False
    # javascript
    if parent.kind() == "await_expression":
        call, parent = parent, parent.parent()
    if parent.kind() == "expression_statement":
        return "_", parent, False
    if parent.kind() == "variable_declarator" and parent.field("value") == call:
        name = parent.field("name")
        decl = parent.parent()
        if name is not None and name.kind() == "identifier":
            return name.text(), decl, decl.kind() == "lexical_declaration"
    if parent.kind() == "assignment_expression" and parent.field("right") == call:
        left = parent.field("left")
        if left.kind() == "identifier":
            return left.text(), parent.parent(), False
    return None, None, False


@dataclass
class SpanCallback:
    """JavaScript `tracer.startActiveSpan(name, [opts, [ctx,]] span => {...})`: the callback owns the span."""

    call: SgNode
    function: SgNode
    var: str


def active_span_callbacks(ctx: FileContext) -> list[SpanCallback]:
    if ctx.language != "javascript" or "startActiveSpan" not in ctx.text:
        return []
    found = []
    for call in ctx.root.find_all(kind="call_expression", regex=r"\.startActiveSpan\s*\("):
        args = call_args(call)
        cb = args[-1] if args and call_name(call)[1] == "startActiveSpan" else None
        if cb is None or cb.kind() not in ("arrow_function", "function_expression", "function"):
            continue
        params = cb.field("parameters") or cb.field("parameter")
        if params is None:
            continue
        first = params if params.kind() == "identifier" else (named(params)[0] if named(params) else None)
        body = cb.field("body")
        is_name = first is not None and first.kind() == "identifier"
        if is_name and body is not None and body.kind() == "statement_block":
            found.append(SpanCallback(call, cb, first.text()))
    return found


# Start methods that only the legacy APIs have: rules about OpenTelemetry semantics (kind, status,
# RecordError) leave their spans to OTM901 and the migration.
LEGACY_ONLY_STARTS = {"start_active_span", "StartSpan", "StartSpanFromContext"}

_KIND = re.compile(
    r"(?i)span_?kind[._]?(?:rpc_?)?(server|client|producer|consumer|internal)|"
    r"rpc(server|client)option|\bkind\s*:\s*([0-4])\b"
)
_KIND_NUMBERS = ("internal", "server", "client", "producer", "consumer")


def span_kind(call: SgNode) -> str | None:
    """The kind a start call asks for, from its options ("server", ...); None when it sets none (INTERNAL)
    and "unknown" when it passes a kind this cannot read (a variable)."""
    args = call.field("arguments")
    text = args.text() if args is not None else ""
    found = _KIND.search(text)
    if found is None:
        return "unknown" if re.search(r"(?i)\bkind\b", text) else None
    word, rpc, number = found.groups()
    if number is not None:
        return _KIND_NUMBERS[int(number)]
    return (word or rpc).lower()


def uses_otel_api(ctx: FileContext) -> bool:
    """False for a file that imports only legacy tracing: its spans are not OpenTelemetry spans yet."""
    libraries = {b.library for b in ctx.bindings}
    return "opentelemetry" in libraries or not any(b.is_legacy for b in ctx.bindings)


def start_calls(ctx: FileContext) -> list[SgNode]:
    """Every call that starts a span, whether it binds, auto-ends or hands it to a callback."""
    table = start_table(ctx)
    pattern = "|".join(re.escape(m) for m in {*table, *AUTO_STARTS[ctx.language]})
    calls = ctx.root.find_all(kind=CALL[ctx.language], regex=rf"\b({pattern})\s*\(")
    return [
        call
        for call in calls
        if call_name(call)[1] in AUTO_STARTS[ctx.language]
        or (call_name(call)[1] in table and is_start_call(ctx, call, table))
    ]
