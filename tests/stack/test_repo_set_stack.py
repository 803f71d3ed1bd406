"""DockerRepoSet, Housekeeping and the smoke check under Pulumi mocks: the Nexus resource types with the inputs
the stack config asks for, the credentials kept out of them, and the outputs docker users need."""
from __future__ import annotations

from components.clients.smoke_check import smoke_script
from tests.support.stack import TEST_PASSWORD, plain_occurrences, run_program

DYN = "pulumi-python:dynamic/nexus:"
TYPES = {f"{DYN}{t}" for t in ("BlobStore", "DockerHostedRepository", "DockerProxyRepository",
                               "DockerGroupRepository", "ActiveRealms", "AnonymousAccess", "CommunityEula",
                               "CleanupPolicy", "HousekeepingTasks")}


def test_nexus_resource_types_with_expected_inputs(dev_run):
    assert TYPES <= dev_run.types()
    url = "http://127.0.0.1:30081"
    hosted = dev_run.one(f"{DYN}DockerHostedRepository").plain
    assert (hosted["name"], hosted["http_port"], hosted["blob_store"], hosted["force_basic_auth"]) == \
        ("docker-hosted", 9897, "docker-hosted", False)
    proxy = dev_run.one(f"{DYN}DockerProxyRepository").plain
    assert (proxy["remote_url"], proxy["docker_index"], proxy["blob_store"]) == \
        ("https://registry-1.docker.io", "HUB", "docker-proxy")
    group = dev_run.one(f"{DYN}DockerGroupRepository").plain
    assert group["members"] == ["docker-hosted", "docker-proxy"], "hosted first, then the Docker Hub proxy"
    assert (group["http_port"], group["force_basic_auth"]) == (9896, False)
    assert dev_run.one(f"{DYN}ActiveRealms").plain["realms"] == ["DockerToken"]
    assert dev_run.one(f"{DYN}AnonymousAccess").plain["enabled"] is True      # dev: anonymousPull
    assert dev_run.one(f"{DYN}CommunityEula").plain["accepted"] is False     # never accepted unless asked
    stores = sorted(r.plain["name"] for r in dev_run.of_type(f"{DYN}BlobStore"))
    assert stores == ["docker-group", "docker-hosted", "docker-proxy"]        # one per repository
    for r in dev_run.resources:
        if r.typ.startswith(DYN):
            assert r.plain["nexus_url"] == url


def test_repo_set_waits_for_nexus_and_the_gateway(dev_run):
    nexus_svc = dev_run.one("kubernetes:core/v1:Service", "nexus-service").options["urn"]
    gateway_svc = dev_run.one("kubernetes:core/v1:Service", "gateway-service").options["urn"]
    for r in dev_run.resources:
        if r.typ.startswith(DYN):
            assert {nexus_svc, gateway_svc} <= set(r.options["dependencies"]), r.name


def test_shared_blob_store_and_overrides():
    run = run_program("prod", {"sharedBlobStore": True, "nexusUrl": "http://127.0.0.1:8081",
                               "hostedRepo": "team-push", "hostedPort": 5001})
    assert [r.plain["name"] for r in run.of_type(f"{DYN}BlobStore")] == ["docker"]
    assert {r.plain["blob_store"] for r in run.resources if r.typ.endswith("Repository")} == {"docker"}
    hosted = run.one(f"{DYN}DockerHostedRepository").plain
    assert (hosted["name"], hosted["http_port"], hosted["nexus_url"]) == ("team-push", 5001, "http://127.0.0.1:8081")
    assert run.one(f"{DYN}DockerGroupRepository").plain["members"][0] == "team-push"
    assert run.one(f"{DYN}AnonymousAccess").plain["enabled"] is False     # prod: anonymousPull false


def test_eula_is_settled_before_any_repository():
    run = run_program("dev", {"acceptEula": True})
    eula = run.one(f"{DYN}CommunityEula")
    assert eula.plain["accepted"] is True
    for r in run.resources:
        if r.typ.startswith(DYN) and r is not eula:
            assert eula.options["urn"] in r.options["dependencies"], r.name


def test_credentials_are_not_resource_inputs_nor_in_the_pickled_providers(dev_run):
    for r in dev_run.resources:
        if not r.typ.startswith(DYN):
            continue
        assert not {"password", "admin_password", "username"} & set(r.plain), r.name
        pickled = r.pickled_provider
        assert TEST_PASSWORD.encode() not in pickled
        assert b"components.nexus_config." in pickled, "providers must pickle by reference"


def test_outputs_for_docker_users(dev_run):
    out = dev_run.outputs
    assert out["repositories"] == {"hosted": {"name": "docker-hosted", "port": 9897},
                                   "group": {"name": "docker-group", "port": 9896},
                                   "proxy": {"name": "docker-proxy", "remote_url": "https://registry-1.docker.io"},
                                   "mirrors": {"docker.io": {"name": "docker-proxy", "index_type": "HUB",
                                                             "remote_url": "https://registry-1.docker.io"}}}
    assert out["docker_login"] == "docker login 127.0.0.1:30443 -u admin"
    assert out["docker_pull_example"] == "docker pull 127.0.0.1:30443/library/busybox:latest"
    assert "docker push 127.0.0.1:30443/" in out["docker_push_example"]
    assert out["ca_path"] == "/etc/docker/certs.d/127.0.0.1:30443/ca.crt"
    assert "push_registry" not in out
    assert run_program("dev", {"pushPort": 30444}).outputs["push_registry"] == "127.0.0.1:30444"


