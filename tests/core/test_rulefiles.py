"""Rule files: validation with path:line errors, and the spelling of legacy names per file."""

from pathlib import Path

import pytest
from ast_grep_py import SgRoot

from otmigrate.engine import find_bindings
from otmigrate.languages import LANGUAGES
from otmigrate.rulefiles import RuleFileError, expand_config, load_rule_file, load_rules

GOOD = """\
id: py-x-finish
language: python
library: opentracing
safety: safe
message: finish → end
rule:
  pattern: $S.finish()
fix: $S.end()
examples:
  - before: "import opentracing\\ns.finish()\\n"
    after: "import opentracing\\ns.end()\\n"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(text)
    return path


def test_a_good_rule_loads(tmp_path: Path) -> None:
    (rule,) = load_rule_file(_write(tmp_path, GOOD))
    assert (rule.id, rule.action, rule.safety, rule.fix_class) == ("py-x-finish", "fix", "safe", "safe")


@pytest.mark.parametrize(
    ("broken", "line", "message"),
    [
        (GOOD.replace("rule:\n  pattern", "rule:\n pattern: [\n  pattern"), None, "invalid YAML"),
        (GOOD.replace("safety: safe\n", "safety: safe\ncolour: red\n"), 5, "unknown key 'colour'"),
        (GOOD.replace("safety: safe\n", ""), 1, "needs 'safety: safe' or 'safety: unsafe'"),
        (GOOD.replace("language: python", "language: cobol"), 2, "unknown language 'cobol'"),
        (GOOD.replace("library: opentracing", "library: datadog"), 3, "unknown library 'datadog'"),
        (GOOD.split("examples:")[0], 1, "has no examples"),
        (GOOD.replace("pattern: $S.finish()", "kind: no_such_kind"), 6, "ast-grep cannot use this rule"),
        (GOOD.replace("id: py-x-finish", "id: Bad Id"), 1, "'id' must be"),
        (GOOD + "---\n" + GOOD, 13, "duplicate rule id"),
    ],
)
def test_malformed_rules_name_path_and_line(
    tmp_path: Path, broken: str, line: int | None, message: str
) -> None:
    path = _write(tmp_path, broken)
    with pytest.raises(RuleFileError) as caught:
        load_rules([tmp_path], bundled=False)
    text = str(caught.value)
    assert text.startswith(f"{path}:{line}:" if line else f"{path}:")
    assert message in text
    assert "\n" not in text


def _matches(code: str, rule_text: str, language: str = "python") -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        (rule,) = load_rule_file(_write(Path(folder), rule_text))
    lang = LANGUAGES[language]
    root = SgRoot(code, lang.grep_language).root()
    return [m.text() for m in root.find_all(expand_config(rule, find_bindings(lang, root)))]


GLOBAL = GOOD.replace("pattern: $S.finish()", "pattern: opentracing.global_tracer()").replace(
    "safety: safe\n", ""
).replace("fix: $S.end()\n", "").split("examples:")[0] + (
    'examples:\n  - match: "import opentracing\\nopentracing.global_tracer()\\n"\n'
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import opentracing\nt = opentracing.global_tracer()\n", ["opentracing.global_tracer()"]),
        ("import opentracing as ot\nt = ot.global_tracer()\n", ["ot.global_tracer()"]),
        ("from opentracing import global_tracer as gt\nt = gt()\n", ["gt()"]),
        ("import other as opentracing\nt = opentracing.global_tracer()\n", []),  # same name, not the library
        ("t = opentracing.global_tracer()\n", []),
    ],
)
def test_qualified_names_follow_the_files_imports(code: str, expected: list[str]) -> None:
    assert _matches(code, GLOBAL) == expected


def test_method_rules_only_run_in_files_that_import_the_library(tmp_path: Path) -> None:
    from otmigrate.config import Settings
    from otmigrate.engine import rewrite_source

    (rule,) = load_rule_file(_write(tmp_path, GOOD))
    python = LANGUAGES["python"]
    untouched = "import multiprocessing\njob.finish()\n"
    assert rewrite_source(untouched, "x.py", python, [rule], Settings()).text == untouched
