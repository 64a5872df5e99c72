"""Every span ends: `try { … } finally { span.end(); }` where the end is not guaranteed, and
`.finally(() => span.end())` on a promise chain whose callbacks end the span.

OpenTracing code often ends a span on the straight path only (`work(); span.finish();`); a throw (or a
rejected promise) then loses the span. OpenTelemetry does not change that, but the migration is the
moment to fix it (DESIGN: "so every span ends"). A block whose statements between start and end are
only calls on the span itself is left alone: the OTel span API does not throw.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ast_grep_py import SgNode

from otmigrate.languages.javascript.jscode import args_of, indent_at, line_of, line_start, method_call

if TYPE_CHECKING:
    from otmigrate.languages.javascript.opentracing_calls import Step

RULE = "js-opentracing-span-lifecycle"
_END_METHODS = ("end", "finish")
_FUNCTIONS = ("arrow_function", "function_expression")


def end_spans_safely(step: Step) -> None:
    """One round: the spans declared last (the innermost of nested ones) first; a span whose wrap would
    hold another span's edit waits for the next round, which sees that edit applied."""
    declarations = step.root.find_all(kind="lexical_declaration") + step.root.find_all(
        kind="variable_declaration"
    )
    for declaration in sorted(declarations, key=lambda d: d.range().start.index, reverse=True):
        _guard(step, declaration)


def _started_span(declaration: SgNode) -> str | None:
    """The name a `const span = x.startSpan(...)` declaration binds."""
    declarators = [d for d in declaration.named_children() if d.kind() == "variable_declarator"]
    if len(declarators) != 1:
        return None
    name, value = declarators[0].field("name"), declarators[0].field("value")
    if name is None or value is None or name.kind() != "identifier":
        return None
    found = method_call(value)
    return name.text() if found is not None and found[1] == "startSpan" else None


def _is_end(node: SgNode, span: str, *, timed: bool = True) -> bool:
    """`span.end(...)` / `span.finish(...)` as a statement (with no end time unless `timed`)."""
    if node.kind() != "expression_statement":
        return False
    call = node.named_children()[0] if node.named_children() else None
    found = method_call(call) if call is not None else None
    if found is None or found[0].text() != span or found[1] not in _END_METHODS:
        return False
    return timed or not args_of(call)  # type: ignore[arg-type]


def _span_only(statement: SgNode, span: str) -> bool:
    """A statement that only calls the span's own methods (which never throw)."""
    if statement.kind() != "expression_statement" or statement.find(kind="await_expression") is not None:
        return False
    calls = statement.find_all(kind="call_expression")
    return bool(calls) and all(_receiver_root(call) == span for call in calls)


def _receiver_root(call: SgNode) -> str | None:
    found = method_call(call)
    while found is not None and found[0].kind() == "call_expression":
        found = method_call(found[0])
    return found[0].text() if found is not None else None


def _ends_inside(statements: list[SgNode], span: str) -> bool:
    for statement in statements:
        for call in statement.find_all(kind="call_expression"):
            found = method_call(call)
            if found is not None and found[0].text() == span and found[1] in _END_METHODS:
                return True
    return False


def _guard(step: Step, declaration: SgNode) -> None:
    span = _started_span(declaration)
    block = declaration.parent()
    if span is None or block is None or block.kind() not in ("statement_block", "program"):
        return
    following = [s for s in declaration.next_all() if s.is_named() and s.kind() != "comment"]
    end = next((i for i, s in enumerate(following) if _is_end(s, span)), None)
    if end is None:
        _chain(step, span, following)
        return
    between = following[:end]
    if not between or all(_span_only(s, span) for s in between):
        return
    if between[0].range().start.line == declaration.range().end.line or _ends_inside(between, span):
        step.todo(following[end], RULE, f"{span} is not ended when the code before this line throws")
        return
    start = line_start(step.source, between[0].range().start.index)
    stop = following[end].range().end.index
    if any(start <= edit[0] < stop for edit in step.edits):
        return  # a span inside is wrapped (or ended in .finally) this round: this one goes next round
    _wrap(step, declaration, span, between, following[end], following[end + 1 :])


def _wrap(
    step: Step, declaration: SgNode, span: str, body: list[SgNode], end: SgNode, after: list[SgNode]
) -> None:
    source, unit = step.source, step.style.indent
    indent = indent_at(source, declaration.range().start.index)
    start = line_start(source, body[0].range().start.index)
    hoisted, body_text = _hoist(step, body, after, start, end.range().start.index)
    lines = _indent_lines(step.root, body_text, start, unit)
    end_text = re.sub(r"\.finish\(", ".end(", end.text(), count=1)
    text = f"{hoisted}{indent}try {{\n{lines}\n{indent}}} finally {{\n{indent}{unit}{end_text}\n{indent}}}"
    message = f"{span} ends in a finally block: it is ended when the code before its end throws"
    step.edit((start, end.range().end.index, text), line_of(end), RULE, message)


