"""The gateway pod's nginx for real: the rendered config and the pod's own command line under Debian's
nginx, as the pod's securityContext runs it (uid/gid 10101, no capabilities, no_new_privs, `/` read-only,
only the emptyDir writable, the TLS key readable through the group as fsGroup makes it). It serves a
push and a pull, writes nothing but its pid file and (empty) temp directories, and stops cleanly."""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import requests

from components.gateway.manifests import NGINX_UID, nginx_command, worker_shutdown_timeout
from components.gateway.nginx_conf import HEALTH_PATH, render_nginx_conf
from tests.support.gateway_env import run_backends
from tests.support.oci import LAYER_TAR, MIB, download_blob, random_stream, upload_blob, write_blob
from tests.support.procs import free_port
from tests.support.tlsgen import make_chain
from tests.support.unprivileged import run_as_pod, status

pytestmark = [pytest.mark.real,
              pytest.mark.skipif(os.geteuid() != 0, reason="pod securityContext emulation skipped: it needs root "
                                 "(a mount namespace, setpriv to uid 10101)")]
TEMP_DIRS = {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}


@dataclass(frozen=True)
class Pod:
    nginx: object        # the master process (subprocess.Popen)
    url: str             # the registry port
    web_url: str
    ca: Path
    tmp: Path            # the emptyDir

    def seen(self, path: Path) -> Path:
        """`path` as the pod sees it (its mount namespace, through /proc)."""
        return Path(f"/proc/{self.nginx.pid}/root") / path.relative_to("/")


@pytest.fixture
def pod_dir():
    """Where the pod's config and key live: pytest's tmp dirs are 0700 root, out of uid 10101's reach."""
    path = Path(tempfile.mkdtemp(prefix="nexus-registry-pod-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@contextlib.contextmanager
def gateway_pod(pod_dir: Path, *, hosted: str, group: str, web: str) -> Iterator[Pod]:
    pem = make_chain(["127.0.0.1"]).write(pod_dir / "tls")
    os.chown(pem["key"], 0, NGINX_UID)   # the Secret volume: group fsGroup, defaultMode 0440
    pem["key"].chmod(0o440)
    tmp = pod_dir / "tmp"
    ports = {"registry_port": free_port(), "web_port": free_port()}
    conf = pod_dir / "nginx.conf"
    conf.write_text(render_nginx_conf(hosted_upstream=hosted, group_upstream=group, web_upstream=web,
                                      cert_path=str(pem["cert"]), key_path=str(pem["key"]), temp_dir=str(tmp),
                                      worker_shutdown_timeout=worker_shutdown_timeout(300), **ports))
    with run_as_pod(nginx_command(str(conf), str(tmp)), uid=NGINX_UID, writable=tmp,
                    log=pod_dir / "nginx.log", ports=list(ports.values())) as nginx:
        yield Pod(nginx=nginx, url=f"https://127.0.0.1:{ports['registry_port']}",
                  web_url=f"http://127.0.0.1:{ports['web_port']}", ca=pem["ca"], tmp=tmp)


def test_serves_and_writes_only_its_empty_dir(tmp_path, pod_dir):
    blob = write_blob(tmp_path / "oci", random_stream(32 * MIB), LAYER_TAR)
    with run_backends(tmp_path) as backends, \
            gateway_pod(pod_dir, hosted=backends.hosted.address, group=backends.group,
                        web=backends.web.address) as pod:
        with pytest.raises(OSError) as planted:
            pod.seen(pod_dir / "planted").write_text("x")
        upload_blob(pod.url, "pod/app", blob, ca=pod.ca)                      # chunked, like docker
        assert requests.head(f"{backends.hosted.url}/v2/pod/app/blobs/{blob.digest}", timeout=30).ok
        assert download_blob(pod.url, "pod/app", blob.digest, ca=pod.ca) == blob.size
        assert requests.get(f"{pod.web_url}{HEALTH_PATH}", timeout=10).text == "ok\n"
        written = {p.relative_to(pod.seen(pod.tmp)).as_posix() for p in pod.seen(pod.tmp).rglob("*")}
        pod.nginx.send_signal(signal.SIGQUIT)
        assert pod.nginx.wait(timeout=15) == 0
    assert planted.value.errno == errno.EROFS
    assert written == TEMP_DIRS | {"nginx.pid"}   # nothing spooled: every temp dir is empty


def test_master_and_workers_run_as_10101_without_capabilities(pod_dir):
    with gateway_pod(pod_dir, hosted="127.0.0.1:9", group="127.0.0.1:9", web="127.0.0.1:9") as pod:
        pid = pod.nginx.pid
        deadline = time.monotonic() + 10   # the master listens before it has forked every worker
        while len(workers := Path(f"/proc/{pid}/task/{pid}/children").read_text().split()) < os.cpu_count():
            assert time.monotonic() < deadline, f"only {len(workers)} workers started"
            time.sleep(0.05)
        states = [status(p) for p in [pid, *map(int, workers)]]
    assert len(states) == 1 + os.cpu_count()   # the master and its workers (worker_processes auto)
    for state in states:
        assert state["Uid"].split() == [str(NGINX_UID)] * 4 and state["Gid"].split() == [str(NGINX_UID)] * 4
        assert state["Groups"] == ""
        assert all(int(state[cap], 16) == 0 for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"))
        assert state["NoNewPrivs"] == "1"
