"""The Nexus double answers as nexus-api.md documents, and its spec validation works (or says it was skipped)."""
from __future__ import annotations

import json
import re

import pytest
import requests

from tests.support.nexus_double import API, CHALLENGE, EULA_DISCLAIMER, NexusDouble, Reply
from tests.support.nexus_double_spec import SpecValidator, spec_path

HOSTED = {"name": "docker-hosted", "online": True,
          "storage": {"blobStoreName": "default", "strictContentTypeValidation": True, "writePolicy": "ALLOW"},
          "docker": {"v1Enabled": False, "forceBasicAuth": False}}
GROUP = {"name": "docker-group", "online": True,
         "storage": {"blobStoreName": "default", "strictContentTypeValidation": True},
         "group": {"memberNames": ["docker-hosted"]}, "docker": {"v1Enabled": False, "forceBasicAuth": False}}


def call(double: NexusDouble, method: str, path: str, body=None, *, auth: bool = True,
         password: str | None = None, accept: str = "application/json") -> requests.Response:
    return requests.request(method, double.url + API + path, json=body, headers={"Accept": accept}, timeout=5,
                            auth=("admin", password or double.password) if auth else None)


def expect_only_violations(double: NexusDouble, *fragments: str) -> None:
    """The validator flagged exactly these requests (when the spec is there); clear them for the fixture."""
    violations = double.validator.violations
    if double.validator.skipped:
        assert violations == []
    else:
        assert len(violations) == len(fragments) and all(f in v for f, v in zip(fragments, violations)), violations
    violations.clear()


# ---- spec validation -----------------------------------------------------------------------------------------

def test_traffic_is_validated_against_the_published_spec(nexus, nexus_spec):
    if nexus_spec is None:
        pytest.skip(f"{spec_path()} not found; spec validation skipped")
    assert call(nexus, "POST", "/v1/repositories/docker/hosted", HOSTED).status_code == 201
    assert nexus.validator.checked == 1 and nexus.validator.violations == []
    invalid = {k: v for k, v in HOSTED.items() if k != "docker"} | {"name": "docker-2"}
    assert call(nexus, "POST", "/v1/repositories/docker/hosted", invalid).status_code == 400
    expect_only_violations(nexus, "POST /v1/repositories/docker/hosted request")


def test_spec_gaps_are_specific_to_method_path_and_status(nexus_spec):
    if nexus_spec is None:
        pytest.skip(f"{spec_path()} not found; spec validation skipped")
    validator = SpecValidator(nexus_spec)
    auth = {"Authorization": "Basic YWRtaW46eA=="}
    not_found = Reply(404, b'{"id":"*","message":"\\"Repository not found\\""}', "application/json")
    validator.check("GET", "http://h" + API + "/v1/repositories/docker/hosted/x", auth, b"", not_found,
                    {"Content-Type": "application/json"})
    assert validator.violations == [] and len(validator.excused) == 1
    validator.check("GET", "http://h" + API + "/v1/repositories/docker/hosted/x", auth, b"", Reply(409),
                    {})
    assert len(validator.violations) == 1 and "409" in validator.violations[0]


def test_a_missing_spec_is_reported_as_skipped():
    validator = SpecValidator(None)
    validator.check("GET", "http://h/x", {}, b"", Reply(200), {})
    assert validator.skipped and validator.checked == 0


# ---- protocol ------------------------------------------------------------------------------------------------

def test_every_answer_carries_the_server_header_and_logins_are_checked(nexus):
    ok = call(nexus, "GET", "/v1/security/realms/active")
    status = call(nexus, "GET", "/v1/status", auth=False)
    denied = call(nexus, "GET", "/v1/security/realms/active", auth=False)
    assert [r.status_code for r in (ok, status, denied)] == [200, 200, 401]
    assert {r.headers["Server"] for r in (ok, status, denied)} == {"Nexus/3.94.0-12 (COMMUNITY)"}
    assert denied.headers["WWW-Authenticate"] == CHALLENGE and denied.content == b""
    expect_only_violations(nexus, "GET /v1/security/realms/active request")   # no login on a secured path
    assert call(nexus, "GET", "/v1/security/realms/active", password="wrong").status_code == 401
    assert nexus.counts["GET"] == 4


