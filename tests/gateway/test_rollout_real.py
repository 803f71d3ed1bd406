"""Rollouts drop nothing, with real nginx (the rendered gateway config) in front of real registries on
127.0.0.1, while clients keep pulling and pushing:

1. a reload with a renewed certificate (same CA): no request fails, a 256 MiB download started before
   it completes with the right digest, new connections get the new certificate;
2. the pod termination order replayed on a second instance behind a kube-proxy-like balancer: the pod
   is deleted -> its endpoint removal propagates while the preStop delay runs (connections still
   arriving are served) -> SIGQUIT (the image's STOPSIGNAL) -> nginx finishes in-flight transfers and
   exits 0. A 256 MiB pull and a 256 MiB push through that instance span the stop and complete.

The delays are the pod's, scaled down (preStop 10 s -> 2.5 s); a control shows that SIGTERM, nginx's
fast shutdown, cuts the same transfer.
"""
from __future__ import annotations

import os
import signal
import socket
import ssl
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509

from tests.support.balancer import balancer
from tests.support.gateway_env import Gateway, run_backends, run_gateway
from tests.support.oci import MIB, large_layer, make_image, push_image, upload_blob, download_blob
from tests.support.tlsgen import make_chain, renew
from tests.support.workload import Background, Throttle, Workload, running

pytestmark = pytest.mark.real

BIG = 256 * MIB
RATE = 48 * MIB          # bytes/s: the 256 MiB transfer takes over 5 s, so it spans the reload or stop
PROPAGATION = 1.0        # s from the pod's deletion until the balancer stops choosing it
PRESTOP = 2.5            # s: the preStop delay (10 s in the pod)
SHUTDOWN_TIMEOUT = 30    # s: worker_shutdown_timeout (gatewayDrainSeconds - 15 in the pod)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("rollout")


@pytest.fixture(scope="module")
def backends(workdir):
    with run_backends(workdir) as b:
        yield b


@pytest.fixture(scope="module")
def chain():
    return make_chain(["127.0.0.1"])


@pytest.fixture(scope="module")
def image(workdir, backends):
    """rollout/app:v1 in hosted (pushed directly): what the clients pull through the gateway."""
    img = make_image(workdir / "oci" / "app", "v1")
    push_image(backends.hosted.url, "rollout/app", img)
    return img


@pytest.fixture(scope="module")
def big(workdir, backends):
    """A 256 MiB layer (a tar of 256 MiB of random bytes), also in hosted as rollout/big (to be pulled)."""
    blob = large_layer(workdir / "oci" / "big", BIG)
    upload_blob(backends.hosted.url, "rollout/big", blob, chunked=False)
    return blob


def gateway(workdir, backends, name: str, chain):
    return run_gateway(workdir, name=name, hosted=backends.hosted.address, group=backends.group,
                       web=backends.web.address, tls=chain, push_port=False,
                       worker_shutdown_timeout=SHUTDOWN_TIMEOUT)


def workload(url: str, gw: Gateway, image, workdir: Path, name: str) -> Workload:
    return Workload(url=url, ca=gw.ca, image=image, pull_repo="rollout/app", push_repo=f"rollout/{name}",
                    scratch=workdir / "oci" / f"pushed-{name}")


def served_serial(gw: Gateway) -> int:
    """The serial number of the certificate a new TLS connection gets (verified against the CA)."""
    ctx = ssl.create_default_context(cafile=str(gw.ca))
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True)).serial_number


