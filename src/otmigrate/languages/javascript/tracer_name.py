"""The name migrated code gives `trace.getTracer(name)`: the instrumentation scope of its spans.

OpenTracing's `globalTracer()` had no name; OpenTelemetry names the code that makes the spans. By
precedence: the `service-name` setting, else the `name` of the nearest package.json above the file
(read as JSON data, never run; the search stops at the repository root, a folder holding `.git`), else
'otmigrate'.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from otmigrate.config import Settings

DEFAULT = "otmigrate"
_NPM_NAME = re.compile(r"^(@[a-z0-9~-][a-z0-9._~-]*/)?[a-z0-9~-][a-z0-9._~-]*$")
"""What npm accepts as a package name (validate-npm-package-name); anything else is not used."""


def tracer_name(path: str, settings: Settings) -> str:
    if settings.service_name:
        return settings.service_name
    file = Path(path)
    found = _package_name(file.resolve().parent) if file.is_file() else None
    return found or DEFAULT


@cache
def _package_name(folder: Path) -> str | None:
    """The package name of `folder`'s nearest package.json with one (cached per folder: a run reads each
    package.json once per worker)."""
    manifest = folder / "package.json"
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            data = None
        name = data.get("name") if isinstance(data, dict) else None
        if isinstance(name, str) and _NPM_NAME.match(name):
            return name
    if (folder / ".git").exists() or folder.parent == folder:
        return None
    return _package_name(folder.parent)
