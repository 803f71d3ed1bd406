"""The mirrors' side of DockerRepoSet (stack key `mirrors`, issue 17): one docker proxy repository per upstream other
than Docker Hub, and anonymous read on exactly those proxies.

- Each proxy caches `https://<host>` with Docker index REGISTRY, under the name components/mirrors.py derives; it has
  no connector port (the gateway reaches it under Nexus' `/repository/<name>/`) and is no member of the group (an
  image of one upstream is never served as another's). Blob store, negative cache, cleanup policy and remote login
  follow the Docker Hub proxy's rules; its login comes from `mirrorCredentials`.
- kubelet sends no credentials to a mirror, so the mirrors are readable without a login: a role holding only
  browse/read on the mirror proxies (`nexus-registry-mirror-read`) is given to Nexus' `anonymous` user, and anonymous
  access is turned on. Nexus' built-in `nx-anonymous` role reads EVERY repository, so while `anonymousPull` is false
  the anonymous user is also relieved of it: the group and the hosted repository keep needing a login. Both changes
  are recorded and given back on destroy (user_roles.py); nothing a user made by hand is deleted.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence

import pulumi

from components.mirrors import Mirror
from components.nexus_config import accounts_payloads as ap
from components.nexus_config.accounts import Role
from components.nexus_config.repositories import DockerProxyRepository
from components.nexus_config.server_settings_payloads import ANONYMOUS_USER
from components.nexus_config.user_roles import UserRoles


def mirror_slug(host: str) -> str:
    """A host as a resource-name suffix: ghcr.io -> ghcr-io, registry:5000 -> registry-5000."""
    return re.sub(r"[^a-z0-9]+", "-", host.lower())


def mirror_proxy_repositories(name: str, *, nexus_url: pulumi.Input[str], mirrors: Sequence[Mirror], store_of: Mapping[str, Any],
                   negative_cache_minutes: int, cleanup_policies: Optional[list],
                   logins: Mapping[str, tuple[str, pulumi.Input[str]]],
                   opts: pulumi.ResourceOptions) -> dict[str, DockerProxyRepository]:
    """host -> its proxy repository. `store_of`: repository name -> blob store name; `logins`: host -> (username,
    password as a Pulumi secret)."""
    proxies = {}
    for mirror in mirrors:
        username, password = logins.get(mirror.host, (None, None))
        proxies[mirror.host] = DockerProxyRepository(
            f"{name}-mirror-{mirror_slug(mirror.host)}", nexus_url=nexus_url, name=mirror.repo,
            blob_store=store_of[mirror.repo], remote_url=mirror.remote_url, docker_index=mirror.index_type,
            # "Allow anonymous docker pull": the Bearer challenge, whose anonymous token the mirror-read role serves.
            force_basic_auth=False, negative_cache_minutes=negative_cache_minutes, cleanup_policies=cleanup_policies,
            remote_username=username, remote_password=password, opts=opts)
    return proxies


def anonymous_mirror_read(name: str, *, nexus_url: pulumi.Input[str], mirrors: Sequence[Mirror],
                          proxies: Sequence[DockerProxyRepository], anonymous_pull: bool,
                          opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
    """The mirror-read role and the anonymous user's roles (nothing without mirror proxies). Anonymous access itself
    must be turned on only after these (depend on the returned resources)."""
    if not mirrors:
        return []
    managed_by = f"managed by Pulumi stack {pulumi.get_project()}/{pulumi.get_stack()}"
    repos = [m.repo for m in mirrors]
    role = Role(f"{name}-mirror-read-role", nexus_url=nexus_url, name=ap.MIRROR_READ_ROLE,
                description=f"anonymous docker pull from the mirror proxies {', '.join(repos)} ({managed_by})",
                privileges=ap.mirror_read_privileges(repos),
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(proxies))))
    grant = UserRoles(f"{name}-anonymous-roles", nexus_url=nexus_url, user=ANONYMOUS_USER, grant=[role.name],
                      revoke=[] if anonymous_pull else [ap.ANONYMOUS_ROLE], opts=opts)
    return [role, grant]
