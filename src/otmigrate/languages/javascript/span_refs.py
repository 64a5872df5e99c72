"""What an OpenTracing `childOf` / `references` / `inject` argument holds: a Span, a SpanContext or an
extracted context.

OpenTracing accepted a Span or a SpanContext in the same place; OpenTelemetry needs `trace.setSpan` for
one and `trace.setSpanContext` for the other, and the wrong one crashes at run time. There are no types
to read, so the answer comes from the binding, where the file shows it: what a variable is assigned
(`startSpan(...)`, `x.context()`, `extract(...)`), how a parameter is used in its function (`p.finish()`,
`p.toTraceId()`), and what the function's call sites in the file pass. None means "not known here".
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.languages.javascript.jscode import args_of, method_call

SPAN, SPAN_CONTEXT, CONTEXT = "span", "span_context", "context"
_CYCLE = "cycle"  # a recursive call site: it tells nothing, it does not make the answer unknown

_SPAN_METHODS = {
    "finish", "setTag", "addTags", "logEvent", "setOperationName", "context", "setBaggageItem",
    "getBaggageItem", "spanContext", "setAttribute", "setAttributes", "addEvent", "recordException",
    "updateName",
}  # fmt: skip
"""Methods only a span has, before or after the migration (not `log` or `end`: loggers, streams)."""
_SPAN_CONTEXT_METHODS = {"toTraceId", "toSpanId"}
_SPAN_CONTEXT_FIELDS = {"traceId", "spanId", "traceFlags"}
_FUNCTION_KINDS = ("function_declaration", "function_expression", "arrow_function", "method_definition")
_MAX_DEPTH = 4
SPAN_NAME = re.compile(r"(?i)span$")


def holds(node: SgNode) -> str | None:
    """SPAN, SPAN_CONTEXT or CONTEXT for an expression, when the file shows which; else None."""
    found = _holds(node, 0, frozenset())
    return None if found == _CYCLE else found


def is_span(receiver: SgNode) -> bool:
    """A method call's receiver that is a span: named …span, or a span by its binding in the file."""
    name = receiver.text()
    if receiver.kind() == "member_expression":
        prop = receiver.field("property")
        name = prop.text() if prop is not None else name
    return SPAN_NAME.search(name) is not None or holds(receiver) == SPAN


def _holds(node: SgNode, depth: int, seen: frozenset[tuple[int, int]]) -> str | None:
    if depth > _MAX_DEPTH:
        return None
    if node.kind() == "parenthesized_expression" and node.named_children():
        return _holds(node.named_children()[0], depth, seen)
    if node.kind() == "member_expression":
        prop = node.field("property")
        return SPAN_CONTEXT if prop is not None and prop.text() == "spanContext" else _field_type(node)
    found = method_call(node)
    if found is not None:
        return _call_result(node, found[1])
    if node.kind() == "identifier":
        return _binding(node, depth, seen)
    return None


def _call_result(call: SgNode, method: str) -> str | None:
    if method in ("startSpan", "getActiveSpan"):
        return SPAN
    if method in ("context", "spanContext", "getSpanContext") and (
        method == "getSpanContext" or not args_of(call)
    ):
        return SPAN_CONTEXT
    return CONTEXT if method in ("extract", "setBaggage") else None


def start_in_block(statement: SgNode, span: str) -> SgNode | None:
    """The startSpan call of `const span = x.startSpan(...)` earlier in the block holding `statement`."""
    for earlier in statement.prev_all():
        if earlier.kind() not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in earlier.named_children():
            bound = declarator.field("name") if declarator.kind() == "variable_declarator" else None
            value = declarator.field("value") if bound is not None else None
            found = method_call(value) if value is not None else None
            if bound is not None and bound.text() == span and found is not None and found[1] == "startSpan":
                return value
    return None


def _binding(identifier: SgNode, depth: int, seen: frozenset[tuple[int, int]]) -> str | None:
    """What the declaration of `identifier` in the scopes around it holds."""
    declared = _declaration(identifier)
    if isinstance(declared, list):
        return _agreed([_holds(v, depth + 1, seen) for v in declared])
    if declared is not None:
        return _parameter(*declared, identifier.text(), depth, seen)
    return None


