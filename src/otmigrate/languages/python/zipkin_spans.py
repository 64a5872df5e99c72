"""py_zipkin -> OpenTelemetry (api-mapping §2.3): spans, annotations, headers, and the root span's set-up.

A py_zipkin root span (the one given a `transport_handler`) configures tracing per trace; OTel does it
once per process, so its service name, sample rate and transport become a module-level SDK set-up
placed just before the top-level statement that holds the root span. The root span itself is a
SERVER span unless it is a client span: that is how py_zipkin reports it (logging_helper.py).
"""

from __future__ import annotations

import builtins
import json

import libcst as cst
from libcst.metadata import PositionProvider

from otmigrate.languages.python.cst import (
    arg_at,
    code,
    dotted,
    expr,
    kwarg,
    literal,
    names_used,
    nanoseconds,
    qualified,
    stmt,
    with_reported_todos,
    with_todo,
)
from otmigrate.languages.python.opentracing_calls import SEMCONV
from otmigrate.languages.python.sdk_setup import Setup, fleet_propagators

SPAN_CLASSES = {
    "py_zipkin.zipkin.zipkin_span": None,
    "py_zipkin.zipkin.zipkin_client_span": "CLIENT",
    "py_zipkin.zipkin.zipkin_server_span": "SERVER",
}
KINDS = {
    "CLIENT": "CLIENT",
    "SERVER": "SERVER",
    "PRODUCER": "PRODUCER",
    "CONSUMER": "CONSUMER",
    "LOCAL": None,
}
TRANSPORT = "py_zipkin.transport.SimpleHTTPTransport"
BUILTINS = set(dir(builtins))
MANUAL = {
    "zipkin_attrs": "ZipkinAttrs plumbing: extract the incoming context with propagate.extract(headers) and "
    "pass context= to the span",
    "firehose_handler": "firehose_handler has no OpenTelemetry counterpart",
    "include": "include= is deprecated in py_zipkin: pass kind= instead",
    "timestamp": "timestamp=/duration=: start the span with start_time= and end it with end_time=",
    "duration": "timestamp=/duration=: start the span with start_time= and end it with end_time=",
    "annotations": "annotations= overriding cs/sr/ss/cr timestamps: use start_time=/end_time=",
}


