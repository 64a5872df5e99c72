"""The `bridged` change kind: a handler that keeps a boundary working through the OTel bridge says so."""

import io
import json

from otmigrate.config import Settings
from otmigrate.engine import Change, TransformContext
from otmigrate.languages import LANGUAGES
from otmigrate.output import rewrite_report
from otmigrate.rewrite import FileRewrite


def test_a_handler_reports_a_bridge_and_the_report_counts_it() -> None:
    ctx = TransformContext("x = 1\n", "a.py", LANGUAGES["python"], Settings(), False, [])
    ctx.bridged(3, "py-opentracing-bridge", "django_opentracing")
    ctx.migrated(1, "py-opentracing-finish", "span.finish() → span.end()")
    assert ctx.changes[0] == Change(
        "bridged", "py-opentracing-bridge", 3, "remove when django_opentracing is replaced"
    )
    result = FileRewrite("a.py", "x = 1\n", "x = 2\n", ctx.changes)

    text = io.StringIO()
    rewrite_report([result], "text", False, text)
    assert (
        "  bridged, line 3: remove when django_opentracing is replaced [py-opentracing-bridge]"
        in text.getvalue()
    )
    assert "1 migrated, 1 bridged" in text.getvalue()

    document = io.StringIO()
    rewrite_report([result], "json", False, document)
    parsed = json.loads(document.getvalue())
    assert parsed["summary"] == {"migrated": 1, "manual": 0, "unsafe": 0, "bridged": 1}
    assert parsed["files"][0]["changes"][0]["kind"] == "bridged"
