"""Rendering findings: text (grouped by file, with a code frame), json, sarif 2.1.0, github annotations."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from typing import TextIO

from otmigrate.lint.model import Finding, Rule
from otmigrate.terminal import wants_color

DOCS_URL = "https://github.com/otmigrate/otmigrate/blob/main/docs/rules/{code}.md"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render(
    fmt: str,
    findings: list[Finding],
    rules: dict[str, Rule],
    sources: dict[str, list[str]],
    out: TextIO,
    *,
    files: int = 0,
) -> None:
    if fmt == "json":
        json.dump([as_json(f, rules) for f in findings], out, indent=2)
        out.write("\n")
    elif fmt == "sarif":
        json.dump(sarif(findings, rules), out, indent=2)
        out.write("\n")
    elif fmt == "github":
        for f in findings:
            out.write(github(f, rules))
    else:
        _text(findings, rules, sources, out, files)


def as_json(f: Finding, rules: dict[str, Rule]) -> dict:
    rule = rules.get(f.code)
    return {
        "code": f.code,
        "name": rule.name if rule else "",
        "severity": f.severity,
        "message": f.message,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "source": f.source,
        "related": [{"line": ln, "note": note} for ln, note in f.related],
        "fix": {"start": f.fix.start, "end": f.fix.end, "text": f.fix.text} if f.fix else None,
        "url": DOCS_URL.format(code=f.code),
    }


def _text(
    findings: list[Finding], rules: dict[str, Rule], sources: dict[str, list[str]], out: TextIO, files: int
) -> None:
    if wants_color(out):
        from rich.console import Console  # only on a terminal: rich costs ~40 ms to import

        console = Console(file=out, highlight=False, force_terminal=True, soft_wrap=True)
        style = {"error": "bold red", "warning": "yellow", "info": "cyan"}

        def emit(text: str, kind: str = "") -> None:
            console.print(text, style=style.get(kind, kind) or None, markup=False)
    else:

        def emit(text: str, kind: str = "") -> None:
            out.write(text + "\n")

    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    for path, items in by_path.items():
        emit(path, "bold")
        lines = sources.get(path, [])
        for f in items:
            name = rules[f.code].name if f.code in rules else ""
            emit(f"  {f.line}:{f.column} {f.code} [{f.severity}] {f.message} ({name})", f.severity)
            if 0 < f.line <= len(lines):
                emit(f"    {f.line:>5} | {lines[f.line - 1].rstrip()}", "dim")
                emit(f"          | {' ' * (f.column - 1)}^", "dim")
            for line, note in f.related:
                if 0 < line <= len(lines):
                    emit(f"    {line:>5} | {lines[line - 1].rstrip()}    <- {note}", "dim")
        emit("")
    counts = Counter(f.severity for f in findings)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "info") if counts[s])
    emit(
        f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
        + (f" ({summary})" if summary else "")
        + (f" in {files} file{'s' if files != 1 else ''} checked" if files else "")
    )


def fingerprint(f: Finding) -> str:
    """Stable across line moves: the rule, the file and the normalised flagged source."""
    return hashlib.sha256(f"{f.code}\0{f.path}\0{f.source}".encode()).hexdigest()[:32]


def sarif(findings: list[Finding], rules: dict[str, Rule]) -> dict:
    from otmigrate import __version__
    from otmigrate.lint.semconv import TABLE_VERSION

    codes = sorted(rules)
    index = {c: i for i, c in enumerate(codes)}
    seen: Counter = Counter()
    results = []
    for f in findings:
        fp = fingerprint(f)
        seen[fp] += 1
        result = {
            "ruleId": f.code,
            "ruleIndex": index.get(f.code, -1),
            "level": SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path.replace("\\", "/"), "uriBaseId": "%SRCROOT%"},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        },
                    }
                }
            ],
            "partialFingerprints": {"otmigrate/v1": f"{fp}:{seen[fp]}"},
        }
        if f.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "message": {"text": note},
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path.replace("\\", "/"), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": line},
                    },
                }
                for i, (line, note) in enumerate(f.related)
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "otmigrate",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": "https://github.com/otmigrate/otmigrate",
                        "rules": [_sarif_rule(rules[c]) for c in codes],
                        "properties": {"semconvVersion": TABLE_VERSION},
                    }
                },
                "originalUriBaseIds": {
                    "%SRCROOT%": {"uri": "file:///" + os.getcwd().lstrip("/").replace("\\", "/") + "/"}
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _sarif_rule(rule: Rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "helpUri": DOCS_URL.format(code=rule.code),
        "help": {"text": f"{rule.why}\n\nFix: {rule.fix}", "markdown": f"{rule.why}\n\n**Fix:** {rule.fix}"},
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
        "properties": {
            "precision": rule.precision,
            "tags": ["tracing", "opentelemetry", *rule.languages],
            "profile": rule.profile,
        },
    }


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def github(f: Finding, rules: dict[str, Rule]) -> str:
    level = {"error": "error", "warning": "warning", "info": "notice"}[f.severity]
    name = rules[f.code].name if f.code in rules else ""
    props = (
        f"file={_escape(f.path, True)},line={f.line},col={f.column},endLine={f.end_line},"
        f"endColumn={f.end_column},title={_escape(f'{f.code} {name}', True)}"
    )
    return f"::{level} {props}::{_escape(f.message)}\n"
