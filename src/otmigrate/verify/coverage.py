"""Whether a `TODO(otmigrate)` of ours covers a checker's problem.

It does when the TODO is on the problem's line, in the comment lines right above it, or in the comment
lines right above the statement holding that line (a TODO is written above the statement it is about,
and the compiler may point anywhere inside it).
"""

from __future__ import annotations

from pathlib import Path

from ast_grep_py import SgNode, SgRoot

from otmigrate.languages import language_for

TODO_MARK = "TODO(otmigrate)"
# Nodes whose children are statements, in the python, go, javascript and typescript grammars.
_STATEMENT_PARENTS = frozenset(
    {
        "module",
        "block",
        "source_file",
        "program",
        "statement_block",
        "statement_list",
        "class_body",
        "switch_case",
        "switch_default",
        "expression_case",
        "type_case",
        "communication_case",
        "default_case",
    }
)
_COMMENT_STARTS = ("#", "//", "/*", "*")
_GRAMMARS = {".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}


def todo_covers(text: str, line: int, path: str) -> bool:
    """`line` is 1-based in `text`, the file at `path` (its extension picks the grammar)."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return False
    if TODO_MARK in lines[line - 1] or _todo_above(lines, line):
        return True
    grammar = _grammar(path)
    if grammar is None or TODO_MARK not in text:
        return False
    return _todo_above(lines, statement_start(text, grammar, line))


def _grammar(path: str) -> str | None:
    suffix = Path(path).suffix
    if suffix in _GRAMMARS:
        return _GRAMMARS[suffix]
    language = language_for(path)
    return language.grep_language if language is not None else None


def _todo_above(lines: list[str], line: int) -> bool:
    """A TODO of ours in the run of comment lines right above 1-based `line`."""
    index = line - 2
    while index >= 0 and lines[index].strip().startswith(_COMMENT_STARTS):
        if TODO_MARK in lines[index]:
            return True
        index -= 1
    return False


def statement_start(text: str, grammar: str, line: int) -> int:
    """The first line (1-based) of the innermost statement holding 1-based `line`; `line` if none."""
    target = line - 1
    start = line
    node: SgNode = SgRoot(text, grammar).root()
    while True:
        inner = next(
            (c for c in node.children() if c.range().start.line <= target <= c.range().end.line), None
        )
        if inner is None:
            return start
        if node.kind() in _STATEMENT_PARENTS:
            start = inner.range().start.line + 1
        node = inner
