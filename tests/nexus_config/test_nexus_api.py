"""The REST client against the Nexus double over real HTTP: errors, retries, readiness, edition."""
from __future__ import annotations

import dataclasses
import threading

import pytest

from components.nexus_config.client import (NexusApiError, NexusAuthError, NexusClient, NexusEditionError,
                                  NexusForbiddenError, NexusUnavailableError, NexusUnreachableError, ServerInfo,
                                  error_messages)
from tests.support.nexus_fixtures import FAST, client_for
from tests.support.nexus_double import empty, message_error, validation_errors

REALMS = "/v1/security/realms/active"


def later(seconds: float, action) -> threading.Timer:
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


# ---- error bodies --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, content_type, expected", [
    (b'[{"id":"PARAMETER name","message":"Only letters"},{"id":"HelperBean.memberNames","message":"Member '
     b'repository does not exist: x"}]', "application/json",
     ["name: Only letters", "HelperBean.memberNames: Member repository does not exist: x"]),
    (b'{"id":"*","message":"\\"BlobStore b is in use and cannot be deleted\\""}', "application/json",
     ["BlobStore b is in use and cannot be deleted"]),
    (b'{"id":"*","message":"Unable to find File \'b\' blobstore"}', "application/json",
     ["Unable to find File 'b' blobstore"]),
    (b'"Repository not found"', "application/json", ["Repository not found"]),          # before 3.52
    (b'[{"id":"name","message":"Renaming a repository is not supported"}]',
     "application/vnd.siesta-validation-errors-v1+json", ["name: Renaming a repository is not supported"]),
    (b"ValidationErrorXO{id='*', message='\"Unknown realmIds: [Foo, Bar]\"'}", "text/plain",   # RealmApiResource
     ["Unknown realmIds: [Foo, Bar]"]),
    (b'{"id":"*","message":"\\"first line\\nsecond line\\""}', "application/json",   # a StringJoiner's "\n"
     ["first line\nsecond line"]),
    (b'{"id":"*","message":"\\"You cannot change a repository\xe2\x80\x99s blob store through the API\\""}',
     "application/json", ["You cannot change a repository\u2019s blob store through the API"]),
    (b"Nexus Repository Manager is in read-only mode: (ID 6d1e)", "text/plain",
     ["Nexus Repository Manager is in read-only mode: (ID 6d1e)"]),
    (b"", "", []),
])
def test_error_messages_reads_every_nexus_error_shape(body, content_type, expected):
    assert error_messages(body, content_type) == expected


def test_api_error_string_is_readable():
    err = NexusApiError(400, "POST", "/service/rest/v1/x", ["name: bad", "path: missing"])
    assert str(err) == "Nexus answered HTTP 400 to POST /service/rest/v1/x: name: bad; path: missing"
    assert "no details in the response body" in str(NexusApiError(404, "PUT", "/p", []))


# ---- status classes ------------------------------------------------------------------------------------------

def test_401_names_the_admin_password_config_key_and_is_not_retried(nexus):
    client, progress = client_for(nexus, password="wrong-password")
    with pytest.raises(NexusAuthError) as info:
        client.get(REALMS)
    message = str(info.value)
    assert "HTTP 401" in message and "'admin'" in message
    assert "pulumi config set --secret adminPassword" in message
    # Existing data (a Nexus taken over): the password Nexus has now, not the one the stack would seed.
    assert "already has data" in message and "must be that Nexus' current admin password" in message
    assert "wrong-password" not in message and nexus.password not in message
    assert nexus.counts["GET"] == 1 and progress == []


def test_403_says_the_user_lacks_privileges(nexus):
    nexus.force("GET", REALMS, empty(403))
    client, _ = client_for(nexus)
    with pytest.raises(NexusForbiddenError, match="lacks the Nexus privileges"):
        client.get(REALMS)


def test_400_surfaces_nexus_message_without_retry(nexus):
    nexus.force("PUT", REALMS, validation_errors(("PARAMETER realms", "must not be empty")))
    client, progress = client_for(nexus)
    with pytest.raises(NexusApiError) as info:
        client.put(REALMS, [])
    assert info.value.status == 400 and info.value.messages == ["realms: must not be empty"]
    assert nexus.counts["PUT"] == 1 and progress == []


def test_404_is_none_when_tolerated_and_an_error_otherwise(nexus):
    client, _ = client_for(nexus)
    assert client.get("/v1/repositories/docker/hosted/absent", missing_ok=True) is None
    assert client.delete("/v1/repositories/absent") is False
    with pytest.raises(NexusApiError, match="Repository not found"):
        client.get("/v1/repositories/docker/hosted/absent")


# ---- retries -------------------------------------------------------------------------------------------------

def test_503_twice_then_answers_is_retried_and_succeeds(nexus):
    nexus.unavailable_next = 2
    client, progress = client_for(nexus)
    assert client.get(REALMS) == ["NexusAuthenticatingRealm"]
    assert nexus.counts["GET"] == 3
    assert len(progress) == 2 and "HTTP 503; retry 1/2" in progress[0]


