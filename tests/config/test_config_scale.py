"""Issue 18's settings: what a valid S3 or PostgreSQL configuration parses to, and the refusals that must not echo
a secret (the rules with their bad values are in test_config.py's RULES)."""
from __future__ import annotations

import pytest

from components.config import SettingsError, parse_settings
from components.config_scale import check_database_url, jdbc_hosts
from tests.support.stack import TEST_PASSWORD

BASE = {"adminPassword": TEST_PASSWORD, "publicIps": '["10.0.0.1"]'}


def parse(extra: dict, secrets=()):
    return parse_settings({**BASE, **extra}, {"adminPassword", *secrets})


def test_minio_with_keys():
    s = parse({"blobStoreType": "s3", "s3Bucket": "nexus-blobs", "s3Region": "us-east-1",
               "s3Endpoint": "http://minio.minio.svc:9000/", "s3ForcePathStyle": "true", "s3Prefix": "/team//nexus/",
               "s3AccessKeyId": "nexus", "s3SecretAccessKey": "minio-secret"}, ["s3SecretAccessKey"])
    assert (s.s3.endpoint, s.s3.prefix, s.s3.force_path_style) == ("http://minio.minio.svc:9000", "team/nexus", True)
    assert s.s3.store_prefix("docker-hosted") == "team/nexus/docker-hosted"
    assert s.s3.secret_access_key.reveal() == "minio-secret" and "minio-secret" not in repr(s)
    assert s.nexus_egress_ports == (443, 9000)                   # Docker Hub, MinIO; no IAM role ports


def test_aws_with_the_pod_iam_role():
    s = parse({"blobStoreType": "s3", "s3Bucket": "nexus-blobs", "s3Region": "eu-west-1", "blobStoreSoftQuota": "2Ti"})
    assert s.s3.uses_iam_role and s.s3.store_prefix("docker-proxy") == "docker-proxy"
    assert s.nexus_egress_ports == (80, 443)
    # a size quota is not held to storageSize: the volume holds only the database and logs
    assert s.housekeeping.soft_quota.request() == {"type": "spaceUsedQuota", "limit": 2 * 2**40}


def test_external_postgresql():
    s = parse({"databaseUrl": "jdbc:postgresql://pg-1.db.svc:5433,pg-2.db.svc/nexus?sslmode=verify-full",
               "databaseUser": "nexus", "databasePassword": "pg-secret"}, ["databasePassword"])
    assert s.database.user == "nexus" and s.database.ports == (5432, 5433)
    assert s.nexus_egress_ports == (443, 5432, 5433)
    assert "pg-secret" not in repr(s)


def test_an_image_pinned_by_digest_only_is_not_held_to_a_version():
    s = parse({"nexusImage": "sonatype/nexus3@sha256:" + "5" * 64, "databaseUrl": "jdbc:postgresql://pg/nexus",
               "databaseUser": "nexus", "databasePassword": "x"}, ["databasePassword"])
    assert s.database is not None


def test_a_refused_url_never_echoes_its_password():
    with pytest.raises(SettingsError) as caught:
        parse({"databaseUrl": "jdbc:postgresql://pg/nexus?user=nexus&password=hunter2", "databaseUser": "nexus",
               "databasePassword": "x"}, ["databasePassword"])
    assert "hunter2" not in str(caught.value) and "databaseUser instead" in str(caught.value)


@pytest.mark.parametrize("url, hosts", [
    ("jdbc:postgresql://localhost/nexus", [("localhost", 5432)]),
    ("jdbc:postgresql://10.0.0.5:6432/nexus?sslmode=require&ApplicationName=nexus", [("10.0.0.5", 6432)]),
    ("jdbc:postgresql://[::1]:5433/nexus", [("::1", 5433)]),
    ("jdbc:postgresql://a.db:5432,b.db:5433/nexus?targetServerType=primary", [("a.db", 5432), ("b.db", 5433)]),
])
def test_urls_pgjdbc_takes(url, hosts):
    assert check_database_url(url) == url and jdbc_hosts(url) == hosts


@pytest.mark.parametrize("url", ["jdbc:postgresql:nexus", "jdbc:postgresql:/", "jdbc:postgresql://pg",
                                 "jdbc:postgresql://pg/", "jdbc:postgresql://[zz::1]/nexus", "jdbc:mysql://pg/nexus",
                                 "jdbc:postgresql://pg/nexus?=x"])
def test_urls_refused(url):
    with pytest.raises(ValueError):
        check_database_url(url)