def test_status_answers_503_while_starting_or_frozen(nexus):
    nexus.starting = True
    assert [call(nexus, "GET", p, auth=False).status_code for p in ("/v1/status", "/v1/status/writable")] == \
        [503, 503]
    nexus.starting = False
    nexus.freeze()
    assert [call(nexus, "GET", p, auth=False).status_code for p in ("/v1/status", "/v1/status/writable")] == \
        [200, 503]


def test_the_server_header_can_be_off_and_a_source_build_says_core(nexus):
    nexus.server_header = False                     # 3.89 nexus.header.server=false, or a proxy that strips it
    answer = call(nexus, "GET", "/v1/status", auth=False)
    assert answer.status_code == 200 and "Server" not in answer.headers
    nexus.server_header, nexus.edition = True, "CORE"
    assert call(nexus, "GET", "/v1/status", auth=False).headers["Server"] == "Nexus/3.94.0-12 (CORE)"


def test_system_information_names_the_edition_per_node(nexus):
    nexus.edition = "PRO"
    info = call(nexus, "GET", "/beta/system/information").json()
    [(node, status)] = info["nexus-status"].items()
    assert status["edition"] == "PRO" and status["version"] == "3.94.0-12"
    assert info["nexus-node"][node]["node-id"] == node
    nexus.system_information = False
    assert call(nexus, "GET", "/beta/system/information").status_code == 404


# ---- repositories --------------------------------------------------------------------------------------------

def test_repository_status_codes_and_bodies(nexus):
    created = call(nexus, "POST", "/v1/repositories/docker/hosted", HOSTED)
    assert (created.status_code, created.content, created.headers.get("Location")) == (201, b"", None)
    got = call(nexus, "GET", "/v1/repositories/docker/hosted/DOCKER-HOSTED").json()     # names ignore case
    assert got["url"] == nexus.url + "/repository/docker-hosted" and "httpPort" not in got["docker"]
    updated = call(nexus, "PUT", "/v1/repositories/docker/hosted/docker-hosted",
                   {**HOSTED, "storage": {**HOSTED["storage"], "writePolicy": "allow_once"}})
    assert (updated.status_code, updated.content) == (204, b"")
    assert call(nexus, "GET", "/v1/repositories/docker/hosted/docker-hosted").json()["storage"]["writePolicy"] \
        == "allow_once"                                                              # stored as sent
    assert call(nexus, "DELETE", "/v1/repositories/docker-hosted").status_code == 204
    assert nexus.counts == {"POST": 1, "GET": 2, "PUT": 1, "DELETE": 1}


def test_unknown_repositories_give_the_documented_404s(nexus):
    other_format = call(nexus, "GET", "/v1/repositories/docker/hosted/maven-releases")
    assert other_format.status_code == 404
    assert other_format.json() == {"id": "*", "message": '"Repository not found"'}
    for method in ("PUT", "DELETE"):
        path = "/v1/repositories/docker/hosted/nope" if method == "PUT" else "/v1/repositories/nope"
        response = call(nexus, method, path, {**HOSTED, "name": "nope"} if method == "PUT" else None)
        assert (response.status_code, response.content) == (404, b"")


def test_validation_errors_follow_the_accept_header(nexus):
    bad = {**HOSTED, "name": "_bad"}
    as_json = call(nexus, "POST", "/v1/repositories/docker/hosted", bad)
    siesta = call(nexus, "POST", "/v1/repositories/docker/hosted", bad, accept="*/*")
    assert as_json.headers["Content-Type"] == "application/json"
    assert siesta.headers["Content-Type"] == "application/vnd.siesta-validation-errors-v1+json"
    assert as_json.json()[0]["id"] == "PARAMETER name" and "may not start with underscore" in as_json.json()[0]["message"]
    expect_only_violations(nexus, "POST /v1/repositories/docker/hosted request",
                           "POST /v1/repositories/docker/hosted request")


