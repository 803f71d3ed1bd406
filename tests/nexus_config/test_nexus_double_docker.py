"""The Nexus double's docker read side (tests/support/nexus_double_docker.py) answers as its module docstring says:
the challenge follows realm and forceBasicAuth, tokens follow logins and anonymous access, reads follow privileges."""
from __future__ import annotations

import requests

from tests.support.nexus_double import NexusDouble


def add_repository(nexus: NexusDouble, name: str, force_basic_auth: bool = False) -> None:
    nexus.repositories[name] = {"name": name, "format": "docker", "type": "proxy", "online": True,
                                "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
                                "docker": {"v1Enabled": False, "forceBasicAuth": force_basic_auth}}


def test_the_challenge_is_bearer_only_with_the_realm_and_without_forced_basic(nexus):
    add_repository(nexus, "open")
    add_repository(nexus, "basic", force_basic_auth=True)
    ping = requests.get(f"{nexus.url}/repository/open/v2/", timeout=5)
    assert ping.status_code == 401 and ping.headers["WWW-Authenticate"].startswith("BASIC realm=")
    nexus.active_realms.append("DockerToken")
    ping = requests.get(f"{nexus.url}/repository/open/v2/", timeout=5)
    realm = f"http://127.0.0.1:{nexus.port}/v2/token"
    assert ping.headers["WWW-Authenticate"] == f'Bearer realm="{realm}",service="{realm}"'
    assert ping.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert ping.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    assert requests.get(f"{nexus.url}/repository/basic/v2/", timeout=5).headers["WWW-Authenticate"].startswith(
        "BASIC")
    assert requests.get(f"{nexus.url}/repository/missing/v2/", timeout=5).status_code == 404


def test_tokens_follow_logins_and_reads_follow_privileges(nexus):
    add_repository(nexus, "repo")
    nexus.active_realms.append("DockerToken")
    nexus.roles["reader"] = {"id": "reader", "name": "reader", "description": "", "roles": [],
                             "privileges": ["nx-repository-view-docker-other-read"]}
    nexus.users["someone"] = {"userId": "someone", "firstName": "S", "lastName": "O", "emailAddress": "s@o.org",
                              "status": "active", "roles": ["reader"], "password": "pw"}
    base = f"{nexus.url}/repository/repo/v2"
    assert requests.get(f"{base}/token", auth=("someone", "wrong"), timeout=5).status_code == 401
    first = requests.get(f"{base}/token", auth=("someone", "pw"), timeout=5).json()["token"]
    assert first.startswith("DockerToken.")
    assert requests.get(f"{base}/token", auth=("someone", "pw"), timeout=5).json()["token"] == first  # one per user
    read = requests.get(f"{base}/x/tags/list", headers={"Authorization": f"Bearer {first}"}, timeout=5)
    assert read.status_code == 403 and read.json()["errors"][0]["code"] == "DENIED"   # logged in, no privilege
    nexus.roles["reader"]["privileges"].append("nx-repository-view-docker-repo-read")
    read = requests.get(f"{base}/x/tags/list", headers={"Authorization": f"Bearer {first}"}, timeout=5)
    assert read.status_code == 200 and read.json() == {"name": "x", "tags": []}
    head = requests.head(f"{base}/", headers={"Authorization": f"Bearer {first}"}, timeout=5)
    assert head.status_code == 200 and head.content == b""


def test_anonymous_gets_a_token_only_while_anonymous_access_is_on(nexus):
    add_repository(nexus, "repo")
    nexus.active_realms.append("DockerToken")
    assert requests.get(f"{nexus.url}/repository/repo/v2/token", timeout=5).status_code == 401
    nexus.anonymous["enabled"] = True
    token = requests.get(f"{nexus.url}/repository/repo/v2/token", timeout=5).json()["token"]
    read = requests.get(f"{nexus.url}/repository/repo/v2/x/tags/list", headers={"Authorization": f"Bearer {token}"},
                        timeout=5)
    assert read.status_code == 200                          # nx-anonymous: read on every repository
    nexus.users["anonymous"]["roles"] = []
    read = requests.get(f"{nexus.url}/repository/repo/v2/x/tags/list", headers={"Authorization": f"Bearer {token}"},
                        timeout=5)
    assert read.status_code == 401 and "Bearer" in read.headers["WWW-Authenticate"]
