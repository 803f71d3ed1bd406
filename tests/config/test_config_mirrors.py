"""The stack keys `mirrors` and `mirrorCredentials` (issue 17): what the settings make of them, that a login never
shows in an error or a repr, the Nexus egress ports they open, and the Docker Hub warning."""
from __future__ import annotations

import json

import pytest

from components.config import SettingsError, parse_settings
from components.config_mirrors import docker_hub_pull_warning, parse_mirror_credentials
from components.mirrors import Mirror
from tests.support.stack import TEST_PASSWORD

BASE = {"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]'}
SECRETS = {"adminPassword", "mirrorCredentials"}
GHCR_LOGIN = {"ghcr.io": {"username": "team-bot", "password": "ghp_S3cretToken"}}


def settings(secrets=SECRETS, **raw):
    return parse_settings({**BASE, **{k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}},
                          secrets)


def test_default_is_docker_hub_on_the_existing_proxy_and_nothing_else():
    s = settings()
    assert s.mirrors == (Mirror("docker.io", "docker-proxy", "https://registry-1.docker.io", "HUB"),)
    assert s.mirror_proxies == () and s.mirror_credentials == {}


def test_every_other_host_gets_its_own_proxy_named_after_proxy_repo():
    s = settings(mirrors=["docker.io", "ghcr.io", "registry.k8s.io", "registry.example:5000"], proxyRepo="cache",
                 proxyRemoteUrl="https://hub-mirror.example")
    assert s.mirrors[0] == Mirror("docker.io", "cache", "https://hub-mirror.example", "HUB")
    assert [(m.host, m.repo, m.remote_url, m.index_type) for m in s.mirror_proxies] == [
        ("ghcr.io", "cache-ghcr-io", "https://ghcr.io", "REGISTRY"),
        ("registry.k8s.io", "cache-registry-k8s-io", "https://registry.k8s.io", "REGISTRY"),
        ("registry.example:5000", "cache-registry-example-5000", "https://registry.example:5000", "REGISTRY")]


def test_egress_opens_each_remotes_port_and_443_for_the_cdn_redirects():
    assert settings().proxy_egress_ports == (443,)
    assert settings(mirrors=["ghcr.io", "registry.example:5000"]).proxy_egress_ports == (443, 5000)


def test_credentials_keep_the_password_secret():
    s = settings(mirrors=["docker.io", "ghcr.io"], mirrorCredentials=GHCR_LOGIN)
    login = s.mirror_credentials["ghcr.io"]
    assert login.username == "team-bot" and login.password.reveal() == "ghp_S3cretToken"
    assert "ghp_S3cretToken" not in repr(s)


@pytest.mark.parametrize("credentials", [
    {"ghcr.io": {"username": "team-bot", "password": "ghp_Leak me"}},            # whitespace
    {"ghcr.io": {"username": "team-bot", "password": "ghp_Leak", "extra": 1}},   # unknown field
    {"quay.io": {"username": "team-bot", "password": "ghp_Leak"}},              # not a mirror
])
def test_a_bad_login_names_its_entry_and_never_echoes_the_password(credentials):
    with pytest.raises(SettingsError) as caught:
        settings(mirrors=["ghcr.io"], mirrorCredentials=credentials)
    assert caught.value.keys == ["mirrorCredentials"]
    assert "Leak" not in str(caught.value) and "entry '" in str(caught.value)


def test_plaintext_credentials_are_refused_without_echoing_them():
    with pytest.raises(SettingsError) as caught:
        settings(secrets={"adminPassword"}, mirrors=["ghcr.io"], mirrorCredentials=GHCR_LOGIN)
    assert caught.value.keys == ["mirrorCredentials"] and "ghp_S3cretToken" not in str(caught.value)
    assert "pulumi config set --secret mirrorCredentials" in str(caught.value)


def test_mirror_proxies_need_a_lowercase_proxy_repo_for_the_read_role():
    with pytest.raises(SettingsError) as caught:
        settings(mirrors=["ghcr.io"], proxyRepo="Docker-Proxy")
    assert caught.value.keys == ["proxyRepo"] and "nx-repository-view-docker-" in str(caught.value)
    assert settings(proxyRepo="Docker-Proxy").mirror_proxies == ()      # Docker Hub alone: no role, no rule


def test_parse_credentials_refuses_what_is_not_an_object():
    for text in ("[]", '"ghcr.io"', "{"):
        with pytest.raises(ValueError, match="JSON object"):
            parse_mirror_credentials(text, ["ghcr.io"])
    assert parse_mirror_credentials("{}", ["ghcr.io"]) == {}


def test_docker_hub_warning_only_where_nodes_would_fall_back_to_docker_hub():
    hub = (Mirror("docker.io", "docker-proxy", "https://registry-1.docker.io", "HUB"),)
    ghcr = (Mirror("ghcr.io", "docker-proxy-ghcr-io", "https://ghcr.io", "REGISTRY"),)
    warning = docker_hub_pull_warning(hub + ghcr, False, "docker-group")
    assert "anonymousPull" in warning and "'docker-group'" in warning and "falls back to Docker Hub" in warning
    assert docker_hub_pull_warning(hub, True, "docker-group") is None
    assert docker_hub_pull_warning(ghcr, False, "docker-group") is None
    assert docker_hub_pull_warning(hub, False, "docker-group", on_nodes=False) is None