def test_a_duplicate_name_is_found_first_by_bean_validation_ignoring_case(nexus):
    assert call(nexus, "POST", "/v1/repositories/docker/hosted", HOSTED).status_code == 201
    duplicate = call(nexus, "POST", "/v1/repositories/docker/hosted", {**HOSTED, "name": "Docker-Hosted"})
    assert (duplicate.status_code, duplicate.json()) == \
        (400, [{"id": "PARAMETER name", "message": "Name is already used, must be unique (ignoring case)"}])
    # Before the resource's own checks (here a missing blob store), together with the other bean violations.
    other = call(nexus, "POST", "/v1/repositories/docker/hosted",
                 {**HOSTED, "online": None, "storage": {**HOSTED["storage"], "blobStoreName": "nope"}})
    assert other.json() == [{"id": "PARAMETER name", "message": "Name is already used, must be unique (ignoring case)"},
                            {"id": "PARAMETER online", "message": "must not be null"}]
    expect_only_violations(nexus, "POST /v1/repositories/docker/hosted request")
    assert len(nexus.repositories) == 2


def test_blob_store_and_rename_refusals_are_one_pre_quoted_object(nexus):
    # AbstractRepositoriesApiResource catches its ValidationErrorsException: the field id is lost (nexus-api §9).
    assert call(nexus, "POST", "/v1/repositories/docker/hosted", HOSTED).status_code == 201
    no_store = call(nexus, "POST", "/v1/repositories/docker/hosted",
                    {**HOSTED, "name": "x", "storage": {**HOSTED["storage"], "blobStoreName": "nope"}})
    assert (no_store.status_code, no_store.headers["Content-Type"], no_store.json()) == \
        (400, "application/json", {"id": "*", "message": '"Blob store not found"'})
    assert call(nexus, "POST", "/v1/blobstores/file", {"name": "other", "path": "other"}).status_code == 204
    moved = call(nexus, "PUT", "/v1/repositories/docker/hosted/docker-hosted",
                 {**HOSTED, "storage": {**HOSTED["storage"], "blobStoreName": "other"}})
    assert moved.json() == {"id": "*", "message": '"You cannot change a repository\u2019s blob store through the API"'}
    renamed = call(nexus, "PUT", "/v1/repositories/docker/hosted/docker-hosted", {**HOSTED, "name": "renamed"})
    assert renamed.json() == {"id": "*", "message": '"Renaming a repository is not supported"'}
    recased = call(nexus, "PUT", "/v1/repositories/docker/hosted/docker-hosted", {**HOSTED, "name": "Docker-Hosted"})
    assert recased.json() == renamed.json()                              # the name must match exactly
    unknown = call(nexus, "PUT", "/v1/repositories/docker/hosted/nope",
                   {**HOSTED, "name": "nope", "storage": {**HOSTED["storage"], "blobStoreName": "gone"}})
    assert unknown.json() == no_store.json()                             # checked before the 404


def test_group_members_are_checked_together_before_the_blob_store(nexus):
    missing = call(nexus, "POST", "/v1/repositories/docker/group",
                   {**GROUP, "storage": {**GROUP["storage"], "blobStoreName": "nope"},
                    "group": {"memberNames": ["a", "b"]}})
    assert missing.json() == [{"id": "HelperBean.memberNames", "message": "Member repository does not exist: a"},
                              {"id": "HelperBean.memberNames", "message": "Member repository does not exist: b"}]


def test_bean_validation_reports_a_missing_object_alone_and_a_missing_name_as_empty(nexus):
    body = {k: v for k, v in HOSTED.items() if k not in ("name", "storage")}
    refused = call(nexus, "POST", "/v1/repositories/docker/hosted", body)
    assert refused.json() == [{"id": "PARAMETER name", "message": "must not be empty"},
                              {"id": "PARAMETER storage", "message": "must not be null"}]
    expect_only_violations(nexus, "POST /v1/repositories/docker/hosted request")


def test_a_body_that_is_not_json_is_refused_with_nexus_text(nexus):
    answer = requests.post(nexus.url + API + "/v1/repositories/docker/hosted", data=b'{"name": ', timeout=5,
                           auth=("admin", nexus.password), headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.headers["Content-Type"]) == (400, "application/json")
    assert answer.json()["id"] == "*" and answer.json()["message"].startswith("Could not process the input: ")
    assert answer.headers["X-Siesta-FaultId"]
    expect_only_violations(nexus, "POST /v1/repositories/docker/hosted request")


