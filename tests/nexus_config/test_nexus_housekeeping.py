"""Issue 9 against the Nexus double over real HTTP: Docker Hub credentials on the proxy (and the token nowhere but
in the request and the secret output), the negative cache, cleanup policies and their attachment, the
housekeeping task set (templates first, one error for what Nexus refuses), soft quota bytes and quota status."""
from __future__ import annotations

import logging

import pulumi
import pytest

from components.nexus_config import housekeeping as hk
from components.nexus_config import housekeeping_payloads as hp
from components.nexus_config import repositories as repos
from components.nexus_config.client import NexusApiError, NexusError
from tests.support.nexus_double import NexusDouble, empty
from tests.support.nexus_fixtures import checked, create, provider_for

TOKEN = "dckr_pat_never-show-me-4f2a"
CRON = "0 0 2 ? * SUN"
PROXY = {"name": "docker-proxy", "blob_store": "default", "remote_url": "https://registry-1.docker.io"}


def proxy_provider(double: NexusDouble) -> repos.DockerProxyRepositoryProvider:
    return provider_for(repos.DockerProxyRepositoryProvider, double)


def stored_auth(double: NexusDouble) -> dict | None:
    return (double.repository("docker-proxy").get("httpClient") or {}).get("authentication")


# ---- Docker Hub credentials ----------------------------------------------------------------------------------

def test_authentication_is_sent_only_with_the_credentials(nexus):
    provider = proxy_provider(nexus)
    _, outs = create(provider, nexus, **PROXY)
    assert stored_auth(nexus) is None and outs["remote_username"] is None and outs["remote_password"] is None
    news = checked(provider, nexus, **PROXY, remote_username="team", remote_password=TOKEN)
    assert provider.diff("docker-proxy", outs, news).changes is True
    outs = provider.update("docker-proxy", outs, news).outs
    assert stored_auth(nexus) == {"type": "username", "username": "team", "password": TOKEN}
    assert (outs["remote_username"], outs["remote_password"]) == ("team", TOKEN)
    outs = provider.update("docker-proxy", outs, checked(provider, nexus, **PROXY)).outs
    assert stored_auth(nexus) is None and outs["remote_password"] is None


def test_the_write_only_token_is_no_drift_and_a_new_token_is_an_update(nexus):
    provider = proxy_provider(nexus)
    inputs, outs = create(provider, nexus, **PROXY, remote_username="team", remote_password=TOKEN)
    read = provider.read("docker-proxy", outs)                         # Nexus never returns the password
    assert read.outs["remote_password"] == TOKEN and read.inputs == inputs
    assert provider.diff("docker-proxy", read.outs, inputs).changes is False
    rotated = checked(provider, nexus, **PROXY, remote_username="team", remote_password=TOKEN + "-2")
    diff = provider.diff("docker-proxy", read.outs, rotated)
    assert diff.changes is True and diff.replaces == []
    provider.update("docker-proxy", read.outs, rotated)
    assert stored_auth(nexus)["password"] == TOKEN + "-2"

    del nexus.repository("docker-proxy")["httpClient"]["authentication"]   # removed in the UI
    read = provider.read("docker-proxy", read.outs)
    assert (read.inputs["remote_username"], read.inputs["remote_password"]) == (None, None)
    assert provider.diff("docker-proxy", read.outs, rotated).changes is True


def test_the_token_is_absent_from_logs_errors_and_non_secret_outputs(nexus, caplog, capsys, monkeypatch):
    caplog.set_level(logging.DEBUG)
    progress: list[str] = []                                           # what goes to the engine's log
    monkeypatch.setattr(pulumi.log, "info", lambda msg, *a, **k: progress.append(msg))
    provider = proxy_provider(nexus)
    for _ in range(2):                                                 # retries: progress lines get logged
        nexus.force("POST", "/v1/repositories/docker/proxy", empty(503))
    inputs, outs = create(provider, nexus, **PROXY, remote_username="team", remote_password=TOKEN)
    provider.read("docker-proxy", outs)
    errors = []
    for bad in ({**inputs, "blob_store": "other"}, {**inputs, "negative_cache_minutes": -5}):
        try:                                                           # Nexus' 400, then our own check
            provider.update("docker-proxy", outs, bad)
        except NexusError as err:
            errors.append(str(err))
        errors.extend(f.reason for f in provider.check({}, bad).failures)
    try:
        create(provider, nexus, **PROXY, remote_username="team", remote_password=TOKEN)   # exists already
    except NexusError as err:
        errors.append(str(err))
    captured = capsys.readouterr()
    text = "\n".join([*errors, *progress, caplog.text, captured.out, captured.err, repr(nexus.log)])
    assert len(errors) >= 4 and any("retry 1/2" in line for line in progress)
    assert TOKEN not in text
    assert [k for k, v in outs.items() if TOKEN in str(v)] == ["remote_password"]   # the one secret output
    assert repos.DockerProxyRepository._secret_outputs == ("remote_password",)


