"""Wall time and peak memory of `otmigrate lint` on 10 and on 1,000 generated files (a benchmark, not a test).

    .venv/bin/python benchmarks/lint_bench.py [--sizes 10 1000]

Files are a mix of Python, Go and JavaScript tracing code (OTel and legacy, with and without findings),
written to a temporary directory; each size runs in a fresh `python -m otmigrate lint` process, as the
pre-commit hook does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = '''import opentracing
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
'''
GO = '''package svc

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
'''
JS = '''const {{ trace }} = require("@opentelemetry/api");
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
'''


def generate(root: Path, count: int) -> None:
    for i in range(count):
        kind = i % 3
        name, text = [(f"m{i}.py", PY), (f"m{i}.go", GO), (f"m{i}.js", JS)][kind]
        (root / name).write_text(text.format(i=i))


def measure(root: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MiB, exit code) of one lint process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "otmigrate", "lint", "--format", "json", "."], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    args = parser.parse_args()
    print(f"{'files':>6} {'wall s':>8} {'files/s':>9} {'peak MiB':>9}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp), size)
            wall, rss, code = measure(Path(tmp))
            if code not in (0, 1):
                raise SystemExit(f"otmigrate lint exited {code}")
            print(f"{size:>6} {wall:>8.2f} {size / wall:>9.0f} {rss:>9.1f}")


if __name__ == "__main__":
    main()
