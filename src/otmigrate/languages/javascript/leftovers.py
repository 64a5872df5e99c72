"""The safety net after the opentracing rewrite: an OpenTracing-only span method still called in a migrated
file gets a TODO and a manual report line.

Once a file is migrated its spans are OpenTelemetry spans, which have no `setTag`, `finish`, `logEvent`…:
a call the rewrite did not take (a form it does not know, or a receiver it could not tell is a span)
would be a TypeError at run time, so it is never left silently. Receivers the file shows to be something
else (a module, a global, `this`, `new X()`, a literal; a logger for `log`) are left alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ast_grep_py import SgNode

from otmigrate.languages.javascript import span_refs
from otmigrate.languages.javascript.jscode import has_todo, method_call

if TYPE_CHECKING:
    from otmigrate.languages.javascript.opentracing_calls import Step

_METHODS = "js-opentracing-span-methods"
_BAGGAGE = "js-opentracing-baggage"
LEGACY_METHODS = {
    "setTag": (_METHODS, "setAttribute / setStatus"),
    "addTags": (_METHODS, "setAttributes"),
    "log": (_METHODS, "addEvent / recordException"),
    "logEvent": ("js-opentracing-log-event", "addEvent"),
    "finish": ("js-opentracing-finish", "end"),
    "setOperationName": ("js-opentracing-set-operation-name", "updateName"),
    "context": (_METHODS, "spanContext"),
    "setBaggageItem": (_BAGGAGE, "propagation.setBaggage on a Context"),
    "getBaggageItem": (_BAGGAGE, "propagation.getBaggage on a Context"),
    "tracer": (_METHODS, "no equivalent"),
}
"""OpenTracing span method → (the rule it is reported under, what OpenTelemetry has instead)."""
_GLOBALS = {
    "console", "process", "globalThis", "window", "document", "Math", "JSON", "Object", "Promise",
    "Reflect", "Buffer", "Date", "Array", "Number", "String",
}  # fmt: skip
_NOT_SPAN_VALUES = {
    "new_expression", "object", "array", "string", "template_string", "number", "regex",
    "function_expression", "arrow_function", "class",
}  # fmt: skip
_BY_HAND = "migrate this call by hand"
_LOGGER = re.compile(r"^(log|logger|logging)$|(Log|Logger|logger)$")


def flag_legacy_calls(step: Step) -> None:
    """TODO every remaining OpenTracing span method call on a span or a receiver of unknown origin, in a
    file the rewrite changed (elsewhere the spans are still OpenTracing's)."""
    if not any(change.kind == "migrated" for change in step.ctx.changes):
        return
    for call in step.root.find_all(kind="call_expression"):
        found = method_call(call)
        if found is None or found[1] not in LEGACY_METHODS or has_todo(step.source, call):
            continue
        receiver, method = found
        rule, instead = LEGACY_METHODS[method]
        if span_refs.is_span(receiver):
            reason = (
                f"{method} is an OpenTracing span method; an OpenTelemetry span has {instead}: {_BY_HAND}"
            )
        elif _not_a_span(receiver, method):
            continue
        else:
            held = receiver.text()
            reason = (
                f"`{held}.{method}(…)`: if `{held}` is a span, it is an OpenTelemetry span now, which has no "
            )
            reason += f"{method} (use {instead}): {_BY_HAND}"
        step.todo(call, rule, reason)


def _not_a_span(receiver: SgNode, method: str) -> bool:
    """What the file shows is no span: `this`, a literal or `new X()`, a global, a module, a class or
    function of the file, a variable only ever given such values; for `log`, a logger by its name."""
    if receiver.kind() in ("this", "super") or receiver.kind() in _NOT_SPAN_VALUES:
        return True
    name = receiver.field("property") if receiver.kind() == "member_expression" else receiver
    if method == "log" and name is not None and _LOGGER.search(name.text()):
        return True
    base = receiver
    while base.kind() == "member_expression" and base.field("object") is not None:
        base = base.field("object")  # type: ignore[assignment]
    if base.kind() in ("this", "super"):
        return False  # `this.x`: a field, known only by the name test above
    if base.kind() != "identifier":
        return False
    if base.text() in _GLOBALS or _declared_as_module(base):
        return True
    values = span_refs.assigned_values(base)
    return bool(values) and all(_is_other_value(v) for v in values)


def _is_other_value(value: SgNode) -> bool:
    if value.kind() in _NOT_SPAN_VALUES:
        return True
    function = value.field("function") if value.kind() == "call_expression" else None
    return function is not None and function.text() == "require"


def _declared_as_module(identifier: SgNode) -> bool:
    """Bound by an import, a `require` destructuring, or a class / function declaration of the file."""
    name = identifier.text()
    root = identifier.get_root().root()
    for statement in root.children():
        if statement.kind() in ("class_declaration", "function_declaration"):
            declared = statement.field("name")
            if declared is not None and declared.text() == name:
                return True
        elif statement.kind() == "import_statement" or (
            statement.kind() in ("lexical_declaration", "variable_declaration")
            and "require(" in statement.text()
        ):
            bound = [i.text() for i in statement.find_all(kind="identifier")]
            bound += [i.text() for i in statement.find_all(kind="shorthand_property_identifier_pattern")]
            if name in bound:
                return True
    return False
