"""Write docs/rules/OTMnnn.md from the registry (ruff's page template), so the pages cannot drift from the
rules: `python -m otmigrate.lint.docs docs/rules`. A test fails when a page is out of date."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from otmigrate.lint.model import Rule

_FENCE = {"python": "python", "go": "go", "javascript": "js"}


def page(rule: Rule) -> str:
    langs = ", ".join(rule.languages)
    out = [
        f"# {rule.code} {rule.name}",
        "",
        f"Languages: {langs} · default severity: {rule.severity} · precision: {rule.precision} · "
        f"profile: {rule.profile} · fix: {'safe fix available' if rule.fixable else 'manual'}",
        "",
        "## What it does",
        "",
        rule.summary,
        "",
        "## Why is this bad?",
        "",
        rule.why,
        "",
        "## How to fix it",
        "",
        rule.fix,
        "",
    ]
    if rule.options:
        out += ["## Options", "", *[f"- `[tool.otmigrate.lint] {o}`" for o in rule.options], ""]
    out += [
        "## Examples",
        "",
        "Each example is a test (`tests/lint/test_rule_examples.py`); `want:` marks a reported line.",
        "",
    ]
    for ex in rule.examples:
        out += [
            f"### {ex.language}: {ex.label}",
            "",
            *[f"With `[tool.otmigrate.lint] {key} = {_toml(value)}`:\n" for key, value in ex.config.items()],
            f"```{_FENCE[ex.language]}",
            ex.code.strip("\n"),
            "```",
            "",
        ]
    out += [
        "## Suppressing it",
        "",
        f"`# otmigrate: ignore[{rule.code}] reason` (Python) or "
        f"`// otmigrate:ignore {rule.code} reason` (Go, JavaScript), on the line or the line before.",
        "",
    ]
    return "\n".join(out)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return f'"{value}"'


def pages() -> dict[str, str]:
    from otmigrate.lint.registry import RULES

    return {f"{code}.md": page(rule) for code, rule in RULES.items()}


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (target / name).write_text(text, encoding="utf-8")
    for stale in target.glob("OTM*.md"):
        if re.fullmatch(r"OTM\d{3}\.md", stale.name) and stale.name not in pages():
            stale.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
