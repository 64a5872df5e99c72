"""Python transforms named by rules/python/*.yml (`handler:`), and the import pass run on changed files.

Each handler parses with libcst only when its library's calls are in the file (the engine calls a
handler only when one of its rules matched), rewrites, and returns the new source or None.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper

from otmigrate.config import Settings
from otmigrate.engine import TransformContext, line_map
from otmigrate.languages.python.cst import import_aliases
from otmigrate.languages.python.held import line_length, mark_held
from otmigrate.languages.python.jaeger_config import ConfigUses, JaegerConfig
from otmigrate.languages.python.opentracing_calls import OpenTracingCalls
from otmigrate.languages.python.otel_imports import drop_unused_span_targets, fix_imports
from otmigrate.languages.python.project import Hold, PythonProject
from otmigrate.languages.python.statement_forms import rewrite_statement_forms
from otmigrate.languages.python.style import in_file_quotes
from otmigrate.languages.python.zipkin_spans import ZipkinSpans

Report = Callable[[str, int, str], None]

# One transform per library serves several rules: a report line goes to the matched rule whose
# subject its message names first (the rest go to the first matched rule).
RULE_SUBJECTS = (
    ("set_operation_name", "py-opentracing-set-operation-name"),
    ("set_global_tracer", "py-opentracing-set-global-tracer"),
    ("global_tracer()", "py-opentracing-global-tracer"),
    ("start_child_span", "py-opentracing-start-child-span"),
    ("scope_manager.activate", "py-opentracing-activate"),
    ("scope", "py-opentracing-start-active-span"),
    ("start_active_span", "py-opentracing-start-active-span"),
    ("extracted context", "py-opentracing-inject-extract"),
    ("baggage", "py-opentracing-baggage"),
    ("inject", "py-opentracing-inject-extract"),
    ("Format.BINARY", "py-opentracing-inject-extract"),
    ("extract", "py-opentracing-inject-extract"),
    ("references", "py-opentracing-references"),
    ("lifetime", "py-opentracing-start-span"),
    ("not ended", "py-opentracing-start-span"),
    ("span stored", "py-opentracing-start-span"),
    ("child_of", "py-opentracing-start-span"),
    ("ignore_active_span", "py-opentracing-start-span"),
    ("span.kind", "py-opentracing-span-methods"),
    ("log_kv", "py-opentracing-span-methods"),
    ("sampling.priority", "py-opentracing-span-methods"),
    ("chained", "py-opentracing-span-methods"),
    ("finish()", "py-opentracing-span-methods"),
    ("close()", "py-jaeger-tracer-close"),
    ("jaeger", "py-jaeger-config"),
    ("zipkin span", "py-zipkin-span"),
    ("headers", "py-zipkin-http-headers"),
    ("transport", "py-zipkin-transport"),
    ("ZipkinAttrs", "py-zipkin-attrs"),
)


def rule_for(message: str, matched: tuple[str, ...], fallback: str) -> str:
    """The id of the matched rule a report line belongs to."""
    for subject, rule_id in RULE_SUBJECTS:
        if subject in message and rule_id in matched:
            return rule_id
    return matched[0] if matched else fallback


def migrate_opentracing(source: str, report: Report, settings: Settings | None = None) -> str:
    module = cst.parse_module(source)
    reshaped = rewrite_statement_forms(module, report)
    if reshaped is not None:
        # The call sites are migrated on the new shapes in this same pass: a later pass might never
        # come, as the import pass drops a legacy import that no call names by module any more.
        report = _lines_of(source, reshaped, report)
        source, module = reshaped, cst.parse_module(reshaped)
    transformer = OpenTracingCalls(import_aliases(module), report, source)
    return MetadataWrapper(module, unsafe_skip_copy=True).visit(transformer).code


def _lines_of(source: str, reshaped: str, report: Report) -> Report:
    """`report`, taking lines of `reshaped` and reporting the lines of `source` they came from."""
    lines = line_map(reshaped, source)  # TODO(core request 4): a public line_map in engine.py

    def reported(kind: str, line: int, message: str) -> None:
        report(kind, lines[min(max(line - 1, 0), len(lines) - 1)], message)

    return reported


def migrate_jaeger(source: str, report: Report, settings: Settings | None = None) -> str:
    module = cst.parse_module(source)
    transformer = JaegerConfig(import_aliases(module), settings, report)
    module = MetadataWrapper(module, unsafe_skip_copy=True).visit(transformer)
    if transformer.uses or transformer.global_tracers or transformer.local_tracers:
        uses = ConfigUses(transformer.uses, transformer.global_tracers, transformer.local_tracers)
        module = module.visit(uses)
    return module.code


def migrate_zipkin(source: str, report: Report, settings: Settings | None = None) -> str:
    module = cst.parse_module(source)
    service, propagators = getattr(settings, "service_name", None), getattr(settings, "propagators", None)
    transformer = ZipkinSpans(import_aliases(module), "tracer", report, service, propagators)
    return MetadataWrapper(module, unsafe_skip_copy=True).visit(transformer).code


def _handler(migrate: Callable[[str, Report, Settings | None], str], library: str):
    def handle(ctx: TransformContext) -> str | None:
        def report(kind: str, line: int, message: str) -> None:
            rule_id = rule_for(message, ctx.rules, f"py-{library}")
            (ctx.migrated if kind == "migrated" else ctx.manual)(line, rule_id, message)

        hold = _hold(ctx)
        if hold is not None:
            new = mark_held(ctx.source, hold.todo(), report, line_length(ctx.path))
            return new if new != ctx.source else None
        new = in_file_quotes(ctx.source, migrate(ctx.source, report, ctx.settings))
        return new if new != ctx.source else None

    return handle


def _hold(ctx: TransformContext) -> Hold | None:
    """Why this file's flow stays legacy whole (the project model), or None."""
    return ctx.project.hold(ctx.path) if isinstance(ctx.project, PythonProject) else None


def _imports(ctx: TransformContext) -> str | None:
    if _hold(ctx) is not None:
        return None
    return fix_imports(ctx.source)


def _span_targets(ctx: TransformContext) -> str | None:
    if _hold(ctx) is not None:
        return None
    return drop_unused_span_targets(ctx.source)


HANDLERS = {
    "python-opentracing": _handler(migrate_opentracing, "opentracing"),
    "python-jaeger-config": _handler(migrate_jaeger, "jaeger"),
    "python-zipkin": _handler(migrate_zipkin, "zipkin"),
}
FINAL_PASSES = [_span_targets, _imports]
