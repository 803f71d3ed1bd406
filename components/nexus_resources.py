"""Dynamic Pulumi resources for Nexus objects: file blob stores, docker hosted/proxy/group repositories,
active security realms, anonymous access and the Community Edition EULA.

Importing this module registers nothing and reads no config: the provider classes are pickled by reference
(`components.nexus_resources.<Name>Provider`) into each resource's `__provider` input and re-imported by the
dynamic provider process, which then calls `configure()` with the stack config.

Credentials: user `admin`, password from the stack config key `adminPassword` (read in `configure()` only).
The password lives on the configured provider instance, is dropped when the provider is pickled
(`__getstate__`), and is never an input, an output, a log line or part of an error message.

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
  is decided from the edition (components.nexus_eula): Pro (whose endpoint answers too), OSS and builds from
  source have nothing to accept (`required` false) and are never sent an acceptance; a 404 (older servers, a
  route a proxy strips) means the same. When the edition cannot be told and Nexus reports the EULA as not
  accepted, create/update fail with a message saying so, sending nothing.
  A destroy does nothing: an acceptance is never revoked (3.77's API would store `accepted: false`, and 3.78+
  refuses it; a Nexus that outlives the stack must keep serving its repositories).

Read-only mode: a frozen Nexus is recognised at once, before any write (`wait_until_ready`) and from a write's 503,
and reported with how to leave it (components.nexus_read_only); it is never retried as if Nexus were starting.
"""
from __future__ import annotations

import time
from typing import Any, ClassVar, Mapping, Optional

import pulumi
from pulumi.dynamic import (CheckFailure, CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult,
                            ResourceProvider, UpdateResult)

from components import nexus_payloads as p
from components.nexus_api import (PASSWORD_KEY, ClientSettings, NexusApiError, NexusClient, NexusConflictError,
                                  NexusEditionError, NexusError)
from components.nexus_eula import EULA_PATH, community_eula_applies, eula_edition_unknown, eula_refusal


