"""The real `pre-commit try-repo` against this repository's hooks: a staged bad file fails, a good one passes.

try-repo installs otmigrate from a git repository's HEAD into pre-commit's own environment (network to
PyPI), so the test commits a copy of the current working tree into a temporary repository first.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD = """import opentracing


def report(tracer):
    span = tracer.start_span("r")
    if tracer:
        return 1
    span.finish()
"""
GOOD = """from opentelemetry import trace

tracer = trace.get_tracer(__name__)


def report():
    with tracer.start_as_current_span("r"):
        return 1
"""


def _pre_commit() -> list[str]:
    exe = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
    if not Path(exe).exists():
        if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail("pre-commit is not installed (pip install -e '.[test]')")
        pytest.skip("pre-commit is not installed")
    return [exe]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@e",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@e",
        },
    )


def _snapshot(dest: Path) -> Path:
    """A committed copy of the working tree (tracked files as they are now)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in [*filter(None, files.decode().split("\0")), ".pre-commit-hooks.yaml"]:
        src = ROOT / name
        if src.is_file() and not name.startswith(("fixtures/", "tests/")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "snapshot")
    return dest


def test_hooks_fail_on_the_bad_file_and_pass_on_the_good_one(tmp_path):
    """One test, so that pre-commit installs otmigrate once (xdist would split parametrised cases).

    no-legacy fails only when the change adds a legacy import: `touched.py` already imported opentracing
    at HEAD and is edited (passes), `adds.py` was clean at HEAD and now imports jaeger_client (fails).
    """
    exe = _pre_commit()
    hooks = _snapshot(tmp_path / "otmigrate-src")
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / "touched.py").write_text(BAD)
    (project / "adds.py").write_text(GOOD)
    _git(project, "add", "touched.py", "adds.py")
    _git(project, "commit", "-q", "-m", "before")
    (project / "touched.py").write_text(BAD + "\n\ndef more():\n    return 2\n")
    (project / "adds.py").write_text("import jaeger_client\n" + GOOD)
    (project / "bad.py").write_text(BAD)
    (project / "good.py").write_text(GOOD)
    _git(project, "add", "bad.py", "good.py", "touched.py", "adds.py")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    for hook, name, fails in [
        ("otmigrate-lint", "bad.py", True),
        ("otmigrate-lint", "good.py", False),
        ("otmigrate-no-legacy", "bad.py", True),
        ("otmigrate-no-legacy", "good.py", False),
        ("otmigrate-no-legacy", "touched.py", False),
        ("otmigrate-no-legacy", "adds.py", True),
    ]:
        result = subprocess.run(
            [*exe, "try-repo", str(hooks), hook, "--files", name, "--verbose"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
        )
        output = result.stdout + result.stderr
        assert (result.returncode != 0) == fails, (hook, name, output)
        if fails:
            assert "OTM901" in output, output
            assert ("OTM101" in output) == (hook == "otmigrate-lint"), output
            assert ("jaeger_client" in output) == (name == "adds.py"), output
        else:
            assert "Passed" in output, output
