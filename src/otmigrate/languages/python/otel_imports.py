"""The final pass: drop legacy imports nothing uses any more, import the OTel names the code now uses.

New imports are `from module import a, b` lines, sorted by module, put where the first removed legacy
import was (else after the last import). A name is only imported when the file does not bind it
itself, so a file's own `trace` or `tracer` is never shadowed: where the module's own code binds `trace`
(`def trace(f):`), `propagate` or `baggage`, the OTel calls the rewrite wrote on that name go through
an alias instead (`from opentelemetry import trace as otel_trace`, `otel_trace.get_tracer(..)`).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from otmigrate.languages.python.cst import LEGACY_ROOTS, dotted

OTEL_NAMES = {
    "trace": "opentelemetry", "propagate": "opentelemetry", "baggage": "opentelemetry",
    "Context": "opentelemetry.context",
    # `context` is too common a variable name to import bare
    "otel_context": "opentelemetry",
    # the API modules, where the file's own code binds their names
    "otel_trace": "opentelemetry", "otel_propagate": "opentelemetry", "otel_baggage": "opentelemetry",
    "SpanKind": "opentelemetry.trace", "Status": "opentelemetry.trace", "StatusCode": "opentelemetry.trace",
    "Link": "opentelemetry.trace", "NonRecordingSpan": "opentelemetry.trace",
    "TracerProvider": "opentelemetry.sdk.trace", "Resource": "opentelemetry.sdk.resources",
    "BatchSpanProcessor": "opentelemetry.sdk.trace.export",
    "SimpleSpanProcessor": "opentelemetry.sdk.trace.export",
    "ConsoleSpanExporter": "opentelemetry.sdk.trace.export",
    "ParentBased": "opentelemetry.sdk.trace.sampling",
    "TraceIdRatioBased": "opentelemetry.sdk.trace.sampling",
    "ALWAYS_ON": "opentelemetry.sdk.trace.sampling", "ALWAYS_OFF": "opentelemetry.sdk.trace.sampling",
    "OTLPSpanExporter": "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "ZipkinExporter": "opentelemetry.exporter.zipkin.json",
    "CompositePropagator": "opentelemetry.propagators.composite",
    "TraceContextTextMapPropagator": "opentelemetry.trace.propagation.tracecontext",
    "W3CBaggagePropagator": "opentelemetry.baggage.propagation",
    "B3MultiFormat": "opentelemetry.propagators.b3", "B3SingleFormat": "opentelemetry.propagators.b3",
    "JaegerPropagator": "opentelemetry.propagators.jaeger",
}  # fmt: skip


ALIASES = {
    "otel_context": "context", "otel_trace": "trace", "otel_propagate": "propagate",
    "otel_baggage": "baggage",
}  # fmt: skip
# The members of each OTel API module the rewrites call: `trace.<member>` on a name the file binds
# itself is one of ours and moves to the alias.
API_MEMBERS = {
    "trace": frozenset({
        "get_tracer", "get_current_span", "set_span_in_context", "use_span", "get_tracer_provider",
        "set_tracer_provider", "SpanKind", "Status", "StatusCode", "Link", "NonRecordingSpan",
        "INVALID_SPAN",
    }),
    "propagate": frozenset({"inject", "extract", "set_global_textmap", "get_global_textmap"}),
    "baggage": frozenset({"get_baggage", "set_baggage", "get_all", "remove_baggage", "clear"}),
}  # fmt: skip
# API names the rewrites write bare. A file that reaches its tracing API through modules (`import
# opentracing`, `from opentracing.ext import tags`) gets them through their module, as it did before.
THROUGH_MODULE = {
    "SpanKind": "trace", "Status": "trace", "StatusCode": "trace", "Link": "trace",
    "NonRecordingSpan": "trace", "Context": "otel_context",
}  # fmt: skip
# Legacy modules a `from package import name` can bind (the rest of what they export are classes).
LEGACY_MODULES = {
    "opentracing.ext", "opentracing.ext.tags", "opentracing.tags", "opentracing.logs",
    "opentracing.propagation", "opentracing.tracer", "opentracing.scope_managers",
    "opentracing.mocktracer", "jaeger_client.config", "py_zipkin.zipkin", "py_zipkin.transport",
    "py_zipkin.encoding", "py_zipkin.util", "py_zipkin.request_helpers", "py_zipkin.storage",
}  # fmt: skip


def fix_imports(source: str) -> str | None:
    module = cst.parse_module(source)
    used, bound, imported = _names(module)
    if used & THROUGH_MODULE.keys() - bound and _imports_modules(module):
        module = module.visit(_ThroughModule(THROUGH_MODULE.keys() - bound))
        used, bound, imported = _names(module)
    own = {name for name in API_MEMBERS if name in bound and name not in imported}
    if own:
        renamed = module.visit(_ToAlias(own))
        if not renamed.deep_equals(module):
            module = renamed
            used, bound, imported = _names(module)
    body = list(module.body)
    out: list[cst.BaseStatement] = []
    runs: list[tuple[int, Sequence[cst.EmptyLine]]] = []  # (position, blank lines) of removed imports
    for statement in body:
        kept = _without_unused_legacy(statement, used)
        if kept is not None:
            out.append(kept)
        elif not runs or runs[-1][0] != len(out):
            runs.append((len(out), statement.leading_lines))
    # Each run of removed imports hands its blank lines on, so import groups stay apart; the new
    # imports take the place of the last run.
    for position, blank in runs[:-1]:
        if position < len(out) and blank and not out[position].leading_lines:
            out[position] = out[position].with_changes(leading_lines=blank)
    last_removed, removed_lines = runs[-1] if runs else (None, ())
    needed: dict[str, list[str]] = {}
    for name in sorted(used - bound):
        if name in OTEL_NAMES:
            needed.setdefault(OTEL_NAMES[name], []).append(name)
    if last_removed is None and not needed:
        return None
    lines = []
    for module_name, names in sorted(needed.items()):
        plain = sorted(n for n in names if n not in ALIASES)
        if plain:
            lines.append(cst.parse_statement(f"from {module_name} import {', '.join(plain)}"))
        for name in sorted(n for n in names if n in ALIASES):
            lines.append(cst.parse_statement(f"from {module_name} import {ALIASES[name]} as {name}"))
    if last_removed is not None:
        index = last_removed
        if lines:
            lines[0] = lines[0].with_changes(leading_lines=removed_lines)
    else:
        index = _after_imports(out)
    out[index:index] = lines
    if out and not lines and index == 0:  # the file no longer starts with imports: no blank lines on top
        out[0] = out[0].with_changes(leading_lines=[line for line in out[0].leading_lines if line.comment])
    new = module.with_changes(body=out).code
    return new if new != source else None


def _imports_modules(module: cst.Module) -> bool:
    """Whether the file's tracing imports bind modules only: its legacy imports while it has any, else
    its OpenTelemetry API imports (`from opentelemetry import trace`, not `...trace import SpanKind`)."""
    legacy: list[bool] = []
    otel: list[bool] = []
    for statement in module.body:
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            continue
        node = statement.body[0]
        if isinstance(node, cst.Import):
            for alias in node.names:
                root = dotted(alias.name).split(".")[0]
                (legacy if root in LEGACY_ROOTS else otel if root == "opentelemetry" else []).append(True)
        elif isinstance(node, cst.ImportFrom) and node.module is not None and not node.relative:
            base = dotted(node.module)
            names = [] if isinstance(node.names, cst.ImportStar) else [dotted(a.name) for a in node.names]
            if base.split(".")[0] in LEGACY_ROOTS:
                legacy += [f"{base}.{name}" in LEGACY_MODULES for name in names]
            elif base == "opentelemetry":
                otel.append(True)
            elif base in ("opentelemetry.trace", "opentelemetry.context"):
                otel.append(False)
    return all(legacy) if legacy else bool(otel) and all(otel)


class _ThroughModule(cst.CSTTransformer):
    """`SpanKind` -> `trace.SpanKind` where a name is read (not an attribute, keyword or import)."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    # An attribute's name and a keyword are not names read: only the object and the value are visited.
    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return False

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        return updated.with_changes(value=original.value.visit(self))

    def visit_Arg(self, node: cst.Arg) -> bool:
        return False

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(value=original.value.visit(self))

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if original.value in self.names:
            return cst.Attribute(
                value=cst.Name(THROUGH_MODULE[original.value]), attr=cst.Name(original.value)
            )
        return updated


