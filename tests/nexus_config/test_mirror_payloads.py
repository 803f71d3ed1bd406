"""Pure parts of the mirrors' Nexus side (no HTTP): the mirror proxies' request bodies, the mirror-read role's
privileges, and the plan by which UserRoles changes only what it owns on a user it does not own."""
from __future__ import annotations

import pytest

from components.mirrors import mirrors_for
from components.nexus_config import accounts_payloads as ap
from components.nexus_config import fields as f
from components.nexus_config import repository_payloads as rp
from components.nexus_config.user_roles import UserRolesProvider

URL = "http://nexus.example:30081"
GHCR = mirrors_for(["ghcr.io"], "docker-proxy", "https://registry-1.docker.io")[0]


def test_a_mirror_proxy_body_has_the_registry_index_and_no_connector():
    inputs, failures = f.check_inputs(rp.PROXY_FIELDS, {
        "nexus_url": URL, "name": GHCR.repo, "blob_store": GHCR.repo, "remote_url": GHCR.remote_url,
        "docker_index": GHCR.index_type, "negative_cache_minutes": 5, "remote_username": "team-bot",
        "remote_password": "ghp_token"}, rp.proxy_cross_check)
    assert failures == []
    body = rp.proxy_request(inputs)
    assert body["dockerProxy"] == {"indexType": "REGISTRY"}                # Nexus derives the index from the remote
    assert body["docker"] == {"v1Enabled": False, "forceBasicAuth": False}  # no httpPort: no connector
    assert body["proxy"]["remoteUrl"] == "https://ghcr.io"
    assert body["httpClient"]["authentication"] == {"type": "username", "username": "team-bot",
                                                    "password": "ghp_token"}
    assert body["negativeCache"] == {"enabled": True, "timeToLive": 5}


def test_the_mirror_read_role_holds_browse_and_read_on_the_mirrors_only():
    assert ap.mirror_read_privileges(["docker-proxy-quay-io", "docker-proxy-ghcr-io"]) == [
        "nx-repository-view-docker-docker-proxy-ghcr-io-browse", "nx-repository-view-docker-docker-proxy-ghcr-io-read",
        "nx-repository-view-docker-docker-proxy-quay-io-browse", "nx-repository-view-docker-docker-proxy-quay-io-read"]
    with pytest.raises(f.InvalidValue, match="lowercase"):
        ap.mirror_read_privileges(["Docker-Proxy-ghcr-io"])


MIRROR, BUILTIN, HANDMADE = ap.MIRROR_READ_ROLE, ap.ANONYMOUS_ROLE, "team-readers"


@pytest.mark.parametrize("current, grant, revoke, added, removed, expected", [
    # first apply: give ours, take the built-in read-everything role, leave the hand-made one
    ([BUILTIN, HANDMADE], [MIRROR], [BUILTIN], [], [], ([HANDMADE, MIRROR], [MIRROR], [BUILTIN])),
    # converged: nothing changes, ownership is kept
    ([HANDMADE, MIRROR], [MIRROR], [BUILTIN], [MIRROR], [BUILTIN], ([HANDMADE, MIRROR], [MIRROR], [BUILTIN])),
    # anonymousPull turned on: the built-in role comes back, it is no longer ours
    ([HANDMADE, MIRROR], [MIRROR], [], [MIRROR], [BUILTIN], ([BUILTIN, HANDMADE, MIRROR], [MIRROR], [])),
    # a role the user already held is granted: it stays the user's (not ours to take away later)
    ([MIRROR], [MIRROR], [], [], [], ([MIRROR], [], [])),
    # revoking a role the user never held: nothing to give back later
    ([HANDMADE], [], [BUILTIN], [], [], ([HANDMADE], [], [])),
    # somebody gave the built-in role back by hand while we revoke it: taken again, still ours to restore
    ([BUILTIN, MIRROR], [MIRROR], [BUILTIN], [MIRROR], [BUILTIN], ([MIRROR], [MIRROR], [BUILTIN])),
])
def test_plan_changes_only_what_it_owns(current, grant, revoke, added, removed, expected):
    assert ap.plan_user_roles(current, grant, revoke, added, removed) == tuple(sorted(x) for x in expected)


def test_release_gives_back_exactly_what_was_changed():
    assert ap.release_user_roles([HANDMADE, MIRROR], [MIRROR], [BUILTIN]) == [BUILTIN, HANDMADE]
    assert ap.release_user_roles([HANDMADE, MIRROR], [], []) == [MIRROR, HANDMADE]      # nothing was ours


def test_user_roles_request_is_the_whole_user_with_new_roles():
    user = {"userId": "anonymous", "firstName": "Anonymous", "lastName": "User", "emailAddress": "a@example.org",
            "status": "active", "source": "default", "readOnly": False, "roles": [BUILTIN], "externalRoles": []}
    assert ap.user_roles_request(user, [MIRROR]) == {
        "userId": "anonymous", "firstName": "Anonymous", "lastName": "User", "emailAddress": "a@example.org",
        "status": "active", "source": "default", "roles": [MIRROR]}


def test_user_roles_check_refuses_a_role_both_granted_and_revoked():
    result = UserRolesProvider().check({}, {"nexus_url": URL, "user": "anonymous", "grant": [MIRROR],
                                            "revoke": [MIRROR, BUILTIN]})
    assert [(x.property, x.reason) for x in result.failures] == [
        ("revoke", f"roles ['{MIRROR}'] are both granted and revoked")]
    ok = UserRolesProvider().check({}, {"nexus_url": URL, "user": "anonymous", "grant": [MIRROR]})
    assert ok.failures == [] and ok.inputs["revoke"] == []
