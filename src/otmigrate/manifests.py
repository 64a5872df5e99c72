"""Dependency manifests that match the code: what every source file below a manifest imports after the run.

A legacy dependency may only leave a manifest when no file in its scope still imports it — including the
files the run did not change, could not rewrite, or left legacy under a TODO. So the imports are read from
the final text of every source file of the manifest's language below its folder (the run's result where
there is one, else the file on disk), cheaply: a byte prefilter, then one parse.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from ast_grep_py import SgRoot

from otmigrate.engine import find_bindings
from otmigrate.languages import LANGUAGES, Language

# JavaScript / TypeScript module specifiers: require('m'), import('m'), import … from 'm', import 'm',
# export … from 'm'. A mention in a comment keeps a dependency, which errs on the safe side.
JS_SPECIFIER = re.compile(
    r"""(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bfrom\s+|\bimport\s+)(['"])([^'"\n]+)\1"""
)


@dataclass
class ModuleImports:
    """The modules a set of files imports: legacy ones (keep their packages) and OpenTelemetry ones."""

    legacy: set[str] = field(default_factory=set)
    otel: set[str] = field(default_factory=set)

    def add(self, other: ModuleImports) -> None:
        self.legacy |= other.legacy
        self.otel |= other.otel


def manifest_language(path: Path) -> tuple[Language, Any] | None:
    """The language whose dependency manifest `path` is, with its `manifest` part."""
    for language in LANGUAGES.values():
        manifest = language.part("manifest")
        if manifest is not None and any(fnmatch(path.name, p) for p in manifest.MANIFEST_NAMES):
            return language, manifest
    return None


def manifest_rule_id(language: Language) -> str:
    """The rule id that `--select` / `--ignore` use for a language's manifest changes (`py-manifest`)."""
    return f"{language.short}-manifest"


def module_imports(language: Language, text: str) -> ModuleImports:
    """The legacy and OpenTelemetry modules `text` imports (Python dotted modules, Go import paths, npm
    module specifiers), any statement anywhere in the file, blank and side-effect imports included."""
    found = ModuleImports()
    if language.name == "python":
        root = SgRoot(text, language.grep_language).root()
        for binding in find_bindings(language, root):
            if binding.library == "opentelemetry":
                found.otel.add(binding.imported_module)
            elif binding.is_legacy:
                found.legacy.add(binding.imported_module)
        return found
    if language.name == "go":
        root = SgRoot(text, language.grep_language).root()
        specifiers = [
            path.text().strip('"`')
            for spec in root.find_all(kind="import_spec")
            if (path := spec.field("path")) is not None
        ]
    else:
        specifiers = [m.group(2) for m in JS_SPECIFIER.finditer(text)]
    otel = tuple(marker.decode() for marker in language.otel_markers)
    legacy = tuple(marker.decode() for marker in language.legacy_markers)
    for specifier in specifiers:
        if specifier.startswith(otel):
            found.otel.add(specifier)
        elif any(marker in specifier for marker in legacy):
            found.legacy.add(specifier)
    return found


def imports_below_manifests(
    manifests: list[str], sources: list[tuple[str, str | None]], final_texts: dict[str, str]
) -> dict[str, ModuleImports]:
    """For each manifest path, what the source files of its language below its folder import.

    `final_texts`: the run's result per source path (files it rewrote, refused or left alone with a
    report); every other file is read from disk. Each path is made absolute once and files are grouped
    by folder, so this costs one walk up per folder, not a comparison per manifest and file."""
    folders: dict[tuple[str, Path], list[str]] = {}  # (language, folder) → the manifests there
    for path in manifests:
        owner = manifest_language(Path(path))
        if owner is not None:
            folder = Path(os.path.abspath(path)).parent
            folders.setdefault((owner[0].name, folder), []).append(path)
    below: dict[str, ModuleImports] = {path: ModuleImports() for path in manifests}
    if not folders:
        return below
    by_folder: dict[tuple[str, Path], ModuleImports] = {}
    for path, language_name in sources:
        if language_name is None:
            continue
        folder = Path(os.path.abspath(path)).parent
        if not any((language_name, f) in folders for f in (folder, *folder.parents)):
            continue  # no manifest of its language above it
        imports = _file_imports(path, LANGUAGES[language_name], final_texts.get(path))
        if imports is not None:
            by_folder.setdefault((language_name, folder), ModuleImports()).add(imports)
    for (language_name, folder), imports in by_folder.items():
        for ancestor in (folder, *folder.parents):
            for manifest in folders.get((language_name, ancestor), ()):
                below[manifest].add(imports)
    return below


def _file_imports(path: str, language: Language, text: str | None) -> ModuleImports | None:
    if text is None:
        try:
            data = Path(path).read_bytes()
        except OSError:
            return None  # reported by the rewrite of that file
        if not language.mentions_tracing(data, include_otel=True):
            return None
        text = data.decode("utf-8", "replace")
    elif not language.mentions_tracing(text.encode("utf-8", "surrogateescape"), include_otel=True):
        return None
    return module_imports(language, text)
