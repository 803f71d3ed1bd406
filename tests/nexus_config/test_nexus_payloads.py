"""Pure payload builders, normalisers, input checks and realm planning (no HTTP)."""
from __future__ import annotations

import pytest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from components.nexus_config import fields as f
from components.nexus_config import repository_payloads as rp
from components.nexus_config import server_settings_payloads as sp

URL = "http://nexus.example:30081"


def checked(fields, news, cross_check=None):
    inputs, failures = f.check_inputs(fields, news, cross_check)
    assert failures == [], failures
    return inputs


def failures_of(fields, news, cross_check=None) -> dict[str, str]:
    return dict(f.check_inputs(fields, news, cross_check)[1])


# ---- check ---------------------------------------------------------------------------------------------------

def test_hosted_defaults_are_filled_and_values_normalised():
    inputs = checked(rp.HOSTED_FIELDS, {"nexus_url": URL + "/", "name": "docker-hosted", "blob_store": "b",
                                       "http_port": 9897.0, "write_policy": "ALLOW_ONCE", "url": None,
                                       "__provider": "serialized"})
    assert inputs == {"nexus_url": URL, "name": "docker-hosted", "blob_store": "b", "http_port": 9897,
                      "force_basic_auth": False, "v1_enabled": False, "strict_content_type_validation": True,
                      "online": True, "write_policy": "allow_once", "cleanup_policies": [],
                      "adopt_existing": False, "retain_adopted": True}
    assert isinstance(inputs["http_port"], int)


@pytest.mark.parametrize("key, value, reason", [
    ("name", "_hidden", "name pattern"),
    ("name", "has space", "name pattern"),
    ("blob_store", ".dot", "name pattern"),
    ("http_port", 8081, "Jetty"),
    ("http_port", 0, "between 1 and 65535"),
    ("http_port", 70000, "between 1 and 65535"),
    ("http_port", 9897.5, "integer"),
    ("http_port", True, "integer"),
    ("write_policy", "sometimes", "allow, allow_once, deny"),
    ("online", "yes", "true or false"),
    ("nexus_url", "ftp://nexus", "http:// or https://"),
    ("nexus_url", "", "nexusUrl"),
])
def test_hosted_check_names_the_field_and_the_bad_value(key, value, reason):
    news = {"nexus_url": URL, "name": "docker-hosted", "blob_store": "b", key: value}
    failures = failures_of(rp.HOSTED_FIELDS, news)
    assert list(failures) == [key]
    assert reason in failures[key] and key in failures[key]
    if value not in ("", None):
        assert repr(value) in failures[key]


def test_missing_required_inputs_are_reported_by_name():
    failures = failures_of(rp.PROXY_FIELDS, {"nexus_url": URL})
    assert set(failures) == {"name", "blob_store", "remote_url"}
    assert failures["remote_url"] == "remote_url is required"


def test_a_url_with_credentials_is_refused_without_echoing_them():
    failures = failures_of(rp.BLOB_STORE_FIELDS, {"nexus_url": "http://admin:s3cret@nexus:8081", "name": "b"})
    assert "adminPassword" in failures["nexus_url"]
    assert "s3cret" not in failures["nexus_url"] and "***@nexus" in failures["nexus_url"]


def test_blob_store_path_defaults_to_name_and_soft_quota_is_checked():
    assert checked(rp.BLOB_STORE_FIELDS, {"nexus_url": URL, "name": "hosted"})["path"] == "hosted"
    quota = {"type": "spaceRemainingQuota", "limit": 1024.0}
    assert checked(rp.BLOB_STORE_FIELDS, {"nexus_url": URL, "name": "b", "soft_quota": quota})["soft_quota"] == \
        {"type": "spaceRemainingQuota", "limit": 1024}
    bad = failures_of(rp.BLOB_STORE_FIELDS, {"nexus_url": URL, "name": "b", "soft_quota": {"type": "x", "limit": 1}})
    assert "spaceRemainingQuota, spaceUsedQuota" in bad["soft_quota"]


