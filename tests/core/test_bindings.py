"""Which tracing modules a file imports: what scan counts, what lint's OTM901 reports."""

from pathlib import Path

import pytest
from ast_grep_py import SgRoot

from otmigrate.engine import find_bindings
from otmigrate.languages import LANGUAGES
from otmigrate.scan import scan_file


def _bindings(language: str, code: str):
    lang = LANGUAGES[language]
    return find_bindings(lang, SgRoot(code, lang.grep_language).root())


def test_python_import_of_a_submodule_keeps_the_dotted_path() -> None:
    (binding,) = _bindings("python", "import opentracing.ext.tags\n")
    assert (binding.local, binding.module, binding.imported_module) == (
        "opentracing",
        "opentracing",
        "opentracing.ext.tags",
    )


@pytest.mark.parametrize(
    ("language", "name", "code"),
    [
        ("python", "app.py", "import opencensus.trace.tracer\n"),
        ("go", "main.go", 'package main\n\nimport "go.opencensus.io/trace"\n\nvar _ = trace.StartSpan\n'),
        ("javascript", "app.js", "const tracing = require('@opencensus/nodejs');\n"),
    ],
)
def test_opencensus_is_reported_as_legacy_but_not_migratable(
    tmp_path: Path, language: str, name: str, code: str
) -> None:
    path = tmp_path / name
    path.write_text(code)
    found = scan_file(path, language, [])
    assert found is not None
    assert [(u.library, u.fix) for u in found.usages] == [("opencensus", "none")]
