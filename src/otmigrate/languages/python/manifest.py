"""Python dependency manifests: legacy tracing requirements out, the OpenTelemetry ones in.

Handles requirements*.txt, pyproject.toml (a `dependencies = [...]` array, one requirement per line,
as PEP 621 files are usually written), setup.cfg (`install_requires =` continuation lines) and
setup.py (`install_requires=[...]` string items, one per line). Text-level on purpose: the rest of
the file, comments and formatting included, stays exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MANIFEST_NAMES = ("requirements*.txt", "pyproject.toml", "setup.cfg", "setup.py")

OTEL_VERSION = "~=1.45"  # the release the fixtures are tested with (tests/python)
# The migrated set-ups import the OTLP exporter over HTTP only (sdk_setup.py); the meta-package
# `opentelemetry-exporter-otlp` would also pull the gRPC exporter and grpcio.
BASE = ["opentelemetry-api", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http"]
# What each legacy package's migrated set-up may import besides the base packages.
EXTRA = {
    "jaeger-client": ["opentelemetry-propagator-b3", "opentelemetry-propagator-jaeger"],
    "py-zipkin": ["opentelemetry-exporter-zipkin-json"],
    "opentracing": [],
}
# The module each of those comes with: when the migrated code's imports are known, only the extras
# it imports are added (a b3 set-up needs no jaeger propagator).
EXTRA_MODULES = {
    "opentelemetry-propagator-b3": "opentelemetry.propagators.b3",
    "opentelemetry-propagator-jaeger": "opentelemetry.propagators.jaeger",
    "opentelemetry-exporter-zipkin-json": "opentelemetry.exporter.zipkin",
}
# The top-level module each legacy distribution provides: a file that still imports it keeps the package.
LEGACY_MODULES = {"opentracing": "opentracing", "jaeger-client": "jaeger_client", "py-zipkin": "py_zipkin"}
Wanted = Callable[[str], bool]  # whether an extra package is added
_NAME = re.compile(r"""^(\s*["']?)([A-Za-z0-9][A-Za-z0-9._-]*)""")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _legacy(line: str) -> str | None:
    """The legacy package a requirement line names, if any."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    match = _NAME.match(line)
    if match is None:
        return None
    name = _normalise(match.group(2))
    return name if name in EXTRA else None


def update_manifest(
    name: str, text: str, imports: frozenset[str] | None = None, keep: frozenset[str] | None = None
) -> str:
    """The manifest with legacy tracing requirements replaced; unchanged when it has none.

    `imports`: the OTel modules that the code migrated below the manifest imports. When there are
    some, only the extra packages they come from are added; else (not known, or the code was migrated
    in an earlier run) every extra the legacy package's set-up may need.
    `keep`: the legacy modules files below the manifest still import after the run; their packages stay.
    When it is known, OTel packages are added only for OTel modules the code imports."""
    # Known imports and none of them OTel: nothing below needs an OTel package.
    wanted = None if keep is not None and not imports else _wanted(imports or frozenset())
    kept = _kept_packages(keep)
    if name == "pyproject.toml":
        return _in_block(
            text,
            re.compile(r"^\s*dependencies\s*=\s*\["),
            re.compile(r"^\s*\]"),
            wanted,
            kept,
            quoted=True,
        )
    if name == "setup.py":
        return _in_block(
            text,
            re.compile(r"install_requires\s*=\s*\["),
            re.compile(r"^\s*\]"),
            wanted,
            kept,
            quoted=True,
        )
    if name == "setup.cfg":
        return _in_block(
            text, re.compile(r"^\s*install_requires\s*="), re.compile(r"^\S"), wanted, kept, quoted=False
        )
    return _replace(text.splitlines(keepends=True), wanted, kept, quoted=False, indent="")


def _kept_packages(keep: frozenset[str] | None) -> set[str] | None:
    """The legacy distributions whose modules are still imported; None when that is not known."""
    if keep is None:
        return None
    tops = {module.split(".")[0] for module in keep}
    return {package for package, module in LEGACY_MODULES.items() if module in tops}


def _wanted(imports: frozenset[str]) -> Wanted:
    """Which of the packages a legacy package's replacement may need are added."""

    def wanted(extra: str) -> bool:
        module = EXTRA_MODULES[extra]
        return not imports or any(m == module or m.startswith(module + ".") for m in imports)

    return wanted


def _in_block(
    text: str,
    start: re.Pattern[str],
    end: re.Pattern[str],
    wanted: Wanted | None,
    kept: set[str] | None,
    *,
    quoted: bool,
) -> str:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not start.search(line):
            continue
        j = i + 1
        while j < len(lines) and not end.search(lines[j]):
            j += 1
        block = lines[i + 1 : j]
        indent = next((re.match(r"\s*", b).group(0) for b in block if b.strip()), "    ")  # type: ignore[union-attr]
        new = _replace(block, wanted, kept, quoted=quoted, indent=indent)
        return "".join(lines[: i + 1]) + new + "".join(lines[j:])
    return text


def _replace(
    lines: list[str], wanted: Wanted | None, kept: set[str] | None, *, quoted: bool, indent: str
) -> str:
    """`kept`: legacy packages the code still imports (they stay); None: unknown, all of them go.
    `wanted` None: no OTel package is added."""
    found = [pkg for pkg in (_legacy(line) for line in lines) if pkg]
    if not found:
        return "".join(lines)
    packages = [] if wanted is None else BASE + [e for pkg in found for e in EXTRA[pkg] if wanted(e)]
    present = {_normalise(m.group(2)) for line in lines if (m := _NAME.match(line)) and line.strip()}
    added = [pkg for pkg in dict.fromkeys(packages) if pkg not in present]
    out: list[str] = []
    for line in lines:
        legacy = _legacy(line)
        if legacy is None or (kept is not None and legacy in kept):
            out.append(line)
        if legacy is not None and added:
            out += [_requirement(pkg, quoted, indent) for pkg in added]
            added = []
    return "".join(out)


def _requirement(package: str, quoted: bool, indent: str) -> str:
    spec = f"{package}{OTEL_VERSION}"
    return f'{indent}"{spec}",\n' if quoted else f"{indent}{spec}\n"
