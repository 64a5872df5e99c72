"""docs/rules/migration-<language>.md are generated from the rule files and must not go stale."""

from pathlib import Path

from otmigrate.ruledocs import render_pages
from otmigrate.rulefiles import load_rules

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


def test_the_migration_rule_reference_matches_the_rule_files() -> None:
    rules = load_rules()
    pages = render_pages(rules)
    assert set(pages) == {"README.md", "migration-python.md", "migration-go.md", "migration-javascript.md"}
    for name, text in pages.items():
        assert (DOCS / name).read_text(encoding="utf-8") == text, (
            f"docs/rules/{name} is stale: run python -m otmigrate.ruledocs docs/rules"
        )
    for rule in rules:
        assert f"\n## {rule.id}\n" in pages[f"migration-{rule.language.name}.md"]
