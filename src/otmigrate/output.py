"""Rendering results: rich on a terminal (honouring NO_COLOR), plain text otherwise, JSON on request."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any, TextIO

from otmigrate import stats
from otmigrate.rewrite import FileRewrite
from otmigrate.scan import FileScan, summary
from otmigrate.terminal import wants_color
from otmigrate.verify import Verification

TOP_FILES = 10
_FIXES = ("safe", "unsafe", "manual", "none")
_SCAN_HEADERS = ("language", "library", "usages", "safe fix", "unsafe fix", "manual", "no rule")


def _console(out: TextIO) -> Any:
    """A rich Console when the output takes colour (a terminal, or FORCE_COLOR), else None (plain text;
    rich is not even imported)."""
    if not wants_color(out):
        return None
    from rich.console import Console

    return Console(file=out, highlight=False, force_terminal=True, soft_wrap=True)


def error(message: str) -> None:
    print(f"otmigrate: {message}", file=sys.stderr)


def _file_errors(items: list[FileScan] | list[FileRewrite]) -> None:
    for item in items:
        if item.error:
            error(f"{item.path}: {item.error}")


def scan_statistics(files: list[FileScan], output_format: str, out: TextIO) -> None:
    """`scan --statistics`: usages per rule, with the library and what rewrite does with them."""
    _file_errors(files)
    counts = Counter((u.rule, f"{u.library}, fix: {u.fix}") for f in files for u in f.usages)
    stats.render(counts, output_format, out)


def rewrite_statistics(results: list[FileRewrite], output_format: str, out: TextIO) -> None:
    """`rewrite --statistics`: changes per rule and kind (migrated, manual, unsafe, bridged)."""
    _file_errors(results)
    stats.render(Counter((c.rule, c.kind) for r in results for c in r.changes), output_format, out)


def scan_report(files: list[FileScan], files_scanned: int, output_format: str, out: TextIO) -> None:
    _file_errors(files)
    document = summary([f for f in files if not f.error], files_scanned)
    if output_format == "json":
        json.dump(document, out, indent=2)
        out.write("\n")
        return
    cells: Counter[tuple[str, str]] = Counter()
    by_fix: Counter[tuple[str, str, str]] = Counter()
    for entry in document["files"]:
        for usage in entry["usages"]:
            cells[(entry["language"], usage["library"])] += 1
            by_fix[(entry["language"], usage["library"], usage["fix"])] += 1
    rows = [
        (lang, lib, str(n), *(str(by_fix[(lang, lib, fix)]) for fix in _FIXES))
        for (lang, lib), n in sorted(cells.items())
    ]
    top = sorted(document["files"], key=lambda f: -len(f["usages"]))[:TOP_FILES]
    top_rows = [(f["path"], f["language"], str(len(f["usages"]))) for f in top]
    stats = document["summary"]
    footer = (
        f"{stats['files_scanned']} files scanned, {stats['files_with_legacy']} with legacy tracing, "
        f"{stats['usages']} usages"
    )
    console = _console(out)
    if console is None:
        _plain_table(out, _SCAN_HEADERS, rows)
        out.write("\n")
        _plain_table(out, ("file", "language", "usages"), top_rows)
        out.write(f"\n{footer}\n")
        return
    from rich.table import Table

    for title, headers, body in (
        ("Legacy tracing by language and library", _SCAN_HEADERS, rows),
        (f"Files with the most usages (top {TOP_FILES})", ("file", "language", "usages"), top_rows),
    ):
        table = Table(title=title, title_justify="left")
        for header in headers:
            table.add_column(header, justify="left" if header in ("language", "library", "file") else "right")
        for row in body:
            table.add_row(*row)
        console.print(table)
    console.print(footer)


def _plain_table(out: TextIO, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    for row in (headers, *rows):
        out.write(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n"
        )


def rewrite_report(
    results: list[FileRewrite],
    output_format: str,
    applied: bool,
    out: TextIO,
    verification: Verification | None = None,
) -> None:
    """`verification`: the `--verify` result, when asked for."""
    _file_errors(results)
    if output_format == "json":
        document = _rewrite_document(results, applied)
        if verification is not None:
            document["verify"] = verification.as_json()
        json.dump(document, out, indent=2)
        out.write("\n")
        return
    console = _console(out)
    if not applied:
        for r in results:
            if not r.changed:
                continue
            if console is None:
                out.write(r.diff())
            else:
                _print_diff(console, r.diff())
    lines = _report_lines(results, applied)
    if verification is not None:
        lines += verify_lines(verification, applied and not any(r.written for r in results))
    if console is None:
        out.write("\n".join(lines) + "\n")
    else:
        for line in lines:
            console.print(line, markup=False)


_DIFF_STYLES = (("---", "bold"), ("+++", "bold"), ("@@", "cyan"), ("-", "red"), ("+", "green"))


def _print_diff(console: Any, diff: str) -> None:
    """Each line whole (never wrapped or cropped to the terminal's width), coloured by its prefix."""
    for line in diff.rstrip("\n").split("\n"):
        style = next((style for prefix, style in _DIFF_STYLES if line.startswith(prefix)), None)
        console.print(line, style=style, markup=False, highlight=False, soft_wrap=True)


def _report_lines(results: list[FileRewrite], applied: bool) -> list[str]:
    lines = ["", "Report:"] if results else []
    for r in results:
        migrated = [c for c in r.changes if c.kind == "migrated"]
        manual = [c for c in r.changes if c.kind == "manual"]
        unsafe = [c for c in r.changes if c.kind == "unsafe"]
        bridged = [c for c in r.changes if c.kind == "bridged"]
        status = (
            "error"
            if r.error
            else ("written" if r.written else ("changes pending" if r.changed else "unchanged"))
        )
        lines.append(f"{r.path} ({status})")
        if r.error:
            lines.append(f"  not rewritten: {r.error}")
        for (rule_id, message), count in Counter((c.rule, c.message) for c in migrated).items():
            lines.append(f"  migrated: {message} [{rule_id}]" + (f" (x{count})" if count > 1 else ""))
        for c in manual:
            lines.append(f"  left for a person, line {c.line}: {c.message} [{c.rule}]")
        for c in unsafe:
            lines.append(f"  unsafe fix available (--unsafe-fixes), line {c.line}: {c.message} [{c.rule}]")
        for c in bridged:
            lines.append(f"  bridged, line {c.line}: {c.message} [{c.rule}]")
        for f in r.findings:
            lines.append(f"  lint {f.code} line {f.line}: {f.message}")
    counts = change_counts(results)
    if any(counts.values()):
        lines.append(", ".join(f"{n} {_KIND_LABELS[kind]}" for kind, n in counts.items() if n))
    changed = sum(r.written if applied else r.changed for r in results)  # --apply: what was written
    verb = "rewritten" if applied else "would be rewritten"
    lines.append(
        f"{changed} file{'s' if changed != 1 else ''} {verb}"
        + ("" if applied or not changed else "; run with --apply to write")
    )
    return lines


_KIND_LABELS = {
    "migrated": "migrated",
    "manual": "left for a person",
    "unsafe": "unsafe fixes held back",
    "bridged": "bridged",
}


def change_counts(results: list[FileRewrite]) -> dict[str, int]:
    """How many report lines of each kind the run has (migrated, manual, unsafe, bridged)."""
    counts = Counter(c.kind for r in results for c in r.changes)
    return {kind: counts[kind] for kind in _KIND_LABELS}


def verify_lines(verification: Verification, held_back: bool) -> list[str]:
    """The `--verify` section of the text report; `held_back`: --apply wrote nothing because of it."""
    problems = verification.problems
    covered = sum(p.covered for p in problems)
    tools = ", ".join(verification.tools) or "nothing to check"
    plural = "s" if len(problems) != 1 else ""
    lines = [f"Verify ({tools}): {len(problems)} problem{plural}, {covered} under a TODO"]
    for p in problems:
        mark = "under a TODO" if p.covered else "NOT under a TODO"
        kind = "" if p.severity == "error" else f"{p.severity}: "
        lines.append(f"  {p.path}:{p.line}: {kind}{p.message} [{p.tool}] ({mark})")
    lines += [f"  notice: {notice}" for notice in verification.notices]
    if held_back and not verification.ok:
        lines.append(
            f"nothing written: verification found {len(verification.uncovered)} problem(s) no TODO covers"
            " (fix them, or pass --allow-broken to write anyway)"
        )
    return lines


def _rewrite_document(results: list[FileRewrite], applied: bool) -> dict[str, Any]:
    return {
        "version": 1,
        "applied": applied,
        "summary": change_counts(results),
        "files": [
            {
                "path": r.path,
                "changed": r.changed,
                "written": r.written,
                "error": r.error,
                "changes": [c.__dict__ for c in r.changes],
                "findings": [{"code": f.code, "line": f.line, "message": f.message} for f in r.findings],
                "diff": r.diff() if r.changed else "",
            }
            for r in results
        ],
    }
