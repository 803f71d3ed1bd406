"""`docker search` through the real gateway: GET /v1/_ping then GET /v1/search?q=… (moby's
search_endpoint_v1.go) reach the repository searchTarget names, and nothing else moves with it."""
from __future__ import annotations

import http.client
import ssl

import pytest

from tests.support.gateway_env import Gateway, run_gateway, stub_upstream

pytestmark = pytest.mark.real
D = "sha256:" + "ef" * 32


@pytest.fixture(scope="module")
def gateways(tmp_path_factory):
    """One gateway per searchTarget (the default, and group) over the same echoing stubs."""
    work = tmp_path_factory.mktemp("search")
    with stub_upstream("hosted") as hosted, stub_upstream("group") as group, stub_upstream("web") as web:
        addresses = dict(hosted=hosted.address, group=group.address, web=web.address)
        with run_gateway(work, name="default", push_port=False, **addresses) as default, \
                run_gateway(work, name="to-group", push_port=False, search_target="group", **addresses) as to_group:
            yield {"default": default, "group": to_group}, {"hosted": hosted, "group": group, "web": web}


def backend_of(gw: Gateway, stubs: dict, method: str, path: str) -> tuple[str, str]:
    """Send one request; returns (the stub that received it, the path it saw)."""
    before = {name: len(stub.seen) for name, stub in stubs.items()}
    conn = http.client.HTTPSConnection("127.0.0.1", gw.port, timeout=30,
                                       context=ssl.create_default_context(cafile=str(gw.ca)))
    try:
        conn.request(method, path, headers={"Accept": "application/json"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
    finally:
        conn.close()
    [name] = [name for name, stub in stubs.items() if len(stub.seen) > before[name]]
    return name, stubs[name].seen[-1]["path"]


@pytest.mark.parametrize("gateway,target", [("default", "hosted"), ("group", "group")])
def test_docker_search_reaches_the_search_target(gateways, gateway, target):
    gws, stubs = gateways
    gw = gws[gateway]
    assert backend_of(gw, stubs, "GET", "/v1/_ping") == (target, "/v1/_ping")
    assert backend_of(gw, stubs, "GET", "/v1/search?q=team%2Fapp&n=25") == (target, "/v1/search?q=team%2Fapp&n=25")
    assert backend_of(gw, stubs, "HEAD", "/v1/search?q=app")[0] == target
    # the rest of the table is the same under both settings
    assert backend_of(gw, stubs, "PUT", "/v1/search")[0] == "hosted"
    assert backend_of(gw, stubs, "HEAD", "/v2/team/app/manifests/1")[0] == "group"
    assert backend_of(gw, stubs, "HEAD", f"/v2/team/app/blobs/{D}")[0] == "hosted"
    assert backend_of(gw, stubs, "GET", "/v2/_catalog")[0] == "group"
