"""Manifests match the code: a legacy dependency leaves only when no file below still imports it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from toolchains import require

from otmigrate.config import Settings
from otmigrate.languages import LANGUAGES
from otmigrate.manifests import module_imports
from otmigrate.rewrite import FileRewrite, rewrite_paths
from otmigrate.rulefiles import load_rules

REPO = Path(__file__).resolve().parents[2]
PY_LEGACY = (
    "import opentracing\n\n\ndef handler():\n"
    '    with opentracing.tracer.start_active_span("work") as scope:\n'
    '        scope.span.set_tag("job.id", 1)\n'
)
GO_LEGACY = """package app

import opentracing "github.com/opentracing/opentracing-go"

func Work() {
	span := opentracing.StartSpan("work")
	defer span.Finish()
}
"""


def _rewrite(root: Path, monkeypatch, select: tuple[str, ...] = ()) -> dict[str, FileRewrite]:
    monkeypatch.chdir(root)
    settings = Settings(root=root, select=list(select))
    rules = [r for r in load_rules() if not select or any(r.id.startswith(s) for s in select)]
    return {r.path: r for r in rewrite_paths(["."], settings, rules, 1, unsafe=False, apply=False)}


def test_python_keeps_a_package_a_file_below_still_imports(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "requirements.txt").write_text("flask\nopentracing==2.4.0\njaeger-client==4.8.0\n")
    (tmp_path / "svc" / "app.py").write_text(PY_LEGACY)
    # not rewritable (a syntax error), still imports opentracing: the package stays
    (tmp_path / "svc" / "broken.py").write_text("from opentracing.ext import tags\ndef f(:\n")
    # jaeger_client is imported only outside svc/: not in requirements.txt's scope
    (tmp_path / "other.py").write_text("import jaeger_client\n")
    results = _rewrite(tmp_path, monkeypatch)
    assert "svc/broken.py" in results and results["svc/broken.py"].error
    requirements = results["svc/requirements.txt"].result
    assert "opentracing==2.4.0" in requirements and "jaeger-client" not in requirements
    assert "opentelemetry-api" in requirements
    assert [c.rule for c in results["svc/requirements.txt"].changes] == ["py-manifest"]


def test_the_manifest_gets_the_otel_modules_every_file_below_imports(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "requirements.txt").write_text("jaeger-client==4.8.0\n")
    (tmp_path / "app.py").write_text(PY_LEGACY)
    (tmp_path / "done.py").write_text("from opentelemetry.propagators.b3 import B3MultiFormat\n")
    seen = []
    manifest = LANGUAGES["python"].part("manifest")
    original = manifest.update_manifest

    def spy(name: str, text: str, imports=None, keep=None) -> str:
        seen.append((imports, keep))
        return original(name, text, imports, keep)

    monkeypatch.setattr(manifest, "update_manifest", spy)
    results = _rewrite(tmp_path, monkeypatch)
    [(imports, keep)] = seen
    assert {"opentelemetry", "opentelemetry.propagators.b3"} <= imports and keep == frozenset()
    requirements = results["requirements.txt"].result
    assert "opentelemetry-propagator-b3" in requirements and "propagator-jaeger" not in requirements


def test_untouched_files_keep_their_packages_and_select_applies_to_manifests(
    tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "requirements.txt").write_text("opentracing==2.4.0\n")
    (tmp_path / "app.py").write_text(PY_LEGACY)
    (tmp_path / "go.mod").write_text(
        "module m\n\ngo 1.26.0\n\nrequire github.com/opentracing/opentracing-go v1.2.0\n"
    )
    (tmp_path / "app.go").write_text(GO_LEGACY)
    (tmp_path / "package.json").write_text('{\n  "dependencies": {\n    "opentracing": "0.14.7"\n  }\n}\n')
    (tmp_path / "index.js").write_text("function lazy() {\n  return require('opentracing');\n}\n")
    # only the manifest rules: no source file changes, so every legacy package is still imported
    assert not _rewrite(tmp_path, monkeypatch, ("py-manifest", "go-manifest", "js-manifest"))
    # py- rules only: go.mod and package.json are not touched
    only_python = _rewrite(tmp_path, monkeypatch, ("py-",))
    assert set(only_python) == {"app.py", "requirements.txt"}
    everything = _rewrite(tmp_path, monkeypatch)
    assert "github.com/opentracing/opentracing-go" not in everything["go.mod"].result
    # index.js's require inside a function is not rewritten: package.json keeps opentracing
    assert (
        "package.json" not in everything
        or "opentracing" in json.loads(everything["package.json"].result)["dependencies"]
    )


def test_javascript_keeps_a_package_still_required_and_its_types(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps(
            {
                "dependencies": {"zipkin": "0.22.0", "opentracing": "0.14.7"},
                "devDependencies": {"@types/zipkin": "1"},
            },
            indent=2,
        )
        + "\n"
    )
    (tmp_path / "broken.js").write_text("const zipkin = require('zipkin');\nfunction (\n")
    (tmp_path / "app.js").write_text(
        "const opentracing = require('opentracing');\n"
        "function work() {\n"
        "  const span = opentracing.globalTracer().startSpan('work');\n"
        "  span.finish();\n}\n"
        "module.exports = { work };\n"
    )
    results = _rewrite(tmp_path, monkeypatch)
    manifest = json.loads(results["package.json"].result)
    assert (
        manifest["dependencies"]["zipkin"] == "0.22.0" and manifest["devDependencies"]["@types/zipkin"] == "1"
    )
    assert "opentracing" not in manifest["dependencies"] and "@opentelemetry/api" in manifest["dependencies"]


def test_go_keeps_a_module_a_package_still_imports(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "go.mod").write_text(
        "module m\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/opentracing/opentracing-go v1.2.0\n"
        "\tgithub.com/uber/jaeger-client-go v2.30.0+incompatible\n)\n"
    )
    (tmp_path / "app.go").write_text(GO_LEGACY)
    (tmp_path / "broken.go").write_text(
        'package app\n\nimport _ "github.com/uber/jaeger-client-go"\n\nfunc (\n'
    )
    go_mod = _rewrite(tmp_path, monkeypatch)["go.mod"].result
    assert "github.com/uber/jaeger-client-go v2.30.0" in go_mod
    assert "github.com/opentracing/opentracing-go" not in go_mod and "go.opentelemetry.io/otel v" in go_mod


def test_module_imports_sees_every_kind_of_import() -> None:
    js = module_imports(
        LANGUAGES["javascript"],
        "import 'zipkin';\nexport { x } from \"opentracing\";\nconst t = await import('jaeger-client');\n"
        "const o = require('@opentelemetry/exporter-zipkin/build/src');\n",
    )
    assert js.legacy == {"zipkin", "opentracing", "jaeger-client"}
    assert js.otel == {"@opentelemetry/exporter-zipkin/build/src"}
    go = module_imports(
        LANGUAGES["go"],
        'package a\n\nimport (\n\t_ "github.com/opentracing/opentracing-go"\n'
        '\t. "go.opentelemetry.io/otel"\n)\n',
    )
    assert go.legacy == {"github.com/opentracing/opentracing-go"} and go.otel == {"go.opentelemetry.io/otel"}
    py = module_imports(
        LANGUAGES["python"],
        "def f():\n    from opentracing.ext import tags\nimport opentelemetry.shim.opentracing_shim\n",
    )
    assert py.legacy == {"opentracing.ext"} and py.otel == {"opentelemetry.shim.opentracing_shim"}


GENERATED_LEGACY = """// Code generated by hand for this test. DO NOT EDIT.

