"""The test tiers: a layer whose system binaries are missing is skipped and named; under CI it fails the run."""
from __future__ import annotations

import pytest

import tests.conftest as tiers

pytest_plugins = ["pytester"]

INNER = """
import pytest
from tests.conftest import pytest_collection_modifyitems, pytest_sessionfinish, pytest_terminal_summary  # noqa
"""
TESTS = """
import pytest

@pytest.mark.real
def test_needs_the_gateway():
    assert True

def test_pure():
    assert 1 + 1 == 2
"""


@pytest.fixture
def suite(pytester, monkeypatch):
    monkeypatch.setitem(tiers.LAYERS, "real", ("the real layer", ("no-such-binary-xyz",), "install it"))
    pytester.makeconftest(INNER)
    pytester.makeini("[pytest]\nmarkers =\n    real: needs binaries\n")
    pytester.makepyfile(test_inner=TESTS)
    return pytester


def test_a_missing_layer_is_skipped_and_named_off_ci(suite, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = suite.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*layers not run here*", "*the real layer skipped: missing no-such-binary-xyz*"])


def test_a_missing_layer_fails_the_run_under_ci(suite, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*CI=true: 1 skipped test(s) count as a failure*"])
