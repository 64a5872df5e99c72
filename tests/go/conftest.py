"""Session fixtures for the Go tests: the toolchain check and the one harness build over all fixtures."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from envmap import otel_env
from gorun import Program, Result, run_all

from otmigrate.config import Settings
from otmigrate.engine import Outcome, rewrite_source
from otmigrate.languages import LANGUAGES
from otmigrate.rulefiles import load_rule_file

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


def rewrite(text: str, path: str, *, unsafe: bool = False) -> Outcome:
    """What `otmigrate rewrite [--unsafe-fixes]` makes of one Go source, with its report."""
    rules = [r for f in sorted((ROOT / "rules" / "go").glob("*.yml")) for r in load_rule_file(f)]
    return rewrite_source(text, path, LANGUAGES["go"], rules, Settings(), unsafe=unsafe)


def migrate(text: str, path: str) -> str:
    """What `otmigrate rewrite` makes of one Go source (the engine with the bundled Go rules)."""
    outcome = rewrite(text, path)
    assert outcome.error is None, outcome.error
    return outcome.text


def programs() -> list[Program]:
    """Every case three times: the legacy input, the hand-written expected output, and the rewriter's
    output (when it differs from the expected one; otherwise the expected run stands for it). A case with
    an env.json (JAEGER_* variables) runs its legacy sides with them and its OTel sides with their OTEL_*
    translation (envmap.py)."""
    out = []
    for case in cases():
        lib, key = case.parent.name, case_id(case)
        expected = (case / "expected.go").read_text()
        legacy_env = json.loads((case / "env.json").read_text()) if (case / "env.json").exists() else {}
        envs: dict[str, tuple] = {"legacy": (), "otel": ()}
        if legacy_env:
            envs = {"legacy": tuple(legacy_env.items()), "otel": tuple(otel_env(legacy_env).items())}
        sides = [("legacy", "legacy", (case / "input.go").read_text()), ("expected", "otel", expected)]
        migrated = migrate((case / "input.go").read_text(), str(case / "input.go"))
        if migrated != expected:
            sides.append(("migrated", "otel", migrated))
        for name, side, source in sides:
            out.append(Program(f"{key}/{name}", lib, side, source, envs[side]))
            if has_setup(case):
                out.append(Program(f"{key}/{name}-probe", lib, f"{side}-probe", source, envs[side]))
    return out


def has_setup(case: Path) -> bool:
    """A case whose main sets its tracer up (jaeger/zipkin): the harness also probes that set-up."""
    return case.parent.name != "opentracing" and bool(
        re.search(r"\.(NewTracer|InitGlobalTracer)\(", (case / "input.go").read_text())
    )


@pytest.fixture(scope="session")
def harness() -> Result:
    require_go()
    return run_all(programs())
