"""adoptExisting at the provider level, over real HTTP against the Nexus double holding what the recipe left
(tests/support/nexus_recipe.py): create takes an existing object over (no POST, no DELETE), keeps what Nexus cannot
change in place (a repository's blob store, a blob store's path), converges the rest with one PUT (none when it
already matches), refuses another kind; a blob store no repository would use is not created; delete keeps an
adopted object unless retain is off; a diff never moves an adopted repository's store and refuses a rename; the
preflight (`ExistingObjects`) refuses before any write."""
from __future__ import annotations

import copy

import pytest
import requests

from components.nexus_config import housekeeping
from components.nexus_config import repositories as repos
from components.nexus_config.client import NexusConflictError, NexusError
from components.nexus_config.preflight import ExistingObjectsProvider
from components.nexus_config.repo_set import DockerRepoSetArgs, wanted_objects
from components.config import Repo
from tests.support.nexus_double import API
from tests.support.nexus_fixtures import checked, create, provider_for
from tests.support.nexus_recipe import GROUP, HOSTED, MAVEN, PROXY, STORES, populate_as_recipe

ADOPT = {"adopt_existing": True}


@pytest.fixture
def recipe(nexus):
    return populate_as_recipe(nexus)


def writes(nexus) -> list[tuple[str, str]]:
    return [(m, p.split("/service/rest")[-1]) for m, p, _ in nexus.log if m in ("POST", "PUT", "DELETE")]


def adopt_hosted(nexus, **news):
    provider = provider_for(repos.DockerHostedRepositoryProvider, nexus)
    inputs, outs = create(provider, nexus, name=HOSTED, blob_store="docker-hosted", http_port=9897, v1_enabled=True,
                          **{**ADOPT, **news})
    return provider, inputs, outs


def test_an_existing_repository_is_adopted_converged_in_place_and_keeps_its_blob_store(nexus, recipe):
    _, _, outs = adopt_hosted(nexus)
    assert writes(nexus) == [("PUT", f"/v1/repositories/docker/hosted/{HOSTED}")]
    assert (outs["adopted"], outs["blob_store"], outs["__id"]) == (True, STORES[HOSTED], HOSTED)
    stored = nexus.repository(HOSTED)
    assert stored["storage"]["blobStoreName"] == STORES[HOSTED]
    assert stored["docker"] == {"v1Enabled": True, "forceBasicAuth": False, "httpPort": 9897}
    assert stored["storage"]["writePolicy"] == "ALLOW"


def test_an_adopted_repository_already_as_declared_costs_no_write(nexus, recipe):
    provider = provider_for(repos.DockerGroupRepositoryProvider, nexus)
    _, outs = create(provider, nexus, name=GROUP, blob_store="docker-group", members=[HOSTED, PROXY], http_port=9896,
                     force_basic_auth=True, **ADOPT)
    assert writes(nexus) == [] and outs["adopted"] is True and outs["members"] == [HOSTED, PROXY]


def test_the_group_members_order_and_the_proxy_login_and_negative_cache_converge(nexus, recipe):
    group = provider_for(repos.DockerGroupRepositoryProvider, nexus)
    create(group, nexus, name=GROUP, blob_store="docker-group", members=[PROXY, HOSTED], http_port=9896, **ADOPT)
    assert nexus.repository(GROUP)["group"]["memberNames"] == [PROXY, HOSTED]
    proxy = provider_for(repos.DockerProxyRepositoryProvider, nexus)
    _, outs = create(proxy, nexus, name=PROXY, blob_store="docker-proxy", remote_url="https://registry-1.docker.io",
                     negative_cache_minutes=5, remote_username="team", remote_password="tok", **ADOPT)
    stored = nexus.repository(PROXY)
    assert stored["negativeCache"] == {"enabled": True, "timeToLive": 5}
    assert stored["httpClient"]["authentication"] == {"type": "username", "username": "team", "password": "tok"}
    assert outs["remote_password"] == "tok" and outs["adopted"] is True


