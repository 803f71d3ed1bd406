"""Dynamic resources for server-wide singletons: active security realms, anonymous access, the Community
Edition EULA; bodies and field tables in server_settings_payloads.py.

Singletons:
- `ActiveRealms` makes sure the requested realms are active. Realms already active stay where they are;
  missing ones are appended in the requested order. Outs record which realms this resource activated
  (`added`); an update or a destroy deactivates only those (never `NexusAuthenticatingRealm`, which the admin
  login needs), so realms somebody else activated are left alone. Use one `ActiveRealms` per Nexus.
- `AnonymousAccess` sets `enabled` and keeps Nexus' user and realm. Outs record the setting found before
  (`previous_enabled`); a destroy restores it, leaving Nexus as it was found.
- `CommunityEula` accepts the Community Edition EULA (Nexus 3.77+ serves no repositories until it is accepted)
  when, and only when, its input `accepted` is true: it sends back the disclaimer exactly as Nexus returned it.
  With `accepted` false on a Community server whose EULA is not accepted yet, create/update fail with the start
  of the disclaimer and the `acceptEula` stack key to set; nothing is ever accepted on the operator's behalf.
  An acceptance found in place (e.g. made in the UI) satisfies either value. A server without the EULA endpoint
  (404: Pro, or OSS before 3.77; inferred, not seen on a live server) has nothing to accept: `required` is false.
  A destroy does nothing: an acceptance is never revoked (3.77's API would store `accepted: false`, but that would
  stop a Nexus that outlives the stack from serving its repositories; the operator agreed, so it stays agreed).
"""
from __future__ import annotations

from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from components.nexus_config import fields as f
from components.nexus_config import server_settings_payloads as sp
from components.nexus_config.client import EULA_KEY, NexusError
from components.nexus_config.provider_base import NexusProvider, NexusResource

REALMS_PATH = "/v1/security/realms/active"
ANONYMOUS_PATH = "/v1/security/anonymous"
EULA_PATH = "/v1/system/eula"
EULA_QUOTE_CHARS = 300                  # how much of the disclaimer a refusal quotes


class ActiveRealmsProvider(NexusProvider):
    fields = sp.REALMS_FIELDS
    ID = "active-realms"

    def create(self, props: dict) -> CreateResult:
        return CreateResult(self.ID, self._apply(self._inputs(props), owned=[]))

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._apply(self._inputs(news), owned=olds.get("added") or []))

    def read(self, id_: str, props: dict) -> ReadResult:
        client = self._client(props)
        active = client.get(REALMS_PATH) or []
        outs = {"nexus_url": client.base_url,
                "realms": [r for r in props.get("realms") or [] if r in active],   # a deactivated one is drift
                "active": active,
                "added": [r for r in props.get("added") or [] if r in active]}
        return ReadResult(id_, outs, f.inputs_from_outs(self.fields, outs))

    def delete(self, _id: str, props: dict) -> None:
        client = self._client(props)
        active = client.get(REALMS_PATH) or []
        remaining = sp.release_realms(active, props.get("added") or [])
        if remaining != active:
            client.put(REALMS_PATH, remaining)

    def _apply(self, inputs: dict, owned: list[str]) -> dict:
        client = self._client(inputs)
        client.wait_until_ready()
        active = client.get(REALMS_PATH) or []
        new_active, now_owned = sp.plan_realms(active, inputs["realms"], owned)
        if new_active != active:                        # unknown ids: Nexus' 400 names them
            client.put(REALMS_PATH, new_active)
        return {"nexus_url": client.base_url, "realms": list(inputs["realms"]), "active": new_active,
                "added": now_owned}


class AnonymousAccessProvider(NexusProvider):
    fields = sp.ANONYMOUS_FIELDS
    ID = "anonymous-access"

    def create(self, props: dict) -> CreateResult:
        return CreateResult(self.ID, self._apply(self._inputs(props), previous=None))

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._apply(self._inputs(news), previous=olds.get("previous_enabled")))

    def read(self, id_: str, props: dict) -> ReadResult:
        client = self._client(props)
        outs = {"nexus_url": client.base_url, **sp.anonymous_outs(client.get(ANONYMOUS_PATH) or {}),
                "previous_enabled": props.get("previous_enabled")}
        return ReadResult(id_, outs, f.inputs_from_outs(self.fields, outs))

    def delete(self, _id: str, props: dict) -> None:
        previous = props.get("previous_enabled")
        if previous is None:
            return
        client = self._client(props)
        current = client.get(ANONYMOUS_PATH) or {}
        if bool(current.get("enabled")) != previous:
            client.put(ANONYMOUS_PATH, sp.anonymous_request(current, previous))

    def _apply(self, inputs: dict, previous: Optional[bool]) -> dict:
        client = self._client(inputs)
        client.wait_until_ready()
        current = client.get(ANONYMOUS_PATH) or {}
        if previous is None:
            previous = bool(current.get("enabled"))
        if bool(current.get("enabled")) != inputs["enabled"]:
            current = client.put(ANONYMOUS_PATH, sp.anonymous_request(current, inputs["enabled"])) or current
        return {"nexus_url": client.base_url, **sp.anonymous_outs(current), "previous_enabled": previous}


