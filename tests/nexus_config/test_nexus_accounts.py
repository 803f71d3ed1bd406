"""Roles and local users (components/nexus_config/accounts.py) against the Nexus double over real HTTP:
lifecycle, drift, password rotation, convergence, and objects somebody else created left alone."""
from __future__ import annotations

import copy
import string

import pulumi
import pytest

from components.nexus_config import accounts
from components.nexus_config import accounts_payloads as ap
from components.nexus_config import repositories as repos
from components.nexus_config.client import (NexusConflictError, NexusError, NexusReadOnlyError,
                                            NexusUnavailableError)
from tests.support.nexus_double import NexusDouble, empty
from tests.support.nexus_fixtures import checked, create, provider_for

PUSH_ROLE = "nexus-registry-docker-push"
PULL_ROLE = "nexus-registry-docker-pull"
URL_SAFE = set(string.ascii_letters + string.digits + "-_")


def make_repositories(double: NexusDouble) -> None:
    create(provider_for(repos.DockerHostedRepositoryProvider, double), double, name="docker-hosted",
           blob_store="default")
    create(provider_for(repos.DockerGroupRepositoryProvider, double), double, name="docker-group",
           blob_store="default", members=["docker-hosted"])


def make_role(double: NexusDouble, role_id: str = PUSH_ROLE, repository: str = "docker-hosted",
              actions: tuple[str, ...] = ap.PUSH_ACTIONS) -> tuple[accounts.RoleProvider, dict, dict]:
    provider = provider_for(accounts.RoleProvider, double)
    inputs, outs = create(provider, double, name=role_id, description=f"docker access to {repository}",
                          privileges=ap.repository_view_privileges(repository, actions))
    return provider, inputs, outs


def make_user(double: NexusDouble, name: str = "ci", roles: tuple[str, ...] = (PUSH_ROLE,),
              **news) -> tuple[accounts.LocalUserProvider, dict, dict]:
    provider = provider_for(accounts.LocalUserProvider, double)
    inputs, outs = create(provider, double, name=name, roles=list(roles), **news)
    return provider, inputs, outs


@pytest.fixture
def with_roles(nexus):
    make_repositories(nexus)
    make_role(nexus)
    make_role(nexus, PULL_ROLE, "docker-group", ap.PULL_ACTIONS)
    return nexus


def changes(double: NexusDouble) -> list[tuple[str, str, int]]:
    return [entry for entry in double.log if entry[0] in ("POST", "PUT", "DELETE")]


# ---- roles ---------------------------------------------------------------------------------------------------

def test_role_lifecycle_holds_exactly_the_privileges(nexus):
    make_repositories(nexus)
    provider, inputs, outs = make_role(nexus)
    assert outs["__id"] == PUSH_ROLE and outs["source"] == "default"
    assert nexus.roles[PUSH_ROLE]["privileges"] == [
        f"nx-repository-view-docker-docker-hosted-{a}" for a in ("add", "browse", "edit", "read")]
    read = provider.read(PUSH_ROLE, outs)
    assert read.inputs == inputs and provider.diff(PUSH_ROLE, read.outs, inputs).changes is False

    news = checked(provider, nexus, **{**inputs, "privileges": ap.repository_view_privileges(
        "docker-hosted", ap.PULL_ACTIONS)})
    updated = provider.update(PUSH_ROLE, read.outs, news).outs
    assert updated["privileges"] == nexus.roles[PUSH_ROLE]["privileges"] == news["privileges"]

    provider.delete(PUSH_ROLE, updated)
    assert PUSH_ROLE not in nexus.roles and provider.read(PUSH_ROLE, updated).id == ""


def test_a_privilege_removed_in_the_ui_comes_back(nexus):
    make_repositories(nexus)
    provider, inputs, outs = make_role(nexus)
    nexus.roles[PUSH_ROLE]["privileges"].remove("nx-repository-view-docker-docker-hosted-add")

    read = provider.read(PUSH_ROLE, outs)
    assert "nx-repository-view-docker-docker-hosted-add" not in read.outs["privileges"]
    assert provider.diff(PUSH_ROLE, read.outs, inputs).changes is True
    provider.update(PUSH_ROLE, read.outs, inputs)
    assert "nx-repository-view-docker-docker-hosted-add" in nexus.roles[PUSH_ROLE]["privileges"]
    again = provider.read(PUSH_ROLE, read.outs)
    assert provider.diff(PUSH_ROLE, again.outs, inputs).changes is False


def test_role_naming_a_missing_repository_is_refused_and_leaves_nothing(nexus):
    provider = provider_for(accounts.RoleProvider, nexus)
    inputs = checked(provider, nexus, name=PUSH_ROLE, description="push",
                     privileges=ap.repository_view_privileges("docker-hosted", ap.PUSH_ACTIONS))
    with pytest.raises(NexusError, match=r"Privilege 'nx-repository-view-docker-docker-hosted-\w+' contained in "
                                         r"role 'nexus-registry-docker-push' not found"):
        provider.create(inputs)
    assert PUSH_ROLE not in nexus.roles


