"""Span lifecycle: OTM101 not ended on all paths, OTM102 discarded, OTM104 ended but not owned,
OTM106 re-assigned before end, OTM107 context chained across loop iterations, OTM108 attach without detach."""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.lint import flow
from otmigrate.lint.context import FileContext
from otmigrate.lint.flow import OPEN, Tracker
from otmigrate.lint.model import Example, Rule
from otmigrate.lint.spans import AUTO_STARTS, SpanCallback, SpanStart, active_span_callbacks, find_starts
from otmigrate.lint.syntax import (
    CALL,
    FUNCTIONS,
    call_args,
    call_name,
    enclosing_function,
    kwarg,
    line_of,
    named,
)

# Calls that take a span without taking ownership of it.
NON_OWNING = {
    "set_span_in_context",
    "use_span",
    "ContextWithSpan",
    "ContextWithRemoteSpan",
    "setSpan",
    "set_span",
    "print",
    "debug",
    "info",
    "warning",
    "log",
    "Println",
    "Printf",
    "detach",
}


class SpanTracker(Tracker):
    """Follows one span variable from its start; reports exits that may leave it open."""

    def __init__(self, ctx: FileContext, start: SpanStart, others: list[SpanStart], end_helpers: set[str]):
        self.ctx, self.start, self.var = ctx, start, start.var
        self.other_stmts = {
            o.stmt.range().start.index: o for o in others if o.var == start.var and o is not start
        }
        self.end_helpers = end_helpers
        self.leak: tuple[int, str] | None = None
        self.reassigned: list[SgNode] = []
        scope = start.stmt.parent() if start.decl_scoped and start.stmt is not None else None
        if scope is not None and scope.kind() == "statement_list":  # Go: block > statement_list > stmt
            scope = scope.parent()
        self.scope_block = scope

    def ends(self, node: SgNode) -> bool:
        """Does `node` (not counting nested functions) end the span?"""
        lang = self.ctx.language
        for call in calls_outside_closures(node, lang):
            recv, name = call_name(call)
            if recv is not None and recv.text() == self.var and name in self.start.end_methods:
                return True
            if name in self.end_helpers and any(a.text() == self.var for a in call_args(call)):
                return True
        return False

    def transfer(self, node, state):
        if self.start.stmt is not None and _same(node, self.start.stmt):
            if OPEN in state:
                self.reassigned.append(node)
            return frozenset({OPEN})
        other = self.other_stmts.get(node.range().start.index)
        if other is not None:
            if OPEN in state:
                self.reassigned.append(node)
            return flow.release(state)  # from here on the variable names another span
        return flow.release(state) if self.ends(node) else state

    def defer_releases(self, node):
        if (
            node.kind() == "call_expression"
            and node.field("function") is not None
            and node.field("function").kind() == "func_literal"
        ):
            body = node.field("function").field("body")
            return flow.releases_on_all_paths(self, flow.lower(body, "go"))
        return self.ends(node)

    def with_releases(self, items):
        for item in items.find_all(kind="with_item"):
            value = item.field("value")
            target = named(value)[0] if value is not None and value.kind() == "as_pattern" else value
            if target is None:
                continue
            if target.kind() == "identifier" and target.text() == self.var:
                return True
            if target.kind() == "call" and call_name(target)[1] == "use_span":
                args = call_args(target)
                eoe = kwarg(target, "end_on_exit")
                if args and args[0].text() == self.var and eoe is not None and eoe.text() == "True":
                    return True
        return False

    def on_exit(self, node, kind, state, guarded):
        if OPEN in state and not guarded and self.leak is None:
            where = "the end of the function" if kind == "end" else f"the {kind} at line {line_of(node)}"
            if kind == "end":
                where = f"the end of the function (line {node.range().end.line + 1})"
            self.leak = (line_of(node) if kind != "end" else node.range().end.line + 1, where)

    def on_block_end(self, block, state):
        if (
            self.scope_block is not None
            and block.node is not None
            and _same(block.node, self.scope_block)
            and block.node.kind() != "source_file"
        ):
            fn_body = enclosing_function(self.start.stmt, self.ctx.language)
            if fn_body is not None and _same(block.node, fn_body.field("body")):
                return state
            if OPEN in state and self.leak is None:
                end = block.node.range().end.line + 1
                self.leak = (end, f"the end of its block (line {end})")
            return frozenset("none" if s == OPEN else s for s in state)
        return state


def _same(a: SgNode, b: SgNode) -> bool:
    return (
        a.range().start.index == b.range().start.index
        and a.range().end.index == b.range().end.index
        and a.kind() == b.kind()
    )


