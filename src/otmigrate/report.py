"""`rewrite --report FILE.html|FILE.md`: the migration as a document people read and pass around.

Per project (the folder of each dependency manifest, else the run's root) and per file: what was
migrated, bridged, left for a person (the TODO text, linked to its line), held back as unsafe, the lint
findings on the result, dependency changes, the wire formats the legacy code speaks and the propagator
set-up chosen for a staged rollout, what `--verify` found, and a chart of the legacy imports left per
library. The HTML file is self-contained (inline CSS and SVG, no script, nothing fetched); the Markdown
links lines as `path#Lnn`.
"""

from __future__ import annotations

import html
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ast_grep_py import SgRoot

from otmigrate import __version__
from otmigrate.config import Settings
from otmigrate.engine import find_bindings
from otmigrate.languages import language_for
from otmigrate.rewrite import FileRewrite

if TYPE_CHECKING:
    from otmigrate.verify import Verification

WIRE_FORMATS = {  # what a header name in the legacy code says about the traffic between services
    "Jaeger (uber-trace-id)": re.compile(r"uber-trace-id|uberctx-", re.IGNORECASE),
    "B3 multi-header (X-B3-*)": re.compile(
        r"x-b3-(?:traceid|spanid|sampled|parentspanid|flags)", re.IGNORECASE
    ),
    "B3 single header (b3)": re.compile(r"""["']b3["']"""),
    "OT Trace (ot-tracer-*)": re.compile(r"ot-tracer-", re.IGNORECASE),
    "W3C Trace Context (traceparent)": re.compile(r"traceparent", re.IGNORECASE),
}
LIBRARY_FORMATS = {"jaeger": "Jaeger (uber-trace-id)", "zipkin": "B3 multi-header (X-B3-*)"}
_KINDS = ("migrated", "bridged", "manual", "unsafe")
_KIND_TITLES = {
    "migrated": "migrated",
    "bridged": "bridged (kept working through the OTel bridge/shim)",
    "manual": "left for a person",
    "unsafe": "unsafe fix held back (--unsafe-fixes)",
}


@dataclass
class Project:
    root: str
    files: list[FileRewrite] = field(default_factory=list)


@dataclass
class Report:
    projects: list[Project]
    applied: bool
    legacy_before: Counter[str]
    legacy_after: Counter[str]
    wire_formats: dict[str, list[str]]  # format → files where it is named
    propagators: list[str] | None
    verification: Verification | None = None  # `--verify`'s result; None when it did not run


def build(
    results: list[FileRewrite], settings: Settings, applied: bool, verification: Verification | None = None
) -> Report:
    """Everything the report shows, from the rewrite's results (and `--verify`'s, when it ran)."""
    manifest_folders = sorted(
        {str(Path(r.path).parent) for r in results if any(c.rule.endswith("-manifest") for c in r.changes)},
        key=len,
        reverse=True,
    )
    projects: dict[str, Project] = {}
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    formats: dict[str, list[str]] = {}
    for result in results:
        folder = next((f for f in manifest_folders if _inside(result.path, f)), ".")
        projects.setdefault(folder, Project(folder)).files.append(result)
        language = language_for(result.path)
        if language is None or result.error:
            continue
        legacy = {
            text: [
                b.library
                for b in find_bindings(language, SgRoot(text, language.grep_language).root())
                if b.is_legacy
            ]
            for text in (result.original, result.result)
        }
        before.update(legacy[result.original])
        after.update(legacy[result.result])
        named = {name for name, pattern in WIRE_FORMATS.items() if pattern.search(result.original)}
        named |= {
            LIBRARY_FORMATS[library] for library in legacy[result.original] if library in LIBRARY_FORMATS
        }
        for name in named:
            formats.setdefault(name, []).append(result.path)
    return Report(
        sorted(projects.values(), key=lambda p: p.root),
        applied,
        before,
        after,
        formats,
        settings.propagators,
        verification,
    )