def test_ports_already_used_or_jetty_are_refused(nexus):
    with_port = {**HOSTED, "docker": {**HOSTED["docker"], "httpPort": 9897}}
    assert call(nexus, "POST", "/v1/repositories/docker/hosted", with_port).status_code == 201
    for port in (9897, 8081):
        clash = call(nexus, "POST", "/v1/repositories/docker/hosted",
                     {**with_port, "name": f"p{port}", "docker": {**with_port["docker"], "httpPort": port}})
        assert clash.status_code == 400 and clash.json()[0]["id"] == "HelperBean.docker.httpPort"


def test_deleting_a_repository_removes_it_from_groups(nexus):
    call(nexus, "POST", "/v1/repositories/docker/hosted", HOSTED)
    call(nexus, "POST", "/v1/repositories/docker/hosted", {**HOSTED, "name": "second"})
    call(nexus, "POST", "/v1/repositories/docker/group", {**GROUP, "group": {"memberNames": ["docker-hosted",
                                                                                          "second"]}})
    call(nexus, "DELETE", "/v1/repositories/docker-hosted")
    group = call(nexus, "GET", "/v1/repositories/docker/group/docker-group").json()
    assert group["group"] == {"memberNames": ["second"]}                     # no writableMember key


def test_writable_member_is_a_pro_feature(nexus):
    call(nexus, "POST", "/v1/repositories/docker/hosted", HOSTED)
    pro_body = {**GROUP, "group": {"memberNames": ["docker-hosted"], "writableMember": "docker-hosted"}}
    for edition in ("COMMUNITY", "CORE"):
        nexus.edition = edition
        refused = call(nexus, "POST", "/v1/repositories/docker/group", pro_body)
        assert refused.json()[0]["id"] == "HelperBean.writableMember"
        assert "PRO-licensed" in refused.json()[0]["message"]
    nexus.edition = "PRO"
    call(nexus, "POST", "/v1/repositories/docker/hosted", {**HOSTED, "name": "other"})
    not_member = call(nexus, "POST", "/v1/repositories/docker/group",
                      {**pro_body, "group": {"memberNames": ["other"], "writableMember": "docker-hosted"}})
    assert not_member.json() == [{"id": "HelperBean.writableMember",
                                  "message": "Writable member must be a member of the group"}]
    no_members = call(nexus, "POST", "/v1/repositories/docker/group",
                      {**pro_body, "group": {"memberNames": [], "writableMember": "docker-hosted"}})
    assert no_members.json() == [{"id": "PARAMETER memberNames", "message": "must not be empty"}]
    expect_only_violations(nexus, "POST /v1/repositories/docker/group request")
    accepted = call(nexus, "POST", "/v1/repositories/docker/group", pro_body)
    assert accepted.status_code == 201 and accepted.headers["Server"].endswith("(PRO)")


# ---- blob stores ---------------------------------------------------------------------------------------------

def test_blob_store_codes_duplicates_and_in_use(nexus):
    created = call(nexus, "POST", "/v1/blobstores/file", {"name": "hosted", "path": "hosted"})
    assert (created.status_code, created.content) == (204, b"")
    duplicate = call(nexus, "POST", "/v1/blobstores/file", {"name": "HOSTED", "path": "x"})
    assert duplicate.json() == [{"id": "name", "message": "Name is already used, must be unique (ignoring case)"}]
    assert call(nexus, "GET", "/v1/blobstores/file/hosted").json() == {"path": "hosted"}       # no name, no quota
    missing = call(nexus, "GET", "/v1/blobstores/file/nope")
    assert (missing.status_code, missing.json()["message"]) == (404, "Unable to find File 'nope' blobstore")
    in_use = call(nexus, "DELETE", "/v1/blobstores/default")
    assert (in_use.status_code, in_use.json()) == \
        (400, {"id": "*", "message": '"BlobStore default is in use and cannot be deleted"'})
    assert call(nexus, "DELETE", "/v1/blobstores/nope").json()["message"] == "Unable to find  'nope' blobstore"
    assert call(nexus, "DELETE", "/v1/blobstores/hosted").status_code == 204