# ---- negative cache ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("minutes, stored", [(5, {"enabled": True, "timeToLive": 5}),
                                             (0, {"enabled": False, "timeToLive": 0})])
def test_negative_cache_ttl_comes_from_config_and_drift_is_restored(nexus, minutes, stored):
    provider = proxy_provider(nexus)
    inputs, outs = create(provider, nexus, **PROXY, negative_cache_minutes=minutes)
    assert nexus.repository("docker-proxy")["negativeCache"] == stored
    nexus.repository("docker-proxy")["negativeCache"] = {"enabled": True, "timeToLive": 1440}   # UI default
    read = provider.read("docker-proxy", outs)
    assert read.inputs["negative_cache_minutes"] == 1440
    provider.update("docker-proxy", read.outs, inputs)
    assert nexus.repository("docker-proxy")["negativeCache"] == stored


# ---- cleanup policies ----------------------------------------------------------------------------------------

def policy_provider(double: NexusDouble) -> hk.CleanupPolicyProvider:
    return provider_for(hk.CleanupPolicyProvider, double)


def test_policy_lifecycle_and_drift(nexus):
    provider = policy_provider(nexus)
    inputs, outs = create(provider, nexus, name="docker-proxy-cleanup", last_downloaded_days=30,
                          config_key="proxyCleanupDays")
    assert nexus.cleanup_policies["docker-proxy-cleanup"] == {"name": "docker-proxy-cleanup", "format": "docker",
                                                              "criteriaLastDownloaded": 30}
    assert outs["config_key"] == "proxyCleanupDays" and outs["in_use_count"] == 0
    read = provider.read("docker-proxy-cleanup", outs)
    assert read.inputs == inputs and provider.diff(read.id, read.outs, inputs).changes is False

    nexus.cleanup_policies["docker-proxy-cleanup"]["criteriaLastDownloaded"] = 1        # edited in the UI
    read = provider.read("docker-proxy-cleanup", outs)
    assert read.inputs["last_downloaded_days"] == 1 and provider.diff(read.id, read.outs, inputs).changes is True
    outs = provider.update(read.id, read.outs, inputs).outs
    assert nexus.cleanup_policies["docker-proxy-cleanup"]["criteriaLastDownloaded"] == 30
    assert provider.diff(read.id, outs, {**inputs, "name": "renamed"}).replaces == ["name"]

    provider.delete(read.id, outs)
    assert nexus.cleanup_policies == {} and provider.read(read.id, outs).id == ""


def test_policy_attachment_drift_and_convergence(nexus):
    policy_outs = create(policy_provider(nexus), nexus, name="hosted-cleanup", last_downloaded_days=90,
                         last_blob_updated_days=90, config_key="hostedCleanupDays")[1]
    hosted = provider_for(repos.DockerHostedRepositoryProvider, nexus)
    inputs, outs = create(hosted, nexus, name="docker-hosted", blob_store="default",
                          cleanup_policies=["hosted-cleanup"])
    assert nexus.repository("docker-hosted")["cleanup"] == {"policyNames": ["hosted-cleanup"]}
    assert policy_provider(nexus).read("hosted-cleanup", policy_outs).outs["in_use_count"] == 1
    writes = nexus.writes()
    assert hosted.diff("docker-hosted", hosted.read("docker-hosted", outs).outs, inputs).changes is False
    assert nexus.writes() == writes

    nexus.repository("docker-hosted")["cleanup"] = {"policyNames": []}                 # detached in the UI
    read = hosted.read("docker-hosted", outs)
    assert read.inputs["cleanup_policies"] == [] and hosted.diff(read.id, read.outs, inputs).changes is True
    hosted.update(read.id, read.outs, inputs)
    assert nexus.repository("docker-hosted")["cleanup"] == {"policyNames": ["hosted-cleanup"]}

    policy_provider(nexus).delete("hosted-cleanup", policy_outs)   # Nexus detaches a deleted policy itself
    assert hosted.read("docker-hosted", outs).inputs["cleanup_policies"] == []


@pytest.mark.parametrize("status", [404, 405])
def test_a_nexus_refusing_cleanup_policies_gets_a_clear_error_naming_the_key(nexus, status):
    nexus.cleanup_policies_status = status
    with pytest.raises(NexusError) as info:
        create(policy_provider(nexus), nexus, name="docker-proxy-cleanup", last_downloaded_days=30,
               config_key="proxyCleanupDays")
    message = str(info.value)
    assert f"HTTP {status}" in message and "pulumi config set proxyCleanupDays 0" in message
    assert nexus.writes() == 0


