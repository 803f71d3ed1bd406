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


def test_ci_run_runs_make_test_with_ci_true(tmp_path):
    """README: under CI (`CI=true`, as .ci/run runs) a skipped layer fails the run. .ci/run must set it itself, so a
    runner that does not export CI still proves every layer."""
    import os
    import subprocess

    from tests.support.stack import ROOT

    seen = tmp_path / "seen"
    fake_make = tmp_path / "make"
    fake_make.write_text(f'#!/bin/sh\necho "$*|${{CI:-unset}}" > {seen}\necho "==== 1 passed in 0.01s ===="\n')
    fake_make.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = f"{tmp_path}:{env['PATH']}"
    done = subprocess.run([str(ROOT / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert seen.read_text().strip() == "test|true"
