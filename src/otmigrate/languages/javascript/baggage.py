"""`span.setBaggageItem(k, v)` → a Context carrying the baggage, threaded to the uses that follow.

OpenTracing kept baggage on the span; OpenTelemetry keeps it in a Context (api-mapping §1.9), which has
to reach whatever propagates it. That is done only where the file shows every use: the span is started
in the block of the setBaggageItem statements, and after them the span is only injected, made a child's
`childOf`, asked for baggage, or has its own methods called. Then

    const spanCtx = propagation.setBaggage(
      trace.setSpan(<parent ctx>, span),
      (propagation.getBaggage(<parent ctx>) ?? propagation.createBaggage()).setEntry(k, { value: v }),
    );

(one `.setEntry` a line) replaces the statements, and those uses take `spanCtx` (inject and childOf then
become `propagation.inject(spanCtx, …)` and the child's context argument in the following steps).
Anything else keeps setBaggageItem, which the span-methods step marks with a TODO.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ast_grep_py import SgNode

from otmigrate.languages.javascript import span_refs
from otmigrate.languages.javascript.jscode import (
    args_of,
    enclosing_scope,
    indent_at,
    line_of,
    line_start,
    method_call,
)

if TYPE_CHECKING:
    from otmigrate.languages.javascript.opentracing_calls import Step

RULE = "js-opentracing-baggage"


def thread_baggage(step: Step) -> None:
    done: set[int] = set()
    for call in step.root.find_all(kind="call_expression"):
        found = method_call(call)
        statement = call.parent()
        if (
            found is None
            or found[1] != "setBaggageItem"
            or found[0].kind() != "identifier"
            or statement is None
        ):
            continue
        if statement.range().start.index not in done:
            group = _group(statement, found[0].text())
            done |= {s.range().start.index for s in group}
            _thread(step, found[0].text(), group)


def _set_baggage(statement: SgNode, span: str) -> list[SgNode] | None:
    """The (key, value) of a `span.setBaggageItem(k, v);` statement."""
    call = statement.named_children()[0] if statement.kind() == "expression_statement" else None
    found = method_call(call) if call is not None else None
    if found is None or found[0].text() != span or found[1] != "setBaggageItem":
        return None
    args = args_of(call)  # type: ignore[arg-type]
    return args if len(args) == 2 else None


def _group(statement: SgNode, span: str) -> list[SgNode]:
    """The run of setBaggageItem statements on `span` that starts at `statement`."""
    group = [statement]
    for following in statement.next_all():
        if not following.is_named() or following.kind() == "comment":
            continue
        if _set_baggage(following, span) is None:
            break
        group.append(following)
    return group


def _thread(step: Step, span: str, group: list[SgNode]) -> None:
    start = span_refs.start_in_block(group[0], span)
    entries = [_set_baggage(s, span) for s in group]
    name = f"{span}Ctx"
    if start is None or None in entries or name in {i.text() for i in step.root.find_all(kind="identifier")}:
        return
    scope = enclosing_scope(group[0])
    uses = _uses_after(scope, span, group[-1].range().end.index)
    if uses is None or _set_elsewhere(scope, span, group):
        return
    base = _parent_context(start)
    indent = indent_at(step.source, group[0].range().start.index)
    inner = indent + step.style.indent
    entries_text = "".join(
        f"\n{inner}{step.style.indent}.setEntry({key.text()}, {_entry(step, value)})"
        for key, value in entries  # type: ignore[misc]
    )
    text = (
        f"{indent}const {name} = propagation.setBaggage(\n{inner}trace.setSpan({base}, {span}),\n"
        f"{inner}(propagation.getBaggage({base}) ?? propagation.createBaggage()){entries_text},\n{indent});"
    )
    begin = line_start(step.source, group[0].range().start.index)
    step.edit((begin, group[-1].range().end.index, text), line_of(group[0]), RULE, _MESSAGE)
    for use in uses:
        _redirect(step, use, name)


def _entry(step: Step, value: SgNode) -> str:
    return step.style.object([f"value: {value.text()}"])


_MESSAGE = "setBaggageItem → propagation.setBaggage on a Context passed to the inject / child start after it"


def _parent_context(start: SgNode) -> str:
    """Where the span's baggage came from in OpenTracing: an extracted `childOf`, else the active context."""
    options = args_of(start)[1] if len(args_of(start)) > 1 else None
    for pair in options.named_children() if options is not None and options.kind() == "object" else []:
        value = pair.field("value") if _is_child_of(pair) else None
        if value is not None and value.kind() == "identifier" and span_refs.holds(value) == span_refs.CONTEXT:
            return value.text()
    return "context.active()"


def _uses_after(scope: SgNode, span: str, after: int) -> list[SgNode] | None:
    """The uses of `span` after `after` that take the Context (inject, childOf, getBaggageItem); None when
    one is neither that nor a call of the span's own methods (the span escapes: its baggage with it)."""
    uses = []
    for identifier in scope.find_all(kind="identifier"):
        if identifier.text() != span or identifier.range().start.index < after:
            continue
        parent = identifier.parent()
        holder = parent.parent() if parent is not None else None
        if (
            parent is not None
            and parent.kind() == "member_expression"
            and parent.field("object") == identifier
        ):
            prop = parent.field("property")
            if prop is not None and prop.text() == "getBaggageItem":
                uses.append(holder)
            elif (
                holder is None
                or holder.kind() != "call_expression"
                or prop is None
                or prop.text() == "setBaggageItem"
            ):
                return None
        elif _is_inject_span(parent, identifier) or _is_child_of(parent):
            uses.append(identifier)
        else:
            return None
    return uses


def _is_inject_span(arguments: SgNode | None, identifier: SgNode) -> bool:
    call = arguments.parent() if arguments is not None and arguments.kind() == "arguments" else None
    found = method_call(call) if call is not None else None
    return found is not None and found[1] == "inject" and args_of(call)[0] == identifier  # type: ignore[arg-type]


def _is_child_of(pair: SgNode | None) -> bool:
    key = pair.field("key") if pair is not None and pair.kind() == "pair" else None
    return key is not None and key.text() == "childOf"


def _set_elsewhere(scope: SgNode, span: str, group: list[SgNode]) -> bool:
    """setBaggageItem on the span outside the run being threaded."""
    inside = {s.range().start.index for s in group}
    for call in scope.find_all(kind="call_expression"):
        found, statement = method_call(call), call.parent()
        sets = found is not None and found[0].text() == span and found[1] == "setBaggageItem"
        if sets and (statement is None or statement.range().start.index not in inside):
            return True
    return False


def _redirect(step: Step, use: SgNode, name: str) -> None:
    """The span → its Context: `inject(spanCtx, …)`, `childOf: spanCtx`, baggage read from it."""
    r = use.range()
    if use.kind() == "call_expression":  # span.getBaggageItem(k)
        key = args_of(use)[0].text() if len(args_of(use)) == 1 else None
        if key is None:
            return
        text = f"propagation.getBaggage({name})?.getEntry({key})?.value"
        step.edit(
            (r.start.index, r.end.index, text),
            line_of(use),
            RULE,
            "getBaggageItem(k) → the baggage of its Context",
        )
    else:
        step.edits.append((r.start.index, r.end.index, name))
