"""The Go project model (languages/go/project.py): which packages of a module stay on their legacy tracing
library, and the rewrite of a whole module that follows from it — kept packages untouched but one TODO,
go.mod keeping what they import, and the module building afterwards."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import require_go
from test_go_real_code import GOENV, REALWORLD

from otmigrate.languages.go.project import build

OT = '"github.com/opentracing/opentracing-go"'
LIBRARY = f"""package lib

import (
\t"context"

\t{OT}
)

// Traced is the package's API: its users hand it their OpenTracing tracer.
func Traced(ctx context.Context, tracer opentracing.Tracer, name string) context.Context {{
\tspan, ctx := opentracing.StartSpanFromContextWithTracer(ctx, tracer, name)
\tdefer span.Finish()
\treturn ctx
}}
"""
BOUNDARY = f"""package web

import (
\t"net/http"

\t"github.com/opentracing-contrib/go-stdlib/nethttp"
\t{OT}
)

func Handler(next http.Handler) http.Handler {{
\treturn nethttp.Middleware(opentracing.GlobalTracer(), next)
}}
"""
SERVICE = f"""package svc

import (
\t"context"

\t{OT}
)

func Work(ctx context.Context) {{
\tspan, _ := opentracing.StartSpanFromContext(ctx, "work")
\tdefer span.Finish()
}}
"""
SETUP_API = """package tracing

import (
\t"io"

\tjaegercfg "github.com/uber/jaeger-client-go/config"
)

type config struct{ opts []jaegercfg.Option }

func New(service string, options ...jaegercfg.Option) (io.Closer, error) {
\treturn jaegercfg.Configuration{ServiceName: service}.InitGlobalTracer(service, options...)
}
"""


def _module(root: Path, packages: dict[str, str]) -> Path:
    shutil.copyfile(REALWORLD / "go.mod", root / "go.mod")
    shutil.copyfile(REALWORLD / "go.sum", root / "go.sum")
    for folder, source in packages.items():
        (root / folder).mkdir(parents=True)
        (root / folder / f"{folder}.go").write_text(source)
    return root


def rewrite_module(module: Path) -> str:
    """`otmigrate rewrite --apply` on a whole module; its report."""
    rewrite = subprocess.run(
        [sys.executable, "-m", "otmigrate", "rewrite", "--apply", "--force", str(module)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rewrite.returncode == 0, rewrite.stdout + rewrite.stderr
    return rewrite.stdout


def _kept(root: Path) -> dict[str, str]:
    model = build(sorted(root.rglob("*.go")), None)
    return {Path(folder).name: reason for folder, reason in model.kept.items()}


def test_a_package_whose_api_takes_legacy_types_stays(tmp_path: Path) -> None:
    kept = _kept(_module(tmp_path, {"lib": LIBRARY, "svc": SERVICE, "tracing": SETUP_API}))
    assert "Traced" in kept["lib"]
    assert "New" in kept["tracing"]  # a variadic ...jaegercfg.Option counts; the unexported struct not
    assert "config" not in kept["tracing"].split("(")[1].split(")")[0]
    # tracing sets up the global tracer and stays legacy: svc's spans must go to that tracer too
    assert "global tracer" in kept["svc"]


def test_a_package_handing_values_to_a_legacy_library_stays_and_so_does_the_global_flow(
    tmp_path: Path,
) -> None:
    kept = _kept(_module(tmp_path, {"web": BOUNDARY, "svc": SERVICE}))
    assert "nethttp" in kept["web"]
    assert "global tracer" in kept["svc"]


def test_a_module_with_nothing_kept_is_migrated(tmp_path: Path) -> None:
    assert _kept(_module(tmp_path, {"svc": SERVICE})) == {}


def test_kept_packages_build_after_the_rewrite(tmp_path: Path) -> None:
    """The whole module through the CLI: kept packages get one TODO each and nothing else, go.mod keeps
    every legacy requirement, and the module builds and vets."""
    go = require_go()
    module = _module(tmp_path, {"lib": LIBRARY, "web": BOUNDARY, "svc": SERVICE})
    before = {p: p.read_text() for p in module.rglob("*") if p.is_file()}
    assert "package kept legacy" in rewrite_module(module)
    for path, text in before.items():
        after = path.read_text()
        if path.suffix == ".go":
            added = [line for line in after.splitlines() if line not in text.splitlines()]
            assert added and all(line.startswith("// ") for line in added), after
            assert added[0].startswith("// TODO(otmigrate): this package stays on its legacy tracing library")
        else:
            assert after == text, path
    for args in (("build", "./..."), ("vet", "./...")):
        done = subprocess.run([go, *args], cwd=module, env=GOENV, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr


JOB_TYPE = f"""package jobs

import {OT}

type job struct {{
\tname string
\tspan opentracing.Span
}}

func begin(name string) *job {{
\tspan := opentracing.StartSpan(name)
\treturn &job{{name: name, span: span}}
}}
"""
JOB_WORK = f"""package jobs

import {OT}

var _ opentracing.Span

// Finish ends the job's span, declared in another file of the package.
func Finish(j *job, items int) {{
\tj.span.SetTag("items", items)
\tj.span.Finish()
}}
"""


def test_a_field_declared_in_another_file_of_the_package_is_typed(tmp_path: Path) -> None:
    """`j.span` is declared in types.go; work.go's calls on it are migrated (they got a TODO: unknown
    receiver) and the package builds."""
    go = require_go()
    module = _module(tmp_path, {})
    (module / "jobs").mkdir()
    (module / "jobs" / "types.go").write_text(JOB_TYPE)
    (module / "jobs" / "work.go").write_text(JOB_WORK)
    rewrite_module(module)
    work = (module / "jobs" / "work.go").read_text()
    assert 'j.span.SetAttributes(attribute.Int("items", items))' in work and "j.span.End()" in work
    assert "TODO" not in work
    done = subprocess.run(
        [go, "vet", "./..."], cwd=module, env=GOENV, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr


def test_scan_says_a_kept_package_is_left_for_a_person(tmp_path: Path) -> None:
    """scan is rewrite's dry run: every usage in a kept package is `manual` (rewrite adds only a TODO),
    a migrated package's usages keep their fixes."""
    module = _module(tmp_path, {"lib": LIBRARY, "svc": SERVICE})
    scan = subprocess.run(
        [sys.executable, "-m", "otmigrate", "scan", "--format", "json", str(module)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    files = {Path(f["path"]).parent.name: f["usages"] for f in json.loads(scan.stdout)["files"]}
    assert files["lib"] and {u["fix"] for u in files["lib"]} == {"manual", "none"}  # nothing safe
    assert "safe" in {u["fix"] for u in files["svc"]}
