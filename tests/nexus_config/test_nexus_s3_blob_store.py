"""S3 blob stores (issue 18): the provider against the Nexus double over real HTTP, traffic checked against the
published spec: create, read for drift, update, the write-only secret key, Nexus' refusals word for word."""
from __future__ import annotations

import pytest

from components.nexus_config import s3_payloads as sp
from components.nexus_config.client import NexusError
from components.nexus_config.repositories import BlobStoreProvider
from components.nexus_config.s3_blob_store import S3BlobStoreProvider
from components.nexus_config.fields import diff_inputs
from tests.support.nexus_double_s3 import BAD_SIGNATURE, NO_CREDENTIALS, NOT_OWNER, PLACEHOLDER
from tests.support.nexus_fixtures import checked, create, provider_for

MINIO = {"name": "docker-hosted", "bucket": "nexus-blobs", "region": "us-east-1", "prefix": "registry/docker-hosted",
         "endpoint": "http://minio.minio.svc:9000", "force_path_style": True, "access_key_id": "nexus",
         "secret_access_key": "minio-secret-1"}
AWS = {"name": "docker-proxy", "bucket": "nexus-blobs", "region": "eu-west-1", "prefix": "docker-proxy"}


@pytest.fixture
def s3(nexus):
    nexus.s3_keys["nexus"] = "minio-secret-1"
    return provider_for(S3BlobStoreProvider, nexus)


def test_create_sends_the_spec_body_and_reads_it_back(s3, nexus):
    inputs, outs = create(s3, nexus, **MINIO, soft_quota={"type": "spaceUsedQuota", "limit": 80 * 2**30})
    stored = nexus.s3_store("docker-hosted")
    assert stored["bucket"] == {"region": "us-east-1", "name": "nexus-blobs", "expiration": 3,
                                "prefix": "registry/docker-hosted"}
    assert stored["security"] == {"accessKeyId": "nexus", "secretAccessKey": "minio-secret-1"}
    assert (stored["endpoint"], stored["forcePathStyle"]) == ("http://minio.minio.svc:9000", True)
    assert ("POST", "/service/rest/v1/blobstores/s3", 201) in nexus.log
    # What a refresh reads is what was asked: no drift, and the secret comes from what was sent, not from Nexus.
    assert outs["secret_access_key"] == "minio-secret-1" and outs["expiration_days"] == 3
    read = s3.read("docker-hosted", outs)
    assert diff_inputs(s3.fields, inputs, read.inputs) == ([], [])
    assert read.outs["quota_status"] == {"violation": False, "message": read.outs["quota_status"]["message"]}


def test_the_pod_iam_role_sends_no_bucket_security(s3, nexus):
    create(s3, nexus, **AWS)
    body = [b for b in nexus.s3_store("docker-proxy")["security"].values()]
    assert body == []
    view = nexus.get_s3_blob_store(None, "docker-proxy")
    assert b"bucketSecurity" not in view.body and b"advancedBucketConnection" not in view.body


def test_nexus_never_returns_the_secret_key(s3, nexus):
    _, outs = create(s3, nexus, **MINIO)
    assert PLACEHOLDER.encode() in nexus.get_s3_blob_store(None, "docker-hosted").body
    assert b"minio-secret-1" not in nexus.get_s3_blob_store(None, "docker-hosted").body


def test_drift_is_seen_on_everything_nexus_returns(s3, nexus):
    inputs, outs = create(s3, nexus, **MINIO)
    store = nexus.s3_store("docker-hosted")
    store["bucket"]["region"], store["forcePathStyle"] = "eu-central-1", False    # changed in the Nexus UI
    read = s3.read("docker-hosted", outs)
    changed, replaces = diff_inputs(s3.fields, read.inputs, inputs)
    assert sorted(changed) == ["force_path_style", "region"] and replaces == []
    s3.update("docker-hosted", read.outs, inputs)
    assert nexus.s3_store("docker-hosted")["bucket"]["region"] == "us-east-1"


