"""Pure builders of issue 9: proxy credentials, negative cache and cleanup attachment in the repository bodies;
cleanup policy bodies; the housekeeping task set, its diff and the one refusal message (no HTTP)."""
from __future__ import annotations

import pytest
from pulumi.runtime.rpc import UNKNOWN

from components.nexus_config import fields as f
from components.nexus_config import housekeeping_payloads as hp
from components.nexus_config import repository_payloads as rp

URL = "http://nexus.example:30081"
PROXY = {"nexus_url": URL, "name": "docker-proxy", "blob_store": "b", "remote_url": "https://registry-1.docker.io"}
TOKEN = "dckr_pat_0123456789abcdef"


def checked(fields, news, cross_check=None):
    inputs, failures = f.check_inputs(fields, news, cross_check)
    assert failures == [], failures
    return inputs


# ---- proxy: credentials, negative cache, cleanup -------------------------------------------------------------

def test_authentication_block_only_with_the_credentials():
    plain = rp.proxy_request(checked(rp.PROXY_FIELDS, PROXY))
    assert plain["httpClient"] == {"blocked": False, "autoBlock": True}
    with_login = rp.proxy_request(checked(rp.PROXY_FIELDS, {**PROXY, "remote_username": "team",
                                                            "remote_password": TOKEN}))
    assert with_login["httpClient"]["authentication"] == {"type": "username", "username": "team", "password": TOKEN}


@pytest.mark.parametrize("given, missing", [({"remote_username": "team"}, "remote_password"),
                                            ({"remote_password": TOKEN}, "remote_username")])
def test_credentials_come_in_pairs_and_a_refusal_never_shows_the_token(given, missing):
    failures = dict(f.check_inputs(rp.PROXY_FIELDS, {**PROXY, **given}, rp.proxy_cross_check)[1])
    assert list(failures) == [missing] and "both or neither" in failures[missing]
    assert TOKEN not in str(failures)
    bad = dict(f.check_inputs(rp.PROXY_FIELDS, {**PROXY, "remote_username": "team", "remote_password": 12345})[1])
    assert bad["remote_password"].endswith("(got ****)") and "12345" not in bad["remote_password"]


def test_read_back_has_the_user_but_never_a_password():
    body = {**rp.proxy_request(checked(rp.PROXY_FIELDS, {**PROXY, "remote_username": "team",
                                                         "remote_password": TOKEN})), "url": "u"}
    body["httpClient"]["authentication"].pop("password")                # write-only: GET leaves it out
    outs = rp.proxy_outs(body)
    assert (outs["remote_username"], outs["remote_password"]) == ("team", None)
    ntlm = {**body, "httpClient": {"authentication": {"type": "ntlm", "username": "x"}}}
    assert rp.proxy_outs(ntlm)["remote_username"] is None               # not ours: drift


@pytest.mark.parametrize("minutes, cache", [(5, {"enabled": True, "timeToLive": 5}),
                                            (0, {"enabled": False, "timeToLive": 0}),
                                            (None, {"enabled": True, "timeToLive": 1440})])   # Nexus' default
def test_negative_cache_minutes_from_config(minutes, cache):
    inputs = checked(rp.PROXY_FIELDS, {**PROXY, "negative_cache_minutes": minutes})
    assert rp.proxy_request(inputs)["negativeCache"] == cache
    assert rp.proxy_outs({**rp.proxy_request(inputs), "url": "u"})["negative_cache_minutes"] == (minutes if
                                                                                                minutes is not None
                                                                                                else 1440)


def test_negative_cache_read_normalisation():
    assert rp._negative_cache_outs({"enabled": False, "timeToLive": 1440}) == 0     # off in the UI
    assert rp._negative_cache_outs(None) == 1440
    failures = dict(f.check_inputs(rp.PROXY_FIELDS, {**PROXY, "negative_cache_minutes": -1})[1])
    assert "0 turns the negative cache off" in failures["negative_cache_minutes"]


