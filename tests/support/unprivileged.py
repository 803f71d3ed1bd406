"""Run a process the way the gateway pod's securityContext runs nginx, without a container runtime: in a
private mount namespace where `/` is remounted read-only (readOnlyRootFilesystem) and one directory is a
fresh tmpfs (the emptyDir), as a non-root uid/gid with every capability dropped, also from the bounding
set (capabilities: drop ALL) and no_new_privs (allowPrivilegeEscalation: false). Needs root to set up.
"""
from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
from pathlib import Path
from typing import Iterator, Sequence

from tests.support.procs import require_binary, running, wait_for_port


@contextlib.contextmanager
def run_as_pod(args: Sequence[str], *, uid: int, writable: Path, log: Path,
               ports: Sequence[int]) -> Iterator[subprocess.Popen]:
    """`args` (a binary looked up on PATH first) as uid/gid `uid` with only `writable` writable; yields
    the process, which is `args[0]` itself (unshare and setpriv exec into it)."""
    writable.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()
    os.chown(log, uid, uid)   # as runc hands the container's stdio to its user (/dev/stdout is reopened)
    command = [require_binary(args[0]), *args[1:]]
    setpriv = [require_binary("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
               "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
    script = (f"mount -t tmpfs -o size=64m,mode=1777 tmpfs {shlex.quote(str(writable))} && "
              "mount -o remount,bind,ro / && exec " + shlex.join([*setpriv, *command]))
    with running([require_binary("unshare"), "--mount", "--propagation", "private", "sh", "-c", script],
                 log=log, port=ports[0]) as proc:
        for port in ports[1:]:
            wait_for_port(port, proc=proc, log=log)
        yield proc


def status(pid: int) -> dict[str, str]:
    """/proc/<pid>/status as a dict (Uid, Gid, CapEff, CapBnd, NoNewPrivs, ...)."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}
