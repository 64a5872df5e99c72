"""Reading and atomic writing keep what the user's file looks like on disk."""

import os
import stat
from pathlib import Path

import pytest

from otmigrate.sourcefile import SourceError, read_source, write_atomic


def test_crlf_bom_mode_and_missing_final_newline_survive(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_bytes(b"\xef\xbb\xbfimport opentracing\r\nspan.finish()")  # BOM, CRLF, no final newline
    path.chmod(0o751)
    source = read_source(path)
    assert source.text == "import opentracing\nspan.finish()"
    write_atomic(source, source.text.replace("finish", "end"))
    assert path.read_bytes() == b"\xef\xbb\xbfimport opentracing\r\nspan.end()"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751


def test_a_failed_write_leaves_the_original_and_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "app.py"
    path.write_text("original\n")
    source = read_source(path)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(SourceError, match="No space left"):
        write_atomic(source, "new\n")
    assert path.read_text() == "original\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"\x00\x01binary", "binary file"), (b"x = '\xff\xfe'\n", "not valid UTF-8")],
)
def test_unusable_content_is_a_reasoned_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.py"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=reason):
        read_source(path)


def test_a_vanished_file_is_a_reasoned_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_source(tmp_path / "gone.py")
