"""The dynamic providers against the Nexus double over real HTTP: lifecycles, drift, convergence, faults, dill."""
from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import subprocess
import sys
import textwrap
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.rpc import UNKNOWN

from components.nexus_config import accounts, housekeeping, preflight
from components.nexus_config import repositories as repos
from components.nexus_config import server_settings as settings_res
from components.nexus_config.client import NexusApiError, NexusAuthError, NexusEditionError, NexusError, NexusUnavailableError
from tests.nexus_config.test_provider_paths import STORED_PROVIDER_PATHS
from tests.support.nexus_fixtures import FAST, checked, configured, create, provider_for
from tests.support.nexus_double import NexusDouble, empty

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_hosted(double: NexusDouble, name: str = "docker-hosted", **news: Any) -> dict:
    return create(provider_for(repos.DockerHostedRepositoryProvider, double), double,
                  **{"name": name, "blob_store": "default", **news})[1]


# ---- resource declarations -----------------------------------------------------------------------------------

RESOURCES = {repos.BlobStore: repos.BlobStoreProvider, repos.DockerHostedRepository: repos.DockerHostedRepositoryProvider,
             repos.DockerProxyRepository: repos.DockerProxyRepositoryProvider,
             repos.DockerGroupRepository: repos.DockerGroupRepositoryProvider, settings_res.ActiveRealms: settings_res.ActiveRealmsProvider,
             settings_res.AnonymousAccess: settings_res.AnonymousAccessProvider, settings_res.CommunityEula: settings_res.CommunityEulaProvider,
             housekeeping.CleanupPolicy: housekeeping.CleanupPolicyProvider,
             housekeeping.HousekeepingTasks: housekeeping.HousekeepingTasksProvider,
             accounts.Role: accounts.RoleProvider, accounts.LocalUser: accounts.LocalUserProvider,
             preflight.ExistingObjects: preflight.ExistingObjectsProvider}


@pytest.mark.parametrize("resource, provider", RESOURCES.items(), ids=lambda c: getattr(c, "__name__", ""))
def test_resources_have_nexus_type_tokens_and_importable_providers(resource, provider):
    assert resource._resource_type_name == f"dynamic/nexus:{resource.__name__}"   # pulumi-python:dynamic/nexus:X
    assert provider.__name__ == resource.__name__ + "Provider"
    assert f"{provider.__module__}.{provider.__name__}" in STORED_PROVIDER_PATHS


DECLARE_UNDER_MOCKS = textwrap.dedent("""
    import json, pulumi
    from components.nexus_config import housekeeping, repositories as repos, server_settings as settings_res

    class Mocks(pulumi.runtime.Mocks):
        seen = {}
        def new_resource(self, args):
            Mocks.seen[args.typ] = sorted(k for k in args.inputs if k != "__provider")
            return args.name + "-id", args.inputs
        def call(self, args):
            return {}

    pulumi.runtime.set_mocks(Mocks(), project="nexus-registry", stack="test", preview=False)
    URL = "http://nexus:8081"

    @pulumi.runtime.test
    def declare():
        hosted = repos.DockerHostedRepository("h", nexus_url=URL, name="h", blob_store="b", http_port=9897)
        realms = settings_res.ActiveRealms("realms", nexus_url=URL, realms=["DockerToken"])
        eula = settings_res.CommunityEula("eula", nexus_url=URL, accepted=True)
        others = [repos.BlobStore("b", nexus_url=URL, name="b"),
                  repos.DockerProxyRepository("p", nexus_url=URL, name="p", blob_store="b",
                                              remote_url="https://r.example"),
                  repos.DockerGroupRepository("g", nexus_url=URL, name="g", blob_store="b", members=["h", "p"]),
                  settings_res.AnonymousAccess("anon", nexus_url=URL, enabled=False),
                  housekeeping.CleanupPolicy("cp", nexus_url=URL, name="cp", last_downloaded_days=30),
                  housekeeping.HousekeepingTasks("hk", nexus_url=URL, cron="0 0 2 ? * SUN",
                                                 tasks=[{"name": "t", "type": "blobstore.compact",
                                                         "properties": {"blobstoreName": "b"}}])]
        # Waiting on every urn makes sure all nine registrations happened before the report.
        return pulumi.Output.all(*[x.urn for x in others], hosted.url, hosted.write_policy, realms.added,
                                 eula.accepted, eula.required, eula.disclaimer_sha256).apply(
            lambda values: print(json.dumps({"seen": Mocks.seen, "values": values[len(others):]})))

    declare()
""")


