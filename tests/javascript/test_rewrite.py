"""Golden fixtures (layer 2) and idempotence (layer 5) for `otmigrate rewrite` on JavaScript, plus the
rule examples (layer 1). A case whose rewrite does not yet reach the hand-written expected output is an
honest strict xfail: it starts failing (XPASS) the moment the rewriter catches up."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

import pytest

from otmigrate.config import Settings
from otmigrate.engine import rewrite_source
from otmigrate.languages import LANGUAGES
from otmigrate.languages.javascript.opentracing_calls import REGISTER
from otmigrate.rulefiles import load_rules
from otmigrate.ruletest import check_rules

from .jsharness import FIXTURES, fixture_cases, program, require_node, run_programs, stage
from .spantree import normalise

JS = LANGUAGES["javascript"]
CASES = fixture_cases()
IDS = [str(c.relative_to(FIXTURES)) for c in CASES]
JS_CASES = [c for c in CASES if program(c, "input").suffix != ".ts"]  # TypeScript: test_typescript.py
JS_IDS = [str(c.relative_to(FIXTURES)) for c in JS_CASES]
NOT_YET: set[str] = set()
"""Cases whose rewrite does not reach expected.* yet (strict xfails: an XPASS fails, so remove the case)."""


@cache
def _rules() -> list:
    return [r for r in load_rules() if r.language.name == "javascript"]


def _rewrite(text: str, name: str, settings: Settings | None = None) -> str:
    outcome = rewrite_source(text, name, JS.for_path(name), _rules(), settings or Settings())
    assert outcome.error is None, outcome.error
    return outcome.text


def test_rule_examples() -> None:
    results = check_rules(_rules())
    assert results, "no JavaScript rule examples found"
    failures = [f"{r.rule.id}: {r.problem}" for r in results if not r.passed]
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason="the rewriter does not cover this yet"))
        if str(c.relative_to(FIXTURES)) in NOT_YET
        else c
        for c in CASES
    ],
    ids=IDS,
)
def test_rewrite_matches_expected(case: Path) -> None:
    src = program(case, "input")
    assert _rewrite(src.read_text(), str(src)) == program(case, "expected").read_text()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rewrite_is_idempotent(case: Path) -> None:
    src = program(case, "input")
    once = _rewrite(src.read_text(), str(src))
    assert _rewrite(once, str(src)) == once


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_migrated_code_is_left_alone(case: Path) -> None:
    expected = program(case, "expected")
    assert _rewrite(expected.read_text(), str(expected)) == expected.read_text()


@pytest.mark.parametrize("case", JS_CASES, ids=JS_IDS)
def test_rewrite_output_passes_node_check(case: Path, tmp_path: Path) -> None:
    """Layer 3 for what the rewriter writes (the equivalence test runs expected.*, which it equals)."""
    node = require_node()
    src = program(case, "input")
    out = tmp_path / f"migrated{src.suffix}"
    out.write_text(_rewrite(src.read_text(), str(src)))
    proc = subprocess.run([node, "--check", str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_every_manual_item_leaves_a_todo_in_the_code() -> None:
    src = program(FIXTURES / "opentracing" / "manual-todos", "input")
    outcome = rewrite_source(src.read_text(), str(src), JS, _rules(), Settings())
    manual = [c for c in outcome.changes if c.kind == "manual"]
    assert len(manual) == 6
    for change in manual:
        assert f"// TODO(otmigrate): {change.message}" in outcome.text


PARENTLESS = """\
const opentracing = require('opentracing');
const tracer = opentracing.globalTracer();
const outer = tracer.startSpan('outer');
const inner = tracer.startSpan('inner', {childOf: outer});
"""


def test_parentless_spans_stay_roots_unless_configured() -> None:
    as_roots = _rewrite(PARENTLESS, "x.js")
    assert "tracer.startSpan('outer', {root: true})" in as_roots
    from_active = _rewrite(PARENTLESS, "x.js", Settings(js_root_spans=False))
    assert "tracer.startSpan('outer');" in from_active
    for text in (as_roots, from_active):
        assert "tracer.startSpan('inner', {}, trace.setSpan(context.active(), outer))" in text


def test_a_local_name_hiding_the_api_gets_a_todo_instead_of_a_wrong_rewrite() -> None:
    lambda_handler = """\
