"""The pure account builders (components/nexus_config/accounts_payloads.py): passwords, role privileges, the user
plan, request bodies and the docker_credentials entries."""
from __future__ import annotations

import string

import pytest

from components.nexus_config import accounts_payloads as ap
from components.nexus_config.fields import check_inputs


def test_new_passwords_are_long_url_safe_and_never_repeat():
    passwords = {ap.new_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(len(p) >= 32 and set(p) <= set(string.ascii_letters + string.digits + "-_") for p in passwords)


def test_roles_hold_least_privilege_on_the_configured_repositories():
    assert ap.role_privileges(ap.PUSH, "team-push", "team-pull") == [
        "nx-repository-view-docker-team-push-add", "nx-repository-view-docker-team-push-browse",
        "nx-repository-view-docker-team-push-edit", "nx-repository-view-docker-team-push-read"]
    assert ap.role_privileges(ap.PULL, "team-push", "team-pull") == [
        "nx-repository-view-docker-team-pull-browse", "nx-repository-view-docker-team-pull-read"]
    assert not any(p.endswith(("-delete", "-*")) for a in (ap.PUSH, ap.PULL)
                   for p in ap.role_privileges(a, "h", "g"))


def test_users_are_planned_in_stack_order_with_their_roles():
    assert ap.plan_users(["ci", "release"], ["cluster"]) == [("ci", "push"), ("release", "push"), ("cluster", "pull")]
    assert ap.ACCESS_ROLES == {"push": ("push", "pull"), "pull": ("pull",)}


def test_user_bodies_carry_the_password_only_on_create():
    inputs, failures = check_inputs(ap.USER_FIELDS, {"nexus_url": "http://n:8081", "name": "ci",
                                                     "roles": ["b-role", "a-role"]})
    assert failures == []
    assert (inputs["first_name"], inputs["email"], inputs["status"], inputs["rotation"]) == \
        ("ci", "ci@nexus-registry.invalid", "active", "1")
    create = ap.user_create_request(inputs, "pw")
    assert create == {"userId": "ci", "firstName": "ci", "lastName": "managed by Pulumi",
                      "emailAddress": "ci@nexus-registry.invalid", "status": "active",
                      "roles": ["a-role", "b-role"], "password": "pw"}
    update = ap.user_update_request(inputs)
    assert "password" not in update and update["source"] == "default"


def test_reads_normalise_sets_and_find_the_exact_user():
    assert ap.role_outs({"id": "r", "description": "d", "privileges": ["b", "a"], "source": "default"}) == \
        {"name": "r", "description": "d", "privileges": ["a", "b"], "source": "default"}
    users = [{"userId": "CI-2"}, {"userId": "ci", "status": "ACTIVE", "roles": ["z", "a"]}]
    assert ap.find_user(users, "ci") is users[1] and ap.find_user(users, "CI") is None
    assert ap.user_outs(users[1])["roles"] == ["a", "z"] and ap.user_outs(users[1])["status"] == "active"


def test_privileges_nexus_did_not_keep():
    assert ap.missing_privileges(["a", "b", "c"], ["b"]) == ["a", "c"] and ap.missing_privileges(["a"], ["a"]) == []


@pytest.mark.parametrize("push_registry", [None, "10.0.0.5:30444"])
def test_docker_credential_entries(push_registry):
    push = ap.docker_credential("10.0.0.5:30443", "ci", "push", "pw", push_registry)
    pull = ap.docker_credential("10.0.0.5:30443", "node", "pull", "pw2", push_registry)
    assert push["login"] == "docker login 10.0.0.5:30443 -u ci --password-stdin" and push["password"] == "pw"
    assert ("push_login" in push) is bool(push_registry) and "push_login" not in pull
    assert pull == {"access": "pull", "login": "docker login 10.0.0.5:30443 -u node --password-stdin",
                    "password": "pw2"}