# ---- security ------------------------------------------------------------------------------------------------

def test_realms_put_replaces_the_list_and_refuses_unknown_ids(nexus):
    available = [r["id"] for r in call(nexus, "GET", "/v1/security/realms/available").json()]
    assert "DockerToken" in available and "NexusAuthorizingRealm" not in available
    assert call(nexus, "PUT", "/v1/security/realms/active", ["DockerToken"]).status_code == 204
    assert call(nexus, "GET", "/v1/security/realms/active").json() == ["DockerToken"]
    refused = call(nexus, "PUT", "/v1/security/realms/active", ["DockerToken", "NexusAuthorizingRealm", "X"])
    assert refused.status_code == 400 and refused.headers["Content-Type"] == "text/plain"
    assert refused.text == "ValidationErrorXO{id='*', message='\"Unknown realmIds: [NexusAuthorizingRealm, X]\"'}"


def test_anonymous_access_is_off_on_a_fresh_install_and_put_answers_the_saved_settings(nexus):
    assert call(nexus, "GET", "/v1/security/anonymous").json() == \
        {"enabled": False, "userId": "anonymous", "realmName": "NexusAuthorizingRealm"}      # 3.87+
    saved = call(nexus, "PUT", "/v1/security/anonymous",
                 {"enabled": True, "userId": "anonymous", "realmName": "NexusAuthorizingRealm"})
    assert (saved.status_code, saved.json()["enabled"]) == (200, True)


def test_anonymous_realm_must_be_installed_an_active_one_or_the_authorizing_realm(nexus):
    docker = {"enabled": True, "userId": "anonymous", "realmName": "DockerToken"}
    for realm in ("NoSuch", "DockerToken"):                            # DockerToken is not active yet
        refused = call(nexus, "PUT", "/v1/security/anonymous", {**docker, "realmName": realm})
        assert refused.json() == [{"id": "realmName", "message": "Realm does not exist"}]
    call(nexus, "PUT", "/v1/security/realms/active", ["NexusAuthenticatingRealm", "DockerToken"])
    assert call(nexus, "PUT", "/v1/security/anonymous", docker).json() == docker


def test_forced_answers_are_used_once(nexus):
    nexus.force("GET", "/v1/security/anonymous", Reply(401, headers={"WWW-Authenticate": CHALLENGE}))
    assert [call(nexus, "GET", "/v1/security/anonymous").status_code for _ in range(2)] == [401, 200]
    assert json.loads(call(nexus, "GET", "/v1/blobstores").content)[0]["name"] == "default"


# ---- Community Edition EULA ----------------------------------------------------------------------------------

def test_eula_needs_the_exact_disclaimer_and_accepts_once(nexus):
    status = call(nexus, "GET", "/v1/system/eula").json()
    assert status == {"accepted": False, "disclaimer": EULA_DISCLAIMER}
    wrong = call(nexus, "POST", "/v1/system/eula", {"accepted": True, "disclaimer": EULA_DISCLAIMER.strip() + "."})
    assert (wrong.status_code, wrong.headers["Content-Type"]) == (500, "text/plain")
    fault = re.fullmatch(r"ERROR: \(ID ([0-9a-f-]{36})\) java\.lang\.IllegalArgumentException: "
                         r"Invalid EULA disclaimer", wrong.text)
    assert fault[1] == wrong.headers["X-Siesta-FaultId"]
    refusing = call(nexus, "POST", "/v1/system/eula", status)             # 3.78+: accepted:false is refused
    assert refusing.status_code == 500 and refusing.text.endswith("EULA must be accepted")
    accepted = call(nexus, "POST", "/v1/system/eula", status | {"accepted": True})
    assert (accepted.status_code, accepted.content, nexus.eula_accepted) == (204, b"", True)
    again = call(nexus, "POST", "/v1/system/eula", status | {"accepted": True})   # 3.82+: 204, nothing changes
    revoke = call(nexus, "POST", "/v1/system/eula", status)
    assert (again.status_code, revoke.status_code, nexus.eula_accepted) == (204, 500, True)


