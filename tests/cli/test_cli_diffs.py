"""`otmigrate rewrite`'s diff is a patch: `git apply` takes it and gets exactly what `--apply` writes.

Every fixture is checked as it is, and again in the shapes real files have that a naive diff gets wrong:
no final newline, CRLF line endings, a UTF-8 BOM.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("OTMIGRATE_CORPUS", "/work/shared/corpus"))  # as tests/realcode reads it


def otmigrate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Output decoded as is: universal newlines would turn the diff's CRLF lines into LF ones."""
    done = subprocess.run(
        [sys.executable, "-m", "otmigrate", *args], cwd=cwd, capture_output=True, timeout=600
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    )


def _reshape(data: bytes, index: int) -> bytes:
    """No final newline for all; every second file CRLF, every third a BOM as well."""
    data = data.rstrip(b"\n")
    if index % 2:
        data = data.replace(b"\n", b"\r\n")
    if index % 3 == 0:
        data = b"\xef\xbb\xbf" + data
    return data


def _tree(dest: Path, reshaped: bool) -> Path:
    shutil.copytree(REPO / "fixtures", dest, ignore=shutil.ignore_patterns("expected.*"))
    if reshaped:
        for index, path in enumerate(sorted(dest.rglob("input.*"))):
            path.write_bytes(_reshape(path.read_bytes(), index))
    return dest


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("reshaped", [False, True], ids=["as-is", "no-final-newline-crlf-bom"])
def test_git_apply_takes_the_diff_of_every_fixture_and_gets_what_apply_writes(
    tmp_path: Path, reshaped: bool
) -> None:
    patched = _tree(tmp_path / "patched", reshaped)
    applied = _tree(tmp_path / "applied", reshaped)

    shown = otmigrate("rewrite", "-j", "2", ".", cwd=patched)
    assert shown.returncode == 1, shown.stderr
    patch = tmp_path / "migration.patch"
    patch.write_text(shown.stdout.split("\nReport:\n")[0], encoding="utf-8", newline="")
    if reshaped:
        assert "\\ No newline at end of file" in shown.stdout and "\r\n" in shown.stdout
    check = subprocess.run(
        ["git", "apply", "--check", str(patch)], cwd=patched, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    subprocess.run(["git", "apply", str(patch)], cwd=patched, check=True)

    assert otmigrate("rewrite", "--apply", "-j", "2", ".", cwd=applied).returncode == 0
    assert _files(patched) == _files(applied)


def test_the_json_diff_is_the_same_patch(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "a.py").write_bytes(b'import opentracing\r\n\r\nopentracing.tracer.start_span("x").finish()')
    document = json.loads(otmigrate("rewrite", "--format", "json", ".", cwd=root).stdout)
    patch = tmp_path / "a.patch"
    patch.write_text(document["files"][0]["diff"], encoding="utf-8", newline="")
    assert document["files"][0]["diff"].endswith("\\ No newline at end of file\n")
    subprocess.run(["git", "apply", str(patch)], cwd=root, check=True)
    assert otmigrate("rewrite", ".", cwd=root).returncode == 0  # the patched file is fully migrated


def test_git_apply_takes_the_diff_of_the_whole_real_code_corpus(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS"):
            pytest.fail(f"OTMIGRATE_REQUIRE_TOOLCHAINS is set but the corpus is not at {CORPUS}")
        pytest.skip(f"the real-code corpus is not at {CORPUS} (set OTMIGRATE_CORPUS)")
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy, ignore=shutil.ignore_patterns("node_modules", ".venv", "vendor"))
    shown = otmigrate("rewrite", "-j", "2", ".", cwd=copy)
    assert shown.returncode == 1 and "Traceback" not in shown.stderr, shown.stderr[-2000:]
    patch = tmp_path / "corpus.patch"
    patch.write_text(shown.stdout.split("\nReport:\n")[0], encoding="utf-8", newline="")
    assert patch.read_text(encoding="utf-8").count("\n+++ b/") >= 14  # every project has changes
    check = subprocess.run(["git", "apply", "--check", str(patch)], cwd=copy, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
