"""`ExistingObjects`: before the stack writes anything to Nexus, look at what already exists under the names it
will create, and stop with every reason at once (adoption.py's plan and messages):
- without `adoptExisting`: each existing blob store, repository or cleanup policy, naming the key;
- with or without it: an object of another kind (a maven `docker-group`, an S3 blob store) and an existing user
  or role named by `pushUsers`/`pullUsers` (never adopted).
Every other Nexus resource depends on it, so a refusal leaves Nexus untouched: zero writes. It only reads. An
update re-checks only the objects an earlier run had not approved (those are the stack's now). Read and delete do
nothing: it holds no Nexus object.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping
from urllib.parse import urlencode

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from components.nexus_config import adoption as ad
from components.nexus_config import fields as f
from components.nexus_config.client import NexusApiError, NexusClient, NexusConflictError
from components.nexus_config.provider_base import NexusProvider, NexusResource

_COLLECTIONS = (ad.REPOSITORY, ad.BLOB_STORE, ad.CLEANUP_POLICY, ad.USER, ad.ROLE)


def wanted_objects(value: Any) -> list:
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, Mapping) and v.get("collection") in _COLLECTIONS and isinstance(v.get("name"), str)
            for v in value):
        raise f.InvalidValue(f"must be a list of {{collection: {'|'.join(_COLLECTIONS)}, name, key, format, type}}")
    return [ad.wanted_object(v["collection"], v["name"], v.get("key"), fmt=v.get("format"), type_=v.get("type"))
            for v in value]


FIELDS = (f.URL_FIELD, f.Field("objects", wanted_objects), f.Field("adopt_existing", f.boolean, False))


class ExistingObjectsProvider(NexusProvider):
    fields = FIELDS
    ID = "existing-objects"

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed, _ = f.diff_inputs(self.fields, olds, news)
        return DiffResult(changes=bool(changed), replaces=[])

    def create(self, props: dict) -> CreateResult:
        return CreateResult(self.ID, self._check(self._inputs(props), checked=[]))

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        inputs = self._inputs(news)
        renamed = ad.renamed_adopted(olds.get("adopting") or [], inputs["objects"])
        if renamed:
            raise NexusConflictError("\n".join(renamed))
        outs = self._check(inputs, checked=olds.get("objects") or [])
        kept = [a for a in olds.get("adopting") or [] if not ad.unchecked([a], inputs["objects"])]
        return UpdateResult({**outs, "adopting": kept + outs["adopting"]})

    def read(self, id_: str, props: dict) -> ReadResult:
        return ReadResult(id_, props, f.inputs_from_outs(self.fields, props))

    def delete(self, _id: str, _props: dict) -> None:
        """Nothing to delete: this resource holds no Nexus object."""

    def _check(self, inputs: dict, checked: list) -> dict:
        client = self._client(inputs)
        client.wait_until_ready()
        todo = ad.unchecked(inputs["objects"], checked)
        found = _existing(client, todo)
        problems = ad.problems(todo, found, inputs["adopt_existing"])
        if problems:
            raise NexusConflictError(f"Nexus at {client.base_url} already holds objects this stack would create:\n- "
                                     + "\n- ".join(problems))
        adopting = ad.found_adoptable(todo, found)
        if adopting:
            pulumi.log.info(f"adoptExisting: taking over {', '.join(a['collection'] + ' ' + a['name'] for a in adopting)}")
        return {**inputs, "nexus_url": client.base_url, "adopting": adopting}


def _existing(client: NexusClient, wanted: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, dict]]:
    """collection -> lower-cased name -> {name, format, type}, asking Nexus only about the collections wanted."""
    wanted = list(wanted)
    collections = {w["collection"] for w in wanted}
    found: dict[str, dict[str, dict]] = {}

    def keep(collection: str, items: Iterable[Mapping[str, Any]], name_key: str = "name") -> None:
        found[collection] = {str(i.get(name_key, "")).lower(): {"name": i.get(name_key), "format": i.get("format"),
                                                                "type": i.get("type")} for i in items}

    if ad.REPOSITORY in collections:
        keep(ad.REPOSITORY, client.get("/v1/repositories") or [])
    if ad.BLOB_STORE in collections:
        keep(ad.BLOB_STORE, client.get("/v1/blobstores") or [])
    if ad.CLEANUP_POLICY in collections:
        try:
            keep(ad.CLEANUP_POLICY, client.get("/internal/cleanup-policies") or [])
        except NexusApiError as err:          # no cleanup policies on this Nexus: CleanupPolicy says so itself
            if err.status not in (404, 405):
                raise
    if ad.ROLE in collections:
        keep(ad.ROLE, client.get("/v1/security/roles") or [], "id")
    users = [w["name"] for w in wanted if w["collection"] == ad.USER]
    found[ad.USER] = {}
    for user in users:
        query = urlencode({"userId": user, "source": "default"})
        for item in client.get(f"/v1/security/users?{query}") or []:   # userId is a prefix search: compare
            if str(item.get("userId", "")).lower() == user.lower():
                found[ad.USER][user.lower()] = {"name": item.get("userId")}
    return found


class ExistingObjects(NexusResource, module="nexus", name="ExistingObjects"):
    """The preflight (module docstring). Inputs: nexus_url, objects ([{collection, name, key, format, type}] from
    adoption.wanted_object), adopt_existing. Output `adopting`: the existing objects taken over (same shape); a
    later run refuses to rename an adopted repository (that would be a replace)."""
    _provider = ExistingObjectsProvider
    _outputs = ("adopting",)
    objects: pulumi.Output[list]
    adopting: pulumi.Output[list]
