"""Errors on spans: OTM201 error path without RecordError, OTM202 error path without an error status (both
on the flow analysis of OTM101), OTM205 exception recorded by hand, then re-raised out of a block that
records it too."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ast_grep_py import SgNode

from otmigrate.lint import flow
from otmigrate.lint.checks.lifecycle import (
    BLOCK_SCOPED_SPAN,
    SpanTracker,
    calls_outside_closures,
    escapes,
)
from otmigrate.lint.context import FileContext
from otmigrate.lint.flow import OPEN
from otmigrate.lint.model import Example, Rule
from otmigrate.lint.spans import (
    LEGACY_ONLY_STARTS,
    SpanStart,
    active_span_callbacks,
    find_starts,
    uses_otel_api,
)
from otmigrate.lint.syntax import (
    call_args,
    call_name,
    enclosing_function,
    kwarg,
    line_of,
    named,
)


@dataclass(frozen=True)
class ErrorMark:
    """What one rule requires on an error path: a span method (with an argument test) and what to say."""

    code: str
    methods: dict[str, str]  # language -> span method that counts
    argument: re.Pattern  # the first argument must match (the ERROR status code; anything for records)
    cm_flag: str  # Python: the `start_span`/`use_span` flag that turns the automatic recording off
    missing: dict[str, str]  # language -> the call the message asks for


RECORD = ErrorMark(
    "OTM201",
    {"go": "RecordError", "python": "record_exception", "javascript": "recordException"},
    re.compile(r"."),
    "record_exception",
    {"go": "{var}.RecordError(err)", "python": "{var}.record_exception(exc)"},
)
STATUS = ErrorMark(
    "OTM202",
    {"go": "SetStatus", "python": "set_status", "javascript": "setStatus"},
    re.compile(r"\bError\b|ERROR|\bcode\s*:\s*2\b"),
    "set_status_on_exception",
    {
        "go": "{var}.SetStatus(codes.Error, ...)",
        "python": "{var}.set_status(StatusCode.ERROR)",
        "javascript": "{var}.setStatus({{ code: SpanStatusCode.ERROR }})",
    },
)
_GO_ERROR_VALUE = re.compile(r"^(\w*[eE]rr\w*|\w+\.(New|Errorf?|Wrapf?|Join)\(.*)$", re.DOTALL)
_GO_SENTINEL = re.compile(r"^(\w+\.)?Err[A-Z0-9]\w*$")


def _go_returns_error(fn: SgNode) -> bool:
    result = fn.field("result")
    if result is None:
        return False
    types = [p.field("type") or p for p in named(result)] if result.kind() == "parameter_list" else [result]
    return bool(types) and types[-1].text() == "error"


class ErrorPathTracker(SpanTracker):
    """OPEN = on this path the span has not been given the error yet (recorded / error status).

    Error exits: Go `return` of an error value from a function declared to return `error` (not `nil`, not a
    sentinel such as `io.EOF` or a domain `ErrNotFound`); Python `raise`; JavaScript `throw` and
    `return Promise.reject(...)`. An exit inside a `with` that records the exception itself does not count.
    """

    def __init__(self, ctx: FileContext, start: SpanStart, others: list, mark: ErrorMark, helpers: set[str]):
        super().__init__(ctx, start, others, helpers)
        self.mark = mark
        self.method = mark.methods[ctx.language]
        self.configured = {name.rsplit(".", 1)[-1] for name in ctx.options.error_record_functions}
        self.sentinels = set(ctx.options.sentinel_errors)
        self.misses: dict[int, SgNode] = {}

    def ends(self, node: SgNode) -> bool:
        for call in calls_outside_closures(node, self.ctx.language):
            recv, name = call_name(call)
            if recv is not None and recv.text() == self.var and name == self.method:
                args = call_args(call)
                if args and self.mark.argument.search(args[0].text()):
                    return True
            if name in self.configured:
                return True  # like spancheck's ignore-check-signatures: on the path is enough
            if name in self.end_helpers and any(a.text() == self.var for a in call_args(call)):
                return True
        return False

    def defer_releases(self, node):
        closure = node.field("function") if node.kind() == "call_expression" else None
        if closure is not None and closure.kind() == "func_literal":
            return self.ends(closure.field("body"))  # any call in the deferred closure counts (spancheck #24)
        return self.ends(node)

    def with_releases(self, items):
        """`with span:` and `with trace.use_span(span)` record an escaping exception and set ERROR."""
        for item in items.find_all(kind="with_item"):
            value = item.field("value")
            target = named(value)[0] if value is not None and value.kind() == "as_pattern" else value
            if target is None:
                continue
            if target.kind() == "identifier" and target.text() == self.var:
                flag = kwarg(self.start.call, self.mark.cm_flag)
                return flag is None or flag.text() != "False"
            if target.kind() == "call" and call_name(target)[1] == "use_span":
                args, flag = call_args(target), kwarg(target, self.mark.cm_flag)
                if args and args[0].text() == self.var and (flag is None or flag.text() != "False"):
                    return True
        return False

    def on_exit(self, node, kind, state, guarded):
        if OPEN in state and not guarded and self.is_error_exit(node, kind):
            self.misses.setdefault(line_of(node), node)

    def is_error_exit(self, node: SgNode, kind: str) -> bool:
        lang = self.ctx.language
        if lang == "python":
            return kind == "raise"
        if lang == "javascript":
            return kind == "raise" or (kind == "return" and "Promise.reject(" in node.text())
        if kind != "return" or not _go_returns_error(enclosing_function(node, "go")):
            return False
        values = named(node)
        if not values:
            return False  # a bare return: whether the named error is set is not known here
        last = named(values[0])[-1] if values[0].kind() == "expression_list" else values[-1]
        text = last.text()
        if text == "nil" or text in self.sentinels or self.is_sentinel(text):
            return False
        return bool(_GO_ERROR_VALUE.match(text))

    def is_sentinel(self, text: str) -> bool:
        """`ErrNotFound`, `store.ErrClosed`, or an `errX` declared in this file with `errors.New`: expected,
        handled errors that semantic conventions say not to record (`sentinel-errors` adds more)."""
        if _GO_SENTINEL.match(text):
            return True
        pattern = rf"(?m)^(var\s+)?\s*{re.escape(text)}\s*=\s*errors\.New\("
        return bool(re.match(r"^err[A-Z]\w*$", text)) and re.search(pattern, self.ctx.text) is not None


def error_helpers(ctx: FileContext, mark: ErrorMark) -> set[str]:
    """Same-file functions that record the error on (or set the error status of) a span they are passed."""
    method = re.escape(mark.methods[ctx.language])
    found = set()
    kind = "function_definition" if ctx.language == "python" else "function_declaration"
    for fn in ctx.root.find_all(kind=kind):
        params, name, body = fn.field("parameters"), fn.field("name"), fn.field("body")
        if params is None or name is None or body is None:
            continue
        for param in named(params):
            pname = (param.field("name") or param).text().split(":")[0].strip()
            if pname and re.search(rf"\b{re.escape(pname)}\.{method}\(", body.text()):
                found.add(name.text())
    return found


def _span_scopes(ctx: FileContext):
    """(start, function whose body it lives in, state at the top of that body) for each OTel span."""
    for start in find_starts(ctx):
        if start.var in (None, "_") or start.stmt is None or start.method in LEGACY_ONLY_STARTS:
            continue
        fn = enclosing_function(start.call, ctx.language)
        if fn is not None and fn.field("body") is not None and not escapes(ctx, fn, start.var):
            yield start, fn, frozenset({"none"})
    for callback in active_span_callbacks(ctx):
        if not escapes(ctx, callback.function, callback.var):
            start = SpanStart(callback.call, "startActiveSpan", callback.var, None, ("end",), None, False)
            yield start, callback.function, frozenset({OPEN})


def check_error_paths(ctx: FileContext) -> None:
    if not uses_otel_api(ctx):
        return  # legacy spans have no RecordError/status: OTM901 and the migration come first
    scopes = list(_span_scopes(ctx))
    if not scopes:
        return
    starts = find_starts(ctx)
    for mark in (RECORD, STATUS):
        if ctx.language not in mark.missing:
            continue  # the rule does not cover this language (no OTM201 in JavaScript: no error returns)
        helpers = error_helpers(ctx, mark)
        for start, fn, entry in scopes:
            tracker = ErrorPathTracker(ctx, start, starts, mark, helpers)
            flow.Engine(tracker).run(flow.lower(fn.field("body"), ctx.language), fn, entry)
            missing = mark.missing[ctx.language].format(var=start.var)
            what = "recorded on" if mark is RECORD else "marked as an error on"
            for node in tracker.misses.values():
                ctx.report(
                    mark.code,
                    node,
                    f"this error path leaves span `{start.var}` (started at line {line_of(start.call)}) "
                    f"without `{missing}`: the failure is not {what} the span",
                    related=[(line_of(start.call), "span started here")],
                )


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


_ERROR_OPTIONS = ("error-record-functions", "sentinel-errors", "span-start-functions")

RULES = (
    Rule(
        code="OTM201",
        name="error-not-recorded",
        languages=("go", "python"),
        severity="warning",
        precision="medium",
        profile="recommended",
        summary="An error leaves a span's scope on a path that never records it on the span.",
        why="The span ends without the exception event, so the trace shows where time went but not why the "
        "operation failed (spancheck `record-error`). Go's `RecordError` is explicit; Python records an "
        "exception automatically only when it escapes a `with` block of the span, not for a span started "
        "with `start_span` and ended by hand. Expected errors (`io.EOF`, `sql.ErrNoRows`, "
        "`ErrNotFound`-style sentinels) are not reported: the semantic conventions say handled errors "
        "SHOULD NOT be recorded.",
        fix="Go: `span.RecordError(err)` (and `span.SetStatus(codes.Error, err.Error())`) before the return, "
        "or once in a deferred closure over a named `err` result. Python: `span.record_exception(exc)` "
        "before the raise, or run the body in `with trace.use_span(span, end_on_exit=True):`. A helper "
        "that records (`return fail(span, err)`) is recognised in the same file; list others, or a "
        "logs-API call that stands for the record (OTEP 4430), in `error-record-functions`.",
        options=_ERROR_OPTIONS,
        examples=(
            Example(
                "go",
                "positive: wrapped error returned without RecordError",
                """
