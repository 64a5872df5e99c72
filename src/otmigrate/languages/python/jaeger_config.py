"""jaeger_client.Config(...).initialize_tracer() / new_tracer() -> OpenTelemetry SDK set-up (§2.2, §7, §8)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import PositionProvider

from otmigrate.languages.python.cst import (
    code,
    dotted,
    expr,
    kwarg,
    literal,
    names_used,
    qualified,
    with_todo,
)
from otmigrate.languages.python.sdk_setup import Setup, fleet_propagators

CONFIG_CLASSES = {"jaeger_client.Config", "jaeger_client.config.Config"}
BATCH_OPTIONS = {"reporter_batch_size": "max_export_batch_size", "reporter_queue_size": "max_queue_size"}
OTLP_HTTP_PORT = 4318
# Config keys with no OTel counterpart that changes behaviour; dropped without a TODO.
IGNORED_KEYS = {"generate_128bit_trace_id", "max_traceback_length", "metrics", "enabled"}


class JaegerConfig(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, aliases: dict[str, str], settings, report) -> None:
        super().__init__()
        self.aliases = aliases
        self.settings = settings
        self._report = report
        self.global_tracers: set[str] = set()  # names bound to initialize_tracer()'s result
        self.local_tracers: dict[str, str] = {}  # names bound to new_tracer()'s result -> its provider
        self.uses: dict[str, Setup] = {}  # config variable -> the set-up that replaced it
        self.functions: list[cst.CSTNode] = []
        self.reported_at: cst.CSTNode | None = None  # the original statement being rewritten
        self.module_dicts: dict[str, cst.Dict] = {}  # `SETTINGS = {...}` at module level, never changed

    def visit_Module(self, node: cst.Module) -> None:
        self.functions.append(node)
        self.module_dicts = _constant_dicts(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.functions.pop()
        return updated

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        body = self._rewrite_block(original.body, updated.body, self.functions[-1])
        return updated if body is None else updated.with_changes(body=body)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body = self._rewrite_block(original.body, updated.body, original)
        return updated if body is None else updated.with_changes(body=body)

    def _is_config(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Call) and qualified(node.func, self.aliases) in CONFIG_CLASSES

    def _rewrite_block(
        self, originals: Sequence[cst.BaseStatement], statements: Sequence[cst.BaseStatement], scope_node
    ) -> list[cst.BaseStatement] | None:
        """Each Config statement of a block replaced with the SDK set-up; None when there is none.
        `scope_node` is the function (or module) the block belongs to: the names it already uses."""
        out: list[cst.BaseStatement] = []
        changed = False
        for index, statement in enumerate(statements):
            self.reported_at = originals[index]  # positions are known for the original nodes only
            new = self._rewrite_statement(statement, statements[index + 1 :], scope_node)
            changed |= new is not None
            out += new if new is not None else [statement]
        return out if changed else None

    def _rewrite_statement(self, statement, rest, scope_node) -> list[cst.BaseStatement] | None:
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            return None
        small = statement.body[0]
        value = getattr(small, "value", None)
        # `config = Config(...)`, used later as `config.initialize_tracer()` / `config.new_tracer()`
        if (
            isinstance(small, cst.Assign)
            and self._is_config(value)
            and isinstance(small.targets[0].target, cst.Name)
        ):
            name = small.targets[0].target.value
            method = _later_method(rest, name)
            if method is None:
                return None
            setup, todos = self._setup(value, install=method == "initialize_tracer", scope_node=scope_node)
            self.uses[name] = setup
            return self._emit(statement, setup, todos, replacement=None)
        # `... Config(...).initialize_tracer() ...` in one statement
        finder = _ChainedConfig(self)
        statement.visit(finder)
        if finder.call is None:
            return None
        method = finder.call.func.attr.value  # type: ignore[union-attr]
        setup, todos = self._setup(
            finder.call.func.value, install=method == "initialize_tracer", scope_node=scope_node
        )  # type: ignore[union-attr]
        getter = "trace.get_tracer(__name__)" if setup.install else f"{setup.provider}.get_tracer(__name__)"
        replaced = statement.deep_replace(finder.call, expr(getter))
        if isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name):
            target = small.targets[0].target.value
            if setup.install:
                self.global_tracers.add(target)
            else:
                self.local_tracers[target] = setup.provider
        return self._emit(statement, setup, todos, replacement=replaced.with_changes(leading_lines=[]))  # type: ignore[union-attr]

    def _emit(self, statement, setup: Setup, todos: list[str], replacement) -> list[cst.BaseStatement]:
        position = self.get_metadata(PositionProvider, self.reported_at, None) if self.reported_at else None
        line = position.start.line if position else 0
        self._report("migrated", line, "jaeger_client.Config → OpenTelemetry SDK set-up")
        generated = setup.render()
        generated[0] = generated[0].with_changes(leading_lines=statement.leading_lines)
        for reason in todos:
            generated[0] = with_todo(generated[0], reason)
            self._report("manual", line, reason)
        return generated + ([replacement] if replacement is not None else [])

    def _setup(self, call: cst.Call, *, install: bool, scope_node) -> tuple[Setup, list[str]]:
        taken = names_used(scope_node)
        setup = Setup(provider="provider" if "provider" not in taken else "tracer_provider", install=install)
        todos: list[str] = []
        service = kwarg(call, "service_name")
        service_code = code(service.value) if service else None
        config_arg = kwarg(call, "config") or (
            call.args[0] if call.args and call.args[0].keyword is None else None
        )
        config: dict[str, cst.BaseExpression] = {}
        given = config_arg.value if config_arg is not None else None
        if isinstance(given, cst.Name) and given.value in self.module_dicts:
            given = self.module_dicts[given.value]  # Config(config=SETTINGS) with SETTINGS a literal
        if config_arg is not None and isinstance(given, cst.Dict):
            for element in given.elements:
                key = literal(element.key) if isinstance(element, cst.DictElement) else None
                if not isinstance(key, str):
                    todos.append("a computed jaeger config key was not migrated")
                    continue
                config[key] = element.value
        elif config_arg is not None:
            todos.append("the jaeger config is not a dict literal: set the sampler and exporter up by hand")
        if "service_name" in config:
            service_code = code(config.pop("service_name"))
        if (
            service_code is None
            and self.settings is not None
            and getattr(self.settings, "service_name", None)
        ):
            service_code = json.dumps(self.settings.service_name)
        setup.resource.append(('"service.name"', service_code or '"unknown_service"'))
        tags = config.pop("tags", None)
        if isinstance(tags, cst.Dict):
            setup.resource += [
                (code(e.key), code(e.value)) for e in tags.elements if isinstance(e, cst.DictElement)
            ]
        elif tags is not None:
            todos.append("config 'tags' is not a dict literal: add them to the Resource by hand")
        setup.sampler = _sampler(config.pop("sampler", None), todos)
        agent = config.pop("local_agent", None)
        if isinstance(agent, cst.Dict):
            for element in agent.elements:
                if isinstance(element, cst.DictElement) and literal(element.key) == "reporting_host":
                    host = literal(element.value)
                    url = (
                        f'"http://{host}:{OTLP_HTTP_PORT}/v1/traces"'
                        if isinstance(host, str)
                        else f'"http://" + {code(element.value)} + ":{OTLP_HTTP_PORT}/v1/traces"'
                    )
                    setup.exporter = f"OTLPSpanExporter(endpoint={url})"
        for key, option in BATCH_OPTIONS.items():
            if key in config:
                setup.batch_options.append((option, code(config.pop(key))))
        if "reporter_flush_interval" in config:
            seconds = config.pop("reporter_flush_interval")
            value = literal(seconds)
            millis = (
                str(int(value * 1000)) if isinstance(value, int | float) else f"int({code(seconds)} * 1000)"
            )
            setup.batch_options.append(("schedule_delay_millis", millis))
        setup.console = literal(config.pop("logging", cst.Name("False"))) is True
        propagation = literal(config.pop("propagation", cst.SimpleString('"jaeger"')))
        # new_tracer() too: a jaeger tracer carried its codecs, but OTel's propagators are global.
        configured = getattr(self.settings, "propagators", None) if self.settings is not None else None
        setup.propagators = fleet_propagators(configured, "b3multi" if propagation == "b3" else "jaeger")
        for key in config:
            if key not in IGNORED_KEYS:
                todos.append(f"jaeger config '{key}' has no OpenTelemetry SDK counterpart here")
        return setup, todos


def _sampler(node: cst.BaseExpression | None, todos: list[str]) -> str:
    """§7: the Jaeger sampler as the root of a ParentBased sampler (Jaeger only samples roots)."""
    if not isinstance(node, cst.Dict):
        todos.append("no sampler in the jaeger config meant remote sampling, which OTel Python lacks")
        return "ParentBased(TraceIdRatioBased(0.001))"
    fields = {literal(e.key): e.value for e in node.elements if isinstance(e, cst.DictElement)}
    kind = literal(fields.get("type", cst.Name("None")))
    param = fields.get("param")
    if kind == "const":
        value = literal(param) if param is not None else True
        if value in (True, False, 0, 1):
            return "ParentBased(ALWAYS_ON)" if value else "ParentBased(ALWAYS_OFF)"
        return f"ParentBased(ALWAYS_ON if {code(param)} else ALWAYS_OFF)"  # type: ignore[arg-type]
    if kind == "probabilistic" and param is not None:
        return f"ParentBased(TraceIdRatioBased({code(param)}))"
    todos.append(f"jaeger sampler type {kind!r} has no OpenTelemetry Python sampler")
    return "ParentBased(ALWAYS_ON)"


def _later_method(rest: list[cst.BaseStatement], name: str) -> str | None:
    found: list[str] = []

    class Find(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            methods = ("initialize_tracer", "new_tracer")
            if isinstance(func, cst.Attribute) and dotted(func.value) == name and func.attr.value in methods:
                found.append(func.attr.value)

    for statement in rest:
        statement.visit(Find())
    return found[0] if found else None


class _ChainedConfig(cst.CSTVisitor):
    def __init__(self, owner: JaegerConfig) -> None:
        self.owner = owner
        self.call: cst.Call | None = None

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            self.call is None
            and isinstance(func, cst.Attribute)
            and self.owner._is_config(func.value)
            and func.attr.value in ("initialize_tracer", "new_tracer")
        ):
            self.call = node


class ConfigUses(cst.CSTTransformer):
    """After a `config = Config(...)` was replaced: `config.initialize_tracer()` -> the tracer getter."""

    def __init__(
        self, uses: dict[str, Setup], global_tracers: set[str], local_tracers: dict[str, str]
    ) -> None:
        super().__init__()
        self.uses = uses
        self.global_tracers = global_tracers
        self.local_tracers = local_tracers

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        value = original.value
        target = original.targets[0].target
        if (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and dotted(value.func.value) in self.uses
            and isinstance(target, cst.Name)
        ):
            if value.func.attr.value == "initialize_tracer":
                self.global_tracers.add(target.value)
            elif value.func.attr.value == "new_tracer":
                self.local_tracers[target.value] = self.uses[dotted(value.func.value)].provider
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = updated.func
        if isinstance(func, cst.Attribute) and dotted(func.value) in self.uses:
            setup = self.uses[dotted(func.value)]
            if func.attr.value == "initialize_tracer":
                return expr("trace.get_tracer(__name__)")
            if func.attr.value == "new_tracer":
                return expr(f"{setup.provider}.get_tracer(__name__)")
        if isinstance(func, cst.Attribute) and func.attr.value == "close" and not updated.args:
            tracer = dotted(func.value)
            if tracer in self.global_tracers:
                return expr("trace.get_tracer_provider().shutdown()")
            if tracer in self.local_tracers:  # a new_tracer(): its own provider
                return expr(f"{self.local_tracers[tracer]}.shutdown()")
        return updated


def _constant_dicts(module: cst.Module) -> dict[str, cst.Dict]:
    """Module-level names bound once to a dict literal and never assigned, subscripted into or deleted
    again: what `Config(config=NAME)` reads is that literal."""
    found: dict[str, cst.Dict] = {}
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
            small = statement.body[0]
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and isinstance(small.value, cst.Dict)
            ):
                found[small.targets[0].target.value] = small.value
    changed: set[str] = set()
    assigned: dict[str, int] = {}

    class Changes(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            target = node.target
            if isinstance(target, cst.Name):
                assigned[target.value] = assigned.get(target.value, 0) + 1
            elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
                changed.add(target.value.value)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            if isinstance(node.target, cst.Name):
                changed.add(node.target.value)

        def visit_Del(self, node: cst.Del) -> None:
            changed.update(n.value for n in _names_in(node.target))

        def visit_Call(self, node: cst.Call) -> None:
            func = node.func  # SETTINGS.update(..) / .setdefault(..) / .pop(..)
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
                changed.add(func.value.value)

    module.visit(Changes())
    return {name: d for name, d in found.items() if name not in changed and assigned.get(name) == 1}


def _names_in(node: cst.CSTNode) -> list[cst.Name]:
    names: list[cst.Name] = []

    class Names(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            names.append(n)

    node.visit(Names())
    return names