class CommunityEulaProvider(NexusProvider):
    fields = sp.EULA_FIELDS
    ID = "community-eula"

    def create(self, props: dict) -> CreateResult:
        return CreateResult(self.ID, self._apply(self._inputs(props)))

    def update(self, _id: str, _olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._apply(self._inputs(news)))

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        return DiffResult(changes=bool(sp.eula_changes(olds, news)), replaces=[])

    def read(self, id_: str, props: dict) -> ReadResult:
        client = self._client(props)
        # No EULA endpoint (404): the id stays, `required` is False and `accepted` None, which no diff acts on.
        outs = {"nexus_url": client.base_url, **sp.eula_outs(client.get(EULA_PATH, missing_ok=True))}
        return ReadResult(id_, outs, f.inputs_from_outs(self.fields, outs))

    def delete(self, _id: str, _props: dict) -> None:
        """Nothing to do: an acceptance is never revoked (see the module docstring)."""

    def _apply(self, inputs: dict) -> dict:
        client = self._client(inputs)
        client.wait_until_ready()
        body = client.get(EULA_PATH, missing_ok=True)
        if body is not None and not body.get("accepted"):
            if not inputs["accepted"]:
                raise NexusError(_eula_refusal(client.base_url, body.get("disclaimer") or ""))
            client.post(EULA_PATH, sp.eula_request(body))
            body = client.get(EULA_PATH)
            if not body.get("accepted"):
                raise NexusError(f"Nexus at {client.base_url} took the EULA acceptance (POST {EULA_PATH}) but "
                                 f"still reports it as not accepted; accept it in the Nexus UI")
        return {"nexus_url": client.base_url, **sp.eula_outs(body)}


def _eula_refusal(url: str, disclaimer: str) -> str:
    quoted = disclaimer[:EULA_QUOTE_CHARS] + ("…" if len(disclaimer) > EULA_QUOTE_CHARS else "")
    return (f"Nexus at {url} is the Community Edition, which serves no repositories until its end user license "
            f"agreement (EULA) is accepted, and it is not accepted yet. Nexus says: \"{quoted}\". Read the EULA "
            f"in the Nexus UI (signed in as admin); to accept it through this stack, run "
            f"`pulumi config set {EULA_KEY} true` and `pulumi up` again. Nothing was accepted on your behalf")


class ActiveRealms(NexusResource, module="nexus", name="ActiveRealms"):
    """Realms that must be active (e.g. DockerToken). Inputs: nexus_url, realms. Outs add `active` (Nexus' list)
    and `added` (the realms this resource activated, given back on destroy)."""
    _provider = ActiveRealmsProvider
    _outputs = ("active", "added")
    realms: pulumi.Output[list]
    active: pulumi.Output[list]
    added: pulumi.Output[list]


class AnonymousAccess(NexusResource, module="nexus", name="AnonymousAccess"):
    """Nexus' anonymous access switch. Inputs: nexus_url, enabled. A destroy restores `previous_enabled`."""
    _provider = AnonymousAccessProvider
    _outputs = ("user_id", "realm_name", "previous_enabled")
    enabled: pulumi.Output[bool]
    user_id: pulumi.Output[str]
    realm_name: pulumi.Output[str]
    previous_enabled: pulumi.Output[bool]


class CommunityEula(NexusResource, module="nexus", name="CommunityEula"):
    """The Community Edition EULA (Nexus 3.77+). Inputs: nexus_url, accepted (False: never accept, fail while
    Nexus needs it). Outs add `accepted` (Nexus' state; None where there is no EULA), `required` (False on Pro or
    OSS: no EULA endpoint) and `disclaimer_sha256` (a digest of Nexus' disclaimer text). A destroy does nothing."""
    _provider = CommunityEulaProvider
    _outputs = ("required", "disclaimer_sha256")
    accepted: pulumi.Output[Optional[bool]]
    required: pulumi.Output[bool]
    disclaimer_sha256: pulumi.Output[Optional[str]]