def test_cleanup_policies_are_attached_as_a_set():
    inputs = checked(rp.HOSTED_FIELDS, {"nexus_url": URL, "name": "h", "blob_store": "b",
                                        "cleanup_policies": ["z-policy", "a-policy"]})
    assert inputs["cleanup_policies"] == ["a-policy", "z-policy"]                    # Nexus keeps a set
    body = rp.hosted_request(inputs)
    assert body["cleanup"] == {"policyNames": ["a-policy", "z-policy"]}
    assert "cleanup" not in rp.hosted_request({**inputs, "cleanup_policies": []})
    assert rp.hosted_outs({**body, "cleanup": None})["cleanup_policies"] == []      # "cleanup": null on read
    assert rp.hosted_outs({**body, "cleanup": {"policyNames": ["z-policy", "a-policy"]}})["cleanup_policies"] == \
        ["a-policy", "z-policy"]
    failures = dict(f.check_inputs(rp.HOSTED_FIELDS, {**inputs, "cleanup_policies": ["a", "a"]})[1])
    assert "repeat" in failures["cleanup_policies"]


def test_soft_quota_limit_is_bytes_and_positive():
    gib = {"type": "spaceUsedQuota", "limit": 1073741824}
    assert rp.blob_store_create_request(checked(rp.BLOB_STORE_FIELDS, {"nexus_url": URL, "name": "b",
                                                                       "soft_quota": gib}))["softQuota"] == gib
    failures = dict(f.check_inputs(rp.BLOB_STORE_FIELDS, {"nexus_url": URL, "name": "b",
                                                          "soft_quota": {**gib, "limit": 0}})[1])
    assert "> 0 (bytes)" in failures["soft_quota"]
    status = {"blobStoreName": "b", "isViolation": True, "message": "over"}
    assert rp.blob_store_outs("b", {"path": "b", "softQuota": gib, rp.QUOTA_STATUS: status})["quota_status"] == \
        {"violation": True, "message": "over"}


# ---- cleanup policies ----------------------------------------------------------------------------------------

def test_policy_body_sends_only_the_criteria_set():
    inputs = checked(hp.CLEANUP_POLICY_FIELDS, {"nexus_url": URL, "name": "p", "last_downloaded_days": 30.0})
    assert hp.policy_request(inputs) == {"name": "p", "format": "docker", "criteriaLastDownloaded": 30}
    both = {**inputs, "last_blob_updated_days": 90, "notes": "n", "asset_regex": ".*"}
    assert hp.policy_request(both) == {"name": "p", "format": "docker", "criteriaLastDownloaded": 30,
                                       "criteriaLastBlobUpdated": 90, "criteriaAssetRegex": ".*", "notes": "n"}
    outs = {"nexus_url": URL, **hp.policy_outs({**hp.policy_request(both), "inUseCount": 2}), "config_key": None,
            "adopt_existing": False, "retain_adopted": True}     # carried by the provider, not read from Nexus
    assert f.inputs_from_outs(hp.CLEANUP_POLICY_FIELDS, outs) == {**both, "config_key": None}


@pytest.mark.parametrize("news, key, reason", [
    ({}, "last_downloaded_days", "at least one criterion"),
    ({"last_downloaded_days": 0}, "last_downloaded_days", ">= 1"),
    ({"asset_regex": "(unclosed"}, "asset_regex", "regular expression"),
    ({"last_downloaded_days": 1, "name": "_p"}, "name", "name pattern"),
])
def test_policy_check_failures(news, key, reason):
    failures = dict(f.check_inputs(hp.CLEANUP_POLICY_FIELDS, {"nexus_url": URL, "name": "p", **news},
                                   hp.cleanup_cross_check)[1])
    assert key in failures and reason in failures[key]


def test_policy_refusal_names_the_key_to_set_to_zero():
    message = hp.cleanup_unavailable(URL, 405, "proxyCleanupDays")
    assert "HTTP 405" in message and "pulumi config set proxyCleanupDays 0" in message and "Pro" in message


# ---- tasks ---------------------------------------------------------------------------------------------------

def test_the_housekeeping_task_set():
    tasks = hp.housekeeping_tasks(["docker-hosted", "docker-proxy"], "docker-hosted", "docker-proxy", 720)
    assert [(t["type"], t["properties"]) for t in tasks] == [
        ("blobstore.compact", {"blobstoreName": "docker-hosted"}),
        ("blobstore.compact", {"blobstoreName": "docker-proxy"}),
        ("repository.docker.gc", {"repositoryName": "docker-hosted", "deployOffset": "24"}),
        ("repository.docker.gc", {"repositoryName": "docker-proxy", "deployOffset": "720"}),
        ("repository.docker.upload-purge", {"age": "24"}),
    ]
    assert all(t["name"].startswith("nexus-registry: ") for t in tasks)
    assert [t["type"] for t in hp.housekeeping_tasks(["docker"], "h")].count("repository.docker.gc") == 1