def test_resources_declare_under_mocks_with_typed_outputs():
    # In a subprocess: set_mocks is process-global and must not leak into other test modules.
    result = subprocess.run([sys.executable, "-c", DECLARE_UNDER_MOCKS], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["seen"] == {
        "pulumi-python:dynamic/nexus:DockerHostedRepository": ["blob_store", "http_port", "name", "nexus_url"],
        "pulumi-python:dynamic/nexus:ActiveRealms": ["nexus_url", "realms"],
        "pulumi-python:dynamic/nexus:BlobStore": ["name", "nexus_url"],
        "pulumi-python:dynamic/nexus:DockerProxyRepository": ["blob_store", "name", "nexus_url", "remote_url"],
        "pulumi-python:dynamic/nexus:DockerGroupRepository": ["blob_store", "members", "name", "nexus_url"],
        "pulumi-python:dynamic/nexus:AnonymousAccess": ["enabled", "nexus_url"],
        "pulumi-python:dynamic/nexus:CommunityEula": ["accepted", "nexus_url"],
        "pulumi-python:dynamic/nexus:CleanupPolicy": ["last_downloaded_days", "name", "nexus_url"],
        "pulumi-python:dynamic/nexus:HousekeepingTasks": ["cron", "nexus_url", "tasks"],
    }
    # Seeded outputs and unset inputs are attributes; the mock echoes inputs back as outputs.
    assert report["values"] == [None, None, None, True, None, None]


def test_constructors_refuse_unknown_and_missing_inputs_before_registering():
    with pytest.raises(TypeError, match=r"unknown inputs \['blobstore'\].*missing required inputs \['blob_store'\]"):
        repos.DockerHostedRepository("h", nexus_url="http://n:1", name="h", blobstore="b")


# ---- lifecycles of the name-keyed objects --------------------------------------------------------------------

@dataclass
class Lifecycle:
    provider: type
    news: dict
    change: dict                                  # an in-place update
    nexus_view: Callable[[NexusDouble], Any]      # what Nexus holds for the changed field
    before: Callable[[NexusDouble], Any] = field(default=lambda double: None)


LIFECYCLES = {
    "blob_store": Lifecycle(
        repos.BlobStoreProvider, {"name": "docker-hosted"}, {"soft_quota": {"type": "spaceRemainingQuota", "limit": 512}},
        lambda d: d.blob_stores["docker-hosted"].get("softQuota")),
    "hosted": Lifecycle(
        repos.DockerHostedRepositoryProvider, {"name": "docker-hosted", "blob_store": "default", "http_port": 9897},
        {"write_policy": "allow_once"}, lambda d: d.repository("docker-hosted")["storage"]["writePolicy"]),
    "proxy": Lifecycle(
        repos.DockerProxyRepositoryProvider,
        {"name": "docker-proxy", "blob_store": "default", "remote_url": "https://registry-1.docker.io"},
        {"content_max_age": 60}, lambda d: d.repository("docker-proxy")["proxy"]["contentMaxAge"]),
    "group": Lifecycle(
        repos.DockerGroupRepositoryProvider,
        {"name": "docker-group", "blob_store": "default", "members": ["docker-hosted"], "http_port": 9896},
        {"members": ["docker-hosted", "docker-other"]}, lambda d: d.repository("docker-group")["group"]["memberNames"],
        before=lambda d: (make_hosted(d), make_hosted(d, "docker-other"))),
}


@pytest.mark.parametrize("case", LIFECYCLES.values(), ids=LIFECYCLES.keys())
def test_lifecycle_check_create_read_diff_update_delete(nexus, case):
    case.before(nexus)
    provider = provider_for(case.provider, nexus)
    writes = nexus.writes()
    inputs, outs = create(provider, nexus, **case.news)
    name = case.news["name"]
    assert outs["__id"] == name and nexus.writes() == writes + 1
    assert {k: outs[k] for k in inputs} == inputs

    read = provider.read(name, outs)
    assert read.id == name and read.inputs == inputs
    assert provider.diff(name, read.outs, inputs).changes is False

    news = checked(provider, nexus, **{**case.news, **case.change})
    diff = provider.diff(name, read.outs, news)
    assert diff.changes is True and diff.replaces == []
    updated = provider.update(name, read.outs, news).outs
    key, value = next(iter(case.change.items()))
    assert updated[key] == value and nexus.writes() == writes + 2
    assert case.nexus_view(nexus) in (value, str(value).upper())

    provider.delete(name, updated)
    assert provider.read(name, updated).id == ""
    provider.delete(name, updated)                 # already gone: tolerated
    assert nexus.counts["DELETE"] == 2


def test_rename_and_blob_store_move_are_delete_before_replace(nexus):
    provider = provider_for(repos.DockerHostedRepositoryProvider, nexus)
    olds = {**checked(provider, nexus, name="docker-hosted", blob_store="default"), "url": "u"}
    for change in ({"name": "docker-hosted2"}, {"blob_store": "other"}):
        diff = provider.diff("docker-hosted", olds, {**olds, **change})
        assert diff.replaces == list(change) and diff.delete_before_replace is True
    moved_url = provider.diff("docker-hosted", olds, {**olds, "nexus_url": "http://other:8081"})
    assert moved_url.changes is True and moved_url.replaces == []


@pytest.mark.parametrize("unknown", [UNKNOWN, Unknown()], ids=["wire-string", "sdk-object"])
def test_preview_unknowns_pass_check_and_count_as_changes(nexus, unknown):
    provider = provider_for(repos.DockerGroupRepositoryProvider, nexus)
    news = checked(provider, nexus, name="g", blob_store=unknown, members=[unknown])
    olds = {**news, "blob_store": "default", "members": ["docker-hosted"]}
    diff = provider.diff("g", olds, news)
    assert diff.changes is True and diff.replaces == ["blob_store"]


def test_check_failures_name_the_field_and_value(nexus):
    provider = provider_for(repos.DockerHostedRepositoryProvider, nexus)
    result = provider.check({}, {"nexus_url": nexus.url, "name": "bad name", "blob_store": "default",
                                 "http_port": 8081})
    reasons = {f.property: f.reason for f in result.failures}
    assert set(reasons) == {"name", "http_port"}
    assert "'bad name'" in reasons["name"] and "8081" in reasons["http_port"]
    assert nexus.counts == {}                      # check never calls Nexus


# ---- drift ---------------------------------------------------------------------------------------------------

def test_drift_behind_pulumis_back_is_read_diffed_and_restored(nexus):
    provider = provider_for(repos.DockerHostedRepositoryProvider, nexus)
    inputs, outs = create(provider, nexus, name="docker-hosted", blob_store="default", http_port=9897)
    repo = nexus.repository("docker-hosted")
    repo["docker"]["forceBasicAuth"] = True
    repo["storage"]["writePolicy"] = "DENY"

    read = provider.read("docker-hosted", outs)
    assert read.inputs["force_basic_auth"] is True and read.inputs["write_policy"] == "deny"
    diff = provider.diff("docker-hosted", read.outs, inputs)
    assert diff.changes is True and diff.replaces == []
    provider.update("docker-hosted", read.outs, inputs)
    assert repo is not nexus.repository("docker-hosted")
    assert nexus.repository("docker-hosted")["docker"]["forceBasicAuth"] is False
    assert nexus.repository("docker-hosted")["storage"]["writePolicy"] == "ALLOW"
    assert provider.diff("docker-hosted", provider.read("docker-hosted", outs).outs, inputs).changes is False


def test_deleted_behind_pulumis_back_reads_as_gone(nexus):
    provider = provider_for(repos.BlobStoreProvider, nexus)
    _, outs = create(provider, nexus, name="gone")
    del nexus.blob_stores["gone"]
    read = provider.read("gone", outs)
    assert (read.id, read.outs) == ("", {})


def test_deleting_a_member_shows_as_group_drift(nexus):
    make_hosted(nexus)
    provider = provider_for(repos.DockerGroupRepositoryProvider, nexus)
    make_hosted(nexus, "docker-other")
    inputs, outs = create(provider, nexus, name="docker-group", blob_store="default",
                          members=["docker-hosted", "docker-other"])
    provider_for(repos.DockerHostedRepositoryProvider, nexus).delete("docker-other", {"nexus_url": nexus.url})
    read = provider.read("docker-group", outs)
    assert read.inputs["members"] == ["docker-hosted"]
    assert provider.diff("docker-group", read.outs, inputs).changes is True


def test_update_of_an_object_deleted_outside_pulumi_asks_for_refresh(nexus):
    provider = provider_for(repos.DockerHostedRepositoryProvider, nexus)
    inputs, outs = create(provider, nexus, name="docker-hosted", blob_store="default")
    del nexus.repositories["docker-hosted"]
    with pytest.raises(NexusError, match="no longer exists.*pulumi refresh"):
        provider.update("docker-hosted", outs, {**inputs, "online": False})


# ---- convergence ---------------------------------------------------------------------------------------------

def full_stack(double: NexusDouble) -> list[tuple[ResourceProvider, dict]]:
    """What the program declares: blob stores, the three repositories, realms, anonymous access and the EULA."""
    return [
        (provider_for(repos.BlobStoreProvider, double), {"name": "docker-hosted"}),
        (provider_for(repos.DockerHostedRepositoryProvider, double),
         {"name": "docker-hosted", "blob_store": "docker-hosted", "http_port": 9897}),
        (provider_for(repos.DockerProxyRepositoryProvider, double),
         {"name": "docker-proxy", "blob_store": "default", "remote_url": "https://registry-1.docker.io"}),
        (provider_for(repos.DockerGroupRepositoryProvider, double),
         {"name": "docker-group", "blob_store": "default", "members": ["docker-hosted", "docker-proxy"],
          "http_port": 9896}),
        (provider_for(settings_res.ActiveRealmsProvider, double), {"realms": ["NexusAuthenticatingRealm", "DockerToken"]}),
        (provider_for(settings_res.AnonymousAccessProvider, double), {"enabled": False}),
        (provider_for(settings_res.CommunityEulaProvider, double), {"accepted": True}),
    ]


def test_a_second_pass_over_an_unchanged_config_writes_nothing(nexus):
    state = [(provider, news, create(provider, nexus, **news)[1]) for provider, news in full_stack(nexus)]
    # One POST or PUT each, except anonymous access: off already on a fresh 3.87+ install, as the stack wants.
    assert nexus.writes() == 6
    writes, gets = nexus.writes(), nexus.counts["GET"]
    for provider, news, outs in state:            # `pulumi up --refresh`: read, then diff against the program
        read = provider.read(outs["__id"], outs)
        assert read.id == outs["__id"]
        assert provider.diff(read.id, read.outs, checked(provider, nexus, **news)).changes is False
    assert nexus.writes() == writes and nexus.counts["GET"] == gets + len(state)


# ---- create safety and faults --------------------------------------------------------------------------------

def test_create_refuses_an_existing_object_ignoring_case_without_touching_it(nexus):
    make_hosted(nexus, "Docker-Hosted")
    posts = nexus.counts["POST"]
    with pytest.raises(NexusError, match="'docker-hosted' already exists in Nexus.*set the stack key `adoptExisting`"):
        make_hosted(nexus, "docker-hosted", http_port=9897)
    assert nexus.counts["POST"] == posts
    assert "httpPort" not in nexus.repository("docker-hosted")["docker"]


def _through_the_wire(props: dict) -> dict:
    """Props as the provider server hands them over: serialized by Pulumi's rpc (every number a double)."""
    loop = asyncio.new_event_loop()            # as the server does; asyncio.run would unset the current loop
    try:
        return rpc.deserialize_properties(loop.run_until_complete(rpc.serialize_properties(props, {})))
    finally:
        loop.close()


def test_numbers_that_crossed_the_rpc_boundary_as_doubles_reach_nexus_as_integers(nexus):
    proxy = provider_for(repos.DockerProxyRepositoryProvider, nexus)
    inputs = checked(proxy, nexus, name="docker-proxy", blob_store="default", remote_url="https://hub.example",
                     http_port=9898)
    wire = _through_the_wire(inputs)
    assert wire["http_port"] == 9898.0 and isinstance(wire["content_max_age"], float)
    outs = proxy.create(wire).outs
    body = nexus.repository("docker-proxy")
    sent = [body["docker"]["httpPort"], body["proxy"]["contentMaxAge"], body["proxy"]["metadataMaxAge"]]
    assert sent == [9898, 1440, 1440] and all(type(n) is int for n in sent)
    proxy.update("docker-proxy", _through_the_wire(outs), _through_the_wire({**inputs, "content_max_age": 60}))
    assert type(nexus.repository("docker-proxy")["proxy"]["contentMaxAge"]) is int


def test_create_failing_with_nexus_400_surfaces_its_message_once(nexus):
    provider = provider_for(repos.DockerGroupRepositoryProvider, nexus)
    with pytest.raises(NexusApiError, match="Member repository does not exist: docker-missing") as info:
        create(provider, nexus, name="docker-group", blob_store="default", members=["docker-missing"])
    assert info.value.status == 400 and nexus.counts["POST"] == 1
    assert nexus.repository("docker-group") is None
    with pytest.raises(NexusApiError, match=r"HTTP 400 .*: Blob store not found$"):    # one object, no field id
        make_hosted(nexus, blob_store="no-such-store")


def test_create_against_a_stopped_nexus_is_a_clear_error(nexus):
    nexus.stop()
    with pytest.raises(NexusUnavailableError, match="cannot reach Nexus at .*nexusUrl.*connection refused.*port-forward"):
        make_hosted(nexus)


def test_create_rides_out_503s_and_succeeds(nexus):
    nexus.unavailable_next = 2                     # the next two requests, whatever they are
    outs = make_hosted(nexus)
    assert outs["__id"] == "docker-hosted" and nexus.repository("docker-hosted") is not None


def test_create_whose_post_times_out_leaves_nothing_behind(nexus):
    nexus.delay("POST", "/v1/repositories/docker/hosted", 0.5)
    provider = provider_for(repos.DockerHostedRepositoryProvider, nexus, dataclasses.replace(FAST, timeout=0.25))
    with pytest.raises(NexusError, match="timed out.*partially created docker hosted repository "
                                         "'docker-hosted' was deleted again"):
        create(provider, nexus, name="docker-hosted", blob_store="default")
    assert nexus.repository("docker-hosted") is None
    assert nexus.counts["POST"] == 1 and nexus.counts["DELETE"] == 1


def test_create_whose_read_back_fails_deletes_what_it_created(nexus):
    nexus.force("GET", "/v1/repositories/docker/hosted/docker-hosted", empty(403))
    with pytest.raises(NexusError, match="lacks the Nexus privileges.*deleted again"):
        make_hosted(nexus)
    assert nexus.repository("docker-hosted") is None


def test_wrong_password_is_a_clear_error_naming_the_config_key(nexus):
    provider = configured(repos.BlobStoreProvider(FAST), "not-the-password")
    with pytest.raises(NexusAuthError, match="adminPassword") as info:
        create(provider, nexus, name="b")
    assert "not-the-password" not in str(info.value)
    assert nexus.counts["POST"] == 0


def test_missing_password_and_bad_url_are_explained(nexus):
    with pytest.raises(NexusError, match="pulumi config set --secret adminPassword"):
        configured(repos.BlobStoreProvider(FAST), None).read("b", {"nexus_url": nexus.url})
    with pytest.raises(NexusError, match="nexus_url.*nexusUrl"):
        provider_for(repos.BlobStoreProvider, nexus).read("b", {"nexus_url": ""})
    assert nexus.counts == {}


def test_blob_store_in_use_surfaces_nexus_message_on_delete(nexus):
    provider = provider_for(repos.BlobStoreProvider, nexus)
    _, outs = create(provider, nexus, name="docker-hosted")
    make_hosted(nexus, blob_store="docker-hosted")
    with pytest.raises(NexusApiError, match="BlobStore docker-hosted is in use and cannot be deleted"):
        provider.delete("docker-hosted", outs)
    assert "docker-hosted" in nexus.blob_stores


def test_writable_member_is_refused_on_community_before_sending(nexus):
    make_hosted(nexus)
    provider = provider_for(repos.DockerGroupRepositoryProvider, nexus)
    news = {"name": "docker-group", "blob_store": "default", "members": ["docker-hosted"],
            "writable_member": "docker-hosted"}
    with pytest.raises(NexusEditionError, match=r"writable_member.*needs Nexus Repository Pro.*COMMUNITY"):
        create(provider, nexus, **news)
    assert nexus.counts["POST"] == 1               # only the member's
    nexus.edition = "PRO"
    _, outs = create(provider, nexus, **news)
    assert outs["writable_member"] == "docker-hosted"


# ---- singletons ----------------------------------------------------------------------------------------------

def test_realms_lifecycle_adds_missing_keeps_others_and_gives_back_only_its_own(nexus):
    provider = provider_for(settings_res.ActiveRealmsProvider, nexus)
    inputs, outs = create(provider, nexus, realms=["NexusAuthenticatingRealm", "DockerToken"])
    assert nexus.active_realms == ["NexusAuthenticatingRealm", "DockerToken"]
    assert outs["added"] == ["DockerToken"] and nexus.counts["PUT"] == 1

    nexus.active_realms.insert(1, "LdapRealm")     # somebody else's realm: no drift for us
    read = provider.read(outs["__id"], outs)
    assert read.inputs == inputs and provider.diff(read.id, read.outs, inputs).changes is False

    nexus.active_realms.remove("DockerToken")      # drift: our realm deactivated
    read = provider.read(outs["__id"], outs)
    assert provider.diff(read.id, read.outs, inputs).changes is True
    outs = provider.update(read.id, read.outs, inputs).outs
    assert nexus.active_realms == ["NexusAuthenticatingRealm", "LdapRealm", "DockerToken"]

    news = checked(provider, nexus, realms=["NexusAuthenticatingRealm", "NpmToken"])
    outs = provider.update(read.id, outs, news).outs
    assert nexus.active_realms == ["NexusAuthenticatingRealm", "LdapRealm", "NpmToken"]
    assert outs["added"] == ["NpmToken"]

    provider.delete(read.id, outs)
    assert nexus.active_realms == ["NexusAuthenticatingRealm", "LdapRealm"]


def test_realms_already_active_need_no_write_and_stay_on_destroy(nexus):
    provider = provider_for(settings_res.ActiveRealmsProvider, nexus)
    _, outs = create(provider, nexus, realms=["NexusAuthenticatingRealm"])
    provider.delete(outs["__id"], outs)
    assert nexus.counts["PUT"] == 0 and nexus.active_realms == ["NexusAuthenticatingRealm"]


def test_unknown_realm_surfaces_nexus_text_and_changes_nothing(nexus):
    provider = provider_for(settings_res.ActiveRealmsProvider, nexus)
    with pytest.raises(NexusApiError, match=r"Unknown realmIds: \[NoSuchRealm\]"):
        create(provider, nexus, realms=["NexusAuthenticatingRealm", "NoSuchRealm"])
    assert nexus.active_realms == ["NexusAuthenticatingRealm"]


def test_anonymous_access_lifecycle_restores_what_it_found(nexus):
    provider = provider_for(settings_res.AnonymousAccessProvider, nexus)
    inputs, outs = create(provider, nexus, enabled=True)          # a fresh 3.87+ install has it off
    assert nexus.anonymous["enabled"] is True and outs["previous_enabled"] is False
    assert (outs["user_id"], outs["realm_name"]) == ("anonymous", "NexusAuthorizingRealm")

    nexus.anonymous["enabled"] = False             # drift
    read = provider.read(outs["__id"], outs)
    assert read.inputs == {**inputs, "enabled": False}
    assert provider.diff(read.id, read.outs, inputs).changes is True
    outs = provider.update(read.id, read.outs, inputs).outs
    assert nexus.anonymous["enabled"] is True and outs["previous_enabled"] is False

    provider.delete(read.id, outs)
    assert nexus.anonymous == {"enabled": False, "userId": "anonymous", "realmName": "NexusAuthorizingRealm"}


def test_anonymous_access_already_as_wanted_needs_no_write(nexus):
    provider = provider_for(settings_res.AnonymousAccessProvider, nexus)
    _, outs = create(provider, nexus, enabled=False)
    provider.delete(outs["__id"], outs)
    assert nexus.counts["PUT"] == 0 and nexus.anonymous["enabled"] is False


# ---- serialization -------------------------------------------------------------------------------------------

UNPICKLE = textwrap.dedent("""
    import base64, sys, dill
    for line in sys.stdin.read().split():
        provider = dill.loads(base64.b64decode(line))
        print(type(provider).__module__, type(provider).__name__, provider._password,
              type(provider.settings).__name__)
""")


def test_providers_round_trip_through_dill_by_reference_without_the_password():
    password = "pw-that-must-not-be-pickled-7f3a"
    serialized = []
    for provider_class in RESOURCES.values():
        provider = configured(provider_class(), password)
        blob = serialize_provider(provider)
        assert password.encode() not in base64.b64decode(blob)
        assert provider._password == password      # the live, configured instance keeps it
        serialized.append(blob)
    result = subprocess.run([sys.executable, "-c", UNPICKLE], input="\n".join(serialized), cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{c.__module__} {c.__name__} None ClientSettings"
                                          for c in RESOURCES.values()]


def test_concurrent_calls_on_one_provider_share_no_state(nexus):
    provider = provider_for(repos.DockerHostedRepositoryProvider, nexus)   # the host caches one instance per type
    errors: list[BaseException] = []

    def make(i: int) -> None:
        try:
            create(provider, nexus, name=f"docker-{i}", blob_store="default", http_port=9000 + i)
        except BaseException as exc:               # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=make, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and all(nexus.repository(f"docker-{i}") for i in range(4))
