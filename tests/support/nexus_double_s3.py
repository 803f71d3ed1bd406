"""The Nexus double's S3 blob stores (mixed into `tests.support.nexus_double.NexusDouble`; the stores share its
`blob_stores` table with the file ones, so the list, the delete and the name checks see both).

Each behaviour names the class it follows in sonatype/nexus-public 3.77 (plugins/nexus-blobstore-s3,
rest/internal); [inf] marks what no source settles.

- POST /v1/blobstores/s3 (S3BlobStoreApiResource#createBlobStore):
  1. bean validation of S3BlobStoreApiModel (@NotNull name, bucketConfiguration, bucket.region, bucket.name,
     bucket.expiration): 400 `PARAMETER <leaf>` "must not be null" (ResteasyViolationExceptionMapper);
  2. everything after it runs in one try: any exception becomes 400 text/plain, the ValidationErrorXO's toString
     (`WebApplicationMessageException(BAD_REQUEST, e.getMessage())`): a blank name ("Blob store name cannot be
     empty"), another S3 store on the same bucket and endpoint with an overlapping prefix
     (S3BlobStoreDescriptor#validateOverlappingBucketWithConfiguration), the bucket checks (BucketManager,
     S3BlobStoreException texts: an unknown access key, a wrong secret, a bucket owned by someone else), a
     duplicate name [inf: the datastore's "Duplicate key"], no credentials at all [inf: the AWS SDK's text];
  3. the prefix is stored sanitised (stripped of '/' and spaces, '//' collapsed: S3BlobStoreDescriptor);
  Success: 201, empty body.
- GET /v1/blobstores/s3/{name}: 200 S3BlobStoreApiModel as S3BlobStoreApiConfigurationMapper builds it:
  bucketSecurity only with an access key id, its secretAccessKey the placeholder; advancedBucketConnection only
  when an endpoint or forcePathStyle=true is stored (false is not stored); failoverBuckets []; activeRegion; type
  "S3". Unknown: 404 `{"id":"*","message":"Unable to find S3 '<name>' blobstore"}` (BlobStoreResourceUtil); a file
  store: 400 `{"id":"*","message":"\\"<name> is not an S3 blob store.\\""}`.
- PUT /v1/blobstores/s3/{name}: S3BlobStoreApiUpdateValidation first, uncaught, so a JSON validation list:
  "No S3 blob store called '<name>'" (id name), "Renaming an S3 blob store name is not supported" (id name), "Blob
  store <name> is not an S3 blob store" (id *); the placeholder as secret keeps the stored one; then errors of the
  update itself are 500 text/plain. Success: 204.

Knobs: `s3_keys` (access key id -> secret the object store knows), `s3_role` (whether the pod has an IAM role for
the SDK's default chain), `s3_foreign_buckets` (buckets owned by another account).
"""
from __future__ import annotations

import re
from typing import Any, Callable, Optional

from tests.support.nexus_double_replies import Reply, empty, json_reply, message_error, text_reply, validation_errors
from tests.support.nexus_double_storage import _missing_required

PLACEHOLDER = "#~NXRM~PLACEHOLDER~PASSWORD~#"
INVALID_KEY_ID = "The Access Key ID provided was invalid."
BAD_SIGNATURE = "The secret access key does not match causing an invalid signature."
NOT_OWNER = "Bucket exists but is not owned by you."
NO_CREDENTIALS = "Unable to load AWS credentials from any provider in the chain"     # [inf] the SDK's text
DUPLICATE = "Duplicate key"                                                          # [inf]
REQUIRED = ("name", "bucketConfiguration", "bucketConfiguration.bucket", "bucketConfiguration.bucket.region",
            "bucketConfiguration.bucket.name", "bucketConfiguration.bucket.expiration")


class S3Refused(Exception):
    """What the resource's catch-all turns into a text/plain ValidationErrorXO."""


def _xo_text(status: int, message: str) -> Reply:
    return text_reply(status, f"ValidationErrorXO{{id='*', message='{message}'}}")


