"""Taking over the recipe's hand-made Nexus (issue 16, stack key `adoptExisting`), through the engine's side replayed
against the SDK's dynamic-provider server, on the `prod` stack (the recipe's own installation) and a Nexus double
holding what the recipe left (tests/support/nexus_recipe.py): its three repositories with the UI's defaults on their
own blob stores, DockerToken active, anonymous on, and an unrelated maven repository.

- With the key: zero DELETEs, no POST to a name that existed, every repository keeps its blob store and no unused
  store is created, the stack's settings are converged in the same up, a second up writes nothing, destroy leaves
  the adopted objects (the maven repository is never touched).
- Without it: one clear error naming the key and every existing object, zero writes.
- A kind mismatch (`docker-hosted` a proxy, `docker-group` a maven group): refused, zero writes.
- A rename of an adopted repository (a replace): refused in the diff, nothing written.
"""
from __future__ import annotations

import copy
import json

import pytest

from tests.engine.conftest import target
from components.nexus_config.housekeeping_payloads import task_request
from tests.support.engine import DIFF, Deployment, ops
from tests.support.nexus_recipe import GROUP, HOSTED, MAVEN, PROXY, STORES, populate_as_recipe
from tests.support.provider_server import EngineError

USER, TOKEN = "team-ci", "dckr_pat_adoption-0001"
EXISTING = "docker-repos-existing"
# What the adopting creates answer and the program reads back (the replay's goals are computed from it, as `pulumi
# up` computes the later resources' inputs from earlier outputs); the first test checks the providers answer this.
ANSWERS = {"docker-repos-hosted": {"blob_store": STORES[HOSTED], "adopted": True},
           "docker-repos-proxy": {"blob_store": STORES[PROXY], "adopted": True},
           "docker-repos-group": {"blob_store": STORES[GROUP], "adopted": True},
           "docker-repos-blobs-docker-proxy": {"adopted": True},
           "docker-repos-blobs-docker-hosted": {"unused": True}, "docker-repos-blobs-docker-group": {"unused": True}}


@pytest.fixture(scope="module")
def prod(nexus_port):
    overrides = {"nexusUrl": f"http://127.0.0.1:{nexus_port}", "acceptEula": True, "adoptExisting": True,
                 "dockerHubUsername": USER}
    with target("prod", overrides, secrets={"dockerHubToken": TOKEN}, outputs=ANSWERS) as t:
        yield t


@pytest.fixture(scope="module")
def prod_without_key(nexus_port):
    overrides = {"nexusUrl": f"http://127.0.0.1:{nexus_port}", "acceptEula": True, "adoptExisting": False}
    with target("prod", overrides) as t:
        yield t


@pytest.fixture
def recipe(nexus):
    found = populate_as_recipe(nexus)
    found["maven"] = copy.deepcopy(nexus.repository(MAVEN))
    return found


def posted_names(nexus) -> list[str]:
    names = []
    for method, _path, body in nexus.bodies:
        if method == "POST" and body:
            data = json.loads(body)
            if isinstance(data, dict) and data.get("name"):
                names.append(data["name"].lower())
    return names


def maven_requests(nexus) -> list:
    return [(m, p) for m, p, _ in nexus.log if MAVEN in p]


def test_up_adopts_the_recipes_nexus_converges_it_and_deletes_nothing(prod, nexus, recipe):
    deployment = Deployment(prod.server)
    steps = deployment.up(prod.goals)
    assert set(ops(steps).values()) == {"create"}

    # Nothing deleted, nothing re-created: no POST to a name that existed.
    assert nexus.counts["DELETE"] == 0
    existed = {n.lower() for n in [*recipe["blob_stores"], *recipe["repositories"]]}
    assert not existed & set(posted_names(nexus)), posted_names(nexus)
    # Each repository keeps its own blob store; the stack created no store no repository uses.
    for name in (HOSTED, PROXY, GROUP):
        assert nexus.repository(name)["storage"]["blobStoreName"] == STORES[name]
    assert "docker-hosted" not in nexus.blob_stores and "docker-group" not in nexus.blob_stores
    assert set(nexus.blob_stores) == set(recipe["blob_stores"])
    # Converged in the same up: connector ports, members and their order, Docker Hub login, negative cache,
    # cleanup, v1, anonymous access (prod: off), auth scheme (Bearer token, as the gateway needs).
    hosted, proxy, group = (nexus.repository(n) for n in (HOSTED, PROXY, GROUP))
    assert hosted["docker"] == {"v1Enabled": True, "forceBasicAuth": False, "httpPort": 9897}
    assert hosted["storage"]["writePolicy"] == "ALLOW"
    assert group["docker"] == {"v1Enabled": False, "forceBasicAuth": False, "httpPort": 9896}
    assert group["group"]["memberNames"] == [HOSTED, PROXY]
    assert proxy["httpClient"]["authentication"] == {"type": "username", "username": USER, "password": TOKEN}
    assert proxy["negativeCache"] == {"enabled": True, "timeToLive": 5}
    assert proxy["cleanup"] == {"policyNames": ["docker-proxy-cleanup"]}
    assert "DockerToken" in nexus.active_realms and nexus.anonymous["enabled"] is False
    # Housekeeping compacts the stores really in use.
    compacted = {t["properties"].get("blobstoreName") for t in nexus.tasks.values() if t["type"] == "blobstore.compact"}
    assert compacted == set(STORES.values())
    assert nexus.repository(MAVEN) == recipe["maven"] and maven_requests(nexus) == []

    # The providers answered what the program was given to read (ANSWERS): adopted, on their own stores, and the
    # stack's stores for hosted and group not created.
    for name, answer in ANSWERS.items():
        outs = deployment.resources[prod.goal(name).urn].outputs
        assert {k: outs[k] for k in answer} == answer, name
    assert deployment.resources[prod.goal("docker-repos-blobs-docker-hosted").urn].outputs["adopted"] is False
    assert deployment.resources[prod.goal("docker-repos-cleanup-proxy").urn].outputs["adopted"] is False


