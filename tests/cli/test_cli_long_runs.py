"""Long runs through the real CLI: a progress bar on a terminal only, Ctrl-C that ends the run at once
(exit 130, no traceback, every file untouched or completely written), --output-file, --statistics."""

import json
import os
import pty
import re
import select
import signal
import subprocess
import time
from functools import partial
from pathlib import Path

import pytest
from checkout import COMMAND
from checkout import otmigrate as run_otmigrate

otmigrate = partial(run_otmigrate, timeout=300)  # runs over many files
LEGACY = 'import opentracing\n\n\ndef handler():\n    opentracing.tracer.start_span("work").finish()\n'


def many_files(root: Path, count: int) -> Path:
    for index in range(count):
        folder = root / f"pkg{index // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod{index}.py").write_text(LEGACY.replace("work", f"work{index}"))
    return root


def migrated_text(tmp_path: Path) -> str:
    """What --apply makes of LEGACY (with the span name of file 0)."""
    one = tmp_path / "one"
    one.mkdir()
    (one / "mod0.py").write_text(LEGACY.replace("work", "work0"))
    assert otmigrate("rewrite", "--apply", ".", cwd=one).returncode == 0
    return (one / "mod0.py").read_text()


def stderr_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal (stdout a pipe); returns exit code, stdout, terminal output."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [*COMMAND, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=slave, env={**os.environ, "TERM": "xterm"}
    )
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the process has exited
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    out = process.stdout.read().decode()
    code = process.wait(timeout=300)
    os.close(master)
    return code, out, seen.decode("utf-8", "replace")


def test_a_progress_bar_on_a_terminal_only_and_never_with_quiet(tmp_path: Path) -> None:
    root = many_files(tmp_path / "repo", 300)  # rewrite (not scan) to be sure the run takes over a second
    code, out, terminal = stderr_on_a_terminal(["rewrite", "--statistics", "-j", "1", "."], root)
    assert code == 1, out  # changes pending
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)
    assert "300/300 files" in plain and "━" in plain  # rich's bar, counting files
    assert "━" not in out  # never in the output
    code, _, quiet = stderr_on_a_terminal(["rewrite", "--statistics", "-q", "-j", "1", "."], root)
    assert code == 1 and "files" not in quiet
    piped = otmigrate("rewrite", "--statistics", "-j", "1", ".", cwd=root)
    assert piped.stderr == ""  # stderr not a terminal: no bar


def interrupt(args: list[str], cwd: Path, when) -> tuple[int, float, str, list[int]]:
    """Start the CLI in its own process group (a terminal's foreground job), wait for `when()`, then
    send SIGINT to the whole group, as Ctrl-C does; returns exit code, seconds to exit, stderr, and the
    worker processes it had then."""
    process = subprocess.Popen(
        [*COMMAND, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 240
    while not when(process.pid) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be interrupted"
    workers = children(process.pid)
    os.killpg(process.pid, signal.SIGINT)
    sent = time.monotonic()
    code = process.wait(timeout=60)
    elapsed = time.monotonic() - sent
    return code, elapsed, process.stderr.read().decode(), workers


def children(pid: int) -> list[int]:
    listed = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(child) for child in listed.split()]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.parametrize("phase", ["processing", "writing"])
def test_ctrl_c_ends_the_run_at_once_and_leaves_no_half_written_file(tmp_path: Path, phase: str) -> None:
    migrated = migrated_text(tmp_path)
    root = many_files(tmp_path / "repo", 1500)
    files = sorted(root.rglob("*.py"))
    originals = {p: p.read_text() for p in files}

    def when(pid: int) -> bool:
        if phase == "processing":  # the pool's workers are at work
            return len(children(pid)) == 2
        return any(p.read_text() != originals[p] for p in files[::50])  # the first files are written

    code, elapsed, stderr, workers = interrupt(["rewrite", "--apply", "-j", "2", "."], root, when)
    assert code == 130, stderr
    assert elapsed < 1.0
    assert "Traceback" not in stderr and stderr.strip() == "otmigrate: interrupted", stderr
    written = 0
    for path in files:
        text = path.read_text()
        expected = migrated.replace("work0", f"work{path.stem.removeprefix('mod')}")
        assert text in (originals[path], expected), path  # untouched or completely written
        written += text == expected
    assert (written == 0) == (phase == "processing"), written
    assert not [p for p in root.rglob("*") if p.name.endswith(".otmigrate")]  # no temp file left
    assert (len(workers) == 2) == (phase == "processing"), workers  # a pool of -j 2 while processing
    time.sleep(0.5)
    assert not [pid for pid in workers if alive(pid)], "workers outlived the run"


@pytest.mark.parametrize("output_format", ["text", "json"])
@pytest.mark.parametrize("command", ["scan", "rewrite", "lint"])
def test_output_file_holds_exactly_what_stdout_would(
    tmp_path: Path, command: str, output_format: str
) -> None:
    (tmp_path / "a.py").write_bytes(LEGACY.replace("\n", "\r\n").encode())
    shown = subprocess.run(
        [*COMMAND, command, "--format", output_format, "a.py"], cwd=tmp_path, capture_output=True
    )
    to_file = otmigrate(command, "--format", output_format, "-o", "out.txt", "a.py", cwd=tmp_path)
    assert to_file.stdout == "" and to_file.returncode == shown.returncode
    assert (tmp_path / "out.txt").read_bytes() == shown.stdout
    bad = otmigrate(command, "-o", "no-such-dir/out.txt", "a.py", cwd=tmp_path)
    assert bad.returncode == 2 and "no-such-dir/out.txt" in bad.stderr


def test_statistics_count_per_rule(tmp_path: Path) -> None:
    for index in range(3):
        (tmp_path / f"m{index}.py").write_text(LEGACY)
    lint = otmigrate("lint", "--statistics", ".", cwd=tmp_path)
    assert lint.returncode == 1
    assert lint.stdout.splitlines() == ["3  OTM901  legacy-tracing-import"]
    scan = json.loads(otmigrate("scan", "--statistics", "--format", "json", ".", cwd=tmp_path).stdout)
    assert {"rule": "py-opentracing-import", "description": "opentracing, fix: safe", "count": 3} in scan
    for index in range(2):
        (tmp_path / f"m{index}.py").write_text(
            'import opentracing\n\n\ndef handler():\n    with opentracing.tracer.start_active_span("w"):\n'
            "        pass\n"
        )
    rewrite = otmigrate("rewrite", "--statistics", ".", cwd=tmp_path)
    assert rewrite.returncode == 1
    assert rewrite.stdout == (  # m2.py still has the chained start_span("work").finish()
        "2  py-opentracing-start-active-span  migrated\n1  py-opentracing-span-methods       migrated\n"
    )
