"""`pulumi up`, `preview`, `refresh`, `destroy` and `import` replayed against the SDK's dynamic-provider server, for
the dev and prod stacks (with `nexusUrl` pointing at the Nexus double and the EULA accepted by the operator),
with the `__provider` values and inputs the program itself registers."""
from __future__ import annotations

import pytest

from tests.engine.conftest import target
from tests.support.engine import DIFF, Deployment, ops
from tests.support.provider_server import EngineError
from tests.support.stack import TEST_PASSWORD

@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request, nexus_port):
    with target(request.param, {"nexusUrl": f"http://127.0.0.1:{nexus_port}", "acceptEula": True}) as t:
        yield t


def methods_since(server, mark: int) -> set[str]:
    return {c.method for c in server.calls[mark:]}


def test_up_from_empty_creates_what_nexus_needs_in_dependency_order(stack, nexus):
    mark = len(stack.server.calls)
    steps = Deployment(stack.server).up(stack.goals)

    assert ops(steps) == {g.name: "create" for g in stack.goals}
    created = [c.urn for c in stack.server.calls[mark:] if c.method == "Create"]
    for goal in stack.goals:                  # each after everything it depends on that is a Nexus object
        assert all(created.index(d) < created.index(goal.urn) for d in goal.dependencies if d in created), goal.name
    paths = [path for _, path in nexus.writes_log()]
    assert paths[0] == "/v1/system/eula"                  # Nexus CE serves no repository before that
    repos = [i for i, path in enumerate(paths) if path.startswith("/v1/repositories/")]
    assert max(i for i, path in enumerate(paths) if path.startswith("/v1/blobstores")) < min(repos)
    assert paths.index("/v1/repositories/docker/group") == max(repos)      # after its members

    hosted, group, proxy = (nexus.repository(n) for n in ("docker-hosted", "docker-group", "docker-proxy"))
    assert [hosted["docker"]["httpPort"], group["docker"]["httpPort"]] == [9897, 9896]
    assert group["group"]["memberNames"] == ["docker-hosted", "docker-proxy"]
    assert nexus.json_floats() == [], "numbers Nexus takes as integers were sent as 9897.0-style doubles"
    assert "DockerToken" in nexus.active_realms and nexus.eula_accepted
    assert nexus.anonymous["enabled"] is (stack.stack == "dev")


def test_second_up_is_no_change_everywhere_and_writes_nothing(stack, nexus):
    deployment = Deployment(stack.server)
    deployment.up(stack.goals)
    writes, mark = nexus.writes(), len(stack.server.calls)

    steps = deployment.up(stack.goals)
    assert ops(steps) == {g.name: "same" for g in stack.goals}
    assert {s.diff.changes for s in steps} == {DIFF.DIFF_NONE}
    assert methods_since(stack.server, mark) == {"Check", "Diff"}
    assert nexus.writes() == writes


def test_preview_of_a_config_change_plans_updates_and_writes_nothing(stack, nexus):
    deployment = Deployment(stack.server)
    deployment.up(stack.goals)
    before, writes, mark = nexus.snapshot(), nexus.writes(), len(stack.server.calls)
    anonymous = stack.goal("docker-repos-anonymous").inputs["enabled"]
    changed = stack.program(anonymousPull=not anonymous, proxyRemoteUrl="https://mirror.example")

    planned = deployment.preview(changed)
    assert ops(planned, "update") == ["docker-repos-anonymous", "docker-repos-proxy"]
    assert set(ops(planned).values()) == {"update", "same"}
    assert methods_since(stack.server, mark) == {"Check", "Diff"}
    assert nexus.writes() == writes and nexus.snapshot() == before

    assert ops(deployment.up(changed), "update") == ["docker-repos-anonymous", "docker-repos-proxy"]
    assert nexus.repository("docker-proxy")["proxy"]["remoteUrl"] == "https://mirror.example"
    assert nexus.anonymous["enabled"] is (not anonymous)


