"""Which tracing packages a JavaScript file imports (ES `import` or `require`), and under which names."""

from __future__ import annotations

from ast_grep_py import SgNode

from otmigrate.languages import Binding

CANONICAL = {
    "opentracing": "opentracing",
    "jaeger": "jaeger-client",
    "zipkin": "zipkin",
    "zipkinContextCls": "zipkin-context-cls",
    "zipkinTransportHttp": "zipkin-transport-http",
    "zipkinExpress": "zipkin-instrumentation-express",
    "zipkinFetch": "zipkin-instrumentation-fetch",
    "zipkinAxios": "zipkin-instrumentation-axiosjs",
}
"""The identifier rule patterns use for each package (`jaeger.initTracer(...)` means jaeger-client)."""

_CANONICAL_OF_MODULE = {module: name for name, module in CANONICAL.items()}


def library_of(module: str) -> str | None:
    if module == "opentracing" or module.startswith("opentracing/"):
        return "opentracing"
    if module == "jaeger-client" or module.startswith("jaeger-client/"):
        return "jaeger"
    if module == "zipkin" or module.startswith(("zipkin/", "zipkin-")):
        return "zipkin"
    if module.startswith("@opencensus/"):
        return "opencensus"
    if module.startswith("@opentelemetry/"):
        return "opentelemetry"
    return None


def canonical_name(module: str) -> str:
    return _CANONICAL_OF_MODULE.get(module, module)


def find_bindings(root: SgNode) -> list[Binding]:
    bindings: list[Binding] = []
    for node in root.find_all(kind="import_statement"):
        source = node.field("source")
        module = _string_value(source)
        required = next((c for c in node.children() if c.kind() == "import_require_clause"), None)
        if required is not None:  # TypeScript's `import x = require("m")`
            module = _string_value(next((c for c in required.children() if c.kind() == "string"), None))
        library = library_of(module) if module else None
        if library is None:
            continue
        if required is not None:
            name = next((c for c in required.children() if c.kind() == "identifier"), None)
            if name is not None:
                _add(bindings, library, module, None, name)
            continue
        for clause in (c for c in node.children() if c.kind() == "import_clause"):
            for part in clause.children():
                if part.kind() == "identifier":  # default import
                    _add(bindings, library, module, None, part)
                elif part.kind() == "namespace_import":
                    names = [c for c in part.children() if c.kind() == "identifier"]
                    if names:
                        _add(bindings, library, module, None, names[0])
                elif part.kind() == "named_imports":
                    for spec in part.find_all(kind="import_specifier"):
                        name, alias = spec.field("name"), spec.field("alias")
                        if name is not None:
                            _add(bindings, library, module, name.text(), alias or name)
    for call in root.find_all(kind="call_expression"):
        function = call.field("function")
        if function is None or function.text() != "require":
            continue
        args = call.field("arguments")
        literal = args.named_children()[0] if args is not None and args.named_children() else None
        module = _string_value(literal)
        library = library_of(module) if module else None
        if library is None:
            continue
        _bind_require(call, library, module, bindings)
    return bindings


def _bind_require(call: SgNode, library: str, module: str, bindings: list[Binding]) -> None:
    parent = call.parent()
    member = None
    if parent is not None and parent.kind() == "member_expression":  # require('m').x
        prop = parent.field("property")
        member = prop.text() if prop is not None else None
        parent = parent.parent()
    if parent is None or parent.kind() != "variable_declarator":
        return
    name = parent.field("name")
    if name is None:
        return
    if name.kind() == "identifier":
        _add(bindings, library, module, member, name)
    elif name.kind() == "object_pattern" and member is None:
        for prop in name.named_children():
            if prop.kind() == "shorthand_property_identifier_pattern":
                _add(bindings, library, module, prop.text(), prop)
            elif prop.kind() == "pair_pattern":
                key, value = prop.field("key"), prop.field("value")
                if key is not None and value is not None and value.kind() == "identifier":
                    _add(bindings, library, module, key.text(), value)


def _add(bindings: list[Binding], library: str, module: str, member: str | None, local: SgNode) -> None:
    pos = local.range().start
    bindings.append(Binding(library, module, member, local.text(), pos.line + 1, pos.column + 1))


def _string_value(node: SgNode | None) -> str | None:
    if node is None or node.kind() not in ("string", "template_string"):
        return None
    return node.text()[1:-1]
