"""Build and run Go fixture programs with in-memory recorders, in one `go build` for the whole session.

Every case is a `package main` file with `func run(ctx context.Context)`. The harness copies each file into
its own package of a temporary module (a copy of tests/go/harness: same go.mod, so the module cache is
shared), changing only the package clause, adds a generated file that installs the recorder for that
side and calls `run`, and links all cases into one program that prints every case's raw spans as JSON.
A case with its own environment (a FromEnv set-up) runs alone in a process started with that environment,
as a deployment would start it (the SDK caches what it read from the environment per process).
Results are cached by content hash under a file lock, so pytest-xdist workers build it once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

HARNESS = Path(__file__).parent / "harness"
GOENV = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}

_RECORDERS = {
    "opentracing": "record.NewMock()",
    "jaeger": "record.NewJaeger()",
    "zipkin": "record.NewZipkin()",
    "otel": "record.NewOTel()",
}


@dataclass(frozen=True)
class Program:
    """One case side: `library` picks the legacy recorder; side "otel" uses the OTel SDK recorder. `env`:
    environment variables the side's process starts with."""

    key: str
    library: str
    side: str
    source: str
    env: tuple[tuple[str, str], ...] = ()


def _package(key: str) -> str:
    return "c_" + re.sub(r"\W", "_", key)


def _wrapper(p: Program, pkg: str) -> str:
    if p.side.endswith(PROBE):
        return _probe_wrapper(p, pkg)
    recorder = "otel" if p.side != "legacy" else p.library
    lines = [f"r := {_RECORDERS[recorder]}"]
    if re.search(r"^var tracer\b", p.source, re.M):
        lines.append(
            "tracer = r.Tracer" if recorder == "zipkin" else 'tracer = r.Provider().Tracer("harness")'
        )
    body = "\n\t".join([*lines, "run(context.Background())", "return r.Spans()"])
    return (
        f'package {pkg}\n\nimport (\n\t"context"\n\n\t"otmigrate.test/harness/record"\n)\n\n'
        f"func Run() any {{\n\t{body}\n}}\n"
    )


PROBE = "-probe"
"""A side ending in this runs the case's main() with its own tracer set-up, and describes that set-up
(record.Probe) where main would call run(ctx); the case's run is renamed away."""


def _probe_wrapper(p: Program, pkg: str) -> str:
    tracer = "tracer" if re.search(r"^var tracer\b", p.source, re.M) else "nil"
    return (
        f'package {pkg}\n\nimport (\n\t"context"\n\n\t"otmigrate.test/harness/record"\n)\n\n'
        f"var probed record.Setup\n\nfunc run(context.Context) {{ probed = record.Probe({tracer}) }}\n\n"
        "func Run() any {\n\trecord.ResetGlobals()\n\tmain()\n\trecord.ResetGlobals()\n\treturn probed\n}\n"
    )


def _main(pkgs: list[tuple[str, str]]) -> str:
    """The program runs the cases named on its command line, else all of them."""
    imports = "\n".join(f'\t{pkg} "otmigrate.test/harness/cases/{pkg}"' for _, pkg in pkgs)
    cases = "\n".join(f'\t{{"{key}", {pkg}.Run}},' for key, pkg in pkgs)
    return f"""package main

import (
\t"encoding/json"
\t"fmt"
\t"os"
\t"slices"

{imports}
)

var out = map[string]any{{}}

var cases = []struct {{
\tkey string
\trun func() any
}}{{
{cases}
}}

func call(key string, run func() any) {{
\tdefer func() {{
\t\tif e := recover(); e != nil {{
\t\t\tout[key] = map[string]string{{"panic": fmt.Sprint(e)}}
\t\t}}
\t}}()
\tout[key] = run()
}}

func main() {{
\tfor _, c := range cases {{
\t\tif len(os.Args) == 1 || slices.Contains(os.Args[1:], c.key) {{
\t\t\tcall(c.key, c.run)
\t\t}}
\t}}
\tif err := json.NewEncoder(os.Stdout).Encode(out); err != nil {{
\t\tpanic(err)
\t}}
}}
"""


