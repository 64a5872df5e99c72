"""opentracing-javascript calls → @opentelemetry/api (api-mapping §4.1, §5, §6).

One handler, `migrate_opentracing`, runs the rewrite in steps; each step parses the current text,
collects edits and applies them, so later steps see earlier results (extract → startSpan → span
methods → null checks → span lifecycle → a TODO on any OpenTracing span method left). Every step
recognises its own output and leaves it alone, which is what makes the engine's fixpoint settle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext
from otmigrate.languages.javascript import span_refs, tags
from otmigrate.languages.javascript.baggage import thread_baggage
from otmigrate.languages.javascript.jscode import (
    Edit,
    Style,
    apply_edits,
    args_of,
    enclosing_scope,
    indent_at,
    line_of,
    line_start,
    method_call,
    parse,
    string_value,
    style_of,
    todo_edit,
)
from otmigrate.languages.javascript.leftovers import flag_legacy_calls
from otmigrate.languages.javascript.lifecycle import end_spans_safely
from otmigrate.languages.javascript.tracer_name import tracer_name

API = "@opentelemetry/api"
START, METHODS, BAGGAGE = "js-opentracing-start-span", "js-opentracing-span-methods", "js-opentracing-baggage"
PROPAGATION = "js-opentracing-inject-extract"  # the rule ids the changes are reported under
REGISTER, GLOBAL = "js-opentracing-init-global-tracer", "js-opentracing-global-tracer"
FINISH, RENAME, LOG_EVENT = (
    "js-opentracing-finish",
    "js-opentracing-set-operation-name",
    "js-opentracing-log-event",
)
API_NAMES = ("trace", "context", "propagation", "SpanKind", "SpanStatusCode")
TEXT_FORMATS = {
    "FORMAT_HTTP_HEADERS": "http_headers",
    "FORMAT_TEXT_MAP": "text_map",
    "FORMAT_BINARY": "binary",
}
REFERENCE_TYPES = {"childOf": "child_of", "followsFrom": "follows_from"}
REFERENCE_CONSTANTS = {"REFERENCE_CHILD_OF": "child_of", "REFERENCE_FOLLOWS_FROM": "follows_from"}
LEGACY_OPTIONS = {"childOf", "references", "tags"}
OTEL_OPTIONS = {"attributes", "kind", "links", "root"}
_SPAN_CONTEXT_NAME = re.compile(r"(?i)^(sc|ctx|spanctx)$|spancontext$|^parentcontext$")
_KIND_OPTION = re.compile(r"\bkind:\s*SpanKind\.(\w+)")


@dataclass
class LegacyNames:
    """How the file spells opentracing's exports: `opentracing.Tags`, `Tags`, `ot.followsFrom`…"""

    namespaces: set[str]
    members: dict[str, str]  # local name -> exported name

    @classmethod
    def of(cls, ctx: TransformContext) -> LegacyNames:
        legacy = [b for b in ctx.bindings if b.library == "opentracing"]
        members = {b.local: b.member for b in legacy if b.member}
        return cls({b.local for b in legacy if b.member is None}, members)

    def export(self, node: SgNode | None) -> str | None:
        """The opentracing export `node` names, if it names one."""
        if node is None:
            return None
        if node.kind() == "identifier":
            return self.members.get(node.text())
        if node.kind() == "member_expression":
            obj, prop = node.field("object"), node.field("property")
            if obj is not None and prop is not None and obj.text() in self.namespaces:
                return prop.text()
        return None

    def tag_constant(self, node: SgNode | None) -> str | None:
        """`Tags.X` / `opentracing.Tags.X` → "X"."""
        if node is None or node.kind() != "member_expression":
            return None
        if self.export(node.field("object")) == "Tags":
            prop = node.field("property")
            return prop.text() if prop is not None else None
        return None

    def text_format(self, node: SgNode) -> str | None:
        """http_headers / text_map / binary for a FORMAT_* constant or its string value."""
        name = self.export(node)
        if name in TEXT_FORMATS:
            return TEXT_FORMATS[name]
        value = string_value(node)
        return value if value in TEXT_FORMATS.values() else None


