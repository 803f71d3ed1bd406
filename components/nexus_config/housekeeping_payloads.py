"""Cleanup policies and scheduled tasks (issue 9): Field tables, request builders, read normalisers, the task
plan and the messages that tell an operator what Nexus refused. Pure: no I/O, no Pulumi wiring.

Facts (../shared/docs/nexus-ops.md): a cleanup policy (`CleanupPolicyXO`, 3.94 at /internal/cleanup-policies)
only soft-deletes what matches it, through the "Cleanup service" task Nexus creates at boot (daily, 01:00);
`repository.docker.gc` deletes the layers no manifest references any more; `repository.docker.upload-purge`
drops abandoned upload sessions; `blobstore.compact` finally frees the bytes of everything soft-deleted.
Task properties are strings (TaskTemplateXO.properties).
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence

from components.nexus_config.fields import (
    NAME_FIELD,
    URL_FIELD,
    Field,
    InvalidValue,
    diff_inputs,
    is_unknown,
    integer,
    non_empty_string,
)
from components.quartz_cron import CronError, check_cron

HOUSEKEEPING_KEY = "housekeeping"             # the stack key that turns the tasks off
TASK_NAME_PREFIX = "nexus-registry: "         # our tasks' names; a task with such a name is ours to adopt
POLICY_FORMAT = "docker"
COMPACT, DOCKER_GC, UPLOAD_PURGE = "blobstore.compact", "repository.docker.gc", "repository.docker.upload-purge"
# The UI names (Settings > System > Tasks > Create task), for when Nexus has no templates to tell us.
TASK_UI_NAMES = {COMPACT: "Admin - Compact blob store", DOCKER_GC: "Docker - Delete unused manifests and images",
                 UPLOAD_PURGE: "Docker - Delete incomplete uploads"}
PROPERTY_LABELS = {"blobstoreName": "Blob store", "repositoryName": "Repository",
                   "deployOffset": "Deploy offset in hours", "age": "Age in hours"}
DEFAULT_OFFSET_HOURS = 24                     # Nexus' own default for docker GC and upload purge


# ---- cleanup policies ----------------------------------------------------------------------------------------

def days_or_none(value: Any) -> Optional[int]:
    if value is None:
        return None
    days = integer(value)
    if days < 1:
        raise InvalidValue("must be a number of days >= 1 (leave it unset for no such criterion)")
    return days


def regex_or_none(value: Any) -> Optional[str]:
    if value in (None, ""):
        return None
    try:
        re.compile(non_empty_string(value))
    except re.error as exc:
        raise InvalidValue(f"is not a regular expression ({exc})") from None
    return value


def optional_text(value: Any) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value or None
    raise InvalidValue("must be a string")


CLEANUP_POLICY_FIELDS = (
    URL_FIELD, NAME_FIELD,
    Field("format", non_empty_string, POLICY_FORMAT, replaces=True, fold_case=True),   # not editable in Nexus
    Field("last_downloaded_days", days_or_none, None),
    Field("last_blob_updated_days", days_or_none, None),
    Field("asset_regex", regex_or_none, None),
    Field("notes", optional_text, None),
    # Not sent to Nexus: the stack key that configures this policy, named when Nexus refuses cleanup policies.
    Field("config_key", optional_text, None),
)
_CRITERIA = ("last_downloaded_days", "last_blob_updated_days", "asset_regex")


def cleanup_cross_check(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    values = [inputs.get(k) for k in _CRITERIA]
    if any(is_unknown(v) for v in values) or any(v is not None for v in values):
        return []
    return [("last_downloaded_days", "a cleanup policy needs at least one criterion: last_downloaded_days, "
                                     "last_blob_updated_days or asset_regex (Nexus refuses one without)")]


def policy_request(inputs: Mapping[str, Any]) -> dict:
    body: dict[str, Any] = {"name": inputs["name"], "format": inputs["format"]}
    optional = {"criteriaLastDownloaded": inputs.get("last_downloaded_days"),
                "criteriaLastBlobUpdated": inputs.get("last_blob_updated_days"),
                "criteriaAssetRegex": inputs.get("asset_regex"), "notes": inputs.get("notes")}
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def policy_outs(body: Mapping[str, Any]) -> dict:
    return {"name": body.get("name"), "format": body.get("format"),
            "last_downloaded_days": body.get("criteriaLastDownloaded"),
            "last_blob_updated_days": body.get("criteriaLastBlobUpdated"),
            "asset_regex": body.get("criteriaAssetRegex") or None, "notes": body.get("notes") or None,
            "in_use_count": body.get("inUseCount")}


def cleanup_unavailable(url: str, status: int, config_key: Optional[str]) -> str:
    switch = (f"set the stack key `{config_key}` to 0 (pulumi config set {config_key} 0)" if config_key
              else "remove the cleanup policy from the program")
    return (f"Nexus at {url} does not serve cleanup policies (GET /internal/cleanup-policies answered HTTP {status}): "
            f"Nexus before 3.94 served them only to Pro (/v1/cleanup-policies), and other editions may not have "
            f"them. Upgrade to Nexus 3.94 or newer, or {switch} and create a cleanup policy in the Nexus UI "
            f"(Settings > Repository > Cleanup Policies) if you want one. Nothing was changed")


def invalidate_cache_command(nexus_url: str, repository: str) -> str:
    """The documented cure for a poisoned negative cache: forget every cached "not found" (and cached metadata)."""
    return f"curl -fsS -u admin -X POST {nexus_url.rstrip('/')}/service/rest/v1/repositories/{repository}/invalidate-cache"


# ---- scheduled tasks -----------------------------------------------------------------------------------------

def housekeeping_tasks(blob_stores: Sequence[str], hosted: str, proxy: Optional[str] = None,
                       proxy_keep_hours: int = DEFAULT_OFFSET_HOURS, mirror_proxies: Sequence[str] = ()) -> list[dict]:
    """The tasks that keep the disk in check: compact every blob store; docker GC on hosted (and on the proxy and the
    mirror proxies when they have a cleanup policy, keeping what was cached within `proxy_keep_hours`); purge stale
    uploads."""
    tasks = [_task(f"compact blob store {store}", COMPACT, blobstoreName=store) for store in blob_stores]
    tasks.append(_task(f"docker GC {hosted}", DOCKER_GC, repositoryName=hosted,
                       deployOffset=str(DEFAULT_OFFSET_HOURS)))
    for cache in ([proxy] if proxy else []) + list(mirror_proxies):
        tasks.append(_task(f"docker GC {cache}", DOCKER_GC, repositoryName=cache, deployOffset=str(proxy_keep_hours)))
    tasks.append(_task("docker incomplete uploads", UPLOAD_PURGE, age=str(DEFAULT_OFFSET_HOURS)))
    return tasks


def _task(what: str, type_: str, **properties: str) -> dict:
    return {"name": TASK_NAME_PREFIX + what, "type": type_, "properties": properties}


def task_list(value: Any) -> list:
    if not isinstance(value, (list, tuple)) or not value:
        raise InvalidValue("must be a non-empty list of {name, type, properties}")
    tasks = []
    for item in value:
        if not isinstance(item, Mapping) or set(item) - {"name", "type", "properties"}:
            raise InvalidValue(f"item {item!r} must be {{name, type, properties}}")
        props = item.get("properties") or {}
        if not isinstance(props, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in props.items()):
            raise InvalidValue(f"item {item.get('name')!r}: properties must map strings to strings")
        tasks.append({"name": non_empty_string(item.get("name")), "type": non_empty_string(item.get("type")),
                      "properties": dict(props)})
    if len({t["name"] for t in tasks}) != len(tasks):
        raise InvalidValue("must not repeat a task name")
    return tasks


def cron_expression(value: Any) -> str:
    try:
        return check_cron(value)
    except CronError as exc:
        raise InvalidValue(str(exc)) from None


TASKS_FIELDS = (URL_FIELD, Field("tasks", task_list), Field("cron", cron_expression))


def task_request(task: Mapping[str, Any], cron: str, template: Optional[Mapping[str, Any]] = None) -> dict:
    """TaskTemplateXO for POST (PUT takes the same body). A template's string defaults come first, ours on top."""
    defaults = {k: v for k, v in ((template or {}).get("properties") or {}).items() if isinstance(v, str)}
    return {"name": task["name"], "type": task["type"], "enabled": True, "notificationCondition": "FAILURE",
            "frequency": {"schedule": "cron", "cronExpression": cron},
            "properties": {**defaults, **task["properties"]}}