def _tree(programs: list[Program], root: Path) -> list[tuple[str, str]]:
    shutil.copy(HARNESS / "go.mod", root / "go.mod")
    shutil.copy(HARNESS / "go.sum", root / "go.sum")
    shutil.copytree(HARNESS / "record", root / "record")
    pkgs = []
    for p in programs:
        pkg = _package(p.key)
        d = root / "cases" / pkg
        d.mkdir(parents=True)
        source = re.sub(r"^package main$", f"package {pkg}", p.source, count=1, flags=re.M)
        if p.side.endswith(PROBE):
            source = re.sub(r"^func run\(", "func runWorkload(", source, count=1, flags=re.M)
        (d / "case.go").write_text(source)
        (d / "zz_harness.go").write_text(_wrapper(p, pkg))
        pkgs.append((p.key, pkg))
    return pkgs


@dataclass
class Result:
    """What the one build produced: per-case raw spans (or a panic), and per-case build/vet errors."""

    spans: dict
    build_errors: dict
    vet_errors: dict


def run_all(programs: list[Program]) -> Result:
    """Build (once per distinct input set) and run every program; vet the case packages."""
    digest = hashlib.sha256()
    for f in [HARNESS / "go.mod", HARNESS / "go.sum", *sorted((HARNESS / "record").glob("*.go"))]:
        digest.update(f.read_bytes())
    for p in sorted(programs, key=lambda p: p.key):
        digest.update(f"{p.key}\0{p.library}\0{p.side}\0{p.source}\0{p.env}\0".encode())
    base = Path(tempfile.gettempdir()) / f"otmigrate-go-{digest.hexdigest()[:16]}"
    result_file = base.with_suffix(".json")
    with open(base.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if result_file.exists():
            return Result(**json.loads(result_file.read_text()))
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir()
        envs = {p.key: dict(p.env) for p in programs if p.env}
        result = _build_and_run(base, _tree(programs, base), envs)
        result_file.write_text(json.dumps(result.__dict__))
        return result


def _go(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["go", *args], cwd=root, env=GOENV, capture_output=True, text=True)


def _errors_by_package(output: str, pkgs: list[tuple[str, str]]) -> dict[str, str]:
    """Split `go build`/`go vet` output at its `# <package>` headers into per-case messages."""
    keys = {pkg: key for key, pkg in pkgs}
    errors: dict[str, str] = {}
    for chunk in re.split(r"^# ", output, flags=re.M)[1:]:
        pkg = chunk.split("\n", 1)[0].rsplit("/", 1)[-1].split(" ")[0]
        if pkg in keys:
            errors[keys[pkg]] = errors.get(keys[pkg], "") + chunk
    return errors


def _build_and_run(root: Path, pkgs: list[tuple[str, str]], envs: dict[str, dict[str, str]]) -> Result:
    """Compile the cases, link the ones that compile into one program, run it (once for the cases without
    an environment of their own, once per case with one), and vet the cases."""
    build = _go(root, "build", "./cases/...")
    build_errors = _errors_by_package(build.stderr, pkgs) if build.returncode else {}
    if build.returncode and not build_errors:
        raise RuntimeError(f"go build failed outside the cases:\n{build.stderr}")
    (root / "main.go").write_text(_main([kp for kp in pkgs if kp[0] not in build_errors]))
    link = _go(root, "build", "-o", "prog", ".")
    if link.returncode:
        raise RuntimeError(f"harness program does not build:\n{link.stderr}")
    vet = _go(root, "vet", *[f"./cases/{pkg}" for key, pkg in pkgs if key not in build_errors])
    built = [key for key, _ in pkgs if key not in build_errors]
    spans = _run(root, [key for key in built if key not in envs], {})
    for key in (key for key in built if key in envs):
        spans.update(_run(root, [key], envs[key]))
    return Result(spans, build_errors, _errors_by_package(vet.stderr, pkgs))


def _run(root: Path, keys: list[str], env: dict[str, str]) -> dict:
    """Run the named cases of the harness program in one process with `env` added to the environment."""
    if not keys:
        return {}
    run = subprocess.run(
        [str(root / "prog"), *keys],
        cwd=root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if run.returncode:
        raise RuntimeError(f"harness program failed:\n{run.stderr[-4000:]}")
    return json.loads(run.stdout.splitlines()[-1])  # the last line: cases may print too
