"""Span lifecycle and error returns.

A span the function owns (started there, not returned, sent, stored or captured by a closure) whose
`Finish` calls all sit in that function gets one `defer span.End()` right after its start instead: the
end then happens on every path, including the ones the legacy code forgot. Inside a loop a defer would
wait for the function, so there the calls stay where they are (with a TODO when an exit skips them). A span
that is never ended, returned or handed on gets a TODO: adding an End would export a span the legacy code
never reported.

An error returned inside such a span's scope (`if err != nil { return ..., err }`, `return
errors.New(...)`, `return ..., someErr` from a function returning error) with nothing before it that
records it on the span gets `RecordError` + `SetStatus`: that changes what the span reports, so only with
--unsafe-fixes.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.languages.go.ot_pass import Pass, SpanStart
from otmigrate.languages.go.source_edits import (
    FUNCTION_KINDS,
    Edit,
    call_name,
    enclosing_function,
    in_function_body,
    indent_of,
    line_of,
    named,
)

ERROR_CONSTRUCTORS = ("errors.New", "fmt.Errorf")  # never nil (errors.Wrap(nil) is nil)
# What records an error on a span, before or after its migration (a LogFields without log.Error does not).
_RECORDED = re.compile(
    r'RecordError|SetStatus|LogError\(|\bError\.Set\(|\.LogFields\(.*\.Error\(|"error\.object"|SetTag\("error"'
)


def migrate_lifecycle(p: Pass) -> None:
    for start in p.starts:
        function = start.function
        if not start.span.isidentifier() or start.span == "_" or function is None:
            continue  # a span kept in a struct field is ended wherever its owner ends it
        if _in_loop(start.statement, function):
            _check_loop_ends(p, start)
            continue
        if sum(s.span == start.span and s.function == function for s in p.starts) != 1:
            continue
        ends, deferred = _ends(start, function)
        if not ends and not deferred and not _escapes(start.span, function) and not _passed_on(start):
            reason = f"span {start.span} is never ended (not exported): end it where its work ends"
            p.manual(start.statement, "go-opentracing-finish", reason)
            continue
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


def _passed_on(start: SpanStart) -> bool:
    """Whether the span is handed to a call (which may end it) after its start."""
    after = start.statement.range().end.index
    return any(
        ident.text() == start.span and ident.range().start.index > after
        for ident in start.function.find_all(kind="identifier")
        if ident.parent() is not None and ident.parent().kind() == "argument_list"
    )


def _check_loop_ends(p: Pass, start: SpanStart) -> None:
    """A span started in a loop body keeps its End there; a TODO when an exit before it skips it."""
    calls = (f"{start.span}.Finish()", f"{start.span}.End()")
    block, after = start.statement.parent(), start.statement.range().end.index
    ends = [s for s in named(block.children()) if s.text() in calls and s.range().start.index > after]
    exits = block.find_all(
        any=[{"kind": "continue_statement"}, {"kind": "break_statement"}, {"kind": "return_statement"}]
    )
    if ends and any(after < e.range().start.index < ends[-1].range().start.index for e in exits):
        reason = f"span {start.span} starts in a loop and a continue/break/return skips its End"
        p.manual(start.statement, "go-opentracing-finish", reason)


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
    """A return of an error inside an open span's scope, with nothing before it that records the error on
    the span: RecordError + SetStatus before it (unsafe: the span's status changes from unset to error)."""
    for ret in p.root.find_all(kind="return_statement"):
        results = named(ret.children())
        values = (
            named(results[0].children()) if results and results[0].kind() == "expression_list" else results
        )
        err = values[-1] if values else None
        if err is None or err.kind() == "nil" or p.is_claimed(ret) or _recorded_before(ret):
            continue
        span, check = _open_span(p, ret), _nil_check(ret, err)
        function = enclosing_function(ret)
        if span is None or not (check or call_name(err) in ERROR_CONSTRUCTORS or _returns_error(function)):
            continue
        if not p.ctx.unsafe:
            message = f"returned error not recorded on span {span}"
            p.unsafe(check or ret, "go-opentracing-error-returns", message, todo=False)
            continue
        _record_returned_error(p, ret, err, span, always=bool(check) or _sentinel(p, err))


def _record_returned_error(p: Pass, ret: SgNode, err: SgNode, span: str, *, always: bool) -> None:
    """Insert the recording before `ret`; an error that may be nil is recorded under `if err != nil`, an
    expression is first put in a variable of its own (it must be evaluated once)."""
    indent, lines = indent_of(p.source, ret), []
    name = err.text()
    if err.kind() != "identifier":
        name = _fresh_name(enclosing_function(ret))
        lines.append(f"{name} := {p.render(err)}")
        p.edits.append(Edit(err.range().start.index, err.range().end.index, name))
        always = call_name(err) in ERROR_CONSTRUCTORS
    record = [f"{span}.RecordError({name})", f"{span}.SetStatus(codes.Error, {name}.Error())"]
    lines += record if always else [f"if {name} != nil {{", *(f"\t{r}" for r in record), "}"]
    at = ret.range().start.index
    p.edits.append(Edit(at, at, "".join(f"{line}\n{indent}" for line in lines)))
    p.claim(ret)
    p.ctx.migrated(line_of(ret), "go-opentracing-error-returns", "returned error → RecordError + SetStatus")


def _recorded_before(ret: SgNode) -> bool:
    """Whether a simple statement before the return, in its block or a block around it, records an error
    on a span (an error log, ext.Error, SetStatus)."""
    for block in ret.ancestors():
        if block.kind() in FUNCTION_KINDS:
            return False
        if block.kind() != "statement_list":
            continue
        for stmt in named(block.children()):
            if stmt.range().start.index >= ret.range().start.index:
                break
            if stmt.kind() == "expression_statement" and _RECORDED.search(stmt.text()):
                return True
    return False


def _nil_check(ret: SgNode, err: SgNode) -> SgNode | None:
    """The `if err != nil { …; return …, err }` whose body ends with this return."""
    block = ret.parent().parent() if ret.parent() is not None else None
    check = block.parent() if block is not None else None
    if (
        err.kind() != "identifier"
        or check is None
        or check.kind() != "if_statement"
        or check.field("consequence") != block
        or named(ret.parent().children())[-1] != ret
    ):
        return None
    return (
        check if re.fullmatch(rf"{re.escape(err.text())} != nil", check.field("condition").text()) else None
    )


def _returns_error(function: SgNode | None) -> bool:
    result = function.field("result") if function is not None else None
    return result is not None and re.search(r"\berror\s*\)?$", result.text()) is not None


def _sentinel(p: Pass, err: SgNode) -> bool:
    """A package-level `var ErrX = errors.New(...)`: never nil."""
    for spec in p.root.find_all(kind="var_spec"):
        value = spec.field("value")
        if (
            enclosing_function(spec) is None
            and spec.field("name") is not None
            and spec.field("name").text() == err.text()
            and value is not None
            and call_name(named(value.children())[0]) in ERROR_CONSTRUCTORS
        ):
            return True
    return False


def _fresh_name(function: SgNode | None) -> str:
    text = function.text() if function is not None else ""
    return next(n for n in ("err", "spanErr", "returnedErr") if not re.search(rf"\b{n}\b", text))


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
