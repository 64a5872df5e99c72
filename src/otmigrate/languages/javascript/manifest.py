"""package.json: the legacy tracing packages go, the OpenTelemetry packages the migrated code imports come.

The versions are exact: they are the ones the JavaScript fixtures run against
(tests/javascript/harness/package.json, a test keeps the two equal). The OTel JS packages move in
lock-step (core 2.x with the experimental 0.2xx line), so a caret range could pair untested versions.
The manifest only sees itself, not the code, so each legacy package brings everything its migration may
import (a jaeger-client service gets both the Jaeger and the B3 propagator package).
"""

from __future__ import annotations

import json
import re
from typing import Any

MANIFEST_NAMES = ("package.json",)

VERSIONS = {
    "@opentelemetry/api": "1.9.1",
    "@opentelemetry/core": "2.12.0",
    "@opentelemetry/exporter-trace-otlp-http": "0.212.0",
    "@opentelemetry/exporter-zipkin": "2.12.0",
    "@opentelemetry/instrumentation": "0.212.0",
    "@opentelemetry/instrumentation-express": "0.60.0",
    "@opentelemetry/instrumentation-http": "0.212.0",
    "@opentelemetry/instrumentation-undici": "0.22.0",
    "@opentelemetry/propagator-b3": "2.12.0",
    "@opentelemetry/propagator-jaeger": "2.12.0",
    "@opentelemetry/resources": "2.12.0",
    "@opentelemetry/sdk-trace-base": "2.12.0",
    "@opentelemetry/sdk-trace-node": "2.12.0",
    "@opentelemetry/semantic-conventions": "1.43.0",
}
_SDK = [
    "@opentelemetry/api",
    "@opentelemetry/core",
    "@opentelemetry/resources",
    "@opentelemetry/sdk-trace-base",
    "@opentelemetry/sdk-trace-node",
    "@opentelemetry/semantic-conventions",
]
_INSTRUMENTATION = [
    "@opentelemetry/instrumentation",
    "@opentelemetry/instrumentation-http",
    "@opentelemetry/instrumentation-express",
    "@opentelemetry/instrumentation-undici",
]
REPLACEMENTS = {
    "opentracing": ["@opentelemetry/api"],
    "jaeger-client": [
        *_SDK,
        "@opentelemetry/exporter-trace-otlp-http",
        "@opentelemetry/propagator-b3",
        "@opentelemetry/propagator-jaeger",
    ],
    "zipkin": [*_SDK, "@opentelemetry/exporter-zipkin", "@opentelemetry/propagator-b3"],
}
"""What each legacy package's migration may import; every other `zipkin-*` package counts as zipkin."""

SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")


def _replacement(package: str) -> list[str] | None:
    if package in REPLACEMENTS:
        return REPLACEMENTS[package]
    if package.startswith("zipkin-instrumentation-"):
        return [*REPLACEMENTS["zipkin"], *_INSTRUMENTATION]
    if package.startswith("zipkin-"):
        return REPLACEMENTS["zipkin"]
    if package in ("@types/opentracing", "@types/jaeger-client", "@types/zipkin"):
        return []
    return None


def update_manifest(
    name: str, text: str, imports: frozenset[str] | None = None, keep: frozenset[str] | None = None
) -> str:
    """The package.json with legacy tracing packages replaced; unchanged when it has none (or is not JSON).

    `imports`: the OTel modules the code migrated below the manifest imports. When known, only the
    packages among them are added (an opentracing-only service gets just the API); else every package
    the legacy ones' migrations may import.
    `keep`: the legacy module specifiers files below still import after the run: their packages (and
    their `@types/` packages) stay. When it is given, `imports` is complete, so empty means none."""
    if name != "package.json":
        return text
    try:
        manifest = json.loads(text)
    except ValueError:
        return text
    if not isinstance(manifest, dict):
        return text
    changed = False
    for section in SECTIONS:
        packages = manifest.get(section)
        if isinstance(packages, dict) and any(_replacement(p) is not None for p in packages):
            replaced = _replaced(
                packages, _packages_of(imports or frozenset()), _kept_packages(keep), known=keep is not None
            )
            changed = changed or list(replaced.items()) != list(packages.items())
            manifest[section] = replaced
    if not changed:
        return text
    indent = re.search(r'^([ \t]+)"', text, re.M)
    out = json.dumps(manifest, indent=indent.group(1) if indent else 2, ensure_ascii=False)
    return out + ("\n" if text.endswith("\n") else "")


def _packages_of(modules: frozenset[str]) -> set[str]:
    """npm packages of imported modules (`@opentelemetry/semantic-conventions/incubating` → its package)."""
    return {"/".join(m.split("/")[:2]) for m in modules if m.startswith("@opentelemetry/")}


def _kept_packages(keep: frozenset[str] | None) -> set[str]:
    """The npm packages of still-imported legacy modules, with their `@types/` packages."""
    packages = {
        "/".join(m.split("/")[:2]) if m.startswith("@") else m.split("/")[0] for m in keep or frozenset()
    }
    return packages | {"@types/" + p for p in packages if not p.startswith("@")}


def _replaced(packages: dict[str, Any], imported: set[str], kept: set[str], *, known: bool) -> dict[str, Any]:
    """One section with its legacy packages swapped for their OTel packages (sorted if it was sorted):
    the ones the code imports when that is known, else all the legacy packages' migrations may use.
    `kept` packages stay; `known`: the imports are complete (none imported → none added)."""
    out = {}
    wanted: list[str] = []
    for package, version in packages.items():
        replacement = _replacement(package)
        if replacement is None or package in kept:
            out[package] = version
        else:
            wanted += [p for p in replacement if p not in wanted]
    if known and not imported:
        wanted = []
    if imported:
        wanted = [p for p in wanted if p in imported] + sorted(
            p for p in imported - set(wanted) if p in VERSIONS
        )
    for package in wanted:
        out.setdefault(package, VERSIONS[package])
    return dict(sorted(out.items())) if list(packages) == sorted(packages) else out