def _hoist(step: Step, body: list[SgNode], after: list[SgNode], start: int, stop: int) -> tuple[str, str]:
    """`let x;` above the try for const/let names the code after the end still uses; the body's text."""
    used_after = {i.text() for s in after for i in s.find_all(kind="identifier")}
    edits = []
    names: list[str] = []
    for statement in body:
        if statement.kind() != "lexical_declaration":
            continue
        declared = [d.field("name") for d in statement.named_children() if d.kind() == "variable_declarator"]
        if not any(n is not None and used_after & {i.text() for i in _bound(n)} for n in declared):
            continue
        assignments = []
        for declarator in (d for d in statement.named_children() if d.kind() == "variable_declarator"):
            name, value = declarator.field("name"), declarator.field("value")
            names += [i.text() for i in _bound(name)]
            if value is not None:
                target = f"({name.text()}" if name.kind() != "identifier" else name.text()
                close = ")" if name.kind() != "identifier" else ""
                assignments.append(f"{target} = {value.text()}{close}")
        r = statement.range()
        replacement = ", ".join(assignments) + ";" if assignments else ""
        edits.append((r.start.index - start, r.end.index - start, replacement))
    text = step.source[start:stop].rstrip()
    for begin, finish, replacement in sorted(edits, reverse=True):
        text = text[:begin] + replacement + text[finish:]
    if not names:
        return "", text
    indent = indent_at(step.source, start)
    return f"{indent}let {', '.join(names)};\n", text


def _bound(pattern: SgNode | None) -> list[SgNode]:
    if pattern is None:
        return []
    if pattern.kind() == "identifier":
        return [pattern]
    names = [
        n for n in pattern.find_all(kind="identifier") if n.parent() and n.parent().kind() != "pair_pattern"
    ]
    return names + pattern.find_all(kind="shorthand_property_identifier_pattern")


def _indent_lines(root: SgNode, text: str, start: int, unit: str) -> str:
    """`text` (which starts at `start` in the file) one level deeper, template literal lines untouched."""
    templates = [t.range() for t in root.find_all(kind="template_string") if "\n" in t.text()]
    inside = [(r.start.index, r.end.index) for r in templates]
    out, offset = [], start
    for line in text.split("\n"):
        in_template = any(a < offset <= b for a, b in inside)
        out.append(line if not line.strip() or in_template else unit + line)
        offset += len(line) + 1
    return "\n".join(out)


def _chain(step: Step, span: str, following: list[SgNode]) -> None:
    """`return work().then(v => { …; span.end(); return v; })` → the end moves to `.finally`."""
    for statement in following:
        chain = _promise_chain(statement)
        if chain is None:
            continue
        callbacks = [a for call in _links(chain) for a in args_of(call) if a.kind() in _FUNCTIONS]
        ends = [s for cb in callbacks for s in _body_statements(cb) if _is_end(s, span, timed=False)]
        if not ends or _ends_outside(statement, span, ends):
            return
        for end in ends:
            r = end.range()
            begin = line_start(step.source, r.start.index)
            stop = r.end.index + 1 if step.source[r.end.index : r.end.index + 1] == "\n" else r.end.index
            step.edits.append((begin, stop, ""))
        finish = chain.range().end.index
        message = f"{span} ends in .finally(): it is ended when the promise rejects too"
        step.edit((finish, finish, f".finally(() => {span}.end())"), line_of(chain), RULE, message)
        return


def _promise_chain(statement: SgNode) -> SgNode | None:
    """The `x.then(…)[.catch(…)]` chain a return / expression statement consists of."""
    if statement.kind() not in ("return_statement", "expression_statement"):
        return None
    expression = statement.named_children()[0] if statement.named_children() else None
    while expression is not None and expression.kind() == "await_expression":
        expression = expression.named_children()[0]
    found = method_call(expression) if expression is not None else None
    if found is None or found[1] not in ("then", "catch"):
        return None
    return expression


def _links(chain: SgNode) -> list[SgNode]:
    """The .then / .catch calls of a chain, outermost first."""
    calls = []
    found = method_call(chain)
    while found is not None and found[1] in ("then", "catch"):
        calls.append(chain)
        chain = found[0]
        found = method_call(chain)
    return calls


def _body_statements(callback: SgNode) -> list[SgNode]:
    body = callback.field("body")
    if body is None or body.kind() != "statement_block":
        return []
    return [s for s in body.named_children() if s.kind() != "comment"]


def _ends_outside(statement: SgNode, span: str, ends: list[SgNode]) -> bool:
    """Whether the chain ends the span anywhere but in the given top-level callback statements."""
    for call in statement.find_all(kind="call_expression"):
        found = method_call(call)
        ends_span = found is not None and found[0].text() == span and found[1] in _END_METHODS
        if ends_span and not any(call.parent() == end for end in ends):
            return True
    return False
