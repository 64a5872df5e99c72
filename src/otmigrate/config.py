"""Settings from `[tool.otmigrate]` in pyproject.toml or from `.otmigrate.toml`; flags win over both."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


DEFAULT_MAX_FILE_SIZE = 5_000_000  # bytes; a larger source file is reported and not read


class ConfigError(Exception):
    """A configuration problem, phrased as `path: what is wrong`."""


@dataclass
class Settings:
    root: Path = field(default_factory=Path.cwd)  # where the config file lives; relative paths start here
    config_file: Path | None = None
    exclude: list[str] = field(default_factory=list)  # gitignore-style patterns, on top of the defaults
    rules: list[Path] = field(default_factory=list)  # extra rule directories
    select: list[str] = field(default_factory=list)  # rule ids / OTM codes (prefixes or globs)
    ignore: list[str] = field(default_factory=list)
    service_name: str | None = None  # the service.name for generated SDK set-up, when the code has none
    propagators: list[str] | None = None  # target propagators; None: W3C plus the legacy format
    js_root_spans: bool = True  # JS: a parentless OpenTracing span stays a root span ({root: true})
    lint: dict[str, Any] = field(default_factory=dict)  # the [tool.otmigrate.lint] table, for otmigrate.lint
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes


_KEYS = {f.name.replace("_", "-"): f for f in fields(Settings) if f.name not in ("root", "config_file")}
_LIST_KEYS = {"exclude", "select", "ignore", "propagators", "rules"}
PROPAGATORS = ("tracecontext", "baggage", "b3", "b3multi", "jaeger")
"""The OTEL_PROPAGATORS names a generated set-up can install (b3: single header; b3multi: X-B3-*)."""


def find_config(start: Path) -> Path | None:
    """The nearest `.otmigrate.toml`, or pyproject.toml with a [tool.otmigrate] table, at or above `start`."""
    for folder in (start, *start.parents):
        candidate = folder / ".otmigrate.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and b"[tool.otmigrate" in pyproject.read_bytes():
            return pyproject
    return None


def load_settings(config_file: Path | None = None, start: Path | None = None) -> Settings:
    path = config_file or find_config((start or Path.cwd()).resolve())
    if path is None:
        return Settings()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = document.get("tool", {}).get("otmigrate", {}) if path.name == "pyproject.toml" else document
    return _settings_from_table(table, path)


def _settings_from_table(table: dict[str, Any], path: Path) -> Settings:
    settings = Settings(root=path.parent.resolve(), config_file=path)
    for key, value in table.items():
        if key not in _KEYS:
            raise ConfigError(f"{path}: unknown key '{key}' (known: {', '.join(sorted(_KEYS))})")
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: '{key}' must be a list of strings")
            if key == "rules":
                value = [(settings.root / v).resolve() for v in value]
            unknown = [v for v in value if v not in PROPAGATORS] if key == "propagators" else []
            if unknown:
                raise ConfigError(
                    f"{path}: unknown propagator '{unknown[0]}' (known: {', '.join(PROPAGATORS)})"
                )
        elif key == "lint":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: 'lint' must be a table")
        elif key == "max-file-size":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{path}: 'max-file-size' must be a positive number of bytes")
        elif key == "js-root-spans":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: 'js-root-spans' must be true or false")
        elif not isinstance(value, str):
            raise ConfigError(f"{path}: '{key}' must be a string")
        setattr(settings, _KEYS[key].name, value)
    return settings