def assigned_values(identifier: SgNode) -> list[SgNode]:
    """The values the variable `identifier` is given (empty when it is no variable declared here)."""
    declared = _declaration(identifier)
    return declared if isinstance(declared, list) else []


def _declaration(identifier: SgNode) -> list[SgNode] | tuple[SgNode, int] | None:
    """A variable's values (its declaration's and every `name = value` in its block), or a parameter's
    (function, index), for the nearest declaration of `identifier` around it."""
    name = identifier.text()
    for scope in identifier.ancestors():
        if scope.kind() in _FUNCTION_KINDS:
            index = _parameter_index(scope, name)
            if index is not None:
                return scope, index
        elif scope.kind() in ("statement_block", "program"):
            declarator = _declarator(scope, name)
            if declarator is not None:
                values = [declarator.field("value")]
                for assignment in scope.find_all(kind="assignment_expression"):
                    left = assignment.field("left")
                    if left is not None and left.kind() == "identifier" and left.text() == name:
                        values.append(assignment.field("right"))
                return [v for v in values if v is not None]
    return None


def _parameter_index(function: SgNode, name: str) -> int | None:
    single = function.field("parameter")
    if single is not None:
        return 0 if single.text() == name else None
    params = function.field("parameters")
    listed = [p for p in params.named_children() if p.kind() != "comment"] if params is not None else []
    for index, param in enumerate(listed):
        bound = param.field("left") if param.kind() == "assignment_pattern" else param
        if param.kind() in _TS_PARAMETERS:
            bound = param.field("pattern")
        if bound is not None and bound.kind() == "identifier" and bound.text() == name:
            return index
    return None


_TS_PARAMETERS = ("required_parameter", "optional_parameter")
_TYPED = {"Span": SPAN, "SpanContext": SPAN_CONTEXT, "Context": CONTEXT}
"""TypeScript: what a parameter annotated with a legacy (or OTel) type holds, whatever its uses say."""


def _annotated(function: SgNode, index: int) -> str | None:
    params = function.field("parameters")
    listed = [p for p in params.named_children() if p.kind() != "comment"] if params is not None else []
    if index >= len(listed) or listed[index].kind() not in _TS_PARAMETERS:
        return None
    return _typed(listed[index].field("type"))


def is_optional(identifier: SgNode) -> bool:
    """TypeScript: a parameter annotated `Span | undefined` (or `| null`, or `p?: Span`)."""
    if identifier.kind() != "identifier":
        return False
    declared = _declaration(identifier)
    if not isinstance(declared, tuple):
        return False
    function, index = declared
    params = function.field("parameters")
    listed = [p for p in params.named_children() if p.kind() != "comment"] if params is not None else []
    if index >= len(listed):
        return False
    param = listed[index]
    if param.kind() == "optional_parameter":
        return True
    annotation = param.field("type") if param.kind() in _TS_PARAMETERS else None
    text = annotation.text() if annotation is not None else ""
    return bool(re.search(r"\b(undefined|null)\b", text))


def _typed(annotation: SgNode | None) -> str | None:
    """What a `: Span` / `: Span | undefined` annotation says its value holds."""
    named = annotation.named_children() if annotation is not None else []
    if len(named) != 1:
        return None
    members = [named[0]]
    if named[0].kind() == "union_type":
        members = list(named[0].find_all(kind="type_identifier"))
        others = [m for m in named[0].named_children() if m.kind() not in ("type_identifier", "union_type")]
        if any(m.text() not in ("undefined", "null") for m in others):
            return None
    found = {_TYPED.get(m.text()) for m in members}
    return found.pop() if len(found) == 1 else None


