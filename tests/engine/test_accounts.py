"""The stack's docker accounts (pushUsers, pullUsers, credentialsRotation) through the engine's side replayed against
the SDK's dynamic-provider server: generated passwords are secret outputs in state and nowhere else the engine
shows (its log, the server's output, the state's plaintext); an unchanged up writes nothing; a new
credentialsRotation is an update with one change-password per user, never a replacement; drift comes back;
destroy removes only the stack's roles and users."""
from __future__ import annotations

import pytest

from tests.engine.conftest import target
from tests.support.engine import DIFF, Deployment, ops
from tests.support.engine_wire import Secret, reveal

ACCOUNTS = {"acceptEula": True, "pushUsers": ["ci"], "pullUsers": ["node"]}
PUSH_ROLE, PULL_ROLE = "nexus-registry-docker-push", "nexus-registry-docker-pull"


@pytest.fixture(scope="module")
def dev(nexus_port):
    with target("dev", {"nexusUrl": f"http://127.0.0.1:{nexus_port}", **ACCOUNTS}) as t:
        yield t


def passwords(deployment: Deployment) -> dict[str, Secret]:
    """user -> its password output as the engine keeps it."""
    return {r.outputs["name"]: r.outputs["password"] for r in deployment.resources.values()
            if r.type.endswith(":LocalUser")}


def test_up_creates_roles_and_users_whose_passwords_are_secrets_only(dev, nexus):
    deployment = Deployment(dev.server)
    steps = deployment.up(dev.goals)
    assert set(ops(steps, "create")) >= {"docker-accounts-role-push", "docker-accounts-role-pull",
                                    "docker-accounts-user-ci", "docker-accounts-user-node"}
    assert nexus.users["ci"]["roles"] == [PULL_ROLE, PUSH_ROLE] and nexus.users["node"]["roles"] == [PULL_ROLE]

    secrets = passwords(deployment)
    assert set(secrets) == {"ci", "node"} and all(isinstance(p, Secret) for p in secrets.values())
    plain = {user: reveal(p) for user, p in secrets.items()}
    for user, password in plain.items():
        assert len(password) >= 32 and nexus.login_status(user, password) == 403
        assert password.encode() not in deployment.plaintext_state()
        assert password.encode() not in dev.server.output()
        assert not [log.message for log in dev.server.logs if password in log.message]


def test_unchanged_up_writes_nothing_and_keeps_the_passwords(dev, nexus):
    deployment = Deployment(dev.server)
    deployment.up(dev.goals)
    before, writes = passwords(deployment), nexus.writes()
    steps = deployment.up(dev.goals)
    assert {s.diff.changes for s in steps} == {DIFF.DIFF_NONE} and nexus.writes() == writes
    assert passwords(deployment) == before


def test_a_new_rotation_updates_each_password_once_and_keeps_the_users(dev, nexus):
    deployment = Deployment(dev.server)
    deployment.up(dev.goals)
    old = {user: reveal(p) for user, p in passwords(deployment).items()}
    mark = len(nexus.log)

    steps = deployment.up(dev.program(credentialsRotation="2"))
    assert set(ops(steps, "update")) == {"docker-accounts-user-ci", "docker-accounts-user-node"}
    assert not ops(steps, "replace") and not ops(steps, "delete")
    writes = [(m, p) for m, p, _ in nexus.log[mark:] if m in ("POST", "PUT", "DELETE")]
    assert sorted(writes) == [("PUT", "/service/rest/v1/security/users/ci/change-password"),
                              ("PUT", "/service/rest/v1/security/users/node/change-password")]
    new = {user: reveal(p) for user, p in passwords(deployment).items()}
    assert all(isinstance(p, Secret) for p in passwords(deployment).values())
    for user in ("ci", "node"):
        assert new[user] != old[user]
        assert nexus.login_status(user, new[user]) == 403 and nexus.login_status(user, old[user]) == 401


def test_drift_shows_on_refresh_and_up_restores_it(dev, nexus):
    deployment = Deployment(dev.server)
    deployment.up(dev.goals)
    nexus.roles[PUSH_ROLE]["privileges"].remove("nx-repository-view-docker-docker-hosted-add")
    nexus.users["node"]["status"] = "disabled"
    del nexus.users["ci"]

    steps = {s.name: s for s in deployment.refresh()}
    assert steps["docker-accounts-role-push"].changed == ["privileges"]
    assert steps["docker-accounts-role-push"].diff.changes == DIFF.DIFF_SOME
    assert steps["docker-accounts-user-node"].diff.changes == DIFF.DIFF_SOME
    assert steps["docker-accounts-user-ci"].op == "delete"          # dropped from the state

    steps = deployment.up(dev.goals)
    assert ops(steps)["docker-accounts-user-ci"] == "create"
    assert "nx-repository-view-docker-docker-hosted-add" in nexus.roles[PUSH_ROLE]["privileges"]
    assert nexus.users["node"]["status"] == "active"
    assert nexus.login_status("ci", reveal(passwords(deployment)["ci"])) == 403


def test_destroy_removes_only_the_stacks_roles_and_users(dev, nexus):
    deployment = Deployment(dev.server)
    deployment.up(dev.goals)
    assert nexus.outside("POST", "/v1/security/users", {
        "userId": "someone", "firstName": "Some", "lastName": "One", "emailAddress": "someone@example.org",
        "password": "their-password", "status": "active", "roles": ["nx-anonymous"]}) == 200
    deployment.destroy()
    assert set(nexus.users) == {"admin", "anonymous", "someone"}
    assert set(nexus.roles) == {"nx-admin", "nx-anonymous"}
    assert nexus.login_status("someone", "their-password") == 403