def test_a_secret_changed_only_in_nexus_is_not_seen_a_new_one_in_the_program_is_sent(s3, nexus):
    inputs, outs = create(s3, nexus, **MINIO)
    nexus.s3_store("docker-hosted")["security"]["secretAccessKey"] = "rotated-by-hand"
    read = s3.read("docker-hosted", outs)
    assert diff_inputs(s3.fields, inputs, read.inputs) == ([], [])       # invisible: Nexus returns a placeholder
    nexus.s3_keys["nexus"] = "minio-secret-2"
    news = checked(s3, nexus, **{**MINIO, "secret_access_key": "minio-secret-2"})
    assert diff_inputs(s3.fields, read.inputs, news)[0] == ["secret_access_key"]
    s3.update("docker-hosted", read.outs, news)
    assert nexus.s3_store("docker-hosted")["security"]["secretAccessKey"] == "minio-secret-2"


def test_a_new_access_key_id_in_nexus_drops_the_carried_secret(s3, nexus):
    inputs, outs = create(s3, nexus, **MINIO)
    nexus.s3_store("docker-hosted")["security"]["accessKeyId"] = "someone-else"
    read = s3.read("docker-hosted", outs)
    assert read.outs["secret_access_key"] is None
    assert sorted(diff_inputs(s3.fields, read.inputs, inputs)[0]) == ["access_key_id", "secret_access_key"]


@pytest.mark.parametrize("news, knob, message", [
    ({**MINIO, "secret_access_key": "wrong"}, None, BAD_SIGNATURE),
    ({**MINIO, "access_key_id": "nobody"}, None, "The Access Key ID provided was invalid."),
    (AWS, "no-role", NO_CREDENTIALS),
    (AWS, "foreign", NOT_OWNER),
], ids=["signature", "key-id", "no-iam-role", "not-owner"])
def test_nexus_400_on_create_surfaces_word_for_word(s3, nexus, news, knob, message):
    if knob == "no-role":
        nexus.s3_role = False
    if knob == "foreign":
        nexus.s3_foreign_buckets.add("nexus-blobs")
    with pytest.raises(NexusError) as caught:
        create(s3, nexus, **news)
    assert message in str(caught.value) and "HTTP 400" in str(caught.value)
    assert news["name"].lower() not in nexus.blob_stores


def test_two_stores_on_one_bucket_need_distinct_prefixes(s3, nexus):
    create(s3, nexus, **AWS)
    with pytest.raises(NexusError, match="Blob Store 'docker-proxy' is already using bucket 'nexus-blobs' with "
                                         "prefix 'docker-proxy'"):
        create(s3, nexus, **{**AWS, "name": "docker-group", "prefix": ""})
    create(s3, nexus, **{**AWS, "name": "docker-group", "prefix": "docker-group"})


def test_a_file_store_of_the_same_name_is_never_replaced(s3, nexus):
    create(provider_for(BlobStoreProvider, nexus), nexus, name="docker-proxy")
    writes = nexus.writes()
    with pytest.raises(NexusError, match="already exists in Nexus as a File blob store.*does not move its blobs"):
        create(s3, nexus, **AWS)
    assert nexus.writes() == writes and nexus.blob_stores["docker-proxy"].get("type", "File") == "File"


def test_moving_the_bucket_or_prefix_is_a_replacement(s3, nexus):
    inputs = checked(s3, nexus, **AWS)
    for key, value in (("bucket", "other-bucket"), ("prefix", "elsewhere"), ("endpoint", "https://s3.example")):
        changed, replaces = diff_inputs(s3.fields, inputs, {**inputs, key: value})
        assert replaces == [key]


def test_check_refuses_half_credentials_and_masks_the_secret(s3, nexus):
    result = s3.check({}, {"nexus_url": nexus.url, **AWS, "secret_access_key": "s3cr3t"})
    assert [(f.property, f.reason) for f in result.failures] == [
        ("access_key_id", "access_key_id is required with secret_access_key (both, or neither for the pod's IAM "
                          "role)")]
    result = s3.check({}, {"nexus_url": nexus.url, **AWS, "access_key_id": "k y", "secret_access_key": "s3cr3t"})
    assert "s3cr3t" not in str([f.reason for f in result.failures])


