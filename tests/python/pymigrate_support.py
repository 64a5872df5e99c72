"""Shared helpers for the Python migration tests (not a conftest: test dirs share one namespace)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "python"
HARNESS = Path(__file__).resolve().parent / "harness" / "spantree.py"
LIBRARIES = ("opentracing", "jaeger", "zipkin")
# What each side of the equivalence check imports.
NEEDED = {
    "opentracing": ["opentracing"],
    "jaeger": ["jaeger_client", "six", "tornado", "threadloop", "thrift"],
    "zipkin": ["py_zipkin"],
    "otel": ["opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http"],
}


def require_modules(*names: str) -> None:
    """Skip when a module is missing, unless CI asked for every toolchain (then fail)."""
    missing = [n for n in names if importlib.util.find_spec(n.split(".")[0]) is None]
    if not missing:
        return
    message = f"missing Python package(s) for this test: {', '.join(missing)}"
    if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS"):
        pytest.fail(message)
    pytest.skip(message)


def fixture_cases() -> list[Path]:
    return sorted(p for lib in LIBRARIES for p in (FIXTURES / lib).glob("*/input.py"))


def case_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


def span_tree(side: str, library: str, program: Path) -> dict:
    """Run `program` in a fresh interpreter under the harness: its normalised span tree ("tree") and
    the sampler of each tracer set-up ("samplers")."""
    require_modules(*NEEDED["otel" if side == "otel" else library])
    proc = subprocess.run(
        [sys.executable, str(HARNESS), side, library, str(program)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=program.parent,
    )
    assert proc.returncode == 0, f"{program} failed under the {side} harness:\n{proc.stderr[-3000:]}"
    lines = [line for line in proc.stdout.splitlines() if line.startswith("SPANTREE:")]
    assert lines, f"{program} printed no span tree:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return json.loads(lines[-1].removeprefix("SPANTREE:"))