def test_an_update_nexus_does_not_fully_keep_fails_naming_the_privileges(nexus):
    make_repositories(nexus)
    provider, inputs, outs = make_role(nexus)
    news = {**inputs, "privileges": sorted(inputs["privileges"] + ["nx-repository-view-docker-Docker-Hosted-read"])}
    with pytest.raises(NexusError, match=r"did not keep privileges \['nx-repository-view-docker-Docker-Hosted-read'\]"):
        provider.update(PUSH_ROLE, outs, news)


def test_privilege_ids_refuse_names_that_would_differ_from_nexus():
    assert ap.repository_view_privilege("docker-hosted", "read") == "nx-repository-view-docker-docker-hosted-read"
    for repository, reason in [("Docker-Hosted", "lowercase"), ("_hosted", "name pattern"),
                               ("a,b", "name pattern"), ("*", "name pattern")]:
        with pytest.raises(ap.InvalidValue, match=reason):
            ap.repository_view_privilege(repository, "read")
    with pytest.raises(ap.InvalidValue, match="action 'write'"):
        ap.repository_view_privilege("docker-hosted", "write")


# ---- users ---------------------------------------------------------------------------------------------------

def test_user_lifecycle_with_a_generated_password(with_roles):
    nexus = with_roles
    provider, inputs, outs = make_user(nexus)
    password = outs["password"]
    assert len(password) >= 32 and set(password) <= URL_SAFE
    assert outs["__id"] == "ci" and outs["roles"] == [PUSH_ROLE] and outs["status"] == "active"
    assert nexus.users["ci"]["password"] == password and nexus.users["ci"]["lastName"] == "managed by Pulumi"
    assert nexus.login_status("ci", password) == 403          # authenticated; no REST privileges
    assert nexus.login_status("ci", password + "x") == 401
    assert "password" not in inputs

    read = provider.read("ci", outs)
    assert read.outs["password"] == password and read.inputs == inputs

    news = checked(provider, nexus, **{**inputs, "roles": [PULL_ROLE, PUSH_ROLE], "status": "disabled"})
    updated = provider.update("ci", read.outs, news).outs
    assert nexus.users["ci"]["roles"] == [PULL_ROLE, PUSH_ROLE] and nexus.users["ci"]["status"] == "disabled"
    assert updated["password"] == password and nexus.users["ci"]["password"] == password

    provider.delete("ci", updated)
    assert "ci" not in nexus.users and provider.read("ci", updated).id == ""


def test_two_users_get_different_passwords(with_roles):
    first = make_user(with_roles, "ci")[2]["password"]
    second = make_user(with_roles, "cluster", (PULL_ROLE,))[2]["password"]
    assert first != second


def test_rotation_changes_the_password_once_without_recreating_the_user(with_roles):
    nexus = with_roles
    provider, inputs, outs = make_user(nexus)
    old = outs["password"]
    news = checked(provider, nexus, **{**inputs, "rotation": "2"})
    diff = provider.diff("ci", outs, news)
    assert diff.changes is True and diff.replaces == []

    before = len(nexus.log)
    updated = provider.update("ci", outs, news).outs
    assert changes_since(nexus, before) == [("PUT", "/service/rest/v1/security/users/ci/change-password", 204)]
    new = updated["password"]
    assert new != old and len(new) >= 32 and updated["rotation"] == "2"
    assert nexus.login_status("ci", new) == 403 and nexus.login_status("ci", old) == 401
    assert provider.diff("ci", provider.read("ci", updated).outs, news).changes is False


def changes_since(double: NexusDouble, index: int) -> list[tuple[str, str, int]]:
    return [e for e in double.log[index:] if e[0] in ("POST", "PUT", "DELETE")]


def test_a_failed_rotation_keeps_the_old_state_and_never_shows_the_password(with_roles, monkeypatch):
    nexus = with_roles
    provider, inputs, outs = make_user(nexus)
    progress: list[str] = []
    monkeypatch.setattr(pulumi.log, "info", lambda message, *args, **kwargs: progress.append(message))
    for _ in range(3):                                   # every attempt of the change-password PUT
        nexus.force("PUT", "/v1/security/users/ci/change-password", empty(503))
    with pytest.raises(NexusUnavailableError) as caught:
        provider.update("ci", outs, {**inputs, "rotation": "2"})
    assert nexus.users["ci"]["password"] == outs["password"], "a refused change-password changed nothing"
    shown = "\n".join([str(caught.value), *progress])
    assert "change-password" in str(caught.value) and len(progress) == 2 and "retry" in progress[0]
    assert outs["password"] not in shown


def test_a_rotation_on_a_frozen_nexus_is_refused_at_once_and_changes_nothing(with_roles):
    nexus = with_roles
    provider, inputs, outs = make_user(nexus)
    nexus.freeze()
    writes = nexus.writes()
    with pytest.raises(NexusReadOnlyError, match="read-only mode"):
        provider.update("ci", outs, {**inputs, "rotation": "2"})
    assert nexus.writes() == writes and nexus.users["ci"]["password"] == outs["password"]


