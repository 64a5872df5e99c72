"""rewrite --apply's question to git: which of these files have uncommitted changes?"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from otmigrate import rewrite


def _repo(root: Path, files: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)


def test_one_git_status_per_repository_finds_edits_and_untracked_files_in_every_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outer = tmp_path / "outer"
    _repo(outer, {f"svc{i}/app.py": "x = 1\n" for i in range(4)} | {"odd [name]*.py": "y = 1\n"})
    inner = outer / "vendored"  # a repository inside another one, as a submodule is
    _repo(inner, {"lib/a.py": "a = 1\n", "lib/b.py": "b = 1\n"})
    (outer / "svc1/app.py").write_text("x = 2\n")
    (outer / "svc3/new.py").write_text("new\n")
    (outer / "odd [name]*.py").write_text("y = 2\n")
    (inner / "lib/b.py").write_text("b = 2\n")
    files = [outer / f"svc{i}/app.py" for i in range(4)]
    files += [outer / "svc3/new.py", outer / "odd [name]*.py", inner / "lib/a.py", inner / "lib/b.py"]

    calls: list[tuple[str, ...]] = []
    real = rewrite.run_git
    monkeypatch.setattr(rewrite, "run_git", lambda folder, *args: calls.append(args) or real(folder, *args))

    dirty = rewrite.uncommitted(files)

    assert set(dirty) == {
        outer / "svc1/app.py",
        outer / "svc3/new.py",
        outer / "odd [name]*.py",
        inner / "lib/b.py",
    }
    assert sum("status" in args for args in calls) == 2  # one per repository, not one per folder


def test_files_outside_any_repository_are_never_called_dirty(tmp_path: Path) -> None:
    (tmp_path / "loose.py").write_text("x = 1\n")
    assert rewrite.uncommitted([tmp_path / "loose.py"]) == {}
