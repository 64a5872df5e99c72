"""Exit codes and bad arguments through the real command line, as a ruff user expects them."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from checkout import otmigrate

LEGACY = 'import opentracing\n\n\ndef handler():\n    opentracing.tracer.start_span("work").finish()\n'
OTM901_ONLY = ("--select", "OTM901")


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("command", ["scan", "rewrite", "lint"])
def test_a_path_that_does_not_exist_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    (tmp_path / "a.py").write_text(LEGACY)
    result = otmigrate(command, "a.py", "no-such-dir", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "otmigrate: no-such-dir: no such file or directory\n"
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("command", "value"),
    [("rewrite", "BOGUS"), ("rewrite", "py-opentracing-nonexistent"), ("lint", "BOGUS"), ("lint", "OTM999")],
)
@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_an_unknown_selector_is_exit_2_naming_the_known_prefixes(
    tmp_path: Path, command: str, value: str, option: str
) -> None:
    (tmp_path / "a.py").write_text(LEGACY)
    result = otmigrate(command, option, f"OTM901,{value}", "a.py", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert result.stderr.count("\n") == 1 and value in result.stderr
    assert "known prefixes: OTM0, OTM1" in result.stderr
    assert ("py-" in result.stderr) == (command == "rewrite")
    assert (tmp_path / "a.py").read_text() == LEGACY


def test_known_selectors_still_work(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(LEGACY)
    assert otmigrate("rewrite", "--select", "py-,OTM9", "a.py", cwd=tmp_path).returncode == 1
    assert otmigrate("rewrite", "--select", "go-", "a.py", cwd=tmp_path).returncode == 0
    assert otmigrate("rewrite", "--ignore", "py-manifest", "a.py", cwd=tmp_path).returncode == 1
    assert otmigrate("lint", "--select", "otm9", "a.py", cwd=tmp_path).returncode == 1


def test_an_unknown_selector_in_the_config_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / ".otmigrate.toml").write_text("select = ['py-opentracng']\n")
    (tmp_path / "a.py").write_text(LEGACY)
    result = otmigrate("scan", ".", cwd=tmp_path)
    assert result.returncode == 2 and "py-opentracng" in result.stderr


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("profile = 'strict'\nselct = ['OTM1']\n", "unknown key 'selct'"),
        ("select = ['OTM1', 'OTM77']\n", "select: 'OTM77' is not a lint code"),
        ("[tool.otmigrate.lint.severity]\nOTM88 = 'error'\n", "severity.OTM88: 'OTM88' is not a lint code"),
    ],
)
@pytest.mark.parametrize("command", ["lint", "rewrite"])
def test_a_bad_lint_table_is_exit_2(tmp_path: Path, table: str, message: str, command: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.otmigrate.lint]\n" + table)
    (tmp_path / "a.py").write_text(LEGACY)
    result = otmigrate(command, "a.py", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr and "pyproject.toml" in result.stderr


def test_lint_reads_standard_input(tmp_path: Path) -> None:
    piped = otmigrate("lint", *OTM901_ONLY, "--format", "json", "-", cwd=tmp_path, stdin=LEGACY)
    assert piped.returncode == 1, piped.stderr
    assert [(f["path"], f["code"], f["line"]) for f in json.loads(piped.stdout)] == [("-", "OTM901", 1)]

    go = 'package main\n\nimport ot "github.com/opentracing/opentracing-go"\n\nvar _ = ot.GlobalTracer\n'
    named = otmigrate(
        "lint", *OTM901_ONLY, "--format", "json", "--stdin-filename", "cmd/main.go", cwd=tmp_path, stdin=go
    )
    assert [(f["path"], f["line"]) for f in json.loads(named.stdout)] == [("cmd/main.go", 3)]
    clean = otmigrate("lint", "-", cwd=tmp_path, stdin="print('no tracing')\n")
    assert clean.returncode == 0 and "0 findings" in clean.stdout
    mixed = otmigrate("lint", "-", "a.py", cwd=tmp_path, stdin=LEGACY)
    assert mixed.returncode == 2


def test_a_bad_new_from_rev_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(LEGACY)
    outside = otmigrate("lint", "--new-from-rev", "HEAD", "a.py", cwd=tmp_path)
    assert outside.returncode == 2 and "not in a git repository" in outside.stderr
    git(tmp_path, "init", "-q")
    unborn = otmigrate("lint", *OTM901_ONLY, "--new-from-rev", "HEAD", "a.py", cwd=tmp_path)
    assert unborn.returncode == 1  # no commit yet: every finding is new (the first commit of a repo)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "legacy")
    bogus = otmigrate("lint", "--new-from-rev", "no-such-rev", "a.py", cwd=tmp_path)
    assert bogus.returncode == 2
    assert bogus.stderr.count("\n") == 1 and "--new-from-rev no-such-rev: not a commit" in bogus.stderr
    assert otmigrate("lint", *OTM901_ONLY, "--new-from-rev", "HEAD", "a.py", cwd=tmp_path).returncode == 0


def test_git_info_exclude_and_the_global_excludes_file_are_honoured(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "generated").mkdir(parents=True)
    (repo / "scratch").mkdir()
    for name in ("kept.py", "generated/out.py", "scratch/try.py"):
        (repo / name).write_text(LEGACY)
    git(repo, "init", "-q")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("generated/\n")
    home = tmp_path / "home"
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "ignore").write_text("scratch/\n")
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "GIT_CONFIG_NOSYSTEM": "1"}
    for command in ("scan", "rewrite"):
        result = otmigrate(command, "--format", "json", ".", cwd=repo, env=env)
        paths = {f["path"] for f in json.loads(result.stdout)["files"]}
        assert paths == {"kept.py"}, (command, paths)
    linted = otmigrate("lint", *OTM901_ONLY, "--format", "json", ".", cwd=repo, env=env)
    assert {f["path"] for f in json.loads(linted.stdout)} == {"kept.py"}

    elsewhere = tmp_path / "excludes"
    elsewhere.write_text("kept.py\n")  # core.excludesFile replaces the XDG default
    git(repo, "config", "core.excludesFile", str(elsewhere), env=env)
    result = otmigrate("scan", "--format", "json", ".", cwd=repo, env=env)
    assert {f["path"] for f in json.loads(result.stdout)["files"]} == {"scratch/try.py"}


@pytest.mark.parametrize("command", ["lint", "scan", "rewrite"])
def test_force_color_colours_a_pipe_and_no_color_wins(tmp_path: Path, command: str) -> None:
    (tmp_path / "a.py").write_text(LEGACY)
    plain = otmigrate(command, "a.py", cwd=tmp_path, env={"NO_COLOR": "", "FORCE_COLOR": ""})
    forced = otmigrate(command, "a.py", cwd=tmp_path, env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    both = otmigrate(command, "a.py", cwd=tmp_path, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout and "\x1b[" not in both.stdout
    assert "\x1b[" in forced.stdout
    assert both.stdout == plain.stdout
    longest = max(LEGACY.splitlines(), key=len)
    if command == "rewrite":  # lines stay whole: a coloured diff is never wrapped at 80 columns
        assert f"-{longest}" in forced.stdout
