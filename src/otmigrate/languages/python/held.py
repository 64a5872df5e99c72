"""Files whose tracing flow stays legacy whole (project.py says why): one TODO, the code untouched.

The TODO goes above the file's first statement that imports a legacy library, wrapped at the project's
line length (ruff / black / flake8 settings above the file, else PEP 8's 79).
"""

from __future__ import annotations

import configparser
import re
import sys
import textwrap
from collections.abc import Callable
from functools import cache
from pathlib import Path

import libcst as cst

from otmigrate.languages.python.cst import TODO_PREFIX
from otmigrate.languages.python.project import MIGRATED_LIBRARIES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_LINE_LENGTH = 79


def mark_held(source: str, todo: str, report: Callable[[str, int, str], None], width: int) -> str:
    """`source` with `todo` above its first legacy import statement, once; reported when written."""
    module = cst.parse_module(source)
    lines = [TODO_PREFIX + todo] if width <= 0 else _wrapped(todo, width)
    for index, statement in enumerate(module.body):
        if not _imports_legacy(statement):
            continue
        above = [*statement.leading_lines, *(module.header if index == 0 else ())]
        comments = [line.comment.value for line in above if line.comment is not None]
        if lines[0] in comments:
            return source
        line = module.code_for_node(cst.Module(body=module.body[:index])).count("\n") + 1
        line += len(statement.leading_lines)
        marked = statement.with_changes(
            leading_lines=[*statement.leading_lines, *(cst.EmptyLine(comment=cst.Comment(t)) for t in lines)]
        )
        report("manual", line, todo)
        return module.with_changes(body=[*module.body[:index], marked, *module.body[index + 1 :]]).code
    return source


def _wrapped(todo: str, width: int) -> list[str]:
    first, *rest = textwrap.wrap(todo, max(width - len(TODO_PREFIX), 40), break_on_hyphens=False)
    return [TODO_PREFIX + first, *(f"#   {line}" for line in rest)]


def _imports_legacy(statement: cst.CSTNode) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> None:
            nonlocal found
            found |= any(_top(alias.name) in MIGRATED_LIBRARIES for alias in node.names)

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            nonlocal found
            found |= not node.relative and node.module is not None and _top(node.module) in MIGRATED_LIBRARIES

    statement.visit(Finder())
    return found


def _top(name: cst.BaseExpression) -> str:
    while isinstance(name, cst.Attribute):
        name = name.value
    return name.value if isinstance(name, cst.Name) else ""


def line_length(path: str | Path) -> int:
    """The project's line length for `path`: the nearest ruff / black / flake8 setting above it."""
    return _folder_line_length(Path(path).resolve().parent)


@cache
def _folder_line_length(folder: Path) -> int:
    for candidate in (folder, *folder.parents):
        found = _configured(candidate)
        if found is not None:
            return found
        if (candidate / ".git").exists():
            break
    return DEFAULT_LINE_LENGTH


def _configured(folder: Path) -> int | None:
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            tool = tomllib.loads(pyproject.read_text(errors="replace")).get("tool", {})
        except tomllib.TOMLDecodeError:
            tool = {}
        for name in ("ruff", "black"):
            value = tool.get(name, {}).get("line-length")
            if isinstance(value, int):
                return value
    for name in ("setup.cfg", "tox.ini", ".flake8"):
        config = folder / name
        if not config.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(config.read_text(errors="replace"))
        except configparser.Error:
            continue
        for section in ("flake8", "pycodestyle", "pep8"):
            value = parser.get(section, "max-line-length", fallback=None) or parser.get(
                section, "max_line_length", fallback=None
            )
            if value and re.fullmatch(r"\s*\d+\s*", value):
                return int(value)
    return None
