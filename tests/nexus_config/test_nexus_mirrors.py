"""The mirrors' Nexus side over real HTTP against the Nexus double: a mirror proxy (REGISTRY index, no connector)
created and converged; UserRoles on Nexus' own `anonymous` user, which changes only what it owns and gives it back;
and, through the double's docker API under /repository/<name>/v2/, who may then read what: anonymous reads the
mirror proxies and nothing else while anonymousPull is false."""
from __future__ import annotations

import pytest
import requests

from components.mirrors import mirrors_for
from components.nexus_config import accounts
from components.nexus_config import accounts_payloads as ap
from components.nexus_config import repositories as repos
from components.nexus_config import server_settings as settings_res
from components.nexus_config.client import NexusError
from components.nexus_config.user_roles import UserRolesProvider
from tests.support.nexus_double import NexusDouble
from tests.support.nexus_fixtures import checked, create, provider_for

GHCR = mirrors_for(["ghcr.io"], "docker-proxy", "https://registry-1.docker.io")[0]
MIRROR, BUILTIN, HANDMADE = ap.MIRROR_READ_ROLE, ap.ANONYMOUS_ROLE, "team-readers"


def make_mirror(nexus: NexusDouble) -> tuple[repos.DockerProxyRepositoryProvider, dict, dict]:
    provider = provider_for(repos.DockerProxyRepositoryProvider, nexus)
    inputs, outs = create(provider, nexus, name=GHCR.repo, blob_store="default", remote_url=GHCR.remote_url,
                          docker_index=GHCR.index_type, negative_cache_minutes=5)
    return provider, inputs, outs


def make_registry(nexus: NexusDouble) -> None:
    """hosted + Docker Hub proxy in the group, the ghcr.io mirror outside it, the DockerToken realm active."""
    create(provider_for(repos.DockerHostedRepositoryProvider, nexus), nexus, name="docker-hosted",
           blob_store="default")
    create(provider_for(repos.DockerProxyRepositoryProvider, nexus), nexus, name="docker-proxy",
           blob_store="default", remote_url="https://registry-1.docker.io")
    create(provider_for(repos.DockerGroupRepositoryProvider, nexus), nexus, name="docker-group",
           blob_store="default", members=["docker-hosted", "docker-proxy"])
    make_mirror(nexus)
    create(provider_for(settings_res.ActiveRealmsProvider, nexus), nexus, realms=["DockerToken"])


def mirror_read(nexus: NexusDouble, *, revoke: list[str]) -> tuple[UserRolesProvider, dict, dict]:
    create(provider_for(accounts.RoleProvider, nexus), nexus, name=MIRROR, description="mirror read",
           privileges=ap.mirror_read_privileges([GHCR.repo]))
    provider = provider_for(UserRolesProvider, nexus)
    inputs, outs = create(provider, nexus, user="anonymous", grant=[MIRROR], revoke=revoke)
    create(provider_for(settings_res.AnonymousAccessProvider, nexus), nexus, enabled=True)
    return provider, inputs, outs



# ---- the mirror proxy ------------------------------------------------------------------------------------------

def test_a_mirror_proxy_is_created_without_a_connector_and_converges(nexus):
    provider, inputs, outs = make_mirror(nexus)
    stored = nexus.repository(GHCR.repo)
    assert stored["dockerProxy"] == {"indexType": "REGISTRY"} and "httpPort" not in stored["docker"]
    assert stored["proxy"]["remoteUrl"] == "https://ghcr.io" and stored["docker"]["forceBasicAuth"] is False
    assert (outs["docker_index"], outs["http_port"], outs["url"]) == \
        ("REGISTRY", None, f"{nexus.url}/repository/{GHCR.repo}")
    read = provider.read(GHCR.repo, outs)
    assert read.inputs == inputs and provider.diff(GHCR.repo, read.outs, inputs).changes is False


# ---- UserRoles on anonymous ------------------------------------------------------------------------------------