def test_smoke_check_runs_after_the_repositories_with_secret_password():
    run = run_program("dev", {"smoke": True})
    cmd = run.one("command:local:Command")
    assert run.by_urn(cmd.options["parent"]).typ == "nexus-registry:index:SmokeCheck"
    plain = cmd.plain
    assert plain["create"] == smoke_script("127.0.0.1:30443")
    assert TEST_PASSWORD not in plain["create"] and plain["environment"]["NEXUS_REGISTRY_PASSWORD"] == TEST_PASSWORD
    assert plain_occurrences(cmd.inputs, TEST_PASSWORD) == []
    repo_urns = {r.options["urn"] for r in run.resources                 # the registry, not its housekeeping
                 if r.typ.startswith(DYN) and r.typ != f"{DYN}HousekeepingTasks"}
    assert repo_urns <= set(cmd.options["dependencies"])
    assert "nexus-registry:index:SmokeCheck" not in run_program("dev").types()


# ---- issue 9: Docker Hub credentials, negative cache, cleanup, tasks, quota -----------------------------------

TOKEN = "dckr_pat_mock-9c1e"


def test_docker_hub_token_travels_only_as_a_secret():
    run = run_program("dev", {"dockerHubUsername": "team-ci"}, {"dockerHubToken": TOKEN})
    proxy = run.one(f"{DYN}DockerProxyRepository")
    assert (proxy.plain["remote_username"], proxy.plain["remote_password"]) == ("team-ci", TOKEN)
    assert "remote_password" in proxy.options["additional_secret_outputs"]
    for r in run.resources:
        assert plain_occurrences(r.inputs, TOKEN) == [], r.name               # wrapped as a secret everywhere
        if "__provider" in r.inputs:
            assert TOKEN.encode() not in r.pickled_provider
    assert TOKEN not in repr(run.outputs)


def test_no_credentials_no_authentication_inputs(dev_run):
    proxy = dev_run.one(f"{DYN}DockerProxyRepository").plain
    assert "remote_username" not in proxy and "remote_password" not in proxy
    assert proxy["negative_cache_minutes"] == 5                               # not Nexus' 1440


def test_cleanup_policy_attachment_follows_the_days():
    dev = run_program("dev")
    policy = dev.one(f"{DYN}CleanupPolicy").plain
    assert (policy["name"], policy["last_downloaded_days"], policy["config_key"]) == \
        ("docker-proxy-cleanup", 30, "proxyCleanupDays")
    assert dev.one(f"{DYN}DockerProxyRepository").plain["cleanup_policies"] == ["docker-proxy-cleanup"]
    assert "cleanup_policies" not in dev.one(f"{DYN}DockerHostedRepository").plain      # hostedCleanupDays 0
    both = run_program("dev", {"hostedCleanupDays": 60, "proxyCleanupDays": 0})
    hosted_policy = both.one(f"{DYN}CleanupPolicy").plain
    assert (hosted_policy["name"], hosted_policy["last_downloaded_days"], hosted_policy["last_blob_updated_days"]) \
        == ("docker-hosted-cleanup", 60, 60)
    assert both.one(f"{DYN}DockerHostedRepository").plain["cleanup_policies"] == ["docker-hosted-cleanup"]
    assert "cleanup_policies" not in both.one(f"{DYN}DockerProxyRepository").plain
    gc = [t for t in both.one(f"{DYN}HousekeepingTasks").plain["tasks"] if t["type"] == "repository.docker.gc"]
    assert [t["properties"]["repositoryName"] for t in gc] == ["docker-hosted"]     # no proxy GC when kept


def test_housekeeping_tasks_run_after_the_repositories_on_the_cron(dev_run):
    tasks = dev_run.one(f"{DYN}HousekeepingTasks")
    assert dev_run.by_urn(tasks.options["parent"]).typ == "nexus-registry:index:Housekeeping"
    assert tasks.plain["cron"] == "0 0 2 ? * SUN"
    assert [t["type"] for t in tasks.plain["tasks"]] == ["blobstore.compact"] * 3 + \
        ["repository.docker.gc"] * 2 + ["repository.docker.upload-purge"]
    proxy_gc = tasks.plain["tasks"][4]["properties"]
    assert proxy_gc == {"repositoryName": "docker-proxy", "deployOffset": str(30 * 24)}
    repo_urns = {r.options["urn"] for r in dev_run.resources
                 if r.typ.startswith(DYN) and r.typ != f"{DYN}HousekeepingTasks"}
    assert repo_urns <= set(tasks.options["dependencies"])
    off = run_program("dev", {"housekeeping": False, "housekeepingCron": "0 0 4 ? * SAT"})
    assert not off.of_type(f"{DYN}HousekeepingTasks") and "nexus-registry:index:Housekeeping" not in off.types()


def test_soft_quota_bytes_and_the_blob_stores_output():
    run = run_program("dev", {"blobStoreSoftQuota": "1Gi"})
    quotas = {r.plain["name"]: r.plain["soft_quota"] for r in run.of_type(f"{DYN}BlobStore")}
    assert set(quotas) == {"docker-hosted", "docker-group", "docker-proxy"}
    assert all(q == {"type": "spaceUsedQuota", "limit": 1073741824} for q in quotas.values())   # 1.0737e9 == int
    assert run.outputs["blob_stores"]["docker-hosted"] == {
        "soft_quota": {"type": "spaceUsedQuota", "limit": 1073741824}, "quota_status": None}   # known after up
