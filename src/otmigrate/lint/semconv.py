"""The vendored table of deprecated semantic-convention attribute keys (OTM403)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

TABLE_VERSION = "1.44.0"
_TABLE = Path(__file__).resolve().parent.parent / "data" / "semconv-deprecated-attributes-v1.44.json"


@cache
def deprecated() -> dict[str, dict]:
    """key -> {"reason": renamed|obsoleted|uncategorized, "renamed_to": str|None, "note": str}."""
    return json.loads(_TABLE.read_text(encoding="utf-8"))["deprecated"]