def test_task_body_is_built_on_the_template():
    task = hp.housekeeping_tasks(["s"], "h")[0]
    template = {"type": "blobstore.compact", "properties": {"blobstoreName": "", "blobsOlderThan": "0"}}
    body = hp.task_request(task, "0 0 2 ? * SUN", template)
    assert body == {"name": task["name"], "type": "blobstore.compact", "enabled": True,
                    "notificationCondition": "FAILURE", "frequency": {"schedule": "cron",
                                                                      "cronExpression": "0 0 2 ? * SUN"},
                    "properties": {"blobstoreName": "s", "blobsOlderThan": "0"}}


def test_task_set_diff():
    tasks = hp.housekeeping_tasks(["s"], "h")
    cron = "0 0 2 ? * SUN"
    scheduled = [{"id": str(i), **t, "cron": cron, "enabled": True} for i, t in enumerate(tasks)]
    olds = {"nexus_url": URL, "scheduled": scheduled}
    news = {"nexus_url": URL, "tasks": tasks, "cron": cron}
    assert hp.tasks_changes(olds, news) == []
    assert hp.tasks_changes(olds, {**news, "cron": "0 0 3 ? * SUN"}) == ["tasks"]
    assert hp.tasks_changes({**olds, "scheduled": scheduled[1:]}, news) == ["tasks"]            # deleted in the UI
    assert hp.tasks_changes({**olds, "scheduled": [{**scheduled[0], "enabled": False}, *scheduled[1:]]},
                            news) == ["tasks"]                                                # disabled
    assert hp.tasks_changes(olds, {**news, "tasks": tasks[1:]}) == ["tasks"]                  # one less wanted
    assert hp.tasks_changes(olds, {**news, "tasks": UNKNOWN}) == ["tasks"]
    assert hp.tasks_changes(olds, {**news, "nexus_url": "http://other:1"}) == ["nexus_url"]


@pytest.mark.parametrize("tasks, reason", [
    ([], "non-empty list"),
    ([{"name": "a", "type": "t", "properties": {"k": 1}}], "strings to strings"),
    ([{"name": "a", "type": "t"}, {"name": "a", "type": "u"}], "repeat"),
    ([{"name": "a", "type": "t", "schedule": "x"}], "{name, type, properties}"),
])
def test_task_set_check_failures(tasks, reason):
    failures = dict(f.check_inputs(hp.TASKS_FIELDS, {"nexus_url": URL, "tasks": tasks, "cron": "0 0 2 ? * SUN"})[1])
    assert reason in failures["tasks"]
    cron = dict(f.check_inputs(hp.TASKS_FIELDS, {"nexus_url": URL, "tasks": hp.housekeeping_tasks(["s"], "h"),
                                                 "cron": "0 2 * * *"})[1])
    assert "Quartz" in cron["cron"]


def test_one_refusal_message_lists_every_task_to_create_by_hand_and_the_off_switch():
    tasks = hp.housekeeping_tasks(["docker-hosted"], "docker-hosted")
    message = hp.tasks_refused(URL, [(t, "POST /service/rest/v1/tasks answered HTTP 405") for t in tasks], [],
                               "0 0 2 ? * SUN", {})
    assert message.count("\n  - ") == len(tasks) == 3
    for task in tasks:
        assert f'"{task["name"]}"' in message
    assert '"Admin - Compact blob store"' in message and "Blob store docker-hosted" in message
    assert '"Docker - Delete unused manifests and images"' in message and "Repository docker-hosted" in message
    assert '"Docker - Delete incomplete uploads"' in message and "Age in hours 24" in message
    assert "pulumi config set housekeeping false" in message and "Settings > System > Tasks" in message
    partial = hp.tasks_refused(URL, [(tasks[0], "x")], [tasks[1]["name"], tasks[2]["name"]], "0 0 2 ? * SUN", {})
    assert "were created" in partial and tasks[1]["name"] in partial
