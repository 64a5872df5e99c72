"""`--new-from-rev REV`: only the findings a file did not have at a git revision (what the no-legacy hook
uses, with HEAD): editing a file that already imports a legacy library passes, adding an import fails."""

import io
import json
import os
import subprocess

from otmigrate.config import Settings
from otmigrate.lint import LintOptions, run

OLD = "import opentracing\n\n\ndef handle(tracer):\n    return tracer\n"


def git(cwd, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def legacy_findings(root, monkeypatch, rev="HEAD"):
    monkeypatch.chdir(root)
    out = io.StringIO()
    options = LintOptions(paths=["."], output_format="json", select=["OTM901"], new_from_rev=rev)
    code = run(options, Settings(root=root), out)
    return code, [(f["path"], f["line"]) for f in json.loads(out.getvalue())]


def test_only_imports_the_change_adds_are_reported(tmp_path, monkeypatch, capsys):
    git(tmp_path, "init", "-q")
    (tmp_path / "old.py").write_text(OLD)
    git(tmp_path, "add", "old.py")
    git(tmp_path, "commit", "-q", "-m", "legacy")

    (tmp_path / "old.py").write_text("# touched\n" + OLD + "\n\ndef more():\n    return 2\n")
    assert legacy_findings(tmp_path, monkeypatch) == (0, [])

    (tmp_path / "old.py").write_text("import jaeger_client\n" + OLD)
    (tmp_path / "new.py").write_text("import py_zipkin\n")
    assert legacy_findings(tmp_path, monkeypatch) == (1, [("new.py", 1), ("old.py", 1)])

    code, found = legacy_findings(tmp_path, monkeypatch, rev="no-such-rev")
    err = capsys.readouterr().err
    assert code == 1 and found == []
    assert err.count("\n") == 2 and "old.py: cannot compare with revision no-such-rev" in err


def test_a_repository_without_commits_reports_everything(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text(OLD)
    assert legacy_findings(tmp_path, monkeypatch) == (1, [("a.py", 1)])


def test_a_renamed_legacy_file_adds_nothing(tmp_path, monkeypatch):
    git(tmp_path, "init", "-q")
    (tmp_path / "old.py").write_text(OLD)
    git(tmp_path, "add", "old.py")
    git(tmp_path, "commit", "-q", "-m", "legacy")
    (tmp_path / "pkg").mkdir()
    git(tmp_path, "mv", "old.py", "pkg/renamed.py")
    assert legacy_findings(tmp_path, monkeypatch) == (0, [])
    (tmp_path / "pkg" / "renamed.py").write_text("import jaeger_client\n" + OLD)
    git(tmp_path, "add", "pkg/renamed.py")
    assert legacy_findings(tmp_path, monkeypatch) == (1, [("pkg/renamed.py", 1)])