@dataclass
class Step:
    """One step over the current text: the parse, the file's style, and the edits collected."""

    ctx: TransformContext
    source: str
    names: LegacyNames
    root: SgNode = field(init=False)
    style: Style = field(init=False)
    edits: list[Edit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = parse(self.source, self.ctx.language.grep_language)
        self.style = style_of(self.root)

    def replace(self, node: SgNode, text: str, rule: str, message: str) -> None:
        """Replace `node`, unless a local binding hides an API name the new text needs (then a TODO)."""
        hidden = [name for name in API_NAMES if _writes(text, name) and name in local_bindings(node)]
        if hidden:
            self.todo(
                node,
                rule,
                f"the local name `{hidden[0]}` hides the OpenTelemetry API: rename it, migrate again",
            )
            return
        r = node.range()
        self.edit((r.start.index, r.end.index, keep_optional_chain(node, text)), line_of(node), rule, message)

    def edit(self, edit: Edit, line: int, rule: str, message: str) -> None:
        """A replacement, reported as migrated; the API names it writes are imported."""
        self.edits.append(edit)
        self.ctx.migrated(line, rule, message)
        text = edit[2]
        for name in API_NAMES:
            spec = f"{API}:{name}"
            if _writes(text, name) and spec not in self.ctx.imports_needed:
                self.ctx.imports_needed.append(spec)

    def todo(self, node: SgNode, rule: str, reason: str) -> None:
        edit = todo_edit(self.source, node, reason)
        if edit is not None:
            self.edits.append(edit)
            self.ctx.manual(line_of(node), rule, reason)

    def result(self) -> str:
        return apply_edits(self.source, self.edits)


def keep_optional_chain(call: SgNode, text: str) -> str:
    """`this.span?.setTag(k, v)` → `this.span?.setAttribute(k, v)`: a receiver that may be undefined stays
    guarded in every call the replacement makes on it (dropping the `?.` throws where it was a no-op)."""
    function = call.field("function") if call.kind() == "call_expression" else None
    if function is None or function.kind() != "member_expression":
        return text
    receiver = function.field("object")
    if receiver is None or not any(c.kind() == "optional_chain" for c in function.children()):
        return text
    return re.sub(rf"(?<![\w$.]){re.escape(receiver.text())}\.(?!\.)", receiver.text() + "?.", text)


def _writes(text: str, name: str) -> bool:
    """Whether generated text uses the API object `name` (`context.active()`, `SpanKind.SERVER`)."""
    return re.search(rf"(?<![\w$.]){name}\.", text) is not None


_FUNCTION_KINDS = ("function_declaration", "function_expression", "arrow_function", "method_definition")


def local_bindings(node: SgNode) -> set[str]:
    """The names declared in the scopes around `node` (parameters, declarations, catch parameters),
    leaving out the @opentelemetry/api import itself."""
    names: set[str] = set()
    for scope in node.ancestors():
        if scope.kind() in _FUNCTION_KINDS:
            params = scope.field("parameters") or scope.field("parameter")
            if params is not None:
                names |= {
                    i.text()
                    for i in [params, *params.find_all(kind="identifier")]
                    if i.kind() == "identifier"
                }
        elif scope.kind() == "catch_clause":
            param = scope.field("parameter")
            names |= {param.text()} if param is not None else set()
        elif scope.kind() in ("statement_block", "program"):
            for statement in scope.children():
                if (
                    statement.kind() in ("lexical_declaration", "variable_declaration")
                    and API not in statement.text()
                ):
                    for declarator in statement.named_children():
                        bound = (
                            declarator.field("name") if declarator.kind() == "variable_declarator" else None
                        )
                        if bound is not None:
                            names |= {bound.text()} | {i.text() for i in bound.find_all(kind="identifier")}
                elif statement.kind() in ("function_declaration", "class_declaration"):
                    bound = statement.field("name")
                    names |= {bound.text()} if bound is not None else set()
    return names


def migrate_opentracing(ctx: TransformContext) -> str | None:
    """The opentracing handler: every step in order; None when nothing changed."""
    names = LegacyNames.of(ctx)
    source = ctx.source
    steps: list[Callable[[Step], None]] = [
        _global_tracers,
        _registrations,
        thread_baggage,
        _propagation,
        _start_spans,
        _span_methods,
        _extracted_checks,
        end_spans_safely,
        flag_legacy_calls,
    ]
    for step in steps:
        for _ in range(_LIFECYCLE_ROUNDS if step is end_spans_safely else 1):
            current = Step(ctx, source, names)
            step(current)
            done, source = source, current.result()
            if source == done:
                break
    return source if source != ctx.source else None


_LIFECYCLE_ROUNDS = 8
"""The lifecycle step wraps the innermost of nested spans first, and the outer one in a later round."""


# --- globalTracer / initGlobalTracer --------------------------------------------------------------


def _global_tracers(step: Step) -> None:
    """globalTracer() → trace.getTracer(name): a proxy to whichever provider gets registered."""
    name = step.style.string(tracer_name(step.ctx.path, step.ctx.settings))
    for call in step.root.find_all(kind="call_expression"):
        if step.names.export(call.field("function")) == "globalTracer" and not args_of(call):
            text = f"trace.getTracer({name})"
            step.replace(call, text, GLOBAL, f"globalTracer() → {text}")


def _registrations(step: Step) -> None:
    """initGlobalTracer(t): a jaeger-client tracer's is the set-up rewrite's (jaeger_setup.py drops it once
    the provider registers itself); an OpenTelemetry tracer's goes; any other tracer is left with a TODO,
    OTel registers providers."""
    for call in step.root.find_all(kind="call_expression"):
        if step.names.export(call.field("function")) != "initGlobalTracer":
            continue
        args = args_of(call)
        made_by = _tracer_made_by(step, args[0]) if len(args) == 1 else None
        if made_by == "jaeger" or (made_by == "otel" and _drop_registration(step, call, args[0])):
            continue
        if made_by == "otel":
            step.todo(call, REGISTER, _REGISTERED)
        else:
            imported = len(args) == 1 and _from_relative_module(step.root, args[0])
            step.todo(call, REGISTER, _REGISTER_IMPORTED if imported else _REGISTER)


_REGISTER = (
    "OpenTelemetry registers a TracerProvider, not a tracer: set up the SDK (new NodeTracerProvider({...})"
    ".register() from @opentelemetry/sdk-trace-node, with this tracer's exporter), then drop this call"
)
_REGISTER_IMPORTED = (
    "if this tracer comes from a jaeger-client / zipkin set-up that otmigrate migrated, its provider "
    "registers itself: drop this call; otherwise set up the SDK (new NodeTracerProvider({...}).register() "
    "from @opentelemetry/sdk-trace-node, with this tracer's exporter) and drop it"
)
_REGISTERED = (
    "this is an OpenTelemetry tracer now and its set-up registers the provider: drop initGlobalTracer "
    "(keep the set-up call)"
)


_DECLARATIONS = ("import_statement", "lexical_declaration", "variable_declaration")
_RELATIVE_MODULE = re.compile(r"""(?:from\s*|require\(\s*)['"]\.""")


def _from_relative_module(root: SgNode, node: SgNode) -> bool:
    """Whether `node` is a name the file imports or requires from one of the project's own modules."""
    if node.kind() != "identifier":
        return False
    for statement in root.children():
        if statement.kind() in _DECLARATIONS and _RELATIVE_MODULE.search(statement.text()):
            bound = statement.find_all(kind="identifier")
            bound += statement.find_all(kind="shorthand_property_identifier_pattern")
            if any(name.text() == node.text() for name in bound):
                return True
    return False


def _drop_registration(step: Step, call: SgNode, tracer: SgNode) -> bool:
    """`initGlobalTracer(t);` of an OpenTelemetry tracer goes (the provider registers itself); a set-up
    function's call stays as a statement (`initGlobalTracer(make('svc'))` → `make('svc');`). False when the
    call is inside an expression."""
    statement = call.parent()
    if statement is None or statement.kind() != "expression_statement":
        return False
    message = "initGlobalTracer(an OpenTelemetry tracer) goes: its set-up registers the provider"
    function = tracer.field("function") if tracer.kind() == "call_expression" else None
    if function is not None and function.text() != "trace.getTracer":
        step.replace(call, tracer.text(), REGISTER, message)
        return True
    r = statement.range()
    end = r.end.index + (1 if step.source[r.end.index : r.end.index + 1] == "\n" else 0)
    step.edit((line_start(step.source, r.start.index), end, ""), line_of(call), REGISTER, message)
    return True


def _tracer_made_by(step: Step, node: SgNode) -> str | None:
    """ "jaeger" for what jaeger-client's initTracer / initTracerFromEnv / new Tracer make (directly, through
    a variable, or a set-up function of this file calling one), "otel" for trace.getTracer's, else None."""
    values = span_refs.assigned_values(node) if node.kind() == "identifier" else [node]
    made = {_made_by(step, value) for value in values}
    return made.pop() if len(made) == 1 else None


def _made_by(step: Step, value: SgNode) -> str | None:
    callee = value.field("function") or value.field("constructor")
    if value.kind() not in ("call_expression", "new_expression") or callee is None:
        return None
    if callee.text() == "trace.getTracer":
        return "otel"
    if _jaeger_export(step, callee) in ("initTracer", "initTracerFromEnv", "Tracer"):
        return "jaeger"
    for function in step.root.find_all(kind="function_declaration"):
        name = function.field("name")
        if name is not None and name.text() == callee.text():
            calls = function.find_all(kind="call_expression")
            if any(_jaeger_export(step, c.field("function")) is not None for c in calls):
                return "jaeger"
            return "otel" if any(c.field("function").text() == "trace.getTracer" for c in calls) else None  # type: ignore[union-attr]
    return None


def _jaeger_export(step: Step, node: SgNode | None) -> str | None:
    """The jaeger-client export `node` names (`initTracer`, `jaeger.initTracer`), if any."""
    jaeger = [b for b in step.ctx.bindings if b.library == "jaeger"]
    if node is None:
        return None
    if node.kind() == "identifier":
        return next((b.member for b in jaeger if b.local == node.text()), None)
    obj, prop = node.field("object"), node.field("property")
    if node.kind() == "member_expression" and obj is not None and prop is not None:
        return prop.text() if any(b.member is None and b.local == obj.text() for b in jaeger) else None
    return None


# --- inject / extract -----------------------------------------------------------------------------


def _propagation(step: Step) -> None:
    """inject(span, FORMAT, carrier) → propagation.inject(ctx, carrier); extract → a Context."""
    for call in step.root.find_all(kind="call_expression"):
        found = method_call(call)
        if found is None:
            continue
        method = found[1]
        args = args_of(call)
        if method == "inject" and len(args) == 3 and step.names.text_format(args[1]):
            if step.names.text_format(args[1]) == "binary":
                step.todo(call, PROPAGATION, _BINARY)
                continue
            carrier_ctx = _context_of(step, args[0], PROPAGATION)
            step.replace(
                call,
                f"propagation.inject({carrier_ctx}, {args[2].text()})",
                PROPAGATION,
                "inject(span, format, carrier) → propagation.inject(context, carrier)",
            )
        elif method == "extract" and len(args) == 2 and step.names.text_format(args[0]):
            if step.names.text_format(args[0]) == "binary":
                step.todo(call, PROPAGATION, _BINARY)
                continue
            step.replace(
                call,
                f"propagation.extract(context.active(), {args[1].text()})",
                PROPAGATION,
                "extract(format, carrier) → propagation.extract(context.active(), carrier) (a Context)",
            )
            _retype_as_context(step, call)


def _retype_as_context(step: Step, call: SgNode) -> None:
    """TypeScript: `const parent: SpanContext | null = tracer.extract(...)` now holds a Context."""
    declarator = call.parent()
    annotation = declarator.field("type") if declarator is not None else None
    if declarator is None or declarator.kind() != "variable_declarator" or annotation is None:
        return
    r = annotation.range()
    step.edits.append((r.start.index, r.end.index, ": Context"))
    if f"{API}:Context" not in step.ctx.imports_needed:
        step.ctx.imports_needed.append(f"{API}:Context")


_BINARY = "FORMAT_BINARY has no OpenTelemetry propagator: carry the context in a text carrier instead"


def _extracted(root: SgNode) -> dict[str, list[tuple[int, int]]]:
    """Names bound to an extracted context (`const parent = tracer.extract(...)`, before or after), each
    with the spans of text (the enclosing function bodies) where that binding is the one in scope."""
    names: dict[str, list[tuple[int, int]]] = {}
    for declarator in root.find_all(kind="variable_declarator"):
        name, value = declarator.field("name"), declarator.field("value")
        if name is None or value is None or name.kind() != "identifier":
            continue
        found = method_call(value)
        if found is not None and found[1] == "extract":
            scope = enclosing_scope(declarator).range()
            names.setdefault(name.text(), []).append((scope.start.index, scope.end.index))
    return names


def _in_scope_of(identifier: SgNode, scopes: list[tuple[int, int]]) -> bool:
    at = identifier.range().start.index
    return any(start <= at < end for start, end in scopes)


def _held(node: SgNode) -> str | None:
    """What `node` holds: from its binding in the file, else from a name that says it (`…span`,
    `sc`, `…spanContext`), else None."""
    found = span_refs.holds(node)
    if found is not None:
        return found
    name = node.text()
    if node.kind() == "member_expression" and node.field("property") is not None:
        name = node.field("property").text()  # type: ignore[union-attr]
    elif node.kind() != "identifier":
        return None
    if span_refs.SPAN_NAME.search(name):
        return span_refs.SPAN
    return span_refs.SPAN_CONTEXT if _SPAN_CONTEXT_NAME.search(name) else None


def _span_context_text(node: SgNode) -> str:
    """A SpanContext expression in OTel terms: `x.context()` → `x.spanContext()`, else as written."""
    found = method_call(node)
    if found is not None and found[1] == "context" and not args_of(node):
        return f"{found[0].text()}.spanContext()"
    return node.text()


def _is_reference(node: SgNode) -> bool:
    """A name or a property path (`a`, `this.a.b`): evaluating it twice is harmless."""
    while node.kind() == "member_expression" and node.field("object") is not None:
        node = node.field("object")  # type: ignore[assignment]
    return node.kind() in ("identifier", "this")


def _context_of(step: Step, node: SgNode, rule: str) -> str:
    """The OTel Context for what OpenTracing took as a span, a SpanContext or an extracted context; when
    the file does not show which, a run-time check picks (an OTel Span has `spanContext()`)."""
    held = _held(node)
    if held == span_refs.CONTEXT:
        return node.text()
    if held == span_refs.SPAN_CONTEXT:
        return f"trace.setSpanContext(context.active(), {_span_context_text(node)})"
    as_span = f"trace.setSpan(context.active(), {node.text()})"
    if held == span_refs.SPAN and span_refs.is_optional(node):  # `parent: Span | undefined`: no parent
        return f"{node.text()} ? {as_span} : undefined"
    if held == span_refs.SPAN:
        return as_span
    if _is_reference(node):
        return f"trace.setSpanContext(context.active(), {_either(node)})"
    step.todo(
        node, rule, f"`{node.text()}` is taken for a Span: if it is a SpanContext, use trace.setSpanContext"
    )
    return as_span


def _either(node: SgNode) -> str:
    """The SpanContext of a Span or a SpanContext, decided at run time (an OTel Span has spanContext())."""
    return f"{node.text()}.spanContext?.() ?? {node.text()}"


# --- startSpan ------------------------------------------------------------------------------------


@dataclass
class TagSet:
    """A tags object read in OpenTelemetry terms."""

    kind: str | None = None  # SpanKind member
    attributes: list[str] = field(default_factory=list)  # rendered `key: value` properties
    error: str | None = None  # the error tag's value
    problems: list[str] = field(default_factory=list)  # TODO reasons


def _key_of(step: Step, key: SgNode) -> str | None:
    """The tag key a property key names (a literal, an identifier or `[Tags.X]`); None when dynamic."""
    if key.kind() in ("property_identifier", "number"):
        return key.text()
    if key.kind() == "string":
        return string_value(key)
    if key.kind() == "computed_property_name":
        inner = key.named_children()[0]
        constant = step.names.tag_constant(inner)
        if constant in tags.TAG_CONSTANTS:
            return tags.TAG_CONSTANTS[constant]
        return string_value(inner)
    return None


def _kind_of_value(step: Step, value: SgNode) -> str | None:
    constant = step.names.tag_constant(value)
    if constant in tags.KIND_CONSTANTS:
        return tags.KIND_CONSTANTS[constant]
    return tags.KIND_VALUES.get(string_value(value) or "")


def read_tags(step: Step, obj: SgNode, span_kind: str | None = None) -> TagSet:
    """span.kind → kind, error → status, sampling.priority dropped, other keys → semconv keys (by the
    kind the tags give, else `span_kind`)."""
    found = TagSet()
    entries = obj.named_children()
    for entry in entries:  # the kind first: peer.* keys depend on it
        key = entry.field("key") if entry.kind() == "pair" else None
        if key is not None and _key_of(step, key) == "span.kind":
            found.kind = _kind_of_value(step, entry.field("value"))
    for entry in entries:
        if entry.kind() == "comment":
            continue
        if entry.kind() != "pair":
            found.attributes.append(entry.text())
            if entry.kind() == "spread_element":
                found.problems.append(f"the tags spread by `{entry.text()}` keep their OpenTracing keys")
            continue
        key_node, value = entry.field("key"), entry.field("value")
        key = _key_of(step, key_node)
        if key is None:
            found.attributes.append(entry.text())
            continue
        if key == "span.kind":
            if found.kind is None:
                found.problems.append(f"span.kind from `{value.text()}`: set the kind at start by hand")
            continue
        if key == "error":
            found.error = value.text()
            continue
        if key in tags.NOT_ATTRIBUTES and key != "peer.address":
            found.problems.append(f"{tags.NOT_ATTRIBUTES[key]} (dropped `{entry.text()}`)")
            continue
        if key == "peer.address":
            found.problems.append(tags.NOT_ATTRIBUTES[key])
        found.attributes.append(_attribute(step, key_node, key, value, found.kind or span_kind))
    return found


def _attribute(step: Step, key_node: SgNode, key: str, value: SgNode, kind: str | None) -> str:
    new = tags.attribute_key(key, kind)
    if new == key and key_node.kind() != "computed_property_name":
        key_text = key_node.text()
    else:
        key_text = new if re.fullmatch(r"[A-Za-z_$][\w$]*", new) else step.style.string(new)
    value_text = value.text()
    if new == "db.system.name" and string_value(value) in tags.DB_SYSTEM_VALUES:
        value_text = step.style.string(tags.DB_SYSTEM_VALUES[string_value(value) or ""])
    return f"{key_text}: {value_text}"


def status_text(style: Style, error_value: str) -> str:
    """setStatus's argument for an `error` tag's value."""
    if error_value == "true":
        code = "SpanStatusCode.ERROR"
    elif error_value == "false":
        code = "SpanStatusCode.OK"
    else:
        code = f"{error_value} ? SpanStatusCode.ERROR : SpanStatusCode.OK"
    return style.object([f"code: {code}"])


def render_like(step: Step, template: SgNode, properties: list[str]) -> str:
    """An object literal of `properties`, laid out as `template` was (one line, or one per line)."""
    if not properties:
        return "{}"
    text = template.text()
    if "\n" in text:
        entries = [c for c in template.named_children() if c.kind() != "comment"]
        inner = indent_at(step.source, entries[0].range().start.index) if entries else step.style.indent
        closing = indent_at(step.source, template.range().end.index - 1)
        return "{\n" + "".join(f"{inner}{p},\n" for p in properties) + closing + "}"
    spaced = text[1] == " " if len(text) > 2 else step.style.spaced
    return Style(step.style.quote, spaced, step.style.indent).object(properties)


@dataclass(frozen=True)
class Reference:
    kind: str  # child_of | follows_from
    span_context: str  # the link's context
    parent: str  # the context argument, if this reference is the parent
    extracted: bool  # the referenced context came from extract (a Context, passed as is)


def _references(step: Step, array: SgNode) -> list[Reference] | None:
    """The references of a references array; None when one is not understood."""
    if array.kind() != "array":
        return None
    found = []
    for element in array.named_children():
        if element.kind() == "comment":
            continue
        args = args_of(element) if element.kind() in ("call_expression", "new_expression") else []
        if element.kind() == "call_expression":
            ref_type = REFERENCE_TYPES.get(step.names.export(element.field("function")) or "")
            target = args[0] if len(args) == 1 else None
        elif element.kind() == "new_expression" and _is_reference_class(step, element):
            ref_type = _reference_type(step, args[0]) if len(args) == 2 else None
            target = args[1] if len(args) == 2 else None
        else:
            return None
        if ref_type is None or target is None:
            return None
        held = _held(target)
        if held == span_refs.CONTEXT:
            found.append(Reference(ref_type, f"trace.getSpanContext({target.text()})", target.text(), True))
            continue
        if held == span_refs.SPAN_CONTEXT:
            span_context = _span_context_text(target)
        elif held == span_refs.SPAN or not _is_reference(target):
            span_context = f"{target.text()}.spanContext()"
            if held is None:
                step.todo(
                    array,
                    START,
                    f"`{target.text()}` is taken for a Span: if it is a SpanContext, drop .spanContext()",
                )
        else:
            span_context = _either(target)
        parent = f"trace.setSpanContext(context.active(), {span_context})"
        found.append(Reference(ref_type, span_context, parent, False))
    return found


def _is_reference_class(step: Step, new: SgNode) -> bool:
    return step.names.export(new.field("constructor")) == "Reference"


def _reference_type(step: Step, node: SgNode) -> str | None:
    constant = step.names.export(node)
    if constant in REFERENCE_CONSTANTS:
        return REFERENCE_CONSTANTS[constant]
    value = string_value(node)
    return value if value in REFERENCE_TYPES.values() else None


def _parent(step: Step, node: SgNode) -> str | None:
    """The context argument for `childOf: node`; None when it is no parent at all (null / undefined)."""
    if node.kind() == "binary_expression" and node.children()[1].text() in ("||", "??"):
        right = node.field("right")
        if right is not None and right.kind() in ("null", "undefined"):
            node = node.field("left") or node
    if node.kind() in ("null", "undefined"):
        return None
    return _context_of(step, node, START)


def _start_spans(step: Step) -> None:
    for call in step.root.find_all(kind="call_expression"):
        found = method_call(call)
        if found is not None and found[1] == "startSpan":
            _start_span(step, call)


def _start_span(step: Step, call: SgNode) -> None:
    rule = START
    args = args_of(call)
    if not args or len(args) > 2:
        return
    root_option = "root: true" if step.ctx.settings.js_root_spans else None
    if len(args) == 1:
        if root_option:
            text = _call_text(call, args[0].text(), step.style.object([root_option]))
            step.replace(call, text, rule, _ROOT)
        return
    options = args[1]
    if options.kind() != "object":
        step.todo(call, rule, "startSpan options that are not an object literal: map childOf/tags by hand")
        return
    entries = [e for e in options.named_children() if e.kind() != "comment"]
    by_key = {_option_name(e): e for e in entries}
    if not (LEGACY_OPTIONS & by_key.keys()) and OTEL_OPTIONS & by_key.keys():
        return  # already migrated
    if any(name is None for name in by_key):
        step.todo(call, rule, "startSpan options with a spread or computed key: map them by hand")
        return
    properties, problems, parent = _options(step, call, by_key)
    if properties is None:
        return
    if parent is None and root_option:
        properties.append(root_option)
    rendered = render_like(step, options, properties)
    tail = [rendered] if parent is None else [rendered, parent]
    step.replace(call, _call_text(call, args[0].text(), *tail), rule, _START)
    for problem in problems:
        step.todo(call, rule, problem)


_ROOT = "startSpan(name) was a root span in OpenTracing: {root: true}"
_START = "startSpan(name, {childOf, references, tags}) → startSpan(name, {kind, attributes, links}, ctx)"


def _option_name(entry: SgNode) -> str | None:
    if entry.kind() == "shorthand_property_identifier":
        return entry.text()
    key = entry.field("key") if entry.kind() == "pair" else None
    if key is None or key.kind() not in ("property_identifier", "string"):
        return None
    return key.text() if key.kind() == "property_identifier" else string_value(key)


def _option_value(entry: SgNode) -> SgNode:
    return entry if entry.kind() == "shorthand_property_identifier" else entry.field("value")  # type: ignore[return-value]


def _options(step: Step, call: SgNode, by_key: dict) -> tuple[list[str] | None, list[str], str | None]:
    """(new option properties, TODO reasons, parent context) — properties None when not migratable."""
    rule = START
    properties: list[str] = []
    problems: list[str] = []
    parent = None
    references: list[Reference] = []
    links = ""
    if "references" in by_key:
        value, condition = _option_value(by_key["references"]), None
        if value.kind() == "ternary_expression" and (value.field("alternative") or value).text() == "[]":
            condition, value = value.field("condition"), value.field("consequence") or value
        references = _references(step, value) or []
        understood = references or value.text() == "[]"
        if not understood or (condition is not None and not all(r.extracted for r in references)):
            step.todo(
                call, rule, "references other than childOf() / followsFrom() / new Reference(): by hand"
            )
            return None, [], None
        links = "[" + ", ".join(_link(step, r) for r in references) + "]"
        if condition is not None:
            links = f"{condition.text()} ? {links} : []"
    if "childOf" in by_key:
        parent = _parent(step, _option_value(by_key["childOf"]))
    elif references:
        parent = next((r for r in references if r.kind == "child_of"), references[0]).parent
    tag_set = TagSet()
    if "tags" in by_key:
        value = _option_value(by_key["tags"])
        if value.kind() == "object":
            tag_set = read_tags(step, value)
        else:
            tag_set.attributes = []
            properties.append(f"attributes: {value.text()}")
            problems.append(_untyped_tags(value))
    if tag_set.kind:
        properties.append(f"kind: SpanKind.{tag_set.kind}")
    if tag_set.attributes:
        attributes = render_like(step, _option_value(by_key["tags"]), tag_set.attributes)
        properties.append(f"attributes: {attributes}")
    if references:
        properties.append(f"links: {links}")
    for name, entry in by_key.items():
        if name not in LEGACY_OPTIONS:
            properties.append(entry.text())
    problems += tag_set.problems
    if tag_set.error is not None and not _status_after(step, call, tag_set.error):
        problems.append(f"the error tag given at start ({tag_set.error}): call span.setStatus after it")
    return properties, problems, parent


def _status_after(step: Step, call: SgNode, error: str) -> bool:
    """`span.setStatus(...)` right after `const span = tracer.startSpan(...)` for an `error` start tag."""
    declarator = call.parent()
    declaration = declarator.parent() if declarator is not None else None
    name = (
        declarator.field("name")
        if declarator is not None and declarator.kind() == "variable_declarator"
        else None
    )
    if name is None or name.kind() != "identifier" or declaration is None:
        return False
    if declaration.parent() is None or declaration.parent().kind() not in ("statement_block", "program"):
        return False
    end = declaration.range().end.index
    indent = indent_at(step.source, declaration.range().start.index)
    text = f"\n{indent}{name.text()}.setStatus({status_text(step.style, error)});"
    step.edit((end, end, text), line_of(call), START, "the error tag at start → setStatus after the start")
    return True


def _untyped_tags(value: SgNode) -> str:
    return f"tags from `{value.text()}` keep their OpenTracing keys (span.kind, error, semconv names)"


def _link(step: Step, reference: Reference) -> str:
    """A link carrying the reference type (api-mapping §1.8)."""
    ref_type = f"{step.style.string('opentracing.ref_type')}: {step.style.string(reference.kind)}"
    return step.style.object(
        [f"context: {reference.span_context}", f"attributes: {step.style.object([ref_type])}"]
    )


def _call_text(call: SgNode, *args: str) -> str:
    function = call.field("function")
    return f"{function.text() if function is not None else ''}({', '.join(args)})"


# --- span methods ---------------------------------------------------------------------------------


def _span_methods(step: Step) -> None:
    handlers = {
        "setTag": _set_tag,
        "addTags": _add_tags,
        "log": _log,
        "context": _context,
        "getBaggageItem": _get_baggage,
        "setBaggageItem": _set_baggage,
        "tracer": _tracer,
        "finish": _finish,
        "setOperationName": _set_operation_name,
        "logEvent": _log_event,
    }
    for call in step.root.find_all(kind="call_expression"):
        found = method_call(call)
        if found is None or found[1] not in handlers or not span_refs.is_span(found[0]):
            continue
        handlers[found[1]](step, call, found[0], args_of(call))


def _kind_of_span(step: Step, span: SgNode) -> str | None:
    """The kind of the span `span` names, from its start call in the same function, or from a span.kind
    tag set on it there (which the rewrite hoists into the start)."""
    scope = enclosing_scope(span)
    for declarator in scope.find_all(kind="variable_declarator"):
        bound, value = declarator.field("name"), declarator.field("value")
        if bound is not None and value is not None and bound.text() == span.text():
            kind = _KIND_OPTION.search(value.text())
            if kind:
                return kind.group(1)
    for call in scope.find_all(kind="call_expression"):
        found, args = method_call(call), args_of(call)
        on_span = found is not None and found[0].text() == span.text() and found[1] == "setTag"
        if on_span and len(args) == 2 and _tag_key(step, args[0]) == "span.kind":
            return _kind_of_value(step, args[1])
    return None


def _tag_key(step: Step, key: SgNode) -> str | None:
    """The tag key setTag's first argument names (`Tags.X` or a literal)."""
    constant = step.names.tag_constant(key)
    return tags.TAG_CONSTANTS.get(constant or "") if constant else string_value(key)


def _hoist_kind(step: Step, call: SgNode, span: SgNode, kind: str | None) -> bool:
    """`span.setTag(span.kind, k)` as a statement in the block that starts the span: the kind moves into
    the start options (OTel takes it only there) and the statement goes. False when it cannot."""
    statement = call.parent()
    start = span_refs.start_in_block(statement, span.text()) if statement is not None else None
    if kind is None or start is None or statement.kind() != "expression_statement":  # type: ignore[union-attr]
        return False
    args = args_of(start)
    option = f"kind: SpanKind.{kind}"
    options = args[1] if len(args) > 1 else None
    if options is None:
        at = args[0].range().end.index
        insert = (at, at, f", {step.style.object([option])}")
    elif options.kind() != "object":
        return False
    elif given := _KIND_OPTION.search(options.text()):  # the later tag won in OpenTracing
        at = options.range().start.index + given.start()
        insert = (at, at + len(given.group(0)), option)
    else:
        entries = [e for e in options.named_children() if e.kind() != "comment"]
        if not entries:
            r = options.range()
            insert = (r.start.index, r.end.index, step.style.object([option]))
        else:
            at = entries[0].range().start.index
            separator = f",\n{indent_at(step.source, at)}" if "\n" in options.text() else ", "
            insert = (at, at, option + separator)
    message = "span.kind set after the start → kind in the startSpan options"
    step.edit(insert, line_of(call), METHODS, message)
    r = statement.range()  # type: ignore[union-attr]
    begin = line_start(step.source, r.start.index)
    end = r.end.index + (1 if step.source[r.end.index : r.end.index + 1] == "\n" else 0)
    step.edits.append((begin, end, ""))
    return True


def _set_tag(step: Step, call: SgNode, span: SgNode, args: list[SgNode]) -> None:
    rule = METHODS
    if len(args) != 2:
        return
    key_node, value = args
    key = _tag_key(step, key_node)
    if key == "error":
        text = f"{span.text()}.setStatus({status_text(step.style, value.text())})"
        step.replace(call, text, rule, "setTag('error', v) → setStatus(ERROR | OK)")
        return
    if key == "span.kind":
        if not _hoist_kind(step, call, span, _kind_of_value(step, value)):
            step.todo(call, rule, _LATE_KIND)
        return
    if key in tags.NOT_ATTRIBUTES and key != "peer.address":
        step.todo(call, rule, tags.NOT_ATTRIBUTES[key])
        return
    if key is None:
        new_key = key_node.text()
    else:
        new_key = step.style.string(tags.attribute_key(key, _kind_of_span(step, span)))
        if key == "peer.address":
            step.todo(call, rule, tags.NOT_ATTRIBUTES[key])
    value_text = value.text()
    if key == "db.type" and string_value(value) in tags.DB_SYSTEM_VALUES:
        value_text = step.style.string(tags.DB_SYSTEM_VALUES[string_value(value) or ""])
    step.replace(call, f"{span.text()}.setAttribute({new_key}, {value_text})", rule, "setTag → setAttribute")


_LATE_KIND = "span.kind set after the start: OpenTelemetry takes the kind only at startSpan"


def _add_tags(step: Step, call: SgNode, span: SgNode, args: list[SgNode]) -> None:
    rule = METHODS
    if len(args) != 1:
        return
    if args[0].kind() != "object":
        step.replace(call, f"{span.text()}.setAttributes({args[0].text()})", rule, "addTags → setAttributes")
        step.todo(call, rule, _untyped_tags(args[0]))
        return
    found = read_tags(step, args[0], _kind_of_span(step, span))
    calls = []
    if found.attributes:
        calls.append(f"{span.text()}.setAttributes({render_like(step, args[0], found.attributes)})")
    if found.error is not None:
        calls.append(f"{span.text()}.setStatus({status_text(step.style, found.error)})")
    if found.kind is not None:
        found.problems.append(_LATE_KIND)
    statement = call.parent()
    if len(calls) != 1 and (statement is None or statement.kind() != "expression_statement"):
        step.todo(call, rule, "addTags inside an expression: split it into setAttributes + setStatus by hand")
        return
    if calls:
        indent = indent_at(step.source, call.range().start.index)
        step.replace(call, f";\n{indent}".join(calls), rule, "addTags → setAttributes (+ setStatus)")
    for problem in found.problems:
        step.todo(call, rule, problem)


def _log(step: Step, call: SgNode, span: SgNode, args: list[SgNode]) -> None:
    rule = METHODS
    if not args or len(args) > 2:
        return
    fields, timestamp = args[0], (args[1].text() if len(args) == 2 else None)
    if fields.kind() != "object":
        step.todo(call, rule, f"log({fields.text()}): the event name and error fields are not known here")
        return
    by_key: dict[str, SgNode] = {}
    rest: list[SgNode] = []
    for entry in (e for e in fields.named_children() if e.kind() != "comment"):
        key = entry.field("key") if entry.kind() == "pair" else None
        name = _key_of(step, key) if key is not None else None
        if name in ("event", "error.object", "message", "stack", "error.kind"):
            by_key[name] = entry.field("value")
        else:
            rest.append(entry)
    event = by_key.get("event")
    if event is not None and string_value(event) == "error":
        _log_error(step, call, span, fields, by_key, rest, timestamp)
        return
    kept = [entry.text() for entry in rest] + [
        f"{step.style.string(name) if '.' in name else name}: {by_key[name].text()}"
        for name in ("error.object", "message", "stack", "error.kind")
        if name in by_key
    ]
    args_text = [event.text() if event is not None else step.style.string("log")]
    if kept:
        args_text.append(render_like(step, fields, kept))
    if timestamp is not None:
        args_text.append(timestamp)
    text = f"{span.text()}.addEvent({', '.join(args_text)})"
    step.replace(call, text, rule, "log(fields) → addEvent(name, attributes)")


def _log_error(
    step: Step,
    call: SgNode,
    span: SgNode,
    fields: SgNode,
    by_key: dict[str, SgNode],
    rest: list[SgNode],
    timestamp: str | None,
) -> None:
    """An error log → recordException (or an `exception` event) + setStatus(ERROR, message) (§6)."""
    rule = METHODS
    statement = call.parent()
    if statement is None or statement.kind() != "expression_statement":
        step.todo(call, rule, "an error log inside an expression: recordException + setStatus by hand")
        return
    error, message = by_key.get("error.object"), by_key.get("message")
    status = ["code: SpanStatusCode.ERROR"]
    if message is not None:
        status.append(f"message: {message.text()}")
    elif error is not None and error.kind() == "identifier":
        status.append(f"message: {error.text()}.message")
    if error is not None:
        first = f"{span.text()}.recordException({error.text()}{', ' + timestamp if timestamp else ''})"
        if rest or "stack" in by_key or "error.kind" in by_key:
            dropped = ", ".join(e.text() for e in rest) or "stack/error.kind"
            step.todo(call, rule, f"recordException carries no extra log fields: {dropped} not recorded")
    else:
        renamed = {
            "error.kind": "exception.type",
            "message": "exception.message",
            "stack": "exception.stacktrace",
        }
        attributes = [e.text() for e in rest] + [
            f"{step.style.string(new)}: {by_key[old].text()}" for old, new in renamed.items() if old in by_key
        ]
        event_args = [step.style.string("exception"), render_like(step, fields, attributes)]
        first = f"{span.text()}.addEvent({', '.join(event_args + ([timestamp] if timestamp else []))})"
    indent = indent_at(step.source, call.range().start.index)
    text = f"{first};\n{indent}{span.text()}.setStatus({step.style.object(status)})"
    step.replace(call, text, rule, "log({event: 'error', ...}) → recordException + setStatus(ERROR)")


def _context(step: Step, call: SgNode, span: SgNode, args: list[SgNode]) -> None:
    if args:
        return
    outer = call.parent()
    accessor = None
    holder = outer.parent() if outer is not None and outer.kind() == "member_expression" else None
    if holder is not None and holder.kind() == "call_expression":
        prop = outer.field("property")  # type: ignore[union-attr]
        if prop is not None and prop.text() in ("toTraceId", "toSpanId"):
            accessor = holder, "traceId" if prop.text() == "toTraceId" else "spanId"
    if accessor is not None:
        node, member = accessor
        step.replace(node, f"{span.text()}.spanContext().{member}", METHODS, _IDS)
        return
    step.replace(call, f"{span.text()}.spanContext()", METHODS, "context() → spanContext()")


_IDS = "context().toTraceId() / toSpanId() → spanContext().traceId / spanId"


def _get_baggage(step: Step, call: SgNode, span: SgNode, args: list[SgNode]) -> None:
    """Baggage read from a span started from an extracted context comes from that context."""
    rule = BAGGAGE
    parent = _parent_context_name(step, span)
    if parent is None or len(args) != 1:
        step.todo(call, rule, _BAGGAGE)
        return
    text = f"propagation.getBaggage({parent})?.getEntry({args[0].text()})?.value"
    step.replace(call, text, rule, "getBaggageItem(k) → propagation.getBaggage(ctx)?.getEntry(k)?.value")


def _set_baggage(step: Step, call: SgNode, span: SgNode, args: list[SgNode]) -> None:
    step.todo(call, BAGGAGE, _BAGGAGE)


_BAGGAGE = (
    "baggage lives in the Context in OpenTelemetry: propagation.setBaggage(ctx, bag) / "
    "propagation.getBaggage(ctx), and that context must be passed on"
)


def _tracer(step: Step, call: SgNode, span: SgNode, args: list[SgNode]) -> None:
    if not args:
        step.todo(call, METHODS, "span.tracer() has no OpenTelemetry equivalent")


def _finish(step: Step, call: SgNode, span: SgNode, args: list[SgNode]) -> None:
    if len(args) <= 1:  # both take epoch milliseconds
        text = f"{span.text()}.end({args[0].text() if args else ''})"
        step.replace(call, text, FINISH, "span.finish(t) → span.end(t)")


def _set_operation_name(step: Step, call: SgNode, span: SgNode, args: list[SgNode]) -> None:
    if len(args) == 1:
        text = f"{span.text()}.updateName({args[0].text()})"
        step.replace(call, text, RENAME, "setOperationName(n) → updateName(n)")


def _log_event(step: Step, call: SgNode, span: SgNode, args: list[SgNode]) -> None:
    """logEvent(name[, payload]) → addEvent(name[, attributes]). A payload that is not an object literal is
    left to a person: addEvent takes a number as the event's time, and attributes only as an object."""
    if not args or len(args) > 2:
        return
    payload = args[1] if len(args) == 2 else None
    if payload is not None and payload.kind() != "object":
        reason = f"logEvent payload `{payload.text()}`: {_PAYLOAD}"
        step.todo(call, LOG_EVENT, reason)
        return
    text = f"{span.text()}.addEvent({', '.join(a.text() for a in args)})"
    step.replace(call, text, LOG_EVENT, "logEvent(name[, payload]) → addEvent(name[, attributes])")


_PAYLOAD = "addEvent takes an object of attributes (a number is taken for the event time)"


def _parent_context_name(step: Step, span: SgNode) -> str | None:
    """The local Context (extracted, or made with baggage) a span was started from: its startSpan's third
    argument, if any."""
    for declarator in enclosing_scope(span).find_all(kind="variable_declarator"):
        bound, value = declarator.field("name"), declarator.field("value")
        if bound is None or value is None or bound.text() != span.text():
            continue
        args = args_of(value) if value.kind() == "call_expression" else []
        parent = args[2] if len(args) == 3 and args[2].kind() == "identifier" else None
        if parent is not None and span_refs.holds(parent) == span_refs.CONTEXT:
            return parent.text()
    return None


# --- checks on an extracted context ---------------------------------------------------------------


def _extracted_checks(step: Step) -> None:
    """`ctx === null` / `!ctx` / `if (ctx)` on what extract returned → trace.getSpanContext(ctx) checks."""
    names = _extracted(step.root)
    for identifier in step.root.find_all(kind="identifier"):
        name = identifier.text()
        if name not in names or not _in_scope_of(identifier, names[name]):
            continue
        parent = identifier.parent()
        if parent is None:
            continue
        check = f"trace.getSpanContext({name})"
        if parent.kind() == "binary_expression":
            operator = parent.children()[1].text()
            other = parent.field("right") if parent.field("left") == identifier else parent.field("left")
            nullish = other is not None and other.kind() in ("null", "undefined")
            if operator in ("===", "==", "!==", "!=") and nullish:
                negated = "!==" if operator.startswith("!") else "==="
                step.replace(parent, f"{check} {negated} undefined", PROPAGATION, _CHECK)
                continue
            if operator == "&&":
                step.replace(identifier, check, PROPAGATION, _CHECK)
                continue
        if _is_condition(parent, identifier):
            step.replace(identifier, check, PROPAGATION, _CHECK)
        elif not _context_use(parent, identifier):
            reason = (
                f"extract returns a Context now (never null, not a SpanContext): check this use of {name}"
            )
            step.todo(identifier, PROPAGATION, reason)


def _is_condition(parent: SgNode, identifier: SgNode) -> bool:
    """`!ctx`, `if (ctx)`, `while (ctx)`, `ctx ? a : b`: a truth test of the identifier."""
    if parent.kind() == "unary_expression":
        return parent.children()[0].text() == "!"
    if parent.kind() == "parenthesized_expression":
        holder = parent.parent()
        return holder is not None and holder.kind() in ("if_statement", "while_statement")
    return parent.kind() == "ternary_expression" and parent.field("condition") == identifier


_CHECK = "a null check on extract's result → trace.getSpanContext(ctx) === undefined"


def _context_use(parent: SgNode, identifier: SgNode) -> bool:
    """Uses of an extracted Context that are right as they are."""
    if parent.kind() == "variable_declarator":
        return True
    if parent.kind() == "arguments":
        call = parent.parent()
        function = call.field("function") if call is not None else None
        text = function.text() if function is not None else ""
        if text in ("trace.getSpanContext", "propagation.getBaggage", "context.with", "propagation.inject"):
            return True
        return text.endswith(".startSpan") and len(args_of(call)) == 3 and args_of(call)[2] == identifier  # type: ignore[arg-type]
    return False
