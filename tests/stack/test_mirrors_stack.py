"""The `mirrors` and `mirrorCredentials` keys under Pulumi mocks: one docker proxy repository per upstream other than
Docker Hub (REGISTRY index, no connector port, outside the group, the Docker Hub proxy's blob store, cache and
cleanup rules), their housekeeping, the anonymous read role and the anonymous user's roles, the logins as secrets
only, the Nexus egress ports, the `repositories` output and the Docker Hub warning."""
from __future__ import annotations

import pytest

from tests.support.stack import plain_occurrences, run_program

DYN = "pulumi-python:dynamic/nexus:"
MIRRORS = ["docker.io", "ghcr.io", "registry.k8s.io", "registry.example:5000"]
PROXIES = {"ghcr.io": "docker-proxy-ghcr-io", "registry.k8s.io": "docker-proxy-registry-k8s-io",
           "registry.example:5000": "docker-proxy-registry-example-5000"}
TOKEN = "ghp_mock-mirror-token-17"


@pytest.fixture(scope="module")
def prod():
    return run_program("prod", {"mirrors": MIRRORS},
                       {"mirrorCredentials": f'{{"ghcr.io": {{"username": "team-bot", "password": "{TOKEN}"}}}}'})


def proxies(run) -> dict[str, dict]:
    return {r.plain["name"]: r.plain for r in run.of_type(f"{DYN}DockerProxyRepository")}


def test_each_upstream_but_docker_hub_gets_its_own_proxy(prod):
    repos = proxies(prod)
    assert set(repos) == {"docker-proxy", *PROXIES.values()}
    for host, name in PROXIES.items():
        repo = repos[name]
        assert (repo["remote_url"], repo["docker_index"], repo["force_basic_auth"]) == \
            (f"https://{host}", "REGISTRY", False)
        assert repo.get("http_port") is None, "reached under /repository/<name>/ through Nexus' main port"
        assert repo["blob_store"] == name                                  # one store per repository, as Docker Hub's
        assert repo["negative_cache_minutes"] == 5 and repo["cleanup_policies"] == ["docker-proxy-cleanup"]
    assert repos["docker-proxy"]["docker_index"] == "HUB"
    group = prod.one(f"{DYN}DockerGroupRepository").plain
    assert group["members"] == ["docker-hosted", "docker-proxy"], "a mirror proxy is never served as Docker Hub"
    stores = {r.plain["name"] for r in prod.of_type(f"{DYN}BlobStore")}
    assert stores == {"docker-hosted", "docker-group", "docker-proxy", *PROXIES.values()}
    assert {r.name for r in prod.of_type(f"{DYN}DockerProxyRepository")} == {
        "docker-repos-proxy", "docker-repos-mirror-ghcr-io", "docker-repos-mirror-registry-k8s-io",
        "docker-repos-mirror-registry-example-5000"}


def test_shared_blob_store_takes_the_mirrors_too():
    run = run_program("dev", {"mirrors": ["ghcr.io"], "sharedBlobStore": True})
    assert proxies(run)["docker-proxy-ghcr-io"]["blob_store"] == "docker"
    assert [r.plain["name"] for r in run.of_type(f"{DYN}BlobStore")] == ["docker"]


def test_the_mirror_login_travels_only_as_a_secret(prod):
    ghcr = next(r for r in prod.of_type(f"{DYN}DockerProxyRepository") if r.plain["name"] == PROXIES["ghcr.io"])
    assert (ghcr.plain["remote_username"], ghcr.plain["remote_password"]) == ("team-bot", TOKEN)
    assert "remote_password" in ghcr.options["additional_secret_outputs"]
    assert "remote_username" not in proxies(prod)[PROXIES["registry.k8s.io"]]         # no login: none sent
    for r in prod.resources:
        assert plain_occurrences(r.inputs, TOKEN) == [], r.name
        if "__provider" in r.inputs:
            assert TOKEN.encode() not in r.pickled_provider
    assert TOKEN not in repr(prod.outputs)


