"""The JavaScript/TypeScript project model: which files carry legacy tracing values across modules, and which
files the run must leave whole.

Built once per run from every JS/TS file under the run's roots (a byte search and a regex over imports;
no file is parsed here):

- **Compiled output** (`tsc` / Babel CommonJS output: `Object.defineProperty(exports, "__esModule", …)`,
  `(0, jaeger_client_1.initTracer)(…)`, a `//# sourceMappingURL=` trailer): generated from sources the run
  also sees; rewriting it is pointless (the next build overwrites it) and would hide the real change. Skipped,
  said once per run (on the first such file).
- **Instrumentation libraries** whose public API *is* the legacy library (a package named for it —
  `apollo-opentracing`, `zipkin-instrumentation-express`, `moleculer-jaeger` — that is published rather
  than private, or one that takes the legacy package as a peer dependency, or re-exports its types):
  their callers hand them OpenTracing tracers / zipkin tracers or configure Jaeger by its own names. An
  in-place migration breaks every caller, and the new API is the maintainer's choice, so the whole package
  is left on the legacy library with one TODO per legacy file and a manual report line (docs/
  migration-javascript.md, "Instrumentation libraries"). A workspace root whose workspaces hold such a
  package (its shared test fixtures) gets the same decision.
- **Cross-module flows**: files that import a project module which imports a legacy library, exports
  something (`lib/tracing.js` returning a tracer) and is migrated, are in scope although they import no
  legacy library: transforms.leave_whole migrates their spans with that module's.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from otmigrate.config import Settings

_LEGACY_MODULE = r"""['"](opentracing|jaeger-client|zipkin(?:-[\w-]+)?)(?:/[^'"]*)?['"]"""
_LEGACY_IMPORT = re.compile(rf"""(?:\bfrom\s*|\brequire\(\s*|\bimport\s*\(\s*){_LEGACY_MODULE}""")
_RELATIVE_IMPORT = re.compile(r"""(?:\bfrom\s*|\brequire\(\s*|\bimport\s*\(\s*)['"](\.{1,2}/[^'"]*)['"]""")
_EXPORTS = re.compile(rb"\bmodule\.exports\b|\bexports\.\w+\s*=|^\s*export\b", re.M)
_COMPILED = re.compile(
    rb"""Object\.defineProperty\(exports,\s*["']__esModule["']|\(0,\s*\w+_1\.\w+\)|^//# sourceMappingURL=""",
    re.M,
)
_LEGACY_REEXPORT = re.compile(rf"""^\s*export\s*(?:\*|\{{[^}}]*\}})\s*from\s*{_LEGACY_MODULE}""", re.M)
_LEGACY_NAMES = ("opentracing", "jaeger", "zipkin")
_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")

COMPILED_REASON = "compiled output (tsc / Babel): generated from sources this run also migrates"


@dataclass
class Library:
    """A package whose public API is a legacy tracing library, left whole by the rewrite."""

    name: str  # the npm package name
    library: str  # opentracing | jaeger | zipkin
    evidence: str  # why: "named for jaeger and published", "peer dependency on opentracing", …


@dataclass
class JavaScriptProject:
    compiled: set[str] = field(default_factory=set)  # resolved paths of compiled output
    left_whole: dict[str, Library] = field(default_factory=dict)  # resolved path → its library package
    exporters: set[str] = field(default_factory=set)  # files that import legacy tracing and export values
    dependents: set[str] = field(default_factory=set)  # files importing an exporter, no legacy import
    first_compiled: str | None = None  # the one compiled file that reports the skip

    def in_scope(self, path: Path) -> bool:
        return _key(path) in self.dependents

    def library_of(self, path: Path | str) -> Library | None:
        return self.left_whole.get(_key(path))

    def is_compiled(self, path: Path | str) -> bool:
        return _key(path) in self.compiled


def _key(path: Path | str) -> str:
    return os.path.realpath(path)


def build(paths: list[Path], settings: Settings) -> JavaScriptProject:
    project = JavaScriptProject()
    legacy: dict[str, str] = {}  # key → text, for files importing a legacy library
    relatives: dict[str, list[str]] = {}  # key → the project files it imports
    packages: dict[Path, Library | None] = {}
    for path in sorted(paths):
        try:
            data = path.read_bytes()
        except OSError:
            continue  # reported by the reader
        key = _key(path)
        if _COMPILED.search(data) and not path.suffix.startswith(".t"):
            project.compiled.add(key)
            continue
        text = data.decode("utf-8", "replace")
        imports = [m.group(1) for m in _RELATIVE_IMPORT.finditer(text)]
        relatives[key] = [r for r in (_resolve(path.parent, spec) for spec in imports) if r]
        if _LEGACY_IMPORT.search(text):
            legacy[key] = text
            if _EXPORTS.search(data):
                project.exporters.add(key)
            library = _library_package(path.parent, packages)
            if library is None and _LEGACY_REEXPORT.search(text):
                library = _package_library(path.parent, packages, "re-exports its types")
            if library is not None:
                project.left_whole[key] = library
    # a package left whole is left whole in every file of it, not only in the first one seen
    for key in legacy:
        if key not in project.left_whole:
            library = _library_package(Path(key).parent, packages)
            if library is not None:
                project.left_whole[key] = library
    migrated = project.exporters - set(project.left_whole)  # exporters whose values become OTel ones
    for key, targets in relatives.items():
        if key not in legacy and any(t in migrated for t in targets):
            project.dependents.add(key)
    project.first_compiled = min(project.compiled) if project.compiled else None
    return project


def _resolve(folder: Path, spec: str) -> str | None:
    base = folder / spec
    candidates = [base, *(base.with_name(base.name + ext) for ext in _EXTENSIONS)]
    candidates += [base / f"index{ext}" for ext in _EXTENSIONS]
    for candidate in candidates:
        if candidate.is_file():
            return _key(candidate)
    return None


def _manifest_above(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / "package.json").is_file():
            return candidate / "package.json"
        if (candidate / ".git").exists():
            return None
    return None


def _read_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _library_package(folder: Path, cache: dict[Path, Library | None]) -> Library | None:
    manifest = _manifest_above(folder)
    if manifest is None:
        return None
    if manifest not in cache:
        cache[manifest] = _judge(manifest, cache)
    return cache[manifest]


def _package_library(folder: Path, cache: dict[Path, Library | None], evidence: str) -> Library | None:
    """The package holding `folder`, marked as a library because one of its files `evidence`."""
    manifest = _manifest_above(folder)
    if manifest is None:
        return None
    data = _read_manifest(manifest)
    library = Library(str(data.get("name") or manifest.parent.name), "opentracing", evidence)
    cache[manifest] = library
    return library


def _judge(manifest: Path, cache: dict[Path, Library | None]) -> Library | None:
    """Whether the package of `manifest` is an instrumentation library of a legacy tracing library."""
    data = _read_manifest(manifest)
    name = str(data.get("name") or "")
    peers = data.get("peerDependencies") or {}
    for legacy in _LEGACY_NAMES:
        peer = next((p for p in peers if p == legacy or p.startswith(legacy + "-")), None)
        if peer is not None:
            return Library(name, legacy, f"takes `{peer}` as a peer dependency: its callers bring the tracer")
        if legacy in re.split(r"[^a-z]+", name.lower()) and not data.get("private"):
            return Library(name, legacy, f"a published package named for {legacy}")
    for pattern in data.get("workspaces") or []:
        for member in sorted(manifest.parent.glob(str(pattern))):
            if (member / "package.json").is_file():
                inner = _library_package(member, cache)
                if inner is not None:
                    return Library(
                        name, inner.library, f"the workspace root of {inner.name} (its shared test code)"
                    )
    return None
