"""The state one pass of the opentracing-go migration shares between its steps (ot_*.py).

Steps read the pass's source and syntax tree, and add edits; the edits are applied together at the end
of the pass, and the engine repeats passes until nothing changes. A step that cannot translate a call
leaves it and puts a `TODO(otmigrate)` comment above its statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ast_grep_py import SgNode

from otmigrate.engine import TransformContext
from otmigrate.languages.go.source_edits import (
    Edit,
    apply_edits,
    call_name,
    enclosing_function,
    enclosing_statement,
    indent_of,
    line_of,
    named,
    removal,
    shifted,
    sides,
)
from otmigrate.languages.go.type_inference import declared_types, type_of

OT = "github.com/opentracing/opentracing-go"
LEGACY_PACKAGES = {"opentracing": OT, "ext": f"{OT}/ext", "otlog": f"{OT}/log"}
OTEL_TRACE_PACKAGES = ("trace", "oteltrace")
FROM_CONTEXT = ("StartSpanFromContext", "StartSpanFromContextWithTracer")


@dataclass(frozen=True)
class SpanStart:
    """A statement that starts a span: legacy (`span, ctx := StartSpanFromContext(...)`,
    `span := tracer.StartSpan(...)`) or already migrated (`ctx, span := tracer.Start(...)`)."""

    span: str  # the span variable ("_" when discarded)
    ctx_out: str | None  # the variable the span's context goes to ("_" when discarded), if any
    ctx_in: str | None  # the context expression it started from, if any
    statement: SgNode
    call: SgNode
    legacy: bool

    @property
    def function(self) -> SgNode | None:
        return enclosing_function(self.statement)


class Pass:
    """One pass over one file: names, span starts, declared types, and the edits collected so far."""

    def __init__(self, ctx: TransformContext, names: dict[str, str]) -> None:
        self.ctx = ctx
        self.source = ctx.source
        self.root = ctx.root
        self.names = names  # canonical → local name of the legacy packages the file imports
        self.edits: list[Edit] = []
        self.tracer = f'otel.Tracer("{tracer_name(ctx.path, self.root)}")'
        self.types = {**_package_types(ctx, names), **declared_types(self.root)}
        self.starts = self._span_starts()
        self.span_vars = {s.span for s in self.starts} | self._assigned_from(".SpanFromContext")
        self.tracer_vars = self._assigned_from(".GlobalTracer", "otel.Tracer")
        self.extracted: dict[str, str] = {}  # extracted SpanContext variable → the context replacing it
        self.other_libraries = bool({b.library for b in ctx.bindings} & {"jaeger", "zipkin"})
        self.claimed: list[tuple[int, int]] = []  # what a step has rewritten, removed or left to a person

    # --- names ----------------------------------------------------------------------------------
    def q(self, canonical: str, member: str) -> str | None:
        """How the file spells `canonical.member`, or None when it does not import that package."""
        local = self.names.get(canonical)
        return f"{local}.{member}" if local else None

    def is_q(self, node: SgNode | str | None, canonical: str, *members: str) -> bool:
        text = node if isinstance(node, str) else (node.text() if node is not None else "")
        return any(text == self.q(canonical, m) for m in members)

    def member_of(self, text: str, canonical: str) -> str | None:
        """`X` for `<pkg>.X` when <pkg> is how the file names `canonical`."""
        local = self.names.get(canonical)
        if local and text.startswith(local + ".") and re.fullmatch(r"\w+", text[len(local) + 1 :]):
            return text[len(local) + 1 :]
        return None

    # --- spans ----------------------------------------------------------------------------------
    def _span_starts(self) -> list[SpanStart]:
        starts = []
        for stmt in self.root.find_all(
            any=[{"kind": "short_var_declaration"}, {"kind": "assignment_statement"}]
        ):
            left, right = sides(stmt)
            if len(right) != 1 or right[0].kind() != "call_expression":
                continue
            call, names = right[0], [n.text() for n in left]
            fn = call_name(call)
            args = named(call.field("arguments").children())
            from_context = self.is_q(fn, "opentracing", *FROM_CONTEXT)
            if from_context and len(names) == 2 and args:
                starts.append(SpanStart(names[0], names[1], args[0].text(), stmt, call, True))
            elif fn.endswith(".StartSpan") and len(names) == 1:
                starts.append(SpanStart(names[0], None, None, stmt, call, True))
            elif fn.endswith(".Start") and len(names) == 2 and args:
                starts.append(SpanStart(names[1], names[0], args[0].text(), stmt, call, False))
        return starts

    def _assigned_from(self, *functions: str) -> set[str]:
        """Variables assigned the result of a call to one of `functions` (suffixes of its name)."""
        out = set()
        for stmt in self.root.find_all(
            any=[{"kind": "short_var_declaration"}, {"kind": "assignment_statement"}]
        ):
            left, right = sides(stmt)
            if len(left) == 1 and len(right) == 1 and call_name(right[0]).endswith(functions):
                out.add(left[0].text())
        return out

    def is_span(self, node: SgNode | str) -> bool:
        """Whether an expression names a span: a started one, or a variable, struct field or function
        result declared as a span (legacy or OTel: a later pass sees the migrated declarations)."""
        name = node if isinstance(node, str) else node.text()
        return name in self.span_vars or self._declared_as(node, "Span")

    def is_tracer(self, node: SgNode) -> bool:
        """Whether an expression names a tracer: one assigned from GlobalTracer / otel.Tracer, or a
        variable, struct field or function result declared as a tracer."""
        return node.text() in self.tracer_vars or self._declared_as(node, "Tracer")

    def _declared_as(self, node: SgNode | str, member: str) -> bool:
        typ = self.types.get(node, "") if isinstance(node, str) else type_of(node, self.types) or ""
        package, _, name = typ.partition(".")
        return name == member and (package in OTEL_TRACE_PACKAGES or package in self.names.values())

    def start_of(self, span: str, at: SgNode) -> SpanStart | None:
        """The start of `span` that `at` sees: the last one before it in the same function."""
        function = enclosing_function(at)
        before = [
            s
            for s in self.starts
            if s.span == span
            and s.statement.range().start.index < at.range().start.index
            and (s.function == function or _encloses(s.function, function))
        ]
        return before[-1] if before else None

    def ctx_in_scope(self, at: SgNode) -> str | None:
        """A context.Context variable visible at `at`: a parameter, or a context a start produced."""
        for function in [
            a
            for a in at.ancestors()
            if a.kind() in ("function_declaration", "method_declaration", "func_literal")
        ]:
            for start in reversed(self.starts):
                if (
                    start.function == function
                    and start.ctx_out not in (None, "_")
                    and start.statement.range().end.index < at.range().start.index
                ):
                    return start.ctx_out
            params = function.field("parameters")
            for p in params.find_all(kind="parameter_declaration") if params else []:
                if p.field("type") is not None and p.field("type").text() == "context.Context":
                    name = p.field("name")
                    if name is not None:
                        return name.text()
        return None

    def declared_in(self, name: str, function: SgNode | None) -> bool:
        """Whether `name` is declared (parameter, `:=`, var) anywhere in `function`."""
        if function is None:
            return False
        for ident in function.find_all(kind="identifier"):
            parent = ident.parent()
            if (
                ident.text() == name
                and parent is not None
                and parent.kind()
                in (
                    "parameter_declaration",
                    "var_spec",
                )
            ):
                return True
        for decl in function.find_all(kind="short_var_declaration"):
            if name in [n.text() for n in sides(decl)[0]]:
                return True
        return False

    # --- edits ----------------------------------------------------------------------------------
    def claim(self, node: SgNode) -> None:
        r = node.range()
        self.claimed.append((r.start.index, r.end.index))

    def is_claimed(self, node: SgNode) -> bool:
        """Whether a step already rewrote, removed or gave up on `node` or code around it."""
        r = node.range()
        return any(start <= r.start.index and r.end.index <= end for start, end in self.claimed)

    def render(self, node: SgNode) -> str:
        """The node's text with the edits already made inside it (steps visit inner calls first)."""
        r = node.range()
        inner = [e for e in self.edits if r.start.index <= e.start and e.end <= r.end.index]
        return (
            apply_edits(self.source[r.start.index : r.end.index], [shifted(e, -r.start.index) for e in inner])
            or node.text()
        )

    def edit(self, node: SgNode, text: str, rule: str, message: str) -> None:
        r = node.range()
        self.edits.append(Edit(r.start.index, r.end.index, text))
        self.claim(node)
        self.ctx.migrated(line_of(node), rule, message)

    def remove(self, stmt: SgNode) -> None:
        self.edits.append(removal(self.source, stmt))
        self.claim(stmt)

    def insert_after(self, stmt: SgNode, line: str) -> None:
        end = stmt.range().end.index
        self.edits.append(Edit(end, end, f"\n{indent_of(self.source, stmt)}{line}"))

    def manual(self, node: SgNode, rule: str, reason: str) -> None:
        """Leave the code as it is, with a TODO comment above its statement (once), and report it."""
        stmt = enclosing_statement(node)
        todo = f"// TODO(otmigrate): {reason}"
        line_start = self.source.rfind("\n", 0, stmt.range().start.index) + 1
        previous = self.source[self.source.rfind("\n", 0, max(line_start - 1, 0)) + 1 : line_start]
        if todo not in previous:
            indent = indent_of(self.source, stmt)
            self.edits.append(Edit(line_start, line_start, f"{indent}{todo}\n"))
        self.claim(node)
        self._report_once("manual", node, rule, reason)

    def unsafe(self, node: SgNode, rule: str, message: str, *, todo: bool = True) -> None:
        """Report a fix held back until --unsafe-fixes; with `todo`, the code needs it to build, so it
        also gets a TODO comment like a manual item."""
        if todo:
            before = len(self.ctx.changes)
            self.manual(node, rule, f"{message} (applied with --unsafe-fixes)")
            del self.ctx.changes[before:]
        self._report_once("unsafe", node, rule, message)

    def _report_once(self, kind: str, node: SgNode, rule: str, reason: str) -> None:
        """Passes repeat; a held-back item is reported by the first pass that sees it (the message
        names the code, so that equal reasons at different places stay apart)."""
        code = node.text().split("\n")[0].strip()
        message = f"{reason}: `{code[:80]}`"
        if any(c.kind == kind and c.rule == rule and c.message == message for c in self.ctx.changes):
            return
        line = line_of(node)
        if kind == "manual":
            self.ctx.manual(line, rule, message)
        else:
            self.ctx.unsafe_fix(line, rule, message)


