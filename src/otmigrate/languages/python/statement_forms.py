"""OpenTracing statement shapes turned into the shapes the call-site transform (opentracing_calls) migrates.

These run before the call-site transform, and a stage that changes the file ends the handler's pass, so
every pass reports lines of the source it was given and the call-site transform never sees a half-made
shape (it would mark `scope = t.start_active_span(..)` as not migratable):

- chains of OpenTracing span calls (each returns the span) become one statement per call, because
  OpenTelemetry's span methods return None; `x = span.set_tag(..)` / `return span.set_baggage_item(..)`
  become the call as a statement, then `x = span` / `return span`;
- `scope = t.start_active_span(..)` or `scope = t.scope_manager.activate(..)`, closed by `scope.close()`
  later in the same block (or in the `finally:` of a `try` there), becomes
  `with t.start_active_span(..) as scope:` around the statements in between.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from otmigrate.languages.python.cst import dotted, names_used

# OpenTracing Span methods that return the span itself (opentracing/span.py), so code chains them.
CHAINABLE = {"set_tag", "set_baggage_item", "log_kv", "log_event", "set_operation_name"}

Report = Callable[[str, int, str], None]


def rewrite_statement_forms(module: cst.Module, report: Report) -> str | None:
    """The first stage that changes `module`, applied; None when no stage has anything to do."""
    for stage in (SplitSpanChains(report), ScopesIntoWithBlocks(report)):
        new = module.visit(stage)
        if stage.changed:
            stage.flush(module)
            return new.code
    return None


class _Stage(cst.CSTTransformer):
    """A reshaping stage. Its report lines are looked up only once it has changed something: most files
    need neither stage, and positions cost a full code generation of the module."""

    def __init__(self, report: Report) -> None:
        super().__init__()
        self._report = report
        self._pending: list[tuple[str, cst.CSTNode, str]] = []

    def report(self, kind: str, node: cst.CSTNode, message: str) -> None:
        """Every change a stage makes is reported, so a stage that reported nothing changed nothing."""
        self._pending.append((kind, node, message))

    @property
    def changed(self) -> bool:
        return bool(self._pending)

    def flush(self, module: cst.Module) -> None:
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        for kind, node, message in self._pending:
            position = positions.get(node)
            self._report(kind, position.start.line if position else 0, message)


class SplitSpanChains(_Stage):
    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if len(updated.body) != 1:
            return updated
        small = updated.body[0]
        value = getattr(small, "value", None)
        chain = _span_chain(value) if isinstance(value, cst.Call) else None
        if chain is None:
            return updated
        receiver, calls = chain
        if isinstance(small, cst.Expr):
            if len(calls) < 2:
                return updated
            last: list[cst.BaseStatement] = []
        elif isinstance(small, cst.Return) or (isinstance(small, cst.Assign) and len(small.targets) == 1):
            last = [cst.SimpleStatementLine([small.with_changes(value=receiver)])]
        else:
            return updated
        self.report("migrated", original, "chained span calls split into statements (OTel's return None)")
        statements: list[cst.BaseStatement] = [
            cst.SimpleStatementLine([cst.Expr(_on(receiver, call))]) for call in calls
        ]
        statements += last
        statements[0] = statements[0].with_changes(leading_lines=updated.leading_lines)
        return cst.FlattenSentinel(statements)


def _on(receiver: cst.BaseExpression, call: cst.Call) -> cst.Call:
    """`call` made on `receiver` instead of on the chain before it."""
    assert isinstance(call.func, cst.Attribute)
    return call.with_changes(func=call.func.with_changes(value=receiver))


def _span_chain(call: cst.Call) -> tuple[cst.BaseExpression, list[cst.Call]] | None:
    """(the span, the calls in order) for `span.m1(..).m2(..)` made only of span methods that return it."""
    calls: list[cst.Call] = []
    node: cst.BaseExpression = call
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in CHAINABLE
    ):
        calls.append(node)
        node = node.func.value
    if not calls or not dotted(node):
        return None
    return node, calls[::-1]


class ScopesIntoWithBlocks(_Stage):
    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated.with_changes(body=self._blocks(original.body, updated.body))

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return updated.with_changes(body=self._blocks(original.body, updated.body))

    def _blocks(
        self, originals: Sequence[cst.BaseStatement], body: Sequence[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        out, originals = list(body), list(originals)  # index-aligned: this stage adds no statements
        index = 0
        while index < len(out):
            started = _scope_start(out[index])
            found = _scope_block(out, index, started[0]) if started else None
            if started is not None and found is not None:
                name, call = started
                end, inner = found
                item = cst.WithItem(item=call, asname=cst.AsName(name=cst.Name(name)))
                block = cst.IndentedBlock(body=inner or [cst.SimpleStatementLine([cst.Pass()])])
                out[index : end + 1] = [
                    cst.With(items=[item], body=block, leading_lines=out[index].leading_lines)
                ]
                message = f"scope '{name}' closed in its block → a with block"
                self.report("migrated", originals[index], message)
                originals[index : end + 1] = [originals[index]]
            index += 1
        return out


def _scope_start(statement: cst.BaseStatement) -> tuple[str, cst.Call] | None:
    """`name = t.start_active_span(..)` or `name = t.scope_manager.activate(..)`: (name, the call)."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    assign = statement.body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
        return None
    target, call = assign.targets[0].target, assign.value
    if not isinstance(target, cst.Name) or not isinstance(call, cst.Call):
        return None
    if not isinstance(call.func, cst.Attribute):
        return None
    method = call.func.attr.value
    activates = method == "activate" and dotted(call.func.value).endswith("scope_manager")
    return (target.value, call) if method == "start_active_span" or activates else None


