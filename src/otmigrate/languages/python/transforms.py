"""Python transforms named by rules/python/*.yml (`handler:`), and the import pass run on changed files.

Each handler parses with libcst only when its library's calls are in the file (the engine calls a
handler only when one of its rules matched), rewrites, and returns the new source or None.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper

from otmigrate.languages.python.cst import import_aliases
from otmigrate.languages.python.jaeger_config import ConfigUses, JaegerConfig
from otmigrate.languages.python.opentracing_calls import OpenTracingCalls
from otmigrate.languages.python.otel_imports import fix_imports
from otmigrate.languages.python.zipkin_spans import ZipkinSpans

Report = Callable[[str, int, str], None]


def migrate_opentracing(source: str, report: Report) -> str:
    module = cst.parse_module(source)
    transformer = OpenTracingCalls(import_aliases(module), report, source)
    return MetadataWrapper(module, unsafe_skip_copy=True).visit(transformer).code


def migrate_jaeger(source: str, report: Report, settings=None) -> str:
    module = cst.parse_module(source)
    transformer = JaegerConfig(import_aliases(module), settings, report)
    module = MetadataWrapper(module, unsafe_skip_copy=True).visit(transformer)
    if transformer.uses or transformer.global_tracers:
        module = module.visit(ConfigUses(transformer.uses, transformer.global_tracers))
    return module.code


def migrate_zipkin(source: str, report: Report, settings=None) -> str:
    module = cst.parse_module(source)
    service, propagators = getattr(settings, "service_name", None), getattr(settings, "propagators", None)
    transformer = ZipkinSpans(import_aliases(module), "tracer", report, service, propagators)
    return MetadataWrapper(module, unsafe_skip_copy=True).visit(transformer).code


def migrate_all(source: str, report: Report | None = None, settings=None) -> str:
    """Every Python transform and the import pass, to a fixpoint: what the engine does with all rules."""
    report = report or (lambda kind, line, message: None)
    for _ in range(8):
        new = migrate_jaeger(source, report, settings)
        new = migrate_opentracing(new, report)
        new = migrate_zipkin(new, report, settings)
        new = fix_imports(new) or new
        if new == source:
            return new
        source = new
    raise RuntimeError("the Python migration did not settle")


def _handler(migrate: Callable[..., str], *, with_settings: bool = False):
    def handle(ctx) -> str | None:
        def report(kind: str, line: int, message: str) -> None:
            (ctx.migrated if kind == "migrated" else ctx.manual)(line, f"py-{migrate.__name__[8:]}", message)

        args = (ctx.source, report, ctx.settings) if with_settings else (ctx.source, report)
        new = migrate(*args)
        return new if new != ctx.source else None

    return handle


def _imports(ctx) -> str | None:
    return fix_imports(ctx.source)


HANDLERS = {
    "python-opentracing": _handler(migrate_opentracing),
    "python-jaeger-config": _handler(migrate_jaeger, with_settings=True),
    "python-zipkin": _handler(migrate_zipkin, with_settings=True),
}
FINAL_PASSES = [_imports]