def test_a_duplicate_policy_is_refused_without_touching_it(nexus):
    nexus.cleanup_policies["p"] = {"name": "p", "format": "docker", "criteriaLastDownloaded": 3}
    with pytest.raises(NexusError, match="'p' already exists"):
        create(policy_provider(nexus), nexus, name="p", last_downloaded_days=30)
    assert nexus.cleanup_policies["p"]["criteriaLastDownloaded"] == 3 and nexus.writes() == 0


# ---- housekeeping tasks --------------------------------------------------------------------------------------

def tasks_provider(double: NexusDouble) -> hk.HousekeepingTasksProvider:
    return provider_for(hk.HousekeepingTasksProvider, double)


def our_tasks(double: NexusDouble) -> dict[str, dict]:
    return {t["name"]: t for t in double.tasks.values() if t["name"].startswith(hp.TASK_NAME_PREFIX)}


def make_repos(double: NexusDouble) -> list[dict]:
    for name in ("docker-hosted", "docker-proxy"):
        double.blob_stores[name] = {"name": name, "path": name}
    create(provider_for(repos.DockerHostedRepositoryProvider, double), double, name="docker-hosted",
           blob_store="docker-hosted")
    create(proxy_provider(double), double, **{**PROXY, "blob_store": "docker-proxy"})
    return hp.housekeeping_tasks(["docker-hosted", "docker-proxy"], "docker-hosted", "docker-proxy", 720)


def test_tasks_are_created_from_templates_and_converge(nexus):
    tasks = make_repos(nexus)
    provider = tasks_provider(nexus)
    inputs, outs = create(provider, nexus, tasks=tasks, cron=CRON)
    created = our_tasks(nexus)
    assert sorted(created) == sorted(t["name"] for t in tasks) and len(nexus.tasks) == len(tasks) + 1
    compact = created["nexus-registry: compact blob store docker-hosted"]
    assert compact["properties"] == {"blobstoreName": "docker-hosted", "blobsOlderThan": "0"}   # template default
    assert {t["cronExpression"] for t in created.values()} == {CRON} and all(t["enabled"] for t in created.values())
    assert [s["id"] for s in outs["scheduled"]] == [created[t["name"]]["id"] for t in tasks]
    assert ("GET", "/service/rest/v1/tasks/templates", 200) in nexus.log

    writes = nexus.writes()                                            # refresh + up with nothing changed
    read = provider.read(outs["__id"], outs)
    assert read.inputs == inputs and provider.diff(read.id, read.outs, inputs).changes is False
    assert nexus.writes() == writes


def test_task_drift_is_read_and_restored(nexus):
    tasks = make_repos(nexus)
    provider = tasks_provider(nexus)
    inputs, outs = create(provider, nexus, tasks=tasks, cron=CRON)
    created = our_tasks(nexus)
    gc = created["nexus-registry: docker GC docker-hosted"]
    del nexus.tasks[gc["id"]]                                          # deleted in the UI
    compact = created["nexus-registry: compact blob store docker-proxy"]
    compact["cronExpression"] = "0 0 5 ? * MON"                        # rescheduled in the UI
    read = provider.read(outs["__id"], outs)
    assert gc["name"] not in [t["name"] for t in read.inputs["tasks"]] and read.inputs["cron"] == "0 0 5 ? * MON"
    assert provider.diff(read.id, read.outs, inputs).changes is True
    outs = provider.update(read.id, read.outs, inputs).outs
    assert nexus.counts["PUT"] == 1 and len(our_tasks(nexus)) == len(tasks)
    assert {t["cronExpression"] for t in our_tasks(nexus).values()} == {CRON}
    assert provider.diff(read.id, provider.read(read.id, outs).outs, inputs).changes is False


def test_fewer_tasks_wanted_deletes_ours_and_a_destroy_deletes_all_of_them(nexus):
    tasks = make_repos(nexus)
    provider = tasks_provider(nexus)
    _, outs = create(provider, nexus, tasks=tasks, cron=CRON)
    fewer = [t for t in tasks if t["properties"].get("repositoryName") != "docker-proxy"]    # proxyCleanupDays 0
    outs = provider.update(provider.ID, outs, checked(provider, nexus, tasks=fewer, cron=CRON)).outs
    assert sorted(our_tasks(nexus)) == sorted(t["name"] for t in fewer)
    provider.delete(provider.ID, outs)
    assert our_tasks(nexus) == {} and [t["type"] for t in nexus.tasks.values()] == ["repository.cleanup"]