package app

import opentracing "github.com/opentracing/opentracing-go"

var Global = opentracing.GlobalTracer
"""


def test_go_rewrite_then_tidy_then_rewrite_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    """A real `go mod tidy` between two runs: the second run must not fight it (offline, from the
    module cache the Go harness downloads)."""
    go = require("go")
    module = tmp_path / "mod"
    module.mkdir()
    (module / "go.mod").write_text(
        "module example.com/app\n\ngo 1.26.0\n\nrequire (\n\tgithub.com/opentracing/opentracing-go v1.2.0\n"
        "\tgithub.com/uber/jaeger-client-go v2.30.0+incompatible\n)\n"
    )
    (module / "go.sum").write_text((REPO / "tests" / "go" / "harness" / "go.sum").read_text())
    (module / "app.go").write_text(GO_LEGACY)
    (module / "generated.go").write_text(GENERATED_LEGACY)  # never rewritten: opentracing-go stays
    monkeypatch.chdir(module)
    settings = Settings(root=module)
    first = rewrite_paths(["."], settings, load_rules(), 1, unsafe=False, apply=True, force=True)
    assert {r.path for r in first if r.written} == {"app.go", "go.mod"}
    go_mod = (module / "go.mod").read_text()
    assert "github.com/opentracing/opentracing-go v1.2.0" in go_mod and "jaeger-client-go" not in go_mod
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOWORK": "off"}
    for command in ([go, "mod", "tidy"], [go, "build", "./..."]):
        done = subprocess.run(command, cwd=module, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    tidied = (module / "go.mod").read_text()
    second = rewrite_paths(["."], settings, load_rules(), 1, unsafe=False, apply=False)
    assert not [r.path for r in second if r.changed], [r.diff() for r in second]
    assert (module / "go.mod").read_text() == tidied


@pytest.mark.parametrize("name", ["requirements.txt", "go.mod", "package.json"])
def test_a_manifest_whose_packages_are_all_still_imported_is_unchanged(name: str) -> None:
    text = {
        "requirements.txt": "opentracing==2.4.0\n",
        "go.mod": "module m\n\ngo 1.26.0\n\nrequire github.com/opentracing/opentracing-go v1.2.0\n",
        "package.json": '{"dependencies": {"opentracing": "0.14.7"}}\n',
    }[name]
    keep = {
        "requirements.txt": "opentracing",
        "go.mod": "github.com/opentracing/opentracing-go/ext",
        "package.json": "opentracing",
    }[name]
    language = {"requirements.txt": "python", "go.mod": "go", "package.json": "javascript"}[name]
    manifest = LANGUAGES[language].part("manifest")
    assert manifest.update_manifest(name, text, frozenset(), frozenset({keep})) == text