def sanitised_prefix(prefix: Optional[str]) -> Optional[str]:
    if prefix is None or not prefix.strip():
        return prefix
    return re.sub(r"/+", "/", prefix.strip("/ "))


def _overlap(a: str, b: str) -> bool:
    a, b = f"/{a}/".replace("//", "/"), f"/{b}/".replace("//", "/")
    return a.startswith(b) or b.startswith(a)


class S3BlobStoreEndpoints:
    """S3 blob stores; NexusDouble supplies `blob_stores` and `check_writable`."""

    blob_stores: dict[str, dict]
    check_writable: Callable[[], None]

    def _init_s3(self) -> None:
        self.s3_keys: dict[str, str] = {}
        self.s3_role = True
        self.s3_foreign_buckets: set[str] = set()

    # ---- endpoints -------------------------------------------------------------------------------------------
    def create_s3_blob_store(self, body: Any) -> Reply:
        body = body if isinstance(body, dict) else {}
        problems = _missing_required(body, REQUIRED)
        if problems:
            return validation_errors(*problems)
        try:
            if not str(body["name"]).strip():
                raise S3Refused("Blob store name cannot be empty")
            if body["name"].lower() in self.blob_stores:
                raise S3Refused(DUPLICATE)
            record = self._s3_record(body, None)
            self._check_bucket(record)
        except S3Refused as exc:
            return _xo_text(400, str(exc))
        self.check_writable()
        self.blob_stores[body["name"].lower()] = record
        return empty(201)

    def get_s3_blob_store(self, _body: Any, name: str) -> Reply:
        store = self.blob_stores.get(name.lower())
        if store is None:
            return message_error(404, f"Unable to find S3 '{name}' blobstore", quoted=False)
        if store.get("type") != "S3":
            return message_error(400, f"{store['name']} is not an S3 blob store.")
        return json_reply(200, self._s3_view(store))

    def update_s3_blob_store(self, body: Any, name: str) -> Reply:
        body = body if isinstance(body, dict) else {}
        problems = _missing_required(body, REQUIRED)
        if problems:
            return validation_errors(*problems)
        store = self.blob_stores.get(name.lower())
        errors = [] if store else [("name", f"No S3 blob store called '{name}'")]
        if str(body.get("name", "")).lower() != name.lower():
            errors.append(("name", "Renaming an S3 blob store name is not supported"))
        if store and store.get("type") != "S3":
            errors.append(("*", f"Blob store {name} is not an S3 blob store"))
        if errors:
            return validation_errors(*errors)
        try:
            record = self._s3_record({**body, "name": store["name"]}, store)
            self._check_bucket(record)
        except S3Refused as exc:
            return _xo_text(500, str(exc))
        self.check_writable()
        self.blob_stores[name.lower()] = record
        return empty(204)

    # ---- behaviour -------------------------------------------------------------------------------------------
    def _s3_record(self, body: dict, existing: Optional[dict]) -> dict:
        config = body["bucketConfiguration"]
        bucket = dict(config["bucket"])
        if "prefix" in bucket:
            bucket["prefix"] = sanitised_prefix(bucket["prefix"])
        security = dict(config.get("bucketSecurity") or {})
        if security.get("secretAccessKey") == PLACEHOLDER and existing:
            security["secretAccessKey"] = (existing.get("security") or {}).get("secretAccessKey")
        connection = config.get("advancedBucketConnection") or {}
        record = {"name": body["name"], "type": "S3", "bucket": bucket, "security": security,
                  "endpoint": connection.get("endpoint") or None,
                  "forcePathStyle": bool(connection.get("forcePathStyle")),      # stored only when true
                  **({"softQuota": body["softQuota"]} if body.get("softQuota") else {})}
        for other in self.blob_stores.values():
            if other.get("type") != "S3" or other["name"] == record["name"]:
                continue
            same = (other["bucket"]["name"] == bucket["name"] and (other["endpoint"] or "") == (record["endpoint"] or ""))
            if same and _overlap(other["bucket"].get("prefix") or "", bucket.get("prefix") or ""):
                message = f"Blob Store '{other['name']}' is already using bucket '{other['bucket']['name']}'"
                if bucket.get("prefix") or other["bucket"].get("prefix"):
                    message += f" with prefix '{other['bucket'].get('prefix') or ''}'"
                if record["endpoint"] or other["endpoint"]:
                    message += f" on endpoint '{other['endpoint'] or ''}'"
                raise S3Refused(message)
        return record

    def _check_bucket(self, record: dict) -> None:
        """BucketManager#prepareStorageLocation's checks, as the object store would answer them."""
        key_id, secret = record["security"].get("accessKeyId"), record["security"].get("secretAccessKey")
        if key_id:
            if key_id not in self.s3_keys:
                raise S3Refused(INVALID_KEY_ID)
            if self.s3_keys[key_id] != secret:
                raise S3Refused(BAD_SIGNATURE)
        elif not self.s3_role:
            raise S3Refused(NO_CREDENTIALS)
        if record["bucket"]["name"] in self.s3_foreign_buckets:
            raise S3Refused(NOT_OWNER)

    def _s3_view(self, store: dict) -> dict:
        bucket = {k: v for k, v in store["bucket"].items() if v is not None}
        bucket["expiration"] = int(bucket.get("expiration", 0))
        config: dict[str, Any] = {"bucket": bucket, "failoverBuckets": [], "activeRegion": bucket.get("region")}
        if store["security"].get("accessKeyId"):
            config["bucketSecurity"] = {"accessKeyId": store["security"]["accessKeyId"], "secretAccessKey": PLACEHOLDER}
        if store["endpoint"] or store["forcePathStyle"]:
            config["advancedBucketConnection"] = {
                **({"endpoint": store["endpoint"]} if store["endpoint"] else {}),
                "forcePathStyle": store["forcePathStyle"]}
        view = {"name": store["name"], "bucketConfiguration": config, "type": "S3"}
        if store.get("softQuota"):
            view["softQuota"] = store["softQuota"]
        return view

    # ---- behind-Pulumi's-back helpers (drift) ---------------------------------------------------------------
    def s3_store(self, name: str) -> Optional[dict]:
        return self.blob_stores.get(name.lower())


