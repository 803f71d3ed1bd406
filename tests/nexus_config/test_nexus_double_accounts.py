"""The Nexus double's roles, users and logins answer as Nexus does (tests/support/nexus_double_accounts.py lists
the sources); every exchange here is validated against the published spec by the `nexus` fixture."""
from __future__ import annotations

import requests

from tests.nexus_config.test_nexus_double import HOSTED, call, expect_only_violations
from tests.support.nexus_double import API, NexusDouble
from tests.support.nexus_double_accounts import NAME_MESSAGE

READ = "nx-repository-view-docker-docker-hosted-read"
ROLE = {"id": "pushers", "name": "pushers", "description": "push", "privileges": [READ], "roles": []}
USER = {"userId": "ci", "firstName": "ci", "lastName": "bot", "emailAddress": "ci@example.org",
        "password": "first-password", "status": "active", "roles": ["pushers"]}


def message(response: requests.Response) -> str:
    return response.json()["message"]


def with_hosted(double: NexusDouble) -> NexusDouble:
    assert call(double, "POST", "/v1/repositories/docker/hosted", HOSTED).status_code == 201
    return double


def change_password(double: NexusDouble, user: str, body: str, content_type: str = "text/plain") -> int:
    return requests.put(f"{double.url}{API}/v1/security/users/{user}/change-password", data=body.encode(),
                        headers={"Content-Type": content_type}, auth=("admin", double.password),
                        timeout=5).status_code


# ---- roles and privileges ------------------------------------------------------------------------------------

def test_a_fresh_install_has_the_builtin_roles_and_users(nexus):
    assert [r["id"] for r in call(nexus, "GET", "/v1/security/roles").json()] == ["nx-admin", "nx-anonymous"]
    users = call(nexus, "GET", "/v1/security/users?source=default").json()
    assert [u["userId"] for u in users] == ["admin", "anonymous"] and all("password" not in u for u in users)


def test_role_create_answers_the_role_and_refuses_duplicates_and_unknown_privileges(nexus):
    with_hosted(nexus)
    created = call(nexus, "POST", "/v1/security/roles", ROLE)
    assert created.status_code == 200 and created.json()["source"] == "default"
    duplicate = call(nexus, "POST", "/v1/security/roles", ROLE)
    assert duplicate.status_code == 400
    assert message(duplicate) == "\"Role 'pushers' already exists, use a unique roleId.\""
    unknown = call(nexus, "POST", "/v1/security/roles", {**ROLE, "id": "other", "privileges": ["nx-nope"]})
    assert unknown.status_code == 400 and "Privilege 'nx-nope' contained in role 'other' not found." in message(unknown)
    assert "other" not in nexus.roles
    missing = call(nexus, "GET", "/v1/security/roles/nobody")
    assert missing.status_code == 404 and message(missing) == "\"Role 'nobody' not found.\""


def test_role_update_checks_the_id_and_drops_unknown_privileges(nexus):
    with_hosted(nexus)
    call(nexus, "POST", "/v1/security/roles", ROLE)
    assert call(nexus, "PUT", "/v1/security/roles/pushers", {**ROLE, "id": "x"}).status_code == 409
    assert call(nexus, "PUT", "/v1/security/roles/nobody", {**ROLE, "id": "nobody"}).status_code == 404
    kept = call(nexus, "PUT", "/v1/security/roles/pushers", {**ROLE, "privileges": [READ, "nx-nope"]})
    assert kept.status_code == 204 and nexus.roles["pushers"]["privileges"] == [READ]   # 3.91+


def test_deleting_a_repository_strips_its_privileges_for_good(nexus):
    with_hosted(nexus)
    call(nexus, "POST", "/v1/security/roles", ROLE)
    assert call(nexus, "DELETE", "/v1/repositories/docker-hosted").status_code == 204
    assert nexus.roles["pushers"]["privileges"] == []
    with_hosted(nexus)
    assert nexus.roles["pushers"]["privileges"] == []


def test_deleting_a_role_takes_it_from_every_user_for_good(nexus):
    with_hosted(nexus)
    call(nexus, "POST", "/v1/security/roles", ROLE)
    call(nexus, "POST", "/v1/security/users", USER)
    assert call(nexus, "DELETE", "/v1/security/roles/pushers").status_code == 204
    assert nexus.users["ci"]["roles"] == []
    call(nexus, "POST", "/v1/security/roles", ROLE)
    assert nexus.users["ci"]["roles"] == []


# ---- users ---------------------------------------------------------------------------------------------------

