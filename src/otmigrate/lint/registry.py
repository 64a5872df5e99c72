"""All rules and the checks that implement them. Importing this loads every check module (no parsing)."""

from __future__ import annotations

from collections.abc import Callable

from otmigrate.lint.checks import attributes, errors, legacy, lifecycle, meta, naming, scope
from otmigrate.lint.model import Rule

_MODULES = (lifecycle, errors, attributes, naming, scope, legacy, meta)

RULES: dict[str, Rule] = {rule.code: rule for module in _MODULES for rule in module.RULES}
CHECKS: tuple[tuple[tuple[str, ...], tuple[str, ...], Callable], ...] = tuple(
    check for module in _MODULES for check in module.CHECKS
)