def test_user_drift_in_roles_and_status_is_restored(with_roles):
    nexus = with_roles
    provider, inputs, outs = make_user(nexus)
    nexus.users["ci"]["status"] = "disabled"
    nexus.users["ci"]["roles"] = [PULL_ROLE]
    read = provider.read("ci", outs)
    assert (read.outs["status"], read.outs["roles"]) == ("disabled", [PULL_ROLE])
    assert provider.diff("ci", read.outs, inputs).changes is True
    provider.update("ci", read.outs, inputs)
    assert (nexus.users["ci"]["status"], nexus.users["ci"]["roles"]) == ("active", [PUSH_ROLE])
    assert nexus.users["ci"]["password"] == outs["password"]


def test_a_user_deleted_out_of_band_drops_from_state(with_roles):
    provider, inputs, outs = make_user(with_roles)
    del with_roles.users["ci"]
    assert provider.read("ci", outs).id == ""
    with pytest.raises(NexusError, match="no longer exists in Nexus.*pulumi refresh"):
        provider.update("ci", outs, {**inputs, "rotation": "2"})


def test_deleting_a_role_takes_it_from_the_user_which_shows_as_drift(with_roles):
    nexus = with_roles
    provider, inputs, outs = make_user(nexus, roles=(PUSH_ROLE, PULL_ROLE))
    role_provider = provider_for(accounts.RoleProvider, nexus)
    role_provider.delete(PULL_ROLE, {"nexus_url": nexus.url})
    assert provider.read("ci", outs).outs["roles"] == [PUSH_ROLE]


def test_check_refuses_bad_users_naming_field_and_value(nexus):
    provider = provider_for(accounts.LocalUserProvider, nexus)
    result = provider.check({}, {"nexus_url": nexus.url, "name": "_ci", "roles": [], "status": "asleep"})
    reasons = {f.property: f.reason for f in result.failures}
    assert set(reasons) == {"name", "roles", "status"}
    assert "'_ci'" in reasons["name"] and "non-empty list" in reasons["roles"] and "'asleep'" in reasons["status"]
    builtin = provider.check({}, {"nexus_url": nexus.url, "name": "admin", "roles": [PUSH_ROLE]})
    assert [f.property for f in builtin.failures] == ["name"]
    assert nexus.counts == {}


def test_a_user_id_change_replaces_and_a_rotation_does_not(nexus):
    provider = provider_for(accounts.LocalUserProvider, nexus)
    olds = checked(provider, nexus, name="ci", roles=[PUSH_ROLE])
    assert provider.diff("ci", olds, {**olds, "name": "ci2"}).replaces == ["name"]
    assert provider.diff("ci", olds, {**olds, "rotation": "2"}).replaces == []


# ---- convergence and other people's objects ------------------------------------------------------------------

def test_a_second_pass_writes_nothing(nexus):
    make_repositories(nexus)
    role_provider, role_inputs, role_outs = make_role(nexus)
    user_provider, user_inputs, user_outs = make_user(nexus)
    writes = nexus.writes()
    for provider, id_, outs, inputs in ((role_provider, PUSH_ROLE, role_outs, role_inputs),
                                        (user_provider, "ci", user_outs, user_inputs)):
        read = provider.read(id_, outs)
        assert read.id == id_ and provider.diff(id_, read.outs, inputs).changes is False
    assert nexus.writes() == writes


def test_objects_somebody_else_created_are_never_touched(with_roles):
    nexus = with_roles
    nexus.roles["their-role"] = {"id": "their-role", "name": "their-role", "description": "theirs",
                                 "privileges": ["nx-repository-view-docker-docker-group-read"], "roles": []}
    nexus.users["someone"] = {"userId": "someone", "firstName": "Some", "lastName": "One",
                              "emailAddress": "someone@example.org", "status": "active",
                              "roles": ["their-role", PULL_ROLE], "password": "their-password"}
    theirs = copy.deepcopy({"roles": {k: v for k, v in nexus.roles.items() if k != PUSH_ROLE and k != PULL_ROLE},
                            "users": nexus.users})

    # Same ids (ignoring case): refused before anything is sent.
    with pytest.raises(NexusConflictError, match=r"'Someone' \(listed in `pushUsers/pullUsers`\) already exists in Nexus. Users and roles are never adopted"):
        make_user(nexus, "Someone")
    with pytest.raises(NexusConflictError, match="'their-role' already exists"):
        make_role(nexus, "their-role")

    # Our own users and roles through their whole life.
    provider, inputs, outs = make_user(nexus)
    outs = provider.update("ci", outs, {**inputs, "rotation": "2", "roles": [PULL_ROLE, PUSH_ROLE]}).outs
    provider.delete("ci", outs)
    provider_for(accounts.RoleProvider, nexus).delete(PUSH_ROLE, {"nexus_url": nexus.url})

    assert {k: v for k, v in nexus.roles.items() if k != PULL_ROLE} == theirs["roles"]
    assert nexus.users == theirs["users"]
    assert nexus.login_status("someone", "their-password") == 403
    assert not any(path.endswith(("/someone", "/someone/change-password", "/their-role"))
                   for method, path, _ in changes(nexus))
