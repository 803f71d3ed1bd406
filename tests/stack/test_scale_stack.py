"""Issue 18 under Pulumi mocks: blob stores on S3 and an external PostgreSQL, as the program registers them.

The database reaches Nexus only through a Kubernetes Secret (secretKeyRef), the S3 secret key only as a secret
input; the housekeeping tasks drop compact on S3; the Nexus NetworkPolicy lets Nexus reach the bucket and the
database. The Kubernetes schemas and checkov judge the same objects (variant dev-s3-postgresql in
tests/support/manifests.py, scanned by test_k8s_schema.py and test_checkov.py)."""
from __future__ import annotations

import pytest

from components.nexus_server.manifests import DATABASE_ENV
from tests.support.manifests import SCALE, SCALE_SECRETS
from tests.support.stack import plain_occurrences, run_program

STORE = "pulumi-python:dynamic/nexus:S3BlobStore"


@pytest.fixture(scope="module")
def scale_run():
    return run_program("dev", SCALE, SCALE_SECRETS)


def _deployment(run, name="nexus"):
    return next(r for r in run.of_type("kubernetes:apps/v1:Deployment") if r.plain["metadata"]["name"] == name)


def test_each_blob_store_gets_its_own_prefix_in_the_bucket(scale_run):
    stores = {r.plain["name"]: r.plain for r in scale_run.of_type(STORE)}
    assert scale_run.of_type("pulumi-python:dynamic/nexus:BlobStore") == []
    assert {n: s["prefix"] for n, s in stores.items()} == {
        "docker-hosted": "registry/docker-hosted", "docker-group": "registry/docker-group",
        "docker-proxy": "registry/docker-proxy"}
    one = stores["docker-hosted"]
    assert (one["bucket"], one["region"], one["endpoint"], one["force_path_style"], one["access_key_id"]) == (
        "nexus-blobs", "us-east-1", "http://minio.minio.svc:9000", True, "nexus")
    assert one["soft_quota"] == {"type": "spaceUsedQuota", "limit": 500 * 2**30}


def test_the_secrets_never_appear_in_plaintext(scale_run):
    for resource in scale_run.resources:
        for secret in SCALE_SECRETS.values():
            assert plain_occurrences(resource.inputs, secret) == [], (resource.typ, resource.name)
    store = scale_run.one(STORE, "docker-repos-blobs-docker-hosted")
    assert store.plain["secret_access_key"] == SCALE_SECRETS["s3SecretAccessKey"]    # there, wrapped as secret
    assert "secret_access_key" in store.options["additional_secret_outputs"]
    assert not any(SCALE_SECRETS["s3SecretAccessKey"].encode() in r.pickled_provider
                   for r in scale_run.resources if "__provider" in r.inputs)


def test_the_pod_iam_role_sends_no_keys():
    run = run_program("dev", {**{k: v for k, v in SCALE.items() if k != "s3AccessKeyId"}, "s3Endpoint": ""},
                      {"databasePassword": "pg-password-1"})
    store = run.one(STORE, "docker-repos-blobs-docker-hosted").plain
    assert (store.get("access_key_id"), store.get("secret_access_key"), store.get("endpoint")) == (None, None, None)
    egress = _nexus_egress_ports(run)
    assert {80, 443} <= egress          # the metadata service / Pod Identity agent, STS and S3


def _nexus_egress_ports(run) -> set[int]:
    policy = next(r.plain for r in run.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                  if r.plain["metadata"]["name"] == "nexus")
    return {p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", []) if p.get("protocol") == "TCP"}


def test_nexus_may_reach_the_bucket_and_the_database(scale_run):
    assert {443, 9000, 5432} <= _nexus_egress_ports(scale_run)


def test_compact_is_left_to_the_bucket_lifecycle(scale_run, dev_run):
    def types(run):
        tasks = run.one("pulumi-python:dynamic/nexus:HousekeepingTasks").plain["tasks"]
        return sorted({t["type"] for t in tasks})
    assert types(scale_run) == ["repository.docker.gc", "repository.docker.upload-purge"]
    assert "blobstore.compact" in types(dev_run)


def test_the_database_reaches_nexus_from_a_secret_only(scale_run):
    container = _deployment(scale_run).plain["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    for name, key in DATABASE_ENV:
        assert env[name] == {"name": name, "valueFrom": {"secretKeyRef": {"name": "nexus-database", "key": key}}}
    assert all("value" not in e or SCALE["databaseUrl"] not in e["value"] for e in container["env"])
    secret = next(r for r in scale_run.of_type("kubernetes:core/v1:Secret")
                  if r.plain["metadata"]["name"] == "nexus-database")
    assert secret.plain["stringData"] == {"jdbc-url": SCALE["databaseUrl"], "username": "nexus",
                                          "password": SCALE_SECRETS["databasePassword"]}
    assert plain_occurrences(secret.inputs, SCALE_SECRETS["databasePassword"]) == []
    # the pod starts only once its Secret exists
    assert secret.options["urn"] in _deployment(scale_run).options["dependencies"]


def test_without_a_database_nothing_changes(dev_run):
    env = [e["name"] for e in _deployment(dev_run).plain["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert not any(n.startswith("NEXUS_DATASTORE") for n in env)
    assert not any(r.plain["metadata"]["name"] == "nexus-database" for r in dev_run.of_type("kubernetes:core/v1:Secret"))


def test_no_config_map_or_output_holds_a_secret(scale_run):
    for name, value in scale_run.outputs.items():
        for secret in SCALE_SECRETS.values():
            assert secret not in str(value) or name in scale_run.secret_outputs, name
