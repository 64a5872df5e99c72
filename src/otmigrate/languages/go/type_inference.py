"""Which `attribute` constructor fits a value: from literals, and from the declared types of locals,
parameters, constants and struct fields in the same file (a SetTag value is `interface{}`, an OTel
attribute is typed; api-mapping §1.5)."""

from __future__ import annotations

from ast_grep_py import SgNode

from otmigrate.languages.go.source_edits import call_name, named, sides

CONSTRUCTOR_OF_TYPE = {
    "string": "String",
    "int": "Int",
    "int64": "Int64",
    "float64": "Float64",
    "bool": "Bool",
    "[]string": "StringSlice",
    "[]int": "IntSlice",
    "[]int64": "Int64Slice",
    "[]float64": "Float64Slice",
    "[]bool": "BoolSlice",
}
WIDENED = {  # converted to the constructor's type, as the OTel bridge does
    "int8": ("Int64", "int64"),
    "int16": ("Int64", "int64"),
    "int32": ("Int64", "int64"),
    "uint8": ("Int64", "int64"),
    "uint16": ("Int64", "int64"),
    "uint32": ("Int64", "int64"),
    "float32": ("Float64", "float64"),
}
_STRING_RESULTS = (".BaggageItem", ".Error", ".Value", "fmt.Sprint", "fmt.Sprintf", "strconv.Itoa")
_COMPARISONS = ("==", "!=", "<", ">", "<=", ">=", "&&", "||")


def declared_types(root: SgNode) -> dict[str, str]:
    """Declared type by name: parameters, vars, consts, `:=` locals; struct fields as `.Field`."""
    types: dict[str, str] = {}
    for f in root.find_all(kind="function_declaration"):
        result = f.field("result")
        if result is not None and result.kind() != "parameter_list":
            types[f"{f.field('name').text()}()"] = result.text()  # what a call to it returns
        elif result is not None:  # (T1, T2): the i-th value of a call to it, as `f()#i`
            results = [
                r.field("type").text()
                for r in result.find_all(kind="parameter_declaration")
                for _ in range(max(1, sum(c.kind() == "identifier" for c in r.children())))
            ]
            for i, typ in enumerate(results):
                types[f"{f.field('name').text()}()#{i}"] = typ
    for p in root.find_all(kind="parameter_declaration"):
        t = p.field("type")
        for n in p.children():
            if n.kind() == "identifier" and t is not None:
                types[n.text()] = t.text()
    for f in root.find_all(kind="field_declaration"):
        t = f.field("type")
        for n in f.children():
            if n.kind() == "field_identifier" and t is not None:
                types["." + n.text()] = t.text()
    for spec in root.find_all(any=[{"kind": "const_spec"}, {"kind": "var_spec"}]):
        t, value = spec.field("type"), spec.field("value")
        typ = t.text() if t else (literal_type(named(value.children())[0], types) if value else None)
        if typ:
            for name in spec.children():
                if name.kind() == "identifier":
                    types[name.text()] = typ
    for decl in root.find_all(kind="short_var_declaration"):
        left, right = sides(decl)
        if len(left) == len(right):
            for name, value in zip(left, right, strict=True):
                typ = literal_type(value, types)
                if typ:
                    types.setdefault(name.text(), typ)
        elif len(right) == 1:  # sc, err := extractSpanContext(...)
            for i, name in enumerate(left):
                typ = types.get(f"{call_name(right[0])}()#{i}")
                if typ and name.text() != "_":
                    types.setdefault(name.text(), typ)
    for clause in root.find_all(kind="range_clause"):
        _range_types(clause, types)
    return types


def _range_types(clause: SgNode, types: dict[str, str]) -> None:
    """`for k, v := range x` over a map, slice or string of known type."""
    left = clause.field("left")
    over = type_of(clause.field("right"), types) or ""
    names = [n.text() for n in named(left.children())] if left is not None else []
    if over.startswith("map["):
        depth, end = 0, 3
        for end in range(3, len(over)):
            depth += {"[": 1, "]": -1}.get(over[end], 0)
            if depth == 0:
                break
        key, value = over[4:end], over[end + 1 :]
    elif over.startswith("[]"):
        key, value = "int", over[2:]
    elif over == "string":
        key, value = "int", "rune"
    else:
        return
    for name, typ in zip(names, (key, value), strict=False):
        if name != "_":
            types.setdefault(name, typ)


def literal_type(node: SgNode, types: dict[str, str] | None = None) -> str | None:
    """The type an expression has on its face (a literal, a conversion, a comparison, make, <-ch)."""
    kind, fn = node.kind(), call_name(node)
    if kind in ("interpreted_string_literal", "raw_string_literal"):
        return "string"
    if kind == "int_literal":
        return "int"
    if kind == "float_literal":
        return "float64"
    if kind in ("true", "false"):
        return "bool"
    if fn in ("len", "cap"):
        return "int"
    if types is not None and f"{fn}()" in types:
        return types[f"{fn}()"]
    if fn in CONSTRUCTOR_OF_TYPE or fn in WIDENED:
        return fn
    if fn == "make":
        return named(node.field("arguments").children())[0].text()
    if fn.endswith(_STRING_RESULTS):
        return "string"
    if fn.endswith((".Context", ".SpanContext")) and types is not None:  # span.Context() → its SpanContext
        receiver = type_of(node.field("function").field("operand"), types) or ""
        return receiver.removesuffix("Span") + "SpanContext" if receiver.endswith(".Span") else None
    if kind == "composite_literal":
        return node.field("type").text()
    if kind == "binary_expression" and node.field("operator").text() in _COMPARISONS:
        return "bool"
    if kind == "binary_expression":
        left = type_of(node.field("left"), types or {})
        return left if left in ("string", "int", "float64") else None
    if kind == "unary_expression" and node.field("operator").text() == "<-" and types is not None:
        channel = type_of(node.field("operand"), types) or ""
        return channel.removeprefix("chan ").strip() if channel.startswith("chan ") else None
    return None


def type_of(node: SgNode, types: dict[str, str]) -> str | None:
    typ = literal_type(node, types)
    if typ:
        return typ
    if node.kind() == "identifier":
        return types.get(node.text())
    if node.kind() == "selector_expression":
        return types.get("." + node.field("field").text())
    if node.kind() == "parenthesized_expression":
        return type_of(named(node.children())[0], types)
    return None


def attribute(key: str, value: SgNode, types: dict[str, str], text: str | None = None) -> str | None:
    """`attribute.<Type>(key, value)` for a value of known type; None when the type is not known.
    `text` is the value as written after the rewrites inside it, when there are some."""
    typ, text = type_of(value, types), text or value.text()
    if typ in CONSTRUCTOR_OF_TYPE:
        return f"attribute.{CONSTRUCTOR_OF_TYPE[typ]}({key}, {text})"
    if typ in WIDENED:
        constructor, conversion = WIDENED[typ]
        return f"attribute.{constructor}({key}, {conversion}({text}))"
    return None
