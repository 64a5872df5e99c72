"""Small, language-neutral helpers over ast-grep nodes (tree-sitter grammars for Python, Go, JavaScript)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ast_grep_py import SgNode

CALL = {"python": "call", "go": "call_expression", "javascript": "call_expression"}
MEMBER = {"python": "attribute", "go": "selector_expression", "javascript": "member_expression"}
FUNCTIONS = {
    "python": {"function_definition", "lambda"},
    "go": {"function_declaration", "method_declaration", "func_literal"},
    "javascript": {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
    },
}
LOOPS = {
    "python": {
        "for_statement",
        "while_statement",
        "list_comprehension",
        "set_comprehension",
        "dictionary_comprehension",
        "generator_expression",
    },
    "go": {"for_statement"},
    "javascript": {"for_statement", "for_in_statement", "while_statement", "do_statement"},
}
STRING_KINDS = {"string", "interpreted_string_literal", "raw_string_literal", "template_string"}


def named(node: SgNode) -> list[SgNode]:
    return [c for c in node.children() if c.is_named() and c.kind() != "comment"]


def line_of(node: SgNode) -> int:
    return node.range().start.line + 1


def callee(call: SgNode) -> SgNode | None:
    return call.field("function")


def call_name(call: SgNode) -> tuple[SgNode | None, str]:
    """(receiver, method or function name) of a call: `a.b.c(x)` -> (`a.b`, "c"), `f(x)` -> (None, "f")."""
    fn = call.field("function")
    if fn is None:
        return None, ""
    kind = fn.kind()
    if kind in ("attribute", "member_expression", "selector_expression"):
        obj = fn.field("object") or fn.field("operand")
        prop = fn.field("attribute") or fn.field("property") or fn.field("field")
        return obj, prop.text() if prop is not None else ""
    if kind in ("identifier",):
        return None, fn.text()
    return None, ""


def call_args(call: SgNode) -> list[SgNode]:
    """Positional arguments (Python keyword arguments excluded)."""
    args = call.field("arguments")
    if args is None:
        return []
    return [a for a in named(args) if a.kind() not in ("keyword_argument", "list_splat", "dictionary_splat")]


def kwarg(call: SgNode, name: str) -> SgNode | None:
    """The value of a Python keyword argument, or of a key in a JS options object argument."""
    args = call.field("arguments")
    if args is None:
        return None
    for a in named(args):
        if a.kind() == "keyword_argument" and a.field("name") and a.field("name").text() == name:
            return a.field("value")
        if a.kind() == "object":
            for pair in named(a):
                key = pair.field("key")
                if pair.kind() == "pair" and key is not None and string_or_name(key) == name:
                    return pair.field("value")
    return None


def string_or_name(node: SgNode) -> str:
    value = string_value(node)
    return value if value is not None else node.text()


def string_value(node: SgNode | None) -> str | None:
    """The value of a plain string literal (no interpolation), else None."""
    if node is None or node.kind() not in STRING_KINDS:
        return None
    parts = named(node)
    if any(p.kind() in ("interpolation", "template_substitution") for p in parts):
        return None
    text = node.text()
    if node.kind() == "string" and text[:1].lower() in "fbru" and not text.startswith(("'", '"')):
        prefix = re.match(r"[A-Za-z]*", text).group(0)
        if "f" in prefix.lower():
            return None
        text = text[len(prefix) :]
    for quote in ('"""', "'''", '"', "'", "`"):
        if text.startswith(quote) and text.endswith(quote) and len(text) >= 2 * len(quote):
            return text[len(quote) : -len(quote)]
    return None


def dynamic_string(node: SgNode, language: str) -> tuple[str, list[SgNode]] | None:
    """If `node` builds a string at run time, return (its static prefix, the interpolated expressions).

    Covers f-strings, template literals, `+` concatenation, `.format`, `%` and `fmt.Sprintf`.
    """
    kind = node.kind()
    if kind in ("string", "template_string"):
        parts = named(node)
        subs = [p for p in parts if p.kind() in ("interpolation", "template_substitution")]
        if not subs:
            return None
        prefix = ""
        for p in parts:
            if p.kind() in ("interpolation", "template_substitution"):
                break
            if p.kind() in ("string_content", "string_fragment"):
                prefix += p.text()
        exprs = [named(s)[0] for s in subs if named(s)]
        return prefix, exprs
    if kind in ("binary_expression", "binary_operator") and node.field("operator") is not None:
        op = node.field("operator").text()
        left, right = node.field("left"), node.field("right")
        if op == "+" and left is not None and right is not None:
            if (
                string_value(left) is None
                and string_value(right) is None
                and not (dynamic_string(left, language) or dynamic_string(right, language))
            ):
                return None
            left_dyn = dynamic_string(left, language)
            prefix = string_value(left) or (left_dyn[0] if left_dyn else "")
            exprs = [
                e
                for side in (left, right)
                if string_value(side) is None
                for e in (dynamic_string(side, language) or ("", [side]))[1]
            ]
            return prefix, exprs
        if op == "%" and left is not None and string_value(left) is not None:
            return string_value(left).split("%", 1)[0], [right]
    if kind in ("call", "call_expression"):
        recv, name = call_name(node)
        args = call_args(node)
        if name == "format" and recv is not None and string_value(recv) is not None:
            return string_value(recv).split("{", 1)[0], args
        if name == "Sprintf" and recv is not None and recv.text() == "fmt" and args:
            fmt = string_value(args[0])
            if fmt is not None and len(args) > 1:
                return fmt.split("%", 1)[0], args[1:]
    return None


def enclosing_function(node: SgNode, language: str) -> SgNode | None:
    kinds = FUNCTIONS[language]
    for anc in node.ancestors():
        if anc.kind() in kinds:
            return anc
    return None


def function_body(fn: SgNode) -> SgNode | None:
    return fn.field("body")


def identifiers(node: SgNode, name: str) -> Iterator[SgNode]:
    """Every identifier node spelled `name` under `node` (including `node`)."""
    if node.kind() == "identifier" and node.text() == name:
        yield node
    yield from node.find_all(kind="identifier", regex=f"^{re.escape(name)}$")


def words(identifier_text: str) -> list[str]:
    """Split `userEmail`, `user_email`, `r.URL.Path` into lower-case words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", identifier_text)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]
