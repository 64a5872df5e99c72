"""What zipkin-js span code looks like, for both steps of the zipkin span rewrite (zipkin_spans.py).

A *span callback* is the function zipkin runs inside a span: the callback of `tracer.local(name, fn)`, or
of `tracer.scoped(() => { const id = tracer.createChildId(); tracer.setId(id); ... })` (a child span whose
start and stop annotations say its kind).
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext
from otmigrate.languages.javascript import jscode
from otmigrate.languages.javascript import sdk_setup as js

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
STOPS = {"ServerSend", "ClientRecv", "ProducerStop", "ConsumerStop", "LocalOperationStop"}


def tracer_names(ctx: TransformContext) -> set[str]:
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


def is_tracer(receiver: SgNode, tracers: set[str]) -> bool:
    return receiver.text() in tracers or re.search(r"(?i)tracer$", receiver.text()) is not None


def function_argument(node: SgNode | None) -> SgNode | None:
    """A callback written in place with no parameters (zipkin calls it with none)."""
    if node is None or node.kind() not in FUNCTIONS:
        return None
    parameters = node.field("parameters")
    if parameters is not None and parameters.named_children():
        return None
    return node


def child_pattern(call: SgNode, tracers: set[str]) -> tuple[SgNode, str, bool] | None:
    """`scoped(() => { const id = t.createChildId(); t.setId(id); ... })` → (callback, id, is_root)."""
    callback = function_argument(next(iter(jscode.args_of(call)), None))
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
    if not is_tracer(created[0], tracers):
        return None
    return callback, name.text(), created[1] == "createRootId"


def span_calls(root: SgNode, tracers: set[str]) -> list[tuple[SgNode, tuple[SgNode, str, bool] | None]]:
    """Every `tracer.local(name, fn)` (with None) and scoped child span (with its `_child_pattern`)."""
    found = []
    for call in root.find_all(kind="call_expression"):
        called = jscode.method_call(call)
        if called is None or not is_tracer(called[0], tracers):
            continue
        args = jscode.args_of(call)
        if called[1] == "local" and len(args) == 2 and function_argument(args[1]) is not None:
            found.append((call, None))
        elif called[1] == "scoped" and (child := child_pattern(call, tracers)) is not None:
            found.append((call, child))
    return found


def node_span(node: SgNode) -> tuple[int, int]:
    return node.range().start.index, node.range().end.index


def annotation_of(node: SgNode | None) -> tuple[str, list[SgNode]] | None:
    """`new Annotation.ClientSend(args)` → ("ClientSend", args)."""
    if node is None or node.kind() != "new_expression":
        return None
    constructor = node.field("constructor")
    found = re.search(r"Annotation\.(\w+)$", constructor.text()) if constructor is not None else None
    return (found.group(1), jscode.args_of(node)) if found else None