func load(ctx context.Context, id string) (*Item, error) {
	ctx, span := tracer.Start(ctx, "load")
	defer span.End()
	item, err := db.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", id, err) // want: OTM201, OTM202
	}
	return item, nil
}
""",
            ),
            Example(
                "go",
                "negative: recorded and marked before the return",
                """
func load(ctx context.Context, id string) (*Item, error) {
	ctx, span := tracer.Start(ctx, "load")
	defer span.End()
	item, err := db.Get(ctx, id)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return nil, err
	}
	return item, nil
}
""",
            ),
            Example(
                "go",
                "trap: error recorded by a helper (spancheck README)",
                """
func fail(span trace.Span, err error) error {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	return err
}

func load(ctx context.Context, id string) error {
	ctx, span := tracer.Start(ctx, "load")
	defer span.End()
	if err := db.Ping(ctx); err != nil {
		return fail(span, err)
	}
	return nil
}
""",
            ),
            Example(
                "go",
                "trap: named error result recorded in a deferred closure (spancheck #24)",
                """
func load(ctx context.Context) (err error) {
	ctx, span := tracer.Start(ctx, "load")
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	if err = db.Ping(ctx); err != nil {
		return err
	}
	return nil
}
""",
            ),
            BLOCK_SCOPED_SPAN,
            Example(
                "go",
                "trap: sentinel and domain errors are expected, not recorded",
                """
