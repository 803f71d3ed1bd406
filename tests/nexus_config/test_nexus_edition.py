"""Edition detection: the Server header when it names a released edition, else Nexus' system information, else
unknown with the reason; a Pro feature is never refused on a Pro server for a missing header."""
from __future__ import annotations

import pytest

from components.nexus_config import repositories as repos
from components.nexus_config.client import NexusApiError, NexusAuthError, NexusEditionError
from components.nexus_config.edition import ServerInfo, edition_from_system_information
from tests.support.nexus_fixtures import client_for, create, provider_for
from tests.support.nexus_double import NexusDouble
from tests.support.nexus_double_system import NODE_ID

GROUP = {"name": "docker-group", "blob_store": "default", "members": ["docker-hosted"],
         "writable_member": "docker-hosted"}


def posts_to(double: NexusDouble, path: str) -> int:
    return sum(1 for method, logged, _ in double.log if method == "POST" and logged == "/service/rest" + path)


@pytest.mark.parametrize("edition", ["PRO", "COMMUNITY"])
def test_a_missing_server_header_falls_back_to_system_information(nexus, edition):
    nexus.edition, nexus.server_header = edition, False
    client, _ = client_for(nexus)
    info = client.edition()
    assert (info.version, info.edition) == ("3.94.0-12", edition)
    assert info.source == "GET /beta/system/information" and client.server is None
    assert client.edition() is info and nexus.counts["GET"] == 2         # /v1/status, then asked once


def test_a_trusted_header_needs_no_other_request(nexus):
    client, _ = client_for(nexus)
    client.wait_until_ready()
    gets = nexus.counts["GET"]
    assert client.edition() == ServerInfo("3.94.0-12", "COMMUNITY") and nexus.counts["GET"] == gets


def test_core_in_the_header_is_checked_and_a_source_build_is_not_pro(nexus):
    nexus.edition = "CORE"
    client, _ = client_for(nexus)
    with pytest.raises(NexusEditionError, match=r"3\.94\.0-12 \(CORE\) according to GET /beta/system/information"):
        client.require_pro("writable_member")


def test_without_header_or_system_information_the_edition_is_unknown_with_the_reason(nexus):
    nexus.server_header, nexus.system_information = False, False
    client, progress = client_for(nexus)
    info = client.edition()
    assert info.edition == "UNKNOWN" and info.version is None
    assert "it sends no Server header" in info.source and "answered HTTP 404" in info.source
    client.require_pro("writable_member")                                # not refused: Nexus decides
    assert len(progress) == 1 and "sending it anyway, Nexus refuses it unless it is Pro" in progress[0]
    assert "nexus.header.server=false" in progress[0]


def test_a_core_header_without_system_information_is_unknown(nexus):
    nexus.edition, nexus.system_information = "CORE", False
    client, _ = client_for(nexus)
    info = client.edition()
    assert (info.version, info.edition) == ("3.94.0-12", "UNKNOWN") and "Server header says CORE" in info.source


def test_a_wrong_password_while_looking_is_the_password_error(nexus):
    nexus.server_header = False
    client, _ = client_for(nexus, password="wrong")
    with pytest.raises(NexusAuthError, match="adminPassword"):
        client.edition()


@pytest.mark.parametrize("body, expected", [
    ({"nexus-status": {NODE_ID: {"version": "3.89.1-02", "edition": "PRO"}}}, ("3.89.1-02", "PRO")),   # by section
    ({NODE_ID: {"nexus-status": {"version": "3.89.1-02", "edition": "community"}}}, ("3.89.1-02", "COMMUNITY")),
    ({"nexus-status": {NODE_ID: {"version": "3.89.1-02"}}}, None),
    ({"nexus-node": {NODE_ID: {"node-id": NODE_ID}}}, None),
    ([], None),
    (None, None),
])
def test_system_information_is_read_in_either_nesting(body, expected):
    found = edition_from_system_information(body)
    assert (None if found is None else (found.version, found.edition)) == expected


@pytest.mark.parametrize("info, trusted", [
    (ServerInfo("3.94.0-12", "PRO"), True), (ServerInfo("3.59.0-01", "OSS"), True),
    (ServerInfo("3.94.0-12", "CORE"), False), (ServerInfo("3.94.0-12", "CORE", "GET x"), True),
    (ServerInfo("3.94.0-12", "NEW"), False),
])
def test_only_released_editions_in_the_header_are_trusted(info, trusted):
    assert info.trusted is trusted


# ---- providers -----------------------------------------------------------------------------------------------

def make_hosted(double: NexusDouble) -> None:
    provider = provider_for(repos.DockerHostedRepositoryProvider, double)
    create(provider, double, name="docker-hosted", blob_store="default")


def test_a_pro_server_without_the_server_header_gets_its_writable_member(nexus):
    nexus.edition, nexus.server_header = "PRO", False
    make_hosted(nexus)
    _, outs = create(provider_for(repos.DockerGroupRepositoryProvider, nexus), nexus, **GROUP)
    assert outs["writable_member"] == "docker-hosted"
    assert nexus.repository("docker-group")["group"]["writableMember"] == "docker-hosted"


def test_an_unknown_edition_lets_nexus_refuse_a_writable_member_and_leaves_nothing(nexus):
    nexus.server_header, nexus.system_information = False, False         # Community, but it does not say so
    make_hosted(nexus)
    with pytest.raises(NexusApiError, match="writableMember: Deploying to groups is a PRO-licensed feature"):
        create(provider_for(repos.DockerGroupRepositoryProvider, nexus), nexus, **GROUP)
    assert nexus.repository("docker-group") is None and posts_to(nexus, "/v1/repositories/docker/group") == 1
