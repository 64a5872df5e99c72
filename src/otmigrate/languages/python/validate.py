"""Python's extra validity check: the rewritten module must compile, not just parse."""

from __future__ import annotations


def syntax_error(text: str) -> str | None:
    try:
        compile(text, "<otmigrate>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"syntax error at line {exc.lineno}: {exc.msg}"
    return None