def test_a_second_up_and_a_refresh_change_nothing(prod, nexus, recipe):
    deployment = Deployment(prod.server)
    deployment.up(prod.goals)
    writes = nexus.writes()
    assert {s.op for s in deployment.up(prod.goals)} == {"same"}
    assert nexus.writes() == writes
    refreshed = deployment.refresh()
    # No drift: nothing dropped, no diff (an output-only count such as in_use_count may move).
    assert [s.name for s in refreshed if s.op != "refresh" or s.diff.changes == DIFF.DIFF_SOME] == []
    assert {s.op for s in deployment.up(prod.goals)} == {"same"} and nexus.writes() == writes


def test_destroy_leaves_the_adopted_objects_and_their_content(prod, nexus, recipe):
    deployment = Deployment(prod.server)
    deployment.up(prod.goals)
    converged = {n: copy.deepcopy(nexus.repository(n)) for n in (HOSTED, PROXY, GROUP)}

    deployment.destroy()
    assert deployment.resources == {}
    for name in (HOSTED, PROXY, GROUP):          # still there, on their stores; only our cleanup policy is gone
        repo = nexus.repository(name)
        assert repo is not None and repo["storage"]["blobStoreName"] == STORES[name]
        assert repo["docker"] == converged[name]["docker"]
    assert set(nexus.blob_stores) == set(recipe["blob_stores"])
    assert "docker-proxy-cleanup" not in nexus.cleanup_policies             # ours: created by the stack
    assert nexus.repository(MAVEN) == recipe["maven"] and maven_requests(nexus) == []
    deletes = [p for m, p, _ in nexus.log if m == "DELETE"]
    assert not any("/repositories/" in p or "/blobstores/" in p for p in deletes), deletes


def test_destroy_with_retain_data_false_deletes_adopted_objects_too(prod, nexus, recipe):
    deployment = Deployment(prod.server)
    deployment.up(prod.program(retainData=False))
    deployment.destroy()
    assert all(nexus.repository(n) is None for n in (HOSTED, PROXY, GROUP))
    assert nexus.repository(MAVEN) == recipe["maven"]


def test_renaming_an_adopted_repository_is_refused_before_anything_is_written(prod, nexus, recipe):
    deployment = Deployment(prod.server)
    deployment.up(prod.goals)
    writes = nexus.writes()
    with pytest.raises(EngineError) as info:
        deployment.up(prod.program(hostedRepo="team-hosted"))
    # The preflight (first of all) refuses it, before the new name's blob store would be created.
    assert (info.value.method, info.value.urn) == ("Update", prod.goal(EXISTING).urn)
    assert "docker hosted repository 'docker-hosted' was adopted" in info.value.details
    assert "its name (stack key `hostedRepo`: 'team-hosted') would replace it" in info.value.details
    assert nexus.writes() == writes and nexus.repository(HOSTED) is not None


def test_without_the_key_one_clear_error_and_zero_writes(prod_without_key, nexus, recipe):
    deployment = Deployment(prod_without_key.server)
    with pytest.raises(EngineError) as info:
        deployment.up(prod_without_key.goals)
    error = info.value
    assert (error.method, error.urn) == ("Create", prod_without_key.goal(EXISTING).urn)
    for name in (HOSTED, PROXY, GROUP):
        assert f"docker {name.split('-')[1]} repository '{name}' already exists in Nexus" in error.details
    assert "blob store 'docker-proxy' already exists" in error.details
    assert "set the stack key `adoptExisting` (pulumi config set adoptExisting true)" in error.details
    assert nexus.writes() == 0


