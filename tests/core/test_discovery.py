"""Discovery honours .gitignore and excludes, skips vendored code, and picks languages by extension."""

from pathlib import Path

from otmigrate.config import Settings
from otmigrate.discovery import discover


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")


def _found(root: Path, settings: Settings | None = None) -> list[str]:
    found = discover([str(root)], settings or Settings(root=root))
    return sorted(c.path.relative_to(root).as_posix() for c in found)


def test_languages_by_extension_and_skipped_folders(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        [
            "a.py",
            "b.go",
            "c.js",
            "d.mjs",
            "e.cjs",
            "f.ts",
            "g.txt",
            "vendor/v.go",
            "node_modules/m/index.js",
            "sub/.venv/x.py",
            "sub/h.py",
        ],
    )
    assert _found(tmp_path) == ["a.py", "b.go", "c.js", "d.mjs", "e.cjs", "f.ts", "sub/h.py"]


def test_gitignore_files_apply_from_the_repository_root_down(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build/\n*.gen.py\n")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / ".gitignore").write_text("local.py\n")
    _tree(tmp_path, ["build/out.py", "svc/a.gen.py", "svc/local.py", "svc/keep.py", "other/local.py"])
    assert _found(tmp_path) == ["other/local.py", "svc/keep.py"]
    assert sorted(c.path.name for c in discover([str(tmp_path / "svc")], Settings(root=tmp_path))) == [
        "keep.py"
    ]


def test_configured_excludes(tmp_path: Path) -> None:
    _tree(tmp_path, ["keep.py", "legacy/old.py", "tests/test_x.py"])
    settings = Settings(root=tmp_path, exclude=["legacy/", "test_*.py"])
    assert _found(tmp_path, settings) == ["keep.py"]


def test_manifests_are_found_when_asked(tmp_path: Path) -> None:
    _tree(tmp_path, ["requirements.txt", "go.mod", "package.json", "a.py"])
    found = discover([str(tmp_path)], Settings(root=tmp_path), ("requirements*.txt", "go.mod"))
    assert sorted((c.path.name, c.language.name if c.language else None) for c in found) == [
        ("a.py", "python"),
        ("go.mod", None),
        ("requirements.txt", None),
    ]
