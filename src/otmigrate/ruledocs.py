"""The migration rule reference, docs/rules/migration-<language>.md, generated from the rule files.

The rule files are the source of truth (each rule carries its message, safety and examples), so the
reference is rendered from them and a test fails when the checked-in pages are stale:

    python -m otmigrate.ruledocs docs/rules
"""

from __future__ import annotations

import sys
from pathlib import Path

from otmigrate.languages import LANGUAGES
from otmigrate.rulefiles import Example, Rule, load_rules

_ACTIONS = {
    "fix": "rewritten by a fix template",
    "handler": "rewritten by a programmatic transform",
    "manual": "left for a person, with a TODO comment",
    "detect": "reported by scan, not rewritten",
}


def render_pages(rules: list[Rule]) -> dict[str, str]:
    """File name → page text, one page per language that has rules."""
    pages = {}
    for language in LANGUAGES.values():
        mine = [rule for rule in rules if rule.language.name == language.name]
        if mine:
            pages[f"migration-{language.name}.md"] = _page(language.name, mine)
    return pages


def _page(language: str, rules: list[Rule]) -> str:
    fence = {"python": "python", "go": "go", "javascript": "js"}[language]
    lines = [
        f"# Migration rules: {language.capitalize()}",
        "",
        f"Generated from rules/{language}/*.yml by `python -m otmigrate.ruledocs docs/rules`; do not edit.",
        "See docs/writing-rules.md for the rule-file format and docs/migration-"
        f"{language}.md for how the migration works.",
        "",
        "| rule | library | what happens | safety |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| [{r.id}](#{r.id}) | {r.library} | {_ACTIONS[r.action]} | {r.safety or '-'} |" for r in rules
    ]
    for rule in rules:
        lines += ["", f"## {rule.id}", "", rule.message.strip(), ""]
        lines.append(
            f"Library: {rule.library}. {_ACTIONS[rule.action].capitalize()}; safety: {rule.safety or '-'}."
        )
        if rule.note:
            lines += ["", rule.note.strip()]
        for number, example in enumerate(rule.examples, 1):
            lines += ["", *_example(number, example, fence)]
    return "\n".join(lines) + "\n"


def _example(number: int, example: Example, fence: str) -> list[str]:
    def block(title: str, code: str) -> list[str]:
        return [f"{title}:", "", f"```{fence}", code.rstrip("\n"), "```", ""]

    out = [f"### Example {number}", ""]
    if example.before is not None:
        out += block("Before", example.before) + block("After", example.after or "")
    if example.match is not None:
        out += block("Matches", example.match)
    if example.no_match is not None:
        out += block("Does not match", example.no_match)
    return out[:-1]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m otmigrate.ruledocs DIR", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    for name, text in render_pages(load_rules()).items():
        (folder / name).write_text(text, encoding="utf-8")
        print(folder / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
