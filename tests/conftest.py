"""Shared fixtures: programs run under Pulumi mocks, once per stack and session."""
from __future__ import annotations

import pytest

from tests.support.stack import run_program

# The Nexus double's fixtures (`nexus`, `nexus_spec`) for every test module.
pytest_plugins = ["tests.conftest_nexus"]


@pytest.fixture(scope="session")
def dev_run():
    return run_program("dev")


@pytest.fixture(scope="session")
def prod_run():
    return run_program("prod")


@pytest.fixture(scope="session", params=["dev", "prod"])
def stack_run(request, dev_run, prod_run):
    return {"dev": dev_run, "prod": prod_run}[request.param]
