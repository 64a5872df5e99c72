"""Span lifecycle and error returns.

A span the function owns (started there, not returned, sent, stored or captured by a closure) whose
`Finish` calls all sit in that function gets one `defer span.End()` right after its start instead: the
end then happens on every path, including the ones the legacy code forgot. Inside a loop a defer would
wait for the function, so there the calls stay where they are.

An `if err != nil { return ..., err }` inside such a span's function that records nothing on the span
gets `RecordError` + `SetStatus`: that changes what the span reports, so only with --unsafe-fixes.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.languages.go.ot_pass import Pass, SpanStart
from otmigrate.languages.go.source_edits import (
    FUNCTION_KINDS,
    Edit,
    in_function_body,
    indent_of,
    line_of,
    named,
)

_RECORDED = re.compile(r"RecordError|SetStatus|\.LogFields\(|\.LogKV\(|LogError\(|\bError\.Set\(")


def migrate_lifecycle(p: Pass) -> None:
    for start in p.starts:
        function = start.function
        if start.span == "_" or function is None or _in_loop(start.statement, function):
            continue
        if sum(s.span == start.span and s.function == function for s in p.starts) != 1:
            continue
        ends, deferred = _ends(start, function)
        if (
            deferred
            or not ends
            or _escapes(start.span, function)
            or not all(_last_use(e, start.span) for e in ends)
        ):
            continue
        for end in ends:
            p.remove(end)
        p.insert_after(start.statement, f"defer {start.span}.End()")
        p.ctx.migrated(
            line_of(ends[-1]),
            "go-opentracing-finish",
            "Finish → defer End after the start (every path ends the span)",
        )


def _in_loop(node: SgNode, function: SgNode) -> bool:
    for a in node.ancestors():
        if a == function:
            return False
        if a.kind() == "for_statement":
            return True
    return False


def _ends(start: SpanStart, function: SgNode) -> tuple[list[SgNode], bool]:
    """The statements of `function` that end the span after its start, and whether one is a defer."""
    calls = (f"{start.span}.Finish()", f"{start.span}.End()")
    ends, deferred = [], False
    after = start.statement.range().end.index
    for stmt in function.find_all(any=[{"kind": "expression_statement"}, {"kind": "defer_statement"}]):
        if stmt.range().start.index < after or not in_function_body(stmt, function):
            continue
        text = stmt.text()
        if stmt.kind() == "defer_statement" and text.removeprefix("defer ").strip() in calls:
            deferred = True
        elif text in calls:
            ends.append(stmt)
    return ends, deferred


def _escapes(span: str, function: SgNode) -> bool:
    """Whether the span leaves the function's hands: returned, sent, assigned elsewhere, put in a
    composite literal, or used inside a function literal."""
    for ident in function.find_all(kind="identifier"):
        if ident.text() != span:
            continue
        parent = ident.parent()
        kind = parent.kind() if parent is not None else ""
        grand = parent.parent() if parent is not None else None
        if kind in ("send_statement", "literal_element", "keyed_element"):
            return True
        if kind == "expression_list" and grand is not None and grand.kind() == "return_statement":
            return True
        if kind == "expression_list" and grand is not None and grand.field("right") == parent:
            return True
        if any(a.kind() == "func_literal" for a in ident.ancestors() if _encloses(function, a)):
            return True
    return False


def _encloses(outer: SgNode, inner: SgNode) -> bool:
    return inner != outer and any(a == outer for a in inner.ancestors())


def _last_use(end: SgNode, span: str) -> bool:
    """Whether nothing after the end statement, in its block, uses the span any more."""
    later = False
    for sibling in named(end.parent().children()) if end.parent() is not None else []:
        if later and re.search(rf"\b{re.escape(span)}\b", sibling.text()):
            return False
        later = later or sibling == end
    return True


def migrate_error_returns(p: Pass) -> None:
    for check in p.root.find_all(kind="if_statement"):
        m = re.fullmatch(r"(\w+) != nil", check.field("condition").text())
        body = check.field("consequence")
        stmts = named(named(body.children())[0].children()) if m and named(body.children()) else []
        if not stmts or stmts[-1].kind() != "return_statement" or _RECORDED.search(body.text()):
            continue
        results = named(stmts[-1].children())
        values = (
            named(results[0].children()) if results and results[0].kind() == "expression_list" else results
        )
        err = m.group(1)
        span = _open_span(p, check)
        if not values or values[-1].text() != err or span is None:
            continue
        if not p.ctx.unsafe:
            p.unsafe(
                check,
                "go-opentracing-error-returns",
                f"returned error not recorded on span {span}",
                todo=False,
            )
            continue
        indent = indent_of(p.source, stmts[-1])
        at = stmts[-1].range().start.index
        lines = f"{span}.RecordError({err})\n{indent}{span}.SetStatus(codes.Error, {err}.Error())\n{indent}"
        p.edits.append(Edit(at, at, lines))
        p.ctx.migrated(
            line_of(check), "go-opentracing-error-returns", "returned error → RecordError + SetStatus"
        )


def _open_span(p: Pass, at: SgNode) -> str | None:
    """The span started last before `at` in the same function, in a block around `at`."""
    function = next((a for a in at.ancestors() if a.kind() in FUNCTION_KINDS), None)
    spans = [
        s.span
        for s in p.starts
        if s.function == function
        and s.span != "_"
        and s.statement.range().end.index < at.range().start.index
        and s.statement.parent() is not None
        and _encloses(s.statement.parent(), at)
    ]
    return spans[-1] if spans else None
