"""OTel JS SDK set-up written in place of a jaeger-client or zipkin-js tracer set-up (§4.2, §4.3, §7, §8).

A `Setup` records what the legacy tracer configured; `render` writes the `NodeTracerProvider` statements
and `needed_imports` says which packages they use, so that both libraries produce the same set-up shape
(jaeger_setup.py and zipkin_setup.py build it). The helpers below are the JavaScript syntax both need.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext, line_map
from otmigrate.languages import Binding
from otmigrate.languages.javascript import jscode

CORE = "@opentelemetry/core"
SDK_BASE = "@opentelemetry/sdk-trace-base"
OTLP_HTTP = "@opentelemetry/exporter-trace-otlp-http"
OTLP_HTTP_PORT = 4318
# OTEL_PROPAGATORS-style names -> (constructor code, package, names it needs)
PROPAGATORS = {
    "tracecontext": ("new W3CTraceContextPropagator()", CORE, ("W3CTraceContextPropagator",)),
    "baggage": ("new W3CBaggagePropagator()", CORE, ("W3CBaggagePropagator",)),
    "b3multi": (
        "new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER })",
        "@opentelemetry/propagator-b3",
        ("B3InjectEncoding", "B3Propagator"),
    ),
    "b3": ("new B3Propagator()", "@opentelemetry/propagator-b3", ("B3Propagator",)),
    "jaeger": ("new JaegerPropagator()", "@opentelemetry/propagator-jaeger", ("JaegerPropagator",)),
}
W3C = ["tracecontext", "baggage"]
# instrumentation class -> its package; registered by the set-up (zipkin-js instrumentation packages)
INSTRUMENTATIONS = {
    "HttpInstrumentation": "@opentelemetry/instrumentation-http",
    "ExpressInstrumentation": "@opentelemetry/instrumentation-express",
    "UndiciInstrumentation": "@opentelemetry/instrumentation-undici",
}
MAX_LINE = 110


@dataclass
class Setup:
    """What one legacy tracer set-up configured, in OTel terms."""

    service: str  # code of the service.name value
    attributes: list[tuple[str, str]] = field(default_factory=list)  # (key code, value code)
    sampler: str = "new AlwaysOnSampler()"  # the root of the ParentBasedSampler
    exporter: str = "new OTLPTraceExporter()"
    exporter_import: tuple[str, str] = (OTLP_HTTP, "OTLPTraceExporter")
    batch_options: list[tuple[str, str]] = field(default_factory=list)
    console: bool = False  # also print spans (jaeger logSpans, zipkin ConsoleRecorder)
    console_only: bool = False  # zipkin ConsoleRecorder: no exporter but the console
    propagators: list[str] = field(default_factory=lambda: list(W3C))
    jaeger_propagator_options: str = ""  # e.g. "{ customTraceHeader: 'x-trace' }"
    instrumentations: list[str] = field(default_factory=list)
    provider: str = "provider"
    todos: list[str] = field(default_factory=list)

    def render(self, indent: str) -> str:
        resource = ", ".join(
            f"{k}: {v}" for k, v in [("[ATTR_SERVICE_NAME]", self.service), *self.attributes]
        )
        processors = []
        if not self.console_only:
            options = ", ".join(f"{k}: {v}" for k, v in self.batch_options)
            processors.append(
                f"new BatchSpanProcessor({self.exporter}{f', {{ {options} }}' if options else ''})"
            )
        if self.console or self.console_only:
            processors.append("new SimpleSpanProcessor(new ConsoleSpanExporter())")
        lines = [f"// TODO(otmigrate): {todo}" for todo in self.todos]
        lines += [
            f"const {self.provider} = new NodeTracerProvider({{",
            f"  resource: resourceFromAttributes({{ {resource} }}),",
            f"  sampler: new ParentBasedSampler({{ root: {self.sampler} }}),",
            *self._listed("  spanProcessors: [", processors, "],", indent),
            "});",
        ]
        if self.propagators == W3C:
            lines.append(f"{self.provider}.register();")
        else:
            lines += [f"{self.provider}.register({{", "  propagator: new CompositePropagator({"]
            parts = [self._propagator(name) for name in self.propagators]
            lines += self._listed("    propagators: [", parts, "],", indent)
            lines += ["  }),", "});"]
        if self.instrumentations:
            listed = [f"new {name}()" for name in self.instrumentations]
            one_line = f"registerInstrumentations({{ instrumentations: [{', '.join(listed)}] }});"
            if len(indent) + len(one_line) <= MAX_LINE:
                lines.append(one_line)
            else:
                listing = self._listed("  instrumentations: [", listed, "],", indent)
                lines += ["registerInstrumentations({", *listing, "});"]
        return "\n".join(indent + line if line else line for line in lines)

    @staticmethod
    def _listed(head: str, items: list[str], tail: str, indent: str) -> list[str]:
        """`head items tail` on one line, or one item a line when that is too long."""
        one_line = f"{head}{', '.join(items)}{tail}"
        if len(indent) + len(one_line) <= MAX_LINE:
            return [one_line]
        pad = head[: len(head) - len(head.lstrip())]
        return [head.rstrip(), *(f"{pad}  {item}," for item in items), f"{pad}{tail}"]

    def _propagator(self, name: str) -> str:
        constructor = PROPAGATORS[name][0]
        if name == "jaeger" and self.jaeger_propagator_options:
            return constructor.replace("()", f"({self.jaeger_propagator_options})")
        return constructor

    def needed_imports(self) -> dict[str, set[str]]:
        needed: dict[str, set[str]] = {
            "@opentelemetry/sdk-trace-node": {"NodeTracerProvider"},
            "@opentelemetry/resources": {"resourceFromAttributes"},
            "@opentelemetry/semantic-conventions": {"ATTR_SERVICE_NAME"},
            SDK_BASE: {"ParentBasedSampler", *re.findall(r"new (\w+Sampler)\b", self.sampler)},
        }
        if not self.console_only:
            needed[SDK_BASE].add("BatchSpanProcessor")
            needed.setdefault(self.exporter_import[0], set()).add(self.exporter_import[1])
        if self.console or self.console_only:
            needed[SDK_BASE] |= {"SimpleSpanProcessor", "ConsoleSpanExporter"}
        if self.propagators != W3C:
            needed.setdefault(CORE, set()).add("CompositePropagator")
            for name in self.propagators:
                _, module, names = PROPAGATORS[name]
                needed.setdefault(module, set()).update(names)
        for name in self.instrumentations:
            needed.setdefault(INSTRUMENTATIONS[name], set()).add(name)
            needed.setdefault("@opentelemetry/instrumentation", set()).add("registerInstrumentations")
        return needed


def fleet_propagators(configured: list[str] | None, legacy: str) -> list[str]:
    """W3C plus the legacy format, so the service keeps one trace with services not migrated yet (§8).

    `propagators` in the configuration overrides this (["tracecontext", "baggage"] once the whole
    fleet speaks W3C), as for Python.
    """
    if configured is not None:
        return [name for name in configured if name in PROPAGATORS]
    return [*W3C, legacy]


# ---- small JavaScript syntax helpers shared by the jaeger and zipkin transforms ----


def is_esm(root: SgNode) -> bool:
    return any(s.kind() in ("import_statement", "export_statement") for s in root.children())


def literal(node: SgNode | None) -> str | float | bool | None:
    """The value of a string, number or boolean literal; None for anything else."""
    if node is None:
        return None
    if node.kind() == "string":
        return node.text()[1:-1]
    if node.kind() == "number":
        try:
            return float(node.text())
        except ValueError:
            return None
    if node.kind() in ("true", "false"):
        return node.kind() == "true"
    return None


def object_fields(node: SgNode | None, todos: list[str], what: str) -> dict[str, SgNode]:
    """An object literal's `key: value` pairs (shorthand `key` too); other members become TODOs."""
    if node is None:
        return {}
    if node.kind() != "object":
        todos.append(f"{what} is not an object literal: set it up by hand")
        return {}
    found: dict[str, SgNode] = {}
    for member in node.named_children():
        if member.kind() == "pair":
            key, value = member.field("key"), member.field("value")
            name = literal(key) if key is not None and key.kind() == "string" else key and key.text()
            if key is not None and key.kind() in ("property_identifier", "string") and value is not None:
                found[str(name)] = value
                continue
        elif member.kind() == "shorthand_property_identifier":
            found[member.text()] = member
            continue
        if member.kind() != "comment":
            todos.append(f"{what}: '{member.text()}' was not migrated")
    return found