def _inside(path: str, folder: str) -> bool:
    return folder == "." or Path(path).parent.is_relative_to(folder)


def write(report: Report, destination: Path) -> None:
    text = _markdown(report, destination) if destination.suffix.lower() == ".md" else _html(report)
    destination.write_text(text, encoding="utf-8")


def _propagator_advice(report: Report) -> list[str]:
    chosen = report.propagators
    legacy = sorted(f for f in report.wire_formats if not f.startswith("W3C"))
    if chosen is not None:
        return [f"Propagators set in the config: {', '.join(chosen)}."]
    return [
        "Generated set-ups propagate W3C Trace Context and baggage plus the legacy format they replace, "
        "so migrated services keep joining traces with services that are not migrated yet.",
        f"Legacy formats seen in this code: {', '.join(legacy) or 'none'}.",
        "Staged rollout: 1. migrate services one by one (default set-up); 2. once every service is on "
        'OpenTelemetry, set `propagators = ["tracecontext", "baggage"]` in [tool.otmigrate]; 3. remove the '
        "legacy propagator packages.",
    ]


def _verification_summary(verification: Verification | None) -> str:
    if verification is None:
        return "Not run: `otmigrate rewrite --verify` checks the migrated project with its own compiler."
    uncovered, found = len(verification.uncovered), len(verification.problems)
    verdict = "passed" if verification.ok else f"{uncovered} error{'s' * (uncovered != 1)} no TODO covers"
    tools = ", ".join(verification.tools) or "no tool"
    return f"{verdict} ({found} problem{'s' * (found != 1)} in all; ran: {tools})."


def _problem_status(covered: bool, severity: str) -> str:
    return "under a TODO(otmigrate)" if covered else severity


def _state(report: Report) -> str:
    return "written" if report.applied else "nothing written yet (a preview)"


def _counts(result: FileRewrite) -> Counter[str]:
    return Counter(c.kind for c in result.changes)