class _ToAlias(cst.CSTTransformer):
    """`trace.get_tracer` → `otel_trace.get_tracer` for the API modules whose names the file binds."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
        value = updated.value
        if (
            isinstance(value, cst.Name)
            and value.value in self.names
            and updated.attr.value in API_MEMBERS[value.value]
        ):
            return updated.with_changes(value=cst.Name(f"otel_{value.value}"))
        return updated


def _names(module: cst.Module) -> tuple[set[str], set[str], set[str]]:
    """(names the code reads outside import statements, names it binds where a module-level import would
    be hidden, names bound by imports). A class body's names (methods, class attributes) do not hide a
    module's names from the methods, so `def trace(self)` in a class leaves `trace.Status` in its methods
    free to import."""
    used: set[str] = set()
    bound: set[str] = set()
    imported: set[str] = set()
    in_class_body: list[bool] = [False]
    binding_names: set[int] = set()  # ids of the Name nodes that bind (a def's name), not read

    class Collect(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> bool:
            for alias in node.names:
                bound.add(alias.asname.name.value if alias.asname else dotted(alias.name).split(".")[0])  # type: ignore[union-attr]
                imported.add(alias.asname.name.value if alias.asname else dotted(alias.name).split(".")[0])  # type: ignore[union-attr]
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            if not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    bound.add(alias.asname.name.value if alias.asname else dotted(alias.name))  # type: ignore[union-attr]
                    imported.add(alias.asname.name.value if alias.asname else dotted(alias.name))  # type: ignore[union-attr]
            return False

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            if id(node) not in binding_names:
                used.add(node.value)

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if isinstance(node.target, cst.Name) and not in_class_body[-1]:
                bound.add(node.target.value)

        def visit_Param(self, node: cst.Param) -> None:
            bound.add(node.name.value)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            binding_names.add(id(node.name))
            if not in_class_body[-1]:
                bound.add(node.name.value)
            in_class_body.append(False)

        def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
            in_class_body.pop()

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            binding_names.add(id(node.name))
            if not in_class_body[-1]:
                bound.add(node.name.value)
            in_class_body.append(True)

        def leave_ClassDef(self, node: cst.ClassDef) -> None:
            in_class_body.pop()

        def visit_AsName(self, node: cst.AsName) -> None:
            if isinstance(node.name, cst.Name):
                bound.add(node.name.value)

    module.visit(Collect())
    return used, bound, imported


def _without_unused_legacy(statement: cst.BaseStatement, used: set[str]) -> cst.BaseStatement | None:
    """The statement minus legacy imports whose names are unused (None when nothing is left)."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return statement
    node = statement.body[0]
    if isinstance(node, cst.Import):
        names = node.names
        local = [a.asname.name.value if a.asname else dotted(a.name).split(".")[0] for a in names]  # type: ignore[union-attr]
        modules = [dotted(a.name) for a in names]
    elif (
        isinstance(node, cst.ImportFrom)
        and node.module is not None
        and not isinstance(node.names, cst.ImportStar)
    ):
        names = node.names
        local = [a.asname.name.value if a.asname else dotted(a.name) for a in names]  # type: ignore[union-attr]
        modules = [dotted(node.module)] * len(names)
    else:
        return statement
    keep = [
        alias
        for alias, name, mod in zip(names, local, modules, strict=True)
        if mod.split(".")[0] not in LEGACY_ROOTS or name in used
    ]
    if len(keep) == len(names):
        return statement
    if not keep:
        return None
    keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return statement.with_changes(body=[node.with_changes(names=keep)])


