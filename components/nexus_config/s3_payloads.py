"""S3 blob stores: the Field table, the request builder (our inputs -> the body of POST/PUT /v1/blobstores/s3) and
the read normaliser (GET /v1/blobstores/s3/{name} -> our outs). Pure: no I/O, no Pulumi wiring.

Facts (sonatype/nexus-public 3.77, plugins/nexus-blobstore-s3, rest/internal):
- `S3BlobStoreApiModel`: name, softQuota, bucketConfiguration{bucket{region, name, prefix, expiration},
  bucketSecurity{accessKeyId, secretAccessKey, role, sessionToken}, encryption, advancedBucketConnection{endpoint,
  signerType, forcePathStyle, maxConnectionPoolSize}, failoverBuckets}. `expiration` is @NotNull there; the 3.94
  spec no longer lists it. Nexus' REST ObjectMapper ignores unknown properties (ObjectMapperProvider), so it is
  always sent; a read without it is no drift.
- `expiration`: days after which the bucket's lifecycle rule removes soft-deleted blobs (Nexus tags them and
  writes the rule itself, BucketManager); 0 deletes at once. That rule is what frees space on S3: the compact task
  is a no-op there (BlobStoreSupport#doCompact).
- GET never returns the secret key: `secretAccessKey` reads back as the placeholder `#~NXRM~PLACEHOLDER~PASSWORD~#`
  (S3BlobStoreApiResource#fetchBlobStoreConfiguration); a PUT carrying the placeholder keeps the stored secret.
- A prefix is stored stripped of '/' and spaces, with '//' collapsed (S3BlobStoreDescriptor#sanitizeConfig); two
  stores of one bucket (and endpoint) may not have overlapping prefixes.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from components.nexus_config import repository_payloads as rp
from components.nexus_config.fields import (
    NAME_FIELD,
    URL_FIELD,
    Field,
    InvalidValue,
    boolean,
    integer,
    is_unknown,
    non_empty_string,
    soft_quota,
)

PASSWORD_PLACEHOLDER = "#~NXRM~PLACEHOLDER~PASSWORD~#"   # PasswordPlaceholder.VALUE
DEFAULT_EXPIRATION_DAYS = 3                             # S3BlobStore.DEFAULT_EXPIRATION_IN_DAYS (the UI's default)
MAX_EXPIRATION_DAYS = 3650
NO_SUCH_STORE = "No S3 blob store called"               # S3BlobStoreApiConstants, answered to a PUT of an unknown store


def _wrapped(check):
    """A config_scale check (ValueError) as a field validator (InvalidValue)."""
    def validate(value: Any) -> Any:
        if not isinstance(value, str):
            raise InvalidValue("must be a string")
        try:
            return check(value)
        except ValueError as exc:
            raise InvalidValue(str(exc)) from None
    return validate


def _optional(validate):
    return lambda v: None if v in (None, "") else validate(v)


def expiration_days(value: Any) -> int:
    days = integer(value)
    if not 0 <= days <= MAX_EXPIRATION_DAYS:
        raise InvalidValue(f"must be days between 0 (delete at once) and {MAX_EXPIRATION_DAYS}")
    return days


def _fields() -> tuple[Field, ...]:
    from components.config_scale import (check_access_key_id, check_bucket, check_endpoint, check_region,
                                          normalise_prefix)
    return (
        URL_FIELD, NAME_FIELD,
        # Where the blobs are: changing it is a new blob store (the blobs would not move), so a replacement, which
        # Nexus refuses while repositories use the store ("BlobStore … is in use and cannot be deleted").
        Field("bucket", _wrapped(check_bucket), replaces=True),
        Field("prefix", _wrapped(normalise_prefix), "", replaces=True),
        Field("endpoint", _optional(_wrapped(check_endpoint)), None, replaces=True),
        Field("region", _wrapped(check_region)),
        Field("expiration_days", expiration_days, DEFAULT_EXPIRATION_DAYS),
        Field("force_path_style", boolean, False),
        Field("access_key_id", _optional(_wrapped(check_access_key_id)), None),
        Field("secret_access_key", _optional(non_empty_string), None, secret=True),
        Field("soft_quota", soft_quota, None),
        # With adopt_existing: not created when every repository it is for exists on another store (as file stores).
        Field("for_repositories", rp.repository_refs, []),
    ) + rp.ADOPT_FIELDS


S3_BLOB_STORE_FIELDS = _fields()


def s3_cross_check(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    key_id, secret = inputs.get("access_key_id"), inputs.get("secret_access_key")
    if is_unknown(key_id) or is_unknown(secret) or bool(key_id) == bool(secret):
        return []
    missing = "secret_access_key" if key_id else "access_key_id"
    return [(missing, f"{missing} is required with {'access_key_id' if key_id else 'secret_access_key'} (both, or "
                      f"neither for the pod's IAM role)")]


def s3_blob_store_request(inputs: Mapping[str, Any]) -> dict:
    """S3BlobStoreApiModel for POST and PUT (PUT replaces the configuration)."""
    bucket: dict[str, Any] = {"region": inputs["region"], "name": inputs["bucket"],
                              "expiration": inputs["expiration_days"]}
    if inputs.get("prefix"):
        bucket["prefix"] = inputs["prefix"]
    config: dict[str, Any] = {"bucket": bucket}
    if inputs.get("access_key_id"):                 # none: the AWS SDK's default chain (the pod's IAM role)
        config["bucketSecurity"] = {"accessKeyId": inputs["access_key_id"],
                                    "secretAccessKey": inputs["secret_access_key"]}
    connection: dict[str, Any] = {"forcePathStyle": bool(inputs.get("force_path_style"))}
    if inputs.get("endpoint"):
        connection["endpoint"] = inputs["endpoint"]
    config["advancedBucketConnection"] = connection
    body: dict[str, Any] = {"name": inputs["name"], "bucketConfiguration": config}
    if inputs.get("soft_quota"):
        body["softQuota"] = dict(inputs["soft_quota"])
    return body


def s3_blob_store_outs(name: str, body: Mapping[str, Any]) -> dict:
    """Outs from a GET: as Nexus holds it (no validation on read, so drift shows). The secret key is never read
    (the placeholder); `expiration_days` is None when the server does not return it (the provider carries both)."""
    config = body.get("bucketConfiguration") or {}
    bucket, security = config.get("bucket") or {}, config.get("bucketSecurity") or {}
    connection = config.get("advancedBucketConnection") or {}
    expiration = bucket.get("expiration")
    quota = rp.blob_store_outs(name, body)       # soft quota and Nexus' verdict on it, as for a file store
    return {"name": name, "bucket": bucket.get("name"), "prefix": bucket.get("prefix") or "",
            "endpoint": connection.get("endpoint") or None, "region": bucket.get("region"),
            "expiration_days": None if expiration is None else int(expiration),
            "force_path_style": bool(connection.get("forcePathStyle")),
            "access_key_id": security.get("accessKeyId") or None, "secret_access_key": None,
            "soft_quota": quota["soft_quota"], "quota_status": quota["quota_status"]}


def carry_unread(outs: dict, known: Mapping[str, Any]) -> dict:
    """What a GET cannot tell, from `known` (the inputs after a write, the state on a refresh): the secret key, as
    long as Nexus still holds a key for the same access key id (a new id in Nexus drops it, so the next update
    sends ours again); and the expiration when the server does not return it."""
    same_key = outs.get("access_key_id") and outs.get("access_key_id") == known.get("access_key_id")
    expiration = outs.get("expiration_days")
    return {**outs, "secret_access_key": known.get("secret_access_key") if same_key else None,
            "expiration_days": known.get("expiration_days") if expiration is None else expiration}


def type_mismatch(name: str, found_type: Optional[str]) -> str:
    return (f"blob store {name!r} already exists in Nexus as a {found_type or 'non-S3'} blob store. Setting "
            f"blobStoreType=s3 does not move its blobs: keep blobStoreType=file for this installation, or start a new "
            f"one on S3 (docs/scaling.md#blob-stores-on-s3). Nothing was changed")
