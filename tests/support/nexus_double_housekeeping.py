"""The Nexus double's housekeeping endpoints (issue 9), in their own block so parallel edits of the double merge
cleanly: cleanup policies (/internal/cleanup-policies), tasks and task templates (/v1/tasks…), blob store quota
status (/v1/blobstores/{name}/quota-status), proxy cache invalidation. `NexusDouble` mixes `HousekeepingEndpoints` in and appends
`HOUSEKEEPING_ROUTES` and `HOUSEKEEPING_SPEC_GAPS` to its own tables.

Sources: [src] Nexus' code (nexus-public, 3.77 and 3.89), [spec] the 3.94 OpenAPI file, [obs] a quoted real server,
[inf] inferred: the double's best guess, not seen on a live server. Each behaviour below says which.

Knobs: `cleanup_policies_status` (404/405: a Nexus without the endpoint, as before 3.94 CE), `task_templates_status`
(404: no templates endpoint, as 3.71 [obs]), `task_create_status` (404/405 to POST /v1/tasks, as 3.78 CE [obs]),
`template_types` (the task types offered), `blob_store_used` (bytes per blob store, for quota status);
`invalidated` records POST /v1/repositories/{name}/invalidate-cache calls.
"""
from __future__ import annotations

import itertools
from typing import Any, Optional

from tests.support.nexus_double_replies import empty, json_reply, message_error, validation_errors
from tests.support.nexus_double_spec import SpecGap
from tests.support.nexus_double_storage import NAME_MESSAGE, NAME_RE

CLEANUP_FORMATS = ("*", "docker", "maven2", "npm", "nuget", "raw")       # formats this double "has" [inf]
# Criteria the docker format supports (CleanupPolicyConfiguration: age, usage, regex; no release type) [src 3.77]
DOCKER_CRITERIA = ("criteriaLastBlobUpdated", "criteriaLastDownloaded", "criteriaAssetRegex")
CRITERIA_UNSUPPORTED = ("criteriaReleaseType",)
# TaskTemplateXO per type: UI name and property defaults (3.96 templates as a third-party note quotes them) [obs]
TEMPLATES = {
    "blobstore.compact": ("Admin - Compact blob store", {"blobstoreName": "", "blobsOlderThan": "0"}),
    "repository.docker.gc": ("Docker - Delete unused manifests and images", {"repositoryName": "",
                                                                            "deployOffset": "24"}),
    "repository.docker.upload-purge": ("Docker - Delete incomplete uploads", {"age": "24"}),
    "blobstore.delete-temp-files": ("Admin - Delete blob store temporary files", {"blobstoreName": ""}),
}
# What each type needs to name, and where the double looks it up [inf: Nexus validates task properties].
REQUIRED_REFERENCES = {"blobstore.compact": ("blobstoreName", "blob_stores"),
                       "repository.docker.gc": ("repositoryName", "repositories")}
CLEANUP_SERVICE = {"id": "cleanup-service", "name": "Cleanup service", "type": "repository.cleanup",
                   "message": "Cleanup service", "currentState": "WAITING", "enabled": True, "schedule": "cron",
                   "cronExpression": "0 0 1 * * ?", "notificationCondition": "FAILURE", "properties": {}}
AVAILABLE_SPACE = 10 ** 12            # what the blob store list reports as available (bytes)


def _lookup(table: dict, name: str) -> Optional[dict]:
    return table.get(name.lower())        # names ignore case, as in the rest of the double


