"""Golden fixtures (layer 2) and idempotence (layer 5) for `otmigrate rewrite` on JavaScript, plus the
rule examples (layer 1). A case whose rewrite does not yet reach the hand-written expected output is an
honest strict xfail: it starts failing (XPASS) the moment the rewriter catches up."""

from __future__ import annotations

from pathlib import Path

import pytest

from otmigrate.config import Settings
from otmigrate.engine import rewrite_source
from otmigrate.languages import LANGUAGES
from otmigrate.rulefiles import load_rules
from otmigrate.ruletest import check_rules

from .jsharness import FIXTURES, fixture_cases, program

JS = LANGUAGES["javascript"]
CASES = fixture_cases()
IDS = [str(c.relative_to(FIXTURES)) for c in CASES]
NOT_YET: set[str] = set()
"""Cases whose rewrite does not reach expected.* yet (strict xfails: an XPASS fails, so remove the case)."""


def _rules() -> list:
    return [r for r in load_rules() if r.language.name == "javascript"]


def _rewrite(text: str, name: str) -> str:
    outcome = rewrite_source(text, name, JS, _rules(), Settings())
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