def test_503_beyond_the_budget_is_a_clear_error(nexus):
    nexus.unavailable_next = 10
    client, _ = client_for(nexus)
    with pytest.raises(NexusUnavailableError, match=r"failed after 3 attempts: HTTP 503.*nexusUrl") as info:
        client.get(REALMS)
    assert nexus.counts["GET"] == 3 and info.value.uncertain is False


def test_refused_connection_is_retried_then_a_clear_error(nexus):
    nexus.stop()
    client, progress = client_for(nexus)
    with pytest.raises(NexusUnreachableError, match=r"cannot reach Nexus at .*`nexusUrl`.*: connection refused") \
            as info:
        client.get(REALMS)
    assert len(progress) == 2 and all("connection refused" in line for line in progress)
    assert info.value.uncertain is False          # nothing reached Nexus


def test_refused_connection_until_nexus_listens_again_succeeds(nexus):
    nexus.stop()
    client, _ = client_for(nexus, dataclasses.replace(FAST, attempts=8, backoff=0.05, max_backoff=0.1))
    later(0.1, nexus.start)
    assert client.get(REALMS) == ["NexusAuthenticatingRealm"]


def test_a_slow_get_times_out_on_every_attempt_with_a_clear_error(nexus):
    nexus.delay("GET", REALMS, 0.6)
    client, _ = client_for(nexus, dataclasses.replace(FAST, timeout=0.2))
    with pytest.raises(NexusUnavailableError, match="failed after 3 attempts: no answer within 0.2s"):
        client.get(REALMS)
    assert nexus.counts["GET"] == 3


def test_a_timed_out_post_is_not_sent_again(nexus):
    nexus.delay("POST", "/v1/blobstores/file", 0.6)
    client, _ = client_for(nexus, dataclasses.replace(FAST, timeout=0.2))
    with pytest.raises(NexusUnavailableError, match="timed out.*may still apply it") as info:
        client.post("/v1/blobstores/file", {"name": "slow", "path": "slow"})
    assert nexus.counts["POST"] == 1 and info.value.uncertain is True


# ---- readiness -----------------------------------------------------------------------------------------------

def test_wait_until_ready_polls_status_then_writable_and_logs_progress(nexus):
    nexus.starting = True
    later(0.15, lambda: setattr(nexus, "starting", False))
    client, progress = client_for(nexus)
    assert client.wait_until_ready() == ServerInfo("3.94.0-12", "COMMUNITY")
    assert progress and all("/v1/status" in line and "HTTP 503" in line for line in progress)
    paths = [path for method, path, status in nexus.log if status == 200]
    assert paths[-2:] == ["/service/rest/v1/status", "/service/rest/v1/status/writable"]


def test_wait_until_ready_gives_up_at_the_deadline_naming_the_probe(nexus):
    nexus.starting = True
    client, _ = client_for(nexus, dataclasses.replace(FAST, ready_timeout=0.2))
    with pytest.raises(NexusUnavailableError, match=r"not ready after \d+s \(GET /service/rest/v1/status: HTTP 503"):
        client.wait_until_ready()


def test_wait_until_ready_on_a_stopped_server_reports_refused_connections(nexus):
    nexus.stop()
    client, _ = client_for(nexus, dataclasses.replace(FAST, ready_timeout=0.2))
    with pytest.raises(NexusUnavailableError, match="connection refused"):
        client.wait_until_ready()


# ---- edition -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header, expected", [
    ("Nexus/3.94.0-12 (COMMUNITY)", ServerInfo("3.94.0-12", "COMMUNITY")),
    ("Nexus/3.80.0-06 (PRO)", ServerInfo("3.80.0-06", "PRO")),
    ("Nexus/3.59.0-01 (OSS)", ServerInfo("3.59.0-01", "OSS")),
    ("nginx/1.28.0", None),
    (None, None),
])
def test_server_header_gives_version_and_edition(header, expected):
    assert ServerInfo.parse(header) == expected


def test_pro_only_features_are_refused_on_community_and_allowed_on_pro(nexus):
    client, _ = client_for(nexus)
    with pytest.raises(NexusEditionError, match=r"needs Nexus Repository Pro.*3\.94\.0-12 \(COMMUNITY\)"):
        client.require_pro("writable_member")
    nexus.edition = "PRO"
    client, _ = client_for(nexus)
    client.require_pro("writable_member")
    assert client.server == ServerInfo("3.94.0-12", "PRO")


def test_client_repr_and_logs_never_show_the_password(nexus, caplog):
    nexus.unavailable_next = 1
    client = NexusClient(nexus.url, nexus.password, FAST)
    with caplog.at_level("DEBUG"):
        client.get(REALMS)
    assert caplog.records, "the retry should have been logged"
    assert nexus.password not in caplog.text and nexus.password not in repr(client)


def test_message_error_shape_is_pre_quoted():
    reply = message_error(400, "Duplicate key")
    assert reply.body == b'{"id": "*", "message": "\\"Duplicate key\\""}'
