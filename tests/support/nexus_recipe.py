"""A Nexus double as the hand-made recipe (../shared/seed/) leaves it, for the adoption tests (issue 16).

The recipe clicks, in the Nexus UI: a blob store for docker-hosted and one for docker-group ("可提前创建blob存储",
create the blob store beforehand), then docker-hosted (HTTP connector 9897), docker-proxy (Docker Hub, index HUB)
and docker-group (hosted + proxy, connector 9896), "其他默认即可" (everything else at its default); its FAQ turns
on the Docker Bearer Token realm, and anonymous access is on (Nexus before 3.87 enabled it on a fresh install).
Its Nexus also keeps the stock maven repositories, which nothing of ours may touch.

What the UI's defaults are (marked [inf]: read from the UI's forms as remembered, not from a source here):
- blob store names: the recipe names none; here the hosted and group repositories got `docker-host-blobs` and
  `docker-group-blobs`, the proxy one named like the stack's (`docker-proxy`), so both adoption paths are taken: a
  repository keeping a store of another name, and an existing store under the stack's own name. Paths as the UI
  fills them in, absolute under /nexus-data/blobs [inf];
- hosted: online, strict content type validation on, deployment policy "Disable redeploy" (ALLOW_ONCE) [inf];
- docker: "Allow anonymous docker pull" unticked, i.e. forceBasicAuth true; v1 off [inf];
- proxy: content and metadata max age 1440, negative cache on with 1440 minutes, not blocked, auto-block on
  (also Nexus' own REST defaults, nexus-api.md).
"""
from __future__ import annotations

import copy

HOSTED, PROXY, GROUP = "docker-hosted", "docker-proxy", "docker-group"
STORES = {HOSTED: "docker-host-blobs", PROXY: "docker-proxy", GROUP: "docker-group-blobs"}
MAVEN = "maven-releases"                                  # the double's stock maven repository
DOCKER_TOKEN = "DockerToken"


def _docker(port: int | None) -> dict:
    return {"v1Enabled": False, "forceBasicAuth": True, **({"httpPort": port} if port else {})}


def _storage(store: str) -> dict:
    return {"blobStoreName": store, "strictContentTypeValidation": True}


def recipe_repositories() -> dict[str, dict]:
    """The three repositories as the double stores them (lower-cased name -> record)."""
    return {
        HOSTED: {"name": HOSTED, "format": "docker", "type": "hosted", "online": True,
                 "storage": {**_storage(STORES[HOSTED]), "writePolicy": "ALLOW_ONCE"}, "docker": _docker(9897)},
        PROXY: {"name": PROXY, "format": "docker", "type": "proxy", "online": True, "storage": _storage(STORES[PROXY]),
                "docker": _docker(None),
                "proxy": {"remoteUrl": "https://registry-1.docker.io", "contentMaxAge": 1440, "metadataMaxAge": 1440},
                "negativeCache": {"enabled": True, "timeToLive": 1440},
                "httpClient": {"blocked": False, "autoBlock": True},
                "dockerProxy": {"indexType": "HUB"}},
        GROUP: {"name": GROUP, "format": "docker", "type": "group", "online": True, "storage": _storage(STORES[GROUP]),
                "docker": _docker(9896), "group": {"memberNames": [HOSTED, PROXY]}},
    }


def populate_as_recipe(nexus) -> dict:
    """Make the double hold what the recipe left; return a deep copy of its repositories and blob stores then."""
    with nexus.lock:
        for store in STORES.values():
            nexus.blob_stores[store.lower()] = {"name": store, "path": f"/nexus-data/blobs/{store}"}
        nexus.repositories.update(copy.deepcopy(recipe_repositories()))
        nexus.active_realms = ["NexusAuthenticatingRealm", DOCKER_TOKEN]
        nexus.anonymous["enabled"] = True
        return copy.deepcopy({"blob_stores": nexus.blob_stores, "repositories": nexus.repositories})
