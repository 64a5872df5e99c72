"""Reading source files faithfully and writing them back atomically.

What a user's file looks like on disk — UTF-8 with or without a BOM, CRLF or LF line endings, with or
without a final newline, its permission bits — must survive a rewrite, and a failed write must never
leave a half-written file behind.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otmigrate.languages import Language

_BOM = b"\xef\xbb\xbf"
_GENERATED = re.compile(rb"^\s*(//|#)\s*Code generated .* DO NOT EDIT\.?\s*$", re.MULTILINE)


class SourceError(Exception):
    """A file that cannot be used, with a reason fit for a one-line message."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass
class SourceFile:
    path: Path
    raw: bytes
    text: str  # decoded, without the BOM, line endings normalised to "\n" when the file used CRLF
    bom: bool
    newline: str  # "\n" or "\r\n"

    def encode(self, text: str) -> bytes:
        """`text` as this file would store it: same BOM and line endings."""
        if self.newline == "\r\n":
            text = text.replace("\n", "\r\n")
        return (_BOM if self.bom else b"") + text.encode("utf-8")


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(path, "no such file or directory") from None
    except PermissionError:
        raise SourceError(path, "permission denied") from None
    except IsADirectoryError:
        raise SourceError(path, "is a directory") from None
    except OSError as exc:
        raise SourceError(path, exc.strerror or str(exc)) from None


def is_generated(data: bytes) -> bool:
    """Go's convention (`// Code generated ... DO NOT EDIT.`), honoured in every language."""
    return _GENERATED.search(data[:4096]) is not None


def decode(path: Path, data: bytes) -> SourceFile:
    if b"\x00" in data[:8192]:
        raise SourceError(path, "binary file (contains NUL bytes)")
    bom = data.startswith(_BOM)
    body = data[len(_BOM) :] if bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"not valid UTF-8 (byte {exc.start})") from None
    crlf = text.count("\r\n")
    newline = "\r\n" if crlf and crlf == text.count("\n") else "\n"
    if newline == "\r\n":
        text = text.replace("\r\n", "\n")
    return SourceFile(path=path, raw=data, text=text, bom=bom, newline=newline)


def read_source(path: Path) -> SourceFile:
    return decode(path, read_bytes(path))


def read_tracing_source(
    path: Path, language: Language, *, include_otel: bool = False, in_scope: bool = False
) -> SourceFile | None:
    """The file's source, or None when there is no tracing code to look at (no marker in its bytes, or a
    generated file): most files stop here and are never decoded or parsed. `in_scope`: the project model
    says the file uses a legacy value from another file, so it is read without markers."""
    data = read_bytes(path)
    if is_generated(data) or not (in_scope or language.mentions_tracing(data, include_otel=include_otel)):
        return None
    return decode(path, data)


def write_atomic(source: SourceFile, text: str) -> None:
    """Write `text` in the file's own encoding: temp file in the same folder, fsync, then rename."""
    path = source.path
    data = source.encode(text)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        raise SourceError(path, f"cannot write: {exc.strerror or exc}") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".otmigrate", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise SourceError(path, f"cannot write: {exc.strerror or exc}") from None
    except BaseException:  # Ctrl-C mid-write: the file stays whole, and no temp file is left
        Path(tmp).unlink(missing_ok=True)
        raise