def test_another_kind_under_the_name_is_refused_with_zero_writes(nexus, recipe):
    nexus.repositories[GROUP].update(format="maven2", group={"memberNames": [MAVEN]})
    before = copy.deepcopy(nexus.repositories)
    provider = provider_for(repos.DockerGroupRepositoryProvider, nexus)
    with pytest.raises(NexusConflictError, match="'docker-group' exists in Nexus as a maven2 group repository; the "
                                                 "stack wants a docker group repository"):
        create(provider, nexus, name=GROUP, blob_store="docker-group", members=[HOSTED], **ADOPT)
    assert writes(nexus) == [] and nexus.repositories == before


def test_without_adopting_the_existing_repository_is_refused_naming_the_key(nexus, recipe):
    provider = provider_for(repos.DockerHostedRepositoryProvider, nexus)
    with pytest.raises(NexusConflictError, match="already exists in Nexus.*`adoptExisting`"):
        create(provider, nexus, name=HOSTED, blob_store="docker-hosted")
    assert writes(nexus) == []


def test_delete_keeps_an_adopted_repository_unless_retain_is_off(nexus, recipe):
    provider, _, outs = adopt_hosted(nexus)
    provider.delete(outs["__id"], outs)
    assert nexus.repository(HOSTED) is not None and nexus.counts["DELETE"] == 0
    _, _, outs = adopt_hosted(nexus, retain_adopted=False)
    provider.delete(outs["__id"], outs)
    assert nexus.repository(HOSTED) is None


def test_a_diff_never_moves_an_adopted_repository_and_refuses_a_rename(nexus, recipe):
    provider, inputs, outs = adopt_hosted(nexus)
    # The stack still says blob store docker-hosted: no change (the store stays as found), no replace.
    same = provider.diff(HOSTED, outs, inputs)
    assert (same.changes, same.replaces) == (False, [])
    # Another setting: an update that keeps the store (Nexus refuses a store change through the API).
    news = checked(provider, nexus, **{**inputs, "force_basic_auth": True})
    assert provider.diff(HOSTED, outs, news).replaces == []
    updated = provider.update(HOSTED, outs, news).outs
    assert updated["blob_store"] == STORES[HOSTED] and nexus.repository(HOSTED)["docker"]["forceBasicAuth"] is True
    with pytest.raises(NexusError, match="'docker-hosted' was adopted .* changing name would replace it"):
        provider.diff(HOSTED, outs, checked(provider, nexus, **{**inputs, "name": "team-hosted"}))


def test_a_refresh_of_an_adopted_repository_keeps_the_marker(nexus, recipe):
    provider, inputs, outs = adopt_hosted(nexus)
    read = provider.read(HOSTED, outs)
    assert read.outs["adopted"] is True and read.outs["blob_store"] == STORES[HOSTED]
    assert provider.diff(HOSTED, read.outs, inputs).changes is False


def test_a_blob_store_no_repository_would_use_is_not_created(nexus, recipe):
    provider = provider_for(repos.BlobStoreProvider, nexus)
    _, outs = create(provider, nexus, name="docker-hosted", for_repositories=[{"type": "hosted", "name": HOSTED}],
                     **ADOPT)
    assert outs["unused"] is True and outs["adopted"] is False
    assert "docker-hosted" not in nexus.blob_stores and writes(nexus) == []
    assert provider.read("docker-hosted", outs).outs == outs
    calls = len(nexus.log)
    provider.delete("docker-hosted", outs)
    assert len(nexus.log) == calls                  # nothing in Nexus to delete
    # The adopted repository deleted by hand: a refresh drops the store too, so the next up creates both.
    del nexus.repositories[HOSTED]
    assert provider.read("docker-hosted", outs).id == "" and writes(nexus) == []
    # For a repository that does not exist yet, the store is created as usual.
    _, outs = create(provider, nexus, name="team-hosted", for_repositories=[{"type": "hosted", "name": "team-hosted"}],
                     **ADOPT)
    assert outs["unused"] is False and "team-hosted" in nexus.blob_stores


