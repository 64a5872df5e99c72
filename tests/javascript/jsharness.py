"""Run JavaScript fixture programs under the harness (harness/run.js) and get their span trees."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path

import pytest

HARNESS = Path(__file__).parent / "harness"
NODE_MODULES = HARNESS / "node_modules"
FIXTURES = Path(__file__).parents[2] / "fixtures" / "javascript"


def require_node() -> str:
    """The node binary with the harness packages installed; skip without them unless CI demands them."""
    node = shutil.which("node")
    needed = ("@opentelemetry/api", "zipkin", "typescript")
    if node and all((NODE_MODULES / package).is_dir() for package in needed):
        return node
    reason = "node and tests/javascript/harness/node_modules (npm ci) are needed"
    if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS"):
        pytest.fail(f"OTMIGRATE_REQUIRE_TOOLCHAINS is set but {reason}")
    pytest.skip(reason)


def fixture_cases() -> list[Path]:
    """Every fixtures/javascript/<library>/<case>/ directory."""
    return sorted(p for p in FIXTURES.glob("*/*") if p.is_dir())


def program(case: Path, stem: str) -> Path:
    """input.js / input.mjs / input.ts (or expected.*) of a case."""
    for ext in (".js", ".mjs", ".ts"):
        if (case / f"{stem}{ext}").exists():
            return case / f"{stem}{ext}"
    raise FileNotFoundError(f"{case}/{stem}.js|.mjs|.ts")


def transpile(node: str, source: str) -> str:
    """A TypeScript program as the CommonJS JavaScript the harness runs (types erased by the harness's
    own `typescript`, the way ts-jest / ts-node run it; type errors are test_typescript.py's job)."""
    script = (
        "const ts = require(process.argv[1]);"
        "let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => process.stdout.write("
        "ts.transpileModule(s, { compilerOptions: { module: ts.ModuleKind.CommonJS,"
        " target: ts.ScriptTarget.ES2020, esModuleInterop: true } }).outputText));"
    )
    proc = subprocess.run(
        [node, "-e", script, str(NODE_MODULES / "typescript")],
        input=source,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


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


def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory every xdist worker of this test run shares (the workers' base temp's parent)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / "js-runs"
    path.mkdir(exist_ok=True)
    return path


def run_once(node: str, directory: Path, programs: dict[str, tuple[str, str, str]]) -> dict[str, dict]:
    """programs: {name: (side, suffix, source)} -> {name: {error, spans, stdout}}.

    Each distinct program runs once per test run, in whichever xdist worker asks first: results are
    kept in `directory` (run_dir) under the content hash, written under a file lock per program."""
    keys = {
        name: hashlib.sha256("\0".join(program).encode()).hexdigest()[:24]
        for name, program in programs.items()
    }
    with ExitStack() as locks:
        for key in sorted(set(keys.values())):
            lock = locks.enter_context(open(directory / f"{key}.lock", "w"))
            fcntl.flock(lock, fcntl.LOCK_EX)
        missing = {
            key: programs[name] for name, key in keys.items() if not (directory / f"{key}.json").exists()
        }
        if missing:
            batch = directory / f"batch-{min(missing)}"
            listing = [
                {"id": key, "file": str(stage(batch, key, source, suffix)), "side": side}
                for key, (side, suffix, source) in missing.items()
            ]
            for key, result in run_programs(node, batch, listing).items():
                (directory / f"{key}.json").write_text(json.dumps(result))
    return {name: json.loads((directory / f"{key}.json").read_text()) for name, key in keys.items()}