var errStale = errors.New("stale")

func next(ctx context.Context, it *Iter) (*Row, error) {
	ctx, span := tracer.Start(ctx, "next")
	defer span.End()
	if it.done {
		return nil, io.EOF
	}
	if it.missing {
		return nil, ErrNotFound
	}
	if it.old {
		return nil, errStale
	}
	return it.row, nil
}
""",
            ),
            Example(
                "go",
                "trap: a configured sentinel",
                """
func get(ctx context.Context, key string) ([]byte, error) {
	ctx, span := tracer.Start(ctx, "get")
	defer span.End()
	if !cache.Has(key) {
		return nil, cache.Miss
	}
	return cache.Get(key), nil
}
""",
                config={"sentinel-errors": ["cache.Miss"]},
            ),
            Example(
                "go",
                "trap: a configured error-record function (logs API, OTEP 4430)",
                """
func load(ctx context.Context, id string) error {
	ctx, span := tracer.Start(ctx, "load")
	defer span.End()
	if err := db.Ping(ctx); err != nil {
		slog.ErrorContext(ctx, "load failed", "err", err)
		return err
	}
	return nil
}
""",
                config={"error-record-functions": ["slog.ErrorContext"]},
            ),
            Example(
                "go",
                "trap: OpenTracing spans have no RecordError (OTM901 and the migration first)",
                """
import opentracing "github.com/opentracing/opentracing-go"

func load(ctx context.Context) error {
	span, ctx := opentracing.StartSpanFromContext(ctx, "load")
	defer span.Finish()
	if err := db.Ping(ctx); err != nil {
		return err
	}
	return nil
}
""",
            ),
            Example(
                "python",
                "positive: manual span, error re-raised unrecorded",
                """
def charge(order):
    span = tracer.start_span("charge")
    try:
        gateway.charge(order)
    except GatewayError:
        raise  # want: OTM201, OTM202
    finally:
        span.end()
""",
            ),
            Example(
                "python",
                "negative: recorded and marked before the raise",
                """
def charge(order):
    span = tracer.start_span("charge")
    try:
        gateway.charge(order)
    except GatewayError as exc:
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, str(exc)))
        raise
    finally:
        span.end()
""",
            ),
            Example(
                "python",
                "trap: re-raised inside a `with` block that records it",
                """
