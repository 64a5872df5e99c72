"""benchmarks/realcode.py as a module (benchmarks/ is no package; its name would clash with this one)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "realcode.py"
_spec = importlib.util.spec_from_file_location("otmigrate_realcode_bench", _BENCH)
assert _spec is not None and _spec.loader is not None
realcode = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = realcode  # dataclasses look their module up
_spec.loader.exec_module(realcode)
