"""The `realcode` marker: `pytest -m realcode` runs only the corpus projects, `-m "not realcode"`
leaves them out."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "realcode: migrates a real project of the corpus and runs its own toolchain and tests"
    )
