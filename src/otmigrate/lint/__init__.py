"""`otmigrate lint`: tracing anti-patterns in Python, Go and JavaScript.

This module is imported on every pre-commit run, so it imports only what the lint path needs.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from otmigrate.config import Settings
from otmigrate.lint.model import SEVERITIES, Finding, severity_rank

LEGACY_IMPORT = "OTM901"


@dataclass
class LintOptions:
    paths: list[str]
    output_format: str = "text"  # text | json
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    fail_on: str = "warning"
    baseline: Path | None = None
    write_baseline: Path | None = None
    exit_zero: bool = False
    jobs: int = 1
    profile: str | None = None


def check_source(path: str, text: str, language: str, settings: Settings) -> list[Finding]:
    """Findings for one file's source (used by `lint`, and by `rewrite` on the code it produces)."""
    from ast_grep_py import SgRoot

    from otmigrate.engine import find_bindings
    from otmigrate.languages import LANGUAGES

    lang = LANGUAGES[language]
    if not lang.mentions_tracing(text.encode("utf-8"), include_otel=True):
        return []
    bindings = find_bindings(lang, SgRoot(text, lang.grep_language).root())
    lines = text.splitlines()
    return [
        Finding(
            code=LEGACY_IMPORT,
            message=f"legacy tracing import '{b.module}' ({b.library}); migrate with `otmigrate rewrite`",
            path=path,
            line=b.line,
            column=b.column,
            end_line=b.line,
            end_column=b.column + len(b.local),
            severity="warning",
            source=lines[b.line - 1].strip() if b.line <= len(lines) else "",
        )
        for b in bindings
        if b.is_legacy
    ]


def run(options: LintOptions, settings: Settings, out: TextIO) -> int:
    """The whole `otmigrate lint` command; returns the exit code."""
    from otmigrate.discovery import discover
    from otmigrate.sourcefile import SourceError, decode, is_generated, read_bytes

    findings: list[Finding] = []
    errors = 0
    for candidate in discover(options.paths, settings):
        if candidate.language is None:
            continue
        try:
            data = read_bytes(candidate.path)
            if is_generated(data) or not candidate.language.mentions_tracing(data, include_otel=True):
                continue
            text = decode(candidate.path, data).text
        except SourceError as exc:
            print(f"otmigrate: {exc}", file=sys.stderr)
            errors += 1
            continue
        findings += check_source(os.path.relpath(candidate.path), text, candidate.language.name, settings)
    findings = [f for f in findings if _selected(f.code, options.select, options.ignore)]
    findings.sort(key=Finding.sort_key)
    if options.output_format == "json":
        json.dump([_as_json(f) for f in findings], out, indent=2)
        out.write("\n")
    else:
        for f in findings:
            out.write(f"{f.path}:{f.line}:{f.column}: {f.code} [{f.severity}] {f.message}\n")
        out.write(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}\n")
    if options.exit_zero:
        return 0
    threshold = severity_rank(options.fail_on) if options.fail_on in SEVERITIES else 1
    failing = any(severity_rank(f.severity) >= threshold for f in findings)
    return 1 if failing or errors else 0


def _selected(code: str, select: list[str], ignore: list[str]) -> bool:
    select = [s for s in select if s.upper().startswith("OTM")]
    ignore = [s for s in ignore if s.upper().startswith("OTM")]
    return (not select or any(code.startswith(s) for s in select)) and not any(
        code.startswith(s) for s in ignore
    )


def _as_json(finding: Finding) -> dict[str, object]:
    return {
        "code": finding.code,
        "severity": finding.severity,
        "message": finding.message,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
    }
