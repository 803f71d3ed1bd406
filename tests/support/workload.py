"""Registry clients that keep pulling and pushing through one address while a test does something to the
servers behind it (reload, stop), recording every operation that fails; and a progress hook that holds a
large transfer to a fixed rate so that it is still in flight when that happens.

Every request goes on a connection of its own (`Connection: close`). What is measured is whether a
request the gateway accepted is ever lost, or a connection refused. A request written into a kept-alive
connection just as the server closes it as idle is the HTTP/1.1 keep-alive race, the same on a graceful
stop as at every keepalive_timeout, which clients handle by retrying; it is not counted here.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from tests.support.oci import (LAYER_TAR, MANIFEST_ACCEPT, OciImage, connect, download_blob, request,
                               upload_blob, write_blob)


@dataclass
class Workload:
    url: str            # https://127.0.0.1:<port>, the address under test
    ca: Path
    image: OciImage     # pulled: present behind `url` as pull_repo:image.tag
    pull_repo: str
    push_repo: str
    scratch: Path       # where the pushed blobs are made
    done: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def pull(self) -> None:
        """What a pull does: the manifest (digest checked), then every blob (digests checked)."""
        conn = connect(self.url, ca=self.ca, timeout=60)
        try:
            resp = request(conn, "GET", f"/v2/{self.pull_repo}/manifests/{self.image.tag}", length=0,
                           headers={"Accept": MANIFEST_ACCEPT})
            body = resp.read()
            digest = resp.getheader("Docker-Content-Digest")
            if resp.status != 200 or digest != self.image.manifest.digest:
                raise AssertionError(f"GET manifest: HTTP {resp.status}, digest {digest}: {body[:200]!r}")
        finally:
            conn.close()
        for blob in self.image.blobs:
            download_blob(self.url, self.pull_repo, blob.digest, ca=self.ca)

    def push(self) -> None:
        """A new 16 KiB blob, uploaded chunked (docker) or monolithic (containerd) by turns, then the
        push-time HEAD that must find it."""
        blob = write_blob(self.scratch, [os.urandom(16 * 1024)], LAYER_TAR)
        upload_blob(self.url, self.push_repo, blob, ca=self.ca, chunked=self.done["push"] % 2 == 0,
                    keep_alive=False)
        conn = connect(self.url, ca=self.ca, timeout=60)
        try:
            resp = request(conn, "HEAD", f"/v2/{self.push_repo}/blobs/{blob.digest}", length=0)
            resp.read()
            if resp.status != 200:
                raise AssertionError(f"HEAD pushed blob: HTTP {resp.status}")
        finally:
            conn.close()

    def _loop(self, name: str, operation: Callable[[], None], max_ops: int, deadline: float) -> None:
        for _ in range(max_ops):
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            try:
                operation()
                self.done[name] += 1
            except Exception as e:  # every failure counts; the test asserts there are none
                self.errors.append(f"{name} at {time.monotonic():.3f}: {type(e).__name__}: {e}")


@contextlib.contextmanager
def running(load: Workload, *, pullers: int = 2, pushers: int = 2, max_ops: int = 2000,
            max_seconds: float = 60) -> Iterator[Workload]:
    """Bounded loops of pulls and pushes for the duration of the block (or max_ops / max_seconds)."""
    deadline = time.monotonic() + max_seconds
    threads = [threading.Thread(target=load._loop, args=(kind, op, max_ops, deadline), daemon=True)
               for kind, op, count in (("pull", load.pull, pullers), ("push", load.push, pushers))
               for _ in range(count)]
    for thread in threads:
        thread.start()
    try:
        yield load
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)


@dataclass
class Throttle:
    """A Progress hook that holds a transfer to `rate` bytes/s and records how far it has got."""
    rate: float
    moved: int = 0
    started: float | None = None

    def __call__(self, moved: int) -> None:
        now = time.monotonic()
        if self.started is None:
            self.started = now
        self.moved = moved
        ahead = moved / self.rate - (now - self.started)
        if ahead > 0:
            time.sleep(ahead)

    def wait_for(self, moved: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.moved < moved:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the transfer moved only {self.moved} bytes in {timeout}s")
            time.sleep(0.02)


class Background(threading.Thread):
    """Runs `fn` on a thread and keeps its result or the exception it raised."""

    def __init__(self, fn: Callable[[], object]):
        super().__init__(daemon=True)
        self.fn, self.result, self.error = fn, None, None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.fn()
        except Exception as e:  # the test looks at it
            self.error = e

    def outcome(self, timeout: float = 120) -> object:
        self.join(timeout)
        if self.is_alive():
            raise TimeoutError(f"still running after {timeout}s")
        if self.error is not None:
            raise self.error
        return self.result
