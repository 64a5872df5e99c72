"""docs/rules/ has one page per rule, generated from the registry and up to date."""

from pathlib import Path

from otmigrate.lint.docs import pages

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


def test_rule_pages_are_up_to_date():
    expected = pages()
    for name, text in expected.items():
        page = DOCS / name
        assert page.exists(), f"missing {page}: run python -m otmigrate.lint.docs docs/rules"
        assert page.read_text(encoding="utf-8") == text, f"{page} is stale: run python -m otmigrate.lint.docs"
    assert {p.name for p in DOCS.glob("OTM*.md")} == set(expected)