def calls_outside_closures(node: SgNode, language: str):
    fns = FUNCTIONS[language]
    if node.kind() == CALL[language]:
        yield node
    for call in node.find_all(kind=CALL[language]):
        if not any(
            a.kind() in fns
            for a in call.ancestors()
            if a.range().start.index >= node.range().start.index and _inside(a, node)
        ):
            yield call


def _inside(inner: SgNode, outer: SgNode) -> bool:
    return (
        outer.range().start.index <= inner.range().start.index
        and inner.range().end.index <= outer.range().end.index
        and not _same(inner, outer)
    )


def escapes(ctx: FileContext, fn: SgNode, var: str, ignore: set[int] = frozenset()) -> bool:
    """Is the span handed on: returned, stored, passed to an unknown function, captured by a closure?

    A Go deferred closure (`defer func(){...}()`) is not an escape: the flow analysis looks inside it.
    """
    lang = ctx.language
    body = fn.field("body")
    if body is None:
        return True
    for ident in body.find_all(kind="identifier", regex=f"^{var}$"):
        parent = ident.parent()
        pk = parent.kind() if parent is not None else ""
        closure = next((a for a in ident.ancestors() if a.kind() in FUNCTIONS[lang]), None)
        if closure is not None and not _same(closure, fn):
            deferred = (
                closure.parent() is not None
                and closure.parent().kind() == "call_expression"
                and closure.parent().parent() is not None
                and closure.parent().parent().kind() == "defer_statement"
            )
            if not deferred and closure.range().start.index not in ignore:
                return True
        if (
            pk in ("attribute", "member_expression", "selector_expression")
            and (parent.field("object") or parent.field("operand")) == ident
        ):
            continue  # span.method(...) / span.field
        if pk in (
            "assignment",
            "expression_list",
            "pattern_list",
            "variable_declarator",
            "assignment_expression",
            "as_pattern_target",
            "with_item",
            "var_spec",
            "formal_parameters",
            "parameters",
        ):
            stmt = parent if pk != "expression_list" else parent.parent()
            left = stmt.field("left") if stmt is not None else None
            name = parent.field("name")
            if (left is not None and _inside_or_same(ident, left)) or (
                name is not None and _same(name, ident)
            ):
                continue  # it is being assigned, not read
            if pk in ("as_pattern_target", "with_item", "formal_parameters", "parameters"):
                continue
        if pk in ("argument_list", "arguments"):
            call = parent.parent()
            if call is not None and call_name(call)[1] in NON_OWNING:
                continue
            if call is not None and call_name(call)[1] == "use_span":
                continue
        if pk in (
            "binary_expression",
            "comparison_operator",
            "boolean_operator",
            "not_operator",
            "unary_expression",
            "if_statement",
            "expression_statement",
        ):
            continue  # `if span is None`, `span != nil`
        return True
    return False


def _inside_or_same(a: SgNode, b: SgNode) -> bool:
    return b.range().start.index <= a.range().start.index and a.range().end.index <= b.range().end.index


def end_helpers(ctx: FileContext) -> set[str]:
    """Configured end helpers, plus same-file functions that end the span passed as their first parameter."""
    helpers = {name.rsplit(".", 1)[-1] for name in ctx.options.span_end_functions}
    ends = ("end", "finish", "End", "Finish")
    for kind in {
        "python": ("function_definition",),
        "go": ("function_declaration",),
        "javascript": ("function_declaration",),
    }[ctx.language]:
        for fn in ctx.root.find_all(kind=kind):
            params, name, body = fn.field("parameters"), fn.field("name"), fn.field("body")
            if params is None or name is None or body is None or not named(params):
                continue
            first = named(params)[0]
            pname = (first.field("name") or first).text() if first.kind() != "identifier" else first.text()
            top = named(body)
            if ctx.language == "go" and top and top[0].kind() == "statement_list":
                top = named(top[0])
            for stmt in top:
                text = stmt.text().removeprefix("defer ").strip()
                if any(text.startswith(f"{pname}.{e}(") for e in ends):
                    helpers.add(name.text())
    return helpers


