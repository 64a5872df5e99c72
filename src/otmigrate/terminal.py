"""What the output stream can take: colour, and whether a person is watching it (for progress).

No imports beyond the standard library: the lint path (the pre-commit hook) asks this on every run.
"""

from __future__ import annotations

import os
from typing import TextIO


def wants_color(out: TextIO) -> bool:
    """NO_COLOR (set and not empty) wins; FORCE_COLOR colours a pipe too (CI logs); else a terminal that
    is not `TERM=dumb`. The conventions of no-color.org and force-color.org, as ruff and rich read them."""
    if os.environ.get("NO_COLOR", ""):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return is_terminal(out) and os.environ.get("TERM") != "dumb"


def is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False