# --- HTML -----------------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1d2330;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:2px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #d0d7de;padding:.25em .6em;text-align:left}
th{background:#f3f5f8}.n{text-align:right}.migrated{color:#1a7f37}.bridged{color:#0969da}
.manual{color:#bc4c00}.unsafe{color:#8250df}.error{color:#cf222e}
pre{background:#f6f8fa;padding:.5em;overflow:auto;font-size:12px;line-height:1.35}
pre .l{display:block}pre .l:target{background:#fff8c5}pre .l::before{content:attr(data-n);color:#8c959f;
display:inline-block;width:3.5em;text-align:right;margin-right:1em}details{margin:.4em 0}
.file{border:1px solid #d0d7de;border-radius:6px;padding:.2em 1em;margin:1em 0}
"""


def _html(report: Report) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>otmigrate migration report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Migration report</h1>",
        f"<p>otmigrate {e(__version__)} — {_state(report)}"
        f"; {sum(len(p.files) for p in report.projects)} files in {len(report.projects)} projects.</p>",
        "<h2 id='progress'>Progress: legacy imports per library</h2>",
        _chart(report.legacy_before, report.legacy_after),
        "<h2 id='summary'>Summary</h2><table><tr><th>project</th><th>file</th>",
        *(f"<th>{e(kind)}</th>" for kind in _KINDS),
        "<th>status</th></tr>",
    ]
    number = 0
    anchors: dict[int, str] = {}
    for project in report.projects:
        for result in project.files:
            number += 1
            anchors[id(result)] = f"f{number}"
            counts = _counts(result)
            status = _status(result, report.applied)
            parts.append(
                f"<tr><td>{e(project.root)}</td><td><a href='#f{number}'>{e(result.path)}</a></td>"
                + "".join(f"<td class='n {k}'>{counts[k] or ''}</td>" for k in _KINDS)
                + f"<td class='{'error' if result.error else ''}'>{e(status)}</td></tr>"
            )
    parts.append("</table>")
    parts += _html_verification(
        report.verification, {r.path: anchors[id(r)] for p in report.projects for r in p.files}
    )
    parts += ["<h2 id='wire'>Wire formats and propagation</h2><ul>"]
    for name, files in sorted(report.wire_formats.items()):
        parts.append(f"<li>{e(name)}: {len(files)} file{'s' if len(files) != 1 else ''}</li>")
    if not report.wire_formats:
        parts.append("<li>no tracing header named in the code</li>")
    parts.append("</ul>")
    parts += [f"<p>{e(line)}</p>" for line in _propagator_advice(report)]
    parts.append("<h2 id='dependencies'>Dependency changes</h2>")
    manifests = [
        r for p in report.projects for r in p.files if any(c.rule.endswith("-manifest") for c in r.changes)
    ]
    for manifest in manifests:
        parts.append(f"<p><a href='#{anchors[id(manifest)]}'>{e(manifest.path)}</a></p>")
        changed = [line for line in manifest.diff().splitlines()[2:] if line[:1] in "+-"]
        parts.append(f"<pre>{e(chr(10).join(changed))}</pre>")
    if not manifests:
        parts.append("<p>none</p>")
    for project in report.projects:
        parts.append(f"<h2>Project {e(project.root)}</h2>")
        for result in project.files:
            parts.append(_html_file(result, anchors[id(result)], report.applied))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _html_verification(verification: Verification | None, anchors: dict[str, str]) -> list[str]:
    """Each problem names its line in the migrated file and links to that file's section."""
    e = html.escape
    parts = ["<h2 id='verify'>Verification with the project's own tools</h2>"]
    parts.append(f"<p>{e(_verification_summary(verification))}</p>")
    if verification is None:
        return parts
    parts += [f"<p>{e(notice)}</p>" for notice in verification.notices]
    if verification.problems:
        parts.append(
            "<table><tr><th>where (migrated file)</th><th>tool</th><th>message</th><th>status</th></tr>"
        )
        for problem in verification.problems:
            where = e(f"{problem.path}:{problem.line}")
            if problem.path in anchors:
                where = f"<a href='#{anchors[problem.path]}'>{where}</a>"
            css = "" if problem.covered else problem.severity
            parts.append(
                f"<tr><td>{where}</td><td>{e(problem.tool)}</td><td>{e(problem.message)}</td>"
                f"<td class='{css}'>{e(_problem_status(problem.covered, problem.severity))}</td></tr>"
            )
        parts.append("</table>")
    return parts


def _status(result: FileRewrite, applied: bool) -> str:
    if result.error:
        return f"not rewritten: {result.error}"
    if result.written:
        return "written"
    return "changes pending" if result.changed else "unchanged"


def _html_file(result: FileRewrite, anchor: str, applied: bool) -> str:
    e = html.escape
    out = [
        f"<section class='file' id='{anchor}'><h3>{e(result.path)}</h3>"
        f"<p>{e(_status(result, applied))}</p><ul>"
    ]
    for kind in _KINDS:
        for change in (c for c in result.changes if c.kind == kind):
            where = f" <a href='#{anchor}-L{change.line}'>line {change.line}</a>" if change.line > 0 else ""
            out.append(
                f"<li class='{kind}'>{e(_KIND_TITLES[kind])}{where}: {e(change.message)} "
                f"<code>{e(change.rule)}</code></li>"
            )
    for finding in result.findings:
        out.append(f"<li>lint {e(finding.code)} line {finding.line}: {e(finding.message)}</li>")
    out.append("</ul>")
    if result.changed:
        out.append(f"<details><summary>diff</summary><pre>{e(result.diff())}</pre></details>")
    lines = result.original.split("\n")
    body = "".join(
        f"<span class='l' id='{anchor}-L{n}' data-n='{n}'>{e(line)}</span>" for n, line in enumerate(lines, 1)
    )
    out.append(f"<details open><summary>source before the migration</summary><pre>{body}</pre></details>")
    out.append("</section>")
    return "\n".join(out)


def _chart(before: Counter[str], after: Counter[str]) -> str:
    """Horizontal bars, before (grey) and after (green), per library: inline SVG, no script."""
    libraries = sorted(set(before) | set(after))
    if not libraries:
        return "<p>no legacy imports in the files this run touched</p>"
    peak = max([*before.values(), *after.values(), 1])
    row, width = 46, 600
    svg = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width + 260}' height='{row * len(libraries) + 30}' "
        "role='img' aria-label='legacy imports per library, before and after'>"
    ]
    for index, library in enumerate(libraries):
        y = 10 + index * row
        for offset, count, color, label in (
            (0, before[library], "#8c959f", "before"),
            (18, after[library], "#1a7f37", "after"),
        ):
            length = max(2, round(width * count / peak))
            svg.append(
                f"<rect x='130' y='{y + offset}' width='{length}' height='14' fill='{color}'>"
                f"<title>{label}</title></rect>"
                f"<text x='{136 + length}' y='{y + offset + 12}' font-size='12'>{label}: {count}</text>"
            )
        svg.append(f"<text x='0' y='{y + 22}' font-size='13'>{html.escape(library)}</text>")
    svg.append("</svg>")
    return "".join(svg)


# --- Markdown -------------------------------------------------------------------------------------------


def _markdown(report: Report, destination: Path) -> str:
    base = destination.resolve().parent

    def link(path: str, line: int = 0) -> str:
        target = os.path.relpath(Path(path).resolve(), base).replace(os.sep, "/")
        return f"[{path}{f':{line}' if line else ''}]({target}{f'#L{line}' if line else ''})"

    lines = [
        "# Migration report",
        "",
        f"otmigrate {__version__} — {_state(report)}.",
        "",
        "## Progress: legacy imports per library",
        "",
        "| library | before | after |",
        "|---|---:|---:|",
        *(
            f"| {lib} | {report.legacy_before[lib]} | {report.legacy_after[lib]} |"
            for lib in sorted(set(report.legacy_before) | set(report.legacy_after))
        ),
        "",
        "## Summary",
        "",
        "| project | file | " + " | ".join(_KINDS) + " | status |",
        "|---|---|" + "---:|" * len(_KINDS) + "---|",
    ]
    for project in report.projects:
        for result in project.files:
            counts = _counts(result)
            lines.append(
                f"| {project.root} | {link(result.path)} | "
                + " | ".join(str(counts[k] or "") for k in _KINDS)
                + f" | {_status(result, report.applied)} |"
            )
    lines += [
        "",
        "## Verification with the project's own tools",
        "",
        _verification_summary(report.verification),
        "",
    ]
    if report.verification is not None:
        lines += [f"- {notice}" for notice in report.verification.notices]
        for problem in report.verification.problems:
            status = _problem_status(problem.covered, problem.severity)
            lines.append(
                f"- {link(problem.path)} line {problem.line} ({problem.tool}): {problem.message} — {status}"
            )
    lines += ["", "## Wire formats and propagation", ""]
    lines += [f"- {name}: {len(files)} files" for name, files in sorted(report.wire_formats.items())] or [
        "- none"
    ]
    lines += ["", *_propagator_advice(report), ""]
    for project in report.projects:
        lines += [f"## Project {project.root}", ""]
        for result in project.files:
            lines += [f"### {link(result.path)}", "", _status(result, report.applied), ""]
            for kind in _KINDS:
                for change in (c for c in result.changes if c.kind == kind):
                    where = f" {link(result.path, change.line)}" if change.line > 0 else ""
                    lines.append(f"- {_KIND_TITLES[kind]}{where}: {change.message} (`{change.rule}`)")
            lines += [f"- lint {f.code} line {f.line}: {f.message}" for f in result.findings]
            lines.append("")
    return "\n".join(lines) + "\n"
