"""The real `pre-commit` on the `.pre-commit-config.yaml` that docs/quickstart.md recommends.

The hooks come from a git snapshot of this working tree (what pre-commit would clone from GitHub). The
snapshot's commit is reproducible (fixed dates), and pre-commit's store lives in a cache folder outside
the clone, so the hook environment is built once per version of otmigrate, not on every run.
"""

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from checkout import REPO, repository_files
from checkout import installed_tool as tool

SNAPSHOT_PARTS = ("src/", "rules/", "pyproject.toml", "README.md", ".pre-commit-hooks.yaml")
LEGACY = "import opentracing\n\n\ndef handle(tracer):\n    return tracer\n"
EARLY_RETURN = (
    "from opentelemetry import trace\n\ntracer = trace.get_tracer(__name__)\n\n\n"
    'def report(flag):\n    span = tracer.start_span("r")\n    if flag:\n        return 1\n    span.end()\n'
)
CLEAN = (
    "from opentelemetry import trace\n\ntracer = trace.get_tracer(__name__)\n\n\n"
    'def report():\n    with tracer.start_as_current_span("r"):\n        return 1\n'
)
FIXED_DATES = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e", **FIXED_DATES}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env).stdout


def _snapshot_files() -> dict[str, bytes]:
    return {name: (REPO / name).read_bytes() for name in repository_files(SNAPSHOT_PARTS)}


@pytest.fixture
def hook_repository() -> Iterator[tuple[Path, str, Path]]:
    """(snapshot repository, its commit, PRE_COMMIT_HOME), in a cache that keeps one otmigrate version."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "otmigrate-tests/pre-commit"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # other checkouts' test runs share the cache
        files = _snapshot_files()
        digest = hashlib.sha256(b"".join(n.encode() + b"\0" + d for n, d in files.items())).hexdigest()
        if (cache / "version").exists() and (cache / "version").read_text() != digest:
            shutil.rmtree(cache / "src", ignore_errors=True)
            shutil.rmtree(cache / "home", ignore_errors=True)
        source = cache / "src"
        if not (source / ".git").exists():
            shutil.rmtree(source, ignore_errors=True)
            for name, data in files.items():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                (source / name).write_bytes(data)
            _git(source, "init", "-q")
            _git(source, "add", "-A")
            _git(source, "commit", "-q", "-m", "snapshot")
            (cache / "version").write_text(digest)
        yield source, _git(source, "rev-parse", "HEAD").strip(), cache / "home"


def documented_config() -> str:
    """The YAML block after 'The recommended `.pre-commit-config.yaml`' in docs/quickstart.md."""
    text = (REPO / "docs" / "quickstart.md").read_text(encoding="utf-8")
    after = text.split("The recommended `.pre-commit-config.yaml`", 1)[1].split("\n\n", 2)[1]
    return "\n".join(line[4:] for line in after.splitlines()) + "\n"


def test_the_documented_hook_pair_lets_legacy_files_be_edited_and_stops_new_legacy_imports(
    tmp_path: Path, hook_repository: tuple[Path, str, Path]
) -> None:
    exe = tool("pre-commit")
    source, commit, home = hook_repository
    config = documented_config()
    assert "https://github.com/otmigrate/otmigrate" in config and "rev: <tag>" in config
    project = tmp_path / "project"
    project.mkdir()
    (project / ".pre-commit-config.yaml").write_text(
        config.replace("https://github.com/otmigrate/otmigrate", str(source)).replace("<tag>", commit)
    )
    _git(project, "init", "-q")
    (project / "legacy.py").write_text(LEGACY)
    (project / "adds.py").write_text(CLEAN)
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "before")

    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}

    def run(hook: str, name: str) -> tuple[bool, str]:
        done = subprocess.run(
            [exe, "run", hook, "--files", name, "--verbose"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
        )
        return done.returncode != 0, done.stdout + done.stderr

    (project / "legacy.py").write_text("# an honest edit\n" + LEGACY + "\n\ndef more():\n    return 2\n")
    (project / "adds.py").write_text("import jaeger_client\n" + CLEAN)
    (project / "early.py").write_text(EARLY_RETURN)
    (project / "clean.py").write_text(CLEAN)
    _git(project, "add", "-A")
    for hook, name, fails, codes in [
        ("otmigrate-lint", "legacy.py", False, set()),
        ("otmigrate-no-legacy", "legacy.py", False, set()),
        ("otmigrate-lint", "adds.py", False, set()),
        ("otmigrate-no-legacy", "adds.py", True, {"OTM901"}),
        ("otmigrate-lint", "early.py", True, {"OTM101"}),
        ("otmigrate-no-legacy", "early.py", False, set()),
        ("otmigrate-lint", "clean.py", False, set()),
        ("otmigrate-no-legacy", "clean.py", False, set()),
    ]:
        failed, output = run(hook, name)
        assert failed == fails, (hook, name, output)
        assert set(re.findall(r"\bOTM\d{3}\b", output)) == codes, (hook, name, output)

    # and as a real commit hook: the edit of the legacy file commits, the new legacy import does not
    subprocess.run([exe, "install"], cwd=project, check=True, capture_output=True, env=env)
    _git(project, "reset", "-q")
    _git(project, "add", "legacy.py")
    _git(project, "commit", "-q", "-m", "edit a file that is not migrated yet")
    _git(project, "add", "adds.py")
    with pytest.raises(subprocess.CalledProcessError) as refused:
        _git(project, "commit", "-q", "-m", "add a legacy import")
    assert "OTM901" in refused.value.stdout + refused.value.stderr


def test_the_hooks_select_exactly_the_extensions_otmigrate_reads() -> None:
    import yaml

    from otmigrate.languages import LANGUAGES

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    extensions = {ext for language in LANGUAGES.values() for ext in language.extensions}
    for hook in hooks:
        selects = re.compile(hook["files"])  # pre-commit matches `files` with re.search on the path
        assert "types_or" not in hook and "types" not in hook, hook["id"]
        for ext in extensions:  # every file otmigrate reads reaches the hook...
            assert selects.search(f"src/a{ext}"), (hook["id"], ext)
        for other in (".pyc", ".json", ".d.ts.map", ".go.txt", ".tsv", ".jsonc", ".md"):  # ...and no other
            assert not selects.search(f"src/a{other}"), (hook["id"], other)