def _scope_block(
    body: list[cst.BaseStatement], start: int, name: str
) -> tuple[int, list[cst.BaseStatement]] | None:
    """(index of the statement that closes the scope, the with block's statements), when the scope is
    closed in this block and used in between only through `name.span`; else None (its lifetime escapes)."""
    for end in range(start + 1, len(body)):
        statement = body[end]
        if _closes(statement, name):
            inner = body[start + 1 : end]
        elif (
            isinstance(statement, cst.Try)
            and statement.finalbody is not None
            and any(_closes(s, name) for s in statement.finalbody.body.body)
        ):
            inner = [*body[start + 1 : end], *_without_close(statement, name)]
        else:
            continue
        if not all(_only_span_of(s, name) for s in inner) or _used_later(body[end + 1 :], name):
            return None
        return end, inner
    return None


def _closes(statement: cst.BaseStatement, name: str) -> bool:
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return False
    call = getattr(statement.body[0], "value", None)
    return (
        isinstance(statement.body[0], cst.Expr)
        and isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "close"
        and dotted(call.func.value) == name
        and not call.args
    )


def _without_close(statement: cst.Try, name: str) -> list[cst.BaseStatement]:
    """The `try` without `name.close()` in its finally block; just its body when nothing else is left."""
    final = statement.finalbody
    assert final is not None and isinstance(final.body, cst.IndentedBlock)
    rest = [s for s in final.body.body if not _closes(s, name)]
    if rest:
        return [statement.with_changes(finalbody=final.with_changes(body=final.body.with_changes(body=rest)))]
    if statement.handlers:
        return [statement.with_changes(finalbody=None)]
    if statement.orelse is not None:
        return [*statement.body.body, *statement.orelse.body.body]  # type: ignore[attr-defined]
    return list(statement.body.body)  # type: ignore[attr-defined]


def _only_span_of(node: cst.CSTNode, name: str) -> bool:
    """Whether `name` occurs in `node` only as `name.span` (the scope itself does not escape)."""
    total = spans = 0

    class Count(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            nonlocal total
            total += n.value == name

        def visit_Attribute(self, n: cst.Attribute) -> None:
            nonlocal spans
            spans += isinstance(n.value, cst.Name) and n.value.value == name and n.attr.value == "span"

    node.visit(Count())
    return total == spans


def _used_later(statements: Sequence[cst.BaseStatement], name: str) -> bool:
    """Whether the scope's name is read after its close, before a new scope is bound to it."""
    for statement in statements:
        started = _scope_start(statement)
        if started is not None and started[0] == name:
            return False
        if name in names_used(statement):
            return True
    return False