class _NexusProvider(ResourceProvider):
    """Shared check/diff (from the payload field tables), configure() and per-call client construction."""

    fields: ClassVar[tuple[p.Field, ...]]
    _password: Optional[str] = None        # set only by configure(); a class default of None, never a secret

    def __init__(self, settings: Optional[ClientSettings] = None) -> None:
        super().__init__()
        self.settings = settings or ClientSettings()

    def configure(self, req: ConfigureRequest) -> None:
        self._password = req.config.get(PASSWORD_KEY)

    def __getstate__(self) -> dict:
        # A provider configured in this process must not carry the password into a pickle.
        return {k: v for k, v in self.__dict__.items() if k != "_password"}

    @staticmethod
    def cross_check(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Checks across fields; the field table checks each field on its own."""
        return []

    def check(self, _olds: dict, news: dict) -> CheckResult:
        inputs, failures = p.check_inputs(self.fields, news, self.cross_check)
        return CheckResult(inputs, [CheckFailure(key, reason) for key, reason in failures])

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed, replaces = p.diff_inputs(self.fields, olds, news)
        return DiffResult(changes=bool(changed), replaces=replaces,
                          delete_before_replace=True if replaces else None)

    def _inputs(self, props: Mapping[str, Any]) -> dict:
        return {f.key: props.get(f.key) for f in self.fields}

    def _client(self, props: Mapping[str, Any]) -> NexusClient:
        try:
            url = p.nexus_url(props.get("nexus_url"))
        except p.InvalidValue as exc:
            raise NexusError(f"nexus_url {p.redacted(props.get('nexus_url'))!r}: {exc}") from None
        if not self._password:
            raise NexusError(f"no Nexus admin password: the provider reads the `{PASSWORD_KEY}` stack config key; "
                             f"set it with `pulumi config set --secret {PASSWORD_KEY} <password>`")
        # Progress (retries, readiness waits) goes to the engine when there is one, else to stderr.
        return NexusClient(url, self._password, self.settings, progress=pulumi.log.info)


# --------------------------------------------------------------------------------------------------------------
# Objects keyed by name: blob stores and repositories.

class _NamedObjectProvider(_NexusProvider):
    kind: ClassVar[str]                    # for messages, e.g. "docker hosted repository"

    # ---- the REST calls a subclass provides --------------------------------------------------------------------
    def _names(self, client: NexusClient) -> list[str]: raise NotImplementedError
    def _get(self, client: NexusClient, name: str) -> Optional[dict]: raise NotImplementedError
    def _post(self, client: NexusClient, inputs: dict) -> None: raise NotImplementedError
    def _put(self, client: NexusClient, name: str, inputs: dict) -> None: raise NotImplementedError
    def _delete(self, client: NexusClient, name: str) -> None: raise NotImplementedError
    def _outs(self, name: str, body: dict) -> dict: raise NotImplementedError

    def _before_write(self, client: NexusClient, inputs: dict) -> None:
        """Refuse inputs the server cannot take (edition checks) before anything is sent."""

    # ---- CRUD --------------------------------------------------------------------------------------------------
    def create(self, props: dict) -> CreateResult:
        inputs = self._inputs(props)
        name, client = inputs["name"], self._client(inputs)
        client.wait_until_ready()
        self._before_write(client, inputs)
        if self._exists(client, name):
            raise self._already_exists(name)
        posted = False
        try:
            self._post(client, inputs)
            posted = True
            outs = self._read_back(client, name)
        except NexusError as err:
            raise self._undo_create(client, name, err, posted) from err
        return CreateResult(name, outs)

    def read(self, id_: str, props: dict) -> ReadResult:
        client = self._client(props)
        body = self._get(client, id_)
        if body is None:                               # deleted outside Pulumi: refresh drops it from state
            return ReadResult("", {})
        outs = {"nexus_url": client.base_url, **self._outs(id_, body)}
        return ReadResult(id_, outs, p.inputs_from_outs(self.fields, outs))

    def update(self, id_: str, _olds: dict, news: dict) -> UpdateResult:
        inputs = self._inputs(news)
        client = self._client(inputs)
        client.wait_until_ready()
        self._before_write(client, inputs)
        try:
            self._put(client, id_, inputs)
        except NexusApiError as err:
            if err.status != 404:
                raise
            raise NexusError(f"{self.kind} {id_!r} no longer exists in Nexus (deleted outside Pulumi); run "
                             f"`pulumi refresh` so the next `pulumi up` creates it again") from err
        return UpdateResult(self._read_back(client, id_))

    def delete(self, id_: str, props: dict) -> None:
        self._delete(self._client(props), id_)         # 404 is fine: already gone

    # ---- helpers -----------------------------------------------------------------------------------------------
    def _exists(self, client: NexusClient, name: str) -> bool:
        return name.lower() in (n.lower() for n in self._names(client))   # Nexus names ignore case

    def _already_exists(self, name: str) -> NexusConflictError:
        return NexusConflictError(
            f"{self.kind} {name!r} already exists in Nexus (names ignore case) and is not managed by this stack. "
            f"Dynamic resources cannot adopt it: delete it in Nexus or choose another name")

    def _read_back(self, client: NexusClient, name: str) -> dict:
        body = self._get(client, name)
        if body is None:
            raise NexusError(f"{self.kind} {name!r} was accepted by Nexus but cannot be read back")
        return {"nexus_url": client.base_url, **self._outs(name, body)}

    def _undo_create(self, client: NexusClient, name: str, err: NexusError, posted: bool) -> NexusError:
        """Make a failed create leave nothing behind; return the error to raise."""
        if not posted and not err.uncertain:
            # Nexus answered the only POST it saw, with an error: it created nothing for us. If the object is
            # there now, someone else created it meanwhile (Nexus' duplicate-name text is not reliable).
            return self._already_exists(name) if isinstance(err, NexusApiError) and self._exists(client, name) \
                else err
        try:
            appeared = self._appears(client, name, 0.0 if posted else self.settings.settle_time)
            if appeared:
                self._delete(client, name)
            outcome = (f"the partially created {self.kind} {name!r} was deleted again" if appeared
                       else f"{self.kind} {name!r} was not created")
        except NexusError as cleanup_err:
            outcome = (f"could not check whether {self.kind} {name!r} was created ({cleanup_err}); "
                       f"check Nexus and delete it by hand if it exists")
        return NexusError(f"creating {self.kind} {name!r} failed: {err}; {outcome}", uncertain=err.uncertain)

    def _appears(self, client: NexusClient, name: str, window: float) -> bool:
        """Whether the object exists, watching for up to `window` seconds (a timed-out POST may land late)."""
        deadline = time.monotonic() + window
        while not self._exists(client, name):
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(self.settings.ready_interval, max(window / 10, 0.01)))
        return True


class BlobStoreProvider(_NamedObjectProvider):
    fields = p.BLOB_STORE_FIELDS
    kind = "file blob store"

    def _names(self, client: NexusClient) -> list[str]:
        return [b.get("name", "") for b in client.get("/v1/blobstores") or []]

    def _get(self, client: NexusClient, name: str) -> Optional[dict]:
        return client.get(f"/v1/blobstores/file/{name}", missing_ok=True)

    def _post(self, client: NexusClient, inputs: dict) -> None:
        client.post("/v1/blobstores/file", p.blob_store_create_request(inputs))

    def _put(self, client: NexusClient, name: str, inputs: dict) -> None:
        client.put(f"/v1/blobstores/file/{name}", p.blob_store_update_request(inputs))

    def _delete(self, client: NexusClient, name: str) -> None:
        client.delete(f"/v1/blobstores/{name}")        # a store still in use: Nexus' 400 message surfaces

    def _outs(self, name: str, body: dict) -> dict:
        return p.blob_store_outs(name, body)


class _DockerRepositoryProvider(_NamedObjectProvider):
    repository_type: ClassVar[str]                     # hosted | proxy | group (the URL segment)

    @property
    def kind(self) -> str:                             # type: ignore[override]
        return f"docker {self.repository_type} repository"

    @staticmethod
    def _request(inputs: Mapping[str, Any]) -> dict: raise NotImplementedError

    @staticmethod
    def _normalise(body: Mapping[str, Any]) -> dict: raise NotImplementedError

    def _names(self, client: NexusClient) -> list[str]:
        return [r.get("name", "") for r in client.get("/v1/repositories") or []]

    def _get(self, client: NexusClient, name: str) -> Optional[dict]:
        # 404 also when the name exists with another format or type: that object is not ours.
        return client.get(f"/v1/repositories/docker/{self.repository_type}/{name}", missing_ok=True)

    def _post(self, client: NexusClient, inputs: dict) -> None:
        client.post(f"/v1/repositories/docker/{self.repository_type}", self._request(inputs))

    def _put(self, client: NexusClient, name: str, inputs: dict) -> None:
        client.put(f"/v1/repositories/docker/{self.repository_type}/{name}", self._request(inputs))

    def _delete(self, client: NexusClient, name: str) -> None:
        client.delete(f"/v1/repositories/{name}")      # Nexus also drops it from every group

    def _outs(self, name: str, body: dict) -> dict:
        return self._normalise(body)


class DockerHostedRepositoryProvider(_DockerRepositoryProvider):
    fields = p.HOSTED_FIELDS
    repository_type = "hosted"
    _request = staticmethod(p.hosted_request)
    _normalise = staticmethod(p.hosted_outs)


class DockerProxyRepositoryProvider(_DockerRepositoryProvider):
    fields = p.PROXY_FIELDS
    repository_type = "proxy"
    _request = staticmethod(p.proxy_request)
    _normalise = staticmethod(p.proxy_outs)
    cross_check = staticmethod(p.proxy_cross_check)


class DockerGroupRepositoryProvider(_DockerRepositoryProvider):
    fields = p.GROUP_FIELDS
    repository_type = "group"
    _request = staticmethod(p.group_request)
    _normalise = staticmethod(p.group_outs)
    cross_check = staticmethod(p.group_cross_check)

    def _before_write(self, client: NexusClient, inputs: dict) -> None:
        if inputs.get("writable_member"):
            client.require_pro("writable_member (Nexus group writableMember, group deployment)")


# --------------------------------------------------------------------------------------------------------------
# Singletons: active realms, anonymous access and the Community Edition EULA.

REALMS_PATH = "/v1/security/realms/active"
ANONYMOUS_PATH = "/v1/security/anonymous"


class ActiveRealmsProvider(_NexusProvider):
    fields = p.REALMS_FIELDS
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
        return ReadResult(id_, outs, p.inputs_from_outs(self.fields, outs))

    def delete(self, _id: str, props: dict) -> None:
        client = self._client(props)
        active = client.get(REALMS_PATH) or []
        remaining = p.release_realms(active, props.get("added") or [])
        if remaining != active:
            client.put(REALMS_PATH, remaining)

    def _apply(self, inputs: dict, owned: list[str]) -> dict:
        client = self._client(inputs)
        client.wait_until_ready()
        active = client.get(REALMS_PATH) or []
        new_active, now_owned = p.plan_realms(active, inputs["realms"], owned)
        if new_active != active:                        # unknown ids: Nexus' 400 names them
            client.put(REALMS_PATH, new_active)
        return {"nexus_url": client.base_url, "realms": list(inputs["realms"]), "active": new_active,
                "added": now_owned}


class AnonymousAccessProvider(_NexusProvider):
    fields = p.ANONYMOUS_FIELDS
    ID = "anonymous-access"

    def create(self, props: dict) -> CreateResult:
        return CreateResult(self.ID, self._apply(self._inputs(props), previous=None))

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._apply(self._inputs(news), previous=olds.get("previous_enabled")))

    def read(self, id_: str, props: dict) -> ReadResult:
        client = self._client(props)
        outs = {"nexus_url": client.base_url, **p.anonymous_outs(client.get(ANONYMOUS_PATH) or {}),
                "previous_enabled": props.get("previous_enabled")}
        return ReadResult(id_, outs, p.inputs_from_outs(self.fields, outs))

    def delete(self, _id: str, props: dict) -> None:
        previous = props.get("previous_enabled")
        if previous is None:
            return
        client = self._client(props)
        current = client.get(ANONYMOUS_PATH) or {}
        if bool(current.get("enabled")) != previous:
            client.put(ANONYMOUS_PATH, p.anonymous_request(current, previous))

    def _apply(self, inputs: dict, previous: Optional[bool]) -> dict:
        client = self._client(inputs)
        client.wait_until_ready()
        current = client.get(ANONYMOUS_PATH) or {}
        if previous is None:
            previous = bool(current.get("enabled"))
        if bool(current.get("enabled")) != inputs["enabled"]:
            current = client.put(ANONYMOUS_PATH, p.anonymous_request(current, inputs["enabled"])) or current
        return {"nexus_url": client.base_url, **p.anonymous_outs(current), "previous_enabled": previous}


class CommunityEulaProvider(_NexusProvider):
    fields = p.EULA_FIELDS
    ID = "community-eula"

    def create(self, props: dict) -> CreateResult:
        return CreateResult(self.ID, self._apply(self._inputs(props)))

    def update(self, _id: str, _olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._apply(self._inputs(news)))

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        return DiffResult(changes=bool(p.eula_changes(olds, news)), replaces=[])

    def read(self, id_: str, props: dict) -> ReadResult:
        client = self._client(props)
        # Nothing to accept (not Community, or a 404): the id stays, `required` is False and `accepted` None, which
        # no diff acts on. An unknown edition reports what the endpoint says; an update then explains.
        outs = {"nexus_url": client.base_url, **p.eula_outs(self._status(client))}
        return ReadResult(id_, outs, p.inputs_from_outs(self.fields, outs))

    def delete(self, _id: str, _props: dict) -> None:
        """Nothing to do: an acceptance is never revoked (see the module docstring)."""

    @staticmethod
    def _status(client: NexusClient) -> Optional[dict]:
        """Nexus' EULA status, or None when its edition has nothing to accept or it has no EULA endpoint."""
        body = client.get(EULA_PATH, missing_ok=True)   # a read: its Server header usually settles the edition
        return None if community_eula_applies(client.edition().edition) is False else body   # e.g. Pro answers

    def _apply(self, inputs: dict) -> dict:
        client = self._client(inputs)
        client.wait_until_ready()
        body = self._status(client)
        if body is not None and not body.get("accepted"):
            if community_eula_applies(client.edition().edition) is None:
                raise NexusEditionError(eula_edition_unknown(client.base_url, client.edition()))
            if not inputs["accepted"]:
                raise NexusError(eula_refusal(client.base_url, body.get("disclaimer") or ""))
            client.post(EULA_PATH, p.eula_request(body))
            body = client.get(EULA_PATH)
            if not body.get("accepted"):
                raise NexusError(f"Nexus at {client.base_url} took the EULA acceptance (POST {EULA_PATH}) but "
                                 f"still reports it as not accepted; accept it in the Nexus UI")
        return {"nexus_url": client.base_url, **p.eula_outs(body)}



# --------------------------------------------------------------------------------------------------------------
# The resources a program declares: `Name(resource_name, *, <inputs>, opts=None)`, inputs as in the field tables
# of nexus_payloads (defaults are filled by the provider's check, so they are written down once).

class _NexusResource(pulumi.dynamic.Resource):
    _provider: ClassVar[type[_NexusProvider]]
    _outputs: ClassVar[tuple[str, ...]] = ()      # output-only keys, seeded with None to become typed attributes
    nexus_url: pulumi.Output[str]

    def __init__(self, resource_name: str, *, opts: Optional[pulumi.ResourceOptions] = None,
                 **inputs: Any) -> None:
        fields = self._provider.fields
        unknown = sorted(set(inputs) - {f.key for f in fields})
        missing = [f.key for f in fields if f.required and inputs.get(f.key) is None]
        if unknown or missing:
            raise TypeError(f"{type(self).__name__}({resource_name!r}): "
                            + "; ".join(filter(None, [unknown and f"unknown inputs {unknown}",
                                                      missing and f"missing required inputs {missing}"])))
        props = {**{f.key: inputs.get(f.key) for f in fields}, **dict.fromkeys(self._outputs)}
        super().__init__(self._provider(), resource_name, props, opts)


class BlobStore(_NexusResource, module="nexus", name="BlobStore"):
    """A file blob store. Inputs: nexus_url, name, path (default: name), soft_quota ({type, limit MB} or None)."""
    _provider = BlobStoreProvider
    name: pulumi.Output[str]
    path: pulumi.Output[str]
    soft_quota: pulumi.Output[Optional[dict]]


class _DockerRepository(_NexusResource):
    _outputs = ("url",)
    name: pulumi.Output[str]
    blob_store: pulumi.Output[str]
    http_port: pulumi.Output[Optional[int]]
    force_basic_auth: pulumi.Output[bool]
    v1_enabled: pulumi.Output[bool]
    strict_content_type_validation: pulumi.Output[bool]
    online: pulumi.Output[bool]
    url: pulumi.Output[str]                       # Nexus' repository URL


class DockerHostedRepository(_DockerRepository, module="nexus", name="DockerHostedRepository"):
    """A docker hosted repository (push). Inputs: nexus_url, name, blob_store, http_port (None), force_basic_auth
    (False), v1_enabled (False), strict_content_type_validation (True), write_policy ("allow" | "allow_once" |
    "deny"; default "allow"), online (True)."""
    _provider = DockerHostedRepositoryProvider
    write_policy: pulumi.Output[str]


class DockerProxyRepository(_DockerRepository, module="nexus", name="DockerProxyRepository"):
    """A docker proxy repository (pull-through cache). Inputs: nexus_url, name, blob_store, remote_url,
    docker_index ("HUB" | "REGISTRY" | "CUSTOM"; default "HUB"), index_url (only with CUSTOM), http_port,
    content_max_age and metadata_max_age (minutes, default 1440), force_basic_auth, v1_enabled,
    strict_content_type_validation, online."""
    _provider = DockerProxyRepositoryProvider
    remote_url: pulumi.Output[str]
    docker_index: pulumi.Output[str]
    index_url: pulumi.Output[Optional[str]]
    content_max_age: pulumi.Output[int]
    metadata_max_age: pulumi.Output[int]


class DockerGroupRepository(_DockerRepository, module="nexus", name="DockerGroupRepository"):
    """A docker group repository. Inputs: nexus_url, name, blob_store, members (ordered list), http_port,
    force_basic_auth, v1_enabled, strict_content_type_validation, online, writable_member (Nexus Pro only)."""
    _provider = DockerGroupRepositoryProvider
    members: pulumi.Output[list]
    writable_member: pulumi.Output[Optional[str]]


class ActiveRealms(_NexusResource, module="nexus", name="ActiveRealms"):
    """Realms that must be active (e.g. DockerToken). Inputs: nexus_url, realms. Outs add `active` (Nexus' list)
    and `added` (the realms this resource activated, given back on destroy)."""
    _provider = ActiveRealmsProvider
    _outputs = ("active", "added")
    realms: pulumi.Output[list]
    active: pulumi.Output[list]
    added: pulumi.Output[list]


class AnonymousAccess(_NexusResource, module="nexus", name="AnonymousAccess"):
    """Nexus' anonymous access switch. Inputs: nexus_url, enabled. A destroy restores `previous_enabled`."""
    _provider = AnonymousAccessProvider
    _outputs = ("user_id", "realm_name", "previous_enabled")
    enabled: pulumi.Output[bool]
    user_id: pulumi.Output[str]
    realm_name: pulumi.Output[str]
    previous_enabled: pulumi.Output[bool]


class CommunityEula(_NexusResource, module="nexus", name="CommunityEula"):
    """The Community Edition EULA (Nexus 3.77+). Inputs: nexus_url, accepted (False: never accept, fail while
    Nexus needs it). Outs add `accepted` (Nexus' state; None where there is nothing to accept), `required` (False
    on Pro, OSS and source builds, or without the endpoint) and `disclaimer_sha256` (a digest of Nexus' disclaimer
    text). A destroy does nothing."""
    _provider = CommunityEulaProvider
    _outputs = ("required", "disclaimer_sha256")
    accepted: pulumi.Output[Optional[bool]]
    required: pulumi.Output[bool]
    disclaimer_sha256: pulumi.Output[Optional[str]]
