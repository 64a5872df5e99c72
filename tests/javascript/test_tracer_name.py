"""The name migrated code gives trace.getTracer: the service-name setting, else the nearest package.json's
name above the file (up to the repository root), else 'otmigrate'."""

from __future__ import annotations

from pathlib import Path

from otmigrate.config import Settings
from otmigrate.engine import rewrite_source
from otmigrate.languages import LANGUAGES
from otmigrate.languages.javascript.tracer_name import tracer_name
from otmigrate.rulefiles import load_rules

SOURCE = "const opentracing = require('opentracing');\nconst tracer = opentracing.globalTracer();\n"


def _repository(tmp_path: Path, manifests: dict[str, str]) -> Path:
    """A repository root (its .git stops the search: /tmp itself may hold a package.json) with the
    given package.json texts by folder, and a source file at app/src/x.js."""
    (tmp_path / ".git").mkdir(parents=True)
    for folder, text in manifests.items():
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "package.json").write_text(text)
    source = tmp_path / "app" / "src" / "x.js"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(SOURCE)
    return source


def test_the_nearest_package_name_names_the_tracer(tmp_path: Path) -> None:
    source = _repository(tmp_path, {".": '{"name": "monorepo"}', "app": '{"name": "@acme/billing"}'})
    rules = [r for r in load_rules() if r.language.name == "javascript"]
    outcome = rewrite_source(SOURCE, str(source), LANGUAGES["javascript"], rules, Settings())
    assert "const tracer = trace.getTracer('@acme/billing');" in outcome.text
    assert any("trace.getTracer('@acme/billing')" in c.message for c in outcome.changes)


def test_the_service_name_setting_comes_first(tmp_path: Path) -> None:
    source = _repository(tmp_path, {"app": '{"name": "billing"}'})
    assert tracer_name(str(source), Settings(service_name="billing-api")) == "billing-api"


def test_a_package_json_without_a_usable_name_is_passed_over(tmp_path: Path) -> None:
    source = _repository(
        tmp_path,
        {".": '{"name": "outer"}', "app": '{"private": true}', "app/src": "{not json"},
    )
    assert tracer_name(str(source), Settings()) == "outer"


def test_the_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    source = _repository(tmp_path / "repo", {"app": '{"name": "Not A Valid Npm Name"}'})
    (tmp_path / "package.json").write_text('{"name": "above-the-repository"}')
    assert tracer_name(str(source), Settings()) == "otmigrate"


def test_a_name_that_is_no_file_gets_the_default() -> None:
    """Rule examples and unit tests rewrite text under a made-up name: no lookup from the working folder."""
    assert tracer_name("example", Settings()) == "otmigrate"


def test_a_configured_name_is_escaped_in_the_file_quote_style() -> None:
    rules = [r for r in load_rules() if r.language.name == "javascript"]
    settings = Settings(service_name="bob's svc")
    outcome = rewrite_source(SOURCE, "x.js", LANGUAGES["javascript"], rules, settings)
    assert "trace.getTracer('bob\\'s svc')" in outcome.text
