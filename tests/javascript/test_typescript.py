"""TypeScript: discovered and parsed with its own grammar, its types migrated with its values, every
TypeScript fixture (input and migrated output) `tsc --strict`-clean; and the project model's verdicts
(compiled output skipped, instrumentation libraries left whole) on small real-shaped projects."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from otmigrate.config import Settings
from otmigrate.engine import rewrite_source
from otmigrate.languages import LANGUAGES, language_for
from otmigrate.rewrite import rewrite_paths
from otmigrate.rulefiles import load_rules

from .jsharness import FIXTURES, NODE_MODULES, fixture_cases, program, require_node

JS = LANGUAGES["javascript"]
TS_CASES = [c for c in fixture_cases() if program(c, "input").suffix == ".ts"]


def _rules() -> list:
    return [r for r in load_rules() if r.language.name == "javascript"]


def _rewrite(text: str, name: str) -> str:
    outcome = rewrite_source(text, name, JS.for_path(name), _rules(), Settings())
    assert outcome.error is None, outcome.error
    return outcome.text


def test_typescript_files_are_javascript_read_with_their_own_grammar() -> None:
    for name, grammar in (("a.ts", "typescript"), ("a.mts", "typescript"), ("a.cts", "typescript")):
        language = language_for(name)
        assert language is not None and language.name == "javascript" and language.grep_language == grammar
    assert language_for("a.tsx").grep_language == "tsx"  # type: ignore[union-attr]
    assert language_for("a.js").grep_language == "javascript"  # type: ignore[union-attr]


def test_there_are_typescript_fixtures() -> None:
    assert len(TS_CASES) >= 1


def test_typescript_fixtures_type_check(tmp_path: Path) -> None:
    """One `tsc --noEmit --strict` over every TypeScript fixture's input (against opentracing / jaeger-client
    types) and migrated output (against @opentelemetry/api's): both sides compile."""
    node = require_node()
    (tmp_path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    files = []
    for case in TS_CASES:
        for stem in ("input", "expected"):
            target = tmp_path / case.relative_to(FIXTURES) / f"{stem}.ts"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(program(case, stem).read_text())
            files.append(str(target.relative_to(tmp_path)))
    config = {
        "compilerOptions": {
            "strict": True,
            "noEmit": True,
            "target": "ES2020",
            "module": "commonjs",
            "moduleResolution": "node",
            "esModuleInterop": True,
            "types": ["node"],
        },
        "files": files,
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    proc = subprocess.run(
        [node, str(NODE_MODULES / "typescript" / "bin" / "tsc"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_type_breaks_tsc_when_it_is_not_migrated(tmp_path: Path) -> None:
    """The type check can fail: an extract result still typed as an OpenTracing SpanContext."""
    node = require_node()
    (tmp_path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    (tmp_path / "bad.ts").write_text(
        'import { context, propagation } from "@opentelemetry/api";\n'
        'import { SpanContext } from "opentracing";\n'
        "export const parent: SpanContext = propagation.extract(context.active(), {});\n"
    )
    proc = subprocess.run(
        [
            node,
            str(NODE_MODULES / "typescript" / "bin" / "tsc"),
            "--noEmit",
            "--strict",
            str(tmp_path / "bad.ts"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode != 0 and "SpanContext" in proc.stdout


def test_optional_chaining_is_kept() -> None:
    source = (
        "const opentracing = require('opentracing');\n"
        "class Job {\n"
        "  run() {\n"
        "    this.span?.setTag('k', 1);\n"
        "    this.span?.finish();\n"
        "  }\n"
        "}\n"
        "module.exports = { Job, tracer: opentracing.globalTracer() };\n"
    )
    out = _rewrite(source, "job.js")
    assert "this.span?.setAttribute('k', 1);" in out and "this.span?.end();" in out


def test_the_files_style_is_followed_in_the_api_import() -> None:
    source = (
        'const opentracing = require("opentracing")\n'
        'const span = opentracing.globalTracer().startSpan("x")\n'
        "span.finish()\n"
    )
    out = _rewrite(source, "x.js")
    assert out.splitlines()[0] == 'const { trace } = require("@opentelemetry/api")'


def test_a_kept_legacy_import_loses_the_names_nothing_uses() -> None:
    source = (
        "const { Tags, FORMAT_HTTP_HEADERS, globalTracer } = require('opentracing');\n"
        "const span = globalTracer().startSpan('x');\n"
        "// TODO(otmigrate): keep\n"
        "span.setTag(Tags.SAMPLING_PRIORITY, 1);\n"
        "globalTracer().inject(span, FORMAT_HTTP_HEADERS, {});\n"
        "span.finish();\n"
        "module.exports = Tags;\n"
    )
    out = _rewrite(source, "x.js")
    assert "const { Tags } = require('opentracing');" in out


def _project(tmp_path: Path, manifest: dict, files: dict[str, str]) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


PLUGIN = (
    'import { Span, Tracer } from "opentracing";\n'
    "export function plugin(tracer: Tracer): Span {\n"
    '  const span = tracer.startSpan("request");\n'
    "  span.finish();\n"
    "  return span;\n"
    "}\n"
)


def test_an_instrumentation_library_of_opentracing_is_left_whole(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {"name": "graphql-tracing", "peerDependencies": {"opentracing": "*"}, "dependencies": {}},
        {"src/index.ts": PLUGIN},
    )
    results = rewrite_paths([str(root)], Settings(), _rules(), 1, unsafe=False, apply=False)
    source = next(r for r in results if r.path.endswith("index.ts"))
    assert source.result.replace(source.original, "").count("TODO(otmigrate)") == 1
    assert source.result.endswith(PLUGIN)
    assert [c.kind for c in source.changes] == ["manual"]
    assert "peer dependency" in source.changes[0].message
    (root / "src/index.ts").write_text(source.result)
    again = rewrite_paths([str(root)], Settings(), _rules(), 1, unsafe=False, apply=False)
    assert not any(r.changed for r in again if r.path.endswith(".ts"))  # the TODO is not repeated


def test_the_same_code_in_an_application_is_migrated(tmp_path: Path) -> None:
    root = _project(tmp_path, {"name": "shop", "private": True}, {"src/index.ts": PLUGIN})
    results = rewrite_paths([str(root)], Settings(), _rules(), 1, unsafe=False, apply=False)
    source = next(r for r in results if r.path.endswith("index.ts"))
    assert "span.end();" in source.result and "TODO" not in source.result
    assert 'import { Span, Tracer } from "@opentelemetry/api";' in source.result


def test_compiled_output_is_skipped_and_said_once(tmp_path: Path) -> None:
    compiled = (
        '"use strict";\n'
        'Object.defineProperty(exports, "__esModule", { value: true });\n'
        'const jaeger_client_1 = require("jaeger-client");\n'
        "exports.tracer = (0, jaeger_client_1.initTracer)({ serviceName: 'svc' }, {});\n"
    )
    root = _project(
        tmp_path,
        {"name": "svc", "private": True},
        {"dist/a.js": compiled, "dist/b.js": compiled, "src/a.ts": "export const x = 1;\n"},
    )
    results = rewrite_paths([str(root)], Settings(), _rules(), 1, unsafe=False, apply=False)
    dist = [r for r in results if "dist" in r.path]
    assert all(not r.changed for r in dist)
    notes = [c for r in dist for c in r.changes]
    assert len(notes) == 1 and "2 compiled file(s) skipped" in notes[0].message
