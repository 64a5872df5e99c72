"""Go transforms for what a rule pattern cannot express (see rules/go/*.yml).

The opentracing-go migration is one handler, because its steps depend on each other: a span variable is
known from its start call, its `SetTag` typing from the declarations around it, its end placement from
the statements of the function it was started in. Each step lives in an ot_*.py module and adds edits to
one shared pass (ot_pass.Pass); a step leaves what another step already rewrote. Each pass makes the edits
it can and leaves the rest for the next pass (the engine repeats to a fixpoint); a file with no legacy
import is never touched, which makes the migration idempotent. Imports are rebuilt by the final pass
(import_block.fix_imports) in gofmt's grouping.
"""

from __future__ import annotations

from otmigrate.engine import Handler, TransformContext
from otmigrate.languages.go.import_block import fix_imports
from otmigrate.languages.go.jaeger_setup import migrate_jaeger
from otmigrate.languages.go.ot_lifecycle import migrate_error_returns, migrate_lifecycle
from otmigrate.languages.go.ot_pass import LEGACY_PACKAGES, Pass
from otmigrate.languages.go.ot_propagation import migrate_carriers, migrate_extracts, migrate_injects
from otmigrate.languages.go.ot_span_calls import migrate_ext, migrate_span_methods
from otmigrate.languages.go.ot_starts import (
    migrate_nil_checks,
    migrate_package_calls,
    migrate_starts,
    migrate_type_names,
)
from otmigrate.languages.go.project import GoProject, keep_legacy
from otmigrate.languages.go.source_edits import apply_edits
from otmigrate.languages.go.zipkin_calls import migrate_zipkin

OPENTRACING_STEPS = (
    migrate_extracts,  # first: start options that reference an extracted context need its new name
    migrate_injects,
    migrate_starts,
    migrate_package_calls,
    migrate_carriers,
    migrate_ext,
    migrate_span_methods,
    migrate_nil_checks,
    migrate_type_names,
    migrate_lifecycle,
    migrate_error_returns,
)


def migrate_opentracing(ctx: TransformContext) -> str | None:
    """The opentracing-go handler (rules go-opentracing-migrate-*)."""
    imported = {b.module: b.local for b in ctx.bindings if b.library == "opentracing"}
    names = {canonical: imported[path] for canonical, path in LEGACY_PACKAGES.items() if path in imported}
    if not names:
        return None
    p = Pass(ctx, names)
    for step in OPENTRACING_STEPS:
        step(p)
    return apply_edits(ctx.source, p.edits)


def _unless_kept(handler: Handler) -> Handler:
    """The handler, except in a package the project model keeps legacy (project.py says why)."""

    def run(ctx: TransformContext) -> str | None:
        reason = ctx.project.kept_reason(ctx.path) if isinstance(ctx.project, GoProject) else None
        return handler(ctx) if reason is None else keep_legacy(ctx, reason)

    return run


HANDLERS: dict[str, Handler] = {
    "go_opentracing": _unless_kept(migrate_opentracing),
    "go_jaeger": _unless_kept(migrate_jaeger),
    "go_zipkin": _unless_kept(migrate_zipkin),
}
FINAL_PASSES: list[Handler] = [fix_imports]
