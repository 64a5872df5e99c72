"""A missing toolchain skips a test, unless CI requires toolchains (OTMIGRATE_REQUIRE_TOOLCHAINS): then
it fails."""

from __future__ import annotations

import os
import shutil

import pytest


def require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        if os.environ.get("OTMIGRATE_REQUIRE_TOOLCHAINS"):
            pytest.fail(f"OTMIGRATE_REQUIRE_TOOLCHAINS is set but `{tool}` is not on PATH")
        pytest.skip(f"{tool} not installed")
    return found
