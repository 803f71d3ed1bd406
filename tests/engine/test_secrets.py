"""The admin password reaches the provider server once, in Configure, wrapped as a secret, and comes back nowhere: not
in any gRPC answer or error, not in an engine log message, not in what the server process prints, not in the
state's plaintext. The prod stack goes through everything a stack's life sends: up with a retry, an unchanged up,
a preview of a change, drift, refresh, a rejected login, destroy."""
from __future__ import annotations

import pytest
from pulumi.runtime.proto import provider_pb2

from tests.engine.conftest import target
from tests.support.engine import Deployment
from tests.support.engine_wire import Secret, from_struct
from tests.support.nexus_double import empty
from tests.support.provider_server import EngineError
from tests.support.stack import TEST_PASSWORD

PASSWORD = TEST_PASSWORD.encode()


@pytest.fixture(scope="module")
def prod(nexus_port):
    with target("prod", {"nexusUrl": f"http://127.0.0.1:{nexus_port}", "acceptEula": True}) as t:
        yield t


def test_the_admin_password_goes_in_with_configure_and_comes_back_nowhere(prod, nexus):
    server, deployment = prod.server, Deployment(prod.server)
    nexus.force("GET", "/v1/system/eula", empty(503))          # one retry: the client says so
    deployment.up(prod.goals)
    state, outputs = deployment.plaintext_state(), [r.outputs for r in deployment.resources.values()]
    deployment.up(prod.goals)
    deployment.preview(prod.program(proxyRemoteUrl="https://mirror.example"))
    nexus.repository("docker-hosted")["online"] = False
    deployment.refresh()
    deployment.up(prod.goals)
    nexus.password = "rotated-in-the-nexus-ui"
    with pytest.raises(EngineError, match="adminPassword"):
        deployment.refresh()
    nexus.password = TEST_PASSWORD
    deployment.destroy()
    assert {c.method for c in server.calls} >= {"Configure", "Check", "Diff", "Create", "Update", "Read", "Delete"}

    # It went in: once, with Configure, as a secret (so the search below can see it where it is).
    carrying = [c.method for c in server.calls if PASSWORD in c.request]
    assert carrying == ["Configure"]
    configure = provider_pb2.ConfigureRequest.FromString(server.calls_of("Configure")[0].request)
    assert from_struct(configure.args)["nexus-registry:adminPassword"] == Secret(TEST_PASSWORD)

    # It came back nowhere.
    assert [raw[:80] for raw in server.exchanged() if PASSWORD in raw] == []
    assert [log.message for log in server.logs if TEST_PASSWORD in log.message] == []
    assert PASSWORD not in server.output()
    assert PASSWORD not in state
    assert len(outputs) == len(prod.goals) and all(isinstance(o["__provider"], Secret) for o in outputs)

    # The retry was reported to the user: the engine shows the server's stderr and its Log messages.
    said = server.output().decode() + "".join(log.message for log in server.logs)
    assert "GET" in said and "HTTP 503; retry 1/4" in said