def test_eula_is_served_on_pro_and_source_builds_but_not_by_old_servers_or_stripped_routes(nexus):
    for edition in ("PRO", "CORE"):                                      # no edition check in the resource
        nexus.edition = edition
        assert call(nexus, "GET", "/v1/system/eula").json() == {"accepted": False, "disclaimer": EULA_DISCLAIMER}
    body = {"accepted": True, "disclaimer": EULA_DISCLAIMER}
    nexus.edition = "OSS"                                                # before 3.77
    answers = [call(nexus, "GET", "/v1/system/eula"), call(nexus, "POST", "/v1/system/eula", body)]
    nexus.edition, nexus.eula_route = "COMMUNITY", False
    answers += [call(nexus, "GET", "/v1/system/eula"), call(nexus, "POST", "/v1/system/eula", body)]
    assert [(x.status_code, x.content) for x in answers] == [(404, b"")] * 4 and nexus.eula_accepted is False
    assert nexus.validator.skipped or len(nexus.validator.excused) == 4     # the 404s, through their spec gap


# ---- read-only (frozen) mode ---------------------------------------------------------------------------------

def test_a_frozen_nexus_serves_reads_and_refuses_writes_with_503(nexus):
    nexus.freeze()
    assert call(nexus, "GET", "/v1/repositories").status_code == 200
    refused = [call(nexus, "POST", "/v1/repositories/docker/hosted", HOSTED),
               call(nexus, "POST", "/v1/blobstores/file", {"name": "b", "path": "b"}),
               call(nexus, "PUT", "/v1/security/realms/active", ["NexusAuthenticatingRealm", "DockerToken"]),
               call(nexus, "DELETE", "/v1/repositories/maven-releases")]
    for answer in refused:
        assert (answer.status_code, answer.headers["Content-Type"]) == (503, "text/plain")
        fault_id = answer.headers["X-Siesta-FaultId"]
        assert answer.text == f"Nexus Repository Manager is in read-only mode: (ID {fault_id})"
    # A request Nexus refuses on its own terms is refused as before: the freeze stops the write, not the checks.
    assert call(nexus, "POST", "/v1/repositories/docker/hosted", {**HOSTED, "name": "_x"}).status_code == 400
    expect_only_violations(nexus, "POST /v1/repositories/docker/hosted request")
    assert len(nexus.repositories) == 1 and "b" not in nexus.blob_stores and nexus.active_realms == \
        ["NexusAuthenticatingRealm"]


def test_read_only_state_and_release_by_an_administrator(nexus):
    assert call(nexus, "GET", "/v1/read-only").json() == \
        {"frozen": False, "summaryReason": "", "systemInitiated": False}
    assert call(nexus, "POST", "/v1/read-only/release").status_code == 404          # no change to read-only state
    assert call(nexus, "POST", "/v1/read-only/freeze").status_code == 204
    assert call(nexus, "POST", "/v1/read-only/freeze").status_code == 404
    state = call(nexus, "GET", "/v1/read-only").json()
    assert state["frozen"] is True and state["systemInitiated"] is False
    assert re.fullmatch(r"Requested by an administrator at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00",
                        state["summaryReason"])
    released = call(nexus, "POST", "/v1/read-only/release")
    assert (released.status_code, released.content, nexus.frozen) == (204, b"", False)
    assert call(nexus, "GET", "/v1/status/writable", auth=False).status_code == 200


def test_a_freeze_by_a_system_task_is_not_released_only_forced(nexus):
    nexus.freeze(task="backup-task")
    assert call(nexus, "GET", "/v1/read-only").json() == \
        {"frozen": True, "summaryReason": "1 running system task(s)", "systemInitiated": True}
    assert call(nexus, "POST", "/v1/read-only/release").status_code == 404 and nexus.frozen
    assert call(nexus, "POST", "/v1/read-only/force-release").status_code == 204 and not nexus.frozen
    assert nexus.validator.skipped or {gap.path for gap, _ in nexus.validator.excused} == \
        {r"/v1/read-only(/freeze|/release|/force-release)?"}           # paths the 3.94 spec file lacks
