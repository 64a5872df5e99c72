"""The project model: the facts that cross files, built once per run before any file is rewritten.

Real code hands tracers, spans and contexts across files (a tracer from `lib/tracing`, a struct declared in
another file of the Go package, an exported span helper). Each language's `project` part indexes every
source file of that language under the run's roots into one model; scan, rewrite and lint read it (the
engine hands it to handlers as `TransformContext.project`). A file that imports no legacy library but uses
a legacy value from a project helper is in scope through it, so it is scanned, rewritten and reported.

A language part `languages/<name>/project.py` provides `build(files: list[Path], settings) -> model`;
the model must be picklable (it travels to the pool's workers) and answer `in_scope(path) -> bool`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from otmigrate.config import Settings
from otmigrate.languages import LANGUAGES


class LanguageModel(Protocol):
    def in_scope(self, path: Path) -> bool:
        """The file uses a legacy tracing value of the project although it may import no legacy library."""


@dataclass
class Project:
    models: dict[str, Any] = field(default_factory=dict)  # language name → that language's model

    def model(self, language_name: str) -> Any | None:
        return self.models.get(language_name)

    def in_scope(self, path: Path, language_name: str) -> bool:
        model = self.models.get(language_name)
        return model is not None and model.in_scope(path)


def build_project(files: list[tuple[str, str | None]], settings: Settings) -> Project:
    """The model of every language that has a `project` part, from all its files under the run's roots
    (`files`: path and language name, as discovery gives them; manifests have no language)."""
    by_language: dict[str, list[Path]] = {}
    for path, language_name in files:
        if language_name is not None:
            by_language.setdefault(language_name, []).append(Path(path))
    project = Project()
    for name, paths in by_language.items():
        part = LANGUAGES[name].part("project")
        if part is not None:
            project.models[name] = part.build(paths, settings)
    return project
