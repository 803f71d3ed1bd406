"""The upstream registries the cluster pulls through (stack key `mirrors`): one docker proxy repository each.

Pure data: the gateway routes `?ns=<host>` to `Mirror.repo`, the node DaemonSet writes
`/etc/containerd/certs.d/<host>/hosts.toml`, DockerRepoSet creates the proxy. containerd names the upstream
in `ns` exactly as the image reference names its registry (`docker.io`, `ghcr.io`, `registry:5000`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
# A registry host as an image reference names it: DNS labels (at least one dot, or `localhost`), optional :port.
REGISTRY_HOST_RE = re.compile(
    r"^(?=.{1,253}(:|$))(localhost|([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+)"
    r"(:(?P<port>[0-9]{1,5}))?$")


@dataclass(frozen=True)
class Mirror:
    host: str          # the upstream as containerd names it (`ns`, certs.d/<host>)
    repo: str          # the Nexus docker proxy repository that caches it
    remote_url: str    # what that proxy fetches from
    index_type: str    # Nexus' dockerProxy.indexType: HUB only for Docker Hub, REGISTRY for the others


def mirror_repo_name(host: str, proxy_repo: str) -> str:
    """Docker Hub is the existing proxy (`proxyRepo`); any other host gets `<proxyRepo>-<host, dots and colon
    as dashes>`, e.g. ghcr.io -> docker-proxy-ghcr-io, registry:5000 -> docker-proxy-registry-5000."""
    if host == DOCKER_HUB:
        return proxy_repo
    return f"{proxy_repo}-{re.sub(r'[^a-z0-9]+', '-', host.lower())}"


def check_registry_host(host: str) -> str:
    """The host itself, or ValueError(reason): no scheme, no path, lower case, a port in 1-65535."""
    if "://" in host:
        raise ValueError("must be a registry host without a scheme, e.g. ghcr.io")
    m = REGISTRY_HOST_RE.match(host)
    if not m or (m.group("port") and not 0 < int(m.group("port")) < 65536):
        raise ValueError("must be a registry host name, optionally with :port (e.g. ghcr.io, registry.k8s.io)")
    return host


def mirrors_for(hosts: list[str] | tuple[str, ...], proxy_repo: str, proxy_remote_url: str) -> tuple[Mirror, ...]:
    """The mirrors in the order given; docker.io keeps `proxyRemoteUrl` and the HUB index."""
    return tuple(
        Mirror(h, proxy_repo, proxy_remote_url, "HUB") if h == DOCKER_HUB
        else Mirror(h, mirror_repo_name(h, proxy_repo), f"https://{h}", "REGISTRY")
        for h in hosts)
