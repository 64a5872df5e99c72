"""JavaScript transforms that a rule pattern cannot express.

FINAL_PASSES manage imports in the file's own module style: the `@opentelemetry/api` names the applied
rules need are added (merged into an existing import of the package), and a legacy import or `require`
whose bound names are no longer referenced is removed.
"""

from __future__ import annotations

import os
import re

from ast_grep_py import SgNode

from otmigrate.engine import Handler, TransformContext
from otmigrate.languages import LIBRARIES
from otmigrate.languages.javascript.jaeger_setup import migrate_jaeger
from otmigrate.languages.javascript.jscode import (
    Style,
    apply_edits,
    line_of,
    method_call,
    parse,
    style_of,
    todo_edit,
)
from otmigrate.languages.javascript.opentracing_calls import migrate_opentracing
from otmigrate.languages.javascript.project import COMPILED_REASON
from otmigrate.languages.javascript.zipkin_setup import migrate_zipkin_setup
from otmigrate.languages.javascript.zipkin_spans import migrate_zipkin_spans

API = "@opentelemetry/api"
_IMPORT_KINDS = ("import_statement", "lexical_declaration", "variable_declaration")


def _needed_names(ctx: TransformContext, module: str) -> list[str]:
    names = []
    for spec in ctx.imports_needed:
        mod, _, name = spec.partition(":")
        if mod == module and name and name not in names:
            names.append(name)
    return names


def _statement(node: SgNode) -> SgNode | None:
    """The top-level statement holding an import or require call."""
    while node is not None and node.parent() is not None and node.parent().kind() != "program":
        node = node.parent()
    return node


def _legacy_statements(root: SgNode) -> list[tuple[SgNode, list[str]]]:
    """(statement, names it binds) for every top-level import/require of a legacy package."""
    from otmigrate.languages.javascript.imports import library_of

    found = []
    for stmt in root.children():
        text = stmt.text()
        module = re.search(r"""(?:from\s*|require\(\s*)['"]([^'"]+)['"]""", text)
        if not module or stmt.kind() not in _IMPORT_KINDS:
            continue
        library = library_of(module.group(1))
        if library not in LIBRARIES:
            continue  # OTel, OpenCensus (detected, never rewritten) or not tracing at all
        if stmt.kind() == "import_statement" and "require(" in text:  # TypeScript's import x = require()
            names = re.findall(r"^import\s+([A-Za-z_$][\w$]*)\s*=", text)
        elif stmt.kind() == "import_statement":
            clause = text.split("from")[0]
            names = re.findall(r"[A-Za-z_$][\w$]*", re.sub(r"\b(import|as)\b|\w+\s*:", " ", clause))
        else:
            names = _declared(stmt)
        found.append((stmt, names))
    return found


def _declared(declaration: SgNode) -> list[str]:
    """Every name a `const/let/var` statement binds, in all its declarators: Babel's output
    `var _require = require('zipkin'), Some = _require.Some` binds `Some` too."""
    names = []
    for declarator in (c for c in declaration.children() if c.kind() == "variable_declarator"):
        pattern = declarator.field("name")
        if pattern is not None:
            found = pattern.find_all(kind="identifier") + pattern.find_all(
                kind="shorthand_property_identifier_pattern"
            )
            names += [pattern.text()] if pattern.kind() == "identifier" else [n.text() for n in found]
    return names


def _after_imports(root: SgNode) -> int:
    """Where a new import goes in a file without legacy ones: after its last top-level import / require
    (or its 'use strict'), else at the top."""
    at = 0
    for stmt in root.children():
        text = stmt.text()
        directive = stmt.kind() == "expression_statement" and text.strip("'\";") == "use strict"
        if (
            directive
            or stmt.kind() == "import_statement"
            or (stmt.kind() in _IMPORT_KINDS and "require(" in text)
        ):
            at = stmt.range().end.index
        elif stmt.kind() != "comment":
            break
    return at


def _api_import(root: SgNode) -> SgNode | None:
    for stmt in root.children():
        if f"'{API}'" in stmt.text() or f'"{API}"' in stmt.text():
            return stmt
    return None


_VALUE_KINDS = ("identifier", "shorthand_property_identifier")

LEGACY_TYPES = {
    ("opentracing", "Span"): "Span",
    ("opentracing", "Tracer"): "Tracer",
    ("opentracing", "SpanContext"): "SpanContext",
    ("opentracing", "SpanOptions"): "SpanOptions",
    ("jaeger", "JaegerTracer"): "Tracer",
    ("jaeger", "Tracer"): "Tracer",
    ("jaeger", "SpanContext"): "SpanContext",
    ("zipkin", "Tracer"): "Tracer",
}
"""TypeScript types of the legacy libraries → the @opentelemetry/api type the migrated value has."""