def full_lines(source: str, node: SgNode) -> tuple[int, int]:
    """The span of a statement with its indentation and line break, for deleting it."""
    start = source.rfind("\n", 0, node.range().start.index) + 1
    end = node.range().end.index
    if source[end : end + 1] == "\n":
        end += 1
    return start, end


def resolve(node: SgNode | None, ctx: TransformContext, edits: list) -> SgNode | None:
    """What an identifier argument was declared as in an enclosing block (`const config = {...}`); the
    declaration goes (an edit) when the set-up was its only use."""
    if node is None or node.kind() not in ("identifier", "shorthand_property_identifier"):
        return node
    for block in node.ancestors():
        if block.kind() not in ("statement_block", "program"):
            continue
        for statement in block.named_children():
            if statement.kind() not in ("lexical_declaration", "variable_declaration"):
                continue
            for declarator in statement.named_children():
                name, value = declarator.field("name"), declarator.field("value")
                if name is None or value is None or name.text() != node.text():
                    continue
                uses = [i for i in block.find_all(kind=node.kind()) if i.text() == node.text()]
                uses += [i for i in block.find_all(kind="identifier") if i.text() == node.text()]
                if len({u.range().start.index for u in uses}) == 2 and len(statement.named_children()) == 1:
                    edits.append((*full_lines(ctx.source, statement), ""))
                return value
    return node


