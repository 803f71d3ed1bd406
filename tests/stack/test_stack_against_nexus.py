"""The stack's own Nexus resources, applied to the Nexus double over real HTTP: the inputs the program
registers (recorded under Pulumi mocks) and the providers exactly as Pulumi stores them (unpickled from
`__provider`) configure a Community Edition Nexus the way the original how-to did by hand, within the
published API spec (checked by the `nexus` fixture)."""
from __future__ import annotations

import base64

import dill
import pytest

from tests.support.nexus_fixtures import configured
from tests.support.stack import run_program, unwrap

DYN = "pulumi-python:dynamic/nexus:"
ORDER = ["CommunityEula", "BlobStore", "DockerHostedRepository", "DockerProxyRepository",
         "DockerGroupRepository", "ActiveRealms", "AnonymousAccess"]


def _stack_resources(stack: str, overrides: dict) -> list[tuple[object, dict]]:
    """(provider as the engine would unpickle it, plain inputs) in dependency order."""
    run = run_program(stack, overrides)
    found = [r for r in run.resources if r.typ.startswith(DYN)]
    found.sort(key=lambda r: ORDER.index(r.typ[len(DYN):]))
    out = []
    for r in found:
        plain = r.plain
        provider = dill.loads(base64.b64decode(unwrap(r.inputs["__provider"])))
        out.append((provider, {k: v for k, v in plain.items() if k != "__provider"}))
    return out


@pytest.mark.parametrize("stack,overrides", [("dev", {"acceptEula": True}),
                                             ("prod", {"acceptEula": True, "sharedBlobStore": True})])
def test_stack_resources_configure_nexus_and_converge(nexus, stack, overrides):
    applied = []
    for provider, inputs in _stack_resources(stack, overrides):
        configured(provider, nexus.password)
        checked = provider.check({}, {**inputs, "nexus_url": nexus.url})
        assert checked.failures == [], [(f.property, f.reason) for f in checked.failures]
        created = provider.create(checked.inputs)
        applied.append((provider, created.id, checked.inputs, created.outs))

    hosted, group, proxy = (nexus.repository(n) for n in ("docker-hosted", "docker-group", "docker-proxy"))
    assert hosted["docker"]["httpPort"] == 9897 and group["docker"]["httpPort"] == 9896
    assert group["group"]["memberNames"] == ["docker-hosted", "docker-proxy"]
    assert proxy["proxy"]["remoteUrl"] == "https://registry-1.docker.io"
    assert proxy["dockerProxy"]["indexType"] == "HUB"
    assert not any(r["docker"]["forceBasicAuth"] for r in (hosted, group, proxy))
    assert "DockerToken" in nexus.active_realms and nexus.eula_accepted
    assert nexus.anonymous["enabled"] is (stack == "dev")
    expected_stores = {"docker"} if overrides.get("sharedBlobStore") else {"docker-hosted", "docker-group",
                                                                          "docker-proxy"}
    assert {r["storage"]["blobStoreName"] for r in (hosted, group, proxy)} == expected_stores

    writes = nexus.writes()
    for provider, id_, inputs, outs in applied:     # `pulumi refresh` + `pulumi up` with nothing changed
        read = provider.read(id_, outs)
        assert read.id == id_
        assert provider.diff(id_, read.outs, inputs).changes is False
    assert nexus.writes() == writes, "an unchanged stack must not write to Nexus"
