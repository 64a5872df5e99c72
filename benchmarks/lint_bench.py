"""Wall time and peak memory of `otmigrate lint` on 10 and on 1,000 generated files (a benchmark, not a test),
serially and with a process pool (`--jobs`), to decide the default.

    .venv/bin/python benchmarks/lint_bench.py [--sizes 10 100 1000] [--jobs 1 2] [--repeat 3]

Files are a mix of Python, Go and JavaScript tracing code (OTel and legacy, with and without findings),
written to a temporary directory; each run is a fresh `python -m otmigrate lint` process, as the
pre-commit hook is. The best of `--repeat` runs is printed (peak RSS is the main process's).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = """import opentracing
from opentelemetry import trace

tracer = trace.get_tracer(__name__)


def handle_{i}(request, items):
    span = tracer.start_span("handle")
    for n, item in enumerate(items):
        span.set_attribute(f"item.{{n}}", item)
    if not items:
        return None
    with tracer.start_as_current_span("GET " + request.path) as child:
        child.set_attribute("http.method", "GET")
    span.end()
    return items
"""
GO = """package svc

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
)

var tracer = otel.Tracer("svc")

func Handle{i}(ctx context.Context, id string) error {{
	ctx, span := tracer.Start(ctx, "handle")
	if id == "" {{
		return errors.New("no id")
	}}
	defer span.End()
	return work(ctx)
}}
"""
JS = """const {{ trace }} = require("@opentelemetry/api");
const tracer = trace.getTracer("svc");

function handle{i}(req) {{
  return tracer.startActiveSpan("handle", async (span) => {{
    try {{
      span.setAttribute(`job.${{req.id}}`, 1);
      return await work(req);
    }} finally {{
      span.end();
    }}
  }});
}}
module.exports = {{ handle{i} }};
"""


def generate(root: Path, count: int) -> None:
    for i in range(count):
        kind = i % 3
        name, text = [(f"m{i}.py", PY), (f"m{i}.go", GO), (f"m{i}.js", JS)][kind]
        (root / name).write_text(text.format(i=i))


def measure(root: Path, jobs: int) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds incl. pool workers, peak RSS in MiB) of one lint process.

    CPU time is the load-independent half: on a busy machine the wall time of a pool says little."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "otmigrate", "lint", "--format", "json", "--jobs", str(jobs), "."]
    proc = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"otmigrate lint --jobs {jobs} exited {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'files':>6} {'jobs':>5} {'wall s':>8} {'cpu s':>7} {'files/s':>9} {'peak MiB':>9}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp), size)
            measure(Path(tmp), 1)  # warm-up: the files were just written (page cache, writeback)
            for jobs in dict.fromkeys(args.jobs):
                wall, cpu, rss = min(measure(Path(tmp), jobs) for _ in range(args.repeat))
                print(f"{size:>6} {jobs:>5} {wall:>8.2f} {cpu:>7.2f} {size / wall:>9.0f} {rss:>9.1f}")


if __name__ == "__main__":
    main()