class ZipkinSpans(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self,
        aliases: dict[str, str],
        tracer: str,
        report,
        service_name: str | None = None,
        propagators: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.aliases = aliases
        self.tracer = tracer
        self._report = report
        self.span_names: set[str] = set()
        self.setup: Setup | None = None
        self.setup_todos: list[str] = []
        self.setup_line = 0  # the root span's line: where the set-up's TODOs are reported
        self.todos: list[tuple[str, int]] = []
        self.outer_todos: list[list[tuple[str, int]]] = []
        self.top: cst.CSTNode | None = None  # the top-level statement being visited
        self.setup_before: cst.CSTNode | None = None
        self.changed = False
        self.propagators = propagators  # from the configuration; None: W3C plus B3 (§8)
        self.default_service = (
            json.dumps(service_name) if service_name else '"unknown_service"'
        )  # from config
        self.module_names: set[str] = set()

    def _line(self, node: cst.CSTNode) -> int:
        position = self.get_metadata(PositionProvider, node, None)
        return position.start.line if position else 0

    def _manual(self, node: cst.CSTNode, reason: str) -> None:
        self.todos.append((reason, self._line(node)))

    def _flush(self, node):
        node = with_reported_todos(node, self.todos, self._report)
        self.todos = []
        return node

    def visit_Module(self, node: cst.Module) -> None:
        self.module_names = _module_names(node)

        class Targets(cst.CSTVisitor):
            def visit_WithItem(inner, item: cst.WithItem) -> None:
                name = item.asname.name if item.asname is not None else None
                if self._span_class(item.item) is not False and isinstance(name, cst.Name):
                    self.span_names.add(name.value)

        node.visit(Targets())

    def on_visit(self, node: cst.CSTNode) -> bool:
        parent_is_module = isinstance(node, cst.BaseStatement) and self.top is None
        if parent_is_module:
            self.top = node
        return super().on_visit(node)

    def on_leave(self, original, updated):
        result = super().on_leave(original, updated)
        if original is self.top:
            self.top = None
        return result

    def _span_class(self, node: cst.BaseExpression) -> str | bool | None:
        """The kind a py_zipkin span class implies (None: from kind=), or False for anything else."""
        if not isinstance(node, cst.Call):
            return False
        name = qualified(node.func, self.aliases)
        return SPAN_CLASSES.get(name, False)

    def _start(self, call: cst.Call, original: cst.Call) -> cst.Call:
        """zipkin_span(...) -> tracer.start_as_current_span(name, kind=..., attributes=...).
        `original` is the call as parsed: the one whose line is known."""
        implied = self._span_class(call)
        name = arg_at(call, 1, "span_name")
        args = [code(name.value) if name else '"span"']
        kind = implied
        given = kwarg(call, "kind")
        if given is not None:
            kind = KINDS.get(dotted(given.value).rsplit(".", 1)[-1])
        root = kwarg(call, "transport_handler") is not None
        if root:
            self._root_setup(call, self._line(original))
            kind = kind if kind == "CLIENT" else "SERVER"
        if kind:
            args.append(f"kind=SpanKind.{kind}")
        annotations = kwarg(call, "binary_annotations")
        if annotations is not None:
            args.append(f"attributes={mapped_annotations(annotations.value)}")
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword else None
            if keyword in MANUAL:  # the argument is dropped from the call; the TODO keeps what it was
                self._manual(original, f"{keyword}={code(arg.value)} dropped; {MANUAL[keyword]}")
        self.changed = True
        self._report("migrated", self._line(original), "zipkin span → start_as_current_span")
        return expr(f"{self.tracer}.start_as_current_span({', '.join(args)})")  # type: ignore[return-value]

    def _root_setup(self, call: cst.Call, line: int) -> None:
        if self.setup is not None:
            self.todos.append(
                ("a second py_zipkin root span: OTel is configured once per process, check it", line)
            )
            return
        self.setup_line = line
        service = kwarg(call, "service_name") or arg_at(call, 0, "service_name")
        setup = Setup(propagators=fleet_propagators(self.propagators, "b3multi"))  # py_zipkin speaks B3
        if service is not None and not self._module_level(service.value):
            self.setup_todos.append(
                f"service.name: the root span's service_name {code(service.value)} is local"
            )
            service = None
        setup.resource.append(('"service.name"', code(service.value) if service else self.default_service))
        rate = kwarg(call, "sample_rate")
        if rate is not None and not self._module_level(rate.value):
            self.setup_todos.append(f"sampler: the root span's sample_rate {code(rate.value)} is local")
        elif rate is None:
            self.setup_todos.append("the py_zipkin root span had no sample_rate: check the sampler")
        else:
            value = literal(rate.value)
            atomic = isinstance(rate.value, cst.Name | cst.Attribute)
            ratio = f"{code(rate.value)} / 100" if atomic else f"({code(rate.value)}) / 100"
            ratio = repr(value / 100) if isinstance(value, int | float) else ratio
            setup.sampler = f"ParentBased(TraceIdRatioBased({ratio}))"
        transport = kwarg(call, "transport_handler").value  # type: ignore[union-attr]
        simple = isinstance(transport, cst.Call) and qualified(transport.func, self.aliases) == TRANSPORT
        if simple and self._module_level(transport):
            host, port = arg_at(transport, 0, "address"), arg_at(transport, 1, "port")
            if host is not None and port is not None:
                h, p = literal(host.value), literal(port.value)
                if isinstance(h, str) and isinstance(p, int):
                    url = f'"http://{h}:{p}/api/v2/spans"'
                else:
                    where = f'str({code(host.value)}) + ":" + str({code(port.value)})'
                    url = f'"http://" + {where} + "/api/v2/spans"'
                setup.exporter = f"ZipkinExporter(endpoint={url})"
        if setup.exporter.startswith("OTLP"):
            self.setup_todos.append(
                f"transport_handler {code(transport)} became an OTLP exporter: check the endpoint"
            )
        self.setup = setup
        self.setup_before = self.top

    def _module_level(self, node: cst.BaseExpression) -> bool:
        """Whether the expression only uses names the module-level set-up can see."""
        return names_used(node) <= self.module_names | BUILTINS

    def leave_WithItem(self, original: cst.WithItem, updated: cst.WithItem) -> cst.WithItem:
        if self._span_class(original.item) is False:
            return updated
        return updated.with_changes(item=self._start(updated.item, original.item))  # type: ignore[arg-type]

    def leave_Decorator(self, original: cst.Decorator, updated: cst.Decorator) -> cst.Decorator:
        if self._span_class(original.decorator) is False:
            return updated
        return updated.with_changes(decorator=self._start(updated.decorator, original.decorator))  # type: ignore[arg-type]

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = updated.func
        if not (isinstance(func, cst.Attribute) and dotted(func.value) in self.span_names):
            return updated
        method, span = func.attr.value, code(func.value)
        if method == "update_binary_annotations" and updated.args:
            return expr(f"{span}.set_attributes({mapped_annotations(updated.args[0].value)})")
        if method == "add_annotation" and updated.args:
            when = arg_at(updated, 1, "timestamp")
            timestamp = f", timestamp={nanoseconds(when.value)}" if when else ""
            return expr(f"{span}.add_event({code(updated.args[0].value)}{timestamp})")
        if method == "override_span_name" and updated.args:
            return expr(f"{span}.update_name({code(updated.args[0].value)})")
        if method == "add_sa_binary_annotation":
            self._manual(
                original, "the remote endpoint: set server.address / server.port / service.peer.name"
            )
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        small = updated.body[0] if len(updated.body) == 1 else None
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.value, cst.Call):
            name = qualified(small.value.func, self.aliases)
            if name == "py_zipkin.zipkin.create_http_headers_for_new_span" and not small.value.args:
                target = code(small.targets[0].target)
                self.changed = True
                self._report(
                    "migrated", self._line(original), "create_http_headers_for_new_span → propagate.inject"
                )
                first = stmt(f"{target} = {{}}").with_changes(leading_lines=updated.leading_lines)
                return cst.FlattenSentinel([first, stmt(f"propagate.inject({target})")])
        return self._flush(updated)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        """TODOs raised in a `with` header or a decorator belong to that statement, not to its body."""
        self.outer_todos.append(self.todos)
        self.todos = []

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        self.todos = self.outer_todos.pop() + self.todos
        return updated

    def leave_With(self, original, updated):
        return self._flush(updated)

    def leave_FunctionDef(self, original, updated):
        return self._flush(updated)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if not self.changed:
            return updated
        body = list(updated.body)
        if self.setup is not None:
            index = next((i for i, s in enumerate(original.body) if s is self.setup_before), len(body))
            generated = self.setup.render()
            generated[0] = generated[0].with_changes(
                leading_lines=body[index].leading_lines if index < len(body) else []
            )
            for reason in self.setup_todos:
                generated[0] = with_todo(generated[0], reason)
                self._report("manual", self.setup_line, reason)
            body[index:index] = generated
        if not _binds(original, self.tracer):
            index = _after_imports(body)
            line = stmt(f"{self.tracer} = trace.get_tracer(__name__)")
            body.insert(index, line.with_changes(leading_lines=[cst.EmptyLine()]))
        return updated.with_changes(body=body)


