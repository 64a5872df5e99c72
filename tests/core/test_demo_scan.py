"""`otmigrate scan fixtures/demo` lists every legacy usage of the three-service demo.

The counts are pinned: a change to the demo or to the rules that moves them must update them here on
purpose. (The audit behind them: every line of the demo that calls a legacy API carries a usage.)
"""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PINNED = {
    ("go", "jaeger"): 9,
    ("go", "opentracing"): 49,
    ("javascript", "zipkin"): 30,
    ("python", "jaeger"): 8,
    ("python", "opentracing"): 41,
}


def test_demo_inventory_counts_per_language_and_library() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "otmigrate", "scan", "--format", "json", "fixtures/demo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    document = json.loads(result.stdout)
    counts = Counter((f["language"], u["library"]) for f in document["files"] for u in f["usages"])
    assert dict(counts) == PINNED
    summary = document["summary"]
    assert summary["files_scanned"] == summary["files_with_legacy"] == 3
    assert summary["usages"] == sum(PINNED.values())
    assert summary["by_language"] == {"go": 58, "javascript": 30, "python": 49}
    assert summary["by_library"] == {"jaeger": 17, "opentracing": 90, "zipkin": 30}
    assert sorted(f["path"] for f in document["files"]) == [
        "fixtures/demo/backend/main.go",
        "fixtures/demo/frontend/app.py",
        "fixtures/demo/worker/worker.js",
    ]
