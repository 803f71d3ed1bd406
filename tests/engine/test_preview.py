"""The first `pulumi preview` of the dev and prod stacks exactly as their files set them: the gateway does not exist
yet, so the Nexus URL the program derives from it is unknown, and every Nexus resource is checked with it unknown."""
from __future__ import annotations

import pytest
from pulumi.runtime.proto import provider_pb2

from tests.engine.conftest import target
from tests.support.engine import Deployment, ops
from tests.support.engine_wire import UNKNOWN, from_struct


@pytest.fixture(scope="module", params=["dev", "prod"])
def first_preview(request):
    with target(request.param, {}, preview=True) as t:
        yield t


def test_first_preview_checks_unknown_inputs_without_failing_or_writing(first_preview):
    server, goals = first_preview.server, first_preview.goals
    assert {g.inputs["nexus_url"] for g in goals} == {UNKNOWN}     # the gateway's address, not known yet
    mark = len(server.calls)

    steps = Deployment(server).preview(goals)

    assert ops(steps) == {g.name: "create" for g in goals}
    calls = server.calls[mark:]
    assert {c.method for c in calls} == {"Check"}                   # no Create (nor anything else) in a preview
    for call in calls:
        sent = from_struct(provider_pb2.CheckRequest.FromString(call.request).news)
        checked = provider_pb2.CheckResponse.FromString(call.response)
        assert sent["nexus_url"] == UNKNOWN and not checked.failures, call.urn
        assert from_struct(checked.inputs)["nexus_url"] == UNKNOWN
    assert b"Traceback" not in server.output()
