"""components/mirrors.py: the names and checks every mirror consumer (repositories, gateway, nodes) shares."""
import pytest

from components.mirrors import Mirror, check_registry_host, mirror_repo_name, mirrors_for


@pytest.mark.parametrize("host,name", [("ghcr.io", "docker-proxy-ghcr-io"),
                                       ("registry.k8s.io", "docker-proxy-registry-k8s-io"),
                                       ("registry:5000", "docker-proxy-registry-5000"),
                                       ("docker.io", "docker-proxy")])
def test_repo_names(host, name):
    assert mirror_repo_name(host, "docker-proxy") == name


@pytest.mark.parametrize("host", ["ghcr.io", "quay.io", "registry.k8s.io", "localhost:5000", "mirror.example.com:443"])
def test_good_hosts(host):
    assert check_registry_host(host) == host


@pytest.mark.parametrize("host,word", [("https://ghcr.io", "scheme"), ("ghcr.io/org", "host name"),
                                       ("GHCR.io", "host name"), ("ghcr", "host name"), ("ghcr.io:0", "host name"),
                                       ("ghcr.io:70000", "host name"), ("", "host name")])
def test_bad_hosts(host, word):
    with pytest.raises(ValueError, match=word):
        check_registry_host(host)


def test_mirrors_keep_docker_hub_on_the_existing_proxy():
    assert mirrors_for(["docker.io", "ghcr.io"], "docker-proxy", "https://registry-1.docker.io") == (
        Mirror("docker.io", "docker-proxy", "https://registry-1.docker.io", "HUB"),
        Mirror("ghcr.io", "docker-proxy-ghcr-io", "https://ghcr.io", "REGISTRY"))
