"""The stack's own Nexus resources, applied to the Nexus double over real HTTP: the inputs the program
registers (recorded under Pulumi mocks) and the providers exactly as Pulumi stores them (unpickled from
`__provider`) configure a Community Edition Nexus the way the original how-to did by hand, within the
published API spec (checked by the `nexus` fixture)."""
from __future__ import annotations

import pytest
import requests

from tests.support.nexus_fixtures import configured
from tests.support.stack import run_program

DYN = "pulumi-python:dynamic/nexus:"
ORDER = ["ExistingObjects", "CommunityEula", "BlobStore", "CleanupPolicy", "DockerHostedRepository", "DockerProxyRepository",
         "DockerGroupRepository", "ActiveRealms", "AnonymousAccess", "HousekeepingTasks", "Role", "LocalUser"]


def _stack_resources(stack: str, overrides: dict, secrets: dict | None = None) -> list[tuple[object, dict]]:
    """(provider as the engine would unpickle it, plain inputs) in dependency order."""
    run = run_program(stack, overrides, secrets)
    found = [r for r in run.resources if r.typ.startswith(DYN)]
    found.sort(key=lambda r: ORDER.index(r.typ[len(DYN):]))
    out = []
    for r in found:
        plain = r.plain
        out.append((r.provider, {k: v for k, v in plain.items() if k != "__provider"}))
    return out


DEV_ACCOUNTS = {"acceptEula": True, "pushUsers": ["ci"], "pullUsers": ["node"]}


@pytest.mark.parametrize("stack,overrides", [("dev", DEV_ACCOUNTS),
                                             ("prod", {"acceptEula": True, "sharedBlobStore": True})])
def test_stack_resources_configure_nexus_and_converge(nexus, stack, overrides):
    applied = []
    for provider, inputs in _stack_resources(stack, overrides):
        configured(provider, nexus.password)
        checked = provider.check({}, {**inputs, "nexus_url": nexus.url})
        assert checked.failures == [], [(f.property, f.reason) for f in checked.failures]
        created = provider.create(checked.inputs)
        applied.append((provider, created.id, checked.inputs, created.outs))

    hosted, group, proxy = (nexus.repository(n) for n in ("docker-hosted", "docker-group", "docker-proxy"))
    assert hosted["docker"]["httpPort"] == 9897 and group["docker"]["httpPort"] == 9896
    assert group["group"]["memberNames"] == ["docker-hosted", "docker-proxy"]
    assert proxy["proxy"]["remoteUrl"] == "https://registry-1.docker.io"
    assert proxy["dockerProxy"]["indexType"] == "HUB"
    assert not any(r["docker"]["forceBasicAuth"] for r in (hosted, group, proxy))
    assert "DockerToken" in nexus.active_realms and nexus.eula_accepted
    assert nexus.anonymous["enabled"] is (stack == "dev")
    expected_stores = {"docker"} if overrides.get("sharedBlobStore") else {"docker-hosted", "docker-group",
                                                                          "docker-proxy"}
    assert {r["storage"]["blobStoreName"] for r in (hosted, group, proxy)} == expected_stores

    # Housekeeping defaults: a 5-minute negative cache, a 30-day cleanup policy on the proxy only, the tasks.
    assert proxy["negativeCache"] == {"enabled": True, "timeToLive": 5}
    assert proxy["cleanup"] == {"policyNames": ["docker-proxy-cleanup"]} and "cleanup" not in hosted
    assert nexus.cleanup_policies["docker-proxy-cleanup"]["criteriaLastDownloaded"] == 30
    tasks = sorted((t["type"], t["properties"].get("blobstoreName") or t["properties"].get("repositoryName") or "")
                   for t in nexus.tasks.values() if t["name"].startswith("nexus-registry: "))
    assert tasks == sorted([("blobstore.compact", s) for s in expected_stores] +
                           [("repository.docker.gc", "docker-hosted"), ("repository.docker.gc", "docker-proxy"),
                            ("repository.docker.upload-purge", "")])
    assert {t["cronExpression"] for t in nexus.tasks.values() if t["type"] != "repository.cleanup"} == \
        {"0 0 2 ? * SUN"}

    users = {id_: outs["password"] for _, id_, _, outs in applied if "password" in outs}
    assert set(users) == ({"ci", "node"} if stack == "dev" else set())
    for user, password in users.items():         # each logs in with its generated password
        assert nexus.login_status(user, password) == 403

    writes = nexus.writes()
    for provider, id_, inputs, outs in applied:     # `pulumi refresh` + `pulumi up` with nothing changed
        read = provider.read(id_, outs)
        assert read.id == id_
        assert provider.diff(id_, read.outs, inputs).changes is False, type(provider).__name__
    assert nexus.writes() == writes, "an unchanged stack must not write to Nexus"


def test_stack_credentials_quota_and_hosted_cleanup_reach_nexus(nexus):
    token = "dckr_pat_stack-level-7"
    overrides = {"acceptEula": True, "dockerHubUsername": "team-ci", "hostedCleanupDays": 90,
                 "proxyNegativeCacheMinutes": 0, "blobStoreSoftQuota": "1Gi", "housekeeping": False}
    for provider, inputs in _stack_resources("dev", overrides, {"dockerHubToken": token}):
        configured(provider, nexus.password)
        checked = provider.check({}, {**inputs, "nexus_url": nexus.url})
        assert checked.failures == [], [(f.property, f.reason) for f in checked.failures]
        provider.create(checked.inputs)
    proxy, hosted = nexus.repository("docker-proxy"), nexus.repository("docker-hosted")
    assert proxy["httpClient"]["authentication"] == {"type": "username", "username": "team-ci", "password": token}
    assert proxy["negativeCache"] == {"enabled": False, "timeToLive": 0}
    assert hosted["cleanup"] == {"policyNames": ["docker-hosted-cleanup"]}
    policy = nexus.cleanup_policies["docker-hosted-cleanup"]
    assert (policy["criteriaLastDownloaded"], policy["criteriaLastBlobUpdated"]) == (90, 90)
    assert {s["softQuota"]["limit"] for n, s in nexus.blob_stores.items() if n != "default"} == {1073741824}
    assert [t["type"] for t in nexus.tasks.values()] == ["repository.cleanup"]     # housekeeping: false


def test_the_documented_cache_invalidation_command_works(nexus, dev_run):
    command = dev_run.outputs["proxy_cache_invalidate"]
    assert command == ("curl -fsS -u admin -X POST "
                       "http://127.0.0.1:30081/service/rest/v1/repositories/docker-proxy/invalidate-cache")
    for provider, inputs in _stack_resources("dev", {"acceptEula": True, "housekeeping": False}):
        configured(provider, nexus.password)
        provider.create(provider.check({}, {**inputs, "nexus_url": nexus.url}).inputs)
    url = command.split()[-1].replace("http://127.0.0.1:30081", nexus.url)       # the same path, on the double
    answer = requests.post(url, auth=("admin", nexus.password), timeout=5)
    assert (answer.status_code, nexus.invalidated) == (204, ["docker-proxy"])
