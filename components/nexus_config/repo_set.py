"""DockerRepoSet: everything the original how-to clicked in the Nexus UI, as resources that talk to the
Nexus REST API (dynamic providers in repositories.py and server_settings.py): the Community Edition
EULA (accepted only when the stack says so), blob stores, docker-hosted (push), docker-proxy (Docker Hub), docker-group
(hosted then proxy, pull), the Docker Bearer Token realm and anonymous access."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi

from components.config import Repo
from components.nexus_config.repositories import (
    BlobStore,
    DockerGroupRepository,
    DockerHostedRepository,
    DockerProxyRepository,
)
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
    # What must be up before Nexus is called: its Service (awaits a ready pod) and the gateway in front.
    depends_on: Sequence[pulumi.Resource] = ()


def blob_store_names(args: DockerRepoSetArgs) -> dict[str, str]:
    """Repository role → blob store name: one per repository (as the how-to did) or one shared."""
    if args.shared_blob_store:
        return {role: SHARED_BLOB_STORE for role in ("hosted", "proxy", "group")}
    return {"hosted": args.hosted.name, "proxy": args.proxy.name, "group": args.group.name}


class DockerRepoSet(pulumi.ComponentResource):
    repositories: pulumi.Output[dict]

    def __init__(self, name: str, args: DockerRepoSetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:DockerRepoSet", name, None, opts)
        url = args.nexus_url
        # Nexus CE 3.77+ serves no repository before its EULA is accepted: settle that first, so an
        # unaccepted EULA stops here with a message naming `acceptEula` instead of failing later.
        eula = CommunityEula(f"{name}-eula", nexus_url=url, accepted=args.accept_eula,
                             opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)))
        child = pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, eula])
        store_names = blob_store_names(args)
        stores = {store: BlobStore(f"{name}-blobs-{store}", nexus_url=url, name=store, opts=child)
                  for store in dict.fromkeys(store_names.values())}
        store_of = {role: stores[store].name for role, store in store_names.items()}

        # Group and hosted share one auth setup (Bearer token, no forced Basic): the gateway answers the
        # /v2/ challenge from the group and sends pushes to hosted, so clients must see the same scheme.
        # The V1 API ("Allow clients to use the V1 API") is on where the gateway sends `docker search`
        # (/v1/_ping, /v1/search), and only there.
        hosted = DockerHostedRepository(f"{name}-hosted", nexus_url=url, name=args.hosted.name,
                                        blob_store=store_of["hosted"], http_port=args.hosted.port,
                                        force_basic_auth=False, write_policy="allow",
                                        v1_enabled=args.search_target == "hosted", opts=child)
        proxy = DockerProxyRepository(f"{name}-proxy", nexus_url=url, name=args.proxy.name,
                                      blob_store=store_of["proxy"], remote_url=args.proxy.remote_url,
                                      docker_index="HUB", force_basic_auth=False, opts=child)
        group = DockerGroupRepository(f"{name}-group", nexus_url=url, name=args.group.name,
                                      blob_store=store_of["group"], members=[hosted.name, proxy.name],
                                      http_port=args.group.port, force_basic_auth=False,
                                      v1_enabled=args.search_target == "group", opts=child)
        realms = ActiveRealms(f"{name}-realms", nexus_url=url, realms=[DOCKER_TOKEN_REALM], opts=child)
        anonymous = AnonymousAccess(f"{name}-anonymous", nexus_url=url, enabled=args.anonymous_pull,
                                    opts=child)

        self.resources: Sequence[pulumi.Resource] = [eula, *stores.values(), hosted, proxy, group, realms,
                                                     anonymous]
        self.repositories = pulumi.Output.all(hosted.name, group.name, proxy.name).apply(lambda n: {
            "hosted": {"name": n[0], "port": args.hosted.port},
            "group": {"name": n[1], "port": args.group.port},
            "proxy": {"name": n[2], "remote_url": args.proxy.remote_url},
        })
        self.register_outputs({"repositories": self.repositories})
