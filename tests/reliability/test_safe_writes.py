"""rewrite --apply never loses the user's data (issue 16, points 1, 2, 5, 7, 11), through the real CLI."""

from __future__ import annotations

from pathlib import Path

EDIT = 'EDITED = "by the user while otmigrate ran"\n'


def test_an_edit_saved_after_the_git_check_is_kept_and_reported(tmp_path, cli, repo, fake_git, legacy):
    root = repo(tmp_path / "r", {"svc.py": legacy, "other.py": legacy})
    # git status is the last thing before the writes: the user's editor saves svc.py right after it.
    tools = fake_git(
        f'"$REAL_GIT" "$@"; rc=$?\ncase "$*" in *status*) printf \'{EDIT}\' >> svc.py;; esac\nexit $rc'
    )
    result = cli("rewrite", "--apply", ".", cwd=root, path_prefix=tools)
    assert (root / "svc.py").read_text() == legacy + EDIT
    assert "svc.py: changed during the run" in result.stderr
    assert "opentracing" not in (root / "other.py").read_text()  # the others are written
    assert result.returncode == 1


def test_a_file_whose_git_state_is_unknown_is_not_written(tmp_path, cli, repo, fake_git, legacy):
    root = repo(tmp_path / "r", {"svc.py": legacy})
    tools = fake_git("echo \"fatal: detected dubious ownership in repository at '$PWD'\" >&2\nexit 128")
    result = cli("rewrite", "--apply", ".", cwd=root, path_prefix=tools)
    assert (root / "svc.py").read_text() == legacy
    assert "svc.py: cannot tell whether it has uncommitted changes" in result.stderr
    assert "dubious ownership" in result.stderr
    assert result.returncode == 1
    forced = cli("rewrite", "--apply", "--force", ".", cwd=root, path_prefix=tools)
    assert forced.returncode == 0, forced.stderr
    assert "opentracing" not in (root / "svc.py").read_text()


def test_without_git_a_file_in_a_repository_is_not_written(tmp_path, cli, repo, legacy):
    root = repo(tmp_path / "r", {"svc.py": legacy})
    empty = tmp_path / "no-tools"
    empty.mkdir()
    result = cli("rewrite", "--apply", ".", cwd=root, PATH=str(empty))
    assert (root / "svc.py").read_text() == legacy
    assert "svc.py: cannot tell whether it has uncommitted changes (git could not be run)" in result.stderr
    assert result.returncode == 1


def test_git_status_runs_no_command_the_repository_configures(tmp_path, cli, repo, legacy):
    root = repo(tmp_path / "r", {"svc.py": legacy})
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    (root / ".git/config").open("a").write(f"[core]\n\tfsmonitor = {hook}\n")
    result = cli("rewrite", "--apply", ".", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "opentracing" not in (root / "svc.py").read_text()
    assert not marker.exists()


def test_a_file_that_cannot_be_written_is_reported_and_the_others_are_written(tmp_path, cli, legacy):
    long_name = "x" * 240 + ".py"  # the temp file beside it would exceed the file-name limit
    (tmp_path / long_name).write_text(legacy)
    (tmp_path / "zz_after.py").write_text(legacy)
    result = cli("rewrite", "--apply", ".", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert f"{long_name}: cannot write" in result.stderr
    assert "opentracing" not in (tmp_path / "zz_after.py").read_text()
    assert (tmp_path / long_name).read_text() == legacy
    assert result.returncode == 1


def _emptying_rule(folder: Path) -> Path:
    folder.mkdir()
    (folder / "empty.yml").write_text(
        "id: empty-the-module\nlanguage: python\nlibrary: opentracing\nsafety: safe\n"
        "message: drops everything\nrule: {kind: module}\nfix: ''\n"
        'examples:\n  - before: "import opentracing\\n"\n    after: ""\n'
    )
    return folder


def test_a_rewrite_that_empties_a_file_is_refused(tmp_path, cli, legacy):
    rules = _emptying_rule(tmp_path / "rules")
    (tmp_path / "svc.py").write_text(legacy)
    result = cli("rewrite", "--apply", "--rules", str(rules), "svc.py", cwd=tmp_path)
    assert (tmp_path / "svc.py").read_text() == legacy
    assert "svc.py: the rewrite would empty the file; not rewritten" in result.stderr
    assert result.returncode == 1


GO_LEGACY = (
    'package svc\n\nimport opentracing "github.com/opentracing/opentracing-go"\n\n'
    'func Work() {\n\tspan := opentracing.StartSpan("work")\n\tdefer span.Finish()\n}\n'
)


def test_a_go_file_with_a_nul_byte_after_8_kib_is_not_rewritten(tmp_path, cli):
    data = GO_LEGACY.encode() + b"// " + b"x" * 9000 + b"\n// \x00\n"
    (tmp_path / "svc.go").write_bytes(data)
    result = cli("rewrite", "--apply", "svc.go", cwd=tmp_path)
    assert (tmp_path / "svc.go").read_bytes() == data
    assert "svc.go: binary file (contains NUL bytes)" in result.stderr
    assert result.returncode == 1


def test_a_go_result_that_gofmt_rejects_is_not_written_and_lists_no_migrations(tmp_path, cli):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yml").write_text(
        "id: go-bad-defer\nlanguage: go\nlibrary: opentracing\nsafety: safe\nmessage: ends the span\n"
        "rule: {pattern: 'defer $S.Finish()'}\nfix: 'defer $S.End'\n"
        'examples:\n  - before: "defer s.Finish()"\n    after: "defer s.End"\n'
    )
    (tmp_path / "svc.go").write_text(GO_LEGACY)
    result = cli(
        "rewrite", "--apply", "--rules", str(rules), "--select", "go-bad-defer", "svc.go", cwd=tmp_path
    )
    assert (tmp_path / "svc.go").read_text() == GO_LEGACY
    assert "svc.go: gofmt rejects the rewritten file (" in result.stderr
    assert "expression in defer must be function call" in result.stderr
    assert "migrated:" not in result.stdout
    assert result.returncode == 1
