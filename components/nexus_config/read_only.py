"""Nexus' read-only (frozen) mode: how to recognise it and what to tell the operator. Plain data in and out.

An administrator can freeze Nexus (UI: Administration → System → Nodes → Enable Read-only Mode, or
`POST /v1/read-only/freeze`), and system tasks freeze it while they run, e.g. a database backup. The freeze of an
administrator survives restarts. A frozen Nexus keeps serving reads, but answers every write with
`503 text/plain "Nexus Repository Manager is in read-only mode: (ID …)"` (FrozenExceptionMapper), and
`/v1/status/writable` answers 503 (StatusResource). That is not a Nexus that is starting: waiting does not end it,
unless a task froze it. `GET /v1/read-only` (FreezeResource) tells who froze it: `{frozen, summaryReason,
systemInitiated}`. `POST /v1/read-only/release` releases an administrator's freeze only; `/force-release` releases
all, including a running task's, which "may result in data loss" (FreezeResourceDoc).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

READ_ONLY_PATH = "/v1/read-only"
RELEASE_PATH = "/v1/read-only/release"
FORCE_RELEASE_PATH = "/v1/read-only/force-release"
FROZEN_TEXT = "Nexus Repository Manager is in read-only mode"
UI_PLACE = "Administration → System → Nodes"


def is_frozen_answer(status: int, body: bytes) -> bool:
    """Whether an answer is FrozenExceptionMapper's: a write refused because Nexus is in read-only mode."""
    return status == 503 and FROZEN_TEXT in body.decode("utf-8", "replace")


@dataclass(frozen=True)
class ReadOnlyState:
    frozen: bool
    reason: str                  # Nexus' summaryReason, e.g. "Requested by an administrator at …"; may be empty
    system_initiated: bool       # a system task froze it (a release would not end it)

    @classmethod
    def parse(cls, body: Any) -> Optional["ReadOnlyState"]:
        """GET /v1/read-only -> the state; None when the body is not that object."""
        if not isinstance(body, dict) or not isinstance(body.get("frozen"), bool):
            return None
        return cls(body["frozen"], str(body.get("summaryReason") or ""), bool(body.get("systemInitiated")))


def read_only_message(base_url: str, state: Optional[ReadOnlyState]) -> str:
    """What a frozen Nexus means for this program and how to leave read-only mode; `state` None: not known who
    froze it."""
    api = base_url.rstrip("/") + "/service/rest"
    reason = f" ({state.reason})" if state and state.reason else ""
    head = (f"Nexus at {base_url} is in read-only mode{reason}: it serves downloads but refuses every change, so "
            f"this change was not made. Nexus is not starting up; the program does not wait for it. ")
    by_task = (f"A system task froze it (for example a database backup task): let it finish (Administration → "
               f"System → Tasks) and Nexus leaves read-only mode by itself; then run `pulumi up` again. Forcing it "
               f"out while the task runs ({UI_PLACE} → Force Disable Read-only Mode, or "
               f"`curl -u admin -X POST {api}{FORCE_RELEASE_PATH}`) may lose data")
    release = (f"in the Nexus UI ({UI_PLACE} → Disable Read-only Mode) or with "
               f"`curl -u admin -X POST {api}{RELEASE_PATH}`")
    if state is None:
        return head + (f"Who froze it is not known (GET {api}{READ_ONLY_PATH} tells). If an administrator did, leave "
                       f"read-only mode {release}; if a system task did (such as a backup), let it finish. Then run "
                       f"`pulumi up` again")
    if state.system_initiated:
        return head + by_task
    return head + (f"An administrator froze it (that survives restarts). Leave read-only mode {release}, then run "
                   f"`pulumi up` again")