@pytest.mark.parametrize("change,what", [
    (lambda n: n.repositories[HOSTED].update(type="proxy", proxy={"remoteUrl": "https://quay.io"},
                                             negativeCache={"enabled": True, "timeToLive": 1},
                                             httpClient={}, dockerProxy={"indexType": "REGISTRY"}),
     "'docker-hosted' exists in Nexus as a docker proxy repository; the stack wants a docker hosted repository"),
    (lambda n: n.repositories[GROUP].update(format="maven2", group={"memberNames": [MAVEN]}),
     "'docker-group' exists in Nexus as a maven2 group repository; the stack wants a docker group repository"),
], ids=["hosted-is-a-proxy", "group-is-maven"])
def test_an_object_of_another_kind_is_refused_with_zero_writes(prod, nexus, recipe, change, what):
    change(nexus)
    before = copy.deepcopy(nexus.repositories)
    with pytest.raises(EngineError) as info:
        Deployment(prod.server).up(prod.goals)
    assert what in info.value.details and "Nothing was changed" in info.value.details
    assert nexus.writes() == 0 and nexus.repositories == before


def test_an_existing_push_user_is_refused_naming_it(prod, nexus, recipe):
    nexus.outside("POST", "/v1/security/users", {
        "userId": "ci", "firstName": "ci", "lastName": "by hand", "emailAddress": "ci@example.invalid",
        "password": "their-own", "status": "active", "roles": ["nx-anonymous"]})
    writes = nexus.writes()
    with pytest.raises(EngineError) as info:
        Deployment(prod.server).up(prod.program(pushUsers=["ci"]))
    assert "user 'ci' (listed in `pushUsers`) already exists in Nexus" in info.value.details
    assert "never adopted" in info.value.details
    assert nexus.writes() == writes


def test_a_hand_made_task_under_the_stacks_name_is_adopted_converged_and_kept_on_destroy(prod, nexus, recipe):
    task = {"name": "nexus-registry: docker incomplete uploads", "type": "repository.docker.upload-purge",
            "properties": {"age": "48"}}
    assert nexus.outside("POST", "/v1/tasks", task_request(task, "0 0 3 * * ?")) == 201
    task_id = next(i for i, t in nexus.tasks.items() if t["name"] == task["name"])
    deployment = Deployment(prod.server)
    deployment.up(prod.goals)
    scheduled = deployment.resources[prod.goal("housekeeping-tasks").urn].outputs["scheduled"]
    marks = {t["name"]: t["adopted"] for t in scheduled}
    assert marks.pop(task["name"]) is True and not any(marks.values())
    assert nexus.tasks[task_id]["properties"]["age"] == "24"            # converged in place, same task
    deployment.destroy()
    assert set(nexus.tasks) >= {task_id} and [t["name"] for t in nexus.tasks.values()
                                              if t["name"].startswith("nexus-registry:")] == [task["name"]]


@pytest.fixture(scope="module")
def dev(nexus_port):
    with target("dev", {"nexusUrl": f"http://127.0.0.1:{nexus_port}", "acceptEula": True}) as t:
        yield t


def test_a_stack_deployed_before_the_check_existed_passes_it_with_one_adopting_run(dev, nexus):
    deployment = Deployment(dev.server)
    deployment.up(dev.goals)
    del deployment.resources[dev.goal(EXISTING).urn]          # the state an earlier version left: no check in it
    writes = nexus.writes()
    with pytest.raises(EngineError, match="'docker-hosted' already exists in Nexus"):
        deployment.up(dev.goals)
    assert nexus.writes() == writes

    steps = deployment.up(dev.program(adoptExisting=True))    # the documented one run
    assert ops(steps, "create") == [EXISTING]
    assert not any(r.outputs.get("adopted") for r in deployment.resources.values())   # still the stack's own
    deployment.up(dev.goals)                                  # the key back off: only new names are checked
    assert {s.op for s in deployment.up(dev.goals)} == {"same"}
    deployment.destroy()
    assert all(nexus.repository(n) is None for n in (HOSTED, PROXY, GROUP))


def test_an_adopted_repository_deleted_by_hand_comes_back_after_a_refresh_on_a_store_of_its_own(prod, nexus, recipe):
    deployment = Deployment(prod.server)
    deployment.up(prod.goals)
    assert nexus.outside("DELETE", f"/v1/repositories/{HOSTED}") == 204          # in the UI, behind the stack's back
    refreshed = {s.name: s.op for s in deployment.refresh()}
    assert refreshed["docker-repos-hosted"] == refreshed["docker-repos-blobs-docker-hosted"] == "delete"
    steps = deployment.up(prod.goals)
    assert sorted(ops(steps, "create")) == ["docker-repos-blobs-docker-hosted", "docker-repos-hosted"]
    assert nexus.repository(HOSTED)["storage"]["blobStoreName"] == "docker-hosted"
    assert nexus.repository(GROUP)["group"]["memberNames"] == [HOSTED, PROXY]
    assert deployment.resources[prod.goal("docker-repos-hosted").urn].outputs["adopted"] is False
