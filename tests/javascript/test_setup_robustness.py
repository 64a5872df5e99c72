"""The jaeger/zipkin rewrites on real code they were not written for: the zipkin instrumentation and
transport packages themselves (source and their Babel output), installed in the harness. Every file must
rewrite without a transform failure, settle (a second rewrite changes nothing), pass `node --check`, and
keep every legacy name it still uses bound (a removed import that is still referenced loses code)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from ast_grep_py import SgRoot

from otmigrate.config import Settings
from otmigrate.engine import rewrite_source
from otmigrate.languages import LANGUAGES
from otmigrate.rulefiles import load_rules

from .jsharness import NODE_MODULES, require_node

JS = LANGUAGES["javascript"]
PACKAGES = ("zipkin-instrumentation-express", "zipkin-transport-http", "zipkin-context-cls")
FILES = sorted(
    path
    for package in PACKAGES
    for path in (NODE_MODULES / package).glob("*/*.js")
    if path.parent.name in ("src", "lib")
)
IDS = [str(p.relative_to(NODE_MODULES)) for p in FILES]
LEGACY_REQUIRE = re.compile(r"require\(['\"](zipkin|jaeger-client|opentracing)")


@pytest.fixture(scope="module")
def rules() -> list:
    return [r for r in load_rules() if r.language.name == "javascript"]


def _declared(text: str, *, legacy_only: bool) -> set[str]:
    """Names the file's variable declarations bind (of the ones requiring a legacy package, if asked)."""
    names = set()
    for statement in SgRoot(text, "javascript").root().children():
        if legacy_only and not LEGACY_REQUIRE.search(statement.text()):
            continue
        for declarator in statement.find_all(kind="variable_declarator"):
            pattern = declarator.field("name")
            kinds = ("identifier", "shorthand_property_identifier_pattern")
            names |= {
                n.text()
                for n in [pattern, *pattern.find_all(kind=kinds[0]), *pattern.find_all(kind=kinds[1])]
            }
    return names


def _used(text: str, name: str) -> bool:
    return any(n.text() == name for n in SgRoot(text, "javascript").root().find_all(kind="identifier"))


@pytest.mark.parametrize(
    "path",
    FILES,
    ids=IDS,
)
def test_rewrite_of_real_zipkin_code_is_safe(path: Path, rules: list, tmp_path: Path) -> None:
    node = require_node()
    text = path.read_text()
    outcome = rewrite_source(text, str(path), JS, rules, Settings())
    assert outcome.error is None, outcome.error
    again = rewrite_source(outcome.text, str(path), JS, rules, Settings())
    assert again.text == outcome.text, "the rewrite does not settle"
    declared = _declared(outcome.text, legacy_only=False)
    lost = {n for n in _declared(text, legacy_only=True) - declared if _used(outcome.text, n)}
    assert not lost, f"legacy names still used but no longer imported: {lost}"
    migrated = tmp_path / path.name
    migrated.write_text(outcome.text)
    check = subprocess.run([node, "--check", str(migrated)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


def test_there_is_real_code_to_rewrite() -> None:
    assert len(FILES) >= 6, FILES
    assert any(re.search(r"require\('zipkin'\)", p.read_text()) for p in FILES)
