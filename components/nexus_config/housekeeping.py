"""Dynamic resources that keep a registry's disk in check (issue 9); bodies, plans and messages in
housekeeping_payloads.py.

- `CleanupPolicy`: one Nexus cleanup policy (3.94: /internal/cleanup-policies), attached to repositories through
  their `cleanup_policies` input. A Nexus that refuses the endpoint (404/405: before 3.94 cleanup policies were
  Pro-only, other editions may lack them) stops the create or update with a message naming the stack key that
  turns the policy off (input `config_key`), never a silent skip.
- `HousekeepingTasks`: the set of scheduled tasks (compact, docker GC, upload purge), one resource because what
  Nexus refuses must come back as ONE error: the templates are read first (`GET /v1/tasks/templates`), every
  task that can be created is created, and the rest is listed in one message with what to create in the UI and
  the stack key that turns this off. Tasks are found again by name (`nexus-registry: …`), so a later run adopts
  the ones an earlier, refused run created, or the ones an operator created by hand with those names. Its `read`
  reports a task deleted, disabled or rescheduled behind Pulumi's back; the next update restores it.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from components.nexus_config import adoption as ad
from components.nexus_config import housekeeping_payloads as hp
from components.nexus_config.client import (
    NexusApiError,
    NexusAuthError,
    NexusClient,
    NexusError,
    NexusForbiddenError,
)
from components.nexus_config.provider_base import NamedObjectProvider, NexusProvider, NexusResource

POLICIES_PATH = "/internal/cleanup-policies"
TASKS_PATH = "/v1/tasks"
TEMPLATES_PATH = "/v1/tasks/templates"
REFUSED = (404, 405)                     # the endpoint is not there, or not for this method, on this server
MAX_PAGES = 100                          # GET /v1/tasks pages (continuationToken); a bound, never reached in practice


class CleanupPolicyProvider(NamedObjectProvider):
    fields = hp.CLEANUP_POLICY_FIELDS
    kind = "cleanup policy"
    cross_check = staticmethod(hp.cleanup_cross_check)
    adoptable = True
    kept_when_adopted = ("format",)          # not editable in Nexus
    local_keys = frozenset({"config_key", "in_use_count"})

    def _before_write(self, client: NexusClient, inputs: dict) -> None:
        try:
            client.get(POLICIES_PATH)
        except NexusApiError as err:
            if err.status not in REFUSED:
                raise
            raise NexusError(hp.cleanup_unavailable(client.base_url, err.status, inputs.get("config_key"))) from None

    def _names(self, client: NexusClient) -> list[str]:
        return [p.get("name", "") for p in client.get(POLICIES_PATH) or []]

    def _get(self, client: NexusClient, name: str) -> Optional[dict]:
        return client.get(f"{POLICIES_PATH}/{name}", missing_ok=True)

    def _post(self, client: NexusClient, inputs: dict) -> None:
        client.post(POLICIES_PATH, hp.policy_request(inputs))

    def _put(self, client: NexusClient, name: str, inputs: dict) -> None:
        client.put(f"{POLICIES_PATH}/{name}", hp.policy_request(inputs))

    def _delete(self, client: NexusClient, name: str) -> None:
        client.delete(f"{POLICIES_PATH}/{name}")     # Nexus then detaches it from every repository

    def _outs(self, name: str, body: dict) -> dict:
        return hp.policy_outs(body)

    def _carry(self, outs: dict, known: Mapping[str, Any]) -> dict:
        return {**outs, "config_key": known.get("config_key")}      # ours, not Nexus'


class HousekeepingTasksProvider(NexusProvider):
    fields = hp.TASKS_FIELDS
    ID = "housekeeping-tasks"

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        return DiffResult(changes=bool(hp.tasks_changes(olds, news)), replaces=[])

    def create(self, props: dict) -> CreateResult:
        return CreateResult(self.ID, self._apply(self._inputs(props), owned=[]))

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._apply(self._inputs(news), owned=olds.get("scheduled") or []))

    def read(self, id_: str, props: dict) -> ReadResult:
        client = self._client(props)
        existing = {t.get("id"): t for t in _list_tasks(client)}
        wanted = {t["name"]: t for t in props.get("tasks") or []}
        scheduled = [{**hp.task_outs(existing[t["id"]], wanted.get(t["name"])), ad.ADOPTED: bool(t.get(ad.ADOPTED))}
                     for t in props.get("scheduled") or [] if t.get("id") in existing]
        inputs = {**hp.inputs_from_scheduled(client.base_url, scheduled, props.get("cron")),
                  **{f.key: props.get(f.key) for f in ad.ADOPT_FIELDS}}
        return ReadResult(id_, {**inputs, "scheduled": scheduled}, inputs)

    def delete(self, _id: str, props: dict) -> None:
        client = self._client(props)
        for task in props.get("scheduled") or []:
            _delete_ours(client, task, props)

    def _apply(self, inputs: dict, owned: list) -> dict:
        client = self._client(inputs)
        client.wait_until_ready()
        cron, templates = inputs["cron"], _templates(client)
        existing = _list_tasks(client)
        owned_ids = {t.get("id") for t in owned}
        adopted_ids = {t.get("id") for t in owned if t.get(ad.ADOPTED)}
        scheduled, refused, created = [], [], []
        for task in inputs["tasks"]:
            if templates is not None and task["type"] not in templates:
                refused.append((task, "this Nexus offers no template for that task type"))
                continue
            found = _find(existing, task, owned_ids)
            body = hp.task_request(task, cron, (templates or {}).get(task["type"]))
            try:
                task_id = _put_task(client, found, task, cron, body) if found else _post_task(client, task, body)
            except (NexusAuthError, NexusForbiddenError):
                raise                                    # nothing else will work either: say so now
            except NexusError as err:
                refused.append((task, _reason(err)))
                continue
            if found is None:
                created.append(task["name"])
            # Adopted: it existed before this stack (adoptExisting), or an earlier run adopted it.
            adopted = task_id in adopted_ids or (found is not None and task_id not in owned_ids
                                                 and bool(inputs.get("adopt_existing")))
            scheduled.append({**hp.task_outs({**body, "id": task_id, "schedule": "cron", "cronExpression": cron},
                                             task), ad.ADOPTED: adopted})
        wanted_names = {t["name"] for t in inputs["tasks"]}
        for task in owned:                               # ours, no longer wanted
            if task.get("name") not in wanted_names:
                _delete_ours(client, task, inputs)
        if refused:
            raise NexusError(hp.tasks_refused(client.base_url, refused, created, cron, templates or {}))
        return {"nexus_url": client.base_url, "tasks": inputs["tasks"], "cron": cron, "scheduled": scheduled,
                **{f.key: inputs.get(f.key) for f in ad.ADOPT_FIELDS}}


def _templates(client: NexusClient) -> Optional[dict[str, dict]]:
    """Task type -> template; None when this Nexus has no templates endpoint (then creation is simply tried)."""
    try:
        return {t.get("type"): t for t in client.get(TEMPLATES_PATH) or []}
    except NexusApiError as err:
        if err.status in REFUSED:
            return None
        raise


def _find(existing: list[dict], task: Mapping[str, Any], owned_ids: set) -> Optional[dict]:
    """Our task: the one we created (by id), else one with its name and type (adopted: created by an earlier,
    refused run, or by hand)."""
    same = [t for t in existing if t.get("name") == task["name"] and t.get("type") == task["type"]]
    return next((t for t in same if t.get("id") in owned_ids), same[0] if same else None)


def _list_tasks(client: NexusClient) -> list[dict]:
    items, token = [], None
    for _ in range(MAX_PAGES):
        page = client.get(TASKS_PATH + (f"?continuationToken={token}" if token else "")) or {}
        items.extend(page.get("items") or [])
        token = page.get("continuationToken")
        if not token:
            break
    return items


def _post_task(client: NexusClient, task: Mapping[str, Any], body: dict) -> str:
    created = client.post(TASKS_PATH, body) or {}
    if created.get("id"):
        return created["id"]
    found = [t for t in _list_tasks(client) if t.get("name") == task["name"] and t.get("type") == task["type"]]
    if not found:
        raise NexusError(f"POST {TASKS_PATH} accepted task {task['name']!r} but it cannot be found afterwards")
    return found[0]["id"]


def _put_task(client: NexusClient, found: Mapping[str, Any], task: Mapping[str, Any], cron: str, body: dict) -> str:
    if not hp.task_matches(hp.task_outs(found, task), task, cron):
        client.put(f"{TASKS_PATH}/{found['id']}", body)
    return found["id"]


def _delete_ours(client: NexusClient, task: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
    """Delete a task of this stack; an adopted one stays while retain_adopted (retainData) is on."""
    if task.get(ad.ADOPTED) and settings.get("retain_adopted", True):
        pulumi.log.info(ad.kept_on_delete("task", str(task.get("name"))))
        return
    _delete_task(client, task)


def _delete_task(client: NexusClient, task: Mapping[str, Any]) -> None:
    try:
        client.delete(f"{TASKS_PATH}/{task.get('id')}")          # already gone: fine
    except NexusApiError as err:
        if err.status not in REFUSED:
            raise
        raise NexusError(f"Nexus at {client.base_url} refused to delete task {task.get('name')!r} (HTTP "
                         f"{err.status}); delete it in the Nexus UI (Settings > System > Tasks)") from None


def _reason(err: NexusError) -> str:
    if isinstance(err, NexusApiError):
        detail = "; ".join(err.messages)
        return f"{err.method} {err.path} answered HTTP {err.status}" + (f": {detail}" if detail else "")
    return f"{err} (it may exist now: the next `pulumi up` adopts it by name)"


class CleanupPolicy(NexusResource, module="nexus", name="CleanupPolicy"):
    """A cleanup policy. Inputs: nexus_url, name, format ("docker"), last_downloaded_days, last_blob_updated_days,
    asset_regex (at least one criterion; Nexus ANDs them), notes, config_key (the stack key named when Nexus
    refuses cleanup policies). Output in_use_count (repositories using it, as Nexus last said)."""
    _provider = CleanupPolicyProvider
    _outputs = ("in_use_count", "adopted")
    name: pulumi.Output[str]
    format: pulumi.Output[str]
    last_downloaded_days: pulumi.Output[Optional[int]]
    last_blob_updated_days: pulumi.Output[Optional[int]]
    in_use_count: pulumi.Output[Optional[int]]


class HousekeepingTasks(NexusResource, module="nexus", name="HousekeepingTasks"):
    """The scheduled housekeeping tasks. Inputs: nexus_url, tasks ([{name, type, properties}], e.g. from
    housekeeping_payloads.housekeeping_tasks), cron (Quartz). Output `scheduled`: each task as Nexus holds it
    (id, name, type, properties we set, cron, enabled). A destroy deletes them."""
    _provider = HousekeepingTasksProvider
    _outputs = ("scheduled",)
    tasks: pulumi.Output[list]
    cron: pulumi.Output[str]
    scheduled: pulumi.Output[list]