class HousekeepingEndpoints:
    """Mixed into NexusDouble: state, knobs and handlers of the housekeeping endpoints."""

    repositories: dict
    blob_stores: dict

    def _init_housekeeping(self) -> None:
        self.cleanup_policies: dict[str, dict] = {}
        # Nexus creates the "Cleanup service" task at boot (repository.cleanup, daily 01:00) [src, nexus-ops.md]
        self.tasks: dict[str, dict] = {CLEANUP_SERVICE["id"]: dict(CLEANUP_SERVICE)}
        self.template_types: set[str] = set(TEMPLATES)
        self.blob_store_used: dict[str, int] = {}
        self.cleanup_policies_status: Optional[int] = None
        self.task_templates_status: Optional[int] = None
        self.task_create_status: Optional[int] = None
        self._task_ids = itertools.count(1)
        self.invalidated: list[str] = []           # repositories whose caches were invalidated, in order

    # ---- cleanup policies ------------------------------------------------------------------------------------
    def _policies_refused(self) -> Optional[Any]:
        # Answer of a server without the endpoint: empty 404 (unknown path) or 405 [inf]
        return empty(self.cleanup_policies_status) if self.cleanup_policies_status else None

    def list_cleanup_policies(self, _body: Any) -> Any:
        refused = self._policies_refused()
        if refused:
            return refused
        return json_reply(200, [self._policy_view(p) for p in sorted(self.cleanup_policies.values(),
                                                                    key=lambda p: p["name"])])

    def create_cleanup_policy(self, body: Any) -> Any:
        refused = self._policies_refused()
        if refused:
            return refused
        problem = self._policy_problem(body)
        if problem:
            return problem
        if _lookup(self.cleanup_policies, body["name"]):
            # 409 per the 3.94 spec; the body text is not documented [inf]
            return message_error(409, f"A cleanup policy named '{body['name']}' already exists")
        self.cleanup_policies[body["name"].lower()] = _policy_record(body)
        return json_reply(200, self._policy_view(self.cleanup_policies[body["name"].lower()]))

    def get_cleanup_policy(self, _body: Any, name: str) -> Any:
        policy = _lookup(self.cleanup_policies, name)
        if self._policies_refused() or policy is None:
            return self._policies_refused() or empty(404)     # NotFoundException without entity: empty [src]
        return json_reply(200, self._policy_view(policy))

    def update_cleanup_policy(self, body: Any, name: str) -> Any:
        policy = _lookup(self.cleanup_policies, name)
        if self._policies_refused() or policy is None:
            return self._policies_refused() or empty(404)
        problem = self._policy_problem({**(body or {}), "name": policy["name"]})
        if problem:
            return problem
        # The name stays (PUT edits notes, format and criteria) [src 3.77 CleanupPolicyResource.edit]
        self.cleanup_policies[name.lower()] = _policy_record({**body, "name": policy["name"]})
        return json_reply(200, self._policy_view(self.cleanup_policies[name.lower()]))

    def delete_cleanup_policy(self, _body: Any, name: str) -> Any:
        policy = _lookup(self.cleanup_policies, name)
        if self._policies_refused() or policy is None:
            return self._policies_refused() or empty(404)
        del self.cleanup_policies[name.lower()]
        # CleanupPolicyEventHandler removes it from every repository [src]; asynchronously there, at once here.
        for repo in self.repositories.values():
            names = (repo.get("cleanup") or {}).get("policyNames")
            if names and policy["name"] in names:
                repo["cleanup"] = {"policyNames": [n for n in names if n != policy["name"]]}
        return empty(204)

    def _policy_problem(self, body: Any) -> Optional[Any]:
        body = body if isinstance(body, dict) else {}
        problems = [(f"PARAMETER {k}", "must not be empty") for k in ("name", "format") if not body.get(k)]
        if body.get("name") and not NAME_RE.match(body["name"]):
            problems.append(("PARAMETER name", NAME_MESSAGE))
        if problems:
            return validation_errors(*problems)
        if body["format"] not in CLEANUP_FORMATS:
            return validation_errors(("format", f"specified format {body['format']} is not valid."))   # [src]
        if body["format"] == "docker":
            for key in CRITERIA_UNSUPPORTED:
                if body.get(key) is not None:
                    # BadRequestException without entity: empty 400 [src 3.77; shape 3]
                    return empty(400)
        if not any(body.get(k) not in (None, "") for k in DOCKER_CRITERIA):
            # "At least one criterion … is required" [spec]; the message text is [inf]
            return validation_errors(("*", "At least one criteria must be specified"))
        return None

    def _policy_view(self, policy: dict) -> dict:
        in_use = sum(1 for r in self.repositories.values()
                     if policy["name"] in ((r.get("cleanup") or {}).get("policyNames") or []))
        return {**policy, "inUseCount": in_use}

    # ---- tasks -----------------------------------------------------------------------------------------------
    def list_tasks(self, _body: Any) -> Any:
        # PageTaskXO; a real server sends "continuationToken": null, which the spec's string type refuses, so the
        # double leaves the key out (one page) [obs third-party note; inf]
        return json_reply(200, {"items": [dict(t) for t in self.tasks.values()]})

    def list_task_templates(self, _body: Any) -> Any:
        if self.task_templates_status:
            return empty(self.task_templates_status)
        return json_reply(200, [_template(t) for t in sorted(self.template_types)])

    def get_task_template(self, _body: Any, type_id: str) -> Any:
        if self.task_templates_status or type_id not in self.template_types:
            return empty(self.task_templates_status or 404)
        return json_reply(200, _template(type_id))

    def create_task(self, body: Any) -> Any:
        if self.task_create_status:
            return empty(self.task_create_status)        # 3.78 CE: 404 or 405 [obs nexus-public #598]
        problem = self._task_problem(body)
        if problem:
            return problem
        task_id = f"task-{next(self._task_ids)}"
        self.tasks[task_id] = _task_record(task_id, body)
        return json_reply(201, dict(self.tasks[task_id]))

    def get_task(self, _body: Any, task_id: str) -> Any:
        task = self.tasks.get(task_id)
        return json_reply(200, dict(task)) if task else empty(404)

    def update_task(self, body: Any, task_id: str) -> Any:
        task = self.tasks.get(task_id)
        if task is None:
            return empty(404)
        problem = self._task_problem({**(body or {}), "type": task["type"]})
        if problem:
            return problem
        self.tasks[task_id] = _task_record(task_id, {**body, "type": task["type"]})
        return empty(204)                                # the status is not documented [inf]

    def delete_task(self, _body: Any, task_id: str) -> Any:
        if self.tasks.pop(task_id, None) is None:
            return empty(404)
        return empty(204)

    def _task_problem(self, body: Any) -> Optional[Any]:
        body = body if isinstance(body, dict) else {}
        required = ("name", "type", "enabled", "frequency", "notificationCondition")
        problems = [(f"PARAMETER {k}", "must not be null") for k in required if body.get(k) is None]
        if problems:
            return validation_errors(*problems)
        if body["type"] not in self.template_types:
            return message_error(400, f"Unknown task type: {body['type']}")                 # [inf]
        frequency = body["frequency"]
        if frequency.get("schedule") == "cron" and not _looks_like_quartz(frequency.get("cronExpression") or ""):
            return validation_errors(("cronExpression", "Invalid cron expression"))          # [inf]
        reference = REQUIRED_REFERENCES.get(body["type"])
        if reference:
            key, table = reference
            value = (body.get("properties") or {}).get(key)
            if not value or _lookup(getattr(self, table), value) is None:
                return validation_errors((key, f"{key} '{value}' does not exist"))           # [inf]
        return None

    # ---- blob store quota status -----------------------------------------------------------------------------
    def blob_store_quota_status(self, _body: Any, name: str) -> Any:
        store = _lookup(self.blob_stores, name)
        if store is None:
            return message_error(404, f"Unable to find blob store '{name}'")                 # [inf]
        quota = store.get("softQuota")
        if not quota:
            return json_reply(200, {"blobStoreName": store["name"], "isViolation": False,
                                    "message": f"Blob store {store['name']} has no quota"})   # [src]
        used, limit = self.blob_store_used.get(name.lower(), 0), quota["limit"]
        # Nexus compares the limit with BYTES (metrics are bytes) [src SpaceUsedQuota/SpaceRemainingQuota]
        if quota["type"] == "spaceUsedQuota":
            violation = used > limit
            message = (f"Blob store {store['name']} is using {_storage(used)} space and has a limit of "
                       f"{_storage(limit)}")                                                 # wording [inf]
        else:
            violation = AVAILABLE_SPACE < limit
            message = (f"Blob store {store['name']} is limited to having {_storage(limit)} available space, and "
                       f"has {_storage(AVAILABLE_SPACE)} space remaining")                  # [src]
        return json_reply(200, {"blobStoreName": store["name"], "isViolation": violation, "message": message})


    # ---- proxy cache invalidation (the documented fix for a poisoned negative cache) ----------------------------
    def invalidate_cache(self, _body: Any, name: str) -> Any:
        repo = _lookup(self.repositories, name)
        if repo is None:
            return message_error(404, "Repository not found")                              # [spec 404; body inf]
        if repo["type"] not in ("proxy", "group"):
            return message_error(400, "Repository is not of proxy or group type")          # [spec 400; body inf]
        self.invalidated.append(repo["name"])
        return empty(204)


