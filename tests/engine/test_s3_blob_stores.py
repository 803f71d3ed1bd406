"""S3 blob stores (issue 18) through the engine's side replayed against the SDK's dynamic-provider server: with
`blobStoreType: s3`, keys for a MinIO bucket and the secret `s3SecretAccessKey`, `up` gives Nexus three S3 blob
stores (one key prefix each) holding the key; the secret comes back in nothing the engine keeps or shows in
plaintext; Nexus never returns it, so an unchanged up, and a refresh then an up, write nothing; a new secret is an
update that sends it; destroy removes the stores."""
from __future__ import annotations

import pytest

from tests.engine.conftest import target
from tests.support.engine import Deployment, ops
from tests.support.engine_wire import Secret

SECRET, NEW_SECRET = "minio-engine-replay-0001", "minio-engine-replay-0002"
STORE = "docker-repos-blobs-docker-hosted"
SECRET_OUTPUT = "secret_access_key"
S3 = {"blobStoreType": "s3", "s3Bucket": "nexus-blobs", "s3Region": "us-east-1", "s3Prefix": "registry",
      "s3Endpoint": "http://minio.minio.svc:9000", "s3ForcePathStyle": True, "s3AccessKeyId": "nexus"}


@pytest.fixture(scope="module")
def dev(nexus_port):
    overrides = {"nexusUrl": f"http://127.0.0.1:{nexus_port}", "acceptEula": True, **S3}
    with target("dev", overrides, secrets={"s3SecretAccessKey": SECRET}) as t:
        yield t


@pytest.fixture
def minio(nexus):
    nexus.s3_keys["nexus"] = SECRET
    return nexus


def test_up_makes_s3_stores_and_the_secret_comes_back_nowhere(dev, minio):
    server, deployment = dev.server, Deployment(dev.server)
    mark = len(server.calls)
    assert set(ops(deployment.up(dev.goals)).values()) == {"create"}
    stores = {n: s for n, s in minio.blob_stores.items() if s.get("type") == "S3"}
    assert {n: s["bucket"]["prefix"] for n, s in stores.items()} == {
        "docker-hosted": "registry/docker-hosted", "docker-group": "registry/docker-group",
        "docker-proxy": "registry/docker-proxy"}
    assert {s["security"]["secretAccessKey"] for s in stores.values()} == {SECRET}
    assert deployment.resources[dev.goal(STORE).urn].outputs[SECRET_OUTPUT] == Secret(SECRET)
    state = deployment.plaintext_state()
    writes = minio.writes()
    assert {s.op for s in deployment.up(dev.goals)} == {"same"}
    deployment.refresh()
    assert {s.op for s in deployment.up(dev.goals)} == {"same"} and minio.writes() == writes
    minio.s3_keys["nexus"] = NEW_SECRET
    steps = ops(deployment.up(dev.program(secrets={"s3SecretAccessKey": NEW_SECRET})))
    assert {n for n, op in steps.items() if op == "update"} == {
        "docker-repos-blobs-docker-hosted", "docker-repos-blobs-docker-group", "docker-repos-blobs-docker-proxy"}
    assert minio.blob_stores["docker-hosted"]["security"]["secretAccessKey"] == NEW_SECRET
    deployment.refresh()
    state += deployment.plaintext_state()
    deployment.destroy()
    assert [n for n, s in minio.blob_stores.items() if s.get("type") == "S3"] == []
    assert {c.method for c in server.calls[mark:]} >= {"Check", "Diff", "Create", "Update", "Read", "Delete"}
    assert SECRET_OUTPUT in dev.goal(STORE).additional_secret_outputs

    for secret in (SECRET, NEW_SECRET):
        raw = secret.encode()
        assert [a[:80] for a in server.exchanged(engine_secrets=(SECRET_OUTPUT,)) if raw in a] == []
        assert [log.message for log in server.logs if secret in log.message] == []
        assert raw not in server.output()
        assert raw not in state


def test_housekeeping_has_no_compact_task_on_s3(dev, minio):
    deployment = Deployment(dev.server)
    deployment.up(dev.goals)
    assert sorted(t["type"] for t in minio.tasks.values() if t["name"].startswith("nexus-registry: ")) == [
        "repository.docker.gc", "repository.docker.gc", "repository.docker.upload-purge"]
    deployment.destroy()
