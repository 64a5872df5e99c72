"""What every JavaScript transform needs to know about a file's text: its style, and how to edit it.

Transforms emit text (object literals, statements), so they follow the file's own quotes, brace
spacing and indentation; and they edit by (start, end, text) replacements, applied earliest first with
overlapping ones dropped (the engine's next pass sees the result and tries again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ast_grep_py import SgNode, SgRoot

Edit = tuple[int, int, str]


@dataclass(frozen=True)
class Style:
    quote: str  # ' or "
    spaced: bool  # `{ a: 1 }` rather than `{a: 1}`
    indent: str  # one indentation level
    semicolons: bool = True  # statements end with `;` (most statements of the file do)

    def string(self, value: str) -> str:
        """A string literal of `value` (escaped: a configured name may hold anything)."""
        escaped = value.replace("\\", "\\\\").replace(self.quote, "\\" + self.quote).replace("\n", "\\n")
        return f"{self.quote}{escaped}{self.quote}"

    def object(self, pairs: list[str]) -> str:
        """A one-line object literal."""
        if not pairs:
            return "{}"
        pad = " " if self.spaced else ""
        return "{" + pad + ", ".join(pairs) + pad + "}"


def parse(source: str, grammar: str = "javascript") -> SgNode:
    """The tree of `source` in `grammar` (the file's, `ctx.language.grep_language`: TypeScript's differs)."""
    return SgRoot(source, grammar).root()


def style_of(root: SgNode) -> Style:
    """The quote, brace spacing and indentation most of the file uses (prettier's defaults on a tie)."""
    source = root.text()
    singles = len(re.findall(r"'[^'\n]*'", source))
    doubles = len(re.findall(r'"[^"\n]*"', source))
    spaced = tight = 0
    for node in root.find_all(kind="object"):
        text = node.text()
        if "\n" in text or len(text) < 3:
            continue
        if text[1] == " ":
            spaced += 1
        else:
            tight += 1
    indents = re.findall(r"^( +|\t)\S", source, re.M)
    unit = min(indents, key=len) if indents else "  "
    return Style("'" if singles >= doubles else '"', spaced >= tight, unit, _ends_with_semicolons(root))


def _ends_with_semicolons(root: SgNode) -> bool:
    """Whether most statements of the file end with `;` (a `semi: never` codebase gets none from us)."""
    ended = bare = 0
    for kind in ("expression_statement", "lexical_declaration", "variable_declaration", "import_statement"):
        for node in root.find_all(kind=kind):
            if node.text().endswith(";"):
                ended += 1
            elif not node.text().endswith("}"):
                bare += 1
    return ended >= bare


def apply_edits(source: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits; of two overlapping ones the earlier (then the outer) wins. An
    insertion where a replacement starts (a TODO line above a rewritten statement) goes first."""
    out, last = [], 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1] != e[0], -e[1])):
        if start < last:
            continue
        out += [source[last:start], text]
        last = end
    out.append(source[last:])
    return "".join(out)


def line_of(node: SgNode) -> int:
    return node.range().start.line + 1


def line_start(source: str, index: int) -> int:
    return source.rfind("\n", 0, index) + 1


def indent_at(source: str, index: int) -> str:
    """The indentation of the line holding `index`."""
    start = line_start(source, index)
    return re.match(r"[ \t]*", source[start:]).group(0)  # type: ignore[union-attr]


def args_of(call: SgNode) -> list[SgNode]:
    """A call's arguments, comments left out."""
    arguments = call.field("arguments")
    if arguments is None:
        return []
    return [a for a in arguments.named_children() if a.kind() != "comment"]


def method_call(node: SgNode) -> tuple[SgNode, str] | None:
    """(receiver, method) of `receiver.method(...)`."""
    if node.kind() != "call_expression":
        return None
    function = node.field("function")
    if function is None or function.kind() != "member_expression":
        return None
    receiver, prop = function.field("object"), function.field("property")
    if receiver is None or prop is None:
        return None
    return receiver, prop.text()


def string_value(node: SgNode | None) -> str | None:
    """The value of a plain string literal (no escapes, no substitutions)."""
    if node is None or node.kind() != "string":
        return None
    text = node.text()
    return None if "\\" in text else text[1:-1]


def statement_of(node: SgNode) -> SgNode:
    """The statement that holds `node` directly in a block or the program."""
    while (parent := node.parent()) is not None and parent.kind() not in ("statement_block", "program"):
        node = parent
    return node


def enclosing_scope(node: SgNode) -> SgNode:
    """The body of the innermost function holding `node`, or the program."""
    for ancestor in node.ancestors():
        if ancestor.kind() in (
            "function_declaration",
            "function_expression",
            "arrow_function",
            "method_definition",
        ):
            body = ancestor.field("body")
            if body is not None:
                return body
        if ancestor.kind() == "program":
            return ancestor
    return node.get_root().root()


def _comments_above(source: str, node: SgNode) -> list[str]:
    """The `//` comment lines right above the statement holding `node`, stripped."""
    above = line_start(source, statement_of(node).range().start.index)
    found = []
    while above > 0:
        previous = line_start(source, above - 1)
        if not source[previous:above].lstrip().startswith("//"):
            break
        found.append(source[previous:above].strip())
        above = previous
    return found


def has_todo(source: str, node: SgNode) -> bool:
    """Whether the statement holding `node` already carries a TODO(otmigrate) comment."""
    return any(line.startswith("// TODO(otmigrate):") for line in _comments_above(source, node))


def todo_edit(source: str, node: SgNode, reason: str) -> Edit | None:
    """`// TODO(otmigrate): reason` above the statement holding `node`, unless it is there already."""
    start = statement_of(node).range().start.index
    comment = f"// TODO(otmigrate): {reason}"
    if comment in _comments_above(source, node):
        return None
    begin = line_start(source, start)
    return begin, begin, f"{indent_at(source, start)}{comment}\n"
