"""Which rules run, at what severity, with which helper signatures: from [tool.otmigrate.lint] and the CLI.

Keys read from the `lint` table: profile, select, ignore, extend-select, per-file-ignores ({glob: [codes]}),
severity ({code: error|warning|info}), span-start-functions, span-end-functions, error-record-functions,
sentinel-errors, server-instrumented.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from otmigrate.lint.context import CheckOptions
from otmigrate.lint.model import PROFILES, SEVERITIES, Rule


class LintConfigError(Exception):
    """A malformed [tool.otmigrate.lint] value; the message names the key and the reason."""


TABLE_KEYS = (
    "profile",
    "select",
    "ignore",
    "extend-select",
    "per-file-ignores",
    "severity",
    "span-start-functions",
    "span-end-functions",
    "error-record-functions",
    "sentinel-errors",
    "server-instrumented",
)


@dataclass
class LintConfig:
    enabled: set[str]
    severity: dict[str, str]
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    checks: CheckOptions = field(default_factory=CheckOptions)

    def is_enabled(self, code: str, path: str = "") -> bool:
        if code not in self.enabled:
            return False
        posix = path.replace("\\", "/")
        for pattern, codes in self.per_file_ignores.items():
            matches = fnmatch.fnmatch(posix, pattern) or fnmatch.fnmatch(posix.rsplit("/", 1)[-1], pattern)
            if matches and any(code.startswith(c) for c in codes):
                return False
        return True


def _codes(value, key: str, rules: dict[str, Rule]) -> list[str]:
    """The codes or prefixes of a table key; one that names no rule is a typo, and an error."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LintConfigError(f"[tool.otmigrate.lint] {key}: expected a list of rule codes")
    codes = [v.strip().upper() for v in value]
    for code in codes:
        if not any(c.startswith(code) for c in rules):
            raise LintConfigError(
                f"[tool.otmigrate.lint] {key}: '{code}' is not a lint code or prefix (OTMnnn)"
            )
    return codes


def _otm_codes(values) -> list[str]:
    """Command-line codes, repeated or comma-separated as in ruff (`--select OTM101,OTM9`); the OTM ones."""
    parts = (part.strip().upper() for value in values for part in value.split(","))
    return [part for part in parts if part.startswith("OTM")]


def resolve(
    rules: dict[str, Rule], table: dict, *, select=(), ignore=(), profile: str | None = None
) -> LintConfig:
    """Profile first (pre-commit < recommended < strict); select narrows, extend-select adds, ignore drops."""
    unknown = sorted(set(table) - set(TABLE_KEYS))
    if unknown:
        raise LintConfigError(
            f"[tool.otmigrate.lint] unknown key '{unknown[0]}' (known: {', '.join(TABLE_KEYS)})"
        )
    profile = profile or table.get("profile") or "pre-commit"
    if profile not in PROFILES:
        raise LintConfigError(
            f"[tool.otmigrate.lint] profile: {profile!r} is not one of {', '.join(PROFILES)}"
        )
    level = PROFILES.index(profile)
    select = _otm_codes(select) or _codes(table.get("select"), "select", rules)
    ignore = _otm_codes(ignore) + _codes(table.get("ignore"), "ignore", rules)
    extend = _codes(table.get("extend-select"), "extend-select", rules)
    if select:
        enabled = {c for c in rules if any(c.startswith(s) for s in select)}
    else:
        enabled = {c for c, r in rules.items() if PROFILES.index(r.profile) <= level}
    enabled |= {c for c in rules if any(c.startswith(s) for s in extend)}
    enabled -= {c for c in rules if any(c.startswith(s) for s in ignore)}

    severity = {c: r.severity for c, r in rules.items()}
    overrides = table.get("severity", {})
    if not isinstance(overrides, dict):
        raise LintConfigError("[tool.otmigrate.lint] severity: expected a table of code = severity")
    for code, sev in overrides.items():
        _codes(code, f"severity.{code}", rules)
        if sev not in SEVERITIES:
            raise LintConfigError(
                f"[tool.otmigrate.lint] severity.{code}: {sev!r} is not one of {', '.join(SEVERITIES)}"
            )
        for c in rules:
            if c.startswith(code.upper()):
                severity[c] = sev
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise LintConfigError("[tool.otmigrate.lint] per-file-ignores: expected a table of glob = [codes]")
    per_file = {glob: _codes(codes, f"per-file-ignores.{glob}", rules) for glob, codes in pfi.items()}

    def strings(key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = table.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise LintConfigError(f"[tool.otmigrate.lint] {key}: expected a list of strings")
        return tuple(value)

    server = table.get("server-instrumented", False)
    if not isinstance(server, bool):
        raise LintConfigError("[tool.otmigrate.lint] server-instrumented: expected true or false")
    checks = CheckOptions(
        span_start_functions=strings("span-start-functions"),
        span_end_functions=strings("span-end-functions"),
        error_record_functions=strings("error-record-functions"),
        sentinel_errors=strings("sentinel-errors", CheckOptions.sentinel_errors),
        server_instrumented=server,
    )
    return LintConfig(enabled, severity, per_file, checks)
