"""The file's own style for the code a rewrite writes: its quote character.

Generated code is written with double quotes; in a file whose strings are mostly single-quoted, the
string literals on the lines a rewrite changed get single quotes (where that needs no new escape), so the
diff looks like the project wrote it. Lines the rewrite did not touch are never restyled.
"""

from __future__ import annotations

import difflib

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider


def prefers_single_quotes(source: str) -> bool:
    """Most plain string literals of `source` are single-quoted (docstrings and f-strings aside)."""
    single = double = 0
    for node in _strings(cst.parse_module(source)):
        if node.value.startswith(("'''", '"""')):
            continue
        quote = node.value.lstrip("rRbBuU")[:1]
        single += quote == "'"
        double += quote == '"'
    return single > double


def in_file_quotes(before: str, after: str) -> str:
    """`after` with the double-quoted literals on its changed lines single-quoted, when `before` prefers
    single quotes; otherwise `after` unchanged."""
    if before == after or not prefers_single_quotes(before):
        return after
    changed = _changed_lines(before, after)
    wrapper = MetadataWrapper(cst.parse_module(after), unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    targets = {
        id(node)
        for node in _strings(wrapper.module)
        if positions[node].start.line in changed and _can_single_quote(node.value)
    }
    if not targets:
        return after

    class Requote(cst.CSTTransformer):
        def leave_SimpleString(
            self, original: cst.SimpleString, updated: cst.SimpleString
        ) -> cst.SimpleString:
            if id(original) not in targets:
                return updated
            prefix = original.value[: len(original.value) - len(original.value.lstrip("rRbBuU"))]
            body = original.value[len(prefix) + 1 : -1]
            return updated.with_changes(value=f"{prefix}'{body}'")

    return wrapper.module.visit(Requote()).code


def _can_single_quote(value: str) -> bool:
    body = value.lstrip("rRbBuU")
    return body.startswith('"') and not body.startswith('"""') and "'" not in body and "\\" not in body


def _changed_lines(before: str, after: str) -> set[int]:
    lines: set[int] = set()
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            lines.update(range(j1 + 1, j2 + 1))
    return lines


def _strings(module: cst.Module) -> list[cst.SimpleString]:
    found: list[cst.SimpleString] = []

    class Strings(cst.CSTVisitor):
        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            found.append(node)

    module.visit(Strings())
    return found
