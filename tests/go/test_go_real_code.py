"""Real code, not fixtures: two opentracing-contrib packages (go-stdlib's nethttp, go-grpc's otgrpc) are
copied from the module cache into a module that requires them and the OTel modules (tests/go/realworld),
migrated with `otmigrate rewrite --apply`, and built. Both export legacy types (`nethttp.Middleware(tr
opentracing.Tracer, …)`, `otgrpc.OpenTracingServerInterceptor(tracer opentracing.Tracer, …)`), so the project
model keeps them legacy (one TODO per file, report line). What the rewriter leaves must be honest: the
output builds, or every compiler error is in a statement right below a `// TODO(otmigrate)` comment."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ast_grep_py import SgRoot
from conftest import require_go

REALWORLD = Path(__file__).parent / "realworld"
# module → (package folder in it, folder of the copy); _test.go files stay out
PACKAGES = {
    "github.com/opentracing-contrib/go-stdlib": ("nethttp", "nethttp"),
    "github.com/opentracing-contrib/go-grpc": (".", "otgrpc"),
}
GOENV = {**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOTOOLCHAIN": "local"}
COMPILER_ERROR = re.compile(r"^(?:\./)?(\S+\.go):(\d+):\d+: (.*)$", re.M)
TODO = "// TODO(otmigrate):"


def _go(go: str, module: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([go, *args], cwd=module, env=GOENV, capture_output=True, text=True, timeout=600)


def _copy_packages(go: str, module: Path) -> list[Path]:
    for name in ("go.mod", "go.sum"):
        shutil.copyfile(REALWORLD / name, module / name)
    listed = _go(go, module, "list", "-m", "-json", *PACKAGES)
    assert listed.returncode == 0, listed.stderr
    dirs = {m["Path"]: Path(m["Dir"]) for m in _json_stream(listed.stdout)}
    copies = []
    for path, (package, folder) in PACKAGES.items():
        (module / folder).mkdir()
        for source in sorted((dirs[path] / package).glob("*.go")):
            if not source.name.endswith("_test.go"):
                shutil.copyfile(source, module / folder / source.name)  # the cache's files are read-only
        copies.append(module / folder)
    return copies


def _gofmt_list(folders: list[Path]) -> set[str]:
    listed = subprocess.run(["gofmt", "-l", *map(str, folders)], capture_output=True, text=True, check=True)
    return set(listed.stdout.split())


def _json_stream(text: str) -> list[dict]:
    """`go list -json` prints objects one after another, not a list."""
    decoder, out, i = json.JSONDecoder(), [], 0
    while i < len(text.rstrip()):
        obj, i = decoder.raw_decode(text, i)
        out.append(obj)
        i += len(text[i:]) - len(text[i:].lstrip())
    return out


def _lines_under_todos(source: str) -> set[int]:
    """1-based lines of the statements that a TODO(otmigrate) comment sits right above."""
    covered: set[int] = set()
    for comment in SgRoot(source, "go").root().find_all(kind="comment"):
        statement = comment.next()
        if comment.text().startswith(TODO) and statement is not None:
            covered |= set(range(statement.range().start.line + 1, statement.range().end.line + 2))
    return covered


def test_migrated_real_code_builds_or_fails_only_under_todos(tmp_path: Path) -> None:
    go = require_go()
    module = tmp_path / "realworld"
    module.mkdir()
    copies = _copy_packages(go, module)
    legacy = _go(go, module, "build", "./...")
    assert legacy.returncode == 0, f"the legacy copy does not build:\n{legacy.stderr}"
    unformatted = _gofmt_list(copies)  # old code predates some of today's gofmt rules

    rewrite = subprocess.run(
        [sys.executable, "-m", "otmigrate", "rewrite", "--apply", *map(str, copies)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "rewritten" in rewrite.stdout, rewrite.stdout + rewrite.stderr
    migrated = {f.relative_to(module).as_posix(): f.read_text() for f in module.glob("*/*.go")}
    assert _gofmt_list(copies) <= unformatted, "the rewrite left gofmt-clean files unformatted"

    build = _go(go, module, "build", "-gcflags=-e", "./...")
    errors = COMPILER_ERROR.findall(build.stderr)
    covered = {name: _lines_under_todos(text) for name, text in migrated.items()}
    uncovered = [e for e in errors if int(e[1]) not in covered.get(e[0], set())]
    todos = sum(text.count(TODO) for text in migrated.values())
    print(f"\nreal code: {todos} TODO(otmigrate), {len(errors)} compiler errors, {len(uncovered)} uncovered")
    print(build.stderr)
    assert build.returncode == 0 or (errors and not uncovered), "\n".join(":".join(e) for e in uncovered)
    kept = [
        name for name, text in migrated.items() if "this package stays on its legacy tracing library" in text
    ]
    legacy = [name for name, text in migrated.items() if "github.com/opentracing/opentracing-go" in text]
    assert sorted(kept) == sorted(legacy), "every file of the two libraries that imports opentracing is kept"
