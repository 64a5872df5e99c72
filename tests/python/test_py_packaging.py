"""A whole Python project through `otmigrate rewrite --apply`: its setup.py, setup.cfg, pyproject.toml
and requirements.txt lose the legacy tracing packages and gain what the migrated code imports, pinned to
versions that exist (the ones the tests run), and its tracing code migrates with them."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from pymigrate_support import FIXTURES, require_modules, span_tree

PROJECT = FIXTURES / "packaging"
MANIFESTS = ("setup.py", "setup.cfg", "pyproject.toml", "requirements.txt")
# The distribution each OpenTelemetry module of the migrated code comes from.
DISTRIBUTIONS = {
    "opentelemetry.sdk": "opentelemetry-sdk",
    "opentelemetry.exporter.otlp.proto.http": "opentelemetry-exporter-otlp-proto-http",
    "opentelemetry.propagators.b3": "opentelemetry-propagator-b3",
    "opentelemetry.propagators.jaeger": "opentelemetry-propagator-jaeger",
    "opentelemetry": "opentelemetry-api",
}


def _rewrite(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "otmigrate", "rewrite", "--apply", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _requirements(manifest: Path) -> dict[str, Requirement]:
    """The requirement lines of a manifest (this project writes one per line, quoted or not)."""
    found = {}
    for line in manifest.read_text().splitlines():
        text = line.split("#")[0].strip().strip(",").strip("\"'")
        if text.startswith("opentelemetry"):
            requirement = Requirement(text)
            found[requirement.name] = requirement
    return found


def _imported_distributions(source: str) -> set[str]:
    modules = {
        line.split()[1]
        for line in source.splitlines()
        if line.startswith(("from opentelemetry", "import opentelemetry"))
    }
    return {next(d for prefix, d in DISTRIBUTIONS.items() if m.startswith(prefix)) for m in modules}


def test_project_manifests_and_code_migrate_together(tmp_path: Path):
    project = tmp_path / "checkout"
    shutil.copytree(PROJECT / "input", project)
    first = _rewrite(project)
    assert first.returncode == 0, first.stdout + first.stderr
    expected = PROJECT / "expected"
    for path in sorted(p for p in expected.rglob("*") if p.is_file()):
        relative = path.relative_to(expected)
        assert (project / relative).read_text() == path.read_text(), relative
    again = _rewrite(project)
    assert again.returncode == 0 and "0 files" in again.stdout, again.stdout  # idempotent

    needed = _imported_distributions((expected / "checkout" / "service.py").read_text())
    assert "opentelemetry-propagator-b3" in needed
    for name in MANIFESTS:
        requirements = _requirements(expected / name)
        assert needed <= requirements.keys(), (name, needed - requirements.keys())
        assert "opentelemetry-propagator-jaeger" not in requirements  # the set-up speaks B3 only
        for requirement in requirements.values():  # the pins admit the versions the fixtures run on
            installed = importlib.metadata.version(requirement.name)
            assert requirement.specifier.contains(installed), (name, requirement, installed)


def test_project_code_is_equivalent():
    require_modules("jaeger_client")
    service = Path("checkout") / "service.py"
    legacy = span_tree("legacy", "jaeger", PROJECT / "input" / service)
    assert legacy["tree"]
    assert span_tree("otel", "jaeger", PROJECT / "expected" / service) == legacy
