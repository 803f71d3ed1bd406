"""Start real processes on 127.0.0.1 for tests and stop them reliably."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import socketserver
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, *, host: str = "127.0.0.1", timeout: float = 15.0,
                  proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    """Block until something accepts TCP connections on host:port, or fail with the process log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}:\n"
                               + (log.read_text() if log and log.exists() else ""))
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s:\n"
                       + (log.read_text() if log and log.exists() else ""))


def find_binary(name: str) -> str | None:
    """The path of a system binary, also in the sbin directories a non-root PATH leaves out (nginx)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


def require_binary(name: str) -> str:
    """The path of a system binary the real tests need; a clear failure (not a skip) when it is missing."""
    path = find_binary(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed; run `make system-deps` (scripts/system-deps.sh)")
    return path


@contextlib.contextmanager
def running(args: Sequence[str], *, log: Path, port: int | None = None, cwd: Path | None = None,
            env: dict | None = None, timeout: float = 15.0) -> Iterator[subprocess.Popen]:
    """Run a process for the duration of the block, its output in `log`; wait for `port` when given."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(list(args), stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
                                env={**os.environ, **(env or {})}, start_new_session=True)
    try:
        if port is not None:
            wait_for_port(port, proc=proc, log=log, timeout=timeout)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@contextlib.contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[socketserver.BaseServer]:
    """Run an in-process (e.g. http.server) server on a daemon thread for the duration of the block."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
