"""Inline suppressions: `# otmigrate: ignore[OTM101] reason` (Python), `// otmigrate:ignore OTM101 reason`
(Go, JavaScript), on the flagged line or alone on the line before; `ignore-file` for the whole file.
A suppression that suppresses nothing is itself reported (OTM002), like ruff's RUF100."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from otmigrate.lint.model import Finding

_PY = re.compile(r"#\s*otmigrate:\s*(ignore|ignore-file)\[([A-Z0-9, ]+)\]\s*(.*)")
_SLASH = re.compile(r"//\s*otmigrate:(ignore|ignore-file)\s+(OTM[0-9]*(?:\s*,\s*OTM[0-9]*)*)\s*(.*)")


@dataclass
class Suppression:
    line: int  # where the comment is
    column: int
    target: int | None  # the line it covers; None for a file-level one
    codes: list[str]
    reason: str
    text: str
    used: set[str] = field(default_factory=set)

    def covers(self, finding: Finding) -> str | None:
        if self.target is not None and finding.line != self.target:
            return None
        return next((c for c in self.codes if finding.code.startswith(c)), None)


def parse(lines: list[str], comments: list[tuple[int, int, str]], language: str) -> list[Suppression]:
    """`comments` are (line, column, text) of comment nodes, so a string is never mistaken for one."""
    pattern = _PY if language == "python" else _SLASH
    found = []
    for line, column, text in comments:
        m = pattern.search(text)
        if m is None:
            continue
        codes = [c.strip() for c in m.group(2).split(",") if c.strip()]
        alone = lines[line - 1][: column - 1].strip() == "" if line - 1 < len(lines) else True
        target = None if m.group(1) == "ignore-file" else (line + 1 if alone else line)
        found.append(Suppression(line, column, target, codes, m.group(3).strip(), text.strip()))
    return found


def apply(findings: list[Finding], suppressions: list[Suppression]) -> list[Finding]:
    """Drop suppressed findings, remembering which suppression was used for which code."""
    kept = []
    for f in findings:
        hit = False
        for s in suppressions:
            code = s.covers(f)
            if code is not None:
                s.used.add(code)
                hit = True
        if not hit:
            kept.append(f)
    return kept


def unused(suppressions: list[Suppression], path: str, enabled) -> list[Finding]:
    """OTM002 for each code of a suppression that matched nothing (only enabled codes can be judged)."""
    out = []
    for s in suppressions:
        stale = [c for c in s.codes if c not in s.used and enabled(c)]
        if stale:
            out.append(
                Finding(
                    code="OTM002",
                    message=f"unused suppression for {', '.join(stale)}: nothing here is reported; remove it",
                    path=path,
                    line=s.line,
                    column=s.column,
                    end_line=s.line,
                    end_column=s.column + len(s.text),
                    source=s.text,
                )
            )
    return out