def _referenced(
    root: SgNode, outside: SgNode | None = None, kinds: tuple[str, ...] = _VALUE_KINDS
) -> set[str]:
    """The identifiers the code uses (strings and comments do not count), outside one statement."""
    skip = outside.range() if outside is not None else None
    names = set()
    for kind in kinds:
        for node in root.find_all(kind=kind):
            r = node.range()
            if skip is None or not skip.start.index <= r.start.index < skip.end.index:
                names.add(node.text())
    return names


def _render(names: list[str], esm: bool, style: Style) -> str:
    listed = ", ".join(sorted(set(names)))
    end = ";" if style.semicolons else ""
    if esm:
        return f"import {{ {listed} }} from {style.string(API)}{end}"
    return f"const {{ {listed} }} = require({style.string(API)}){end}"


def _migrated_types(ctx: TransformContext, legacy: list[tuple[SgNode, list[str]]]) -> dict[str, str]:
    """TypeScript: legacy type names the file uses only as types (`span: Span`, `Tracer | undefined`),
    local name → OTel API type. A name still used as a value (`new Tracer()`, `@Inject(Tracer)`) keeps
    its legacy import, and so its type."""
    if ctx.language.grep_language == "javascript":
        return {}
    members = {b.local: (b.library, b.member) for b in ctx.bindings if b.member}
    found = {}
    for stmt, names in legacy:
        values = _referenced(ctx.root, outside=stmt)
        types = _type_uses(ctx, stmt)
        for name in names:
            otel = LEGACY_TYPES.get(members.get(name, ("", "")))
            if otel is not None and name in types and name not in values:
                found[name] = otel
    return found


def _rename_types(root: SgNode, renamed: dict[str, str]) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []
    if not renamed:
        return edits
    for node in root.find_all(kind="type_identifier"):
        new = renamed.get(node.text())
        if new is not None and new != node.text():
            r = node.range()
            edits.append((r.start.index, r.end.index, new))
    return edits


def _pruned(stmt: SgNode, used: set[str]) -> str | None:
    """A kept legacy `import { a, b } from` / `const { a, b } = require()` without the names nothing uses
    any more (`FORMAT_HTTP_HEADERS` after inject was migrated); None when every name is still used."""
    lists = stmt.find_all(kind="named_imports") or stmt.find_all(kind="object_pattern")
    if len(lists) != 1:
        return None
    entries = [e for e in lists[0].named_children() if e.kind() != "comment"]
    kept = []
    for entry in entries:
        bound = entry.field("alias") or entry.field("name") or entry.field("value") or entry
        if bound.text() in used:
            kept.append(entry.text())
    if len(kept) == len(entries) or not kept:
        return None
    text, r = stmt.text(), lists[0].range()
    start = r.start.index - stmt.range().start.index
    pad = " " if text[start + 1 : start + 2] == " " else ""
    return text[:start] + "{" + pad + ", ".join(kept) + pad + "}" + text[start + len(lists[0].text()) :]


def _type_uses(ctx: TransformContext, stmt: SgNode | None) -> set[str]:
    """The type names a TypeScript file uses outside `stmt` (JavaScript has no types)."""
    if ctx.language.grep_language == "javascript":
        return set()
    return _referenced(ctx.root, outside=stmt, kinds=("type_identifier",))


def manage_imports(ctx: TransformContext) -> str | None:
    """Add the OTel API names the rewrite uses; drop legacy imports nothing references any more."""
    root, source = ctx.root, ctx.source
    style = style_of(root)
    esm = any(s.kind() == "import_statement" for s in root.children())
    legacy = _legacy_statements(root)
    used = _referenced(root) | _type_uses(ctx, None)
    wanted = [n for n in _needed_names(ctx, API) if n in used]
    types = _migrated_types(ctx, legacy)
    wanted += [otel for otel in types.values() if otel not in wanted]
    edits: list[tuple[int, int, str]] = _rename_types(root, types)
    existing = _api_import(root)
    removable = [
        stmt
        for stmt, names in legacy
        if not (set(names) - set(types)) & (_referenced(root, outside=stmt) | _type_uses(ctx, stmt))
    ]
    if existing is not None:
        have = re.findall(r"[A-Za-z_$][\w$]*", existing.text().split("from")[0].split("=")[0])
        have = [h for h in have if h not in ("import", "const", "let", "var")]
        if set(wanted) - set(have):
            r = existing.range()
            edits.append((r.start.index, r.end.index, _render(have + wanted, esm, style)))
    elif wanted:
        if removable:  # the first dropped legacy import makes room for the new one
            r = removable.pop(0).range()
            edits.append((r.start.index, r.end.index, _render(wanted, esm, style)))
        elif legacy:
            end = legacy[0][0].range().end.index
            edits.append((end, end, "\n" + _render(wanted, esm, style)))
        else:
            at = _after_imports(root)
            edits.append((at, at, ("\n" if at else "") + _render(wanted, esm, style) + ("" if at else "\n")))
    for stmt, _ in legacy:
        if stmt not in removable:
            still = (_referenced(root, outside=stmt) | _type_uses(ctx, stmt)) - set(types)
            pruned = _pruned(stmt, still)
            if pruned is not None:
                r = stmt.range()
                edits.append((r.start.index, r.end.index, pruned))
    for stmt in removable:
        r = stmt.range()
        end = r.end.index + (1 if source[r.end.index : r.end.index + 1] == "\n" else 0)
        edits.append((r.start.index, end, ""))
    if not edits:
        return None
    out = source
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text + out[end:]
    return out


