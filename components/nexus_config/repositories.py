"""Dynamic resources for file blob stores and docker hosted/proxy/group repositories (one per Nexus object,
`read` for drift); bodies and field tables in repository_payloads.py.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping, Optional

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from components.nexus_config import adoption as ad
from components.nexus_config import fields as f
from components.nexus_config import repository_payloads as rp
from components.nexus_config.client import NexusClient
from components.nexus_config.provider_base import NamedObjectProvider, NexusResource


class BlobStoreProvider(NamedObjectProvider):
    fields = rp.BLOB_STORE_FIELDS
    kind = "file blob store"
    adoptable = True
    kept_when_adopted = ("path",)            # moving a store's files is not a setting
    local_keys = frozenset({"for_repositories", "quota_status"})
    UNUSED = "unused"                        # output: True when not created because no repository would use it

    def create(self, props: dict) -> CreateResult:
        inputs = self._inputs(props)
        if inputs.get("adopt_existing") and inputs.get("for_repositories"):
            client = self._client(inputs)
            client.wait_until_ready()
            name = inputs["name"]
            if self._found(client, name) is None and self._all_on_other_stores(client, inputs["for_repositories"]):
                pulumi.log.info(f"{self.kind} {name!r} not created: every repository it is for exists already "
                                f"and keeps its own blob store (adoptExisting)")
                return CreateResult(name, self._unused(inputs))
        return super().create(props)

    def read(self, id_: str, props: dict) -> ReadResult:
        if props.get(self.UNUSED):
            # Nothing in Nexus to read; but once a repository it is for is gone, the next up must create the store
            # (for the repository it will create again): the refresh drops it from state.
            if not self._all_on_other_stores(self._client(props), props.get("for_repositories") or []):
                return ReadResult("", {})
            return ReadResult(id_, props, f.inputs_from_outs(self.fields, props))
        return super().read(id_, props)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        if olds.get(self.UNUSED):
            return UpdateResult(self._unused(self._inputs(news)))
        return super().update(id_, olds, news)

    def delete(self, id_: str, props: dict) -> None:
        if not props.get(self.UNUSED):
            super().delete(id_, props)

    def _unused(self, inputs: dict) -> dict:
        return {**inputs, "quota_status": None, ad.ADOPTED: False, self.UNUSED: True}

    @staticmethod
    def _all_on_other_stores(client: NexusClient, repositories: list) -> bool:
        """Whether every repository exists already (so it keeps the blob store it has)."""
        return all(client.get(f"/v1/repositories/docker/{r['type']}/{r['name']}", missing_ok=True) is not None
                   for r in repositories)

    def _names(self, client: NexusClient) -> list[str]:
        return [b.get("name", "") for b in client.get("/v1/blobstores") or []]

    def _get(self, client: NexusClient, name: str) -> Optional[dict]:
        return with_quota_status(client, name, client.get(f"/v1/blobstores/file/{name}", missing_ok=True))

    def _post(self, client: NexusClient, inputs: dict) -> None:
        client.post("/v1/blobstores/file", rp.blob_store_create_request(inputs))

    def _put(self, client: NexusClient, name: str, inputs: dict) -> None:
        client.put(f"/v1/blobstores/file/{name}", rp.blob_store_update_request(inputs))

    def _delete(self, client: NexusClient, name: str) -> None:
        client.delete(f"/v1/blobstores/{name}")        # a store still in use: Nexus' 400 message surfaces

    def _outs(self, name: str, body: dict) -> dict:
        return rp.blob_store_outs(name, body)

    def _carry(self, outs: dict, known: Mapping[str, Any]) -> dict:
        return {**outs, "for_repositories": known.get("for_repositories") or [], self.UNUSED: False}


def with_quota_status(client: NexusClient, name: str, body: Optional[dict]) -> Optional[dict]:
    """A blob store's GET body plus, with a soft quota, Nexus' verdict on it (a warning only: Nexus never blocks
    writes for it)."""
    if body is None or not body.get("softQuota"):
        return body
    return {**body, rp.QUOTA_STATUS: client.get(f"/v1/blobstores/{name}/quota-status", missing_ok=True)}


class _DockerRepositoryProvider(NamedObjectProvider):
    repository_type: ClassVar[str]                     # hosted | proxy | group (the URL segment)
    adoptable = True
    kept_when_adopted = ("blob_store",)                # Nexus cannot move a repository to another blob store

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

    def _kind_problem(self, client: NexusClient, name: str) -> Optional[str]:
        listed = next((r for r in client.get("/v1/repositories") or [] if r.get("name", "").lower() == name.lower()),
                      {})
        found = (str(listed.get("format", "")).lower(), str(listed.get("type", "")).lower())
        if found == ("docker", self.repository_type):
            return None
        return ad.wrong_kind(name, ad.describe(ad.REPOSITORY, *found), self.kind, None)


class DockerHostedRepositoryProvider(_DockerRepositoryProvider):
    fields = rp.HOSTED_FIELDS
    repository_type = "hosted"
    _request = staticmethod(rp.hosted_request)
    _normalise = staticmethod(rp.hosted_outs)


class DockerProxyRepositoryProvider(_DockerRepositoryProvider):
    """Also keeps the remote password (the Docker Hub token) that Nexus never returns: after a write it is the one
    just sent; on a refresh the one in state, as long as Nexus still has authentication for the same user (so
    no drift is claimed on a value nobody can see, and a new token in the program is an update)."""
    fields = rp.PROXY_FIELDS
    repository_type = "proxy"
    _request = staticmethod(rp.proxy_request)
    _normalise = staticmethod(rp.proxy_outs)
    cross_check = staticmethod(rp.proxy_cross_check)

    def _carry(self, outs: dict, known: Mapping[str, Any]) -> dict:
        same_user = outs.get("remote_username") and outs.get("remote_username") == known.get("remote_username")
        return {**outs, "remote_password": known.get("remote_password") if same_user else None}


class DockerGroupRepositoryProvider(_DockerRepositoryProvider):
    fields = rp.GROUP_FIELDS
    repository_type = "group"
    _request = staticmethod(rp.group_request)
    _normalise = staticmethod(rp.group_outs)
    cross_check = staticmethod(rp.group_cross_check)

    def _before_write(self, client: NexusClient, inputs: dict) -> None:
        if inputs.get("writable_member"):
            client.require_pro("writable_member (Nexus group writableMember, group deployment)")


class BlobStore(NexusResource, module="nexus", name="BlobStore"):
    """A file blob store. Inputs: nexus_url, name, path (default: name), soft_quota ({type, limit in BYTES} or
    None). Output `quota_status` ({violation, message} from Nexus' quota check, or None without a soft quota) is
    as of the last create, update or refresh."""
    _provider = BlobStoreProvider
    _outputs = ("quota_status", "adopted", "unused")
    name: pulumi.Output[str]
    path: pulumi.Output[str]
    soft_quota: pulumi.Output[Optional[dict]]
    quota_status: pulumi.Output[Optional[dict]]
    adopted: pulumi.Output[bool]
    unused: pulumi.Output[bool]


class _DockerRepository(NexusResource):
    _outputs = ("url", "adopted")
    name: pulumi.Output[str]
    blob_store: pulumi.Output[str]
    http_port: pulumi.Output[Optional[int]]
    force_basic_auth: pulumi.Output[bool]
    v1_enabled: pulumi.Output[bool]
    strict_content_type_validation: pulumi.Output[bool]
    online: pulumi.Output[bool]
    url: pulumi.Output[str]                       # Nexus' repository URL
    adopted: pulumi.Output[bool]                  # taken over (adoptExisting) instead of created


class DockerHostedRepository(_DockerRepository, module="nexus", name="DockerHostedRepository"):
    """A docker hosted repository (push). Inputs: nexus_url, name, blob_store, http_port (None), force_basic_auth
    (False), v1_enabled (False), strict_content_type_validation (True), write_policy ("allow" | "allow_once" |
    "deny"; default "allow"), cleanup_policies (names, default none), online (True)."""
    _provider = DockerHostedRepositoryProvider
    write_policy: pulumi.Output[str]
    cleanup_policies: pulumi.Output[list]


class DockerProxyRepository(_DockerRepository, module="nexus", name="DockerProxyRepository"):
    """A docker proxy repository (pull-through cache). Inputs: nexus_url, name, blob_store, remote_url,
    docker_index ("HUB" | "REGISTRY" | "CUSTOM"; default "HUB"), index_url (only with CUSTOM), http_port,
    content_max_age and metadata_max_age (minutes, default 1440), negative_cache_minutes (default 1440; 0 = off),
    cleanup_policies (names), remote_username + remote_password (pass the password as a Pulumi secret; it stays a
    secret output), force_basic_auth, v1_enabled, strict_content_type_validation, online."""
    _provider = DockerProxyRepositoryProvider
    _secret_outputs = ("remote_password",)
    remote_url: pulumi.Output[str]
    docker_index: pulumi.Output[str]
    index_url: pulumi.Output[Optional[str]]
    content_max_age: pulumi.Output[int]
    metadata_max_age: pulumi.Output[int]
    negative_cache_minutes: pulumi.Output[int]
    cleanup_policies: pulumi.Output[list]
    remote_username: pulumi.Output[Optional[str]]


class DockerGroupRepository(_DockerRepository, module="nexus", name="DockerGroupRepository"):
    """A docker group repository. Inputs: nexus_url, name, blob_store, members (ordered list), http_port,
    force_basic_auth, v1_enabled, strict_content_type_validation, online, writable_member (Nexus Pro only)."""
    _provider = DockerGroupRepositoryProvider
    members: pulumi.Output[list]
    writable_member: pulumi.Output[Optional[str]]
