"""The mirrors (issue 17) through the engine's side replayed against the SDK's dynamic-provider server, on the prod
stack (anonymousPull false) with three upstreams and a secret login for ghcr.io: `up` creates the extra proxies, the
mirror-read role and the anonymous user's roles, after which anonymous reads the mirrors and nothing else; a second
`up` writes nothing; the login stays a secret; turning anonymousPull on and off moves only Nexus' built-in role;
`destroy` deletes what the stack made and gives the anonymous user back exactly as found, never deleting it or what
somebody made by hand."""
from __future__ import annotations

import copy
import json

import pytest

from tests.engine.conftest import target
from tests.support.engine import DIFF, Deployment, ops
from tests.support.engine_wire import Secret

MIRRORS = ["docker.io", "ghcr.io", "registry.k8s.io"]
PROXIES = {"ghcr.io": "docker-proxy-ghcr-io", "registry.k8s.io": "docker-proxy-registry-k8s-io"}
TOKEN = "ghp_engine-replay-mirror-0001"
CREDENTIALS = json.dumps({"ghcr.io": {"username": "team-bot", "password": TOKEN}})
MIRROR_ROLE, BUILTIN = "nexus-registry-mirror-read", "nx-anonymous"
NEW = {"docker-repos-mirror-ghcr-io", "docker-repos-mirror-registry-k8s-io", "docker-repos-blobs-docker-proxy-ghcr-io",
       "docker-repos-blobs-docker-proxy-registry-k8s-io", "docker-repos-mirror-read-role",
       "docker-repos-anonymous-roles"}


@pytest.fixture(scope="module")
def prod(nexus_port):
    overrides = {"nexusUrl": f"http://127.0.0.1:{nexus_port}", "acceptEula": True, "mirrors": MIRRORS}
    with target("prod", overrides, secrets={"mirrorCredentials": CREDENTIALS}) as t:
        yield t



def accounts(nexus) -> dict:
    with nexus.lock:
        return copy.deepcopy({"roles": nexus.roles, "users": nexus.users})


def test_up_creates_the_mirrors_and_anonymous_reads_them_and_nothing_else(prod, nexus):
    steps = Deployment(prod.server).up(prod.goals)
    assert NEW <= set(ops(steps, "create")) and set(ops(steps).values()) == {"create"}
    for host, name in PROXIES.items():
        repo = nexus.repository(name)
        assert (repo["proxy"]["remoteUrl"], repo["dockerProxy"]["indexType"]) == (f"https://{host}", "REGISTRY")
        assert "httpPort" not in repo["docker"] and repo["storage"]["blobStoreName"] == name
        assert repo["cleanup"] == {"policyNames": ["docker-proxy-cleanup"]}
    assert nexus.repository("docker-group")["group"]["memberNames"] == ["docker-hosted", "docker-proxy"]
    assert nexus.repository(PROXIES["ghcr.io"])["httpClient"]["authentication"] == {
        "type": "username", "username": "team-bot", "password": TOKEN}
    gc = {t["properties"]["repositoryName"] for t in nexus.tasks.values() if t["type"] == "repository.docker.gc"}
    assert set(PROXIES.values()) <= gc

    assert nexus.users["anonymous"]["roles"] == [MIRROR_ROLE] and nexus.anonymous["enabled"] is True
    assert [nexus.anonymous_read_status(r) for r in PROXIES.values()] == [200, 200]
    for private in ("docker-group", "docker-hosted", "docker-proxy"):
        assert nexus.anonymous_read_status(private) == 401, private


def test_second_up_is_no_change_and_writes_nothing(prod, nexus):
    deployment = Deployment(prod.server)
    deployment.up(prod.goals)
    writes = nexus.writes()
    steps = deployment.up(prod.goals)
    assert ops(steps) == {g.name: "same" for g in prod.goals}
    assert {s.diff.changes for s in steps} == {DIFF.DIFF_NONE} and nexus.writes() == writes
    refreshed = deployment.refresh()
    assert {s.op for s in refreshed} == {"refresh"} and {s.diff.changes for s in refreshed} == {DIFF.DIFF_NONE}
    assert {s.op for s in deployment.up(prod.goals)} == {"same"} and nexus.writes() == writes


