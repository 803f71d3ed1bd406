"""S3BlobStore: a blob store in an S3 bucket (or MinIO, Ceph RGW), one dynamic resource per Nexus object with
`read` for drift, as the file BlobStore; bodies and the field table in s3_payloads.py.

Drift: every setting Nexus returns is compared on a refresh. The secret access key is write-only (Nexus returns a
placeholder): a new key in the program is an update that sends it, but a key changed only in the Nexus UI is not
seen; the state keeps ours while Nexus holds a key for the same access key id.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import pulumi

from components.nexus_config import s3_payloads as sp
from components.nexus_config.client import NexusApiError, NexusClient, NexusError
from components.nexus_config.provider_base import NexusResource
from components.nexus_config.repositories import BlobStoreProvider, with_quota_status

S3_TYPE = "S3"                                      # GenericBlobStoreApiResponse.type of an S3 store


class S3BlobStoreProvider(BlobStoreProvider):
    fields = sp.S3_BLOB_STORE_FIELDS
    kind = "S3 blob store"
    kept_when_adopted = ("bucket", "prefix", "endpoint", "region")   # where the blobs are is not a setting
    cross_check = staticmethod(sp.s3_cross_check)

    def _before_write(self, client: NexusClient, inputs: dict) -> None:
        # A file store of the same name (blobStoreType switched on an existing installation) is never replaced.
        name = inputs["name"].lower()
        for store in client.get("/v1/blobstores") or []:
            if store.get("name", "").lower() == name and (store.get("type") or "").upper() != S3_TYPE:
                raise NexusError(sp.type_mismatch(store.get("name"), store.get("type")))

    def _get(self, client: NexusClient, name: str) -> Optional[dict]:
        return with_quota_status(client, name, client.get(f"/v1/blobstores/s3/{name}", missing_ok=True))

    def _post(self, client: NexusClient, inputs: dict) -> None:
        # Nexus reaches the bucket while creating (credentials, ownership, lifecycle rule); what it refuses comes
        # back as a 400 whose message surfaces word for word.
        client.post("/v1/blobstores/s3", sp.s3_blob_store_request(inputs))

    def _put(self, client: NexusClient, name: str, inputs: dict) -> None:
        try:
            client.put(f"/v1/blobstores/s3/{name}", sp.s3_blob_store_request(inputs))
        except NexusApiError as err:
            # S3BlobStoreApiUpdateValidation answers 400 "No S3 blob store called '<name>'" where others say 404.
            if err.status == 400 and any(sp.NO_SUCH_STORE in m for m in err.messages):
                raise self._gone(name) from err
            raise

    def _outs(self, name: str, body: dict) -> dict:
        return sp.s3_blob_store_outs(name, body)

    def _carry(self, outs: dict, known: Mapping[str, Any]) -> dict:
        return sp.carry_unread(super()._carry(outs, known), known)


class S3BlobStore(NexusResource, module="nexus", name="S3BlobStore"):
    """An S3 blob store. Inputs: nexus_url, name, bucket, region, prefix (""), endpoint (None: AWS),
    force_path_style (False), expiration_days (3: the bucket's lifecycle removes soft-deleted blobs after that),
    access_key_id + secret_access_key (None: the pod's IAM role; pass the key as a Pulumi secret, it stays a secret
    output), soft_quota ({type, limit in BYTES} or None). Output `quota_status` as for BlobStore."""
    _provider = S3BlobStoreProvider
    _outputs = ("quota_status", "adopted", "unused")
    _secret_outputs = ("secret_access_key",)
    name: pulumi.Output[str]
    bucket: pulumi.Output[str]
    prefix: pulumi.Output[str]
    region: pulumi.Output[str]
    soft_quota: pulumi.Output[Optional[dict]]
    quota_status: pulumi.Output[Optional[dict]]
    adopted: pulumi.Output[bool]                  # taken over (adoptExisting) instead of created
    unused: pulumi.Output[bool]                   # adopted, but no repository of the stack uses it
