"""Meta rules about the lint run itself: OTM002 unused suppression (applied by the runner: suppress.py)."""

from __future__ import annotations

from otmigrate.lint.model import Example, Rule

RULES = (
    Rule(
        code="OTM002",
        name="unused-suppression",
        languages=("python", "go", "javascript"),
        severity="warning",
        precision="high",
        profile="pre-commit",
        summary="A suppression comment suppresses nothing.",
        why="Stale suppressions hide the next real finding on that line and mislead readers, like ruff's "
        "RUF100 and nolintlint. Only codes that are enabled in this run are judged.",
        fix="Remove the comment (or the code from it).",
        examples=(
            Example(
                "python",
                "positive: nothing to suppress",
                """
import os  # otmigrate: ignore[OTM901] no legacy import here  # want: OTM002
""",
            ),
            Example(
                "python",
                "negative: the suppression is used",
                """
import opentracing  # otmigrate: ignore[OTM901] still needed by the shim until Q3
""",
            ),
            Example(
                "go",
                "positive: line-before form with nothing below",
                """
package main

// otmigrate:ignore OTM101 nothing starts here // want: OTM002
func f() {}
""",
            ),
            Example(
                "javascript",
                "negative: line-before form",
                """
// otmigrate:ignore OTM901 worker migrates in the next release
const opentracing = require("opentracing");
""",
            ),
        ),
    ),
)

CHECKS = ()
