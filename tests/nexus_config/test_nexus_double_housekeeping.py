"""The Nexus double's housekeeping block (cleanup policies, tasks and templates, quota status, proxy credentials,
negative cache) answers as documented, and its traffic stays within the 3.94 spec or a listed gap."""
from __future__ import annotations

from tests.nexus_config.test_nexus_double import HOSTED, call, expect_only_violations

POLICY = {"name": "docker-proxy-cleanup", "format": "docker", "criteriaLastDownloaded": 30}
PROXY = {"name": "docker-proxy", "online": True,
         "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
         "docker": {"v1Enabled": False, "forceBasicAuth": False},
         "proxy": {"remoteUrl": "https://registry-1.docker.io", "contentMaxAge": 1440, "metadataMaxAge": 1440},
         "negativeCache": {"enabled": True, "timeToLive": 5},
         "httpClient": {"blocked": False, "autoBlock": True,
                        "authentication": {"type": "username", "username": "team", "password": "dckr_pat_x"}},
         "dockerProxy": {"indexType": "HUB"}}
TASK = {"name": "compact", "type": "blobstore.compact", "enabled": True, "notificationCondition": "FAILURE",
        "frequency": {"schedule": "cron", "cronExpression": "0 0 2 ? * SUN"}, "properties": {"blobstoreName": "default"}}


# ---- cleanup policies ----------------------------------------------------------------------------------------

def test_cleanup_policy_crud_counts_its_repositories(nexus):
    created = call(nexus, "POST", "/internal/cleanup-policies", POLICY)
    assert (created.status_code, created.json()) == (200, {**POLICY, "inUseCount": 0})
    assert call(nexus, "POST", "/v1/repositories/docker/hosted",
                {**HOSTED, "cleanup": {"policyNames": ["docker-proxy-cleanup"]}}).status_code == 201
    listed = call(nexus, "GET", "/internal/cleanup-policies").json()
    assert [(p["name"], p["inUseCount"]) for p in listed] == [("docker-proxy-cleanup", 1)]
    edited = call(nexus, "PUT", "/internal/cleanup-policies/docker-proxy-cleanup",
                  {**POLICY, "criteriaLastDownloaded": 7, "notes": "n"})
    assert edited.json()["criteriaLastDownloaded"] == 7 and edited.json()["notes"] == "n"
    assert call(nexus, "GET", "/internal/cleanup-policies/docker-proxy-cleanup").json()["criteriaLastDownloaded"] == 7
    deleted = call(nexus, "DELETE", "/internal/cleanup-policies/docker-proxy-cleanup")
    assert (deleted.status_code, deleted.content) == (204, b"")
    # Nexus detaches a deleted policy from every repository (CleanupPolicyEventHandler)
    assert call(nexus, "GET", "/v1/repositories/docker/hosted/docker-hosted").json()["cleanup"] == {"policyNames": []}
    assert [(r.status_code, r.content) for r in (call(nexus, "GET", "/internal/cleanup-policies/nope"),
                                                 call(nexus, "DELETE", "/internal/cleanup-policies/nope"))] == \
        [(404, b"")] * 2


def test_cleanup_policy_refusals(nexus):
    assert call(nexus, "POST", "/internal/cleanup-policies", POLICY).status_code == 200
    duplicate = call(nexus, "POST", "/internal/cleanup-policies", {**POLICY, "name": "Docker-Proxy-Cleanup"})
    assert duplicate.status_code == 409
    no_criteria = call(nexus, "POST", "/internal/cleanup-policies", {"name": "x", "format": "docker"})
    assert no_criteria.status_code == 400 and "criteria" in no_criteria.json()[0]["message"]
    release_type = call(nexus, "POST", "/internal/cleanup-policies", {**POLICY, "name": "y",
                                                                      "criteriaReleaseType": "RELEASES"})
    assert (release_type.status_code, release_type.content) == (400, b"")       # not a docker criterion
    bad_format = call(nexus, "POST", "/internal/cleanup-policies", {**POLICY, "name": "z", "format": "cobol"})
    assert bad_format.json() == [{"id": "format", "message": "specified format cobol is not valid."}]
    assert nexus.validator.skipped or not nexus.validator.violations


def test_a_nexus_without_cleanup_policies_answers_404_or_405_everywhere(nexus):
    for status in (404, 405):
        nexus.cleanup_policies_status = status
        answers = [call(nexus, "GET", "/internal/cleanup-policies"),
                   call(nexus, "POST", "/internal/cleanup-policies", POLICY),
                   call(nexus, "PUT", "/internal/cleanup-policies/x", POLICY)]
        assert [(a.status_code, a.content) for a in answers] == [(status, b"")] * 3
    assert nexus.cleanup_policies == {}


# ---- tasks ---------------------------------------------------------------------------------------------------