def test_housekeeping_compacts_and_collects_the_mirror_proxies(prod):
    tasks = prod.one(f"{DYN}HousekeepingTasks").plain["tasks"]
    compacted = {t["properties"]["blobstoreName"] for t in tasks if t["type"] == "blobstore.compact"}
    collected = [t["properties"] for t in tasks if t["type"] == "repository.docker.gc"]
    assert set(PROXIES.values()) <= compacted
    assert [p["repositoryName"] for p in collected] == ["docker-hosted", "docker-proxy", *PROXIES.values()]
    assert all(p["deployOffset"] == str(30 * 24) for p in collected[1:])
    kept = run_program("prod", {"mirrors": MIRRORS, "proxyCleanupDays": 0})
    assert "cleanup_policies" not in proxies(kept)[PROXIES["ghcr.io"]]
    assert [t["properties"]["repositoryName"] for t in kept.one(f"{DYN}HousekeepingTasks").plain["tasks"]
            if t["type"] == "repository.docker.gc"] == ["docker-hosted"]


def test_anonymous_reads_the_mirrors_only_and_loses_nexus_read_everything_role(prod):
    role = prod.one(f"{DYN}Role").plain
    assert role["name"] == "nexus-registry-mirror-read"
    assert role["privileges"] == sorted(f"nx-repository-view-docker-{repo}-{action}"
                                        for repo in PROXIES.values() for action in ("browse", "read"))
    grant = prod.one(f"{DYN}UserRoles")
    assert (grant.plain["user"], grant.plain["grant"], grant.plain["revoke"]) == \
        ("anonymous", ["nexus-registry-mirror-read"], ["nx-anonymous"])
    anonymous = prod.one(f"{DYN}AnonymousAccess")
    assert anonymous.plain["enabled"] is True                       # anonymousPull is false in prod
    assert grant.options["urn"] in anonymous.options["dependencies"], "turned on only once the roles are set"
    mirror_urns = {r.options["urn"] for r in prod.of_type(f"{DYN}DockerProxyRepository")
                   if r.plain["name"] in PROXIES.values()}
    assert mirror_urns <= set(prod.one(f"{DYN}Role").options["dependencies"])


def test_with_anonymous_pull_the_builtin_role_stays(dev_run):
    run = run_program("dev", {"mirrors": ["docker.io", "ghcr.io"]})
    assert run.one(f"{DYN}UserRoles").plain["revoke"] == []
    assert not dev_run.of_type(f"{DYN}UserRoles") and not dev_run.of_type(f"{DYN}Role")   # Docker Hub alone
    prod_default = run_program("prod")
    assert prod_default.one(f"{DYN}AnonymousAccess").plain["enabled"] is False              # as before issue 17


def test_repositories_output_and_egress_ports(prod):
    mirrors = prod.outputs["repositories"]["mirrors"]
    assert mirrors["docker.io"] == {"name": "docker-proxy", "remote_url": "https://registry-1.docker.io",
                                    "index_type": "HUB"}
    assert mirrors["registry.example:5000"] == {"name": PROXIES["registry.example:5000"], "index_type": "REGISTRY",
                                                "remote_url": "https://registry.example:5000"}
    policy = next(r.plain for r in prod.kubernetes_objects()
                  if r.typ.endswith("NetworkPolicy") and r.plain["metadata"]["name"] == "nexus")
    ports = [p["port"] for rule in policy["spec"]["egress"] if "to" not in rule for p in rule["ports"]
             if p["protocol"] == "TCP" and p["port"] != 53]
    assert ports == [443, 5000]                       # the CDN redirects go to 443 at any address


def test_docker_hub_without_anonymous_read_warns_at_config_time(caplog):
    def warnings() -> list[str]:          # the mock engine logs what pulumi.log.warn sends it
        found = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        caplog.clear()
        return found

    run_program("prod", {"mirrors": ["docker.io", "ghcr.io"]})
    assert [w for w in warnings() if w.startswith("mirrors lists docker.io but anonymousPull is false")]
    run_program("prod", {"mirrors": ["ghcr.io"]})
    run_program("dev", {"mirrors": ["docker.io"]})
    assert not [w for w in warnings() if "anonymousPull is false" in w]
