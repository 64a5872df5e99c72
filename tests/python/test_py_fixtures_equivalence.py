"""Verification layers 3 and 4 for the hand-written golden outputs: each expected.py runs with the real
OTel SDK and emits the same span tree as its input.py does with the legacy library."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymigrate_support import case_id, fixture_cases, span_tree

CASES = fixture_cases()


def test_enough_cases_per_library():
    libraries = [c.parent.parent.name for c in CASES]
    counts = {lib: libraries.count(lib) for lib in ("opentracing", "jaeger", "zipkin")}
    assert all(n >= 8 for n in counts.values()), counts


@pytest.mark.parametrize("input_py", CASES, ids=case_id)
def test_expected_output_is_equivalent(input_py: Path):
    library = input_py.parent.parent.name
    legacy = span_tree("legacy", library, input_py)
    migrated = span_tree("otel", library, input_py.parent / "expected.py")
    assert legacy["tree"], "the legacy program recorded no spans: the comparison would prove nothing"
    assert migrated == legacy


@pytest.mark.parametrize("input_py", CASES, ids=case_id)
def test_expected_output_has_no_legacy_import(input_py: Path):
    text = (input_py.parent / "expected.py").read_text()
    for legacy in ("import opentracing", "from opentracing", "jaeger_client", "py_zipkin"):
        assert legacy not in text