def test_user_create_validates_the_body_and_answers_500_on_a_duplicate(nexus):
    bad = call(nexus, "POST", "/v1/security/users", {**USER, "userId": "_ci", "emailAddress": "", "roles": []})
    assert bad.status_code == 400
    assert bad.json() == [{"id": "PARAMETER emailAddress", "message": "must not be empty"},
                          {"id": "PARAMETER userId", "message": NAME_MESSAGE},
                          {"id": "PARAMETER roles", "message": "must not be empty"}]
    expect_only_violations(nexus, "POST /v1/security/users request")      # a bad body on purpose
    assert call(nexus, "POST", "/v1/security/users", USER).status_code == 200
    duplicate = call(nexus, "POST", "/v1/security/users", USER)
    assert duplicate.status_code == 500 and duplicate.headers["Content-Type"] == "text/plain"
    assert "DuplicateUserException" in duplicate.text and duplicate.headers["X-Siesta-FaultId"]


def test_unknown_roles_on_create_are_kept_but_hidden_until_the_role_exists(nexus):
    with_hosted(nexus)
    created = call(nexus, "POST", "/v1/security/users", USER)
    assert created.json()["roles"] == ["pushers"]                       # the answer echoes the request
    assert call(nexus, "GET", "/v1/security/users?userId=ci").json()[0]["roles"] == []
    call(nexus, "POST", "/v1/security/roles", ROLE)
    assert call(nexus, "GET", "/v1/security/users?userId=ci").json()[0]["roles"] == ["pushers"]


def test_user_search_is_a_case_insensitive_prefix(nexus):
    call(nexus, "POST", "/v1/security/users", USER)
    call(nexus, "POST", "/v1/security/users", {**USER, "userId": "CI-2"})
    assert [u["userId"] for u in call(nexus, "GET", "/v1/security/users?userId=ci&source=default").json()] == \
        ["CI-2", "ci"]


def test_user_update_checks_path_roles_and_existence(nexus):
    call(nexus, "POST", "/v1/security/users", USER)
    update = {k: v for k, v in USER.items() if k != "password"} | {"source": "default", "roles": ["nx-anonymous"]}
    mismatch = call(nexus, "PUT", "/v1/security/users/other", update)
    assert mismatch.status_code == 400 and message(mismatch) == "\"The path's userId does not match the body\""
    unknown_role = call(nexus, "PUT", "/v1/security/users/ci", {**update, "roles": ["nope"]})
    assert unknown_role.status_code == 400
    assert unknown_role.json() == [{"id": "roles", "message": "Unable to locate roleId: nope"}]
    gone = call(nexus, "PUT", "/v1/security/users/ghost", {**update, "userId": "ghost"})
    assert gone.status_code == 404 and message(gone) == "\"User 'ghost' not found.\""
    assert call(nexus, "PUT", "/v1/security/users/ci", update).status_code == 204
    assert nexus.users["ci"]["roles"] == ["nx-anonymous"] and nexus.users["ci"]["password"] == "first-password"


def test_change_password_takes_text_plain_only(nexus):
    call(nexus, "POST", "/v1/security/users", USER)
    assert change_password(nexus, "ci", '"json-password"', "application/json") == 415
    expect_only_violations(nexus, "PUT /v1/security/users/ci/change-password request")    # on purpose
    assert change_password(nexus, "ci", "  ") == 400
    assert change_password(nexus, "ghost", "new-password") == 404
    assert change_password(nexus, "ci", "new-password") == 204
    assert nexus.users["ci"]["password"] == "new-password"


# ---- logins as local users -----------------------------------------------------------------------------------

def test_a_local_user_authenticates_but_holds_no_rest_privilege(nexus):
    call(nexus, "POST", "/v1/security/users", USER)
    assert nexus.login_status("ci", "first-password") == 403
    wrong = requests.get(f"{nexus.url}{API}/v1/security/roles", auth=("ci", "nope"), timeout=5)
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("BASIC")
    nexus.users["ci"]["status"] = "disabled"
    assert nexus.login_status("ci", "first-password") == 401
    assert nexus.login_status("anonymous", "") == 401


def test_changing_admins_password_changes_the_admin_login(nexus):
    assert change_password(nexus, "admin", "new-admin-password") == 204
    assert nexus.password == "new-admin-password"
    assert call(nexus, "GET", "/v1/security/roles", password="new-admin-password").status_code == 200


def test_account_writes_are_refused_while_frozen(nexus):
    call(nexus, "POST", "/v1/security/users", USER)
    nexus.freeze()
    assert change_password(nexus, "ci", "new-password") == 503
    refused = call(nexus, "POST", "/v1/security/roles", {**ROLE, "privileges": []})
    assert refused.status_code == 503 and "read-only mode" in refused.text
    assert nexus.users["ci"]["password"] == "first-password" and "pushers" not in nexus.roles
