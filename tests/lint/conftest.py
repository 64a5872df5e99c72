import pytest

from otmigrate.lint.registry import RULES
from otmigrate.lint.settings import resolve


@pytest.fixture(scope="session")
def strict_config():
    """Every rule enabled, default options."""
    return resolve(RULES, {}, profile="strict")
