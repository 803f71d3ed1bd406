"""DockerRepoSet: everything the original how-to clicked in the Nexus UI, as resources that talk to the
Nexus REST API (dynamic providers in repositories.py, server_settings.py and housekeeping.py): the Community Edition
EULA (accepted only when the stack says so), blob stores (directories, or keys in an S3 bucket; with an optional
soft quota), docker-hosted (push),
docker-proxy (Docker Hub, optionally logged in, with a short negative cache), docker-group (hosted then proxy,
pull), the cleanup policies attached to hosted and proxy, the Docker Bearer Token realm and anonymous access; and a
proxy per mirrored upstream other than Docker Hub, readable without a login (mirror_set.py).

Before any of it, a read-only check (`ExistingObjects`, preflight.py) looks at what Nexus already holds under these
names; with `adopt_existing` (stack key adoptExisting) the objects found are taken over instead of refused, each
keeping what Nexus cannot change in place (adoption.py, docs/adopting.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi

from components.config import Repo
from components.config_mirrors import mirror_proxies
from components.config_scale import S3Storage
from components.mirrors import Mirror
from components.nexus_config import adoption as ad
from components.nexus_config.accounts_payloads import ROLE_IDS
from components.nexus_config.housekeeping import CleanupPolicy
from components.nexus_config.preflight import ExistingObjects
from components.nexus_config.repositories import (
    BlobStore,
    DockerGroupRepository,
    DockerHostedRepository,
    DockerProxyRepository,
)
from components.nexus_config.mirror_set import anonymous_mirror_read, mirror_proxy_repositories
from components.nexus_config.s3_blob_store import S3BlobStore
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
    s3: Optional[S3Storage] = None                      # blob stores in this bucket instead of directories ...
    s3_secret_access_key: Optional[pulumi.Input[str]] = None   # ... signed with this key: pass a Pulumi secret
    adopt_existing: bool = False                        # take over what exists under these names (adoption.py)
    retain_data: bool = True                            # leave adopted objects in Nexus on destroy
    push_users: Sequence[str] = ()                      # checked before any write: existing users are refused
    pull_users: Sequence[str] = ()
    # What must be up before Nexus is called: its Service (awaits a ready pod) and the gateway in front.
    depends_on: Sequence[pulumi.Resource] = ()


ROLE_KEYS = {"hosted": "hostedRepo", "proxy": "proxyRepo", "group": "groupRepo"}


def wanted_objects(args: DockerRepoSetArgs) -> list[dict]:
    """What the stack will create under its names, for the preflight (ExistingObjects): blob stores, repositories,
    cleanup policies, and the accounts' users and roles."""
    stores = blob_store_names(args)
    repos = {"hosted": args.hosted.name, "proxy": args.proxy.name, "group": args.group.name}
    objects = [ad.wanted_object(ad.BLOB_STORE, store, "sharedBlobStore" if args.shared_blob_store
                                else ROLE_KEYS.get(next(r for r, s in stores.items() if s == store), "mirrors"),
                                type_="s3" if args.s3 else "file")
               for store in dict.fromkeys(stores.values())]
    objects += [ad.wanted_object(ad.REPOSITORY, name, ROLE_KEYS[role], fmt="docker", type_=role)
                for role, name in repos.items()]
    objects += [ad.wanted_object(ad.CLEANUP_POLICY, f"{repos[role]}-cleanup", key, fmt="docker")
                for role, key, days in (("proxy", "proxyCleanupDays", args.proxy_cleanup_days),
                                        ("hosted", "hostedCleanupDays", args.hosted_cleanup_days)) if days]
    objects += [ad.wanted_object(ad.USER, user, key) for key, users in (("pushUsers", args.push_users),
                                                                          ("pullUsers", args.pull_users))
                for user in users]
    if args.push_users or args.pull_users:
        objects += [ad.wanted_object(ad.ROLE, role, None) for role in ROLE_IDS.values()]
    return objects


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
        # Before any write: what exists under the stack's names, refused (or, with adoptExisting, taken over)
        # all at once, so a refusal changes nothing in Nexus.
        existing = ExistingObjects(f"{name}-existing", nexus_url=url, objects=wanted_objects(args),
                                   adopt_existing=args.adopt_existing,
                                   opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)))
        # Nexus CE 3.77+ serves no repository before its EULA is accepted: settle that first, so an
        # unaccepted EULA stops here with a message naming `acceptEula` instead of failing later.
        eula = CommunityEula(f"{name}-eula", nexus_url=url, accepted=args.accept_eula,
                             opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, existing]))
        child = pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, existing, eula])
        adopt = {"adopt_existing": args.adopt_existing, "retain_adopted": args.retain_data}
        store_names = blob_store_names(args)
        repo_refs = {"hosted": args.hosted.name, "proxy": args.proxy.name, "group": args.group.name,
                     **{m.repo: m.repo for m in mirror_proxies(args.mirrors)}}
        stores = {store: blob_store(f"{name}-blobs-{store}", args, store, child, adopt,
                                    for_repositories=[{"type": role if role in ROLE_KEYS else "proxy",   # a mirror
                                                       "name": repo_refs[role]}
                                                      for role, s in store_names.items() if s == store])
                  for store in dict.fromkeys(store_names.values())}
        store_of = {role: stores[store].name for role, store in store_names.items()}
        policies = cleanup_policies(name, args, child, adopt)

        # Group and hosted share one auth setup (Bearer token, no forced Basic): the gateway answers the
        # /v2/ challenge from the group and sends pushes to hosted, so clients must see the same scheme.
        # The V1 API ("Allow clients to use the V1 API") is on where the gateway sends `docker search`
        # (/v1/_ping, /v1/search), and only there.
        hosted = DockerHostedRepository(f"{name}-hosted", nexus_url=url, name=args.hosted.name,
                                        blob_store=store_of["hosted"], http_port=args.hosted.port,
                                        force_basic_auth=False, write_policy="allow",
                                        cleanup_policies=_names_of(policies.get("hosted")),
                                        v1_enabled=args.search_target == "hosted", **adopt, opts=child)
        proxy = DockerProxyRepository(f"{name}-proxy", nexus_url=url, name=args.proxy.name,
                                      blob_store=store_of["proxy"], remote_url=args.proxy.remote_url,
                                      docker_index="HUB", force_basic_auth=False,
                                      negative_cache_minutes=args.negative_cache_minutes,
                                      cleanup_policies=_names_of(policies.get("proxy")),
                                      remote_username=args.docker_hub_username,
                                      remote_password=args.docker_hub_token, **adopt, opts=child)
        group = DockerGroupRepository(f"{name}-group", nexus_url=url, name=args.group.name,
                                      blob_store=store_of["group"], members=[hosted.name, proxy.name],
                                      http_port=args.group.port, force_basic_auth=False,
                                      v1_enabled=args.search_target == "group", **adopt, opts=child)
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

        self.resources: Sequence[pulumi.Resource] = [existing, eula, *stores.values(), *policies.values(), hosted,
                                                     proxy, group, *mirror_repos.values(), realms, *mirror_read,
                                                     anonymous]
        repos = {"hosted": hosted, "group": group, "proxy": proxy}
        used = {**repos, **mirror_repos}           # every repository that keeps blobs
        # The blob stores the repositories really use (an adopted repository keeps its own), once each.
        self.blob_store_names = pulumi.Output.all(*[r.blob_store for r in used.values()]).apply(ad.in_use_names)
        self.hosted_name, self.proxy_name = hosted.name, proxy.name
        self.mirror_proxy_names = pulumi.Output.all(*[r.name for r in mirror_repos.values()])
        extra = {"hosted": {"port": args.hosted.port}, "group": {"port": args.group.port},
                 "proxy": {"remote_url": args.proxy.remote_url}}
        self.repositories = pulumi.Output.all(*[pulumi.Output.all(r.name, r.blob_store, r.adopted)
                                                for r in repos.values()]).apply(lambda rows: {
            **{role: {"name": n, **extra[role], "blob_store": store, ad.ADOPTED: bool(adopted),
                      "on_destroy": ad.on_destroy(adopted, args.retain_data)}
               for role, (n, store, adopted) in zip(repos, rows)},
            # Every mirrored upstream and the proxy that caches it (docker.io: the one above).
            "mirrors": {m.host: {"name": m.repo, "remote_url": m.remote_url, "index_type": m.index_type}
                        for m in args.mirrors},
        })
        # Soft quota and Nexus' verdict on it, as of this run (a refresh updates the verdict), for each blob store a
        # repository uses.
        rows = pulumi.Output.all(*[pulumi.Output.all(name=s.name, soft_quota=s.soft_quota,
                                                     quota_status=s.quota_status, adopted=s.adopted, unused=s.unused)
                                   for s in stores.values()])
        self.blob_stores = pulumi.Output.all(rows, *[r.blob_store for r in used.values()]).apply(
            lambda v: ad.blob_stores_in_use(dict(zip(used, v[1:])), v[0]))
        self.register_outputs({"repositories": self.repositories, "blob_stores": self.blob_stores})