def _after_imports(body: list[cst.BaseStatement]) -> int:
    """After the last top-level import; else after the docstring; else at the top."""
    imports = [
        i
        for i, s in enumerate(body)
        if isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.Import | cst.ImportFrom)
    ]
    if imports:
        return imports[-1] + 1
    return 1 if body and _is_docstring(body[0]) else 0


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString)
    )


# Calls whose `with ... as name` target the rewrite may leave unread (the legacy `scope.span` moved away).
SPAN_STARTS = frozenset({"start_as_current_span", "start_span", "use_span"})


def drop_unused_span_targets(source: str) -> str | None:
    """`with tracer.start_as_current_span(..) as span:` → without `as span` when nothing in the enclosing
    function (or module) reads `span`: a name bound and never read is ruff's F841."""
    module = cst.parse_module(source)
    new = module.visit(_UnusedSpanTargets())
    return None if new.deep_equals(module) else new.code


class _UnusedSpanTargets(cst.CSTTransformer):
    def __init__(self) -> None:
        super().__init__()
        self.scopes: list[dict[str, int]] = []  # per function (module first): name → times read

    def visit_Module(self, node: cst.Module) -> None:
        self.scopes.append(_reads(node))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append(_reads(node))

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.scopes.pop()
        return updated

    def leave_WithItem(self, original: cst.WithItem, updated: cst.WithItem) -> cst.WithItem:
        call = updated.item
        target = updated.asname.name if updated.asname is not None else None
        if (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value in SPAN_STARTS
            and isinstance(target, cst.Name)
            and not self.scopes[-1].get(target.value)
        ):
            return updated.with_changes(asname=None)
        return updated


def _reads(node: cst.CSTNode) -> dict[str, int]:
    """How often each name is read in `node` (nested functions included; `as` targets are not reads)."""
    reads: dict[str, int] = {}
    targets: set[int] = set()

    class Reads(cst.CSTVisitor):
        def visit_AsName(self, n: cst.AsName) -> None:
            targets.add(id(n.name))

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Name(self, n: cst.Name) -> None:
            if id(n) not in targets:
                reads[n.value] = reads.get(n.value, 0) + 1

    node.visit(Reads())
    return reads
