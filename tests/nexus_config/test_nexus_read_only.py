"""A frozen (read-only) Nexus is recognised at once, never retried as a starting one, and explained: by the client
and by the providers, against the Nexus double's read-only mode."""
from __future__ import annotations

import dataclasses

import pytest

from components.nexus_config import repositories as repos
from components.nexus_config import server_settings as settings_res
from components.nexus_config.client import NexusReadOnlyError
from components.nexus_config.read_only import ReadOnlyState, is_frozen_answer
from tests.support.nexus_fixtures import FAST, client_for, create, provider_for
from tests.support.nexus_double import NexusDouble, empty

# A readiness deadline far beyond the test: only recognising the freeze at once can end these tests.
PATIENT = dataclasses.replace(FAST, ready_timeout=600.0, ready_interval=0.02)
RELEASE = "/service/rest/v1/read-only/release"


def probes(double: NexusDouble, path: str) -> int:
    return sum(1 for _, logged, _ in double.log if logged == "/service/rest" + path)


def test_readiness_stops_at_once_on_a_nexus_an_administrator_froze(nexus):
    nexus.freeze()
    client, progress = client_for(nexus, PATIENT)
    with pytest.raises(NexusReadOnlyError) as info:
        client.wait_until_ready()
    message = str(info.value)
    assert message.startswith("GET /service/rest/v1/status/writable answered HTTP 503: ")
    assert f"Nexus at {nexus.url} is in read-only mode (Requested by an administrator at " in message
    assert "Administration → System → Nodes → Disable Read-only Mode" in message
    assert f"curl -u admin -X POST {nexus.url}{RELEASE}" in message and "not starting up" in message
    assert info.value.state == ReadOnlyState(True, info.value.state.reason, False)
    assert probes(nexus, "/v1/status/writable") == 1 and progress == []        # no waiting, no retries


def test_a_freeze_by_a_system_task_says_to_let_it_finish(nexus):
    nexus.freeze(task="db-backup")
    client, _ = client_for(nexus, PATIENT)
    with pytest.raises(NexusReadOnlyError, match=r"\(1 running system task\(s\)\).*A system task froze it") as info:
        client.wait_until_ready()
    assert "Nexus leaves read-only mode by itself" in str(info.value)
    assert "read-only/force-release" in str(info.value) and "may lose data" in str(info.value)
    assert RELEASE not in str(info.value)                    # a release would not end a task's freeze


def test_a_write_refused_as_read_only_is_not_retried(nexus):
    client, progress = client_for(nexus)
    client.wait_until_ready()
    nexus.freeze()                                           # frozen after the readiness check
    with pytest.raises(NexusReadOnlyError) as info:
        client.post("/v1/blobstores/file", {"name": "b", "path": "b"})
    assert str(info.value).startswith("POST /service/rest/v1/blobstores/file was refused: Nexus at ")
    assert nexus.counts["POST"] == 1 and progress == [] and info.value.uncertain is False
    assert "b" not in nexus.blob_stores


def test_who_froze_it_unknown_still_gives_both_ways_out(nexus):
    nexus.freeze()
    nexus.force("GET", "/v1/read-only", empty(404))          # e.g. a proxy that does not pass the path
    client, _ = client_for(nexus)
    with pytest.raises(NexusReadOnlyError, match="Who froze it is not known") as info:
        client.put("/v1/security/realms/active", ["NexusAuthenticatingRealm", "DockerToken"])
    assert RELEASE in str(info.value) and "let it finish" in str(info.value) and info.value.state is None


def test_a_writable_probe_failing_without_a_freeze_is_still_waited_for(nexus):
    nexus.force("GET", "/v1/status/writable", empty(503))    # e.g. the database briefly not writable
    client, progress = client_for(nexus, PATIENT)
    client.wait_until_ready()
    assert probes(nexus, "/v1/status/writable") == 2 and len(progress) == 1
    assert probes(nexus, "/v1/read-only") == 1               # asked once, found not frozen


@pytest.mark.parametrize("status, body, frozen", [
    (503, b"Nexus Repository Manager is in read-only mode: (ID 1b2c)", True),
    (503, b"<html>503 Service Temporarily Unavailable</html>", False),       # nginx in front, Nexus down
    (503, b"", False),
    (500, b"Nexus Repository Manager is in read-only mode: (ID 1b2c)", False),
])
def test_only_the_frozen_mapper_answer_counts_as_read_only(status, body, frozen):
    assert is_frozen_answer(status, body) is frozen


@pytest.mark.parametrize("body", [None, [], {"frozen": "yes"}, {"summaryReason": "x"}])
def test_a_read_only_state_that_is_not_nexus_object_is_none(body):
    assert ReadOnlyState.parse(body) is None


# ---- providers -----------------------------------------------------------------------------------------------

def test_create_on_a_frozen_nexus_fails_at_once_without_a_post(nexus):
    nexus.freeze()
    provider = provider_for(repos.DockerHostedRepositoryProvider, nexus, PATIENT)
    with pytest.raises(NexusReadOnlyError, match="Disable Read-only Mode"):
        create(provider, nexus, name="docker-hosted", blob_store="default")
    assert nexus.counts["POST"] == 0 and nexus.repository("docker-hosted") is None


def test_update_and_delete_on_a_frozen_nexus_fail_at_once_and_change_nothing(nexus):
    provider = provider_for(repos.BlobStoreProvider, nexus, PATIENT)
    inputs, outs = create(provider, nexus, name="store", path="store")
    nexus.freeze(task="backup")
    with pytest.raises(NexusReadOnlyError, match="A system task froze it"):
        provider.update("store", outs, {**inputs, "path": "elsewhere"})
    with pytest.raises(NexusReadOnlyError, match="A system task froze it"):
        provider.delete("store", outs)                      # no readiness wait on delete: the 503 itself tells
    assert nexus.blob_stores["store"]["path"] == "store" and nexus.counts["DELETE"] == 1
    assert nexus.counts["PUT"] == 0


def test_the_eula_is_not_accepted_on_a_frozen_nexus(nexus):
    nexus.freeze()
    with pytest.raises(NexusReadOnlyError):
        create(provider_for(settings_res.CommunityEulaProvider, nexus, PATIENT), nexus, accepted=True)
    assert nexus.eula_accepted is False and nexus.counts["POST"] == 0