def _field_type(member: SgNode) -> str | None:
    """TypeScript: `this.root` where a class of the file declares `root: Span` (a field, or a constructor
    parameter property)."""
    receiver, prop = member.field("object"), member.field("property")
    if receiver is None or prop is None or receiver.kind() != "this":
        return None
    root = member.get_root().root()
    for body in root.find_all(kind="class_body"):  # kinds that exist in both grammars, then by name
        for field in body.children():
            name = field.field("name") if field.kind() == "public_field_definition" else None
            if name is not None and name.text() == prop.text():
                return _typed(field.field("type"))
    for params in root.find_all(kind="formal_parameters"):
        for param in params.named_children():
            pattern = param.field("pattern") if param.kind() == "required_parameter" else None
            modifiers = [c for c in param.children() if c.kind() in ("accessibility_modifier", "readonly")]
            if modifiers and pattern is not None and pattern.text() == prop.text():
                return _typed(param.field("type"))
    return None


def _declarator(block: SgNode, name: str) -> SgNode | None:
    for statement in block.children():
        if statement.kind() in ("lexical_declaration", "variable_declaration"):
            for declarator in statement.named_children():
                bound = declarator.field("name") if declarator.kind() == "variable_declarator" else None
                if bound is not None and bound.kind() == "identifier" and bound.text() == name:
                    return declarator
    return None


def _parameter(
    function: SgNode, index: int, name: str, depth: int, seen: frozenset[tuple[int, int]]
) -> str | None:
    """A parameter typed or used as a span (or SpanContext) in its function; else what every call site
    passes."""
    typed = _annotated(function, index)
    if typed is not None:
        return typed
    used = _use_in(function, name)
    if used is not None:
        return used
    key = (function.range().start.index, index)
    if key in seen:
        return _CYCLE
    calls = _call_sites(function)
    if not calls:
        return None
    arguments = [args_of(call) for call in calls]
    return _agreed([_holds(a[index], depth + 1, seen | {key}) if index < len(a) else None for a in arguments])


def _use_in(function: SgNode, name: str) -> str | None:
    body = function.field("body")
    if body is None:
        return None
    for member in body.find_all(kind="member_expression"):
        receiver, prop = member.field("object"), member.field("property")
        if receiver is None or prop is None or receiver.text() != name:
            continue
        parent = member.parent()
        called = (
            parent is not None and parent.kind() == "call_expression" and parent.field("function") == member
        )
        if called and prop.text() in _SPAN_METHODS:
            return SPAN
        if (called and prop.text() in _SPAN_CONTEXT_METHODS) or (
            not called and prop.text() in _SPAN_CONTEXT_FIELDS
        ):
            return SPAN_CONTEXT
    return None


def _call_sites(function: SgNode) -> list[SgNode]:
    """Every call of `function` in the file; empty when its name is also used any other way (passed as a
    callback, stored), since then some callers are not known."""
    name, this_method = _function_name(function)
    if name is None:
        return []
    root = function.get_root().root()
    calls = []
    for use in root.find_all(kind="property_identifier" if this_method else "identifier"):
        if use.text() != name or use == function.field("name") or _declares(use, function):
            continue
        callee = use.parent() if this_method else use
        call = callee.parent() if callee is not None else None
        if this_method and (callee is None or (callee.field("object") or callee).kind() != "this"):
            return []  # `obj.name`: maybe this method, called from anywhere
        if call is None or call.kind() != "call_expression" or call.field("function") != callee:
            return []
        calls.append(call)
    return calls


def _function_name(function: SgNode) -> tuple[str | None, bool]:
    """The name the file calls `function` by, and whether it is a method called as `this.name(...)`."""
    if function.kind() == "function_declaration":
        name = function.field("name")
        return (name.text() if name is not None else None), False
    if function.kind() == "method_definition":
        name = function.field("name")
        return (name.text() if name is not None else None), True
    holder = function.parent()
    if holder is not None and holder.kind() == "variable_declarator":
        name = holder.field("name")
        if name is not None and name.kind() == "identifier":
            return name.text(), False
    return None, False


def _declares(use: SgNode, function: SgNode) -> bool:
    parent = use.parent()
    return parent is not None and parent.kind() == "variable_declarator" and parent.field("value") == function


def _agreed(found: list[str | None]) -> str | None:
    known = {f for f in found if f != _CYCLE}
    if not known:
        return _CYCLE if found else None
    return known.pop() if len(known) == 1 and None not in known else None