def test_an_unreadable_expiration_is_carried_not_drift():
    body = {"name": "x", "bucketConfiguration": {"bucket": {"region": "r", "name": "b"}}}   # as the 3.94 spec
    outs = sp.carry_unread(sp.s3_blob_store_outs("x", body), {"expiration_days": 7})
    assert outs["expiration_days"] == 7 and outs["prefix"] == ""


def test_an_update_of_a_store_deleted_behind_pulumis_back_says_refresh(s3, nexus):
    inputs, outs = create(s3, nexus, **AWS)
    del nexus.blob_stores["docker-proxy"]
    with pytest.raises(NexusError, match="no longer exists in Nexus.*pulumi refresh"):
        s3.update("docker-proxy", outs, inputs)
    assert s3.read("docker-proxy", outs).id == ""            # a refresh drops it from state


# ---- the double's own answers (the spec validator of the `nexus` fixture checks each) -------------------------

def _call(nexus, method, path, body=None):
    import requests
    return requests.request(method, f"{nexus.url}/service/rest{path}", json=body, auth=("admin", nexus.password),
                            headers={"Accept": "application/json"}, timeout=5)


def test_double_answers_as_nexus_does(s3, nexus):
    create(s3, nexus, **AWS)
    missing = _call(nexus, "GET", "/v1/blobstores/s3/nope")
    assert (missing.status_code, missing.json()) == (404, {"id": "*", "message": "Unable to find S3 'nope' blobstore"})
    assert _call(nexus, "GET", "/v1/blobstores/s3/default").json()["message"] == '"default is not an S3 blob store."'
    assert _call(nexus, "GET", "/v1/blobstores/file/docker-proxy").json()["message"] == \
        '"Unable to read non-file blob store configuration (type was S3)"'
    body = sp.s3_blob_store_request(checked(s3, nexus, **{**AWS, "name": "nope"}))
    assert _call(nexus, "PUT", "/v1/blobstores/s3/nope", body).json() == [
        {"id": "name", "message": "No S3 blob store called 'nope'"}]
    listed = {b["name"]: b["type"] for b in _call(nexus, "GET", "/v1/blobstores").json()}
    assert listed == {"default": "File", "docker-proxy": "S3"}


def test_double_bean_validation_of_a_body_outside_the_spec():
    from tests.support.nexus_double import NexusDouble
    with NexusDouble() as bare:                 # no spec validator: the body is deliberately outside the spec
        no_bucket = _call(bare, "POST", "/v1/blobstores/s3", {"name": "x", "bucketConfiguration": {}})
    assert (no_bucket.status_code, no_bucket.json()) == (400, [{"id": "PARAMETER bucket", "message": "must not be null"}])


def test_the_task_plan_leaves_compact_to_the_bucket():
    from components.nexus_config.housekeeping_payloads import COMPACT, housekeeping_tasks
    with_file = housekeeping_tasks(["a", "b"], "docker-hosted", "docker-proxy", 720)
    on_s3 = housekeeping_tasks(["a", "b"], "docker-hosted", "docker-proxy", 720, compact=False)
    assert [t for t in with_file if t["type"] != COMPACT] == on_s3
    assert [t["properties"]["blobstoreName"] for t in with_file if t["type"] == COMPACT] == ["a", "b"]


def test_the_request_body_is_the_spec_model():
    body = sp.s3_blob_store_request({**MINIO, "expiration_days": 3, "soft_quota": {"type": "spaceUsedQuota",
                                                                                     "limit": 1024}})
    assert body == {"name": "docker-hosted", "softQuota": {"type": "spaceUsedQuota", "limit": 1024},
                    "bucketConfiguration": {
                        "bucket": {"region": "us-east-1", "name": "nexus-blobs", "expiration": 3,
                                   "prefix": "registry/docker-hosted"},
                        "bucketSecurity": {"accessKeyId": "nexus", "secretAccessKey": "minio-secret-1"},
                        "advancedBucketConnection": {"forcePathStyle": True,
                                                     "endpoint": "http://minio.minio.svc:9000"}}}
