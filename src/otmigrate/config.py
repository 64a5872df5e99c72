"""Settings from `[tool.otmigrate]` in pyproject.toml or from `.otmigrate.toml`; flags win over both.

A config can add rule directories, whose `fix:` templates write code into the user's files, so a config
is trusted only from the repository being migrated: the search stops at the repository's top, and a
config owned by another user or writable by every user is refused (as git refuses such repositories).
"""

from __future__ import annotations

import os
import re
import stat
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
    """The nearest `.otmigrate.toml`, or pyproject.toml with a [tool.otmigrate] table, at or above `start`,
    up to the top of the git repository holding `start` (never above it)."""
    for folder in (start, *start.parents):
        candidate = folder / ".otmigrate.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and b"[tool.otmigrate" in _read(pyproject):
            return pyproject
        if (folder / ".git").exists():
            return None
    return None


def load_settings(config_file: Path | None = None, start: Path | None = None) -> Settings:
    """Settings from `config_file` (given by the user: trusted as given) or the config found from `start`."""
    path = config_file or find_config((start or Path.cwd()).resolve())
    if path is None:
        return Settings()
    if config_file is None:
        _check_trusted(path)
    data = _read(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: invalid TOML: not valid UTF-8 (byte {exc.start})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"{path}:{at[1] if at else 1}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}:{_deep_line(text)}: invalid TOML: nested too deeply") from None
    table: Any = document
    if path.name == "pyproject.toml":
        tool = document.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}:{_key_line(text, 'tool')}: 'tool' must be a table")
        table = tool.get("otmigrate", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}:{_key_line(text, 'otmigrate')}: [tool.otmigrate] must be a table")
    return _settings_from_table(table, path, text)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}:1: cannot read: {exc.strerror or exc}") from None


def _check_trusted(path: Path) -> None:
    info = path.stat()
    if info.st_uid not in (os.geteuid(), 0):
        raise ConfigError(
            f"{path}:1: owned by another user (uid {info.st_uid}); not trusted (pass --config to use it)"
        )
    if info.st_mode & stat.S_IWOTH:
        raise ConfigError(f"{path}:1: writable by every user; not trusted (pass --config to use it)")


def _key_line(text: str, key: str) -> int:
    """The line where `key` is set (`key = ...`, `"key" = ...` or `[...key]`), else 1."""
    pattern = re.compile(rf'^\s*(\[[^\]]*)?"?{re.escape(key)}"?\s*[=\]]', re.MULTILINE)
    found = pattern.search(text)
    return text.count("\n", 0, found.start()) + 1 if found else 1


def _deep_line(text: str) -> int:
    """The line where brackets first nest deeper than any real config does."""
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        for char in line:
            depth += (char in "[{") - (char in "]}")
            if depth > 100:
                return number
    return 1


def repository_top(folder: Path) -> Path | None:
    """The top of the git work tree holding `folder` (the nearest folder with a `.git` entry)."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _settings_from_table(table: dict[str, Any], path: Path, text: str) -> Settings:
    settings = Settings(root=path.parent.resolve(), config_file=path)
    for key, value in table.items():
        where = f"{path}:{_key_line(text, key)}"
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key '{key}' (known: {', '.join(sorted(_KEYS))})")
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: '{key}' must be a list of strings")
            if key == "rules":
                value = [_rule_dir(settings.root, v, where) for v in value]
            unknown = [v for v in value if v not in PROPAGATORS] if key == "propagators" else []
            if unknown:
                raise ConfigError(
                    f"{where}: unknown propagator '{unknown[0]}' (known: {', '.join(PROPAGATORS)})"
                )
        elif key == "lint":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: 'lint' must be a table")
        elif key == "max-file-size":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{where}: 'max-file-size' must be a positive number of bytes")
        elif key == "js-root-spans":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: 'js-root-spans' must be true or false")
        elif not isinstance(value, str):
            raise ConfigError(f"{where}: '{key}' must be a string")
        setattr(settings, _KEYS[key].name, value)
    return settings


def _rule_dir(root: Path, value: str, where: str) -> Path:
    """A configured rule directory must lie in the config's own repository (or folder, outside git)."""
    folder = (root / value).resolve()
    inside = repository_top(root) or root
    if not folder.is_relative_to(inside):
        raise ConfigError(f"{where}: rule directory '{value}' is outside the repository ({inside})")
    return folder
