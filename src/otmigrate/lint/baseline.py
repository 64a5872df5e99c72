"""Baselines: today's findings (a file), or a file's findings at a git revision, so that only new ones are
reported.

Entries are keyed on (rule, path, normalised source of the flagged line) with a count, not on line
numbers, so they survive code moving within the file (the ESLint bulk-suppression model).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from otmigrate.lint.model import Finding

VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used; the message names the path and the reason."""


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.code, f.path.replace("\\", "/"), f.source)


def counts(findings: list[Finding]) -> Counter:
    return Counter(_key(f) for f in findings)


def write(path: Path, findings: list[Finding]) -> None:
    entries = [
        {"code": c, "path": p, "source": s, "count": n} for (c, p, s), n in sorted(counts(findings).items())
    ]
    path.write_text(
        json.dumps({"version": VERSION, "tool": "otmigrate", "entries": entries}, indent=2) + "\n",
        encoding="utf-8",
    )


def load(path: Path) -> Counter:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if (
        not isinstance(data, dict)
        or data.get("version") != VERSION
        or not isinstance(data.get("entries"), list)
    ):
        raise BaselineError(f"{path}: not an otmigrate baseline (expected version {VERSION} with 'entries')")
    counts: Counter = Counter()
    for i, e in enumerate(data["entries"]):
        try:
            counts[(str(e["code"]), str(e["path"]), str(e["source"]))] += int(e["count"])
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: entry {i} needs code, path, source and an integer count") from None
    return counts


def filter_new(findings: list[Finding], baseline: Counter) -> list[Finding]:
    """Findings beyond the baseline's count for their key (earliest lines are matched first)."""
    budget = Counter(baseline)
    new = []
    for f in sorted(findings, key=Finding.sort_key):
        k = _key(f)
        if budget[k] > 0:
            budget[k] -= 1
        else:
            new.append(f)
    return new


_NOT_IN_REVISION = ("exists on disk, but not in", "does not exist in", "invalid object name 'HEAD'")


def _git(folder: Path, *args: str) -> tuple[int, bytes, str]:
    from otmigrate.git import run_git  # only --new-from-rev needs git; the lint path stays lean

    done = run_git(folder, *args)
    if done is None:
        raise BaselineError(f"{folder}: cannot run git")
    return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace")


def _renamed_from(path: Path, rev: str) -> str | None:
    """Where a staged file came from, when git sees it as a rename of a file at `rev` (`git mv`)."""
    _, full, _ = _git(path.parent, "ls-files", "--full-name", "--", path.name)
    _, listing, _ = _git(path.parent, "diff", "--cached", "--name-status", "-M", rev)
    for line in listing.decode("utf-8", "replace").splitlines():
        status, *names = line.split("\t")
        if status.startswith("R") and len(names) == 2 and names[1] == full.decode().strip():
            return names[0]
    return None


def at_revision(path: Path, rev: str) -> bytes | None:
    """The file's text at git revision `rev` (following a staged rename); None when it is new there or the
    repository has no commit yet. For `--new-from-rev`: the no-legacy hook compares a staged file with
    its HEAD version."""
    code, data, error = _git(path.parent, "show", f"{rev}:./{path.name}")
    if code == 0:
        return data
    message = error.strip().splitlines()
    reason = message[-1] if message else f"git exited {code}"
    if not any(marker in reason for marker in _NOT_IN_REVISION):
        raise BaselineError(f"{path}: cannot compare with revision {rev} ({reason.removeprefix('fatal: ')})")
    origin = _renamed_from(path, rev) if "exists on disk" in reason else None
    if origin is None:
        return None
    code, data, _ = _git(path.parent, "show", f"{rev}:{origin}")
    return data if code == 0 else None