def _encloses(outer: SgNode | None, inner: SgNode | None) -> bool:
    return outer is not None and inner is not None and any(a == outer for a in inner.ancestors())


def tracer_name(path: str, root: SgNode) -> str:
    """The instrumentation scope: the package's import path when a go.mod is found, else its name."""
    pkg = root.find(kind="package_identifier")
    name = pkg.text() if pkg else "main"
    here = Path(path).resolve().parent
    for d in [here, *here.parents]:
        mod = d / "go.mod"
        if mod.is_file():
            m = re.search(r"^module\s+(\S+)", mod.read_text(), re.M)
            if m:
                rel = here.relative_to(d).as_posix()
                return m.group(1) if rel == "." else f"{m.group(1)}/{rel}"
    return name


def _package_types(ctx: TransformContext, names: dict[str, str]) -> dict[str, str]:
    """Legacy-typed declarations of the package's other files (the project model), written with this
    file's names for the legacy packages."""
    declared = getattr(ctx.project, "declared_in_package", None)
    if declared is None:
        return {}
    local = {"opentracing": names.get("opentracing", "opentracing")}
    return {
        key: re.sub(r"^(\W*)opentracing\.", lambda m: m.group(1) + local["opentracing"] + ".", typ)
        for key, typ in declared(ctx.path).items()
    }