_ALTERNATIVES = {
    "opentracing": "OpenTelemetry's own instrumentation for what it traces, or callers bridging their OTel "
    "tracer with @opentelemetry/shim-opentracing (TracerShim)",
    "jaeger": "an OpenTelemetry SDK set-up (docs/migration-javascript.md, jaeger-client table) "
    "in a new major version",
    "zipkin": "@opentelemetry/instrumentation-http / -express / -koa (the OpenTelemetry counterparts)",
}


def _migrate_dependent(ctx: TransformContext) -> str | None:
    """A file that imports no legacy library but uses a tracer or span a project module hands it (`const {
    makeTracer } = require('./lib/tracing')`): that module's set-up is migrated, so the spans this file
    starts are OpenTelemetry spans; their OpenTracing calls are migrated here the same way (what cannot be,
    gets a TODO from the safety net). None when there is nothing to do."""
    source = ctx.source
    for _ in range(8):
        new = migrate_opentracing(ctx.with_source(source, ("js-opentracing-span-methods",))) or source
        new = manage_imports(ctx.with_source(new)) or new
        if new == source:
            break
        source = new
    if source == ctx.source:
        return None
    return _flag_tracer_close(ctx, source)


def _flag_tracer_close(ctx: TransformContext, source: str) -> str:
    """`tracer.close(cb)` on a tracer another module made: OpenTelemetry tracers have no close (the
    provider, set up in that module, shuts down)."""
    root = parse(source, ctx.language.grep_language)
    edits = []
    for call in root.find_all(kind="call_expression"):
        found = method_call(call)
        if found is None or found[1] != "close" or not _TRACER_NAME.search(found[0].text()):
            continue
        reason = (
            f"`{found[0].text()}.close(…)`: an OpenTelemetry tracer has no close; shut down the provider "
            "the module that made this tracer sets up (`provider.shutdown()`), or drop the call"
        )
        edit = todo_edit(source, call, reason)
        if edit is not None:
            edits.append(edit)
            ctx.manual(line_of(call), "js-jaeger-tracer-close", reason)
    return apply_edits(source, edits)


_TRACER_NAME = re.compile(r"(?i)tracer$")


def leave_whole(ctx: TransformContext) -> str | None:
    """The project model's verdicts that come before any rule: compiled output is skipped (said once per
    run), and an instrumentation library whose public API is the legacy library is left whole with one TODO
    per file. None: migrate the file."""
    project = ctx.project
    if project is None:
        return None
    if project.is_compiled(ctx.path):
        if project.first_compiled == os.path.realpath(ctx.path):
            count = len(project.compiled)
            ctx.manual(
                1,
                "js-compiled-output",
                f"{count} compiled file(s) skipped ({COMPILED_REASON}), e.g. this one",
            )
        return ctx.source
    library = project.library_of(ctx.path)
    if library is None:
        return _migrate_dependent(ctx) if project.in_scope(ctx.path) else None
    legacy = _legacy_statements(ctx.root)
    if not legacy:
        return ctx.source
    reason = (
        f"left on {library.library}: {library.name} is an instrumentation library whose public API is "
        f"{library.library} ({library.evidence}); migrating it in place would break its callers. "
        f"Replace it with {_ALTERNATIVES[library.library]}"
    )
    api = library.library
    comment = f"left on {api}: {library.name}'s public API is {api} (see the rewrite report)"
    edit = todo_edit(ctx.source, legacy[0][0], comment)
    ctx.manual(line_of(legacy[0][0]), f"js-{library.library}-library", reason)
    return apply_edits(ctx.source, [edit]) if edit is not None else ctx.source


HANDLERS: dict[str, Handler] = {
    "js-jaeger-setup": migrate_jaeger,
    "js-zipkin-setup": migrate_zipkin_setup,
    "js-zipkin-spans": migrate_zipkin_spans,
    "js-opentracing": migrate_opentracing,
}
FINAL_PASSES: list[Handler] = [manage_imports]
LEAVE_WHOLE: Handler = leave_whole