def check_lifecycle(ctx: FileContext) -> None:
    starts = find_starts(ctx)
    callbacks = active_span_callbacks(ctx)
    if not starts and not callbacks:
        return
    helpers = end_helpers(ctx)
    reported_reassign: set[int] = set()
    for start in starts:
        if start.var == "_":
            what = (
                "its span is discarded"
                if start.stmt.kind() != "expression_statement"
                else "its result is unused"
            )
            ctx.report(
                "OTM102",
                start.call,
                f"`{start.method}(...)` starts a span but {what}: it is never ended "
                "and nothing can use it; bind it and end it",
            )
            continue
        if start.var is None or start.stmt is None:
            continue  # returned, passed on or stored: ownership moves elsewhere
        fn = enclosing_function(start.call, ctx.language)
        if fn is None or fn.field("body") is None or escapes(ctx, fn, start.var):
            continue
        tracker = SpanTracker(ctx, start, starts, helpers)
        flow.Engine(tracker).run(flow.lower(fn.field("body"), ctx.language), fn, frozenset({"none"}))
        for node in tracker.reassigned:
            if line_of(node) not in reported_reassign:
                reported_reassign.add(line_of(node))
                ctx.report(
                    "OTM106",
                    node,
                    f"`{start.var}` is re-assigned to a new span while the span started at "
                    f"line {line_of(start.call)} may still be open; end it first",
                )
        if tracker.leak is not None:
            ctx.report(
                "OTM101",
                start.call,
                f"span `{start.var}` is not ended on all paths: {tracker.leak[1]} "
                "is reached without " + " or ".join(f"`{start.var}.{m}()`" for m in start.end_methods),
                related=[(tracker.leak[0], "exit without end")],
            )
    for callback in callbacks:
        _check_callback(ctx, callback, helpers)
    for call in ctx.root.find_all(kind=CALL[ctx.language]):
        name = call_name(call)[1]
        if (
            name in AUTO_STARTS[ctx.language]
            and name != "startActiveSpan"
            and call.parent() is not None
            and call.parent().kind() == "expression_statement"
        ):
            ctx.report(
                "OTM102",
                call,
                f"`{name}(...)` returns a context manager that is never entered: no span "
                "is started; use it in a `with` statement",
            )


def _check_callback(ctx: FileContext, callback: SpanCallback, helpers: set[str]) -> None:
    """The `startActiveSpan` callback owns its span and must end it on every path."""
    var = callback.var
    if escapes(ctx, callback.function, var):
        return
    start = SpanStart(callback.call, "startActiveSpan", var, None, ("end",), None, False)
    tracker = SpanTracker(ctx, start, [], helpers)
    body = flow.lower(callback.function.field("body"), "javascript")
    flow.Engine(tracker).run(body, callback.function, frozenset({OPEN}))
    if tracker.leak is not None:
        ctx.report(
            "OTM101",
            callback.call,
            f"the `startActiveSpan` callback does not end `{var}` on all paths: "
            f"{tracker.leak[1]} is reached without `{var}.end()`",
            related=[(tracker.leak[0], "exit without end")],
        )


# zipkin-js local spans: `tracer.recordAnnotation(new Annotation.LocalOperationStart(name))` opens one on the
# tracer's current id, `...LocalOperationStop()` closes it (no span object to follow, so the tracer is)
_LOCAL_START = re.compile(r"^([\w.]+)\.recordAnnotation\(\s*new\s+[\w.]*LocalOperationStart\(")


class LocalOperationTracker(Tracker):
    def __init__(self, start: SgNode, tracer: str):
        self.start, self.leak = start, None
        self.stop = re.compile(
            rf"\b{re.escape(tracer)}\.recordAnnotation\(\s*new\s+[\w.]*LocalOperationStop\("
        )

    def transfer(self, node, state):
        if _same(node, self.start):
            return frozenset({OPEN})
        return flow.release(state) if self.stop.search(node.text()) else state

    def on_exit(self, node, kind, state, guarded):
        if OPEN in state and not guarded and self.leak is None:
            self.leak = node


def check_local_operations(ctx: FileContext) -> None:
    if "LocalOperationStart" not in ctx.text:
        return
    for stmt in ctx.root.find_all(kind="expression_statement", regex=r"LocalOperationStart\("):
        found = _LOCAL_START.match(stmt.text())
        fn = enclosing_function(stmt, "javascript")
        if found is None or fn is None or fn.field("body") is None:
            continue
        tracker = LocalOperationTracker(stmt, found.group(1))
        flow.Engine(tracker).run(flow.lower(fn.field("body"), "javascript"), fn, frozenset({"none"}))
        if tracker.leak is not None:
            exit_line = line_of(tracker.leak) if tracker.leak is not fn else fn.range().end.line + 1
            ctx.report(
                "OTM101",
                stmt,
                f"the zipkin local operation started here is not stopped on all paths: line {exit_line} "
                "leaves without `LocalOperationStop` (use `tracer.local(name, fn)`, or stop it in `finally`)",
                related=[(exit_line, "exit without LocalOperationStop")],
            )


# ------------------------------------------------------------------ OTM104

_FROM_CONTEXT = {
    "python": ("get_current_span", "active_span"),
    "go": ("SpanFromContext",),
    "javascript": ("getActiveSpan", "getSpan"),
}


