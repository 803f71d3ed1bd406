"""The mirror path on 127.0.0.1: the real gateway (rendered with `mirrors`) in front of the group stand-in of
gateway_env (docker.io) and a stand-in for Nexus' web port that serves each mirror proxy under
`/repository/<repo>/`, as Nexus does (docs/mirrors.md).

The web stand-in is a second real nginx and nothing more: `/repository/<repo>/…` loses its prefix and goes to
one docker-registry per upstream, which stands for that repository's proxy (it holds what the proxy would have
fetched); `/repository/<repo>/v2/token` (a proxy's Bearer realm) and everything else go to an echo stub, so a
test can see what arrived at "Nexus" and how.

    with mirror_env(workdir, ["docker.io", "ghcr.io", "registry.k8s.io"]) as env:
        env.gateway.address                  # what the nodes' hosts.toml names
        env.proxies["ghcr.io"].address       # the docker-registry behind /repository/docker-proxy-ghcr-io/
        env.backends.hub.address             # docker.io's stand-in behind the group (gateway_env)
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from components.mirrors import DOCKER_HUB, Mirror, mirrors_for
from tests.support.gateway_env import (Backends, Gateway, Nginx, StubUpstream, run_backends, run_gateway, run_nginx,
                                       streaming_proxy_conf, stub_upstream)
from tests.support.procs import free_port
from tests.support.registry import Registry, run_registry
from tests.support.tlsgen import make_chain
from tests.support.token_auth import TokenIssuer, run_token_issuer

PROXY_REPO = "docker-proxy"
HUB_REMOTE = "https://registry-1.docker.io"


def nexus_web_standin_conf(*, port: int, proxies: dict[str, str], rest: str,
                           issuers: dict[str, str] | None = None) -> str:
    """nginx on `port`: /repository/<repo>/X -> proxies[repo]/X (the prefix stripped, the query kept);
    /repository/<repo>/v2/token -> issuers[repo] (HTTPS, unchanged) for a repository that has one, else
    `rest`, like any other path."""
    upstreams = {f"proxy_{i}": address for i, address in enumerate(proxies.values())}
    locations = "".join(
        f"        location /repository/{repo}/ {{ proxy_pass http://proxy_{i}/; }}\n"
        for i, repo in enumerate(proxies))
    locations += "".join(
        f"        location = /repository/{repo}/v2/token {{ proxy_pass https://{address}; }}\n"
        for repo, address in (issuers or {}).items())
    return streaming_proxy_conf(upstreams={**upstreams, "rest": rest}, servers=f"""    server {{
        listen 127.0.0.1:{port};
{locations}        location ~ ^/repository/[^/]+/v2/token$ {{ proxy_pass http://rest; }}
        location / {{ proxy_pass http://rest; }}
    }}""")


@dataclass(frozen=True)
class MirrorEnv:
    workdir: Path
    mirrors: tuple[Mirror, ...]
    backends: Backends               # hosted, the hub (docker.io's stand-in), its cache, the group
    proxies: dict[str, Registry]     # upstream host -> the registry standing for its Nexus proxy
    web: Nginx                       # the stand-in for Nexus' web port
    web_rest: StubUpstream           # what reaches "Nexus" outside the proxies' API (token realms, UI)
    gateway: Gateway
    issuers: dict[str, TokenIssuer]  # upstream host -> the Bearer issuer of its proxy (token_auth hosts)


@contextlib.contextmanager
def mirror_env(workdir: Path, hosts: Sequence[str], *, token_auth: Sequence[str] = (),
               users: dict[str, str] | None = None, **gateway_options) -> Iterator[MirrorEnv]:
    """Backends, one proxy registry per non-docker.io host, the web stand-in, and the gateway rendered with
    mirrors_for(hosts) (the names the stack gives them).

    `token_auth` hosts: their proxy registry wants a Bearer token whose realm is what Nexus announces for a
    proxy reached by path, https://<gateway>/repository/<repo>/v2/token; the issuer behind it (token_auth.py,
    `users` log in, anonymous gets pull) is reached through the gateway and the web stand-in only."""
    mirrors = mirrors_for(list(hosts), PROXY_REPO, HUB_REMOTE)
    gateway_port = free_port()
    with contextlib.ExitStack() as stack:
        backends = stack.enter_context(run_backends(workdir))
        issuers: dict[str, TokenIssuer] = {}
        registry_auth: dict[str, dict] = {}
        for m in mirrors:
            if m.host in token_auth:
                tls = make_chain(["127.0.0.1"]).write(workdir / f"{m.repo}-issuer-tls")
                issuer = stack.enter_context(run_token_issuer(
                    workdir / f"{m.repo}-issuer", users or {}, tls=(tls["cert"], tls["key"]),
                    service=m.repo, path=f"/repository/{m.repo}/v2/token"))
                issuers[m.host] = issuer
                realm = f"https://127.0.0.1:{gateway_port}/repository/{m.repo}/v2/token"
                registry_auth[m.host] = {"auth": {"token": {**issuer.registry_config()["auth"]["token"],
                                                            "realm": realm}}}
        proxies = {m.host: stack.enter_context(run_registry(workdir, m.repo, extra=registry_auth.get(m.host)))
                   for m in mirrors if m.host != DOCKER_HUB}
        rest = stack.enter_context(stub_upstream("nexus-web"))
        port = free_port()
        web = stack.enter_context(run_nginx(workdir, "nexus-web", nexus_web_standin_conf(
            port=port, proxies={m.repo: proxies[m.host].address for m in mirrors if m.host in proxies},
            rest=rest.address,
            issuers={m.repo: issuers[m.host].realm.split("/")[2] for m in mirrors if m.host in issuers}), [port]))
        gateway = stack.enter_context(run_gateway(
            workdir, hosted=backends.hosted.address, group=backends.group, web=f"127.0.0.1:{port}",
            push_port=False, mirrors=mirrors, registry_port=gateway_port, **gateway_options))
        yield MirrorEnv(workdir=workdir, mirrors=mirrors, backends=backends, proxies=proxies, web=web,
                        web_rest=rest, gateway=gateway, issuers=issuers)