def _policy_record(body: dict) -> dict:
    keys = ("name", "format", "notes", *DOCKER_CRITERIA, "criteriaReleaseType")
    return {k: body[k] for k in keys if body.get(k) not in (None, "")}


def _template(type_id: str) -> dict:
    ui_name, properties = TEMPLATES.get(type_id, (type_id, {}))
    return {"type": type_id, "name": ui_name, "enabled": True, "notificationCondition": "FAILURE",
            "frequency": {"schedule": "manual"}, "properties": dict(properties)}


def _task_record(task_id: str, body: dict) -> dict:
    frequency = body["frequency"]
    record = {"id": task_id, "name": body["name"], "type": body["type"], "message": body["name"],
              "currentState": "WAITING", "enabled": bool(body["enabled"]),
              "notificationCondition": body["notificationCondition"], "schedule": frequency.get("schedule"),
              "properties": {**TEMPLATES.get(body["type"], ("", {}))[1], **(body.get("properties") or {})}}
    if frequency.get("cronExpression"):
        record["cronExpression"] = frequency["cronExpression"]
    return record


def _looks_like_quartz(expression: str) -> bool:
    return len(expression.split()) in (6, 7) and "?" in expression.split()[3:6]


def _storage(size: int) -> str:
    """Nexus' UnitFormatter.formatStorage, approximately: two decimals and the largest fitting unit [inf]."""
    for unit, factor in (("TB", 2 ** 40), ("GB", 2 ** 30), ("MB", 2 ** 20), ("KB", 2 ** 10)):
        if size >= factor:
            return f"{size / factor:.2f} {unit}"
    return f"{size} Bytes"


