"""What dev and prod register (URNs, types, parents, options, inputs) matches the reviewed golden files.

A refactor must leave them unchanged; an intended change regenerates them (`UPDATE_SNAPSHOTS=1 make test`)
and the diff of tests/stack/snapshots/ is reviewed with the commit.
"""
from __future__ import annotations

import difflib
import os

import pytest

from tests.support.snapshot import GOLDEN, as_text


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_registered_resources_match_the_golden_file(stack, request):
    actual = as_text(request.getfixturevalue(f"{stack}_run"))
    golden = GOLDEN / f"{stack}.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        golden.write_text(actual)
    expected = golden.read_text()
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                        str(golden), "registered now", n=2))
    assert actual == expected, f"registered resources changed for {stack}:\n{diff[:6000]}"