const opentracing = require('opentracing');
const tracer = opentracing.globalTracer();
exports.handler = async (event, context) => {
  const parent = tracer.extract(opentracing.FORMAT_HTTP_HEADERS, event.headers);
};
"""
    out = _rewrite(lambda_handler, "handler.js")
    assert "// TODO(otmigrate): the local name `context` hides the OpenTelemetry API" in out
    assert "tracer.extract(opentracing.FORMAT_HTTP_HEADERS, event.headers)" in out


def _parent_argument(source: str, name: str) -> str:
    """The rewrite's startSpan call of span `name` (its options are empty in these cases)."""
    out = _rewrite("const opentracing = require('opentracing');\n" + source, "x.js")
    return next(line for line in out.splitlines() if f"startSpan('{name}'" in line)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (  # a SpanContext named like a span's parent, bound from .context()
            "const parent = root.context();\nconst s = tracer.startSpan('a', {childOf: parent});\n",
            "trace.setSpanContext(context.active(), parent)",
        ),
        (  # a parameter used as a span in its function
            "function f(parent) { parent.setTag('k', 1); tracer.startSpan('a', {childOf: parent}); }\n",
            "trace.setSpan(context.active(), parent)",
        ),
        (  # a recursive call site tells nothing; the outer one passes a SpanContext
            "function f(p, n) { tracer.startSpan('a', {childOf: p}); if (n) f(p, n - 1); }\n"
            "f(root.context(), 2);\n",
            "trace.setSpanContext(context.active(), p)",
        ),
        (  # call sites that disagree: decided at run time
            "function f(p) { tracer.startSpan('a', {childOf: p}); }\nf(tracer.startSpan('r'));\n"
            "f(other.context());\n",
            "trace.setSpanContext(context.active(), p.spanContext?.() ?? p)",
        ),
        (  # passed as a callback: its callers are not all known
            "function f(p) { tracer.startSpan('a', {childOf: p}); }\nf(tracer.startSpan('r'));\n"
            "emitter.on('x', f);\n",
            "trace.setSpanContext(context.active(), p.spanContext?.() ?? p)",
        ),
        (  # a method called through its object, not `this`
            "const o = { m(p) { tracer.startSpan('a', {childOf: p}); } };\no.m(tracer.startSpan('r'));\n",
            "trace.setSpanContext(context.active(), p.spanContext?.() ?? p)",
        ),
        (  # a name that says it, with no binding in the file
            "tracer.startSpan('a', {childOf: req.parentSpan});\n",
            "trace.setSpan(context.active(), req.parentSpan)",
        ),
    ],
)
def test_childof_span_or_span_context_comes_from_the_binding(source: str, expected: str) -> None:
    assert f"startSpan('a', {{}}, {expected})" in _parent_argument(source, "a")


def test_an_unknown_parent_expression_is_taken_for_a_span_with_a_todo() -> None:
    out = _rewrite(
        "const opentracing = require('opentracing');\ntracer.startSpan('a', {childOf: pick()});\n", "x.js"
    )
    assert "// TODO(otmigrate): `pick()` is taken for a Span: if it is a SpanContext" in out
    assert "trace.setSpan(context.active(), pick())" in out


def test_init_global_tracer_of_a_set_up_function_keeps_the_set_up_call_only() -> None:
    """makeTracer is a jaeger set-up function (converted by js-jaeger-setup, which registers the provider):
    the registration goes, the set-up call stays; a tracer that is not visible here keeps a TODO."""
    source = """\
const opentracing = require('opentracing');
const { initTracer } = require('jaeger-client');
const { MockTracer } = require('opentracing/lib/mock_tracer');
function makeTracer(name) {
  return initTracer({ serviceName: name }, {});
}
opentracing.initGlobalTracer(makeTracer('svc'));
opentracing.initGlobalTracer(new MockTracer());
"""
    outcome = rewrite_source(source, "x.js", JS, _rules(), Settings())
    manual = [c.message.split(":")[0] for c in outcome.changes if c.rule == REGISTER and c.kind == "manual"]
    assert manual == ["OpenTelemetry registers a TracerProvider, not a tracer"]  # the MockTracer
    assert "\nmakeTracer('svc');\n" in outcome.text
    assert "initGlobalTracer(makeTracer('svc'))" not in outcome.text
    before = outcome.text.split("opentracing.initGlobalTracer(new MockTracer())")[0].splitlines()[-1]
    assert before.startswith("// TODO(otmigrate): "), before