_NAME = r"([^/]+)"
HOUSEKEEPING_ROUTES = (
    ("GET", r"/internal/cleanup-policies", HousekeepingEndpoints.list_cleanup_policies),
    ("POST", r"/internal/cleanup-policies", HousekeepingEndpoints.create_cleanup_policy),
    ("GET", rf"/internal/cleanup-policies/{_NAME}", HousekeepingEndpoints.get_cleanup_policy),
    ("PUT", rf"/internal/cleanup-policies/{_NAME}", HousekeepingEndpoints.update_cleanup_policy),
    ("DELETE", rf"/internal/cleanup-policies/{_NAME}", HousekeepingEndpoints.delete_cleanup_policy),
    ("GET", r"/v1/tasks", HousekeepingEndpoints.list_tasks),
    ("POST", r"/v1/tasks", HousekeepingEndpoints.create_task),
    ("GET", r"/v1/tasks/templates", HousekeepingEndpoints.list_task_templates),
    ("GET", rf"/v1/tasks/templates/{_NAME}", HousekeepingEndpoints.get_task_template),
    ("GET", rf"/v1/tasks/{_NAME}", HousekeepingEndpoints.get_task),
    ("PUT", rf"/v1/tasks/{_NAME}", HousekeepingEndpoints.update_task),
    ("DELETE", rf"/v1/tasks/{_NAME}", HousekeepingEndpoints.delete_task),
    ("GET", rf"/v1/blobstores/{_NAME}/quota-status", HousekeepingEndpoints.blob_store_quota_status),
    ("POST", rf"/v1/repositories/{_NAME}/invalidate-cache", HousekeepingEndpoints.invalidate_cache),
)

