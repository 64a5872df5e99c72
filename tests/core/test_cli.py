"""The command line end to end, including every kind of bad input a user meets."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LEGACY = (
    "import opentracing\n\n\ndef handler():\n"
    '    with opentracing.tracer.start_active_span("work") as scope:\n'
    '        scope.span.set_tag("job.id", 1)\n'
)
MIGRATED_LINE = b'span.set_attribute("job.id", 1)'  # what the Python rewriter makes of the last line


def otmigrate(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otmigrate", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_version() -> None:
    result = otmigrate("--version")
    assert result.returncode == 0 and "otmigrate" in result.stdout


def test_rewrite_shows_a_diff_then_apply_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "svc.py"
    path.write_bytes(LEGACY.replace("\n", "\r\n").encode())
    pending = otmigrate("rewrite", str(path), cwd=tmp_path)
    assert pending.returncode == 1
    assert "-    with opentracing.tracer.start_active_span" in pending.stdout
    assert "+        " + MIGRATED_LINE.decode() in pending.stdout
    assert "\r\n" in path.read_bytes().decode()  # nothing written yet
    assert otmigrate("rewrite", "--apply", str(path), cwd=tmp_path).returncode == 0
    assert MIGRATED_LINE + b"\r\n" in path.read_bytes()
    again = otmigrate("rewrite", str(path), cwd=tmp_path)
    assert again.returncode == 0, again.stdout


def _bad_inputs(folder: Path) -> dict[str, str]:
    """Each bad file, and the reason the one-line error must give."""
    (folder / "binary.py").write_bytes(b"\x00\x01opentracing\x00")
    (folder / "latin1.py").write_bytes("import opentracing  # café\n".encode("latin-1"))
    (folder / "broken.py").write_text("import opentracing\ndef f(:\n    span.finish()\n")
    return {"binary.py": "binary file", "latin1.py": "not valid UTF-8", "broken.py": "syntax"}


@pytest.mark.parametrize("command", ["rewrite", "scan", "lint"])
def test_bad_inputs_get_one_line_each_and_the_run_goes_on(tmp_path: Path, command: str) -> None:
    bad = _bad_inputs(tmp_path)
    good = tmp_path / "good.py"
    good.write_text(LEGACY)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    args = [command, str(tmp_path)] + (["--apply"] if command == "rewrite" else [])
    result = otmigrate(*args, cwd=tmp_path)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("otmigrate: ")]
    expected = {name: reason for name, reason in bad.items() if command != "lint" or name != "broken.py"}
    for name, reason in expected.items():
        assert any(name in line and reason in line for line in errors), (name, result.stderr)
    assert result.returncode == 1
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert {n: after[n] for n in bad} == {n: before[n] for n in bad}  # bad files untouched
    if command == "rewrite":
        assert MIGRATED_LINE in good.read_bytes()  # the good file was still migrated


def test_an_unreadable_file_is_reported(tmp_path: Path, monkeypatch) -> None:
    from otmigrate.sourcefile import SourceError, read_bytes

    path = tmp_path / "secret.py"
    path.write_text(LEGACY)
    import os

    def denied(*args: object) -> int:
        raise PermissionError(13, "denied")

    monkeypatch.setattr(os, "open", denied)  # root reads any file: make this one unreadable
    with pytest.raises(SourceError, match="permission denied"):
        read_bytes(path)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[tool.otmigrate]\nexclude = 'x'\n", "'exclude' must be a list of strings"),
        ("[tool.otmigrate]\ncolour = 'red'\n", "unknown key 'colour'"),
        ("[tool.otmigrate\n", "invalid TOML"),
        ("[tool.otmigrate]\npropagators = ['w3c']\n", "unknown propagator 'w3c'"),
    ],
)
def test_a_malformed_config_is_a_one_line_usage_error(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "a.py").write_text(LEGACY)
    result = otmigrate("rewrite", "--apply", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr and "pyproject.toml" in result.stderr
    assert (tmp_path / "a.py").read_text() == LEGACY


def test_a_malformed_rule_directory_is_a_one_line_usage_error(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "mine.yml").write_text("id: py-mine\nlanguage: python\nlibrary: opentracing\n")
    (tmp_path / "a.py").write_text(LEGACY)
    result = otmigrate("rewrite", "--rules", "rules", "--apply", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"otmigrate: {(tmp_path / 'rules' / 'mine.yml').resolve()}:1: missing required key 'message'"
    )
    assert (tmp_path / "a.py").read_text() == LEGACY


def test_user_rules_from_config_are_applied(tmp_path: Path) -> None:
    (tmp_path / "my-rules").mkdir()
    (tmp_path / "my-rules" / "team.yml").write_text(
        "id: py-team-helper\nlanguage: python\nlibrary: opentracing\nsafety: safe\nmessage: team helper\n"
        "rule:\n  pattern: trace_helper($X)\nfix: otel_helper($X)\nexamples:\n"
        '  - before: "import opentracing\\ntrace_helper(1)\\n"\n'
        '    after: "import opentracing\\notel_helper(1)\\n"\n'
    )
    (tmp_path / ".otmigrate.toml").write_text("rules = ['my-rules']\nselect = ['py-team']\n")
    (tmp_path / "a.py").write_text("import opentracing\ntrace_helper(2)\ntracer = opentracing.tracer\n")
    result = otmigrate("rewrite", "--format", "json", ".", cwd=tmp_path)
    document = json.loads(result.stdout)
    assert [c["rule"] for c in document["files"][0]["changes"]] == ["py-team-helper"]  # select kept only it


def test_a_file_that_mentions_no_tracing_library_is_never_parsed(tmp_path: Path, monkeypatch) -> None:
    from otmigrate import scan
    from otmigrate.config import Settings
    from otmigrate.rulefiles import load_rules

    (tmp_path / "plain.py").write_text("def finish(job):\n    job.finish()\n")
    (tmp_path / "traced.py").write_text(LEGACY)
    parsed = []
    real = scan.SgRoot
    monkeypatch.setattr(scan, "SgRoot", lambda text, lang: parsed.append(text) or real(text, lang))
    files, scanned = scan.scan_paths([str(tmp_path)], Settings(root=tmp_path), load_rules(), jobs=1)
    assert scanned == 2 and [Path(f.path).name for f in files] == ["traced.py"]
    assert parsed == [LEGACY]


def test_generated_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "gen.py").write_text("# Code generated by protoc. DO NOT EDIT.\n" + LEGACY)
    assert json.loads(otmigrate("scan", "--format", "json", ".", cwd=tmp_path).stdout)["files"] == []


def test_scan_json_follows_the_contract_through_aliases(tmp_path: Path) -> None:
    (tmp_path / "api.go").write_text(
        'package api\n\nimport ot "github.com/opentracing/opentracing-go"\n\n'
        'func f(ctx context.Context) {\n\tspan, ctx := ot.StartSpanFromContext(ctx, "op")\n'
        "\tdefer span.Finish()\n}\n"
    )
    (tmp_path / "job.js").write_text(
        "const { globalTracer } = require('opentracing');\nconst t = globalTracer();\n"
    )
    (tmp_path / "other.js").write_text("job.finish();\n")  # same-named call, no tracing import
    document = json.loads(otmigrate("scan", "--format", "json", ".", cwd=tmp_path).stdout)
    usages = {(f["path"], u["symbol"], u["fix"]) for f in document["files"] for u in f["usages"]}
    assert ("api.go", "opentracing.StartSpanFromContext", "safe") in usages or (
        "api.go",
        "opentracing.StartSpanFromContext",
        "none",
    ) in usages
    assert ("job.js", "opentracing.globalTracer", "safe") in usages or (
        "job.js",
        "opentracing.globalTracer",
        "none",
    ) in usages
    assert not any(path == "other.js" for path, _, _ in usages)
    assert document["summary"]["files_scanned"] == 3
    assert set(document["summary"]["by_language"]) == {"go", "javascript"}
    for entry in document["files"]:
        for usage in entry["usages"]:
            assert set(usage) == {"library", "line", "column", "symbol", "rule", "fix"}
            assert usage["fix"] in {"safe", "unsafe", "manual", "none"}


def test_rules_test_command_passes_on_the_bundled_rules() -> None:
    result = otmigrate("rules", "test")
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith(" passed, 0 failed")


def test_apply_leaves_files_with_uncommitted_changes_alone_unless_forced(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True)

    git("init", "-q")
    for name in ("clean.py", "edited.py"):
        (tmp_path / name).write_text(LEGACY)
    git("add", ".")
    git("commit", "-qm", "legacy")
    edited = LEGACY + "# my uncommitted edit\n"
    (tmp_path / "edited.py").write_text(edited)
    (tmp_path / "new.py").write_text(LEGACY)  # untracked: git could not restore it either

    result = otmigrate("rewrite", "--apply", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert MIGRATED_LINE in (tmp_path / "clean.py").read_bytes()
    assert (tmp_path / "edited.py").read_text() == edited and (tmp_path / "new.py").read_text() == LEGACY
    assert "edited.py" in result.stdout and "uncommitted changes" in result.stdout

    forced = otmigrate("rewrite", "--apply", "--force", ".", cwd=tmp_path)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert (
        MIGRATED_LINE in (tmp_path / "edited.py").read_bytes()
        and MIGRATED_LINE in (tmp_path / "new.py").read_bytes()
    )


def test_the_config_nearest_the_first_path_applies_when_run_from_elsewhere(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".otmigrate.toml").write_text("colour = 'red'\n")
    (project / "a.py").write_text(LEGACY)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = otmigrate("scan", str(project), cwd=elsewhere)
    assert result.returncode == 2 and "unknown key 'colour'" in result.stderr
