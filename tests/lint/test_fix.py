"""`otmigrate lint --fix`: the safe OTM403 fix (deprecated semantic-convention key → its new name) is written
atomically, keeping the file's BOM, line endings and mode; suppressed findings and other code stay as they
are; a second run has nothing left to fix."""

import json
import os
import stat
import subprocess
import sys

PY = (
    "\ufeffimport opentracing\r\n"
    "from opentelemetry import trace\r\n"
    "\r\n"
    "span = trace.get_current_span()\r\n"
    'span.set_attribute("http.method", "GET")\r\n'
    "span.set_attribute(u'db.statement', q)  # a literal prefix and single quotes\r\n"
    'span.set_attribute("net.peer.name", h)  # otmigrate: ignore[OTM403] dashboards read it\r\n'
)
GO = """package svc

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

func tag(ctx context.Context, code int) {
	trace.SpanFromContext(ctx).SetAttributes(attribute.Int("http.status_code", code))
}
"""
JS = """const { trace } = require("@opentelemetry/api");

function tag(req) {
  trace.getActiveSpan().setAttributes({ "http.url": req.url, "http.method": req.method });
}
"""


def otmigrate(cwd, *args):
    return subprocess.run(
        [sys.executable, "-m", "otmigrate", "lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_fix_renames_keys_atomically_and_keeps_the_file_format(tmp_path):
    (tmp_path / "app.py").write_bytes(PY.encode("utf-8"))
    (tmp_path / "app.py").chmod(0o751)
    (tmp_path / "svc.go").write_text(GO)
    (tmp_path / "worker.js").write_text(JS)

    result = otmigrate(tmp_path, "--fix", "--format", "json", ".")

    data = (tmp_path / "app.py").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == PY.count("\r\n")
    assert stat.S_IMODE((tmp_path / "app.py").stat().st_mode) == 0o751
    text = data.decode("utf-8-sig")
    assert 'set_attribute("http.request.method", "GET")' in text
    assert "set_attribute(u'db.query.text', q)" in text
    assert '"net.peer.name"' in text  # suppressed: left alone
    assert 'attribute.Int("http.response.status_code", code)' in (tmp_path / "svc.go").read_text()
    js = (tmp_path / "worker.js").read_text()
    assert '{ "url.full": req.url, "http.request.method": req.method }' in js
    assert not list(tmp_path.glob(".*.otmigrate"))  # no temp file left behind

    remaining = {(f["path"], f["code"]) for f in json.loads(result.stdout)}
    assert remaining == {("app.py", "OTM901")}  # what --fix cannot fix is still reported
    assert result.returncode == 1
    assert "fixed 5 findings in 3 files" in result.stderr

    again = otmigrate(tmp_path, "--fix", "--format", "json", ".")
    assert "fixed 0 findings in 0 files" in again.stderr
    assert (tmp_path / "app.py").read_bytes() == data


def test_without_fix_nothing_is_written(tmp_path):
    (tmp_path / "svc.go").write_text(GO)
    result = otmigrate(tmp_path, "--format", "json", ".")
    assert (tmp_path / "svc.go").read_text() == GO
    fix = json.loads(result.stdout)[0]["fix"]
    assert fix["text"] == '"http.response.status_code"'