def test_an_existing_blob_store_is_adopted_keeping_its_path_and_taking_the_soft_quota(nexus, recipe):
    provider = provider_for(repos.BlobStoreProvider, nexus)
    quota = {"type": "spaceUsedQuota", "limit": 2 ** 30}
    _, outs = create(provider, nexus, name="docker-proxy", soft_quota=quota,
                     for_repositories=[{"type": "proxy", "name": PROXY}], **ADOPT)
    assert (outs["adopted"], outs["path"]) == (True, "/nexus-data/blobs/docker-proxy")
    assert nexus.blob_stores["docker-proxy"] == {"name": "docker-proxy", "path": "/nexus-data/blobs/docker-proxy",
                                                 "softQuota": quota}
    assert [m for m, _ in writes(nexus)] == ["PUT"]
    provider.delete("docker-proxy", outs)
    assert "docker-proxy" in nexus.blob_stores


def test_an_existing_cleanup_policy_is_adopted_and_converged(nexus, recipe):
    provider = provider_for(housekeeping.CleanupPolicyProvider, nexus)
    create(provider, nexus, name="docker-proxy-cleanup", last_downloaded_days=90, config_key="proxyCleanupDays")
    nexus.log.clear()
    _, outs = create(provider, nexus, name="Docker-Proxy-Cleanup", last_downloaded_days=30,
                     config_key="proxyCleanupDays", **ADOPT)
    assert outs["adopted"] is True and outs["last_downloaded_days"] == 30
    assert [m for m, _ in writes(nexus)] == ["PUT"]


def _wanted(**changes) -> list[dict]:
    args = DockerRepoSetArgs(nexus_url="", hosted=Repo(HOSTED, port=9897), group=Repo(GROUP, port=9896),
                             proxy=Repo(PROXY, remote_url="https://registry-1.docker.io"), proxy_cleanup_days=30,
                             **changes)
    return wanted_objects(args)


def test_the_preflight_refuses_every_existing_object_at_once_without_the_key(nexus, recipe):
    provider = provider_for(ExistingObjectsProvider, nexus)
    with pytest.raises(NexusConflictError) as info:
        create(provider, nexus, objects=_wanted(), adopt_existing=False)
    message = str(info.value)
    assert message.count("already exists in Nexus") == 4        # three repositories and the proxy's blob store
    assert "blob store 'docker-proxy'" in message and "`adoptExisting`" in message
    assert writes(nexus) == []


def test_the_preflight_with_the_key_lists_what_it_takes_over_and_later_checks_only_new_names(nexus, recipe):
    provider = provider_for(ExistingObjectsProvider, nexus)
    inputs, outs = create(provider, nexus, objects=_wanted(), adopt_existing=True)
    assert sorted(f"{a['collection']} {a['name']}" for a in outs["adopting"]) == [
        "blob store docker-proxy", f"repository {GROUP}", f"repository {HOSTED}", f"repository {PROXY}"]
    # A later run with a push user: the approved names are the stack's now; the new user is checked.
    assert requests.post(f"{nexus.url}{API}/v1/security/users", auth=("admin", nexus.password), timeout=10, json={
        "userId": "ci", "firstName": "ci", "lastName": "by hand", "emailAddress": "ci@example.invalid",
        "password": "their-own", "status": "active", "roles": ["nx-anonymous"]}).status_code == 200
    news = checked(provider, nexus, objects=_wanted(push_users=("ci",)), adopt_existing=True)
    with pytest.raises(NexusConflictError, match=r"user 'ci' \(listed in `pushUsers`\) already exists in Nexus. "
                                                 "Users and roles are never adopted"):
        provider.update("existing-objects", outs, news)
    fine = checked(provider, nexus, objects=_wanted(push_users=("deployer",)), adopt_existing=False)
    assert provider.update("existing-objects", outs, fine).outs["adopting"] == outs["adopting"]
