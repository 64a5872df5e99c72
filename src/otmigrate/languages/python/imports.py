"""Which tracing modules a Python file imports, and under which local names."""

from __future__ import annotations

from ast_grep_py import SgNode

from otmigrate.languages import Binding

CANONICAL = {"opentracing": "opentracing", "jaeger_client": "jaeger_client", "py_zipkin": "py_zipkin"}
"""Rule patterns name Python modules by their dotted path, so each root stands for itself."""

_LIBRARY_OF_ROOT = {
    "opentracing": "opentracing",
    "jaeger_client": "jaeger",
    "py_zipkin": "zipkin",
    "opencensus": "opencensus",
    "opentelemetry": "opentelemetry",
}


def library_of(module: str) -> str | None:
    return _LIBRARY_OF_ROOT.get(module.split(".")[0])


def canonical_name(module: str) -> str:
    return module


def find_bindings(root: SgNode) -> list[Binding]:
    bindings: list[Binding] = []
    for node in root.find_all(kind="import_statement"):
        for item in node.field_children("name"):
            _bind_import(item, bindings)
    for node in root.find_all(kind="import_from_statement"):
        module_node = node.field("module_name")
        if module_node is None or module_node.kind() == "relative_import":
            continue
        module = module_node.text()
        library = library_of(module)
        if library is None:
            continue
        for item in node.field_children("name"):
            if item.kind() == "aliased_import":
                name, alias = item.field("name"), item.field("alias")
                member, local = name.text() if name else "", alias.text() if alias else ""
            else:
                member = local = item.text()
            pos = item.range().start
            bindings.append(Binding(library, module, member, local, pos.line + 1, pos.column + 1))
    return bindings


def _bind_import(item: SgNode, bindings: list[Binding]) -> None:
    """`import a.b` binds `a` (to module `a`, having imported `a.b`); `import a.b as c` binds `c` to `a.b`."""
    if item.kind() == "aliased_import":
        name, alias = item.field("name"), item.field("alias")
        if name is None or alias is None:
            return
        module, local = name.text(), alias.text()
        imported = None
    else:
        imported = item.text()
        module = local = imported.split(".")[0]
    library = library_of(module)
    if library is not None:
        pos = item.range().start
        bindings.append(
            Binding(
                library,
                module,
                None,
                local,
                pos.line + 1,
                pos.column + 1,
                imported if imported != module else None,
            )
        )
