"""A killed run leaves nothing behind that lasts (issue 16, point 4), through the real CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_temp_file_left_by_a_killed_run_is_removed_by_the_next(tmp_path, cli, legacy):
    (tmp_path / "svc.py").write_text(legacy)
    stale = tmp_path / f".svc.py.otm{_dead_pid()}-k2j4x9q1.otmigrate"
    stale.write_text(legacy[:20])
    live = tmp_path / f".svc.py.otm{os.getpid()}-a8d7f6s5.otmigrate"  # a run still writing it
    live.write_text(legacy[:20])
    user_file = tmp_path / ".notes.otmigrate"  # not one of ours
    user_file.write_text("mine\n")
    result = cli("rewrite", "--apply", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert live.exists() and user_file.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, user_file.name, "svc.py"])


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_pool_workers_die_with_the_main_process(tmp_path, legacy, how):
    for i in range(40):
        (tmp_path / f"svc{i}.py").write_text(legacy * 60)
    main = subprocess.Popen(
        [sys.executable, "-m", "otmigrate", "rewrite", "-j", "2", "."],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and main.poll() is None:
            workers = _children(main.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the run never started its pool"
        main.send_signal(how)
        main.wait(timeout=30)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers)
    finally:
        main.kill()
        for worker in workers:
            if _alive(worker):
                os.kill(worker, signal.SIGKILL)
