"""Reading source files faithfully and writing them back atomically.

What a user's file looks like on disk — UTF-8 with or without a BOM, CRLF or LF line endings, with or
without a final newline, its permission bits, owner and group — must survive a rewrite, and a failed
write must never leave a half-written file behind. Only regular files are read (a FIFO or a device
never is), up to a size limit. A file is written only if it is still what was read: an edit saved
while otmigrate ran is never overwritten. docs/cli.md ("Safety guarantees") lists the rules.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from otmigrate.config import DEFAULT_MAX_FILE_SIZE

if TYPE_CHECKING:
    from otmigrate.languages import Language

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_max_file_size = [DEFAULT_MAX_FILE_SIZE]  # the run's limit (settings.max_file_size), see set_max_file_size
TEMP_SUFFIX = ".otmigrate"
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.otm(?P<pid>\d+)-[a-z0-9_]+\.otmigrate$")
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
    stamp: tuple[int, int] | None = field(default=None, compare=False)  # (size, mtime_ns) when read

    def encode(self, text: str) -> bytes:
        """`text` as this file would store it: same BOM and line endings."""
        if self.newline == "\r\n":
            text = text.replace("\n", "\r\n")
        return (_BOM if self.bom else b"") + text.encode("utf-8")


def set_max_file_size(limit: int) -> None:
    """The size above which files are reported and not read, for this process and the workers it forks."""
    _max_file_size[0] = limit


def read_bytes(path: Path) -> bytes:
    return _read(path)[0]


def _read(path: Path) -> tuple[bytes, tuple[int, int]]:
    """The bytes of a regular file and its (size, mtime_ns). Opened non-blocking, so a FIFO never hangs
    the run; a FIFO, device or socket, or a file over the size limit, is refused without being read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _os_error(path, exc) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SourceError(path, "is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(path, "not a regular file (a FIFO, device or socket); not read")
        limit = _max_file_size[0]
        if info.st_size > limit:
            raise SourceError(
                path,
                f"larger than the size limit ({info.st_size:,} > {limit:,} bytes: max-file-size); not read",
            )
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise _os_error(path, exc) from None
    if len(data) > limit:
        raise SourceError(path, f"grew past the size limit ({limit:,} bytes: max-file-size); not read")
    return data, (info.st_size, info.st_mtime_ns)


def _os_error(path: Path, exc: OSError) -> SourceError:
    if isinstance(exc, FileNotFoundError):
        return SourceError(path, "no such file or directory")
    if isinstance(exc, PermissionError):
        return SourceError(path, "permission denied")
    if isinstance(exc, IsADirectoryError):
        return SourceError(path, "is a directory")
    return SourceError(path, exc.strerror or str(exc))


def is_generated(data: bytes) -> bool:
    """Go's convention (`// Code generated ... DO NOT EDIT.`), honoured in every language."""
    return _GENERATED.search(data[:4096]) is not None


def decode(path: Path, data: bytes, stamp: tuple[int, int] | None = None) -> SourceFile:
    if data.startswith(_UTF16_BOMS):
        raise SourceError(path, "UTF-16 encoded; not read (otmigrate reads UTF-8 source)")
    if b"\x00" in data:
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
    return SourceFile(path=path, raw=data, text=text, bom=bom, newline=newline, stamp=stamp)


def read_source(path: Path) -> SourceFile:
    return decode(path, *_read(path))


def read_tracing_source(
    path: Path, language: Language, *, include_otel: bool = False, in_scope: bool = False
) -> SourceFile | None:
    """The file's source, or None when there is no tracing code to look at (no marker in its bytes, or a
    generated file): most files stop here and are never decoded or parsed. `in_scope`: the project model
    says the file uses a legacy value from another file, so it is read without markers."""
    data, stamp = _read(path)
    if data.startswith(_UTF16_BOMS):  # its markers are invisible to the byte prefilter: say so
        return decode(path, data)
    if is_generated(data) or not (in_scope or language.mentions_tracing(data, include_otel=include_otel)):
        return None
    return decode(path, data, stamp)


def write_atomic(source: SourceFile, text: str) -> None:
    """Write `text` in the file's own encoding: temp file in the same folder, fsync, then rename.

    A symlink is written through to its target (the caller decides whether to follow it); a file with
    other hard links is refused (a rename would split them); owner and group are kept where the process
    may set them, setuid and setgid dropped (as `install` does); and a file that is no longer what was
    read (an edit saved meanwhile) is refused, checked again just before the rename."""
    path = source.path
    target = Path(os.path.realpath(path))
    data = source.encode(text)
    tmp: str | None = None
    try:
        info = os.stat(target)
        _check_unchanged(source, target, info)
        if info.st_nlink > 1:
            raise SourceError(
                path, f"has {info.st_nlink} hard links; not rewritten (a rewrite would split them)"
            )
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=TEMP_SUFFIX, dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
            with contextlib.suppress(PermissionError):  # only root may give a file away
                os.chown(tmp, info.st_uid, info.st_gid)
        os.chmod(tmp, stat.S_IMODE(info.st_mode) & ~(stat.S_ISUID | stat.S_ISGID))
        _check_unchanged(source, target, os.stat(target))
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise SourceError(path, f"cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _check_unchanged(source: SourceFile, target: Path, info: os.stat_result) -> None:
    stamp = (info.st_size, info.st_mtime_ns)
    if (source.stamp is not None and stamp != source.stamp) or _read(target)[0] != source.raw:
        raise SourceError(source.path, "changed during the run; not rewritten (run otmigrate again)")


def _temp_prefix(target: Path) -> str:
    """`.NAME.otmPID-`: recognisably ours, and stale once process PID is gone (see stale_temp_files)."""
    return f".{target.name}.otm{os.getpid()}-"


def is_stale_temp(path: Path) -> bool:
    """One of our temp files whose writer is gone (killed mid-write): safe to remove."""
    found = _TEMP_NAME.match(path.name)
    if found is None:
        return False
    try:
        os.kill(int(found["pid"]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False  # a live process of another user
    return False


def remove_stale_temp(path: Path) -> None:
    """Remove a stale temp file if it is still one of ours: a regular file owned by this user."""
    with contextlib.suppress(OSError):  # gone already, or not ours to remove
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
            path.unlink()
