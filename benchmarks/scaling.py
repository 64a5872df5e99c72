"""How the cost of rewrite, lint and scan grows with file size and with tree size (a benchmark, not a test).

    .venv/bin/python benchmarks/scaling.py [--only go-rewrite ...] [--scales 1 2 4 8] [--limit 1.2]

Each case generates legacy tracing code at 1x, 2x, 4x, 8x its base size (one file growing, or a tree of
more files), runs the pass in this process and measures CPU seconds (this process and its children, e.g.
gofmt). It prints the cost per scale and the exponent k of cost ∝ scale^k fitted over the scales (least
squares in log-log); linear work has k ≈ 1. It exits 1, naming the cases, when any k exceeds --limit.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

PY_UNIT = """

def handle_{i}(request, items):
    with opentracing.tracer.start_active_span("handle-{i}") as scope:
        scope.span.set_tag("item.count", len(items))
        for n, item in enumerate(items):
            if item is None:
                scope.span.log_kv({{"event": "skip", "n": n}})
                continue
            span = opentracing.tracer.start_span("item", child_of=scope.span)
            span.set_tag("item.id", item)
            span.finish()
        return items
"""
GO_UNIT = """
func Handle{i}(ctx context.Context, items []string) error {{
	span, ctx := opentracing.StartSpanFromContext(ctx, "handle-{i}")
	defer span.Finish()
	span.SetTag("item.count", len(items))
	for n, item := range items {{
		if item == "" {{
			span.LogKV("event", "skip", "n", n)
			continue
		}}
		child := opentracing.StartSpan("item", opentracing.ChildOf(span.Context()))
		child.SetTag("item.id", item)
		child.Finish()
	}}
	_ = ctx
	return nil
}}
"""
JS_UNIT = """
function handle{i}(items) {{
  const span = opentracing.globalTracer().startSpan('handle-{i}');
  span.setTag('item.count', items.length);
  for (const item of items) {{
    if (!item) {{
      span.log({{ event: 'skip' }});
      continue;
    }}
  }}
  span.finish();
  return items;
}}
"""
HEADS = {
    "python": ("svc.py", "import opentracing\n", PY_UNIT),
    "go": (
        "svc.go",
        'package svc\n\nimport (\n\t"context"\n\n\topentracing "github.com/opentracing/opentracing-go"\n)\n',
        GO_UNIT,
    ),
    "javascript": ("svc.js", "const opentracing = require('opentracing');\n", JS_UNIT),
}


def source(language: str, units: int) -> tuple[str, str]:
    name, head, unit = HEADS[language]
    return name, head + "".join(unit.format(i=i) for i in range(units))


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def per_file(language: str, command: str, base_units: int) -> Callable[[int, Path], None]:
    """One file of `base_units x scale` functions through `command`."""
    from otmigrate.config import Settings
    from otmigrate.languages import LANGUAGES
    from otmigrate.lint import analyze
    from otmigrate.lint.registry import RULES
    from otmigrate.lint.settings import resolve
    from otmigrate.rewrite import rewrite_file
    from otmigrate.rulefiles import load_rules
    from otmigrate.scan import scan_file

    rules, settings = load_rules(), Settings()
    config = resolve(RULES, {})

    def run(scale: int, folder: Path) -> None:
        name, text = source(language, base_units * scale)
        path = folder / name
        path.write_text(text)
        if command == "rewrite":
            result = rewrite_file(path, LANGUAGES[language], rules, settings, unsafe=False)
            assert result is not None and result.error is None, result and result.error
        elif command == "lint":
            analyze(name, text, language, config)
        else:
            found = scan_file(path, language, rules)
            assert found is not None and found.error is None

    return run


def per_tree(command: str, base_files: int) -> Callable[[int, Path], None]:
    """`base_files x scale` small files (all three languages, with manifests) through `command`."""
    from otmigrate.config import Settings
    from otmigrate.rewrite import rewrite_paths
    from otmigrate.rulefiles import load_rules
    from otmigrate.scan import scan_paths

    rules, settings = load_rules(), Settings()

    def run(scale: int, folder: Path) -> None:
        for i in range(base_files * scale):
            language = ("python", "go", "javascript")[i % 3]
            name, text = source(language, 2)
            package = folder / f"pkg{i // 20}"
            package.mkdir(exist_ok=True)
            (package / f"{i}_{name}").write_text(text)
            if i % 20 == 0:
                (package / "requirements.txt").write_text("opentracing==2.4.0\n")
        if command == "rewrite":
            rewrite_paths([str(folder)], settings, rules, 1, unsafe=False, apply=False)
        else:
            scan_paths([str(folder)], settings, rules, 1)

    return run


CASES: dict[str, Callable[[], Callable[[int, Path], None]]] = {
    "python-rewrite": lambda: per_file("python", "rewrite", 40),
    "python-lint": lambda: per_file("python", "lint", 200),
    "python-scan": lambda: per_file("python", "scan", 200),
    "go-rewrite": lambda: per_file("go", "rewrite", 10),
    "go-lint": lambda: per_file("go", "lint", 100),
    "go-scan": lambda: per_file("go", "scan", 100),
    "javascript-rewrite": lambda: per_file("javascript", "rewrite", 20),
    "javascript-lint": lambda: per_file("javascript", "lint", 100),
    "tree-rewrite": lambda: per_tree("rewrite", 30),
    "tree-scan": lambda: per_tree("scan", 60),
}


def exponent(scales: list[int], costs: list[float]) -> float:
    xs = [math.log(s) for s in scales]
    ys = [math.log(max(c, 1e-6)) for c in costs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), default=sorted(CASES))
    parser.add_argument("--scales", nargs="*", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--limit", type=float, default=1.2)
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)
    over = []
    print(f"{'case':20} " + " ".join(f"{f'{s}x (s)':>9}" for s in args.scales) + "   exponent")
    for name in args.only:
        run = CASES[name]()
        run(1, Path(tempfile.mkdtemp(prefix="scaling-warmup-")))  # imports, parsers, caches
        costs = []
        for scale in args.scales:
            with tempfile.TemporaryDirectory(prefix=f"scaling-{name}-") as folder:
                start = cpu_seconds()
                run(scale, Path(folder))
                costs.append(cpu_seconds() - start)
        k = exponent(args.scales, costs)
        flag = "  ** SUPER-LINEAR **" if k > args.limit else ""
        print(f"{name:20} " + " ".join(f"{c:9.2f}" for c in costs) + f"   {k:6.2f}{flag}", flush=True)
        if k > args.limit:
            over.append(f"{name} (k={k:.2f})")
    if over:
        print(f"FAIL: cost grows faster than scale^{args.limit}: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
