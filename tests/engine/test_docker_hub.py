"""Docker Hub credentials (issue 9) through the engine's side replayed against the SDK's dynamic-provider server:
with `dockerHubUsername` and the secret `dockerHubToken`, `up` gives the proxy repository in Nexus
httpClient.authentication with the token; the token comes back in nothing the engine keeps or shows in plaintext
(gRPC answers outside what it marks secret, its log, the server's output, the state); Nexus never returns the
token, so an unchanged up, and a refresh then an up, change nothing; a new token is an update that sends it."""
from __future__ import annotations

import pytest

from tests.engine.conftest import target
from tests.support.engine import DIFF, Deployment, ops
from tests.support.engine_wire import Secret

USER, TOKEN, NEW_TOKEN = "team-ci", "dckr_pat_engine-replay-0001", "dckr_pat_engine-replay-0002"
PROXY, PROXY_REPO = "docker-repos-proxy", "docker-proxy"
SECRET_OUTPUT = "remote_password"        # the proxy's token: a secret input and an additionalSecretOutput


@pytest.fixture(scope="module")
def dev(nexus_port):
    overrides = {"nexusUrl": f"http://127.0.0.1:{nexus_port}", "acceptEula": True, "dockerHubUsername": USER}
    with target("dev", overrides, secrets={"dockerHubToken": TOKEN}) as t:
        yield t


def authentication(nexus) -> dict:
    """What Nexus holds for the proxy's remote login (the double keeps the write-only password)."""
    return nexus.repository(PROXY_REPO)["httpClient"].get("authentication")


def test_up_gives_the_proxy_the_token_and_it_comes_back_nowhere(dev, nexus):
    server, deployment = dev.server, Deployment(dev.server)
    mark = len(server.calls)
    assert set(ops(deployment.up(dev.goals)).values()) == {"create"}
    assert authentication(nexus) == {"type": "username", "username": USER, "password": TOKEN}
    state = deployment.plaintext_state()
    assert deployment.resources[dev.goal(PROXY).urn].outputs[SECRET_OUTPUT] == Secret(TOKEN)
    deployment.up(dev.goals)
    deployment.refresh()
    deployment.up(dev.program(secrets={"dockerHubToken": NEW_TOKEN}))
    assert authentication(nexus)["password"] == NEW_TOKEN
    deployment.refresh()
    state += deployment.plaintext_state()
    deployment.destroy()
    assert {c.method for c in server.calls[mark:]} >= {"Check", "Diff", "Create", "Update", "Read", "Delete"}
    assert SECRET_OUTPUT in dev.goal(PROXY).additional_secret_outputs

    for token in (TOKEN, NEW_TOKEN):
        raw = token.encode()
        assert [a[:80] for a in server.exchanged(engine_secrets=(SECRET_OUTPUT,)) if raw in a] == []
        assert [log.message for log in server.logs if token in log.message] == []
        assert raw not in server.output()
        assert raw not in state


def test_unchanged_up_and_refresh_then_up_change_nothing_and_write_nothing(dev, nexus):
    deployment = Deployment(dev.server)
    deployment.up(dev.goals)
    writes, held = nexus.writes(), authentication(nexus)

    steps = deployment.up(dev.goals)
    assert ops(steps) == {g.name: "same" for g in dev.goals}
    assert {s.diff.changes for s in steps} == {DIFF.DIFF_NONE} and nexus.writes() == writes

    # Nexus reads the authentication back without the token: the refresh keeps the state's, no drift is claimed.
    # (The proxy's cleanup policy, created before the proxy, only now counts it as a user: an output, no drift.)
    refreshed = {s.name: s for s in deployment.refresh()}
    assert {s.op for s in refreshed.values()} == {"refresh"}
    assert {s.diff.changes for s in refreshed.values()} == {DIFF.DIFF_NONE} and refreshed[PROXY].changed == []
    assert deployment.resources[dev.goal(PROXY).urn].outputs[SECRET_OUTPUT] == Secret(TOKEN)
    steps = deployment.up(dev.goals)
    assert {s.op for s in steps} == {"same"} and nexus.writes() == writes
    assert authentication(nexus) == held


def test_a_new_token_is_an_update_of_the_proxy_that_sends_it(dev, nexus):
    deployment = Deployment(dev.server)
    deployment.up(dev.goals)
    mark = len(nexus.writes_log())

    steps = deployment.up(dev.program(secrets={"dockerHubToken": NEW_TOKEN}))
    assert ops(steps, "update") == [PROXY] and set(ops(steps).values()) == {"update", "same"}
    assert nexus.writes_log()[mark:] == [("PUT", f"/v1/repositories/docker/proxy/{PROXY_REPO}")]
    assert authentication(nexus) == {"type": "username", "username": USER, "password": NEW_TOKEN}
    assert deployment.resources[dev.goal(PROXY).urn].outputs[SECRET_OUTPUT] == Secret(NEW_TOKEN)