def check_not_owned(ctx: FileContext) -> None:
    names = _FROM_CONTEXT[ctx.language]
    if not any(n in ctx.text for n in names):
        return
    ends = ("end", "End", "finish", "Finish")
    for fn_kind in FUNCTIONS[ctx.language]:
        for fn in ctx.root.find_all(kind=fn_kind):
            body = fn.field("body")
            if body is None:
                continue
            owned: dict[str, SgNode] = {}
            reassigned: set[str] = set()
            for node in body.find_all(kind=CALL[ctx.language]):
                if enclosing_function(node, ctx.language) is None or not _same(
                    enclosing_function(node, ctx.language), fn
                ):
                    continue
                recv, name = call_name(node)
                if name in names:
                    var = _bound_name(node)
                    if var:
                        owned.setdefault(var, node)
                if (
                    name in ends
                    and recv is not None
                    and recv.kind() == CALL[ctx.language]
                    and call_name(recv)[1] in names
                ):
                    ctx.report(
                        "OTM104",
                        node,
                        f"ends the span from `{call_name(recv)[1]}()`: this code did not "
                        "start it, so ending it cuts its owner's span short",
                    )
            for ident in body.find_all(kind="identifier"):
                stmt = _is_assignment_target(ident)
                if (
                    ident.text() in owned
                    and stmt is not None
                    and not _inside_or_same(owned[ident.text()], stmt)
                ):
                    reassigned.add(ident.text())
            for var, origin in owned.items():
                if var in reassigned:
                    continue
                for node in body.find_all(kind=CALL[ctx.language]):
                    recv, name = call_name(node)
                    if name in ends and recv is not None and recv.text() == var:
                        src = call_name(origin)[1]
                        ctx.report(
                            "OTM104",
                            node,
                            f"`{var}` comes from `{src}()` (line {line_of(origin)}): this "
                            "code did not start it, so ending it cuts its owner's span short",
                        )


def _bound_name(call: SgNode) -> str | None:
    parent = call.parent()
    while parent is not None and parent.kind() in ("expression_list", "attribute"):
        if parent.kind() == "attribute":
            return None
        parent = parent.parent()
    if parent is None:
        return None
    if parent.kind() in (
        "assignment",
        "short_var_declaration",
        "assignment_statement",
        "assignment_expression",
    ):
        left = parent.field("left")
        if left is not None and left.kind() == "expression_list":
            left = named(left)[0]
        return left.text() if left is not None and left.kind() == "identifier" else None
    if parent.kind() == "variable_declarator":
        name = parent.field("name")
        return name.text() if name is not None and name.kind() == "identifier" else None
    return None


def _is_assignment_target(ident: SgNode) -> SgNode | None:
    """The assignment statement if `ident` is (one of) its targets."""
    parent = ident.parent()
    if parent is not None and parent.kind() == "expression_list":
        parent = parent.parent()
    if parent is None:
        return None
    left = (
        parent.field("left")
        if parent.kind()
        in ("assignment", "short_var_declaration", "assignment_statement", "assignment_expression")
        else None
    )
    return parent if left is not None and _inside_or_same(ident, left) else None


# ------------------------------------------------------------------ OTM107 / OTM108


def check_loop_chaining(ctx: FileContext) -> None:
    lang = ctx.language
    if lang == "go":
        for stmt in ctx.root.find_all(kind="assignment_statement"):
            left, right = stmt.field("left"), stmt.field("right")
            rv = named(right)[0] if right is not None and named(right) else None
            if (
                rv is None
                or rv.kind() != "call_expression"
                or call_name(rv)[1] not in ("Start", "StartSpanFromContext")
            ):
                continue
            lhs = [n.text() for n in named(left)]
            args = call_args(rv)
            ctx_var = lhs[0] if call_name(rv)[1] == "Start" else (lhs[1] if len(lhs) > 1 else None)
            if ctx_var and args and args[0].text() == ctx_var and _in_loop_not_declared(stmt, ctx_var, lang):
                ctx.report(
                    "OTM107",
                    stmt,
                    f"`{ctx_var}` is overwritten with the new span's context inside a loop: "
                    "each iteration's span becomes the child of the previous one; use `:=` in the loop body",
                )
    elif lang == "javascript":
        for stmt in ctx.root.find_all(kind="assignment_expression"):
            left, right = stmt.field("left"), stmt.field("right")
            if right is None or right.kind() != "call_expression" or call_name(right)[1] != "setSpan":
                continue
            args = call_args(right)
            if (
                left.kind() == "identifier"
                and args
                and args[0].text() == left.text()
                and _in_loop_not_declared(stmt, left.text(), lang)
            ):
                ctx.report(
                    "OTM107",
                    stmt,
                    f"`{left.text()}` is overwritten with the span's context inside a loop: "
                    "each iteration's span becomes the child of the previous one; use a `const` per "
                    "iteration",
                )
    else:
        for call in ctx.root.find_all(kind="call", regex=r"attach\s*\("):
            if call_name(call)[1] != "attach" or not _in_loop_not_declared(call, "", lang):
                continue
            loop = next(a for a in call.ancestors() if a.kind() in ("for_statement", "while_statement"))
            if "detach(" not in loop.text():
                ctx.report(
                    "OTM107",
                    call,
                    "`context.attach` inside a loop without `detach` in the loop body: each "
                    "iteration's context (and span) nests inside the previous one",
                )


