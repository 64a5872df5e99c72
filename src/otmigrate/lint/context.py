"""Per-file state shared by the checks: the parsed tree, the lint options, and the findings so far."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from ast_grep_py import SgNode, SgRoot

from otmigrate.lint.model import Finding, Fix


@dataclass(frozen=True)
class CheckOptions:
    """The [tool.otmigrate.lint] keys the checks read (see docs/rules/ for each rule's options)."""

    span_start_functions: tuple[str, ...] = ()  # "name" or "name:index" (index of the span in the results)
    span_end_functions: tuple[str, ...] = ()  # helpers that end the span passed to them
    error_record_functions: tuple[str, ...] = ()  # helpers that record an error / set the status
    sentinel_errors: tuple[str, ...] = ("io.EOF", "sql.ErrNoRows", "context.Canceled", "redis.Nil")
    server_instrumented: bool = False  # the project wraps handlers in otelhttp / an instrumentor
    allowed_key_prefixes: tuple[str, ...] = (
        "http.request.header.",
        "http.response.header.",
        "db.operation.parameter.",
        "db.query.parameter.",
        "rpc.request.metadata.",
        "rpc.response.metadata.",
        "process.environment_variable.",
        "container.label.",
    )


@dataclass
class FileContext:
    path: str
    text: str
    language: str
    options: CheckOptions = field(default_factory=CheckOptions)
    findings: list[Finding] = field(default_factory=list)
    memo: dict = field(default_factory=dict)  # analyses shared by several checks (span starts)

    @cached_property
    def root(self) -> SgNode:
        from otmigrate.languages import LANGUAGES

        return SgRoot(self.text, LANGUAGES[self.language].for_path(self.path).grep_language).root()

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @cached_property
    def is_test_file(self) -> bool:
        name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        return bool(re.match(r"(test_.*\.py|.*_test\.(py|go)|.*\.(test|spec)\.[cm]?js)$", name)) or (
            "/tests/" in f"/{self.path}" or "/test/" in f"/{self.path}"
        )

    def report(
        self,
        code: str,
        node: SgNode,
        message: str,
        *,
        related: list[tuple[int, str]] | None = None,
        fix: Fix | None = None,
    ) -> None:
        r = node.range()
        line = r.start.line + 1
        source = self.lines[line - 1].strip() if line - 1 < len(self.lines) else ""
        self.findings.append(
            Finding(
                code=code,
                message=message,
                path=self.path,
                line=line,
                column=r.start.column + 1,
                end_line=r.end.line + 1,
                end_column=r.end.column + 1,
                source=" ".join(source.split()),
                fix=fix,
                related=related or [],
            )
        )

    def report_at(self, code: str, line: int, column: int, message: str) -> None:
        """A finding spanning the rest of `line` from `column` (for facts known by position only)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        self.findings.append(
            Finding(
                code=code,
                message=message,
                path=self.path,
                line=line,
                column=column,
                end_line=line,
                end_column=len(text.rstrip()) + 1,
                source=" ".join(text.split()),
            )
        )

    @cached_property
    def bindings(self) -> list:
        """Which tracing modules the file imports, from the core's per-language import tables."""
        from otmigrate.languages import LANGUAGES

        imports = LANGUAGES[self.language].part("imports")
        return list(imports.find_bindings(self.root)) if imports is not None else []
