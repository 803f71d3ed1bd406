"""The stack keys of issue 17's Nexus side: `mirrors` (the upstream registries the cluster pulls through, one docker
proxy repository each) and `mirrorCredentials` (a secret JSON map of logins for private upstreams), read through
parse_settings' reader so every problem is reported with the others; and the config-time warning about Docker Hub
pulls from nodes without anonymous read.

Pure like config.py: raw config values in, frozen dataclasses out. `parse_mirror_credentials` raises
ValueError(reason) with reasons that name the entry (its host) but never a username's or password's value.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence

from components.config_housekeeping import check_token
from components.mirrors import DOCKER_HUB, Mirror, check_registry_host, mirrors_for

if TYPE_CHECKING:                                   # config.py imports this module; no cycle at run time
    from components.config_reader import Secret

MIRRORS_KEY, CREDENTIALS_KEY = "mirrors", "mirrorCredentials"
CREDENTIAL_FIELDS = ("username", "password")
CREDENTIALS_FORM = '{"ghcr.io": {"username": "<user>", "password": "<token>"}}'


@dataclass(frozen=True)
class MirrorLogin:
    """What a mirror proxy sends its upstream (a private ghcr.io org, a quay.io robot account)."""
    username: str
    password: "Secret"


def parse_mirror_credentials(text: str, mirrors: Sequence[str]) -> dict[str, tuple[str, str]]:
    """host -> (username, password) from the JSON object `mirrorCredentials`; every host must be a mirror other
    than docker.io (whose login is dockerHubUsername/dockerHubToken)."""
    try:
        value = json.loads(text)
    except ValueError:
        raise ValueError(f"must be a JSON object such as {CREDENTIALS_FORM}") from None
    if not isinstance(value, dict):
        raise ValueError(f"must be a JSON object such as {CREDENTIALS_FORM}")
    logins = {}
    for host, entry in value.items():
        where = f"entry {host!r}"
        if host == DOCKER_HUB:
            raise ValueError(f"{where}: Docker Hub's login is dockerHubUsername and dockerHubToken")
        if host not in mirrors:
            raise ValueError(f"{where}: is not listed in {MIRRORS_KEY} (credentials are only for mirrored upstreams)")
        if not isinstance(entry, dict) or set(entry) != set(CREDENTIAL_FIELDS):
            raise ValueError(f"{where}: must be an object with exactly username and password")
        username, password = entry["username"], entry["password"]
        if not isinstance(username, str) or not username.strip() or username != username.strip():
            raise ValueError(f"{where}: username must be a non-empty string without surrounding spaces")
        if not isinstance(password, str) or not password:
            raise ValueError(f"{where}: password must be a non-empty string")
        try:
            check_token(password)
        except ValueError as exc:
            raise ValueError(f"{where}: password {exc}") from None
        logins[host] = (username, password)
    return logins


def read_mirrors(r: Any, proxy_repo: Optional[str], proxy_remote_url: Optional[str],
                 other_repos: Mapping[str, Optional[str]]) -> dict:
    """The issue-17 part of Settings, as keyword arguments; problems go to the reader `r` (config_reader.ConfigReader).

    `other_repos`: stack key -> repository name, which no mirror proxy's name may take (Nexus names ignore case).
    """
    from components.config_reader import Secret           # config_reader imports nothing of ours; no cycle

    hosts = r.each(MIRRORS_KEY, r.value(MIRRORS_KEY), check_registry_host)
    seen_hosts: set[str] = set()
    kept: list[str] = []
    for host in hosts:
        if host in seen_hosts:
            r.fail(MIRRORS_KEY, host, "is listed twice; each upstream gets one proxy repository")
        else:
            seen_hosts.add(host)
            kept.append(host)
    mirrors = mirrors_for(kept, proxy_repo, proxy_remote_url or "") if proxy_repo else ()
    if mirror_proxies(mirrors) and proxy_repo != proxy_repo.lower():
        r.fail("proxyRepo", proxy_repo, f"must be lowercase with {MIRRORS_KEY} other than docker.io: the mirror "
                                        f"proxies are named after it, and their anonymous read role names privileges "
                                        f"such as nx-repository-view-docker-{proxy_repo}-<host>-read that must "
                                        f"match the repository name exactly (docker repository names are lowercase)")
    taken = {name.lower(): key for key, name in other_repos.items() if name}
    for mirror in mirrors:
        if mirror.host == DOCKER_HUB:
            continue
        owner = taken.get(mirror.repo.lower())
        if owner is not None:
            r.fail(MIRRORS_KEY, mirror.host, f"its proxy repository would be named {mirror.repo!r}, the name "
                                             f"{owner} already uses (case-insensitive); change {owner} or proxyRepo")
        taken.setdefault(mirror.repo.lower(), f"the proxy of {MIRRORS_KEY} entry {mirror.host!r}")

    raw = r.value(CREDENTIALS_KEY)
    secret = r.secret(CREDENTIALS_KEY, raw)
    logins: dict[str, MirrorLogin] = {}
    if secret is not None:
        parsed = r.checked(CREDENTIALS_KEY, secret.reveal(), lambda text: parse_mirror_credentials(text, kept))
        logins = {host: MirrorLogin(user, Secret(password)) for host, (user, password) in (parsed or {}).items()}
    return dict(mirrors=mirrors, mirror_credentials=logins)


def mirror_proxies(mirrors: Sequence[Mirror]) -> tuple[Mirror, ...]:
    """The mirrors that get a proxy repository of their own: every one but Docker Hub (the existing proxy)."""
    return tuple(m for m in mirrors if m.host != DOCKER_HUB)


def docker_hub_pull_warning(mirrors: Sequence[Mirror], anonymous_pull: bool, group_repo: str,
                            on_nodes: bool = True) -> Optional[str]:
    """The warning for nodes that mirror docker.io while the group needs a login: kubelet sends none to a mirror, so
    Nexus answers 401 and containerd quietly pulls from Docker Hub itself. None when that cannot happen."""
    if not on_nodes or anonymous_pull or DOCKER_HUB not in {m.host for m in mirrors}:
        return None
    return (f"{MIRRORS_KEY} lists docker.io but anonymousPull is false: nodes that use this registry as their "
            f"docker.io mirror send Docker Hub pulls (ns=docker.io) to the group repository {group_repo!r}, which "
            f"needs a login that kubelet never sends to a mirror. Nexus "
            f"answers 401 and containerd falls back to Docker Hub, so those pulls bypass the cache (and count against "
            f"Docker Hub's anonymous rate limit). Set anonymousPull to true if the group (your pushed images "
            f"included) may be read without a login, or remove docker.io from {MIRRORS_KEY}; the other mirrors get "
            f"anonymous read on their own proxies either way (docs/mirrors-upstreams.md)")
