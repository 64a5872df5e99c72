"""`--statistics`: one line per rule with its count, most frequent first (ruff's `--statistics`)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TextIO


def render(counts: Counter[tuple[str, str]], output_format: str, out: TextIO) -> None:
    """`counts` maps (rule id or code, what it is) to how often it occurred. Text: aligned columns; JSON: a
    list of {"rule", "description", "count"}."""
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if output_format == "json":
        document = [{"rule": rule, "description": what, "count": n} for (rule, what), n in rows]
        json.dump(document, out, indent=2)
        out.write("\n")
        return
    width = max((len(str(n)) for _, n in rows), default=1)
    rule_width = max((len(rule) for (rule, _), _ in rows), default=0)
    for (rule, what), n in rows:
        out.write(f"{n:>{width}}  {rule:<{rule_width}}  {what}".rstrip() + "\n")
