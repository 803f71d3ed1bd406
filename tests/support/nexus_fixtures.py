"""Fixtures and helpers for the Nexus provider tests (a pytest plugin of tests/conftest.py; test modules
import the helpers they use from here).

`nexus` is a fresh `NexusDouble` per test whose traffic is validated against the published spec when it is
available; any request or answer outside the spec (and not a listed `SPEC_GAPS` entry) fails the test.
"""
from __future__ import annotations

from typing import Any, Iterator, TypeVar

import pytest
from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.dynamic.config import Config

from components.nexus_config.client import PASSWORD_KEY, ClientSettings, NexusClient
from tests.support.nexus_double import NexusDouble
from tests.support.nexus_double_spec import SpecValidator, load_spec, spec_path

PROJECT = "nexus-registry"
# Small budgets so fault tests stay fast: 3 attempts, millisecond backoff, sub-second timeouts.
FAST = ClientSettings(timeout=0.5, attempts=3, backoff=0.01, max_backoff=0.02,
                      ready_timeout=1.0, ready_interval=0.02, settle_time=1.0)

P = TypeVar("P", bound=ResourceProvider)


@pytest.fixture(scope="session")
def nexus_spec():
    """The parsed openapi.yaml (once per session), or None when `shared/nexus/openapi.yaml` is missing."""
    return load_spec(str(spec_path()))


@pytest.fixture
def nexus(nexus_spec) -> Iterator[NexusDouble]:
    validator = SpecValidator(nexus_spec)
    with NexusDouble(validator=validator) as double:
        yield double
    assert not validator.violations, "traffic outside the Nexus spec:\n" + "\n".join(validator.violations)


def stack_config(password: str | None) -> Config:
    raw = {} if password is None else {f"{PROJECT}:{PASSWORD_KEY}": password}
    return Config(raw_config=raw, project_name=PROJECT)


def configured(provider: P, password: str | None) -> P:
    """The provider after the host's configure() call with a stack holding `adminPassword`."""
    provider.configure(ConfigureRequest(stack_config(password)))
    return provider


def client_for(double: NexusDouble, settings: ClientSettings = FAST, password: str | None = None
               ) -> tuple[NexusClient, list[str]]:
    """A client of the double and the list its progress messages (retries, waits) go to."""
    progress: list[str] = []
    client = NexusClient(double.url, password or double.password, settings, progress=progress.append)
    return client, progress


def provider_for(cls: type[P], double: NexusDouble, settings: ClientSettings = FAST) -> P:
    return configured(cls(settings), double.password)


def checked(provider: ResourceProvider, double: NexusDouble, **news: Any) -> dict:
    """The provider's check of `news` against the double's URL; fails the test on any check failure."""
    result = provider.check({}, {"nexus_url": double.url, **news})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def create(provider: ResourceProvider, double: NexusDouble, **news: Any) -> tuple[dict, dict]:
    """(checked inputs, outs with the new id under `__id`)."""
    inputs = checked(provider, double, **news)
    created = provider.create(inputs)
    return inputs, {**created.outs, "__id": created.id}
