"""Wall time and peak memory of `otmigrate scan` and `otmigrate rewrite` (a benchmark, not a test).

    .venv/bin/python benchmarks/core_bench.py [--sizes 10 1000] [--jobs 1 0]

The files are the legacy inputs of fixtures/ (Python, Go and JavaScript; every one real tracing code that
the rules match), copied round-robin into a temporary directory until there are `size` of them, plus as
many files without any tracing, as a repository has. Each command runs in a fresh process, as a user runs
it. `--jobs 0` means otmigrate's default (one worker per core; serial below 16 files).
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PLAIN = "def helper_{i}(values):\n    return sorted(v * 2 for v in values)\n"


def generate(root: Path, count: int) -> None:
    inputs = sorted(p for p in FIXTURES.glob("*/*/*/input.*") if p.suffix in (".py", ".go", ".js", ".mjs"))
    for i, source in zip(range(count), itertools.cycle(inputs)):
        (root / f"{source.parent.name}_{i}{source.suffix}").write_bytes(source.read_bytes())
        (root / f"plain_{i}.py").write_text(PLAIN.format(i=i))


def measure(root: Path, command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MiB, exit code) of one otmigrate process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "otmigrate", *command, "."],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 0])
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}")
    print(f"{'command':<8} {'tracing files':>13} {'jobs':>5} {'wall s':>8} {'files/s':>8} {'peak MiB':>9}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp), size)
            for name, command in (
                ("scan", ["scan", "--format", "json"]),
                ("rewrite", ["rewrite", "--format", "json"]),
            ):
                for jobs in args.jobs:
                    wall, rss, code = measure(Path(tmp), [*command, "--jobs", str(jobs)] if jobs else command)
                    if code not in (0, 1):
                        raise SystemExit(f"otmigrate {name} exited {code}")
                    label = str(jobs) if jobs else "auto"
                    print(f"{name:<8} {size:>13} {label:>5} {wall:>8.2f} {size / wall:>8.0f} {rss:>9.1f}")


if __name__ == "__main__":
    main()