@pytest.mark.parametrize(
    ("registration", "left"),
    [
        ("opentracing.initGlobalTracer(makeTracer('svc'));", "makeTracer('svc');"),
        ("const t = makeTracer('b');\nopentracing.initGlobalTracer(t);", "const t = makeTracer('b');"),
        ("opentracing.initGlobalTracer(trace.getTracer('x'));", ""),
    ],
    ids=["set-up-call", "variable", "get-tracer"],
)
def test_init_global_tracer_of_an_opentelemetry_tracer_goes(registration: str, left: str) -> None:
    source = f"""\
const opentracing = require('opentracing');
const {{ trace }} = require('@opentelemetry/api');
function makeTracer(name) {{
  return trace.getTracer(name);
}}
{registration}
"""
    out = _rewrite(source, "x.js")
    assert out.endswith(f"}}\n{left}\n" if left else "}\n")
    assert "opentracing" not in out


def test_a_span_kind_set_in_an_inner_block_is_not_hoisted() -> None:
    """Only a statement of the block that starts the span moves: a conditional kind stays, with a TODO."""
    source = """\
const opentracing = require('opentracing');
function serve(req) {
  const span = tracer.startSpan('serve');
  if (req.internal) {
    span.setTag('span.kind', 'server');
  }
  span.finish();
}
"""
    out = _rewrite(source, "x.js")
    assert "tracer.startSpan('serve', { root: true })" in out
    assert "// TODO(otmigrate): span.kind set after the start" in out


def _run_broken(tmp_path: Path, name: str, right: str, wrong: str) -> dict[str, dict]:
    """Run an opentracing fixture's input (legacy) and its expected output with `right` made `wrong`
    (otel): the equivalence test of that fixture must be able to tell them apart."""
    node = require_node()
    case = FIXTURES / "opentracing" / name
    expected = program(case, "expected")
    broken = expected.read_text().replace(right, wrong)
    assert broken != expected.read_text(), f"{right!r} is not in {expected}"
    listing = [
        {
            "id": "legacy",
            "file": str(stage(tmp_path, "legacy", program(case, "input").read_text(), expected.suffix)),
            "side": "legacy",
        },
        {"id": "broken", "file": str(stage(tmp_path, "broken", broken, expected.suffix)), "side": "otel"},
    ]
    return run_programs(node, tmp_path, listing)


def test_a_span_context_taken_for_a_span_crashes_the_fixture(tmp_path: Path) -> None:
    """What the name-based decision wrote for childof-inference-cjs's `audit(parent)` (a SpanContext):
    the OTel SDK throws."""
    right = "{attributes: {'audit.what': what}}, trace.setSpanContext(context.active(), parent))"
    runs = _run_broken(tmp_path, "childof-inference-cjs", right, right.replace("setSpanContext", "setSpan"))
    assert "spanContext is not a function" in (runs["broken"]["error"] or "")


def test_a_hoisted_span_kind_left_out_is_caught(tmp_path: Path) -> None:
    runs = _run_broken(
        tmp_path, "span-kind-late-esm", "{ kind: SpanKind.SERVER, root: true }", "{ root: true }"
    )
    assert runs["broken"]["error"] is None, runs["broken"]["error"]
    assert normalise(runs["broken"]["spans"], "opentracing") != normalise(
        runs["legacy"]["spans"], "opentracing"
    )


def test_baggage_not_threaded_to_the_inject_is_caught(tmp_path: Path) -> None:
    """baggage-jaeger-cjs injecting the span's context without the baggage: the next service reads none
    (the legacy side, on jaeger-client, prints `acme on gold`)."""
    right = "propagation.inject(spanCtx, headers)"
    runs = _run_broken(
        tmp_path,
        "baggage-jaeger-cjs",
        right,
        "propagation.inject(trace.setSpan(context.active(), span), headers)",
    )
    assert "inventory for acme on gold" in runs["legacy"]["stdout"]
    assert "inventory for undefined on undefined" in runs["broken"]["stdout"]


@pytest.mark.parametrize(
    "use",
    ["send(span);", "return span;", "span.setBaggageItem('plan', 'gold');"],
    ids=["passed-on", "returned", "set-again-later"],
)
def test_baggage_on_a_span_that_escapes_stays_a_todo(use: str) -> None:
    """The new Context would have to follow the span where the file does not show it: TODO, no rewrite."""
    source = f"""\
const opentracing = require('opentracing');
function call() {{
  const span = tracer.startSpan('call');
  span.setBaggageItem('tenant', 'acme');
  log('x');
  {use}
}}
"""
    out = _rewrite(source, "x.js")
    assert "span.setBaggageItem('tenant', 'acme');" in out
    assert "// TODO(otmigrate): baggage lives in the Context in OpenTelemetry" in out
    assert "const spanCtx" not in out


