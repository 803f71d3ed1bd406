"""A `nexusUrl` nothing can be connected to fails within a minute, naming the key, the URL and the port-forward recipe;
a Nexus that answers 502/503 while it starts is still waited for up to the readiness timeout (issue 19).

The waits run with the production settings (`ClientSettings()`: 5 s polls, 60 s unreachable window, 600 s readiness
timeout) against real sockets on 127.0.0.1, on a clock that moves only when the client sleeps: the times asserted
are the client's own, not the machine's.
"""
from __future__ import annotations

import base64
import dataclasses
import errno
import os
import re
import socket
from typing import Callable, Iterator

import dill
import pytest
import urllib3.util.connection
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider

from components.nexus_config import repositories as repos
from components.nexus_config.client import (PASSWORD_KEY, Clock, ClientSettings, NexusClient, NexusUnavailableError,
                                            NexusUnreachableError, ServerInfo)
from components.nexus_config.reach import NEXUS_SERVICE, NEXUS_WEB_PORT, port_forward_recipe
from tests.support.nexus_fixtures import FAST, PROJECT, checked
from tests.support.stack import ROOT

PRODUCTION = ClientSettings()


class SteppedClock(Clock):
    """Time that moves only when the client sleeps; `at(t, action)` runs `action` once the clock reaches t."""

    def __init__(self) -> None:
        self.now_s = 0.0
        self.slept: list[float] = []
        self._due: list[tuple[float, Callable[[], None]]] = []

    def now(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now_s += seconds
        for when, action in [d for d in self._due if d[0] <= self.now_s]:
            self._due.remove((when, action))
            action()

    def at(self, when: float, action: Callable[[], None]) -> None:
        self._due.append((when, action))


def client(url: str, clock: Clock, settings: ClientSettings = PRODUCTION, namespace: str = "nexus"
           ) -> tuple[NexusClient, list[str]]:
    progress: list[str] = []
    return NexusClient(url, "pw", settings, progress=progress.append, clock=clock, namespace=namespace), progress


def assert_names_the_key_url_and_recipe(message: str, url: str, namespace: str = "nexus") -> None:
    assert f"cannot reach Nexus at {url} (stack config key `nexusUrl`" in message
    assert (f"`kubectl -n {namespace} port-forward svc/nexus 8081:8081` (leave it running), then "
            f"`pulumi config set nexusUrl http://127.0.0.1:8081`") in message


@pytest.fixture
def closed_url(nexus) -> str:
    """A port on 127.0.0.1 nothing listens on (the double's, once stopped): connections are refused."""
    nexus.stop()
    return nexus.url


@pytest.fixture
def full_backlog_url() -> Iterator[str]:
    """A listener that never accepts and whose accept queue is full: the kernel drops further SYNs, so a connect
    times out as it does to an address with no route (only 127.0.0.1 may be a target here)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for s in [*fillers, listener]:
            s.close()


# ---- refused, unresolvable, unroutable: within the 60 s window, not the 600 s readiness timeout -------------------

def test_a_closed_port_gives_up_after_50s_of_polls_not_600s(closed_url):
    clock = SteppedClock()
    nexus_client, progress = client(closed_url, clock)
    with pytest.raises(NexusUnreachableError) as info:
        nexus_client.wait_until_ready()
    # polls at 0, 5, ..., 50 s: one more (5 s pause + up to 10 s connect) could end after the 60 s window
    assert clock.now_s == 50.0 and clock.slept == [5.0] * 10
    assert PRODUCTION.ready_timeout == 600.0 and PRODUCTION.unreachable_timeout == 60.0
    message = str(info.value)
    assert_names_the_key_url_and_recipe(message, closed_url)
    assert "connection refused for 50s" in message
    assert progress[0].endswith("connection refused (0s of 60s)") and len(progress) == 10
    assert info.value.uncertain is False


def test_an_unresolvable_name_gives_up_after_50s(monkeypatch):
    # The resolver's answer for an unknown name, without a DNS query leaving the machine.
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "nexus.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    clock = SteppedClock()
    nexus_client, _ = client("http://nexus.invalid:30081", clock)
    with pytest.raises(NexusUnreachableError) as info:
        nexus_client.wait_until_ready()
    assert clock.now_s == 50.0
    assert_names_the_key_url_and_recipe(str(info.value), "http://nexus.invalid:30081")
    assert "the host name does not resolve for 50s" in str(info.value)


@pytest.mark.parametrize("error, words", [(errno.EHOSTUNREACH, "no route to host"),
                                          (errno.ENETUNREACH, "network is unreachable")])
def test_an_address_without_a_route_gives_up_after_50s(monkeypatch, closed_url, error, words):
    # What connect() answers for an address with no route, raised where urllib3 opens its sockets: only 127.0.0.1
    # may be a target here (and were the stand-in not used, the closed port would answer "connection refused").
    def create_connection(address, *args, **kwargs):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    clock = SteppedClock()
    nexus_client, _ = client(closed_url, clock)
    with pytest.raises(NexusUnreachableError) as info:
        nexus_client.wait_until_ready()
    assert clock.now_s == 50.0
    assert_names_the_key_url_and_recipe(str(info.value), closed_url)
    assert f"{words} for 50s" in str(info.value)


def test_a_connect_that_times_out_gives_up_within_the_60s_window(full_backlog_url):
    # Production settings but a 0.3 s connect timeout, so each real connect attempt stays short here.
    settings = dataclasses.replace(PRODUCTION, connect_timeout=0.3)
    clock = SteppedClock()
    nexus_client, _ = client(full_backlog_url, clock, settings)
    with pytest.raises(NexusUnreachableError) as info:
        nexus_client.wait_until_ready()
    assert clock.now_s == 55.0      # 55 + 5 + 0.3 > 60: the next poll could not end inside the window
    assert_names_the_key_url_and_recipe(str(info.value), full_backlog_url)
    assert "connection timed out for 55s" in str(info.value)


def test_a_request_to_a_closed_port_gives_up_after_its_5_attempts_in_15s(closed_url):
    clock = SteppedClock()
    nexus_client, progress = client(closed_url, clock)
    with pytest.raises(NexusUnreachableError) as info:
        nexus_client.get("/v1/security/realms/active")
    assert clock.slept == [1.0, 2.0, 4.0, 8.0] and clock.now_s == 15.0
    assert_names_the_key_url_and_recipe(str(info.value), closed_url)
    assert len(progress) == 4 and all("connection refused" in line for line in progress)


def test_the_recipe_names_the_namespace_it_is_given(closed_url):
    nexus_client, _ = client(closed_url, SteppedClock(), namespace="registry")
    with pytest.raises(NexusUnreachableError) as info:
        nexus_client.wait_until_ready()
    assert_names_the_key_url_and_recipe(str(info.value), closed_url, namespace="registry")


def test_a_provider_names_the_namespace_of_the_stack_config(nexus, closed_url):
    provider = repos.DockerHostedRepositoryProvider(dataclasses.replace(FAST, unreachable_timeout=0.1,
                                                                        connect_timeout=0.01))
    provider.configure(ConfigureRequest(Config(raw_config={f"{PROJECT}:{PASSWORD_KEY}": "pw",
                                                           f"{PROJECT}:namespace": "registry"},
                                               project_name=PROJECT)))
    inputs = checked(provider, nexus, name="docker-hosted", blob_store="default")
    with pytest.raises(NexusUnreachableError) as info:
        provider.create(inputs)
    assert_names_the_key_url_and_recipe(str(info.value), closed_url, namespace="registry")


# ---- a Nexus that answers 503 while it starts: the readiness wait as before ---------------------------------------

def test_a_starting_nexus_answering_503_for_300s_is_waited_for_then_ready(nexus):
    nexus.starting = True
    clock = SteppedClock()
    clock.at(300.0, lambda: setattr(nexus, "starting", False))
    nexus_client, progress = client(nexus.url, clock)
    assert nexus_client.wait_until_ready() == ServerInfo("3.94.0-12", "COMMUNITY")
    assert clock.now_s == 300.0 > PRODUCTION.unreachable_timeout
    assert len(progress) == 60 and all("HTTP 503" in line and "of 600s)" in line for line in progress)


def test_a_nexus_answering_503_for_ever_is_given_up_at_the_600s_deadline(nexus):
    nexus.starting = True
    clock = SteppedClock()
    nexus_client, _ = client(nexus.url, clock)
    with pytest.raises(NexusUnavailableError) as info:
        nexus_client.wait_until_ready()
    assert not isinstance(info.value, NexusUnreachableError)
    assert clock.now_s == 600.0 and "not ready after 600s (GET /service/rest/v1/status: HTTP 503" in str(info.value)


def test_once_it_answered_a_refused_gateway_restart_is_waited_for_like_a_start(nexus):
    """A URL that answered (503: the gateway is up, Nexus is starting) is right: refused connections afterwards
    (the gateway restarting) are not called a wrong URL after 60 s."""
    nexus.starting = True
    clock = SteppedClock()
    clock.at(20.0, nexus.stop)
    clock.at(200.0, lambda: (setattr(nexus, "starting", False), nexus.start()))
    nexus_client, progress = client(nexus.url, clock)
    assert nexus_client.wait_until_ready() == ServerInfo("3.94.0-12", "COMMUNITY")
    assert clock.now_s == 200.0
    assert any("connection refused (180s of 600s)" in line for line in progress)


# ---- the recipe names what the stack creates ----------------------------------------------------------------------

def test_the_recipe_names_the_nexus_service_and_port_the_dev_stack_creates(dev_run):
    service = dev_run.one("kubernetes:core/v1:Service", "nexus-service").plain
    web = next(p for p in service["spec"]["ports"] if p["name"] == "web")
    assert (service["metadata"]["name"], web["port"]) == (NEXUS_SERVICE, NEXUS_WEB_PORT)
    namespace = service["metadata"]["namespace"]
    assert f"kubectl -n {namespace} port-forward svc/nexus 8081:8081" in port_forward_recipe(namespace)


def test_the_troubleshooting_row_quotes_the_message(closed_url):
    row = next(line for line in (ROOT / "docs" / "troubleshooting.md").read_text().splitlines()
               if "cannot reach Nexus at" in line)
    quoted = re.search(r'"(cannot reach Nexus at [^"]+)"', row).group(1)
    nexus_client, _ = client(closed_url, SteppedClock())
    with pytest.raises(NexusUnreachableError) as info:
        nexus_client.wait_until_ready()
    assert re.match(".*".join(re.escape(part) for part in quoted.split("…")), str(info.value)), quoted
    assert "kubectl -n <namespace> port-forward svc/nexus 8081:8081" in row
    assert "pulumi config set nexusUrl http://127.0.0.1:8081" in row


def test_a_provider_pickled_before_these_settings_existed_unpickles_with_their_defaults():
    """Stack state keeps each resource's pickled provider with its ClientSettings: one stored before
    `connect_timeout` and `unreachable_timeout` existed must load with their defaults."""
    old = object.__new__(ClientSettings)
    old.__dict__.update({k: v for k, v in dataclasses.asdict(PRODUCTION).items()
                         if k not in ("connect_timeout", "unreachable_timeout")})
    provider = repos.DockerHostedRepositoryProvider(old)
    loaded = dill.loads(base64.b64decode(serialize_provider(provider)))
    assert "unreachable_timeout" not in vars(loaded.settings)
    assert (loaded.settings.connect_timeout, loaded.settings.unreachable_timeout) == (10.0, 60.0)
