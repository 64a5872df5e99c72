"""The lint data model: rules, their examples, and findings.

Kept free of heavy imports: the pre-commit hook imports this on every commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("info", "warning", "error")
LANGUAGES = ("python", "go", "javascript")
PROFILES = ("pre-commit", "recommended", "strict")


def severity_rank(severity: str) -> int:
    """Order severities so that `--fail-on` can compare them."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Example:
    """A code snippet run as a test: lines carrying a `want: OTMnnn` comment must be reported, others not.

    `label` says what the example proves ("positive", "negative", or the §4 trap it covers); `config` holds
    the `[tool.otmigrate.lint]` keys it runs with, for traps that a setting resolves.
    """

    language: str
    label: str
    code: str
    config: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """One lint rule: metadata for the registry, docs pages and SARIF, plus its examples."""

    code: str
    name: str
    languages: tuple[str, ...]
    severity: str
    precision: str  # high | medium | low
    profile: str  # the smallest profile that enables it
    summary: str
    why: str
    fix: str
    examples: tuple[Example, ...] = ()
    options: tuple[str, ...] = ()  # [tool.otmigrate.lint] keys the rule reads
    fixable: bool = False


@dataclass(frozen=True)
class Fix:
    """A safe edit: replace the byte range [start, end) of the file with `text`."""

    start: int
    end: int
    text: str


@dataclass
class Finding:
    """A rule violation at a place in a file. Lines and columns are 1-based."""

    code: str
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str = "warning"
    source: str = ""  # the normalised source of the flagged line: baseline key and SARIF fingerprint
    fix: Fix | None = None
    related: list[tuple[int, str]] = field(default_factory=list)  # (line, note): e.g. the offending exit

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
