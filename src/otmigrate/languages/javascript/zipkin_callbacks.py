"""Step 2 of the zipkin span rewrite: span callbacks become `startActiveSpan` callbacks (api-mapping §4.3).

Converted innermost first, each on a fresh parse, so nested spans compose: `tracer.local` gets the end
and error recording zipkin did for sync and promise results; a scoped child span gets its kind, its name
and (when its stop annotation is its last statement) a `finally` that ends it.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext
from otmigrate.languages.javascript import jscode
from otmigrate.languages.javascript import sdk_setup as js
from otmigrate.languages.javascript.zipkin_patterns import (
    FUNCTIONS,
    RULE_IDS,
    RULE_LOCAL,
    STARTS,
    annotation_of,
    node_span,
    span_calls,
)

NO_STOP_TODO = "the zipkin span stopped elsewhere (no stop annotation here): end this span there"
OPAQUE_TODO = (
    "{value} may be a promise: zipkin ended the span when it settled, this span ends when it is returned"
)
# calls whose result is never a promise: builtins, and methods named like JavaScript's string / array ones
SYNC_CALLS = re.compile(
    r"(?:JSON|Math|Object|Array|Number|String)\.\w+|String|Number|Boolean|parseInt|parseFloat"
)
SYNC_METHODS = {
    *("concat", "every", "filter", "find", "includes", "indexOf", "join", "map", "padEnd", "padStart"),
    *("reduce", "replace", "slice", "some", "sort", "split", "toFixed", "toLowerCase", "toString"),
    *("toUpperCase", "trim"),
}
ERROR_CATCH = (
    "{i}}} catch (err) {{\n"
    "{i}{u}span.recordException(err);\n"
    "{i}{u}span.setStatus({{ code: SpanStatusCode.ERROR, message: err.message }});\n"
    "{i}{u}throw err;\n"
)
# `>` marks one indent unit below the call's line; RESULT is a free name, COMPUTED the callback's statements
RUN_TIME_CHECK = """\
(span) => {
>let RESULT;
>try {
COMPUTED
>} catch (err) {
>>span.recordException(err);
>>span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
>>span.end();
>>throw err;
>}
>// zipkin's local() ended the span when a returned promise settled
>if (RESULT && typeof RESULT.then === 'function') {
>>return RESULT.then(
>>>(value) => {
>>>>span.end();
>>>>return value;
>>>},
>>>(err) => {
>>>>span.recordException(err);
>>>>span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
>>>>span.end();
>>>>throw err;
>>>},
>>);
>}
>span.end();
>return RESULT;
}"""


def convert_one_callback(ctx: TransformContext, source: str, root: SgNode, tracers: set[str]) -> str | None:
    """Convert the first span callback that holds no other one."""
    candidates = span_calls(root, tracers)
    for call, child in candidates:
        inner = [c for c, _ in candidates if c is not call and _inside(c, call)]
        if inner:
            continue
        style = jscode.style_of(root)
        if child is None:
            return _convert_local(ctx, source, call, style)
        return _convert_child(ctx, source, call, child, style)
    return None


def _inside(node: SgNode, outer: SgNode) -> bool:
    (start, end), (outer_start, outer_end) = node_span(node), node_span(outer)
    return outer_start <= start and end <= outer_end


def _statements_text(source: str, statements: list[SgNode], edits: list[jscode.Edit]) -> str:
    """The statements' lines (from the first one's indentation) with the `edits` inside them applied."""
    if not statements:
        return ""
    start = jscode.line_start(source, statements[0].range().start.index)
    end = statements[-1].range().end.index
    inside = [(s - start, e - start, text) for s, e, text in edits if start <= s and e <= end]
    return jscode.apply_edits(source[start:end], inside)


def _indented(text: str, indent: str) -> str:
    """`text` moved so that its first line starts at `indent` (the others keep their relative indent)."""
    lines = text.split("\n")
    base = re.match(r"[ \t]*", lines[0]).group(0)  # type: ignore[union-attr]
    return "\n".join(
        indent + line[len(base) :] if line.startswith(base) and line.strip() else line for line in lines
    )


def _returns(callback: SgNode) -> list[SgNode]:
    """The return statements of `callback` itself (not of functions nested in it)."""
    found = []
    for statement in callback.find_all(kind="return_statement"):
        owner = next(
            (
                a
                for a in statement.ancestors()
                if a.kind() in (*FUNCTIONS, "function_declaration", "method_definition")
            ),
            None,
        )
        if owner is not None and node_span(owner) == node_span(callback):
            found.append(statement)
    return found


def _visible_promise(node: SgNode | None, async_functions: set[str]) -> bool:
    """A value the code shows is a promise: `.then/.catch/.finally(...)`, `new Promise`, `Promise.x()`,
    or a call of a function declared `async` in this file."""
    if node is None:
        return False
    text = node.text()
    if node.kind() == "new_expression":
        return text.startswith("new Promise")
    if node.kind() != "call_expression":
        return False
    function = node.field("function")
    name = function.text() if function is not None else ""
    return (
        bool(re.search(r"\.(then|catch|finally)$", name))
        or name.startswith("Promise.")
        or name in async_functions
    )


def _may_settle_later(value: SgNode) -> bool:
    """A returned value that may be a promise: the span must end when it settles (`return await`)."""
    return value.kind() in (
        "call_expression",
        "new_expression",
        "identifier",
        "member_expression",
        "ternary_expression",
        "parenthesized_expression",
        "subscript_expression",
    )


def _may_be_promise(value: SgNode, callback: SgNode, functions: dict[str, SgNode], seen: set[str]) -> bool:
    """A returned value the code does not show to be synchronous: a call of a function from elsewhere
    (or of one of this file's that may return such a value), directly or through a local constant."""
    kind = value.kind()
    if kind == "parenthesized_expression":
        return any(_may_be_promise(v, callback, functions, seen) for v in value.named_children())
    if kind == "ternary_expression":
        branches = [value.field("consequence"), value.field("alternative")]
        return any(b is not None and _may_be_promise(b, callback, functions, seen) for b in branches)
    if kind == "binary_expression" and value.field("operator").text() in ("||", "&&", "??"):
        sides = [value.field("left"), value.field("right")]
        return any(_may_be_promise(v, callback, functions, seen) for v in sides)
    if kind == "identifier":
        initial = _local_constant(value.text(), callback)
        return initial is not None and _may_be_promise(initial, callback, functions, seen)
    if kind != "call_expression":
        return False
    function = value.field("function")
    name = function.text()
    if SYNC_CALLS.fullmatch(name) or (
        function.kind() == "member_expression" and function.field("property").text() in SYNC_METHODS
    ):
        return False
    helper, args = functions.get(name), jscode.args_of(value)
    if name.endswith(".startActiveSpan") and args and args[-1].kind() in FUNCTIONS:
        helper = args[-1]  # a span callback converted before: as sync as its callback
    if helper is None or name in seen or helper.child(0).kind() == "async":
        return True
    body = helper.field("body")
    values = (
        [body]
        if body.kind() != "statement_block"
        else [r.named_children()[0] for r in _returns(helper) if r.named_children()]
    )
    return any(
        _visible_promise(v, set()) or _may_be_promise(v, helper, functions, seen | {name}) for v in values
    )


def _local_constant(name: str, callback: SgNode) -> SgNode | None:
    """The initial value of `const|let name = value` declared in the callback's own body."""
    body = callback.field("body")
    for statement in body.named_children() if body.kind() == "statement_block" else []:
        if statement.kind() != "lexical_declaration":
            continue
        for declarator in statement.named_children():
            if declarator.field("name") is not None and declarator.field("name").text() == name:
                return declarator.field("value")
    return None


def _named_functions(root: SgNode) -> dict[str, SgNode]:
    """This file's named functions, by name."""
    found = {node.field("name").text(): node for node in root.find_all(kind="function_declaration")}
    for declarator in root.find_all(kind="variable_declarator"):
        value = declarator.field("value")
        if value is not None and value.kind() in FUNCTIONS:
            found[declarator.field("name").text()] = value
    return found


def _async_functions(root: SgNode) -> set[str]:
    names = set()
    for node in root.find_all(kind="function_declaration"):
        if node.child(0) is not None and node.child(0).kind() == "async":
            names.add(node.field("name").text())
    for declarator in root.find_all(kind="variable_declarator"):
        value = declarator.field("value")
        if value is not None and value.kind() in FUNCTIONS and value.child(0).kind() == "async":
            names.add(declarator.field("name").text())
    return names


def _convert_local(ctx: TransformContext, source: str, call: SgNode, style: jscode.Style) -> str:
    args = jscode.args_of(call)
    callback = args[1]
    body = callback.field("body")
    is_async = callback.child(0).kind() == "async"
    unit, indent = style.indent, jscode.indent_at(source, call.range().start.index)
    root = call.get_root().root()
    async_functions = _async_functions(root)
    returns = _returns(callback) if body.kind() == "statement_block" else []
    values = [r.named_children()[0] for r in returns if r.named_children()] if returns else [body]
    promised = not is_async and any(_visible_promise(v, async_functions) for v in values)
    functions = _named_functions(root)
    opaque = (
        [] if is_async or promised else [v for v in values if _may_be_promise(v, callback, functions, set())]
    )
    edits = [(*node_span(call.field("function").field("property")), "startActiveSpan")]
    js.add_api_names(ctx, "SpanStatusCode")
    ctx.migrated(
        jscode.line_of(call), RULE_LOCAL, "tracer.local → startActiveSpan with end and error recording"
    )
    if opaque and (body.kind() != "statement_block" or _returns_last_only(body, returns)):
        checked = _settled_at_run_time(source, callback, indent, unit)
        edits.append((*node_span(callback), typed_errors(checked, ctx)))
        return jscode.apply_edits(source, edits)
    if opaque:
        reason = OPAQUE_TODO.format(value=opaque[0].text())
        edits += js.todo(ctx, source, call, RULE_LOCAL, reason)
    if body.kind() == "statement_block":
        awaits = [
            (v.range().start.index, v.range().start.index, "await ") for v in values if _may_settle_later(v)
        ]
        text = _indented(
            _statements_text(source, body.named_children(), awaits if is_async or promised else []),
            indent + unit * 2,
        )
    else:
        awaited = (is_async or promised) and _may_settle_later(body)
        text = f"{indent}{unit * 2}return {'await ' if awaited else ''}{body.text()};"
    prefix = "async " if is_async or promised else ""
    converted = (
        f"{prefix}(span) => {{\n{indent}{unit}try {{\n{text}\n"
        + typed_errors(ERROR_CATCH.format(i=indent + unit, u=unit), ctx)
        + f"{indent}{unit}}} finally {{\n{indent}{unit * 2}span.end();\n{indent}{unit}}}\n{indent}}}"
    )
    edits.append((*node_span(callback), converted))
    return jscode.apply_edits(source, edits)


def typed_errors(text: str, ctx: TransformContext) -> str:
    """TypeScript's `catch (err)` binds an `unknown` (strict mode): what the catch blocks we write do with
    the error says it is an Error."""
    if ctx.language.grep_language == "javascript":
        return text
    return text.replace("recordException(err)", "recordException(err as Error)").replace(
        "message: err.message", "message: (err as Error).message"
    )


def _returns_last_only(body: SgNode, returns: list[SgNode]) -> bool:
    statements = [s for s in body.named_children() if s.kind() != "comment"]
    return len(returns) == 1 and bool(statements) and node_span(returns[0]) == node_span(statements[-1])


def _settled_at_run_time(source: str, callback: SgNode, indent: str, unit: str) -> str:
    """The check zipkin's local() made at run time: a returned promise ends the span when it settles
    (recording a rejection), any other value right away. The callback's value is its last statement."""
    body = callback.field("body")
    result = js.free_name(callback.text(), "result", "localResult")
    inner = indent + unit * 2
    if body.kind() == "statement_block":
        last = [s for s in body.named_children() if s.kind() != "comment"][-1]
        start = jscode.line_start(source, body.named_children()[0].range().start.index)
        before = source[start : jscode.line_start(source, last.range().start.index)].rstrip()
        computed = _indented(before, inner) + "\n" if before.strip() else ""
        computed += f"{inner}{result} = {last.named_children()[0].text()};"
    else:
        computed = f"{inner}{result} = {body.text()};"
    lines = []
    for number, line in enumerate(RUN_TIME_CHECK.replace("RESULT", result).split("\n")):
        depth = len(line) - len(line.lstrip(">"))
        lines.append(line if number == 0 else indent + unit * depth + line[depth:])
    return "\n".join(lines).replace(indent + "COMPUTED", computed)


def _convert_child(
    ctx: TransformContext, source: str, call: SgNode, child: tuple[SgNode, str, bool], style: jscode.Style
) -> str:
    callback, id_name, is_root = child
    body = callback.field("body")
    statements = [s for s in body.named_children() if s.kind() != "comment"][2:]
    kind, name = "INTERNAL", None
    rest = []
    for statement in statements:
        expression = statement.named_children()[0] if statement.kind() == "expression_statement" else None
        called = jscode.method_call(expression) if expression is not None else None
        annotation = (
            annotation_of(jscode.args_of(expression)[0])
            if called and called[1] == "recordAnnotation" and jscode.args_of(expression)
            else None
        )
        if annotation is not None and annotation[0] in STARTS:
            kind = STARTS[annotation[0]]
            if annotation[1]:
                name = annotation[1][0].text()
            continue
        if called is not None and called[0].text() == id_name and called[1] == "updateName" and name is None:
            name = jscode.args_of(expression)[0].text()
            continue
        rest.append(statement)
    span = "span" if not any(i.text() == "span" for i in body.find_all(kind="identifier")) else id_name
    unit, indent = style.indent, jscode.indent_at(source, call.range().start.index)
    ends_last = rest and re.fullmatch(rf"{re.escape(id_name)}\.end\(\);?", rest[-1].text()) is not None
    if ends_last:
        rest = rest[:-1]
    renames = [
        (*node_span(i), span)
        for s in rest
        for i in s.find_all(kind="identifier")
        if i.text() == id_name != span
    ]
    renamed = _statements_text(source, rest, renames)
    if ends_last:
        inner = (
            f"{indent}{unit}try {{\n{_indented(renamed, indent + unit * 2)}\n"
            f"{indent}{unit}}} finally {{\n{indent}{unit * 2}{span}.end();\n{indent}{unit}}}"
        )
    else:
        inner = _indented(renamed, indent + unit)
        if not re.search(rf"(?<![\w$.]){re.escape(span)}\.end\(\)", renamed):
            ctx.manual(jscode.line_of(call), RULE_IDS, NO_STOP_TODO)
            inner = f"{indent}{unit}// TODO(otmigrate): {NO_STOP_TODO}\n{inner}"
    options = []
    if is_root:
        options.append("root: true")
    if kind != "INTERNAL":
        options.append(f"kind: SpanKind.{kind}")
    if name is None:
        name = style.string("unknown")
        ctx.manual(
            jscode.line_of(call), RULE_IDS, "the zipkin span had no name (no Rpc or LocalOperationStart)"
        )
    head = f"{name}, {style.object(options)}, " if options else f"{name}, "
    prefix = "async " if callback.child(0).kind() == "async" else ""
    converted = f"{prefix}({span}) => {{\n{inner}\n{indent}}}"
    js.add_api_names(ctx, "SpanKind")
    ctx.migrated(jscode.line_of(call), RULE_IDS, f"createChildId + {kind} annotations → startActiveSpan")
    function = call.field("function")
    return jscode.apply_edits(
        source,
        [
            (*node_span(function.field("property")), "startActiveSpan"),
            (*node_span(callback), head + converted),
        ],
    )
