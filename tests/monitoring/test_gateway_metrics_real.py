"""The gateway's request counts by route, for real: Debian's nginx runs the rendered gateway config with
`metrics_log_address`, Debian's mtail runs the program of components/gateway/metrics_log.py, and after real
pushes, pulls, misses and upstream failures through the gateway, mtail's /metrics holds exactly those counts
under the route the nginx map chose."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests

from components.gateway import metrics_log
from tests.support.gateway_env import run_backends, run_gateway
from tests.support.mtail import run_mtail
from tests.support.oci import MANIFEST_ACCEPT, make_image, push_image
from tests.support.procs import free_port

pytestmark = pytest.mark.monitoring


def _counts(samples: dict, name: str = "gateway_requests_total") -> dict[tuple, float]:
    """(route, method, object, status) -> count."""
    return {(lab["route"], lab["method"], lab["object"], lab["status"]): v
            for (n, labels), v in samples.items() if n == name for lab in [dict(labels)]}


def _wait_for(exporter, expected: dict[tuple, float], timeout: float = 15.0) -> dict[tuple, float]:
    deadline = time.monotonic() + timeout
    while True:
        counts = _counts(exporter.samples())
        if all(counts.get(k) == v for k, v in expected.items()) or time.monotonic() > deadline:
            return counts
        time.sleep(0.2)


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """One run: a push, pulls, a miss, a made-up method and a dead web upstream, then mtail's samples."""
    workdir: Path = tmp_path_factory.mktemp("gateway-metrics")
    dead_web = f"127.0.0.1:{free_port()}"     # nothing listens: the web route answers 502
    with run_mtail(workdir) as exporter, run_backends(workdir) as backends, \
            run_gateway(workdir, hosted=backends.hosted.address, group=backends.group, web=dead_web,
                        metrics_log_address=exporter.syslog_address) as gw:
        image = make_image(workdir / "oci" / "app", "1")
        push_image(gw.url, "team/app", image, ca=gw.ca)          # POST, PATCH, PUT per blob; PUT manifest
        for _ in range(3):
            resp = requests.get(f"{gw.url}/v2/team/app/manifests/1", headers={"Accept": MANIFEST_ACCEPT},
                                verify=str(gw.ca), timeout=30)
            assert resp.status_code == 200
        layer = max(image.blobs, key=lambda b: b.size)
        assert requests.get(f"{gw.url}/v2/team/app/blobs/{layer.digest}", verify=str(gw.ca),
                            timeout=30).status_code == 200
        assert requests.head(f"{gw.url}/v2/team/missing/manifests/1", headers={"Accept": MANIFEST_ACCEPT},
                             verify=str(gw.ca), timeout=30).status_code == 404
        assert requests.request("BREW", f"{gw.url}/v2/team/app/manifests/1", verify=str(gw.ca),
                                timeout=30).status_code >= 400
        for _ in range(2):
            assert requests.get(f"{gw.web_url}/service/rest/v1/status", timeout=30).status_code == 502
        assert requests.get(f"{gw.web_url}/nginx-health", timeout=30).status_code == 200   # not counted
        n = len(image.blobs)
        expected = {
            ("registry_hosted", "POST", "upload", "202"): n,
            ("registry_hosted", "PATCH", "upload", "202"): n,
            ("registry_hosted", "PUT", "upload", "201"): n,
            ("registry_hosted", "PUT", "manifest", "201"): 1,
            ("registry_group", "GET", "manifest", "200"): 3,
            ("registry_group", "GET", "blob", "200"): 1,
            ("registry_hosted", "OTHER", "manifest", None): None,
            ("nexus_web", "GET", "other", "502"): 2,
        }
        counts = _wait_for(exporter, {k: v for k, v in expected.items() if v is not None})
        samples = exporter.samples()
        access_log = gw.nginx.log.read_text()
    return counts, samples, n, access_log


def test_pushes_count_under_the_hosted_route(measured):
    counts, _, n, _ = measured
    assert counts[("registry_hosted", "POST", "upload", "202")] == n
    assert counts[("registry_hosted", "PATCH", "upload", "202")] == n
    assert counts[("registry_hosted", "PUT", "upload", "201")] == n
    assert counts[("registry_hosted", "PUT", "manifest", "201")] == 1


def test_pulls_count_under_the_group_route(measured):
    counts, *_ = measured
    assert counts[("registry_group", "GET", "manifest", "200")] == 3
    assert counts[("registry_group", "GET", "blob", "200")] == 1
    # the miss: HEAD of a manifest goes to the group (the map), which answers 404
    assert counts[("registry_group", "HEAD", "manifest", "404")] == 1


def test_a_made_up_method_is_one_label_value_and_goes_to_hosted(measured):
    """The map's default (fail closed) is hosted; the method label never takes a client's invented word."""
    counts, *_ = measured
    other = {k: v for k, v in counts.items() if k[1] == "OTHER"}
    assert list(other) and all(k[0] == "registry_hosted" and k[2] == "manifest" for k in other)
    assert not [k for k in counts if k[1] == "BREW"]


def test_upstream_failures_count_as_5xx_on_their_route(measured):
    counts, *_ = measured
    assert counts[("nexus_web", "GET", "other", "502")] == 2
    assert not [k for k in counts if k[0] == "registry_hosted" and k[3].startswith("5")]


def test_health_probes_are_not_counted_and_totals_match(measured):
    counts, samples, n, access_log = measured
    assert ("nexus_web", "GET", "other", "200") not in counts     # GET /nginx-health answered 200
    # the stdout access log (format `gateway`: `<addr> "<request line>" <status> ...`); error lines differ
    proxied = sum(1 for line in access_log.splitlines() if re.match(r'^\S+ "[A-Z]+ /', line))
    # 3 requests per pushed blob and the manifest; 3+1 pulls; the miss; BREW; 2 on the dead web upstream
    assert sum(counts.values()) == proxied == 3 * n + 1 + 4 + 1 + 1 + 2


def test_bytes_by_route_and_every_exported_name(measured):
    _, samples, _, _ = measured
    names = {name for name, _ in samples}
    assert set(metrics_log.METRICS) <= names
    sent = {dict(labels)["route"]: v for (name, labels), v in samples.items() if name == "gateway_sent_bytes_total"}
    received = {dict(labels)["route"]: v for (name, labels), v in samples.items()
                if name == "gateway_received_bytes_total"}
    assert sent["registry_group"] > 64 * 1024          # the pulled layer
    assert received["registry_hosted"] > 64 * 1024     # the pushed layers


def test_any_route_name_the_map_sets_becomes_a_label(tmp_path):
    """Route names are not listed in the program: a mirror's (`mirror_<host[:port]>`) counts as it comes, in the
    syslog datagram nginx sends (`<pri>timestamp tag: line\\n`)."""
    import socket
    with run_mtail(tmp_path) as exporter, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for route in ("mirror_ghcr.io", "mirror_registry.example:5000", "mirror_registry.example:5000"):
            line = (f"<190>Dec  5 00:40:00 {metrics_log.SYSLOG_TAG}: route={route} method=GET status=200 in=90 "
                    "out=5000 uri=/v2/library/app/blobs/sha256:" + "a" * 64 + "\n")
            udp.sendto(line.encode(), ("127.0.0.1", exporter.syslog_port))
        expected = {("mirror_ghcr.io", "GET", "blob", "200"): 1,
                    ("mirror_registry.example:5000", "GET", "blob", "200"): 2}
        assert _wait_for(exporter, expected) == expected