def resource_attributes(node: SgNode | None, todos: list[str], what: str) -> list[tuple[str, str]]:
    """Tracer tags (jaeger options.tags, zipkin defaultTags) as resource attributes: (key, value) code."""
    if node is None:
        return []
    if node.kind() != "object":
        todos.append(f"{what} is not an object literal: add the tags to the resource by hand")
        return []
    pairs = [p for p in node.named_children() if p.kind() == "pair"]
    return [(p.field("key").text(), p.field("value").text()) for p in pairs]


def leftover_todos(todos: list[str], what: str, keys: Iterable[str], ignored: Collection[str] = ()) -> None:
    """A TODO for every legacy option the set-up did not take over (nor drops on purpose)."""
    todos += [f"{what} '{key}' has no OpenTelemetry counterpart here" for key in keys if key not in ignored]


def todo(ctx: TransformContext, source: str, node: SgNode, rule: str, reason: str) -> list[jscode.Edit]:
    """`// TODO(otmigrate): reason` above the statement, reported once (a later pass finds it there)."""
    edit = jscode.todo_edit(source, node, reason)
    if edit is None:
        return []
    ctx.manual(jscode.line_of(node), rule, reason)
    return [edit]


def report_on_input_lines(ctx: TransformContext, first: int, reported_on: str) -> None:
    """Changes from `first` on name lines of `reported_on` (an intermediate source): use the input's."""
    lines = line_map(reported_on, ctx.source)
    for index in range(first, len(ctx.changes)):
        change = ctx.changes[index]
        ctx.changes[index] = replace(change, line=lines[min(change.line, len(lines)) - 1])


def report_todos(ctx: TransformContext, node: SgNode, rule: str, todos: list[str]) -> None:
    for todo in todos:
        ctx.manual(node.range().start.line + 1, rule, todo)


