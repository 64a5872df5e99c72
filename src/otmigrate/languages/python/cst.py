"""libcst helpers shared by the Python transforms: alias resolution, code snippets, TODO comments."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst

TODO_PREFIX = "# TODO(otmigrate): "
LEGACY_ROOTS = ("opentracing", "jaeger_client", "py_zipkin")


def import_aliases(module: cst.Module) -> dict[str, str]:
    """Local name -> qualified name for the module's top-level legacy imports (`ot` -> `opentracing`)."""
    aliases: dict[str, str] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    name = dotted(alias.name)
                    if name.split(".")[0] not in LEGACY_ROOTS:
                        continue
                    if alias.asname is not None:
                        aliases[alias.asname.name.value] = name  # type: ignore[union-attr]
                    else:
                        root = name.split(".")[0]
                        aliases[root] = root
            elif isinstance(small, cst.ImportFrom) and small.module is not None and small.relative == ():
                base = dotted(small.module)
                if base.split(".")[0] not in LEGACY_ROOTS or isinstance(small.names, cst.ImportStar):
                    continue
                for alias in small.names:
                    local = alias.asname.name.value if alias.asname else dotted(alias.name)  # type: ignore[union-attr]
                    aliases[local] = f"{base}.{dotted(alias.name)}"
    return aliases


def dotted(node: cst.BaseExpression) -> str:
    """`a.b.c` for a Name/Attribute chain, else ''."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def qualified(node: cst.BaseExpression, aliases: dict[str, str]) -> str:
    """The qualified name a Name/Attribute chain refers to through the file's imports, or ''."""
    name = dotted(node)
    if not name:
        return ""
    head, _, rest = name.partition(".")
    if head not in aliases:
        return ""
    return aliases[head] + (f".{rest}" if rest else "")


def code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def expr(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


def stmt(text: str) -> cst.BaseStatement:
    return cst.parse_statement(text)


def nanoseconds(node: cst.BaseExpression) -> str:
    """Seconds (OpenTracing / py_zipkin) to OTel's integer nanoseconds, as code."""
    text = code(node)
    if text.startswith("int(") and text.endswith(" * 1e9)"):
        return text  # already converted (passes repeat until nothing changes)
    atomic = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)
    return f"int({text} * 1e9)" if isinstance(node, atomic) else f"int(({text}) * 1e9)"


def with_todo(node: cst.BaseStatement, reason: str) -> cst.BaseStatement:
    """Put `# TODO(otmigrate): reason` above a statement, once."""
    text = TODO_PREFIX + one_line(reason)
    lines = list(node.leading_lines)
    if any(line.comment is not None and line.comment.value == text for line in lines):
        return node
    lines.append(cst.EmptyLine(comment=cst.Comment(text)))
    return node.with_changes(leading_lines=lines)


def one_line(text: str) -> str:
    """A reason quoting a multi-line snippet, on one line: a comment (and a report line) cannot span lines."""
    return " ".join(part.strip() for part in text.splitlines()).replace("( ", "(").replace(", )", ")")


def with_reported_todos(
    node: cst.BaseStatement, todos: Iterable[tuple[str, int]], report: Callable[[str, int, str], None]
) -> cst.BaseStatement:
    """`node` with a TODO above it for each (reason, line); a TODO is reported as manual only when it is
    written, not when an earlier pass already left it there."""
    for reason, line in todos:
        marked = with_todo(node, reason)
        if marked is not node:
            report("manual", line, one_line(reason))
        node = marked
    return node


def names_used(node: cst.CSTNode) -> set[str]:
    """Every variable name that occurs in `node` (attribute and keyword names aside)."""
    found: set[str] = set()

    class Collect(cst.CSTVisitor):
        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

        def visit_Name(self, n: cst.Name) -> None:
            found.add(n.value)

    node.visit(Collect())
    return found


def has_exit(nodes: list[cst.BaseStatement]) -> bool:
    """Whether control can leave these statements early (return/raise/break/continue), nested defs aside."""
    found = False

    class Find(cst.CSTVisitor):
        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

        def visit_Lambda(self, n: cst.Lambda) -> bool:
            return False

        def visit_Return(self, n: cst.Return) -> None:
            nonlocal found
            found = True

        def visit_Raise(self, n: cst.Raise) -> None:
            nonlocal found
            found = True

        def visit_Break(self, n: cst.Break) -> None:
            nonlocal found
            found = True

        def visit_Continue(self, n: cst.Continue) -> None:
            nonlocal found
            found = True

    for n in nodes:
        n.visit(Find())
    return found


def kwarg(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def arg_at(call: cst.Call, index: int, name: str) -> cst.Arg | None:
    """The argument given by keyword `name`, or at position `index`."""
    found = kwarg(call, name)
    if found is not None:
        return found
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[index] if index < len(positional) else None


def literal(node: cst.BaseExpression) -> object:
    """The value of a simple literal (str, int, float, True/False/None), or a sentinel."""
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.Integer | cst.Float):
        return node.evaluated_value
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    return NOT_LITERAL


NOT_LITERAL = object()