def test_log_event_with_one_argument_becomes_an_event(tmp_path: Path) -> None:
    """express-opentracing's `span.logEvent('request_received')`: left as it was, the migrated middleware
    throws (an OTel span has no logEvent) and express answers 500."""
    runs = _run_broken(
        tmp_path,
        "express-middleware-esm",
        "span.addEvent('request_received')",
        "span.logEvent('request_received')",
    )
    assert "span.logEvent is not a function" in runs["broken"]["stdout"]
    assert runs["legacy"]["stdout"].startswith("200 user 7")


LEFTOVERS = """\
const opentracing = require('opentracing');
const job = require('./job');
const logger = require('./logger');
class Worker {
  run(queue, span) {
    const root = tracer.startSpan('run');
    root.finish(1, 2);
    queue.current().finish();
    span.log();
    job.finish();
    logger.log('ran');
    console.log('ran');
    this.finish();
    new Date().context();
  }
}
"""


def test_opentracing_span_methods_left_in_a_migrated_file_get_a_todo() -> None:
    """A form the rewrite does not take, on a span or on a receiver of unknown origin: TODO + manual line.
    Receivers the file shows to be something else (a module, a logger, a global, this, new X()) stay."""
    outcome = rewrite_source(LEFTOVERS, "x.js", JS, _rules(), Settings())
    manual = {(c.line, c.rule) for c in outcome.changes if c.kind == "manual"}
    assert manual == {
        (7, "js-opentracing-finish"),  # root.finish(1, 2): two arguments
        (8, "js-opentracing-finish"),  # unknown receiver
        (9, "js-opentracing-span-methods"),  # span.log() with no fields
    }
    lines = outcome.text.splitlines()
    for legacy in ("root.finish(1, 2);", "queue.current().finish();", "span.log();"):
        above = lines[next(i for i, line in enumerate(lines) if line.strip() == legacy) - 1]
        assert above.strip().startswith("// TODO(otmigrate): "), legacy
    assert outcome.text.count("TODO(otmigrate)") == 3
    assert _rewrite(outcome.text, "x.js") == outcome.text


def test_finish_on_a_receiver_that_is_no_span_is_left_alone() -> None:
    source = "const opentracing = require('opentracing');\nconst job = require('./job');\njob.finish();\n"
    outcome = rewrite_source(source, "x.js", JS, _rules(), Settings())
    assert outcome.text == source
    assert outcome.changes == []


def test_a_file_the_rewrite_did_not_change_gets_no_safety_net_todo() -> None:
    """Its spans are still OpenTracing's, whose methods exist."""
    source = "const opentracing = require('opentracing');\nfunction f(q) {\n  q.current().finish();\n}\n"
    assert _rewrite(source, "x.js") == source


NESTED_THROW = """\
const opentracing = require('opentracing');
const tracer = opentracing.globalTracer();
function fail() {
  throw new Error('backend down');
}
function handle() {
  const outer = tracer.startSpan('outer');
  const child = tracer.startSpan('child', { childOf: outer });
  fail();
  child.finish();
  outer.finish();
}
try {
  handle();
} catch (err) {
  console.log(err.message);
}
"""


def test_a_throw_inside_nested_spans_of_one_block_still_ends_both(tmp_path: Path) -> None:
    """Both spans get their try/finally (the inner one first, the outer one in the next round), so the
    OTel run exports both, as the legacy MockTracer records both; with the inner try taken out (what the
    lifecycle step wrote before), `child` is never ended and the trees differ."""
    migrated = _rewrite(NESTED_THROW, "x.js")
    assert migrated.count("} finally {") == 2
    inner = "    try {\n      fail();\n    } finally {\n      child.end();\n    }\n"
    assert inner in migrated
    outer_only = migrated.replace(inner, "    fail();\n    child.end();\n")
    listing = [
        {"id": name, "file": str(stage(tmp_path, name, text, ".js")), "side": side}
        for name, text, side in (
            ("legacy", NESTED_THROW, "legacy"),
            ("migrated", migrated, "otel"),
            ("outer-only", outer_only, "otel"),
        )
    ]
    runs = run_programs(require_node(), tmp_path, listing)
    trees = {name: normalise(run["spans"], "opentracing") for name, run in runs.items()}
    assert all(run["error"] is None and run["stdout"] == "backend down\n" for run in runs.values()), runs
    assert [span["name"] for span in trees["legacy"]] == ["outer"]
    assert [span["name"] for span in trees["legacy"][0]["children"]] == ["child"]
    assert trees["migrated"] == trees["legacy"]
    assert trees["outer-only"] != trees["legacy"]
