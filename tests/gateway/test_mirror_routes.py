"""The `ns` rows of the gateway's routing table, evaluated like nginx's map (test_gateway_render.route): pulls
for a mirrored upstream go to its proxy, docker.io and no ns stay where they were, anything else is refused.
The same config runs under real nginx and containerd in tests/cluster_pull/test_mirror_containerd.py."""
from __future__ import annotations

import re

import pytest

from components.gateway.nginx_conf import MIRROR_TOKEN, REFUSED, mirror_route
from components.mirrors import Mirror, mirrors_for
from tests.gateway.test_gateway_render import TABLE, render, route

D = "sha256:" + "ab" * 32
MIRRORS = mirrors_for(["docker.io", "ghcr.io", "registry.k8s.io", "localhost:5000"], "docker-proxy",
                      "https://registry-1.docker.io")
GHCR = "mirror_ghcr.io"


def conf(**options) -> str:
    return render(mirrors=MIRRORS, **options)


PULLS = [("HEAD", "/v2/org/app/manifests/1.0"), ("GET", "/v2/org/app/manifests/1.0"),
         ("GET", f"/v2/org/app/manifests/{D}"), ("HEAD", f"/v2/org/app/manifests/{D}"),
         ("GET", f"/v2/org/app/blobs/{D}"), ("HEAD", f"/v2/org/app/blobs/{D}"),
         ("GET", "/v2/org/app/tags/list"), ("GET", "/v2/")]


@pytest.mark.parametrize("method,uri", PULLS)
def test_pulls_with_a_mirrored_ns_go_to_its_proxy(method, uri):
    assert route(conf(), method, uri, "ghcr.io") == GHCR
    assert route(conf(), method, uri, "registry.k8s.io") == "mirror_registry.k8s.io"


@pytest.mark.parametrize("ns", ["localhost:5000", "localhost%3A5000", "localhost%3a5000"])
def test_a_port_in_ns_matches_raw_and_as_containerd_encodes_it(ns):
    assert route(conf(), "HEAD", "/v2/library/app/manifests/1", ns) == "mirror_localhost:5000"


@pytest.mark.parametrize("method,uri", [
    ("PUT", "/v2/org/app/manifests/1"), ("POST", "/v2/org/app/blobs/uploads/"),
    ("PATCH", "/v2/org/app/blobs/uploads/u"), ("DELETE", f"/v2/org/app/manifests/{D}"),
    ("GET", "/v2/_catalog"), ("GET", "/v2/token"), ("GET", "/v1/search"), ("GET", "/v2/Upper/manifests/1"),
])
def test_a_mirrored_ns_serves_pulls_only_and_never_falls_to_group_or_hosted(method, uri):
    assert route(conf(), method, uri, "ghcr.io") == REFUSED


@pytest.mark.parametrize("ns", ["quay.io", "ghcr.io.evil.example", "evil.ghcr.io", "ghcr.io%20", "localhost:5001",
                                "docker.io.example", "Docker.io"])
@pytest.mark.parametrize("method,uri", PULLS)
def test_an_unconfigured_ns_is_refused(ns, method, uri):
    assert route(conf(), method, uri, ns) == REFUSED


def test_without_mirrors_every_upstream_but_docker_hub_is_refused():
    plain = render()
    assert route(plain, "HEAD", "/v2/library/nginx/manifests/1", "ghcr.io") == REFUSED
    assert route(plain, "HEAD", "/v2/library/nginx/manifests/1", "docker.io") == "group"
    assert render(mirrors=mirrors_for(["docker.io"], "docker-proxy", "https://registry-1.docker.io")) == plain


@pytest.mark.parametrize("method,uri,backend", TABLE)
def test_docker_hub_ns_and_no_ns_route_as_before(method, uri, backend):
    assert route(conf(), method, uri) == backend
    assert route(conf(), method, uri, "docker.io") == backend


def test_search_target_still_moves_v1_only():
    assert route(conf(search_target="group"), "GET", "/v1/search", "docker.io") == "group"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_mirror_proxys_token_realm_reaches_nexus_web(method):
    assert route(conf(), method, "/repository/docker-proxy-ghcr-io/v2/token") == MIRROR_TOKEN
    assert route(conf(), method, "/repository/docker-proxy-localhost-5000/v2/token") == MIRROR_TOKEN


@pytest.mark.parametrize("uri", ["/repository/docker-hosted/v2/token", "/repository/docker-proxy/v2/token",
                                 "/repository/docker-proxy-ghcr-io/v2/org/app/manifests/1",
                                 "/repository/docker-proxy-ghcr-io/", "/repository/x/service/rest/v1/status"])
def test_other_nexus_paths_on_the_registry_port_are_refused(uri):
    assert route(conf(), "GET", uri) == REFUSED
    assert route(conf(), "GET", uri, "ghcr.io") == REFUSED


def _pass_map(text: str) -> dict[str, str]:
    body = re.search(r"map \$registry_upstream \$registry_pass \{\n(.*?)\n    \}", text, re.S).group(1)
    return dict(line.strip().rstrip(";").split(" ", 1) for line in body.splitlines())


def test_each_route_passes_to_its_upstream_with_the_request_uri():
    passes = _pass_map(conf())
    assert passes == {
        "default": "registry_hosted$request_uri",
        "registry_group": "registry_group$request_uri",
        MIRROR_TOKEN: "nexus_web$request_uri",
        "mirror_ghcr.io": "nexus_web/repository/docker-proxy-ghcr-io$request_uri",
        "mirror_registry.k8s.io": "nexus_web/repository/docker-proxy-registry-k8s-io$request_uri",
        "mirror_localhost:5000": "nexus_web/repository/docker-proxy-localhost-5000$request_uri",
    }
    assert mirror_route(MIRRORS[1]) == GHCR


def test_every_route_the_table_names_has_a_pass_or_is_the_refusal():
    text = conf(search_target="group")
    routes = set(re.findall(r'^\s*"~.+" ([\w.:-]+);$', text, re.M))
    assert routes - set(_pass_map(text)) - {"registry_hosted"} == {REFUSED}


@pytest.mark.parametrize("mirrors,word", [
    ([Mirror("ghcr.io", "a", "https://ghcr.io", "REGISTRY"), Mirror("ghcr.io", "b", "https://ghcr.io", "REGISTRY")],
     "each host once"),
    ([Mirror("ghcr.io", "a", "https://ghcr.io", "REGISTRY"), Mirror("quay.io", "a", "https://quay.io", "REGISTRY")],
     "each repo once"),
    ([Mirror("ghcr.io", "bad repo;", "https://ghcr.io", "REGISTRY")], "repository name"),
    ([Mirror("https://ghcr.io", "a", "https://ghcr.io", "REGISTRY")], "host"),
    (["ghcr.io"], "Mirror entries"),
])
def test_bad_mirrors_are_refused_naming_them(mirrors, word):
    with pytest.raises(ValueError, match="mirrors") as err:
        render(mirrors=mirrors)
    assert word in str(err.value)