def test_user_roles_lifecycle_on_the_anonymous_user_gives_back_what_it_changed(nexus):
    make_mirror(nexus)
    create(provider_for(accounts.RoleProvider, nexus), nexus, name=MIRROR, description="mirror read",
           privileges=ap.mirror_read_privileges([GHCR.repo]))
    nexus.roles[HANDMADE] = {"id": HANDMADE, "name": HANDMADE, "description": "", "privileges": [], "roles": []}
    nexus.users["anonymous"]["roles"].append(HANDMADE)                       # given by hand, before the stack
    provider = provider_for(UserRolesProvider, nexus)
    inputs, outs = create(provider, nexus, user="anonymous", grant=[MIRROR], revoke=[BUILTIN])
    assert sorted(nexus.users["anonymous"]["roles"]) == [MIRROR, HANDMADE]
    assert (outs["__id"], outs["added"], outs["removed"]) == ("anonymous", [MIRROR], [BUILTIN])

    read = provider.read("anonymous", outs)                                    # converged: no diff, no write
    puts = nexus.counts["PUT"]
    assert read.inputs == inputs and provider.diff("anonymous", read.outs, inputs).changes is False
    assert nexus.counts["PUT"] == puts

    news = checked(provider, nexus, user="anonymous", grant=[MIRROR])           # anonymousPull turned on
    outs = provider.update("anonymous", read.outs, news).outs
    assert sorted(nexus.users["anonymous"]["roles"]) == [MIRROR, BUILTIN, HANDMADE] and outs["removed"] == []

    provider.delete("anonymous", outs)
    assert sorted(nexus.users["anonymous"]["roles"]) == [BUILTIN, HANDMADE]   # as found; the user itself stays


def test_drift_on_the_anonymous_user_shows_and_is_restored(nexus):
    make_mirror(nexus)
    provider, inputs, outs = mirror_read(nexus, revoke=[BUILTIN])
    nexus.users["anonymous"]["roles"] = [BUILTIN]                 # somebody put the built-in role back by hand
    read = provider.read("anonymous", outs)
    assert (read.inputs["grant"], read.inputs["revoke"]) == ([], [])
    assert provider.diff("anonymous", read.outs, inputs).changes is True
    outs = provider.update("anonymous", read.outs, inputs).outs
    assert nexus.users["anonymous"]["roles"] == [MIRROR] and outs["removed"] == [BUILTIN]
    provider.delete("anonymous", outs)
    assert nexus.users["anonymous"]["roles"] == [BUILTIN]


def test_a_missing_user_fails_with_a_message_and_changes_nothing(nexus):
    del nexus.users["anonymous"]
    provider = provider_for(UserRolesProvider, nexus)
    with pytest.raises(NexusError, match="no local user 'anonymous'.*Security > Users"):
        provider.create(checked(provider, nexus, user="anonymous", grant=[BUILTIN]))
    assert nexus.writes() == 0
    assert provider.read("anonymous", {"nexus_url": nexus.url, "user": "anonymous"}).id == ""


# ---- who reads what --------------------------------------------------------------------------------------------

def test_without_anonymous_pull_anonymous_reads_the_mirrors_only(nexus):
    make_registry(nexus)
    mirror_read(nexus, revoke=[BUILTIN])
    assert nexus.anonymous_read_status(GHCR.repo) == 200
    for private in ("docker-group", "docker-hosted", "docker-proxy"):
        assert nexus.anonymous_read_status(private) == 401, private
    # a logged-in reader is unaffected (admin here; the pull role is tested in test_nexus_accounts)
    token = requests.get(f"{nexus.url}/repository/docker-group/v2/token", auth=("admin", nexus.password), timeout=5)
    assert requests.get(f"{nexus.url}/repository/docker-group/v2/x/tags/list", timeout=5,
                        headers={"Authorization": f"Bearer {token.json()['token']}"}).status_code == 200


def test_with_anonymous_pull_the_group_stays_open_too(nexus):
    make_registry(nexus)
    mirror_read(nexus, revoke=[])
    assert [nexus.anonymous_read_status(r) for r in (GHCR.repo, "docker-group")] == [200, 200]


def test_anonymous_reads_nothing_before_anonymous_access_is_on(nexus):
    make_registry(nexus)
    assert nexus.anonymous["enabled"] is False
    response = requests.get(f"{nexus.url}/repository/{GHCR.repo}/v2/token", timeout=5)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert nexus.anonymous_read_status(GHCR.repo) == 401
