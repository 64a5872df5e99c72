"""`otmigrate lint fixtures/demo`: before migration it reports the legacy imports and the anti-patterns the
language engineers planted (fixtures/demo/*/PLANTED.md); after `otmigrate rewrite --apply` only what the
rewrite cannot fix remains."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from otmigrate.config import Settings
from otmigrate.lint import LintOptions, run

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"

# (file, line, code) from the PLANTED.md tables
PLANTED = {
    ("frontend/app.py", 99, "OTM101"),
    ("frontend/app.py", 79, "OTM501"),
    ("frontend/app.py", 67, "OTM408"),
    ("backend/main.go", 79, "OTM501"),
    ("backend/main.go", 108, "OTM101"),
    ("backend/main.go", 116, "OTM408"),
    ("worker/worker.js", 90, "OTM501"),
    ("worker/worker.js", 46, "OTM408"),
}
# What PLANTED.md says survives the migration (line numbers move, so compared by file and code)
SURVIVES = {
    ("frontend/app.py", "OTM101"),
    ("frontend/app.py", "OTM501"),
    ("frontend/app.py", "OTM408"),
    ("backend/main.go", "OTM501"),
    ("backend/main.go", "OTM408"),
    ("worker/worker.js", "OTM501"),
    ("worker/worker.js", "OTM408"),
}


def lint_json(root: Path, monkeypatch) -> list[dict]:
    monkeypatch.chdir(root)
    out = io.StringIO()
    run(LintOptions(paths=["."], output_format="json", profile="recommended"), Settings(root=root), out)
    return json.loads(out.getvalue())


def test_before_migration_reports_legacy_imports_and_planted_patterns(monkeypatch):
    found = {(f["path"], f["line"], f["code"]) for f in lint_json(DEMO, monkeypatch)}
    assert found >= PLANTED, PLANTED - found
    legacy = {path for path, _, code in found if code == "OTM901"}
    assert legacy == {"frontend/app.py", "backend/main.go", "worker/worker.js"}


@pytest.mark.xfail(
    strict=True,
    reason="zipkin-js local spans (recordAnnotation(LocalOperationStart/Stop)) are "
    "not modelled by OTM101 yet: worker.js:41 leaks on the throw at :44 and is not reported",
)
def test_before_migration_reports_the_zipkin_local_operation_leak(monkeypatch):
    found = {(f["path"], f["line"], f["code"]) for f in lint_json(DEMO, monkeypatch)}
    assert ("worker/worker.js", 41, "OTM101") in found


@pytest.mark.xfail(
    strict=True,
    reason="the language rewriters do not migrate the whole demo yet: legacy "
    "imports (OTM901) remain after `otmigrate rewrite --apply`",
)
def test_after_rewrite_only_what_the_rewrite_cannot_fix_remains(tmp_path, monkeypatch):
    demo = shutil.copytree(DEMO, tmp_path / "demo")
    rewrite = subprocess.run(
        [sys.executable, "-m", "otmigrate", "rewrite", "--apply", "."],
        cwd=demo,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rewrite.returncode in (0, 1), rewrite.stderr
    remaining = {(f["path"], f["code"]) for f in lint_json(demo, monkeypatch)}
    assert remaining == SURVIVES
    assert "OTM101" in rewrite.stdout  # the rewrite report says what it left for a person, and why