_NAME = r"([^/]+)"
S3_ROUTES: tuple[tuple[str, str, Callable[..., Reply]], ...] = (
    ("POST", r"/v1/blobstores/s3", S3BlobStoreEndpoints.create_s3_blob_store),
    ("GET", rf"/v1/blobstores/s3/{_NAME}", S3BlobStoreEndpoints.get_s3_blob_store),
    ("PUT", rf"/v1/blobstores/s3/{_NAME}", S3BlobStoreEndpoints.update_s3_blob_store),
)
# (method, path regex, status, openapi-core errors, reason): the real answers the 3.94 spec does not list.
S3_SPEC_GAPS = (
    ("POST", r"/v1/blobstores/s3", 400, ("ResponseNotFound",),
     "S3BlobStoreApiResource#createBlobStore (nexus-public 3.77): bean validation, and every refusal after it "
     "(bucket credentials, ownership, an overlapping prefix) answers 400; the spec lists only 201/401/403"),
    ("GET", r"/v1/blobstores/file/[^/]+", 400, ("ResponseNotFound",),
     "nexus-api §2.5: reading an S3 store through the file endpoint answers 400 'Unable to read non-file blob "
     "store configuration (type was S3)'; the spec lists only 200/403/404"),
    ("GET", r"/v1/blobstores/s3/[^/]+", 400, ("ResponseNotFound",),
     "S3BlobStoreApiResource#ensureBlobStoreTypeIsS3: a store of another type answers 400"),
    ("PUT", r"/v1/blobstores/s3/[^/]+", 500, ("ResponseNotFound",),
     "S3BlobStoreApiResource#updateBlobStore: an update the bucket refuses answers 500 text/plain"),
    ("PUT", r"/v1/blobstores/s3/[^/]+", 400, ("MediaTypeNotFound", "MissingData"),
     "S3BlobStoreApiUpdateValidation: the 400 the spec lists carries a validation list"),
)
