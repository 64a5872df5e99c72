"""Errors on spans: OTM205 exception recorded by hand, then re-raised out of a block that records it too."""

from __future__ import annotations

from ast_grep_py import SgNode

from otmigrate.lint.context import FileContext
from otmigrate.lint.model import Example, Rule
from otmigrate.lint.syntax import call_name, kwarg, named

_RECORDING = ("start_as_current_span", "start_span", "use_span")


def _records_on_exit(call: SgNode) -> bool:
    """`with tracer.start_as_current_span(...)` / `start_span` / `use_span` record escaping exceptions unless
    told not to (`record_exception=False`)."""
    if call.kind() != "call" or call_name(call)[1] not in _RECORDING:
        return False
    flag = kwarg(call, "record_exception")
    return flag is None or flag.text() != "False"


def _recording_scope(node: SgNode) -> bool:
    """Is `node` inside a `with` block or decorated function that records exceptions on exit?"""
    for anc in node.ancestors():
        if anc.kind() == "with_statement":
            for item in anc.find_all(kind="with_item"):
                value = item.field("value")
                call = named(value)[0] if value is not None and value.kind() == "as_pattern" else value
                if call is not None and _records_on_exit(call):
                    return True
        if anc.kind() == "function_definition":
            parent = anc.parent()
            if parent is None or parent.kind() != "decorated_definition":
                return False
            return any(
                _records_on_exit(named(d)[0]) for d in named(parent) if d.kind() == "decorator" and named(d)
            )
    return False


def check_duplicate_recording(ctx: FileContext) -> None:
    if "record_exception" not in ctx.text:
        return
    for clause in ctx.root.find_all(kind="except_clause"):
        body = next((b for b in named(clause) if b.kind() == "block"), None)
        if body is None:
            continue
        records = [c for c in body.find_all(kind="call") if call_name(c)[1] == "record_exception"]
        raises = [r for r in body.find_all(kind="raise_statement") if " from " not in r.text()]
        if not records or not raises or not _recording_scope(clause):
            continue
        alias = clause.find(kind="as_pattern_target")
        reraised = any(
            r.text() == "raise" or (alias is not None and r.text() == f"raise {alias.text()}") for r in raises
        )
        if reraised:
            ctx.report(
                "OTM205",
                records[0],
                "the exception is recorded here and re-raised out of a span block that "
                "records escaping exceptions itself: it is recorded twice; drop this call (or pass "
                "`record_exception=False` to the block)",
            )


RULES = (
    Rule(
        code="OTM205",
        name="duplicate-exception-recording",
        languages=("python",),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="`span.record_exception(e)` followed by `raise` inside a block that records it again.",
        why="`start_as_current_span`, `start_span` used as a context manager, `use_span` and their decorator "
        "form record an escaping exception and set the ERROR status by themselves (no de-duplication), so "
        "the span gets two exception events. Semantic conventions: it is NOT RECOMMENDED to record the same "
        "exception more than once.",
        fix="Remove the manual `record_exception` before the re-raise, or pass `record_exception=False` to "
        "the block if you record by hand.",
        examples=(
            Example(
                "python",
                "positive: record then bare raise",
                """
def work():
    with tracer.start_as_current_span("work") as span:
        try:
            step()
        except ValueError as exc:
            span.record_exception(exc)  # want: OTM205
            raise
""",
            ),
            Example(
                "python",
                "positive: decorator form",
                """
@tracer.start_as_current_span("work")
def work():
    try:
        step()
    except ValueError as exc:
        trace.get_current_span().record_exception(exc)  # want: OTM205
        raise exc
""",
            ),
            Example(
                "python",
                "trap: record_exception=False",
                """
def work():
    with tracer.start_as_current_span("work", record_exception=False) as span:
        try:
            step()
        except ValueError as exc:
            span.record_exception(exc)
            raise
""",
            ),
            Example(
                "python",
                "trap: a different exception is raised",
                """
def work():
    with tracer.start_as_current_span("work") as span:
        try:
            step()
        except ValueError as exc:
            span.record_exception(exc)
            raise RuntimeError("step failed") from exc
""",
            ),
            Example(
                "python",
                "negative: handled, not re-raised",
                """
def work():
    with tracer.start_as_current_span("work") as span:
        try:
            step()
        except ValueError as exc:
            span.record_exception(exc)
            return None
""",
            ),
        ),
    ),
)

CHECKS = ((("OTM205",), ("python",), check_duplicate_recording),)