def _in_loop_not_declared(node: SgNode, var: str, lang: str) -> bool:
    """Inside a loop body, and `var` (if given) is declared outside that loop, in the same function."""
    fn = enclosing_function(node, lang)
    for anc in node.ancestors():
        if fn is not None and _same(anc, fn):
            return False
        if anc.kind() in ("for_statement", "while_statement", "for_in_statement", "do_statement"):
            if not var:
                return True
            body = anc.field("body")
            if body is None:
                return True
            if lang == "go":
                declared = any(
                    var in [n.text() for n in named(d.field("left"))]
                    for d in body.find_all(kind="short_var_declaration")
                )
            else:
                declared = any(
                    d.field("name") is not None and d.field("name").text() == var
                    for d in body.find_all(kind="variable_declarator")
                )
            return not declared
    return False


def check_attach_detach(ctx: FileContext) -> None:
    if ctx.language != "python" or "attach" not in ctx.text:
        return
    for call in ctx.root.find_all(kind="call", regex=r"\battach\s*\("):
        recv, name = call_name(call)
        if name != "attach" or recv is None or "context" not in recv.text():
            continue
        token = _bound_name(call)
        fn = enclosing_function(call, "python")
        if token is None or fn is None:
            if call.parent() is not None and call.parent().kind() == "expression_statement":
                ctx.report(
                    "OTM108",
                    call,
                    "the token from `context.attach` is discarded, so the context can "
                    "never be detached; keep it and call `context.detach(token)` in a `finally`",
                )
            continue
        if escapes(ctx, fn, token):
            continue
        in_finally = any(
            f"detach({token})" in fin.text().replace(" ", "") for fin in fn.find_all(kind="finally_clause")
        )
        if not in_finally:
            ctx.report(
                "OTM108",
                call,
                f"`context.attach` without `context.detach({token})` in a `finally`: an "
                "exception leaves this context attached to the thread, and every later span parents to it",
            )


# Shared by OTM101 and the error-path rules OTM201/OTM202, which reuse the same scope rule.
BLOCK_SCOPED_SPAN = Example(
    "go",
    "trap: span in an inner block, return outside it (spancheck #25)",
    """
func handle(ctx context.Context, x bool) error {
	if x {
		_, span := tracer.Start(ctx, "inner")
		span.End()
	}
	return errors.New("late")
}
""",
)

