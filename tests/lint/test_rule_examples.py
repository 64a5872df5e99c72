"""Every rule's examples (kept next to the rule, Fixit-style) run as tests: a line marked `want: OTMnnn`
must be reported with that code, and no other line may be."""

import re

import pytest

from otmigrate.lint import analyze
from otmigrate.lint.model import LANGUAGES
from otmigrate.lint.registry import RULES
from otmigrate.lint.settings import resolve

CASES = [(rule, ex) for rule in RULES.values() for ex in rule.examples]
EXT = {"python": "py", "go": "go", "javascript": "js"}


def wanted(code: str, text: str) -> list[int]:
    return [
        i
        for i, line in enumerate(text.splitlines(), 1)
        for marks in re.findall(r"want: ((?:OTM\d+(?:, )?)+)", line)
        if code in marks.split(", ")
    ]


@pytest.mark.parametrize(
    ("rule", "example"), CASES, ids=[f"{r.code}-{e.language}-{e.label}" for r, e in CASES]
)
def test_example(rule, example, strict_config):
    config = resolve(RULES, example.config, profile="strict") if example.config else strict_config
    findings = analyze(f"example.{EXT[example.language]}", example.code, example.language, config)
    got = sorted(f.line for f in findings if f.code == rule.code)
    assert got == wanted(rule.code, example.code), [f.message for f in findings if f.code == rule.code]


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda r: r.code)
def test_rule_is_complete(rule):
    """Each rule documents itself and proves itself in every language it claims."""
    assert rule.summary and rule.why and rule.fix
    assert set(rule.languages) <= set(LANGUAGES)
    for language in rule.languages:
        examples = [e for e in rule.examples if e.language == language]
        assert examples, f"{rule.code} claims {language} but has no example in it"
    assert any(wanted(rule.code, e.code) for e in rule.examples), f"{rule.code} has no positive example"
    assert any(not wanted(rule.code, e.code) for e in rule.examples), f"{rule.code} has no negative example"