def test_templates_then_task_lifecycle(nexus):
    templates = {t["type"]: t for t in call(nexus, "GET", "/v1/tasks/templates").json()}
    assert templates["repository.docker.gc"]["properties"] == {"repositoryName": "", "deployOffset": "24"}
    assert call(nexus, "GET", "/v1/tasks/templates/blobstore.compact").json()["name"] == "Admin - Compact blob store"
    assert [t["type"] for t in call(nexus, "GET", "/v1/tasks").json()["items"]] == ["repository.cleanup"]   # boot
    created = call(nexus, "POST", "/v1/tasks", TASK)
    assert created.status_code == 201
    task = created.json()
    assert task["properties"] == {"blobstoreName": "default", "blobsOlderThan": "0"}   # template defaults kept
    assert (task["schedule"], task["cronExpression"], task["enabled"]) == ("cron", "0 0 2 ? * SUN", True)
    assert call(nexus, "GET", f"/v1/tasks/{task['id']}").json() == task
    moved = call(nexus, "PUT", f"/v1/tasks/{task['id']}",
                 {**TASK, "frequency": {"schedule": "cron", "cronExpression": "0 0 3 ? * SAT"}})
    assert (moved.status_code, moved.content) == (204, b"")
    assert nexus.tasks[task["id"]]["cronExpression"] == "0 0 3 ? * SAT"
    assert call(nexus, "DELETE", f"/v1/tasks/{task['id']}").status_code == 204
    assert call(nexus, "DELETE", f"/v1/tasks/{task['id']}").status_code == 404
    assert nexus.validator.skipped or len(nexus.validator.excused) >= 3   # GET by id, PUT and DELETE 204s


def test_task_validation(nexus):
    missing = call(nexus, "POST", "/v1/tasks", {k: v for k, v in TASK.items() if k != "frequency"})
    assert missing.json() == [{"id": "PARAMETER frequency", "message": "must not be null"}]
    unknown_store = call(nexus, "POST", "/v1/tasks", {**TASK, "properties": {"blobstoreName": "nope"}})
    assert unknown_store.status_code == 400 and "nope" in unknown_store.json()[0]["message"]
    bad_cron = call(nexus, "POST", "/v1/tasks", {**TASK, "frequency": {"schedule": "cron", "cronExpression": "x"}})
    assert bad_cron.status_code == 400
    expect_only_violations(nexus, "POST /v1/tasks request")                  # the body without `frequency`
    nexus.template_types.discard("blobstore.compact")
    assert call(nexus, "POST", "/v1/tasks", TASK).json()["message"] == '"Unknown task type: blobstore.compact"'
    assert len(nexus.tasks) == 1                                             # only the boot task


def test_a_nexus_refusing_task_creation(nexus):
    nexus.task_create_status, nexus.task_templates_status = 405, 404
    assert [(r.status_code, r.content) for r in (call(nexus, "POST", "/v1/tasks", TASK),
                                                 call(nexus, "GET", "/v1/tasks/templates"))] == \
        [(405, b""), (404, b"")]
    assert call(nexus, "GET", "/v1/tasks").status_code == 200                # listing still works
    assert len(nexus.tasks) == 1


# ---- quota status, proxy credentials, negative cache ---------------------------------------------------------

def test_quota_status_compares_the_limit_with_bytes(nexus):
    assert call(nexus, "GET", "/v1/blobstores/default/quota-status").json() == \
        {"blobStoreName": "default", "isViolation": False, "message": "Blob store default has no quota"}
    gib = 2 ** 30
    call(nexus, "POST", "/v1/blobstores/file", {"name": "used", "path": "used",
                                                "softQuota": {"type": "spaceUsedQuota", "limit": gib}})
    nexus.blob_store_used["used"] = gib + 1
    status = call(nexus, "GET", "/v1/blobstores/used/quota-status").json()
    assert status["isViolation"] is True and "has a limit of 1.00 GB" in status["message"]
    nexus.blob_store_used["used"] = gib                                        # a limit in MB would be 1024 bytes
    assert call(nexus, "GET", "/v1/blobstores/used/quota-status").json()["isViolation"] is False
    call(nexus, "POST", "/v1/blobstores/file", {"name": "free", "path": "free",
                                                "softQuota": {"type": "spaceRemainingQuota", "limit": 2 * 10 ** 12}})
    assert call(nexus, "GET", "/v1/blobstores/free/quota-status").json()["isViolation"] is True   # 1 TB free < 2 TB


def test_proxy_credentials_read_back_without_the_password(nexus):
    assert call(nexus, "POST", "/v1/repositories/docker/proxy", PROXY).status_code == 201
    got = call(nexus, "GET", "/v1/repositories/docker/proxy/docker-proxy")
    assert got.json()["httpClient"]["authentication"] == {"type": "username", "username": "team"}
    assert b"dckr_pat_x" not in got.content
    assert got.json()["negativeCache"] == {"enabled": True, "timeToLive": 5}
    negative = call(nexus, "POST", "/v1/repositories/docker/proxy",
                    {**PROXY, "name": "p2", "negativeCache": {"enabled": True, "timeToLive": -1}})
    assert negative.json() == [{"id": "PARAMETER timeToLive", "message": "must be greater than or equal to 0"}]
    assert nexus.validator.violations == []                                     # the 400 is a listed gap


def test_invalidate_cache_is_for_proxies_and_groups(nexus):
    call(nexus, "POST", "/v1/repositories/docker/proxy", PROXY)
    call(nexus, "POST", "/v1/repositories/docker/hosted", HOSTED)
    answers = [call(nexus, "POST", f"/v1/repositories/{name}/invalidate-cache").status_code
               for name in ("docker-proxy", "docker-hosted", "nope")]
    assert answers == [204, 400, 404] and nexus.invalidated == ["docker-proxy"]
    assert nexus.validator.violations == []
