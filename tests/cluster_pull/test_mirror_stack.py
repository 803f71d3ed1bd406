"""mirrors + mirrorOnNodes under Pulumi mocks: the gateway's registered nginx.conf routes each mirrored
upstream's ns to its proxy, and the node-trust script (taken from the registered ConfigMap) writes one
hosts.toml per upstream only when mirrorOnNodes is on."""
from __future__ import annotations

import pytest

from components.cluster_pull.node_trust import mirror_hosts_toml
from components.mirrors import mirrors_for
from tests.support.stack import run_program

MIRRORS = ["docker.io", "ghcr.io", "registry.k8s.io"]


@pytest.fixture(scope="module")
def mirror_run():
    return run_program("prod", {"trustOnNodes": True, "mirrorOnNodes": True, "mirrors": MIRRORS})


def _nginx_conf(run) -> str:
    return run.one("kubernetes:core/v1:ConfigMap", "gateway-config").plain["data"]["nginx.conf"]


def _script(run) -> str:
    return run.one("kubernetes:core/v1:ConfigMap", "node-trust-config").plain["data"]["node-trust.sh"]


def test_the_gateway_routes_every_mirrored_upstream_to_its_proxy(mirror_run):
    conf = _nginx_conf(mirror_run)
    for mirror in mirrors_for(MIRRORS, "docker-proxy", "https://registry-1.docker.io")[1:]:
        assert f"mirror_{mirror.host} nexus_web/repository/{mirror.repo}$request_uri;" in conf
    assert "mirror_docker.io" not in conf, "docker.io stays on the group"


def test_the_nodes_get_one_hosts_toml_per_upstream_naming_the_registry(mirror_run):
    script = _script(mirror_run)
    registry = mirror_run.outputs["registry"]
    for upstream in MIRRORS:
        ca = f"/etc/containerd/certs.d/{registry}/ca.crt"
        assert mirror_hosts_toml(upstream, registry, ca) in script


def test_mirrors_alone_leave_the_nodes_as_they_were():
    run = run_program("prod", {"trustOnNodes": True, "mirrors": MIRRORS})
    assert "mirror of" not in _script(run)
    assert "mirror_ghcr.io" in _nginx_conf(run), "the gateway routes ns without mirrorOnNodes too"
    assert "/etc/containerd/certs.d/ghcr.io" not in _script(run)