def task_outs(body: Mapping[str, Any], wanted: Optional[Mapping[str, Any]] = None) -> dict:
    """A TaskXO as we compare it: the properties we set (Nexus adds its defaults), the cron, enabled."""
    props = body.get("properties") or {}
    keys = (wanted or {}).get("properties", props).keys()
    cron = body.get("cronExpression") if (body.get("schedule") in (None, "cron")) else None
    return {"id": body.get("id"), "name": body.get("name"), "type": body.get("type"),
            "properties": {k: props.get(k) for k in keys}, "cron": cron, "enabled": bool(body.get("enabled", True))}


def task_matches(found: Mapping[str, Any], wanted: Mapping[str, Any], cron: str) -> bool:
    return (found.get("type") == wanted["type"] and found.get("properties") == wanted["properties"]
            and found.get("cron") == cron and found.get("enabled") is True)


def tasks_changes(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Changed keys of a task set: the URL, or any wanted task not scheduled as wanted, or one no longer wanted."""
    changed = [k for k in diff_inputs(TASKS_FIELDS[:1], olds, news)[0]]
    tasks, cron = news.get("tasks"), news.get("cron")
    scheduled = {t.get("name"): t for t in olds.get("scheduled") or []}
    if is_unknown(tasks) or is_unknown(cron) or not isinstance(tasks, list):
        return changed + ["tasks"]
    if set(scheduled) != {t["name"] for t in tasks} or \
            not all(task_matches(scheduled[t["name"]], t, cron) for t in tasks):
        changed.append("tasks")
    return changed


def inputs_from_scheduled(nexus_url: str, scheduled: Sequence[Mapping[str, Any]], cron: Optional[str]) -> dict:
    """The inputs a refresh implies: the tasks Nexus still has, and their cron when they disagree with ours."""
    crons = [t.get("cron") for t in scheduled]
    drifted = next((c for c in crons if c != cron), cron)
    return {"nexus_url": nexus_url, "cron": drifted,
            "tasks": [{"name": t["name"], "type": t["type"], "properties": dict(t["properties"])} for t in scheduled]}


def describe_task(task: Mapping[str, Any], cron: str, templates: Mapping[str, Mapping[str, Any]]) -> str:
    ui_name = (templates.get(task["type"]) or {}).get("name") or TASK_UI_NAMES.get(task["type"], task["type"])
    props = ", ".join(f"{PROPERTY_LABELS.get(k, k)} {v}" for k, v in task["properties"].items())
    return f'"{task["name"]}": task type "{ui_name}" ({task["type"]}), {props}, cron "{cron}"'


def tasks_refused(url: str, refused: Sequence[tuple[Mapping[str, Any], str]], created: Sequence[str], cron: str,
                  templates: Mapping[str, Mapping[str, Any]]) -> str:
    """One message for every task Nexus would not take, what to create by hand, and the key that turns it off."""
    lines = "\n".join(f"  - {describe_task(task, cron, templates)} [{why}]" for task, why in refused)
    done = (f" The other housekeeping tasks were created ({', '.join(created)}); they stay and are found again by "
            f"name." if created else "")
    return (f"Nexus at {url} did not take {len(refused)} housekeeping task(s) through its REST API (Community "
            f"Edition 3.78 answered 404/405 to task creation, 3.77 accepted it). Create them in the Nexus UI "
            f"(Settings > System > Tasks > Create task) with exactly these names and settings, then run "
            f"`pulumi up` again (tasks with these names are adopted), or turn this off with "
            f"`pulumi config set {HOUSEKEEPING_KEY} false`:\n{lines}\n{done}".rstrip())