def test_group_members_must_be_unique_ignoring_case_and_writable_member_a_member():
    base = {"nexus_url": URL, "name": "g", "blob_store": "b"}
    assert "ignoring case" in failures_of(rp.GROUP_FIELDS, {**base, "members": ["a", "A"]})["members"]
    assert "non-empty" in failures_of(rp.GROUP_FIELDS, {**base, "members": []})["members"]
    failures = failures_of(rp.GROUP_FIELDS, {**base, "members": ["a"], "writable_member": "b"}, rp.group_cross_check)
    assert "must be one of members" in failures["writable_member"]


def test_proxy_custom_index_needs_an_index_url_and_others_refuse_one():
    base = {"nexus_url": URL, "name": "p", "blob_store": "b", "remote_url": "https://r.example"}
    assert "required" in failures_of(rp.PROXY_FIELDS, {**base, "docker_index": "custom"},
                                     rp.proxy_cross_check)["index_url"]
    assert "only used" in failures_of(rp.PROXY_FIELDS, {**base, "index_url": "https://i.example"},
                                      rp.proxy_cross_check)["index_url"]
    inputs = checked(rp.PROXY_FIELDS, {**base, "docker_index": "custom", "index_url": "https://i.example"},
                     rp.proxy_cross_check)
    assert inputs["docker_index"] == "CUSTOM"


# The engine's placeholder string, and what the SDK's provider server turns it into before check() and diff().
UNKNOWNS = pytest.mark.parametrize("unknown", [UNKNOWN, Unknown()], ids=["wire-string", "sdk-object"])


@UNKNOWNS
def test_unknown_preview_values_pass_check_unvalidated(unknown):
    inputs = checked(rp.GROUP_FIELDS, {"nexus_url": unknown, "name": "g", "blob_store": unknown,
                                      "members": ["docker-hosted", unknown], "http_port": unknown},
                     rp.group_cross_check)
    assert inputs["nexus_url"] is unknown and inputs["members"] == ["docker-hosted", unknown]
    assert inputs["http_port"] is unknown
    assert f.diff_inputs(rp.GROUP_FIELDS, {**inputs, "nexus_url": URL}, inputs)[0] == [
        "nexus_url", "blob_store", "http_port", "members"]


# ---- diff ----------------------------------------------------------------------------------------------------

HOSTED = {"nexus_url": URL, "name": "docker-hosted", "blob_store": "b", "http_port": 9897,
          "force_basic_auth": False, "v1_enabled": False, "strict_content_type_validation": True,
          "online": True, "write_policy": "allow", "cleanup_policies": [], "url": URL + "/repository/docker-hosted"}


@pytest.mark.parametrize("change, changed, replaces", [
    ({}, [], []),
    ({"write_policy": "ALLOW"}, [], []),                       # case-only: Nexus ignores it
    ({"http_port": 9897.0}, [], []),                           # numbers cross the RPC as floats
    ({"name": "docker-hosted-2"}, ["name"], ["name"]),
    ({"blob_store": "other"}, ["blob_store"], ["blob_store"]),
    ({"nexus_url": "http://elsewhere:8081"}, ["nexus_url"], []),
    ({"http_port": None, "online": False}, ["http_port", "online"], []),
    ({"blob_store": UNKNOWN}, ["blob_store"], ["blob_store"]),
    ({"force_basic_auth": UNKNOWN}, ["force_basic_auth"], []),
])
def test_diff_marks_renames_and_blob_store_moves_as_replacements(change, changed, replaces):
    news = {k: v for k, v in {**HOSTED, **change}.items() if k != "url"}
    assert f.diff_inputs(rp.HOSTED_FIELDS, HOSTED, news) == (changed, replaces)


def test_diff_keeps_group_member_order_significant():
    old = {"members": ["hosted", "proxy"]}
    assert f.diff_inputs(rp.GROUP_FIELDS, old, {"members": ["proxy", "hosted"]})[0] == ["members"]
    assert f.diff_inputs(rp.GROUP_FIELDS, old, {"members": ["Hosted", "proxy"]})[0] == []


