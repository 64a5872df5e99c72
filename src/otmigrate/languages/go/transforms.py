"""Go transforms for what a rule pattern cannot express (see rules/go/opentracing.yml).

The opentracing-go migration is one handler, because its steps depend on each other: a span variable is
known from its start call, its `SetTag` typing from the declarations around it, its end placement from
the statements of the block it was started in. Each pass makes the edits it can and leaves the rest for
the next pass (the engine repeats to a fixpoint); a file with no legacy import is never touched, which
makes the migration idempotent. Imports are rebuilt by the final pass in gofmt's grouping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ast_grep_py import SgNode

from otmigrate.engine import Change, Handler, TransformContext
from otmigrate.languages.go.imports import package_name
from otmigrate.languages.go.jaeger_setup import migrate_jaeger

OT = "github.com/opentracing/opentracing-go"
OTEL = {
    "otel": "go.opentelemetry.io/otel",
    "trace": "go.opentelemetry.io/otel/trace",
    "attribute": "go.opentelemetry.io/otel/attribute",
    "codes": "go.opentelemetry.io/otel/codes",
    "propagation": "go.opentelemetry.io/otel/propagation",
    "semconv": "go.opentelemetry.io/otel/semconv/v1.43.0",
}
KINDS = {
    "SpanKindRPCClient": "SpanKindClient",
    "SpanKindRPCServer": "SpanKindServer",
    "SpanKindProducer": "SpanKindProducer",
    "SpanKindConsumer": "SpanKindConsumer",
}
# ext.<Tag>.Set(span, v) → semconv (api-mapping §5); {} is the value expression.
EXT_TAGS = {
    "HTTPMethod": "semconv.HTTPRequestMethodKey.String({})",
    "HTTPUrl": "semconv.URLFull({})",
    "HTTPStatusCode": "semconv.HTTPResponseStatusCode({})",
    "PeerService": "semconv.ServicePeerName({})",
    "DBStatement": "semconv.DBQueryText({})",
    "DBInstance": "semconv.DBNamespace({})",
    "DBType": "semconv.DBSystemNameKey.String({})",
    "Component": 'attribute.String("component", {})',
}
ATTR_OF_TYPE = {
    "string": "String",
    "int": "Int",
    "int64": "Int64",
    "float64": "Float64",
    "bool": "Bool",
    "[]string": "StringSlice",
}
WIDENED = {
    "int8": "Int64",
    "int16": "Int64",
    "int32": "Int64",
    "uint8": "Int64",
    "uint16": "Int64",
    "uint32": "Int64",
    "float32": "Float64",
}
LOG_FIELDS = {
    "String": "String",
    "Bool": "Bool",
    "Int": "Int",
    "Int64": "Int64",
    "Float64": "Float64",
    "Int32": "Int64",
    "Uint32": "Int64",
    "Float32": "Float64",
}


@dataclass
class _Edit:
    start: int
    end: int
    text: str


def _named(nodes: list[SgNode]) -> list[SgNode]:
    return [n for n in nodes if n.is_named()]


def _line(node: SgNode) -> int:
    return node.range().start.line + 1


def _indent(source: str, node: SgNode) -> str:
    start = node.range().start.index
    line_start = source.rfind("\n", 0, start) + 1
    return re.match(r"[ \t]*", source[line_start:]).group(0)  # type: ignore[union-attr]


class _Migration:
    """One pass of the opentracing-go → OTel migration over one file."""

    def __init__(self, ctx: TransformContext, names: dict[str, str]) -> None:
        self.ctx = ctx
        self.src = ctx.source
        self.root = ctx.root
        self.ot = names  # canonical → local name of the legacy packages the file imports
        self.edits: list[_Edit] = []
        self.tracer = f'otel.Tracer("{_tracer_name(ctx.path, self.root)}")'
        self.types = _declared_types(self.root)

    def q(self, canonical: str, member: str) -> str | None:
        local = self.ot.get(canonical)
        return f"{local}.{member}" if local else None

    def edit(self, node: SgNode, text: str, rule: str, message: str) -> None:
        r = node.range()
        self.edits.append(_Edit(r.start.index, r.end.index, text))
        self.ctx.migrated(_line(node), rule, message)

    def run(self) -> str | None:
        self.start_calls()
        self.global_tracer()
        self.extract()
        self.inject()
        self.span_methods()
        self.ext_calls()
        self.trailing_finish()
        return _apply(self.src, self.edits)

    # --- span starts -------------------------------------------------------------------------------
    def options(self, args: list[SgNode]) -> list[str] | None:
        """StartSpanOptions → OTel SpanStartOptions; None when one cannot be translated."""
        out = []
        for a in args:
            t = a.text()
            kind = next((v for k, v in KINDS.items() if t == self.q("ext", k)), None)
            if kind:
                out.append(f"trace.WithSpanKind(trace.{kind})")
            elif a.kind() == "call_expression" and a.field("function").text() == self.q(
                "opentracing", "StartTime"
            ):
                out.append(f"trace.WithTimestamp({_named(a.field('arguments').children())[0].text()})")
            else:
                return None
        return out

    def start_calls(self) -> None:
        sffc = self.q("opentracing", "StartSpanFromContext")
        for stmt in self.root.find_all(
            any=[{"kind": "short_var_declaration"}, {"kind": "assignment_statement"}]
        ):
            right = stmt.field("right")
            left = _named(stmt.field("left").children()) if stmt.field("left") else []
            call = _named(right.children())[0] if right and _named(right.children()) else None
            if call is None or call.kind() != "call_expression" or len(left) != 2:
                continue
            fn = call.field("function").text()
            if fn != sffc:
                continue
            args = _named(call.field("arguments").children())
            opts = self.options(args[2:])
            if opts is None:
                self.ctx.manual(_line(stmt), "go-ot-start-options", "start option with no OTel translation")
                continue
            op = ":=" if stmt.kind() == "short_var_declaration" else "="
            span, ctxvar = left[0].text(), left[1].text()
            call_args = ", ".join([args[0].text(), args[1].text(), *opts])
            self.edit(
                stmt,
                f"{ctxvar}, {span} {op} {self.tracer}.Start({call_args})",
                "go-ot-start-span-from-context",
                "StartSpanFromContext → Tracer.Start (results swapped)",
            )

    def global_tracer(self) -> None:
        gt = self.q("opentracing", "GlobalTracer")
        if not gt:
            return
        for call in self.root.find_all(kind="call_expression"):
            if call.field("function").text() != gt:
                continue
            parent = call.parent()
            # GlobalTracer().Inject(...) is handled by inject().
            if parent and parent.kind() == "selector_expression" and parent.field("field").text() == "Inject":
                continue
            self.edit(call, self.tracer, "go-ot-global-tracer", "GlobalTracer() → otel.Tracer(name)")

    # --- propagation -------------------------------------------------------------------------------
    def extract(self) -> None:
        """`sc, err := t.Extract(HTTPHeaders, HTTPHeadersCarrier(r.Header))` + its err check + the
        `StartSpan(name, ChildOf(sc), ...)` that uses it → one context, and `Start(ctx, name, ...)`."""
        for stmt in self.root.find_all(kind="short_var_declaration"):
            call = _named(stmt.field("right").children())[0]
            if call.kind() != "call_expression" or not call.field("function").text().endswith(".Extract"):
                continue
            args = _named(call.field("arguments").children())
            if len(args) != 2 or args[0].text() != self.q("opentracing", "HTTPHeaders"):
                continue
            carrier = args[1]
            inner = _named(carrier.field("arguments").children())[0].text()
            sc = _named(stmt.field("left").children())[0].text()
            base = (
                inner[: -len(".Header")] + ".Context()"
                if inner.endswith(".Header")
                else "context.Background()"
            )
            self.edit(
                stmt,
                f"ctx := otel.GetTextMapPropagator().Extract({base}, propagation.HeaderCarrier({inner}))",
                "go-ot-extract",
                "Extract → propagator Extract returning a context",
            )
            check = stmt.next()
            if (
                check is not None
                and check.kind() == "if_statement"
                and "ErrSpanContextNotFound" in check.field("condition").text()
            ):
                self.remove_statement(check)
            self.child_of_start(sc, stmt)

    def child_of_start(self, sc: str, after: SgNode) -> None:
        child_of = self.q("opentracing", "ChildOf")
        for stmt in self.root.find_all(kind="short_var_declaration"):
            if stmt.range().start.index < after.range().end.index:
                continue
            call = _named(stmt.field("right").children())[0]
            if call.kind() != "call_expression" or not call.field("function").text().endswith(".StartSpan"):
                continue
            args = _named(call.field("arguments").children())
            rest = [a for a in args[1:] if a.text() != f"{child_of}({sc})"]
            opts = self.options(rest)
            if len(rest) == len(args) - 1 or opts is None:
                continue
            tracer = call.field("function").field("operand").text()
            span = _named(stmt.field("left").children())[0].text()
            call_args = ", ".join(["ctx", args[0].text(), *opts])
            self.edit(
                stmt,
                f"_, {span} := {tracer}.Start({call_args})",
                "go-ot-start-span-child-of",
                "StartSpan(ChildOf(extracted)) → Start(extracted ctx)",
            )
            return

    def inject(self) -> None:
        """`err := t.Inject(span.Context(), HTTPHeaders, HTTPHeadersCarrier(h))` → propagator Inject."""
        for stmt in self.root.find_all(
            any=[{"kind": "short_var_declaration"}, {"kind": "assignment_statement"}]
        ):
            call = _named(stmt.field("right").children())[0]
            if call.kind() != "call_expression" or not call.field("function").text().endswith(".Inject"):
                continue
            args = _named(call.field("arguments").children())
            if len(args) != 3 or args[1].text() != self.q("opentracing", "HTTPHeaders"):
                continue
            span = args[0].text().removesuffix(".Context()")
            ctxvar = self.ctx_of_span(span)
            carrier = _named(args[2].field("arguments").children())[0].text()
            self.edit(
                stmt,
                f"otel.GetTextMapPropagator().Inject({ctxvar}, propagation.HeaderCarrier({carrier}))",
                "go-ot-inject",
                "Inject → propagator Inject (it cannot fail)",
            )
            check = stmt.next()
            if (
                check is not None
                and check.kind() == "if_statement"
                and check.field("condition").text() == "err != nil"
            ):
                self.remove_statement(check)

    def ctx_of_span(self, span: str) -> str:
        sffc = self.q("opentracing", "StartSpanFromContext")
        for m in self.root.find_all(pattern=f"{span}, $C := {sffc}($$$A)"):
            return m.get_match("C").text()  # type: ignore[union-attr]
        return f"trace.ContextWithSpan(context.Background(), {span})"

    def remove_statement(self, stmt: SgNode) -> None:
        r = stmt.range()
        line_start = self.src.rfind("\n", 0, r.start.index) + 1
        end = self.src.find("\n", r.end.index) + 1 or len(self.src)
        self.edits.append(_Edit(line_start - 1 if line_start else 0, end - 1, ""))

    # --- span methods ------------------------------------------------------------------------------
    def span_methods(self) -> None:
        for call in self.root.find_all(kind="call_expression"):
            fn = call.field("function")
            if fn.kind() != "selector_expression":
                continue
            method, recv = fn.field("field").text(), fn.field("operand").text()
            args = _named(call.field("arguments").children())
            if method == "Finish" and not args and self.is_span(recv):
                self.edit(call, f"{recv}.End()", "go-ot-finish", "Finish → End")
            elif method == "SetTag" and len(args) == 2 and self.is_span(recv):
                attr = self.attribute(args[0].text(), args[1], call)
                self.edit(
                    call, f"{recv}.SetAttributes({attr})", "go-ot-set-tag", "SetTag → SetAttributes (typed)"
                )
            elif method == "SetOperationName" and self.is_span(recv):
                self.edit(
                    fn.field("field"), "SetName", "go-ot-set-operation-name", "SetOperationName → SetName"
                )
            elif method == "LogFields" and self.is_span(recv):
                self.log_fields(call, recv, args)
            elif method == "LogKV" and self.is_span(recv) and len(args) % 2 == 0:
                self.log_kv(call, recv, args)

    def is_span(self, name: str) -> bool:
        return name in self.spans

    @property
    def spans(self) -> set[str]:
        out = set()
        for stmt in self.root.find_all(
            any=[{"kind": "short_var_declaration"}, {"kind": "assignment_statement"}]
        ):
            right = stmt.field("right")
            text = right.text() if right else ""
            left = _named(stmt.field("left").children()) if stmt.field("left") else []
            if re.search(r"\.(StartSpanFromContext|StartSpan)\(", text) and left:
                out.add(left[0].text())
            elif re.search(r"\.Start\(", text) and len(left) == 2:
                out.add(left[1].text())
        return out

    def attribute(self, key: str, value: SgNode, at: SgNode) -> str:
        typ = _type_of(value, self.types)
        if typ in ATTR_OF_TYPE:
            return f"attribute.{ATTR_OF_TYPE[typ]}({key}, {value.text()})"
        if typ in WIDENED:
            conv = WIDENED[typ].lower()
            return f"attribute.{WIDENED[typ]}({key}, {conv}({value.text()}))"
        self.ctx.changes.append(
            Change("unsafe", "go-ot-set-tag", _line(at), "SetTag value of unknown type: fmt.Sprint")
        )
        return f"attribute.String({key}, fmt.Sprint({value.text()}))"

    def log_fields(self, call: SgNode, recv: str, fields: list[SgNode]) -> None:
        name, attrs, errors = '"log"', [], []
        log = self.ot.get("otlog")
        for f in fields:
            fn = f.field("function").text() if f.kind() == "call_expression" else ""
            args = _named(f.field("arguments").children()) if fn else []
            kind = fn.split(".")[-1]
            if not fn.startswith(f"{log}.") or not args:
                return
            if kind == "Error":
                errors.append(args[0].text())
            elif kind in ("String", "Event") and (args[0].text() == '"event"' or kind == "Event"):
                name = args[-1].text()
            elif kind in LOG_FIELDS and len(args) == 2:
                attrs.append(f"attribute.{LOG_FIELDS[kind]}({args[0].text()}, {args[1].text()})")
            elif kind == "Message":
                attrs.append(f'attribute.String("message", {args[0].text()})')
            else:
                return
        ind = _indent(self.src, call)
        lines = []
        for err in errors:
            lines += [f"{recv}.RecordError({err})", f"{recv}.SetStatus(codes.Error, {err}.Error())"]
        if attrs or not errors:
            opt = f", trace.WithAttributes({', '.join(attrs)})" if attrs else ""
            lines.append(f"{recv}.AddEvent({name}{opt})")
        self.edit(call, f"\n{ind}".join(lines), "go-ot-log-fields", "LogFields → AddEvent / RecordError")

    def log_kv(self, call: SgNode, recv: str, kv: list[SgNode]) -> None:
        name, attrs = '"log"', []
        for k, v in zip(kv[::2], kv[1::2], strict=True):
            if k.text() == '"event"':
                name = v.text()
            else:
                attrs.append(self.attribute(k.text(), v, call))
        opt = f", trace.WithAttributes({', '.join(attrs)})" if attrs else ""
        self.edit(call, f"{recv}.AddEvent({name}{opt})", "go-ot-log-kv", "LogKV → AddEvent")

    def ext_calls(self) -> None:
        ext = self.ot.get("ext")
        if not ext:
            return
        for call in self.root.find_all(kind="call_expression"):
            m = re.fullmatch(rf"{re.escape(ext)}\.(\w+)\.Set", call.field("function").text())
            if not m:
                continue
            args = _named(call.field("arguments").children())
            tag, span = m.group(1), args[0].text()
            if tag == "Error" and len(args) == 2 and args[1].text() == "true":
                self.edit(
                    call, f'{span}.SetStatus(codes.Error, "")', "go-ot-ext-error", "ext.Error → SetStatus"
                )
            elif tag in EXT_TAGS and len(args) == 2:
                value = args[1].text()
                if tag == "HTTPStatusCode" and not re.fullmatch(r"\d+|http\.Status\w+", value):
                    value = f"int({value})"
                if tag == "DBType" and value == '"sql"':
                    value = '"other_sql"'
                attr = EXT_TAGS[tag].format(value)
                self.edit(call, f"{span}.SetAttributes({attr})", "go-ot-ext-tag", f"ext.{tag} → semconv")
            else:
                self.ctx.manual(_line(call), "go-ot-ext", f"ext.{tag}.Set has no automatic translation")

    # --- lifecycle ---------------------------------------------------------------------------------
    def trailing_finish(self) -> None:
        """A `span.Finish()` that ends the block the span was started in becomes `defer span.End()`
        right after the start (not inside loops: there a defer would wait for the function)."""
        sffc = self.q("opentracing", "StartSpanFromContext")
        for start in self.root.find_all(pattern=f"$S, $C := {sffc}($$$A)"):
            span = start.get_match("S").text()  # type: ignore[union-attr]
            block = start.parent()
            if block is None or _inside_loop(block):
                continue
            stmts = _named(block.children())
            if any(s.text() in (f"defer {span}.Finish()", f"defer {span}.End()") for s in stmts):
                continue
            finish = [s for s in stmts if s.text() in (f"{span}.Finish()", f"{span}.End()")]
            if len(finish) != 1:
                continue
            self.remove_statement(finish[0])
            r = start.range()
            self.edits.append(
                _Edit(r.end.index, r.end.index, f"\n{_indent(self.src, start)}defer {span}.End()")
            )
            self.ctx.migrated(_line(finish[0]), "go-ot-trailing-finish", "trailing Finish → defer End")


def _inside_loop(node: SgNode) -> bool:
    for a in node.ancestors():
        if a.kind() == "for_statement":
            return True
        if a.kind() in ("function_declaration", "func_literal", "method_declaration"):
            return False
    return False


def _apply(source: str, edits: list[_Edit]) -> str | None:
    out, last = [], 0
    for e in sorted(edits, key=lambda e: (e.start, -e.end)):
        if e.start < last:
            continue
        out += [source[last : e.start], e.text]
        last = e.end
    new = "".join([*out, source[last:]])
    return new if new != source else None


def _tracer_name(path: str, root: SgNode) -> str:
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


def _declared_types(root: SgNode) -> dict[str, str]:
    """Declared types of parameters, vars, consts (by their literal) and struct fields, by name."""
    types: dict[str, str] = {}
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
        t = spec.field("type")
        value = spec.field("value")
        typ = t.text() if t else (_literal_type(_named(value.children())[0]) if value else None)
        if typ:
            types[spec.field("name").text()] = typ
    for decl in root.find_all(kind="short_var_declaration"):
        left, right = _named(decl.field("left").children()), _named(decl.field("right").children())
        if len(left) == len(right):
            for name, value in zip(left, right, strict=True):
                typ = _literal_type(value)
                if typ:
                    types.setdefault(name.text(), typ)
    return types


def _literal_type(node: SgNode) -> str | None:
    kind = node.kind()
    if kind in ("interpreted_string_literal", "raw_string_literal"):
        return "string"
    if kind == "int_literal":
        return "int"
    if kind == "float_literal":
        return "float64"
    if kind in ("true", "false"):
        return "bool"
    if kind == "call_expression" and node.field("function").text() in ("len", "cap"):
        return "int"
    if kind == "call_expression" and node.field("function").text() in ATTR_OF_TYPE | WIDENED:
        return node.field("function").text()
    if kind == "binary_expression" and node.field("operator") is not None:
        op = node.field("operator").text()
        if op in ("==", "!=", "<", ">", "<=", ">=", "&&", "||"):
            return "bool"
    return None


def _type_of(node: SgNode, types: dict[str, str]) -> str | None:
    typ = _literal_type(node)
    if typ:
        return typ
    if node.kind() == "identifier":
        return types.get(node.text())
    if node.kind() == "selector_expression":
        return types.get("." + node.field("field").text())
    return None


def migrate_opentracing(ctx: TransformContext) -> str | None:
    """The opentracing-go handler (rules go-ot-*)."""
    names = {b.module: b.local for b in ctx.bindings if b.library in ("opentracing", "jaeger")}
    canon = {"opentracing": OT, "ext": f"{OT}/ext", "otlog": f"{OT}/log"}
    local = {c: names[p] for c, p in canon.items() if p in names}
    if not local:
        return None
    return _Migration(ctx, local).run()


def fix_imports(ctx: TransformContext) -> str | None:
    """Rebuild the import block: drop legacy imports the file no longer uses, add the OTel packages it
    now uses (aliased when a local identifier would shadow the package name), in gofmt's grouping."""
    root = ctx.root
    decl = root.find(kind="import_declaration")
    if decl is None:
        return None
    specs = []
    for s in decl.find_all(kind="import_spec"):
        name = s.field("name")
        path = s.field("path").text().strip('"')
        specs.append((name.text() if name else None, path))
    body = ctx.source[decl.range().end.index :]
    locals_ = {
        n.text()
        for n in root.find_all(kind="identifier")
        if n.parent()
        and n.parent().kind()
        in ("expression_list", "parameter_declaration", "var_spec", "const_spec", "range_clause")
    }
    keep = []
    for alias, path in specs:
        name = alias or package_name(path)
        if path.startswith(
            ("github.com/opentracing/", "github.com/uber/jaeger-client-go", "github.com/openzipkin/")
        ) and not re.search(rf"\b{re.escape(name)}\.", body):
            continue
        keep.append((alias, path))
    have = {p for _, p in keep}
    new_body = body
    for short, path in OTEL.items():
        if path in have or not re.search(rf"(?<![\w.]){short}\.", body):
            continue
        alias = None
        if short == "semconv":
            alias = "semconv"
        if short in locals_:
            alias = "otel" + short
            new_body = re.sub(rf"(?<![\w.]){short}\.(?=[A-Z])", f"{alias}.", new_body)
        if short == "fmt" or path in have:
            continue
        keep.append((alias, path))
    if re.search(r"(?<![\w.])fmt\.Sprint\(", body) and "fmt" not in {p for _, p in keep}:
        keep.append((None, "fmt"))
    if re.search(r"(?<![\w.])context\.", body) and "context" not in {p for _, p in keep}:
        keep.append((None, "context"))
    std = sorted((s for s in keep if "." not in s[1].split("/")[0]), key=lambda s: s[1])
    other = sorted((s for s in keep if "." in s[1].split("/")[0]), key=lambda s: s[1])

    def fmt_spec(s: tuple[str | None, str]) -> str:
        return f'\t{s[0] + " " if s[0] else ""}"{s[1]}"'

    groups = ["\n".join(fmt_spec(s) for s in g) for g in (std, other) if g]
    block = (
        "import (\n" + "\n\n".join(groups) + "\n)" if len(keep) != 1 else "import " + fmt_spec(keep[0])[1:]
    )
    new = ctx.source[: decl.range().start.index] + block + new_body
    return new if new != ctx.source else None


HANDLERS: dict[str, Handler] = {"go_opentracing": migrate_opentracing, "go_jaeger": migrate_jaeger}
FINAL_PASSES: list[Handler] = [fix_imports]