def test_renaming_the_hosted_repository_replaces_it_and_the_group_follows(stack, nexus):
    deployment = Deployment(stack.server)
    deployment.up(stack.goals)
    renamed = stack.program(hostedRepo="team-hosted")

    steps = deployment.up(renamed)
    assert ops(steps, "replace") == ["docker-repos-hosted"]
    # The group's members and the hosted repository's scheduled tasks (Docker GC, blob store compaction) follow.
    # The preflight checks the new name before anything is written.
    assert ops(steps, "update") == ["docker-repos-existing", "docker-repos-group", "housekeeping-tasks"]
    # One blob store per repository, named after it: a new one for the new name, the old one goes once unused.
    assert ops(steps, "create") == ["docker-repos-blobs-team-hosted"]
    assert ops(steps, "delete") == ["docker-repos-blobs-docker-hosted"]
    assert {"team-hosted"} <= set(nexus.blob_stores) and "docker-hosted" not in nexus.blob_stores
    assert nexus.repository("docker-hosted") is None and nexus.repository("team-hosted")["docker"]["httpPort"] == 9897
    assert nexus.repository("docker-group")["group"]["memberNames"] == ["team-hosted", "docker-proxy"]
    gc_targets = {t["properties"].get("repositoryName") for t in nexus.tasks.values()
                  if t["type"] == "repository.docker.gc"}
    assert "team-hosted" in gc_targets and "docker-hosted" not in gc_targets
    assert {s.op for s in deployment.up(renamed)} == {"same"}


def test_refresh_shows_changes_made_behind_pulumis_back_and_up_restores_them(stack, nexus):
    deployment = Deployment(stack.server)
    deployment.up(stack.goals)
    converged = nexus.snapshot()
    nexus.repository("docker-hosted")["docker"]["forceBasicAuth"] = True          # edited in the UI
    assert nexus.outside("DELETE", "/v1/repositories/docker-proxy") == 204        # also leaves the group
    assert nexus.outside("PUT", "/v1/security/realms/active", ["NexusAuthenticatingRealm"]) == 204
    nexus.anonymous["enabled"] = not nexus.anonymous["enabled"]

    refreshed = {s.name: s for s in deployment.refresh()}
    assert refreshed["docker-repos-proxy"].op == "delete" and stack.goal("docker-repos-proxy").urn \
        not in deployment.resources
    drifted = {name: s.changed for name, s in refreshed.items() if s.op == "refresh" and s.changed}
    assert drifted == {"docker-repos-hosted": ["force_basic_auth"], "docker-repos-group": ["members"],
                       "docker-repos-realms": ["active", "added", "realms"], "docker-repos-anonymous": ["enabled"]}
    assert all(refreshed[name].diff.changes == DIFF.DIFF_SOME for name in drifted)

    steps = deployment.up(stack.goals)
    assert ops(steps, "create") == ["docker-repos-proxy"]
    assert sorted(ops(steps, "update")) == sorted(drifted)
    assert nexus.snapshot() == converged
    assert {s.op for s in deployment.refresh()} == {"refresh"} and \
        {s.op for s in deployment.up(stack.goals)} == {"same"}


def test_destroy_leaves_nexus_as_it_was_found(stack, nexus):
    nexus.active_realms.append("NpmToken")               # somebody else's realm, and Nexus' own repository
    found = nexus.snapshot()
    deployment = Deployment(stack.server)
    deployment.up(stack.goals)
    assert nexus.snapshot() != found

    steps = deployment.destroy()
    assert ops(steps) == {g.name: "delete" for g in stack.goals} and deployment.resources == {}
    assert [s.name for s in steps] == [g.name for g in reversed(stack.goals)]
    assert nexus.snapshot() == found
    assert nexus.eula_accepted is True      # by design: an acceptance is never revoked (components/nexus_config/server_settings.py)


def test_import_of_an_existing_repository_fails_at_the_engines_read_and_changes_nothing(stack, nexus):
    Deployment(stack.server).up(stack.goals)        # the objects exist, made outside this stack
    existing, writes = nexus.snapshot(), nexus.writes()
    stack_state = Deployment(stack.server)
    hosted = stack.goal("docker-repos-hosted")

    # The engine's import Read carries the id only: no state and no inputs, so no `__provider` for the SDK's
    # server to find the provider by (pulumi/pulumi#16175, open): dynamic resources cannot be imported.
    with pytest.raises(EngineError, match="KeyError: '__provider'") as info:
        stack_state.import_(hosted, "docker-hosted")
    assert info.value.method == "Read" and stack_state.resources == {}
    if stack.stack == "dev":
        # What `pulumi up` does instead: stop before the first write, saying why and naming adoptExisting.
        with pytest.raises(EngineError, match="'docker-hosted' already exists in Nexus .*not managed by this stack"
                                              ".*`adoptExisting`"):
            stack_state.up(stack.goals)
    else:
        # prod sets adoptExisting (Pulumi.prod.yaml: it is the recipe's installation): up takes them over; they
        # are already as declared, so it writes nothing at all.
        assert set(ops(stack_state.up(stack.goals)).values()) == {"create"}
        assert all(r.outputs.get("adopted") in (True, None) for r in stack_state.resources.values())
    assert nexus.writes() == writes and nexus.snapshot() == existing
    assert TEST_PASSWORD not in str(info.value)