def blob_store(resource_name: str, args: DockerRepoSetArgs, store: str, opts: pulumi.ResourceOptions,
               adopt: dict, for_repositories: list[dict]) -> BlobStore | S3BlobStore:
    """A file blob store, or with S3 one under its own key prefix (Nexus refuses overlapping prefixes in a bucket).
    `for_repositories` names who uses it, so that adopting can tell a store no repository will use."""
    common = dict(nexus_url=args.nexus_url, name=store, soft_quota=args.soft_quota, for_repositories=for_repositories,
                  **adopt, opts=opts)
    if args.s3 is None:
        return BlobStore(resource_name, **common)
    s3 = args.s3
    return S3BlobStore(resource_name, bucket=s3.bucket, region=s3.region,
                       prefix=s3.store_prefix(store), endpoint=s3.endpoint or None,
                       force_path_style=s3.force_path_style, access_key_id=s3.access_key_id or None,
                       secret_access_key=args.s3_secret_access_key if s3.access_key_id else None, **common)


def cleanup_policies(name: str, args: DockerRepoSetArgs, opts: pulumi.ResourceOptions,
                     adopt: Optional[dict] = None) -> dict[str, CleanupPolicy]:
    """Repository role -> its cleanup policy, for the roles whose days are set. Proxy: cached images not downloaded
    for N days. Hosted: images neither pushed nor downloaded for N days (Nexus ANDs the criteria)."""
    url, policies = args.nexus_url, {}
    if args.proxy_cleanup_days:
        days = args.proxy_cleanup_days
        policies["proxy"] = CleanupPolicy(
            f"{name}-cleanup-proxy", nexus_url=url, name=f"{args.proxy.name}-cleanup", last_downloaded_days=days,
            notes=f"nexus-registry: cached images not downloaded for {days} days (stack key proxyCleanupDays)",
            config_key="proxyCleanupDays", **(adopt or {}), opts=opts)
    if args.hosted_cleanup_days:
        days = args.hosted_cleanup_days
        policies["hosted"] = CleanupPolicy(
            f"{name}-cleanup-hosted", nexus_url=url, name=f"{args.hosted.name}-cleanup", last_downloaded_days=days,
            last_blob_updated_days=days,
            notes=f"nexus-registry: images neither pushed nor pulled for {days} days (stack key hostedCleanupDays)",
            config_key="hostedCleanupDays", **(adopt or {}), opts=opts)
    return policies


def _names_of(policy: Optional[CleanupPolicy]) -> Optional[list]:
    return [policy.name] if policy is not None else None