def mapped_annotations(node: cst.BaseExpression) -> str:
    """Binary annotations as OTel attributes: standard keys renamed per §5 (values are left alone)."""
    if not isinstance(node, cst.Dict):
        return code(node)
    parts = []
    for element in node.elements:
        if isinstance(element, cst.DictElement):
            key = literal(element.key)
            key_code = f'"{SEMCONV[key]}"' if isinstance(key, str) and key in SEMCONV else code(element.key)
            parts.append(f"{key_code}: {code(element.value)}")
        else:
            parts.append(code(element))
    return "{" + ", ".join(parts) + "}"


def _module_names(module: cst.Module) -> set[str]:
    """Names bound at module level (imports, assignments, defs, classes)."""
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            names.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    names |= {dotted(t.target) for t in small.targets}
                elif isinstance(small, cst.Import | cst.ImportFrom) and not isinstance(
                    small.names, cst.ImportStar
                ):
                    for alias in small.names:
                        bound = alias.asname.name if alias.asname else alias.name
                        names.add(dotted(bound).split(".")[0])  # type: ignore[arg-type]
    return names


def _binds(module: cst.Module, name: str) -> bool:
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign) and any(dotted(t.target) == name for t in small.targets):
                    return True
    return False


def _after_imports(body: list[cst.BaseStatement]) -> int:
    index = 0
    for i, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine) and isinstance(
            statement.body[0], cst.Import | cst.ImportFrom
        ):
            index = i + 1
    return index