def names_of(bindings: tuple[Binding, ...], module: str, member: str) -> list[str]:
    """How the file spells `member` of `module`: `initTracer`, `jaeger.initTracer`, ..."""
    spelled = []
    for b in bindings:
        if b.module != module:
            continue
        if b.member == member:
            spelled.append(b.local)
        elif b.member is None:
            spelled.append(f"{b.local}.{member}")
    return spelled


def identifier_used(source: str, name: str) -> bool:
    return re.search(rf"(?<![\w$.]){re.escape(name)}(?![\w$])", source) is not None


def free_name(source: str, wanted: str, fallback: str) -> str:
    return fallback if identifier_used(source, wanted) else wanted


def add_imports(source: str, root: SgNode, needed: dict[str, set[str]], before: int) -> str:
    """Add `needed` (module -> names) after the last top-level import preceding `before`, in the file's style.

    Names the file already binds are skipped (a second declaration would not load).
    """
    esm = is_esm(root)
    anchor = None
    for statement in root.children():
        if statement.range().start.index >= before:
            break
        text = statement.text()
        if statement.kind() == "import_statement" or (
            statement.kind() in ("lexical_declaration", "variable_declaration") and "require(" in text
        ):
            anchor = statement
        elif statement.kind() == "expression_statement" and text.startswith(("'use strict'", '"use strict"')):
            anchor = anchor or statement
    lines = []
    style = jscode.style_of(root)
    end = ";" if style.semicolons else ""
    for module in sorted(needed):
        names = sorted(n for n in needed[module] if not _imported(root, n))
        if not names:
            continue
        listed = ", ".join(names)
        lines.append(
            f"import {{ {listed} }} from {style.string(module)}{end}"
            if esm
            else f"const {{ {listed} }} = require({style.string(module)}){end}"
        )
    if not lines:
        return source
    if anchor is None:
        return "\n".join(lines) + "\n" + source
    end = anchor.range().end.index
    return source[:end] + "\n" + "\n".join(lines) + source[end:]


def _imported(root: SgNode, name: str) -> bool:
    for statement in root.children():
        text = statement.text()
        if ("require(" in text or statement.kind() == "import_statement") and identifier_used(text, name):
            return True
    return False


def add_api_names(ctx: TransformContext, *names: str) -> None:
    """Ask the import pass for `@opentelemetry/api` names (added only where the code uses them)."""
    for name in names:
        spec = f"@opentelemetry/api:{name}"
        if spec not in ctx.imports_needed:
            ctx.imports_needed.append(spec)


def finish_setups(source: str, ctx: TransformContext, setups: list[Setup]) -> str:
    """Add the packages the set-ups use, after the imports that precede the first set-up."""
    from ast_grep_py import SgRoot

    needed: dict[str, set[str]] = {}
    for setup in setups:
        for module, names in setup.needed_imports().items():
            needed.setdefault(module, set()).update(names)
    first = source.find("new NodeTracerProvider(")
    root = SgRoot(source, ctx.language.grep_language).root()
    return add_imports(source, root, needed, first if first >= 0 else len(source))


def drop_unused_tracers(source: str, variables: dict[str, str], grammar: str = "javascript") -> str:
    """Remove `const tracer = trace.getTracer(...)` when nothing but its own declaration names it
    (`module.exports = { tracer }` names it too)."""
    root = jscode.parse(source, grammar)
    edits = []
    for variable in variables:
        names = root.find_all(kind="identifier") + root.find_all(kind="shorthand_property_identifier")
        uses = [i for i in names if i.text() == variable]
        if len(uses) == 1 and re.fullmatch(
            r"(?:const|let|var) \w+ = trace\.getTracer\(.*\);",
            (statement := jscode.statement_of(uses[0])).text(),
        ):
            edits.append((*full_lines(source, statement), ""))
    return jscode.apply_edits(source, edits)