_UNLISTED = ("ResponseNotFound", "MissingData")
HOUSEKEEPING_SPEC_GAPS = (
    SpecGap("*", r"/internal/cleanup-policies(/[^/]+)?", 404, _UNLISTED + ("MediaTypeNotFound",),
            "nexus-ops.md (inferred): a Nexus without the endpoint, or an unknown policy, answers 404 with an "
            "empty body (NotFoundException without entity, nexus-api §1 shape 3); the spec lists no 404"),
    SpecGap("*", r"/internal/cleanup-policies(/[^/]+)?", 405, _UNLISTED,
            "nexus-ops.md (inferred): a Nexus that serves the path for other methods only answers 405"),
    SpecGap("POST", r"/internal/cleanup-policies", 400, ("MediaTypeNotFound", "MissingData", "InvalidData"),
            "nexus-api §1: validation lists come as application/vnd.siesta-validation-errors-v1+json or JSON; "
            "an unsupported criterion is a BadRequestException without entity (empty body)"),
    SpecGap("PUT", r"/internal/cleanup-policies/[^/]+", 400, _UNLISTED + ("InvalidData",),
            "as for POST: the PUT's only documented answer is the default (a policy)"),
    SpecGap("DELETE", r"/internal/cleanup-policies/[^/]+", 204, ("MissingData",),
            "DELETE answers 204 without a body (void resource method); the spec has only a JSON 'default'"),
    SpecGap("*", r"/v1/tasks(/templates)?", 404, _UNLISTED,
            "nexus-ops.md [obs]: 3.78 CE answered 404 to task creation; 3.71 has no templates endpoint"),
    SpecGap("*", r"/v1/tasks", 405, _UNLISTED,
            "nexus-ops.md [obs]: 3.71 and 3.78 CE answered 405 to POST /v1/tasks"),
    SpecGap("POST", r"/v1/tasks", 400, _UNLISTED,
            "validation of a task (missing fields, unknown type, bad cron or reference) answers 400 [inf]; the "
            "spec lists only 201"),
    SpecGap("GET", r"/v1/tasks/(?!templates)[^/]+", 200, ("ResponseNotFound",),
            "a third-party note [obs] shows GET /v1/tasks/{id} answering 200 with the task; the spec lists only 404"),
    SpecGap("*", r"/v1/tasks/[^/]+", 404, ("MissingData",),
            "an unknown task id answers 404 without a body; the spec's 'default' has a JSON body [inf]"),
    SpecGap("PUT", r"/v1/tasks/[^/]+", 204, ("MissingData",),
            "PUT of a task answers 204 without a body [inf]; the spec has only a JSON 'default'"),
    SpecGap("PUT", r"/v1/tasks/[^/]+", 400, ("InvalidData", "MissingData", "MediaTypeNotFound"),
            "validation of a task update answers 400 [inf]"),
    SpecGap("DELETE", r"/v1/tasks/[^/]+", 204, ("MissingData",),
            "DELETE of a task answers 204 without a body; the spec has only a JSON 'default'"),
    SpecGap("GET", r"/v1/blobstores/[^/]+/quota-status", 404, ("InvalidData", "MissingData"),
            "an unknown blob store answers 404 with a message object [inf]; the spec's 'default' is the result"),
)
