"""Fixtures of the engine-replay layer: a provider server per test module (tests/support/engine.py) and a fresh
Nexus double per test on a port fixed for the module, so the stack config (`nexusUrl`) the server was configured
with, and the inputs the program registered, stay valid from test to test."""
from __future__ import annotations

import contextlib
import copy
import json
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
import requests

from tests.support.engine import Goal, program_goals
from tests.support.nexus_double import API, NexusDouble
from tests.support.nexus_double_spec import SpecValidator
from tests.support.procs import free_port
from tests.support.provider_server import ProviderServer
from tests.support.stack import TEST_PASSWORD, run_program, stack_config


class RecordingNexus(NexusDouble):
    """The Nexus double, also keeping every request body byte for byte."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.bodies: list[tuple[str, str, bytes]] = []

    def handle(self, method: str, path: str, headers: dict, body: bytes):
        with self.lock:
            self.bodies.append((method, path, body))
        return super().handle(method, path, headers, body)

    def json_floats(self) -> list[str]:
        """Number literals with a fraction or exponent in the JSON bodies sent (Nexus' numbers are integers)."""
        found: list[str] = []
        for method, path, body in self.bodies:
            if body:
                json.loads(body, parse_float=lambda text, where=f"{method} {path}": found.append(f"{where}: {text}"))
        return found

    def writes_log(self) -> list[tuple[str, str]]:
        """(method, path below /service/rest) of every write, in order."""
        return [(m, p.removeprefix(API)) for m, p, _ in self.log if m in ("POST", "PUT", "DELETE")]

    def outside(self, method: str, path: str, body: Any = None) -> int:
        """A change behind Pulumi's back through Nexus' REST API (as its UI or another admin tool makes it)."""
        return requests.request(method, f"{self.url}{API}{path}", json=body, auth=("admin", self.password),
                                timeout=10).status_code

    def snapshot(self) -> dict:
        """What a stack can change: blob stores, repositories, active realms, anonymous access."""
        with self.lock:
            return copy.deepcopy({"blob_stores": self.blob_stores, "repositories": self.repositories,
                                  "realms": self.active_realms, "anonymous": self.anonymous})


@dataclass
class Target:
    """A stack as `pulumi` would run it: its config, the server configured with it, the program's goals."""
    stack: str
    overrides: dict
    server: ProviderServer
    goals: list[Goal] = field(default_factory=list)
    secrets: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)     # provider answers the program sees (run_program's `outputs`)

    def program(self, secrets: dict | None = None, **changes: Any) -> list[Goal]:
        """The program's goals for this stack's config with `changes` and `secrets` set as with `pulumi config set
        --secret` (the server keeps the config it was configured with: providers read only adminPassword there)."""
        secrets = {**self.secrets, **(secrets or {})}
        return program_goals(run_program(self.stack, {**self.overrides, **changes}, secrets, outputs=self.outputs))

    def goal(self, name: str) -> Goal:
        return next(g for g in self.goals if g.name == name)


@contextlib.contextmanager
def target(stack: str, overrides: dict, *, secrets: dict | None = None, preview: bool = False,
           outputs: dict | None = None) -> Iterator[Target]:
    """`secrets`: stack config set with `pulumi config set --secret` (adminPassword is always set). `outputs`: what
    some providers answer that is not their inputs (run_program): the goals are what the program then registers."""
    config, secret_keys = stack_config(stack, overrides, secrets)
    goals = program_goals(run_program(stack, overrides, secrets, preview=preview, outputs=outputs))
    with ProviderServer(stack, config, secret_keys) as server:
        yield Target(stack, overrides, server, goals, dict(secrets or {}), dict(outputs or {}))


@pytest.fixture(scope="module")
def nexus_port() -> int:
    return free_port()


@pytest.fixture
def nexus(nexus_port, nexus_spec) -> Iterator[RecordingNexus]:
    """A fresh Community Edition double on the module's port whose admin password is the stack's; its traffic is
    validated against the published spec (when present)."""
    validator = SpecValidator(nexus_spec)
    double = RecordingNexus(password=TEST_PASSWORD, validator=validator)
    double.port = nexus_port
    with double:
        yield double
    assert not validator.violations, "traffic outside the Nexus spec:\n" + "\n".join(validator.violations)
