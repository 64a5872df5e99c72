"""Session fixtures for the Go tests: the toolchain check and the one harness build over all fixtures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from gorun import Program, Result, run_all

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "go"


def require_go() -> str:
    """Skip without Go, unless OTMIGRATE_REQUIRE_TOOLCHAINS is set: then a missing toolchain fails."""
    go = shutil.which("go")
    if go is None:
        if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS"):
            pytest.fail("Go toolchain required (OTMIGRATE_REQUIRE_TOOLCHAINS is set) but `go` is not on PATH")
        pytest.skip("Go toolchain not installed")
    return go


def cases() -> list[Path]:
    """Every golden fixture case directory: fixtures/go/<library>/<case>/ with input.go and expected.go."""
    return sorted(p.parent for p in FIXTURES.glob("*/*/input.go"))


def case_id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


def programs() -> list[Program]:
    """Both sides of every case: the legacy input and the hand-written expected output."""
    out = []
    for case in cases():
        lib, key = case.parent.name, case_id(case)
        out.append(Program(f"{key}/legacy", lib, "legacy", (case / "input.go").read_text()))
        out.append(Program(f"{key}/expected", lib, "otel", (case / "expected.go").read_text()))
    return out


@pytest.fixture(scope="session")
def harness() -> Result:
    require_go()
    return run_all(programs())
