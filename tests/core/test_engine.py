"""The engine: fixpoint, deterministic conflicts, validation, TODOs, unsafe gating, idempotence."""

from pathlib import Path

from otmigrate.config import Settings
from otmigrate.engine import MAX_PASSES, rewrite_source
from otmigrate.languages import LANGUAGES
from otmigrate.rulefiles import load_rule_file

PY = LANGUAGES["python"]


def _rule(tmp_path: Path, name: str, body: str, example: str) -> object:
    path = tmp_path / f"{name}.yml"
    path.write_text(f"id: {name}\nlanguage: python\nlibrary: opentracing\n{body}examples:\n{example}")
    return load_rule_file(path)[0]


USE = "tracer = opentracing.tracer\n"  # keeps the legacy import in use, so the import pass leaves it
MATCH_ANY = '  - before: "x\\n"\n    after: "x\\n"\n'  # examples are not what these tests exercise


def test_overlapping_edits_resolve_the_same_way_every_time(tmp_path: Path) -> None:
    outer = _rule(
        tmp_path,
        "outer",
        "safety: safe\nmessage: m\nrule:\n  pattern: $A.finish($B)\nfix: $A.end($B)\n",
        MATCH_ANY,
    )
    inner = _rule(
        tmp_path, "inner", "safety: safe\nmessage: m\nrule:\n  pattern: now()\nfix: clock()\n", MATCH_ANY
    )
    source = "import opentracing\n" + USE + "span.finish(now())\n"
    results = {
        rewrite_source(source, "a.py", PY, rules, Settings()).text
        for rules in ([outer, inner], [inner, outer])
    }
    assert results == {"import opentracing\n" + USE + "span.end(clock())\n"}


def test_a_rewrite_that_never_settles_is_refused(tmp_path: Path) -> None:
    grow = _rule(
        tmp_path, "grow", "safety: safe\nmessage: m\nrule:\n  pattern: f($X)\nfix: f(f($X))\n", MATCH_ANY
    )
    source = "import opentracing\n" + USE + "f(1)\n"
    outcome = rewrite_source(source, "a.py", PY, [grow], Settings())
    assert outcome.text == source
    assert f"did not settle after {MAX_PASSES} passes" in str(outcome.error)


def test_output_that_would_not_parse_is_refused(tmp_path: Path) -> None:
    breaks = _rule(
        tmp_path,
        "breaks",
        "safety: safe\nmessage: m\nrule:\n  pattern: $S.finish()\nfix: $S.end(\n",
        MATCH_ANY,
    )
    source = "import opentracing\n" + USE + "span.finish()\n"
    outcome = rewrite_source(source, "a.py", PY, [breaks], Settings())
    assert outcome.text == source
    assert "would not parse" in str(outcome.error) or "a transform failed" in str(outcome.error)


def test_a_syntax_error_in_the_input_is_reported_not_rewritten(tmp_path: Path) -> None:
    rule = _rule(
        tmp_path, "r", "safety: safe\nmessage: m\nrule:\n  pattern: $S.finish()\nfix: $S.end()\n", MATCH_ANY
    )
    source = "import opentracing\ndef f(:\n    span.finish()\n"
    outcome = rewrite_source(source, "a.py", PY, [rule], Settings())
    assert outcome.text == source and "syntax error" in str(outcome.error)


def test_manual_rules_add_one_todo_and_a_report_item(tmp_path: Path) -> None:
    manual = _rule(
        tmp_path,
        "manual",
        "safety: manual\nmessage: do it by hand\nrule:\n  pattern: $T.binary()\n",
        MATCH_ANY,
    )
    source = "import opentracing\n" + USE + "\ndef f():\n    tracer.binary()\n"
    outcome = rewrite_source(source, "a.py", PY, [manual], Settings())
    expected = (
        "import opentracing\n"
        + USE
        + "\ndef f():\n    # TODO(otmigrate): do it by hand\n    tracer.binary()\n"
    )
    assert outcome.text == expected
    assert [(c.kind, c.line) for c in outcome.changes] == [("manual", 5)]
    assert rewrite_source(expected, "a.py", PY, [manual], Settings()).text == expected  # idempotent


def test_unsafe_rules_need_the_flag(tmp_path: Path) -> None:
    unsafe = _rule(
        tmp_path,
        "unsafe",
        "safety: unsafe\nmessage: m\nrule:\n  pattern: $S.finish()\nfix: $S.end()\n",
        MATCH_ANY,
    )
    source = "import opentracing\n" + USE + "span.finish()\n"
    plain = rewrite_source(source, "a.py", PY, [unsafe], Settings())
    assert plain.text == source and [c.kind for c in plain.changes] == ["unsafe"]
    assert rewrite_source(source, "a.py", PY, [unsafe], Settings(), unsafe=True).text.endswith("span.end()\n")


def test_handler_reports_name_their_rules_and_lines_of_the_users_file(tmp_path: Path, monkeypatch) -> None:
    """A handler sees the source as earlier edits left it; its report must still point into the input."""
    grow = _rule(
        tmp_path,
        "grow",
        "safety: safe\nmessage: m\nrule:\n  pattern: setup()\nfix: |-\n  configure()\n  more()\n  more()\n",
        MATCH_ANY,
    )
    probe = _rule(
        tmp_path,
        "probe",
        "safety: safe\nmessage: m\nrule:\n  pattern: $S.finish()\nhandler: probe\n",
        MATCH_ANY,
    )
    seen: list[tuple[str, ...]] = []

    def report_finish(ctx) -> None:
        seen.append(ctx.rules)
        line = ctx.source.splitlines().index("span.finish()") + 1
        ctx.migrated(line, ctx.rules[0], "found")

    monkeypatch.setitem(PY.part("transforms").HANDLERS, "probe", report_finish)
    source = "import opentracing\n" + USE + "setup()\nspan.finish()\n"
    outcome = rewrite_source(source, "a.py", PY, [grow, probe], Settings())
    assert "more()" in outcome.text
    assert seen and set(seen) == {("probe",)}
    found = [c for c in outcome.changes if c.message == "found"]
    assert {c.line for c in found} == {source.splitlines().index("span.finish()") + 1}
