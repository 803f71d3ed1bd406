"""Debian's containerd (1.6) as a real kubelet-side client, on a temporary root, state and socket.

    with run_containerd(workdir) as cd:
        cd.fetch("ghcr.io/org/app:1", hosts_dir=node / "etc/containerd/certs.d")   # ctr content fetch
        cd.image_digest("ghcr.io/org/app:1")                                          # what it resolved

The daemon runs as root (it must own its content store) with every path under `workdir`, the CRI plugin
off, and nothing but its unix socket: it never listens on the network. `ctr content fetch --hosts-dir` is
the resolver and fetcher kubelet's CRI pulls use (remotes/docker with config/hosts.go): the requests, the
`?ns=` it adds for a mirror and the fallback order are containerd's own.

`node_root` (see `fetch`) runs ctr in a private mount namespace where the node root's /etc/containerd
is bind-mounted on /etc/containerd: the hosts.toml files name their CA by its absolute path on the node,
so they are used exactly as the node-trust script wrote them. The mount is invisible outside that one
process.
"""
from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests.support.procs import require_binary, running

NAMESPACE = "nexus-registry-test"
# Plugins that need a host this test does not have (CRI: CNI, kubelet; opt: /opt; the other snapshotters).
DISABLED_PLUGINS = ("io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
                    "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
                    "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing")


def containerd_config(root: Path, state: Path, socket: Path) -> str:
    plugins = ", ".join(f'"{p}"' for p in DISABLED_PLUGINS)
    return (f'version = 2\nroot = "{root}"\nstate = "{state}"\ndisabled_plugins = [{plugins}]\n\n'
            f'[grpc]\n  address = "{socket}"\n\n[ttrpc]\n  address = "{socket}.ttrpc"\n\n'
            f'[debug]\n  address = ""\n\n[metrics]\n  address = ""\n')


@dataclass(frozen=True)
class Containerd:
    socket: Path
    log: Path
    workdir: Path

    def ctr(self, *args: str, env: dict | None = None, node_root: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
        argv = [require_binary("ctr"), "--address", str(self.socket), "--namespace", NAMESPACE, *args]
        if node_root is not None:
            mount = f"mount --bind {shlex.quote(str(node_root / 'etc/containerd'))} /etc/containerd"
            argv = [require_binary("unshare"), "--mount", "--propagation", "private", "sh", "-c",
                    f"{mount} && exec {shlex.join(argv)}"]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})

    def fetch(self, ref: str, *, node_root: Path, env: dict | None = None,
              user: str | None = None) -> subprocess.CompletedProcess:
        """`ctr content fetch --hosts-dir /etc/containerd/certs.d <ref>` with the node's files there."""
        return self.ctr("content", "fetch", "--hosts-dir", "/etc/containerd/certs.d",
                        *(["--user", user] if user else []), ref, env=env, node_root=node_root)

    def image_digest(self, ref: str) -> str:
        """The manifest digest containerd recorded for `ref` (ctr images ls: REF TYPE DIGEST ...)."""
        listing = self.ctr("images", "ls")
        assert listing.returncode == 0, listing.stderr
        for line in listing.stdout.splitlines()[1:]:
            fields = line.split()
            if fields and fields[0] == ref:
                return fields[2]
        raise AssertionError(f"{ref} is not in containerd's image store:\n{listing.stdout}")

    def has_blob(self, digest: str) -> bool:
        listing = self.ctr("content", "ls", "-q")
        return digest in listing.stdout.split()


@contextlib.contextmanager
def run_containerd(workdir: Path) -> Iterator[Containerd]:
    """containerd as root with root, state and socket under workdir, until the block ends."""
    base = workdir / "containerd"
    root, state = base / "root", base / "state"
    for d in (root, state):
        d.mkdir(parents=True, exist_ok=True)
    socket = base / "containerd.sock"
    config = base / "config.toml"
    config.write_text(containerd_config(root, state, socket))
    log = base / "containerd.log"
    with running([require_binary("containerd"), "--config", str(config)], log=log) as proc:
        deadline = time.monotonic() + 30
        while not socket.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"containerd did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield Containerd(socket=socket, log=log, workdir=base)
