"""DockerRepoSet: everything the original how-to clicked in the Nexus UI, as resources that talk to the
Nexus REST API (dynamic providers in repositories.py, server_settings.py and housekeeping.py): the Community Edition
EULA (accepted only when the stack says so), blob stores (with an optional soft quota), docker-hosted (push),
docker-proxy (Docker Hub, optionally logged in, with a short negative cache), docker-group (hosted then proxy,
pull), the cleanup policies attached to hosted and proxy, the Docker Bearer Token realm and anonymous access; and a
proxy per mirrored upstream other than Docker Hub, readable without a login (mirror_set.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi

from components.config import Repo
from components.config_mirrors import mirror_proxies
from components.mirrors import Mirror
from components.nexus_config.housekeeping import CleanupPolicy
from components.nexus_config.repositories import (
    BlobStore,
    DockerGroupRepository,
    DockerHostedRepository,
    DockerProxyRepository,
)
from components.nexus_config.mirror_set import anonymous_mirror_read, mirror_proxy_repositories
from components.nexus_config.server_settings import ActiveRealms, AnonymousAccess, CommunityEula

DOCKER_TOKEN_REALM = "DockerToken"   # "Docker Bearer Token Realm": `docker login` fails without it
SHARED_BLOB_STORE = "docker"


@dataclass(frozen=True)
class DockerRepoSetArgs:
    nexus_url: pulumi.Input[str]
    hosted: Repo
    group: Repo
    proxy: Repo
    search_target: str = "hosted"    # the repository the gateway sends `docker search` to
    shared_blob_store: bool = False
    anonymous_pull: bool = False
    accept_eula: bool = False
    docker_hub_username: Optional[str] = None           # proxy login to Docker Hub ...
    docker_hub_token: Optional[pulumi.Input[str]] = None  # ... with this token: pass a Pulumi secret
    negative_cache_minutes: int = 5                     # how long the proxy remembers a "not found" (0 = off)
    proxy_cleanup_days: int = 0                         # cleanup policy days on the proxy (0 = none)
    hosted_cleanup_days: int = 0                        # cleanup policy days on hosted (0 = none)
    soft_quota: Optional[dict] = None                   # {type, limit in bytes} on every blob store
    mirrors: Sequence[Mirror] = ()                      # stack key `mirrors`; docker.io is `proxy` itself
    # host -> (username, password as a Pulumi secret) for a mirror's upstream (stack key `mirrorCredentials`)
    mirror_logins: Mapping[str, tuple[str, pulumi.Input[str]]] = field(default_factory=dict)
    # What must be up before Nexus is called: its Service (awaits a ready pod) and the gateway in front.
    depends_on: Sequence[pulumi.Resource] = ()


def blob_store_names(args: DockerRepoSetArgs) -> dict[str, str]:
    """Repository role → blob store name: one per repository (as the how-to did) or one shared. A mirror's proxy
    (its role is its repository name) follows the Docker Hub proxy's rule."""
    roles = {"hosted": args.hosted.name, "proxy": args.proxy.name, "group": args.group.name,
             **{m.repo: m.repo for m in mirror_proxies(args.mirrors)}}
    if args.shared_blob_store:
        return dict.fromkeys(roles, SHARED_BLOB_STORE)
    return roles


