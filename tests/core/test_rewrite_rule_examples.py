"""Every bundled rule's examples are tests (as `otmigrate rules test` runs them)."""

import pytest

from otmigrate.rulefiles import check_handlers, load_rules
from otmigrate.ruletest import check_example

RULES = load_rules()
check_handlers(RULES)


@pytest.mark.parametrize(
    ("rule", "example"),
    [(rule, example) for rule in RULES for example in rule.examples],
    ids=lambda value: getattr(value, "id", None) or "",
)
def test_rule_example(rule, example) -> None:
    result = check_example(rule, example)
    assert result.passed, f"{rule.location}: {result.problem}"
