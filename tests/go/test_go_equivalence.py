"""Verification layers 3 and 4 for the hand-written expected outputs: each builds and vets with the real
OTel modules, and emits the same span tree as its legacy input run with the legacy library."""

from __future__ import annotations

import subprocess

import pytest
from conftest import case_id, cases
from spantree import legacy_tree, otel_tree, same_tree

CASES = [pytest.param(c, id=case_id(c)) for c in cases()]


def _spans(harness, key):
    assert key not in harness.build_errors, harness.build_errors.get(key)
    spans = harness.spans[key]
    assert isinstance(spans, list) or spans is None, f"{key} panicked: {spans}"
    return spans or []


@pytest.mark.parametrize("case", CASES)
def test_expected_behaves_like_input(harness, case):
    key = case_id(case)
    legacy = legacy_tree(_spans(harness, f"{key}/legacy"), case.parent.name)
    expected = otel_tree(_spans(harness, f"{key}/expected"))
    assert legacy, "the legacy program recorded no spans"
    assert same_tree(legacy, expected), f"span trees differ:\nlegacy {legacy}\notel   {expected}"


@pytest.mark.parametrize("case", CASES)
def test_expected_is_valid_go(harness, case):
    key = case_id(case)
    assert f"{key}/expected" not in harness.build_errors, harness.build_errors.get(f"{key}/expected")
    assert f"{key}/expected" not in harness.vet_errors, harness.vet_errors.get(f"{key}/expected")
    assert f"{key}/legacy" not in harness.build_errors, harness.build_errors.get(f"{key}/legacy")
    gofmt = subprocess.run(
        ["gofmt", "-l", "input.go", "expected.go"],
        cwd=case,
        capture_output=True,
        text=True,
        check=True,
    )
    assert gofmt.stdout == "", f"not gofmt-clean: {gofmt.stdout}"