def test_diff_of_blob_store_path_is_case_sensitive():
    assert f.diff_inputs(rp.BLOB_STORE_FIELDS, {"path": "/data/Blobs"}, {"path": "/data/blobs"})[0] == ["path"]


# ---- request builders and read normalisers -------------------------------------------------------------------

def test_from_wire_gives_whole_numbers_back_as_integers_and_leaves_the_rest():
    value = {"http_port": 9897.0, "soft_quota": {"type": "spaceUsedQuota", "limit": 1024.0}, "ratio": 0.5,
             "members": ["a", 2.0], "online": True, "name": "docker-hosted", "none": None}
    normalised = f.from_wire(value)
    assert normalised == {"http_port": 9897, "soft_quota": {"type": "spaceUsedQuota", "limit": 1024},
                          "ratio": 0.5, "members": ["a", 2], "online": True, "name": "docker-hosted", "none": None}
    assert type(normalised["http_port"]) is int and type(normalised["soft_quota"]["limit"]) is int
    assert normalised["online"] is True


def test_hosted_request_sends_uppercase_policy_and_port_only_when_set():
    body = rp.hosted_request(HOSTED)
    assert body == {"name": "docker-hosted", "online": True,
                    "storage": {"blobStoreName": "b", "strictContentTypeValidation": True, "writePolicy": "ALLOW"},
                    "docker": {"v1Enabled": False, "forceBasicAuth": False, "httpPort": 9897}}
    assert "httpPort" not in rp.hosted_request({**HOSTED, "http_port": None})["docker"]


def test_proxy_request_is_complete_and_hub_has_no_index_url():
    inputs = checked(rp.PROXY_FIELDS, {"nexus_url": URL, "name": "docker-proxy", "blob_store": "b",
                                      "remote_url": "https://registry-1.docker.io"})
    body = rp.proxy_request(inputs)
    assert set(body) == {"name", "online", "storage", "docker", "proxy", "negativeCache", "httpClient",
                         "dockerProxy"}
    assert body["dockerProxy"] == {"indexType": "HUB"}
    assert body["proxy"] == {"remoteUrl": "https://registry-1.docker.io", "contentMaxAge": 1440,
                             "metadataMaxAge": 1440}
    assert body["negativeCache"] == {"enabled": True, "timeToLive": 1440}
    custom = rp.proxy_request({**inputs, "docker_index": "CUSTOM", "index_url": "https://index.example"})
    assert custom["dockerProxy"] == {"indexType": "CUSTOM", "indexUrl": "https://index.example"}


def test_group_request_keeps_member_order_and_sends_writable_member_only_when_set():
    inputs = {**HOSTED, "members": ["hosted", "proxy"], "writable_member": None}
    assert rp.group_request(inputs)["group"] == {"memberNames": ["hosted", "proxy"]}
    assert rp.group_request({**inputs, "writable_member": "hosted"})["group"]["writableMember"] == "hosted"
    assert "writePolicy" not in rp.group_request(inputs)["storage"]


def test_read_normalisers_map_nexus_bodies_to_our_inputs():
    body = {"name": "docker-hosted", "format": "docker", "type": "hosted", "url": "u", "online": True,
            "storage": {"blobStoreName": "b", "strictContentTypeValidation": True, "writePolicy": "ALLOW_ONCE"},
            "docker": {"v1Enabled": False, "forceBasicAuth": True, "httpPort": None}}
    outs = rp.hosted_outs(body)
    assert outs["write_policy"] == "allow_once" and outs["http_port"] is None and outs["force_basic_auth"] is True
    assert rp.hosted_outs({**body, "storage": {"blobStoreName": "b"}})["write_policy"] == "allow"   # Nexus default
    group = rp.group_outs({**body, "type": "group", "group": {"memberNames": ["a", "b"]}})
    assert group["members"] == ["a", "b"] and group["writable_member"] is None
    assert rp.blob_store_outs("b", {"path": "b", "softQuota": None}) == \
        {"name": "b", "path": "b", "soft_quota": None, "quota_status": None}


