"""Unified diffs that `git apply` and `patch` accept, byte for byte against the file on disk."""

from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file\n"


def _lines(text: str) -> list[str]:
    """Lines split at "\\n" only, each keeping its ending ("\\r\\n" stays part of the line): str.splitlines
    would also split at form feeds, "\\x1c" and U+2028, which diff tools treat as ordinary characters."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def unified_diff(before: str, after: str, path: str) -> str:
    """The diff from `before` to `after` of the file at `path` (relative, as `a/PATH` and `b/PATH`). A last
    line without a newline gets git's `\\ No newline at end of file` marker."""
    out = []
    for line in difflib.unified_diff(_lines(before), _lines(after), f"a/{path}", f"b/{path}"):
        out.append(line if line.endswith("\n") else line + "\n" + NO_NEWLINE)
    return "".join(out)
