"""The Python project model: flows that cannot be migrated stay legacy whole, across files.

Project fixtures (`fixtures/python/projects/<case>/{input,expected}/`) go through `otmigrate rewrite
--apply` as a whole; the held files still run their own legacy tests afterwards, with the same output."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pymigrate_support import FIXTURES, require_modules

from otmigrate.languages.python.held import line_length, mark_held
from otmigrate.languages.python.project import build

PROJECTS = FIXTURES / "projects"
# The program each project fixture runs before and after the rewrite (its own legacy test).
CHECKS = {
    "public_api": "tests/test_tracing.py",
    "hand_built_context": "check_driver.py",
    "tracer_helper": "app.py",  # without the hold: 'Tracer' object has no attribute 'start_active_span'
}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "otmigrate", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def _run(program: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    proc = subprocess.run(
        [sys.executable, program], capture_output=True, text=True, timeout=60, cwd=cwd, env=env
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.parametrize("case", sorted(CHECKS))
def test_project_fixture(case: str, tmp_path: Path):
    require_modules("opentracing", "jaeger_client")
    project = tmp_path / case
    shutil.copytree(PROJECTS / case / "input", project)
    first = _cli("rewrite", "--apply", ".", cwd=project)
    assert first.returncode == 0, first.stdout + first.stderr
    expected = PROJECTS / case / "expected"
    for path in sorted(p for p in expected.rglob("*.py")):
        relative = path.relative_to(expected)
        assert (project / relative).read_text() == path.read_text(), relative
    assert "legacy tracing kept whole" in first.stdout  # each held file is reported
    again = _cli("rewrite", "--apply", ".", cwd=project)
    assert again.returncode == 0 and "0 files" in again.stdout, again.stdout
    assert _run(CHECKS[case], project) == _run(CHECKS[case], PROJECTS / case / "input")


def test_scan_says_manual_for_every_usage_of_a_file_kept_whole(tmp_path: Path):
    project = tmp_path / "public_api"
    shutil.copytree(PROJECTS / "public_api" / "input", project)
    scanned = _cli("scan", "--format", "json", ".", cwd=project)
    assert scanned.returncode in (0, 1), scanned.stderr
    files = {f["path"]: f["usages"] for f in json.loads(scanned.stdout)["files"]}
    fixes = {u["fix"] for u in files["redistrace/tracing.py"]}
    assert fixes and fixes <= {"manual", "none"}, fixes


def _model(tmp_path: Path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return build(sorted(tmp_path.rglob("*.py")))


def test_public_api_holds_the_whole_distribution_but_a_dict_named_tracer_does_not(tmp_path: Path):
    model = _model(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/spans.py": "import opentracing\n\ndef adjust_span(span, n):\n    span.set_tag('n', n)\n",
            "lib/zipkin.py": "import py_zipkin\n\ndef trace(name, tracer):\n    return tracer.get('id')\n",
            "app.py": "import opentracing\n\nopentracing.tracer.start_span('x').finish()\n",
        },
    )
    hold = model.hold(tmp_path / "app.py")
    assert hold is not None and "`adjust_span(span)`" in hold.reason
    assert (hold.path, hold.line) == ("lib/spans.py", 3)
    assert model.hold(tmp_path / "lib/zipkin.py") is not None  # same distribution


def test_a_helper_tracer_used_by_a_file_without_legacy_imports_holds_the_helper(tmp_path: Path):
    model = _model(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/tracing.py": "import opentracing\n\ndef make():\n    return opentracing.global_tracer()\n",
            "lib/unused.py": "import opentracing\n\ndef make():\n    return opentracing.global_tracer()\n",
            "app.py": "from lib import tracing\n\nt = tracing.make()\nt.start_span('x').finish()\n",
        },
    )
    hold = model.hold(tmp_path / "lib/tracing.py")
    assert hold is not None and (hold.path, hold.line) == ("app.py", 4) and "`make()`" in hold.reason
    assert model.hold(tmp_path / "lib/unused.py") is None


def test_no_hold_for_test_helpers_or_a_parameter_used_as_a_dict(tmp_path: Path):
    model = _model(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/zipkin.py": "import py_zipkin\n\ndef trace(name, tracer):\n    return tracer.get('id')\n",
            "lib/tests/__init__.py": "",
            "lib/tests/helpers.py": "import opentracing\n\ndef check(span):\n    span.finish()\n",
        },
    )
    assert model.held == {}


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("from jaeger_client import SpanContext\nc = SpanContext(1, 2, None, 1)\n", "built by hand"),
        (
            "from py_zipkin.zipkin import ZipkinAttrs\na = ZipkinAttrs('1', '2', None, '0', True)\n",
            "(ZipkinAttrs)",
        ),
        ("import opentracing\ndef use(t):\n    opentracing.tracer = t\n", "tracer set by assignment"),
        ("import opentracing\ndef f(s):\n    s.context.span_id = 3\n", "span context's `span_id`"),
        ("import opentracing\nclass T(opentracing.Tracer):\n    pass\n", "subclasses opentracing.Tracer"),
        ("import opentracing\nimport lightstep\n", "tracers from lightstep"),
        ("import jaeger_client\nt = jaeger_client.Tracer('s', None, None)\n", "jaeger Tracer built directly"),
        ("import jaeger_client\nmodule = jaeger_client\n", "jaeger_client module kept in a variable"),
    ],
)
def test_unmigratable_values_hold_the_files_connected_by_imports(tmp_path: Path, source: str, reason: str):
    model = _model(
        tmp_path,
        {
            "held.py": source,
            "user.py": "import opentracing\nimport held\n",
            "other.py": "import opentracing\n",
        },
    )
    assert reason in model.hold(tmp_path / "held.py").reason
    assert model.hold(tmp_path / "user.py") == model.hold(tmp_path / "held.py")
    assert model.hold(tmp_path / "other.py") is None


@pytest.mark.parametrize(
    ("name", "text", "width"),
    [
        ("pyproject.toml", "[tool.ruff]\nline-length = 100\n", 100),
        ("pyproject.toml", "[tool.black]\nline-length = 88\n", 88),
        ("setup.cfg", "[flake8]\nmax-line-length = 120\n", 120),
        ("tox.ini", "[pycodestyle]\nmax_line_length = 99\n", 99),
        ("README", "", 79),
    ],
)
def test_the_todo_is_wrapped_at_the_project_line_length(tmp_path: Path, name: str, text: str, width: int):
    (tmp_path / ".git").mkdir()
    (tmp_path / name).write_text(text)
    (tmp_path / "pkg").mkdir()
    assert line_length(tmp_path / "pkg" / "mod.py") == width
    source = "'''Doc.'''\nimport os\nimport opentracing\n"
    reported = []
    todo = "legacy tracing kept whole: " + "its public API takes a legacy tracer " * 5
    marked = mark_held(source, todo, lambda *args: reported.append(args), width)
    assert all(len(line) <= width for line in marked.splitlines())
    assert marked.splitlines()[-1] == "import opentracing" and ast.parse(marked)
    assert reported == [("manual", 3, todo)]
    assert mark_held(marked, todo, lambda *args: reported.append(args), width) == marked  # once


def test_a_single_quoted_file_gets_single_quotes_on_the_lines_the_rewrite_writes(tmp_path: Path):
    source = (
        'import opentracing\n\nNAME = "kept as written"\n\n\ndef handle(request):\n'
        "    with opentracing.tracer.start_active_span('handle') as scope:\n"
        "        scope.span.set_tag('http.method', request.method)\n        return 'ok'\n"
    )
    (tmp_path / "views.py").write_text(source)
    assert _cli("rewrite", "--apply", ".", cwd=tmp_path).returncode == 0
    assert (tmp_path / "views.py").read_text() == (
        'from opentelemetry import trace\n\nNAME = "kept as written"\n\n\ndef handle(request):\n'
        "    with trace.get_tracer(__name__).start_as_current_span('handle') as span:\n"
        "        span.set_attribute('http.request.method', request.method)\n        return 'ok'\n"
    )


def test_a_double_quoted_file_keeps_double_quotes(tmp_path: Path):
    source = (
        'import opentracing\n\nspan = opentracing.tracer.start_span("x")\n'
        'span.set_tag("k", 1)\nspan.finish()\n'
    )
    (tmp_path / "job.py").write_text(source)
    assert _cli("rewrite", "--apply", ".", cwd=tmp_path).returncode == 0
    text = (tmp_path / "job.py").read_text()
    assert 'set_attribute("k", 1)' in text and 'start_span("x")' in text