def test_the_mirror_login_is_a_secret_everywhere_the_engine_keeps_or_shows(prod, nexus):
    server, deployment = prod.server, Deployment(prod.server)
    deployment.up(prod.goals)
    ghcr = prod.goal("docker-repos-mirror-ghcr-io")
    assert deployment.resources[ghcr.urn].outputs["remote_password"] == Secret(TOKEN)
    assert "remote_password" in ghcr.additional_secret_outputs
    deployment.refresh()
    state = deployment.plaintext_state()
    deployment.destroy()
    raw = TOKEN.encode()
    assert raw not in state and raw not in server.output()
    assert [a[:80] for a in server.exchanged(engine_secrets=("remote_password",)) if raw in a] == []
    assert [log.message for log in server.logs if TOKEN in log.message] == []


def test_anonymous_pull_on_and_off_moves_only_the_builtin_role(prod, nexus):
    deployment = Deployment(prod.server)
    deployment.up(prod.goals)
    mark = len(nexus.writes_log())
    steps = deployment.up(prod.program(anonymousPull=True))
    assert ops(steps, "update") == ["docker-repos-anonymous-roles"]          # anonymous access was on already
    assert nexus.writes_log()[mark:] == [("PUT", "/v1/security/users/anonymous")]
    assert sorted(nexus.users["anonymous"]["roles"]) == [MIRROR_ROLE, BUILTIN]
    assert nexus.anonymous_read_status("docker-group") == 200

    assert ops(deployment.up(prod.goals), "update") == ["docker-repos-anonymous-roles"]
    assert nexus.users["anonymous"]["roles"] == [MIRROR_ROLE] and nexus.anonymous_read_status("docker-group") == 401


def test_dropping_the_mirrors_gives_everything_back(prod, nexus):
    found = accounts(nexus)
    deployment = Deployment(prod.server)
    deployment.up(prod.goals)
    steps = deployment.up(prod.program(secrets={"mirrorCredentials": None}, mirrors=["docker.io"]))
    assert set(ops(steps, "delete")) == NEW and ops(steps, "update") == ["docker-repos-anonymous",
                                                                           "housekeeping-tasks"]
    assert nexus.anonymous["enabled"] is False and accounts(nexus) == found
    assert all(nexus.repository(name) is None for name in PROXIES.values())


def test_destroy_leaves_nexus_and_its_anonymous_user_as_found(prod, nexus):
    nexus.roles["team-readers"] = {"id": "team-readers", "name": "team-readers", "description": "by hand",
                                   "privileges": ["nx-repository-view-*-*-browse"], "roles": []}
    nexus.users["anonymous"]["roles"].append("team-readers")          # somebody's own grant, before the stack
    found, settings = accounts(nexus), nexus.snapshot()
    deployment = Deployment(prod.server)
    deployment.up(prod.goals)
    assert sorted(nexus.users["anonymous"]["roles"]) == [MIRROR_ROLE, "team-readers"]

    steps = deployment.destroy()
    assert ops(steps) == {g.name: "delete" for g in prod.goals} and deployment.resources == {}
    assert accounts(nexus) == found and nexus.snapshot() == settings
    assert "anonymous" in nexus.users and "team-readers" in nexus.roles


def test_first_preview_with_mirrors_checks_unknown_inputs_without_failing_or_writing():
    with target("prod", {"mirrors": MIRRORS}, secrets={"mirrorCredentials": CREDENTIALS}, preview=True) as first:
        assert NEW <= {g.name for g in first.goals}
        mark = len(first.server.calls)
        steps = Deployment(first.server).preview(first.goals)
        assert ops(steps) == {g.name: "create" for g in first.goals}
        assert {c.method for c in first.server.calls[mark:]} == {"Check"}
        assert b"Traceback" not in first.server.output() and TOKEN.encode() not in first.server.output()
