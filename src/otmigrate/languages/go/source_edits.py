"""Text edits over ast-grep nodes, for Go transforms that rewrite statements a fix template cannot.

A pass collects edits against one source and applies the ones that do not overlap (earliest start first,
then the outer one); what is skipped is seen again by the engine's next pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ast_grep_py import SgNode

FUNCTION_KINDS = ("function_declaration", "method_declaration", "func_literal")


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def shifted(edit: Edit, by: int) -> Edit:
    return Edit(edit.start + by, edit.end + by, edit.text)


def named(nodes: list[SgNode]) -> list[SgNode]:
    return [n for n in nodes if n.is_named()]


def line_of(node: SgNode) -> int:
    return node.range().start.line + 1


def indent_of(source: str, node: SgNode) -> str:
    start = node.range().start.index
    line_start = source.rfind("\n", 0, start) + 1
    return re.match(r"[ \t]*", source[line_start:]).group(0)  # type: ignore[union-attr]


def arguments(call: SgNode) -> list[SgNode]:
    args = call.field("arguments")
    return named(args.children()) if args is not None else []


def call_name(node: SgNode | None) -> str:
    """`pkg.F` for a call `pkg.F(...)`, "" for anything that is not a call."""
    if node is None or node.kind() != "call_expression":
        return ""
    return node.field("function").text()


def sides(stmt: SgNode) -> tuple[list[SgNode], list[SgNode]]:
    """The left and right expressions of a `:=` / `=` statement."""
    left, right = stmt.field("left"), stmt.field("right")
    return (named(left.children()) if left else [], named(right.children()) if right else [])


def enclosing_function(node: SgNode) -> SgNode | None:
    return next((a for a in node.ancestors() if a.kind() in FUNCTION_KINDS), None)


def enclosing_statement(node: SgNode) -> SgNode:
    """The statement of a statement list that holds `node`."""
    current = node
    for parent in node.ancestors():
        if parent.kind() == "statement_list":
            return current
        current = parent
    return node


def in_function_body(node: SgNode, function: SgNode) -> bool:
    """Whether `node` belongs to `function` itself, not to a function literal nested in it."""
    return enclosing_function(node) == function


def call_arguments(call: SgNode, source: str, args: list[str]) -> str:
    """`(a, b)`, laid out one argument a line when the original call was."""
    original = call.field("arguments")
    if "\n" not in original.text() or not args:
        return f"({', '.join(args)})"
    inner = indent_of(source, named(original.children())[0]) if named(original.children()) else ""
    outer = indent_of(source, original.children()[-1])
    return "(\n" + "".join(f"{inner}{a},\n" for a in args) + outer + ")"


def removal(source: str, stmt: SgNode) -> Edit:
    """Delete a whole statement with its line."""
    r = stmt.range()
    line_start = source.rfind("\n", 0, r.start.index) + 1
    end = source.find("\n", r.end.index)
    return Edit(line_start, len(source) if end < 0 else end + 1, "")


def apply_edits(source: str, edits: list[Edit]) -> str | None:
    """The source with the non-overlapping edits applied; None when nothing changed. At one position an
    insertion goes first, then the outermost replacement, so both apply in one pass."""
    out, last = [], 0
    for e in sorted(edits, key=lambda e: (e.start, e.end != e.start, -e.end)):
        if e.start < last:
            continue
        out += [source[last : e.start], e.text]
        last = e.end
    new = "".join([*out, source[last:]])
    return new if new != source else None