def workers(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def wait_for_log(log: Path, lines: list[str], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not all(line in log.read_text() for line in lines):
        assert time.monotonic() < deadline, f"nginx never logged {lines}"
        time.sleep(0.05)


def serial_of(pem: str) -> int:
    return x509.load_pem_x509_certificate(pem.encode()).serial_number


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(".new")
    tmp.write_text(text)
    os.replace(tmp, path)


def hosted_has(backends, repo: str, digest: str) -> bool:
    return requests.head(f"{backends.hosted.url}/v2/{repo}/blobs/{digest}", timeout=30).status_code == 200


def test_reload_with_a_renewed_certificate_drops_nothing(workdir, backends, chain, image, big):
    renewed = renew(chain, ["127.0.0.1"])
    with gateway(workdir, backends, "reload", chain) as gw, \
            running(workload(gw.url, gw, image, workdir, "reload")) as load:
        master = gw.nginx.master
        assert served_serial(gw) == serial_of(chain.cert)
        throttle = Throttle(RATE)
        pull = Background(lambda: download_blob(gw.url, "rollout/big", big.digest, ca=gw.ca, progress=throttle))
        throttle.wait_for(32 * MIB)
        old_workers = workers(master.pid)
        write_atomically(gw.tls["cert"], renewed.cert)
        write_atomically(gw.tls["key"], renewed.key)
        master.send_signal(signal.SIGHUP)               # what `nginx -s reload` sends
        moved_at_reload = throttle.moved
        # the reload is done once every old worker has stopped accepting (it still finishes its transfers)
        wait_for_log(gw.nginx.error_log, [f"{pid}#{pid}: gracefully shutting down" for pid in old_workers])
        after = [served_serial(gw) for _ in range(20)]
        time.sleep(1)                                    # the clients go on with the new workers
        pulled = pull.outcome()
        assert master.poll() is None                     # reloaded in place, not restarted
    assert load.errors == []
    assert load.done["pull"] >= 10 and load.done["push"] >= 10, load.done
    assert set(after) == {serial_of(renewed.cert)}
    assert 0 < moved_at_reload < big.size and pulled == big.size   # in flight across the reload, digest checked


def test_pod_termination_order_drops_nothing(workdir, backends, chain, image, big):
    with gateway(workdir, backends, "pod-a", chain) as pod_a, gateway(workdir, backends, "pod-b", chain) as pod_b, \
            balancer([pod_a.port, pod_b.port]) as service, \
            running(workload(f"https://{service.address}", pod_a, image, workdir, "rollout")) as load:
        nginx_b = pod_b.nginx.master
        # connections kube-proxy had already sent to pod B: a large pull and a large push
        pull_rate, push_rate = Throttle(RATE), Throttle(RATE)
        pull = Background(lambda: download_blob(pod_b.url, "rollout/big", big.digest, ca=pod_b.ca,
                                                progress=pull_rate))
        push = Background(lambda: upload_blob(pod_b.url, "rollout/big-pushed", big, ca=pod_b.ca, chunked=False,
                                              progress=push_rate))
        pull_rate.wait_for(16 * MIB)
        push_rate.wait_for(16 * MIB)
        deleted = time.monotonic()       # the pod is deleted: preStop starts, the endpoint update propagates
        time.sleep(PROPAGATION)
        service.remove(pod_b.port)
        removed = time.monotonic()
        time.sleep(PRESTOP - PROPAGATION)
        moved_at_stop = (pull_rate.moved, push_rate.moved)
        nginx_b.send_signal(signal.SIGQUIT)   # the kubelet sends the image's STOPSIGNAL
        quit_at = time.monotonic()
        returncode = nginx_b.wait(timeout=SHUTDOWN_TIMEOUT + 15)
        stopped_after = time.monotonic() - quit_at
        pulled, _ = pull.outcome(), push.outcome()
        time.sleep(0.5)                  # the clients go on with pod A alone
    assert load.errors == []
    assert load.done["pull"] >= 10 and load.done["push"] >= 10, load.done
    assert service.refused == []
    assert service.connections_to(pod_b.port, since=deleted, until=removed) > 0   # served while propagating
    assert service.connections_to(pod_b.port, since=removed) == 0
    assert all(0 < moved < big.size for moved in moved_at_stop)    # both were in flight at SIGQUIT
    assert pulled == big.size                                      # download_blob checked the digest
    assert hosted_has(backends, "rollout/big-pushed", big.digest)   # the registry checked it on PUT
    assert returncode == 0 and stopped_after < SHUTDOWN_TIMEOUT      # a graceful exit, nothing cut off


def test_control_sigterm_cuts_the_transfer_sigquit_keeps(workdir, backends, chain, big):
    """nginx's fast shutdown (SIGTERM, what an image with the default STOPSIGNAL would get) closes the
    in-flight transfer: the pod must send SIGQUIT."""
    with gateway(workdir, backends, "sigterm", chain) as gw:
        throttle = Throttle(RATE)
        pull = Background(lambda: download_blob(gw.url, "rollout/big", big.digest, ca=gw.ca, progress=throttle))
        throttle.wait_for(16 * MIB)
        gw.nginx.master.send_signal(signal.SIGTERM)
        gw.nginx.master.wait(timeout=15)
        with pytest.raises(Exception) as cut:
            pull.outcome()
    assert throttle.moved < big.size, cut.value
