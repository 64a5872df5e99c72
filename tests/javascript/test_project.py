"""The project model across files: a tracer made in `lib/tracing.js` and used by a module that imports no
legacy library. Both files are migrated in one run, and the pair runs before (jaeger-client) and after
(OpenTelemetry) with the same span tree."""

from __future__ import annotations

from pathlib import Path

from otmigrate.config import Settings
from otmigrate.rewrite import rewrite_paths
from otmigrate.rulefiles import load_rules

from .jsharness import NODE_MODULES, require_node, run_programs
from .spantree import normalise

TRACING = """\
'use strict';
const { initTracer } = require('jaeger-client');

function makeTracer(serviceName) {
  return initTracer({ serviceName, sampler: { type: 'const', param: 1 }, reporter: { logSpans: false } }, {});
}

module.exports = { makeTracer };
"""
APP = """\
'use strict';
const { makeTracer } = require('./lib/tracing');

const tracer = makeTracer('shop');

function handle(name) {
  const span = tracer.startSpan(name);
  span.setTag('http.method', 'GET');
  const child = tracer.startSpan('db', { childOf: span });
  child.log({ event: 'rows', count: 3 });
  child.finish();
  span.finish();
}

handle('checkout');
console.log('done');
"""


def _migrate(root: Path) -> dict[str, str]:
    # force: the empty `.git` folders below only mark the repository root; git cannot tell their state
    results = rewrite_paths([str(root)], Settings(), load_rules(), 1, unsafe=False, apply=True, force=True)
    assert not [r.error for r in results if r.error]
    return {Path(r.path).name: r.result for r in results}


def test_a_module_using_another_modules_tracer_is_migrated_with_it(tmp_path: Path) -> None:
    node = require_node()
    before, after = tmp_path / "before", tmp_path / "after"
    for folder in (before, after):
        (folder / "lib").mkdir(parents=True)
        (folder / "lib" / "tracing.js").write_text(TRACING)
        (folder / "app.js").write_text(APP)
        (folder / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    (after / ".git").mkdir()  # the run's repository root: no package.json above it is read
    migrated = _migrate(after)
    app = migrated["app.js"]
    assert "span.setAttribute('http.request.method', 'GET');" in app and "child.end();" in app, app
    assert "require('@opentelemetry/api')" in app.splitlines()[2]  # after the file's own requires
    runs = run_programs(
        node,
        tmp_path,
        [
            {"id": "legacy", "file": str(before / "app.js"), "side": "legacy"},
            {"id": "otel", "file": str(after / "app.js"), "side": "otel"},
        ],
    )
    assert runs["legacy"]["error"] is None and runs["otel"]["error"] is None, runs
    assert runs["otel"]["stdout"] == runs["legacy"]["stdout"] == "done\n"
    legacy = normalise(runs["legacy"]["spans"], "jaeger")
    assert legacy and normalise(runs["otel"]["spans"], "jaeger") == legacy


def test_without_the_project_model_the_user_module_breaks(tmp_path: Path) -> None:
    """What the model prevents: the set-up module alone migrated, the user module's `setTag` throws."""
    node = require_node()
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "tracing.js").write_text(TRACING)
    (tmp_path / "app.js").write_text(APP)
    (tmp_path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    (tmp_path / ".git").mkdir()
    results = rewrite_paths(
        [str(tmp_path / "lib")], Settings(), load_rules(), 1, unsafe=False, apply=True, force=True
    )
    assert [Path(r.path).name for r in results if r.changed] == ["tracing.js"]
    runs = run_programs(node, tmp_path, [{"id": "otel", "file": str(tmp_path / "app.js"), "side": "otel"}])
    assert "setTag is not a function" in str(runs["otel"]["error"])


def test_closing_another_modules_tracer_gets_a_todo(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "tracing.js").write_text(TRACING)
    (tmp_path / "app.js").write_text(APP + "tracer.close(() => console.log('closed'));\n")
    (tmp_path / ".git").mkdir()
    results = rewrite_paths([str(tmp_path)], Settings(), load_rules(), 1, unsafe=False, apply=False)
    app = next(r for r in results if r.path.endswith("app.js"))
    assert "// TODO(otmigrate): `tracer.close(…)`" in app.result
    assert any(c.kind == "manual" and c.rule == "js-jaeger-tracer-close" for c in app.changes)