@pytest.mark.parametrize("status", [404, 405])
def test_a_server_refusing_task_creation_gets_one_error_listing_every_task(nexus, status):
    tasks = make_repos(nexus)
    nexus.task_create_status, nexus.task_templates_status = status, 404      # as 3.78 CE [obs]
    with pytest.raises(NexusError) as info:
        create(tasks_provider(nexus), nexus, tasks=tasks, cron=CRON)
    message = str(info.value)
    assert message.count("\n  - ") == len(tasks) and f"answered HTTP {status}" in message
    for task in tasks:
        assert task["name"] in message
    assert "pulumi config set housekeeping false" in message and "Create task" in message
    assert our_tasks(nexus) == {}


def test_what_can_be_created_is_and_the_rest_is_one_error_then_a_rerun_adopts(nexus):
    tasks = make_repos(nexus)
    nexus.template_types.discard("repository.docker.upload-purge")          # this Nexus offers no such task
    provider = tasks_provider(nexus)
    with pytest.raises(NexusError) as info:
        create(provider, nexus, tasks=tasks, cron=CRON)
    message = str(info.value)
    assert message.count("\n  - ") == 1 and "no template" in message and "were created" in message
    assert "Docker - Delete incomplete uploads" in message
    assert len(our_tasks(nexus)) == len(tasks) - 1
    posts = nexus.counts["POST"]

    manual = hp.task_request(tasks[-1], CRON)                               # the operator creates it by hand ...
    nexus.template_types.add("repository.docker.upload-purge")
    nexus.tasks["by-hand"] = {**manual, "id": "by-hand", "schedule": "cron", "cronExpression": CRON,
                              "properties": {**manual["properties"]}}
    _, outs = create(provider, nexus, tasks=tasks, cron=CRON)               # ... and the next up adopts them all
    assert nexus.counts["POST"] == posts and len(our_tasks(nexus)) == len(tasks)
    assert "by-hand" in [s["id"] for s in outs["scheduled"]]


def test_a_task_nexus_refuses_for_a_reason_is_reported_with_nexus_words(nexus):
    tasks = hp.housekeeping_tasks(["no-such-store"], "docker-hosted")       # neither exists
    with pytest.raises(NexusError) as info:
        create(tasks_provider(nexus), nexus, tasks=tasks, cron=CRON)
    message = str(info.value)
    assert "HTTP 400" in message and "no-such-store" in message and message.count("\n  - ") == 2
    assert len(our_tasks(nexus)) == 1                                       # the upload purge needs nothing


# ---- soft quota ----------------------------------------------------------------------------------------------

def test_soft_quota_is_sent_in_bytes_and_its_status_is_an_output(nexus):
    provider = provider_for(repos.BlobStoreProvider, nexus)
    gib = {"type": "spaceUsedQuota", "limit": 1073741824}
    inputs, outs = create(provider, nexus, name="docker-hosted", soft_quota=gib)
    assert nexus.blob_stores["docker-hosted"]["softQuota"] == {"type": "spaceUsedQuota", "limit": 1073741824}
    assert outs["quota_status"] == {"violation": False,
                                    "message": "Blob store docker-hosted is using 0 Bytes space and has a limit of "
                                               "1.00 GB"}
    nexus.blob_store_used["docker-hosted"] = 2 * 1073741824
    read = provider.read("docker-hosted", outs)
    assert read.outs["quota_status"]["violation"] is True
    assert provider.diff(read.id, read.outs, inputs).changes is False       # a status is no drift
    _, plain = create(provider, nexus, name="no-quota")
    assert plain["quota_status"] is None and ("GET", "/service/rest/v1/blobstores/no-quota/quota-status", 200) \
        not in nexus.log


def test_check_refuses_a_zero_limit_before_nexus_does(nexus):
    failures = provider_for(repos.BlobStoreProvider, nexus).check(
        {}, {"nexus_url": nexus.url, "name": "b", "soft_quota": {"type": "spaceRemainingQuota", "limit": 0}}).failures
    assert [f.property for f in failures] == ["soft_quota"] and nexus.counts == {}


def test_a_missing_privilege_stops_at_once_instead_of_being_listed(nexus):
    nexus.force("GET", "/v1/tasks/templates", empty(403))
    with pytest.raises(NexusApiError, match="HTTP 403.*lacks the Nexus privileges"):
        create(tasks_provider(nexus), nexus, tasks=hp.housekeeping_tasks(["default"], "x"), cron=CRON)
    nexus.force("POST", "/v1/tasks", empty(403))
    with pytest.raises(NexusApiError, match="HTTP 403"):
        create(tasks_provider(nexus), nexus, tasks=hp.housekeeping_tasks(["default"], "x"), cron=CRON)
    assert our_tasks(nexus) == {} and nexus.counts["POST"] == 1