class DockerRepoSet(pulumi.ComponentResource):
    repositories: pulumi.Output[dict]
    blob_stores: pulumi.Output[dict]

    def __init__(self, name: str, args: DockerRepoSetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:DockerRepoSet", name, None, opts)
        url = args.nexus_url
        # Nexus CE 3.77+ serves no repository before its EULA is accepted: settle that first, so an
        # unaccepted EULA stops here with a message naming `acceptEula` instead of failing later.
        eula = CommunityEula(f"{name}-eula", nexus_url=url, accepted=args.accept_eula,
                             opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)))
        child = pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, eula])
        store_names = blob_store_names(args)
        stores = {store: BlobStore(f"{name}-blobs-{store}", nexus_url=url, name=store, soft_quota=args.soft_quota,
                                   opts=child)
                  for store in dict.fromkeys(store_names.values())}
        store_of = {role: stores[store].name for role, store in store_names.items()}
        policies = cleanup_policies(name, args, child)

        # Group and hosted share one auth setup (Bearer token, no forced Basic): the gateway answers the
        # /v2/ challenge from the group and sends pushes to hosted, so clients must see the same scheme.
        # The V1 API ("Allow clients to use the V1 API") is on where the gateway sends `docker search`
        # (/v1/_ping, /v1/search), and only there.
        hosted = DockerHostedRepository(f"{name}-hosted", nexus_url=url, name=args.hosted.name,
                                        blob_store=store_of["hosted"], http_port=args.hosted.port,
                                        force_basic_auth=False, write_policy="allow",
                                        cleanup_policies=_names_of(policies.get("hosted")),
                                        v1_enabled=args.search_target == "hosted", opts=child)
        proxy = DockerProxyRepository(f"{name}-proxy", nexus_url=url, name=args.proxy.name,
                                      blob_store=store_of["proxy"], remote_url=args.proxy.remote_url,
                                      docker_index="HUB", force_basic_auth=False,
                                      negative_cache_minutes=args.negative_cache_minutes,
                                      cleanup_policies=_names_of(policies.get("proxy")),
                                      remote_username=args.docker_hub_username,
                                      remote_password=args.docker_hub_token, opts=child)
        group = DockerGroupRepository(f"{name}-group", nexus_url=url, name=args.group.name,
                                      blob_store=store_of["group"], members=[hosted.name, proxy.name],
                                      http_port=args.group.port, force_basic_auth=False,
                                      v1_enabled=args.search_target == "group", opts=child)
        mirrors = mirror_proxies(args.mirrors)
        mirror_repos = mirror_proxy_repositories(
            name, nexus_url=url, mirrors=mirrors, store_of=store_of,
            negative_cache_minutes=args.negative_cache_minutes, cleanup_policies=_names_of(policies.get("proxy")),
            logins=args.mirror_logins, opts=child)
        realms = ActiveRealms(f"{name}-realms", nexus_url=url, realms=[DOCKER_TOKEN_REALM], opts=child)
        mirror_read = anonymous_mirror_read(name, nexus_url=url, mirrors=mirrors, proxies=list(mirror_repos.values()),
                                            anonymous_pull=args.anonymous_pull, opts=child)
        # On for anonymousPull, and for the mirrors: only once the anonymous user holds just what it may read.
        anonymous = AnonymousAccess(f"{name}-anonymous", nexus_url=url, enabled=args.anonymous_pull or bool(mirrors),
                                    opts=pulumi.ResourceOptions.merge(
                                        child, pulumi.ResourceOptions(depends_on=mirror_read)))

        self.resources: Sequence[pulumi.Resource] = [eula, *stores.values(), *policies.values(), hosted, proxy,
                                                     group, *mirror_repos.values(), realms, *mirror_read, anonymous]
        self.blob_store_names = pulumi.Output.all(*[s.name for s in stores.values()])
        self.hosted_name, self.proxy_name = hosted.name, proxy.name
        self.mirror_proxy_names = pulumi.Output.all(*[r.name for r in mirror_repos.values()])
        self.repositories = pulumi.Output.all(hosted.name, group.name, proxy.name).apply(lambda n: {
            "hosted": {"name": n[0], "port": args.hosted.port},
            "group": {"name": n[1], "port": args.group.port},
            "proxy": {"name": n[2], "remote_url": args.proxy.remote_url},
            # Every mirrored upstream and the proxy that caches it (docker.io: the one above).
            "mirrors": {m.host: {"name": m.repo, "remote_url": m.remote_url, "index_type": m.index_type}
                        for m in args.mirrors},
        })
        # Soft quota and Nexus' verdict on it, as of this run (a refresh updates the verdict).
        self.blob_stores = pulumi.Output.all(*[pulumi.Output.all(s.name, s.soft_quota, s.quota_status)
                                               for s in stores.values()]).apply(
            lambda rows: {n: {"soft_quota": q, "quota_status": st} for n, q, st in rows})
        self.register_outputs({"repositories": self.repositories, "blob_stores": self.blob_stores})


def cleanup_policies(name: str, args: DockerRepoSetArgs, opts: pulumi.ResourceOptions) -> dict[str, CleanupPolicy]:
    """Repository role -> its cleanup policy, for the roles whose days are set. Proxy: cached images not downloaded
    for N days. Hosted: images neither pushed nor downloaded for N days (Nexus ANDs the criteria)."""
    url, policies = args.nexus_url, {}
    if args.proxy_cleanup_days:
        days = args.proxy_cleanup_days
        policies["proxy"] = CleanupPolicy(
            f"{name}-cleanup-proxy", nexus_url=url, name=f"{args.proxy.name}-cleanup", last_downloaded_days=days,
            notes=f"nexus-registry: cached images not downloaded for {days} days (stack key proxyCleanupDays)",
            config_key="proxyCleanupDays", opts=opts)
    if args.hosted_cleanup_days:
        days = args.hosted_cleanup_days
        policies["hosted"] = CleanupPolicy(
            f"{name}-cleanup-hosted", nexus_url=url, name=f"{args.hosted.name}-cleanup", last_downloaded_days=days,
            last_blob_updated_days=days,
            notes=f"nexus-registry: images neither pushed nor pulled for {days} days (stack key hostedCleanupDays)",
            config_key="hostedCleanupDays", opts=opts)
    return policies


def _names_of(policy: Optional[CleanupPolicy]) -> Optional[list]:
    return [policy.name] if policy is not None else None
