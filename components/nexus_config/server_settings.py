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
  An acceptance found in place (e.g. made in the UI) satisfies either value. Whether there is anything to accept
  is decided from the edition (server_settings_payloads.community_eula_applies): Pro (whose endpoint answers
  too), OSS and builds from source have nothing to accept (`required` false) and are never sent an acceptance;
  a 404 (older servers, a route a proxy strips) means the same. When the edition cannot be told and Nexus
  reports the EULA as not accepted, create/update fail with a message saying so, sending nothing.
  A destroy does nothing: an acceptance is never revoked (3.77's API would store `accepted: false`, and 3.78+
  refuses it; a Nexus that outlives the stack must keep serving its repositories).
"""
from __future__ import annotations

from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from components.nexus_config import fields as f
from components.nexus_config import server_settings_payloads as sp
from components.nexus_config.client import NexusClient, NexusEditionError, NexusError
from components.nexus_config.provider_base import NexusProvider, NexusResource

REALMS_PATH = "/v1/security/realms/active"
ANONYMOUS_PATH = "/v1/security/anonymous"
EULA_PATH = "/v1/system/eula"


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
        # Nothing to accept (not Community, or a 404): the id stays, `required` is False and `accepted` None, which
        # no diff acts on. An unknown edition reports what the endpoint says; an update then explains.
        outs = {"nexus_url": client.base_url, **sp.eula_outs(self._status(client))}
        return ReadResult(id_, outs, f.inputs_from_outs(self.fields, outs))

    def delete(self, _id: str, _props: dict) -> None:
        """Nothing to do: an acceptance is never revoked (see the module docstring)."""

    @staticmethod
    def _status(client: NexusClient) -> Optional[dict]:
        """Nexus' EULA status, or None when its edition has nothing to accept or it has no EULA endpoint."""
        body = client.get(EULA_PATH, missing_ok=True)   # a read: its Server header usually settles the edition
        return None if sp.community_eula_applies(client.edition().edition) is False else body   # e.g. Pro answers

    def _apply(self, inputs: dict) -> dict:
        client = self._client(inputs)
        client.wait_until_ready()
        body = self._status(client)
        if body is not None and not body.get("accepted"):
            if sp.community_eula_applies(client.edition().edition) is None:
                raise NexusEditionError(sp.eula_edition_unknown(client.base_url, client.edition()))
            if not inputs["accepted"]:
                raise NexusError(sp.eula_refusal(client.base_url, body.get("disclaimer") or ""))
            client.post(EULA_PATH, sp.eula_request(body))
            body = client.get(EULA_PATH)
            if not body.get("accepted"):
                raise NexusError(f"Nexus at {client.base_url} took the EULA acceptance (POST {EULA_PATH}) but "
                                 f"still reports it as not accepted; accept it in the Nexus UI")
        return {"nexus_url": client.base_url, **sp.eula_outs(body)}



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
    Nexus needs it). Outs add `accepted` (Nexus' state; None where there is nothing to accept), `required` (False
    on Pro, OSS and source builds, or without the endpoint) and `disclaimer_sha256` (a digest of Nexus' disclaimer
    text). A destroy does nothing."""
    _provider = CommunityEulaProvider
    _outputs = ("required", "disclaimer_sha256")
    accepted: pulumi.Output[Optional[bool]]
    required: pulumi.Output[bool]
    disclaimer_sha256: pulumi.Output[Optional[str]]