def test_a_built_request_read_back_gives_the_same_inputs():
    inputs = {k: v for k, v in HOSTED.items() if k != "url"}
    outs = {"nexus_url": URL, **rp.hosted_outs({**rp.hosted_request(inputs), "url": "u"})}
    carried = {"adopt_existing": False, "retain_adopted": True}      # ours: the provider carries them, Nexus has none
    assert f.inputs_from_outs(rp.HOSTED_FIELDS, {**outs, **carried}) == {**inputs, **carried}


def test_anonymous_request_keeps_user_and_realm():
    current = {"enabled": True, "userId": "guest", "realmName": "LdapRealm"}
    assert sp.anonymous_request(current, False) == {"enabled": False, "userId": "guest", "realmName": "LdapRealm"}
    assert sp.anonymous_request({}, True) == {"enabled": True, "userId": "anonymous",
                                             "realmName": "NexusAuthorizingRealm"}


# ---- realms --------------------------------------------------------------------------------------------------

def test_plan_realms_appends_missing_in_order_and_owns_only_what_it_added():
    active = ["NexusAuthenticatingRealm", "LdapRealm"]
    assert sp.plan_realms(active, ["DockerToken", "NexusAuthenticatingRealm", "NpmToken"]) == (
        ["NexusAuthenticatingRealm", "LdapRealm", "DockerToken", "NpmToken"], ["DockerToken", "NpmToken"])
    assert sp.plan_realms(active, ["LdapRealm"]) == (active, [])


def test_plan_realms_gives_back_owned_realms_no_longer_requested():
    active = ["NexusAuthenticatingRealm", "DockerToken", "NpmToken"]
    new_active, owned = sp.plan_realms(active, ["NexusAuthenticatingRealm", "NpmToken"], ["DockerToken", "NpmToken"])
    assert new_active == ["NexusAuthenticatingRealm", "NpmToken"] and owned == ["NpmToken"]


def test_release_realms_never_removes_the_local_authenticating_realm():
    active = ["NexusAuthenticatingRealm", "LdapRealm", "DockerToken"]
    assert sp.release_realms(active, ["NexusAuthenticatingRealm", "DockerToken"]) == \
        ["NexusAuthenticatingRealm", "LdapRealm"]


# ---- Community Edition EULA ----------------------------------------------------------------------------------

def test_eula_request_echoes_the_disclaimer_byte_for_byte_and_outs_keep_only_a_digest():
    disclaimer = "Line one \u2018quoted\u2019\n  line two with trailing space "
    assert sp.eula_request({"accepted": False, "disclaimer": disclaimer}) == \
        {"accepted": True, "disclaimer": disclaimer}
    outs = sp.eula_outs({"accepted": False, "disclaimer": disclaimer})
    assert outs["accepted"] is False and outs["required"] is True and len(outs["disclaimer_sha256"]) == 64
    assert sp.eula_outs(None) == {"accepted": None, "required": False, "disclaimer_sha256": None}   # 404: no EULA
    assert checked(sp.EULA_FIELDS, {"nexus_url": URL}) == {"nexus_url": URL, "accepted": False}


EULA_OUTS = {"nexus_url": URL, "accepted": True, "required": True, "disclaimer_sha256": "d"}


@pytest.mark.parametrize("olds, news, changed", [
    ({}, {"accepted": True}, []),                                    # accepted in Nexus, still wanted
    ({}, {"accepted": False}, []),                                   # accepted elsewhere: never revoked
    ({"accepted": False}, {"accepted": True}, ["accepted"]),         # reset, or acceptEula switched on
    ({"accepted": False}, {"accepted": False}, []),                  # create/update will refuse, not diff
    ({"accepted": None, "required": False}, {"accepted": True}, []), # no EULA endpoint (Pro, old OSS)
    ({}, {"accepted": UNKNOWN}, ["accepted"]),
    ({}, {"nexus_url": "http://elsewhere:8081", "accepted": True}, ["nexus_url"]),
])
def test_eula_diff_acts_only_when_acceptance_is_wanted_and_missing(olds, news, changed):
    assert sp.eula_changes({**EULA_OUTS, **olds}, {"nexus_url": URL, **news}) == changed