RULES = (
    Rule(
        code="OTM101",
        name="span-not-ended",
        languages=("python", "go", "javascript"),
        severity="error",
        precision="high",
        profile="pre-commit",
        summary="A span is started but some path out of the function does not end it.",
        why="The OpenTelemetry specification says every span that is created MUST be ended; an unended "
        "span is "
        "never exported and its memory is held until the process exits. The analysis follows every "
        "path from the start to each `return` (and the end of the function); `defer span.End()`, a "
        "`finally` that ends it, and Python `with` blocks count. A span that is returned, stored, "
        "handed to another function or captured by a callback is owned elsewhere and not reported. "
        "Exceptions are not exits here (every call may raise), so a span left open by an exception "
        "is not reported.",
        fix="Go: `defer span.End()` right after the start. Python: `with tracer.start_as_current_span(...)`. "
        "JavaScript: `try { ... } finally { span.end() }`.",
        options=("span-start-functions", "span-end-functions"),
        examples=(
            Example(
                "go",
                "positive: early return skips End",
                """
func handle(ctx context.Context, id string) error {
	ctx, span := tracer.Start(ctx, "handle") // want: OTM101
	if id == "" {
		return errors.New("no id")
	}
	span.End()
	return nil
}
""",
            ),
            Example(
                "go",
                "negative: defer span.End()",
                """
func handle(ctx context.Context, id string) error {
	ctx, span := tracer.Start(ctx, "handle")
	defer span.End()
	if id == "" {
		return errors.New("no id")
	}
	return nil
}
""",
            ),
            Example(
                "go",
                "trap: End inside a deferred closure (spancheck #12)",
                """
func handle(ctx context.Context) (err error) {
	ctx, span := tracer.Start(ctx, "handle")
	defer func() {
		if err != nil {
			span.RecordError(err)
		}
		span.End()
	}()
	return work(ctx)
}
""",
            ),
            Example(
                "go",
                "trap: deferred closure ends only on one branch (PR #31)",
                """
func handle(ctx context.Context) (err error) {
	ctx, span := tracer.Start(ctx, "handle") // want: OTM101
	defer func() {
		if err != nil {
			span.End()
		}
	}()
	return work(ctx)
}
""",
            ),
            BLOCK_SCOPED_SPAN,
            Example(
                "go",
                "positive: span in an inner block that leaves it open",
                """
func handle(ctx context.Context, x bool) error {
	if x {
		_, span := tracer.Start(ctx, "inner") // want: OTM101
		span.SetAttributes(attribute.Bool("x", x))
	}
	return nil
}
""",
            ),
            Example(
                "go",
                "trap: wrapper returns the start call (spancheck #33)",
                """
func startSpan(ctx context.Context, name string) (context.Context, trace.Span) {
	return tracer.Start(ctx, name)
}
""",
            ),
            Example(
                "go",
                "trap: span handed to its owner (fabric PR #1778)",
                """
func open(ctx context.Context) *conn {
	_, span := tracer.Start(ctx, "conn")
	return &conn{span: span}
}
""",
            ),
            Example(
                "go",
                "trap: span ended by a helper (spancheck #45)",
                """
func finish(span trace.Span, err error) {
	span.End()
}

func handle(ctx context.Context) error {
	_, span := tracer.Start(ctx, "handle")
	err := work(ctx)
	finish(span, err)
	return err
}
""",
            ),
            Example(
                "python",
                "positive: early return skips finish (legacy API)",
                """
def report():
    span = tracer.start_span("build-report")  # want: OTM101
    resp = fetch()
    if resp.status_code != 200:
        return None
    span.finish()
    return resp
""",
            ),
            Example(
                "python",
                "positive: never ended before the end of the function",
                """
def work():
    span = tracer.start_span("work")  # want: OTM101
    do_it()
""",
            ),
            Example(
                "python",
                "negative: finally ends it",
                """
def work():
    span = tracer.start_span("work")
    try:
        if not ready():
            return None
        return do_it()
    finally:
        span.end()
""",
            ),
            Example(
                "python",
                "trap: with blocks and the decorator form end the span",
                """
@tracer.start_as_current_span("outer")
def work():
    with tracer.start_as_current_span("inner") as span:
        if not ready():
            return None
    with tracer.start_span("child") as child:
        return child
""",
            ),
            Example(
                "python",
                "trap: the span is returned to the caller",
                """
def begin(name):
    span = tracer.start_span(name)
    span.set_attribute("a", 1)
    return span
""",
            ),
            Example(
                "python",
                "trap: with span: ends it",
                """
def work():
    span = tracer.start_span("work")
    with span:
        if not ready():
            return None
        do_it()
""",
            ),
            Example(
                "javascript",
                "positive: early return skips end()",
                """
function handle(req) {
  const span = tracer.startSpan("handle"); // want: OTM101
  if (!req.ok) {
    return null;
  }
  span.end();
  return req.body;
}
""",
            ),
            Example(
                "javascript",
                "positive: startActiveSpan callback that never ends its span",
                """
function handle(req) {
  return tracer.startActiveSpan("handle", (span) => { // want: OTM101
    return work(req);
  });
}
""",
            ),
            Example(
                "javascript",
                "negative: try/finally in the callback",
                """
function handle(req) {
  return tracer.startActiveSpan("handle", async (span) => {
    try {
      return await work(req);
    } finally {
      span.end();
    }
  });
}
""",
            ),
            Example(
                "javascript",
                "positive: a throw escapes a forEach callback before end()",
                """
function validate(items) {
  const span = tracer.startSpan("validate"); // want: OTM101
  items.forEach((item) => {
    if (!item.sku) {
      throw new Error("no sku");
    }
  });
  span.end();
}
""",
            ),
            Example(
                "javascript",
                "positive: zipkin-js local operation not stopped when the callback throws",
                """
function validate(job) {
  tracer.scoped(() => {
    tracer.setId(tracer.createChildId());
    tracer.recordAnnotation(new Annotation.LocalOperationStart("validate")); // want: OTM101
    job.items.forEach((item, i) => {
      if (!item.sku) {
        throw new ValidationError(`item ${i} has no sku`);
      }
    });
    tracer.recordAnnotation(new Annotation.LocalOperationStop());
  });
}
""",
            ),
            Example(
                "javascript",
                "negative: the local operation is stopped in finally; a throw caught in the callback",
                """
function validate(job) {
  tracer.recordAnnotation(new Annotation.LocalOperationStart("validate"));
  try {
    job.items.forEach((item) => {
      if (!item.sku) {
        throw new ValidationError("no sku");
      }
    });
  } finally {
    tracer.recordAnnotation(new Annotation.LocalOperationStop());
  }
  const span = tracer.startSpan("check");
  job.items.forEach((item) => {
    try {
      check(item);
      throw new Error("retry");
    } catch (err) {
      log(err);
    }
  });
  span.end();
}
""",
            ),
            Example(
                "javascript",
                "positive: a rethrow from the callback's catch escapes too",
                """
function check(items) {
  const span = tracer.startSpan("check"); // want: OTM101
  items.map((item) => {
    try {
      return parse(item);
    } catch (err) {
      throw err;
    }
  });
  span.end();
}
""",
            ),
            Example(
                "javascript",
                "trap: ended in a stream callback (opentelemetry-js #5759)",
                """
function pipe(stream) {
  const span = tracer.startSpan("pipe");
  stream.on("end", () => span.end());
  return stream;
}
""",
            ),
        ),
    ),
    Rule(
        code="OTM102",
        name="span-discarded",
        languages=("python", "go", "javascript"),
        severity="error",
        precision="high",
        profile="pre-commit",
        summary="A span is started and its result thrown away.",
        why="A span nobody holds can never be ended (a leak), and nothing can add attributes or children to "
        "it. In Python, calling `start_as_current_span(...)` outside a `with` starts nothing at all.",
        fix="Bind the span and end it (`defer span.End()`, `with`, `try/finally`), or remove the call.",
        examples=(
            Example(
                "go",
                "positive: span bound to _",
                """
func handle(ctx context.Context) {
	ctx, _ = tracer.Start(ctx, "handle") // want: OTM102
	work(ctx)
}
""",
            ),
            Example(
                "go",
                "trap: return of the start call is not a discard",
                """
func start(ctx context.Context) (context.Context, trace.Span) {
	return tracer.Start(ctx, "x")
}
""",
            ),
            Example(
                "python",
                "positive: result unused",
                """
def handle():
    tracer.start_span("handle")  # want: OTM102
    tracer.start_as_current_span("other")  # want: OTM102
""",
            ),
            Example(
                "python",
                "trap: with without `as` is fine",
                """
def handle():
    with tracer.start_as_current_span("handle"):
        work()
""",
            ),
            Example(
                "javascript",
                "positive: result unused",
                """
function handle() {
  tracer.startSpan("handle"); // want: OTM102
}
""",
            ),
            Example(
                "javascript",
                "negative: startActiveSpan as a statement is the callback form",
                """
function handle() {
  tracer.startActiveSpan("handle", (span) => {
    span.end();
  });
}
""",
            ),
        ),
    ),
    Rule(
        code="OTM104",
        name="span-ended-by-non-owner",
        languages=("python", "go", "javascript"),
        severity="error",
        precision="high",
        profile="pre-commit",
        summary="Code ends a span it got from the context instead of one it started.",
        why="`trace.SpanFromContext(ctx)`, `trace.get_current_span()` and `trace.getActiveSpan()` return the "
        "caller's span. Ending it here ends the caller's span early: its later children and attributes are "
        "lost or attached to an ended span (spancheck #41).",
        fix="Start a span of your own (`tracer.Start(ctx, ...)` + `defer span.End()`) or only annotate the "
        "current span. Middleware that did start the span and stashed it may suppress this with a reason.",
        examples=(
            Example(
                "go",
                "positive: defer End on SpanFromContext",
                """
func handle(ctx context.Context) {
	span := trace.SpanFromContext(ctx)
	defer span.End() // want: OTM104
	span.SetAttributes(attribute.String("k", "v"))
}
""",
            ),
            Example(
                "go",
                "negative: annotate only",
                """
func handle(ctx context.Context) {
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(attribute.String("k", "v"))
}
""",
            ),
            Example(
                "python",
                "positive: ending the current span",
                """
def handle():
    span = trace.get_current_span()
    span.set_attribute("k", "v")
    span.end()  # want: OTM104
    trace.get_current_span().end()  # want: OTM104
""",
            ),
            Example(
                "python",
                "trap: the variable is re-bound to a span this code started",
                """
def handle():
    span = trace.get_current_span()
    span.set_attribute("k", "v")
    span = tracer.start_span("own")
    span.end()
""",
            ),
            Example(
                "javascript",
                "positive: ending the active span",
                """
function handle() {
  const span = trace.getActiveSpan();
  span.end(); // want: OTM104
}
""",
            ),
        ),
    ),
    Rule(
        code="OTM106",
        name="span-reassigned-before-end",
        languages=("python", "go", "javascript"),
        severity="error",
        precision="high",
        profile="pre-commit",
        summary="A span variable gets a new span while the previous one may still be open.",
        why="The first span can no longer be ended: it leaks, and it never reaches the exporter.",
        fix="End the first span before starting the next, or use a second variable.",
        examples=(
            Example(
                "go",
                "positive: second Start overwrites an open span",
                """
func handle(ctx context.Context) {
	ctx, span := tracer.Start(ctx, "one")
	ctx, span = tracer.Start(ctx, "two") // want: OTM106
	defer span.End()
}
""",
            ),
            Example(
                "go",
                "negative: ended before the re-assignment",
                """
func handle(ctx context.Context) {
	ctx, span := tracer.Start(ctx, "one")
	span.End()
	ctx, span = tracer.Start(ctx, "two")
	defer span.End()
}
""",
            ),
            Example(
                "python",
                "positive: started again in a loop without finishing",
                """
def handle(items):
    for item in items:
        span = tracer.start_span("item")  # want: OTM106
        span.set_attribute("id", item)
""",
            ),
            Example(
                "javascript",
                "negative: each iteration ends its span",
                """
function handle(items) {
  let span;
  for (const item of items) {
    span = tracer.startSpan("item");
    span.end();
  }
}
""",
            ),
        ),
    ),
    Rule(
        code="OTM107",
        name="context-chained-in-loop",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="A loop overwrites the outer context with each iteration's span context.",
        why="Every iteration's span becomes the child of the previous iteration's span, so a trace of a "
        "batch turns into a deep chain instead of siblings under the batch span (fatcontext's shape).",
        fix="Go: `ctx, span := tracer.Start(ctx, ...)` with `:=` inside the loop body (a per-iteration "
        "variable). JavaScript: a `const` per iteration. Python: `detach` the token in the loop.",
        examples=(
            Example(
                "go",
                "positive: ctx re-assigned in the loop",
                """
func process(ctx context.Context, items []string) {
	var span trace.Span
	for _, it := range items {
		ctx, span = tracer.Start(ctx, "item") // want: OTM107
		handle(ctx, it)
		span.End()
	}
}
""",
            ),
            Example(
                "go",
                "trap: := shadows ctx per iteration",
                """
func process(ctx context.Context, items []string) {
	for _, it := range items {
		ctx, span := tracer.Start(ctx, "item")
		handle(ctx, it)
		span.End()
	}
}
""",
            ),
            Example(
                "javascript",
                "positive: ctx re-assigned in the loop",
                """
function process(items) {
  let ctx = context.active();
  for (const it of items) {
    const span = tracer.startSpan("item", {}, ctx);
    ctx = trace.setSpan(ctx, span); // want: OTM107
    span.end();
  }
}
""",
            ),
            Example(
                "python",
                "positive: attach in a loop without detach",
                """
def process(items):
    for it in items:
        token = context.attach(trace.set_span_in_context(make_span(it)))  # want: OTM107, OTM108
        handle(it)
""",
            ),
            Example(
                "python",
                "negative: detached each iteration",
                """
def process(items):
    for it in items:
        token = context.attach(trace.set_span_in_context(make_span(it)))
        try:
            handle(it)
        finally:
            context.detach(token)
""",
            ),
        ),
    ),
    Rule(
        code="OTM108",
        name="attach-without-detach",
        languages=("python",),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="`context.attach(...)` with no `context.detach(token)` in a `finally`.",
        why="If anything between attach and detach raises, the context stays attached to the thread or task, "
        "and every later span on it gets the wrong parent. (JavaScript has no attach/detach; "
        "`context.with` scopes itself.)",
        fix="`token = context.attach(ctx)` followed by `try: ... finally: context.detach(token)`, or "
        "`with trace.use_span(span):`.",
        examples=(
            Example(
                "python",
                "positive: detach not in finally",
                """
def handle(ctx):
    token = context.attach(ctx)  # want: OTM108
    work()
    context.detach(token)
""",
            ),
            Example(
                "python",
                "negative: detach in finally",
                """
def handle(ctx):
    token = context.attach(ctx)
    try:
        work()
    finally:
        context.detach(token)
""",
            ),
            Example(
                "python",
                "trap: token stored for a later __exit__",
                """
class Scope:
    def __enter__(self):
        self.token = context.attach(self.ctx)
        return self
""",
            ),
        ),
    ),
)

CHECKS = (
    (("OTM101", "OTM102", "OTM106"), ("python", "go", "javascript"), check_lifecycle),
    (("OTM101",), ("javascript",), check_local_operations),
    (("OTM104",), ("python", "go", "javascript"), check_not_owned),
    (("OTM107",), ("python", "go", "javascript"), check_loop_chaining),
    (("OTM108",), ("python",), check_attach_detach),
)
