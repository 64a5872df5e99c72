"""Run JavaScript fixture programs under the harness (harness/run.js) and get their span trees."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HARNESS = Path(__file__).parent / "harness"
NODE_MODULES = HARNESS / "node_modules"
FIXTURES = Path(__file__).parents[2] / "fixtures" / "javascript"


def require_node() -> str:
    """The node binary with the harness packages installed; skip without them unless CI demands them."""
    node = shutil.which("node")
    if node and (NODE_MODULES / "@opentelemetry" / "api").is_dir() and (NODE_MODULES / "zipkin").is_dir():
        return node
    reason = "node and tests/javascript/harness/node_modules (npm ci) are needed"
    if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS"):
        pytest.fail(f"OTMIGRATE_REQUIRE_TOOLCHAINS is set but {reason}")
    pytest.skip(reason)


def fixture_cases() -> list[Path]:
    """Every fixtures/javascript/<library>/<case>/ directory."""
    return sorted(p for p in FIXTURES.glob("*/*") if p.is_dir())


def program(case: Path, stem: str) -> Path:
    """input.js / input.mjs (or expected.*) of a case."""
    for ext in (".js", ".mjs"):
        if (case / f"{stem}{ext}").exists():
            return case / f"{stem}{ext}"
    raise FileNotFoundError(f"{case}/{stem}.js|.mjs")


def stage(workdir: Path, name: str, source: str, suffix: str) -> Path:
    """Write a program where it resolves the harness packages (ESM ignores NODE_PATH: symlink them)."""
    d = workdir / name
    d.mkdir(parents=True, exist_ok=True)
    link = d / "node_modules"
    if not link.exists():
        link.symlink_to(NODE_MODULES, target_is_directory=True)
    path = d / f"program{suffix}"
    path.write_text(source)
    return path


def run_programs(node: str, workdir: Path, cases: list[dict]) -> dict[str, dict]:
    """cases: [{id, file, side}] -> {id: {error, spans, stdout}}, all in one node process."""
    listing = workdir / "cases.json"
    listing.write_text(json.dumps(cases))
    proc = subprocess.run(
        [node, str(HARNESS / "run.js"), str(listing), "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
