"""The Go rewriter against the golden fixtures: exact output, idempotence, gofmt-clean, and (through the
harness) the rewritten program builds, vets and records the same span tree as the legacy one."""

from __future__ import annotations

import subprocess

import pytest
from conftest import case_id, cases, migrate, require_go
from spantree import legacy_tree, otel_tree, same_tree

CASES = [pytest.param(c, id=case_id(c)) for c in cases()]


@pytest.mark.parametrize("case", CASES)
def test_rewrite_matches_expected(case):
    assert (
        migrate((case / "input.go").read_text(), str(case / "input.go")) == (case / "expected.go").read_text()
    )


@pytest.mark.parametrize("case", CASES)
def test_rewrite_is_idempotent(case):
    once = migrate((case / "input.go").read_text(), str(case / "input.go"))
    assert migrate(once, str(case / "input.go")) == once


@pytest.mark.parametrize("case", CASES)
def test_rewrite_is_gofmt_clean(case, tmp_path):
    require_go()
    out = tmp_path / "out.go"
    out.write_text(migrate((case / "input.go").read_text(), str(case / "input.go")))
    assert subprocess.run(["gofmt", "-l", str(out)], capture_output=True, text=True, check=True).stdout == ""


@pytest.mark.parametrize("case", CASES)
def test_rewrite_behaves_like_input(harness, case):
    key = case_id(case)
    side = (
        f"{key}/migrated"
        if f"{key}/migrated" in harness.spans or f"{key}/migrated" in harness.build_errors
        else f"{key}/expected"
    )
    assert side not in harness.build_errors, harness.build_errors[side]
    assert side not in harness.vet_errors, harness.vet_errors[side]
    legacy = legacy_tree(harness.spans[f"{key}/legacy"], case.parent.name)
    migrated = otel_tree(harness.spans[side] or [])
    assert same_tree(legacy, migrated), f"span trees differ:\nlegacy {legacy}\notel   {migrated}"