def charge(order):
    span = tracer.start_span("charge")
    with trace.use_span(span, end_on_exit=True):
        if not order.valid:
            raise ValueError("invalid order")
        gateway.charge(order)
""",
            ),
            Example(
                "python",
                "trap: start_as_current_span records escaping exceptions itself",
                """
def charge(order):
    with tracer.start_as_current_span("charge"):
        if not order.valid:
            raise ValueError("invalid order")
""",
            ),
        ),
    ),
    Rule(
        code="OTM202",
        name="error-status-not-set",
        languages=("go", "javascript", "python"),
        severity="warning",
        precision="medium",
        profile="recommended",
        summary="An error leaves a span's scope on a path that never sets the span's status to Error.",
        why='`RecordError`/`recordException` add an event but do not change the status (Go: "An additional '
        'call to SetStatus is required"). A span whose status stays Unset counts as a success in every '
        "error-rate query and alert, whatever its events say.",
        fix="`span.SetStatus(codes.Error, err.Error())` (Go), `span.setStatus({ code: SpanStatusCode.ERROR, "
        "message })` (JavaScript), `span.set_status(Status(StatusCode.ERROR, str(exc)))` (Python) on the "
        "error path — in JavaScript typically in the `catch` before the rethrow. Helpers and "
        "`error-record-functions` count as for OTM201.",
        options=_ERROR_OPTIONS,
        examples=(
            Example(
                "go",
                "positive: recorded but the status stays Unset",
                """
func save(ctx context.Context, it *Item) error {
	ctx, span := tracer.Start(ctx, "save")
	defer span.End()
	if err := db.Put(ctx, it); err != nil {
		span.RecordError(err)
		return err // want: OTM202
	}
	return nil
}
""",
            ),
            Example(
                "go",
                "positive: an Ok status is not an Error status, even described with the error",
                """
func save(ctx context.Context, it *Item) error {
	ctx, span := tracer.Start(ctx, "save")
	defer span.End()
	span.SetStatus(codes.Ok, "")
	if err := db.Put(ctx, it); err != nil {
		return err // want: OTM202
	}
	if err := db.Flush(ctx); err != nil {
		span.SetStatus(codes.Ok, err.Error())
		return err // want: OTM202
	}
	return nil
}
""",
            ),
            Example(
                "go",
                "trap: status set by a same-file helper",
                """
func markFailed(s trace.Span, err error) {
	s.SetStatus(codes.Error, err.Error())
}

func save(ctx context.Context, it *Item) error {
	ctx, span := tracer.Start(ctx, "save")
	defer span.End()
	if err := db.Put(ctx, it); err != nil {
		span.RecordError(err)
		markFailed(span, err)
		return err
	}
	return nil
}
""",
            ),
            Example(
                "javascript",
                "positive: catch records and rethrows, status stays Unset",
                """
async function charge(order) {
  return tracer.startActiveSpan("charge", async (span) => {
    try {
      return await gateway.charge(order);
    } catch (err) {
      span.recordException(err);
      throw err; // want: OTM202
    } finally {
      span.end();
    }
  });
}
""",
            ),
            Example(
                "javascript",
                "negative: the API docs' pattern",
                """
async function charge(order) {
  return tracer.startActiveSpan("charge", async (span) => {
    try {
      return await gateway.charge(order);
    } catch (err) {
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      throw err;
    } finally {
      span.end();
    }
  });
}
""",
            ),
            Example(
                "javascript",
                "positive: a rejected promise returned",
                """
function load(id) {
  const span = tracer.startSpan("load");
  if (!id) {
    span.end();
    return Promise.reject(new Error("no id")); // want: OTM202
  }
  span.end();
  return fetchItem(id);
}
""",
            ),
            Example(
                "javascript",
                "trap: a throw caught in the same function is not an error exit",
                """
function parse(text) {
  const span = tracer.startSpan("parse");
  try {
    if (!text) {
      throw new Error("empty");
    }
    return JSON.parse(text);
  } catch (err) {
    return null;
  } finally {
    span.end();
  }
}
""",
            ),
            Example(
                "python",
                "positive: recorded, status not set",
                """
def charge(order):
    span = tracer.start_span("charge")
    try:
        gateway.charge(order)
    except GatewayError as exc:
        span.record_exception(exc)
        raise  # want: OTM202
    finally:
        span.end()
""",
            ),
            Example(
                "python",
                "trap: `with span:` sets the error status on the way out",
                """
def charge(order):
    span = tracer.start_span("charge")
    with span:
        if not order.valid:
            raise ValueError("invalid order")
        gateway.charge(order)
""",
            ),
        ),
    ),
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

CHECKS = (
    (("OTM201", "OTM202"), ("python", "go", "javascript"), check_error_paths),
    (("OTM205",), ("python",), check_duplicate_recording),
)
