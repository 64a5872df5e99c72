"""Running the examples every rule carries (by `otmigrate rules test` and by pytest)."""

from __future__ import annotations

from dataclasses import dataclass

from ast_grep_py import SgRoot

from otmigrate.config import Settings
from otmigrate.engine import find_bindings, rewrite_source
from otmigrate.rulefiles import Example, Rule, find_matches


@dataclass
class ExampleResult:
    rule: Rule
    example: Example
    problem: str | None  # None when the example holds

    @property
    def passed(self) -> bool:
        return self.problem is None


def check_example(rule: Rule, example: Example, settings: Settings | None = None) -> ExampleResult:
    settings = settings or Settings()
    if example.before is not None:
        outcome = rewrite_source(example.before, "example", rule.language, [rule], settings, unsafe=True)
        if outcome.error:
            return ExampleResult(rule, example, outcome.error)
        if outcome.text != example.after:
            return ExampleResult(rule, example, f"expected:\n{example.after}\ngot:\n{outcome.text}")
    if example.match is not None and not _matches(rule, example.match):
        return ExampleResult(rule, example, f"does not match:\n{example.match}")
    if example.no_match is not None:
        if _matches(rule, example.no_match):
            return ExampleResult(rule, example, f"matches, but must not:\n{example.no_match}")
        outcome = rewrite_source(example.no_match, "example", rule.language, [rule], Settings(), unsafe=True)
        if outcome.text != example.no_match:
            return ExampleResult(rule, example, f"rewrites code it must leave alone:\n{outcome.text}")
    return ExampleResult(rule, example, None)


def _matches(rule: Rule, code: str) -> bool:
    root = SgRoot(code, rule.language.grep_language).root()
    return bool(find_matches(rule, root, find_bindings(rule.language, root)))


def check_rules(rules: list[Rule]) -> list[ExampleResult]:
    return [check_example(rule, example) for rule in rules for example in rule.examples]
