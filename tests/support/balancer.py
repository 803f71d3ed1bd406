"""A TCP balancer on 127.0.0.1 that stands for a Service's virtual IP as kube-proxy runs it: each new
connection goes to the next endpoint (round robin) and stays there; removing an endpoint (the pod is
terminating and its endpoint update has propagated) changes where new connections go, never the ones
already open. It records when each connection went where."""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator

from tests.support.procs import free_port

BUFFER = 256 * 1024


@dataclass
class Balancer:
    port: int
    endpoints: list[int]                                         # backend ports on 127.0.0.1
    routed: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, backend port)
    refused: list[tuple[float, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next: int = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def remove(self, port: int) -> None:
        with self._lock:
            self.endpoints = [p for p in self.endpoints if p != port]

    def connections_to(self, port: int, since: float = 0.0, until: float = float("inf")) -> int:
        return sum(1 for at, p in list(self.routed) if p == port and since <= at < until)

    def pick(self) -> int:
        with self._lock:
            if not self.endpoints:
                raise ConnectionRefusedError("no endpoints")
            port = self.endpoints[self._next % len(self.endpoints)]
            self._next += 1
            self.routed.append((time.monotonic(), port))
            return port


def _pump(src: socket.socket, dst: socket.socket) -> None:
    buf = bytearray(BUFFER)
    view = memoryview(buf)
    with contextlib.suppress(OSError):
        while n := src.recv_into(buf):
            dst.sendall(view[:n])
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)   # pass the half-close on, as a TCP proxy does


def _relay(balancer: Balancer, client: socket.socket) -> None:
    port = balancer.pick()
    try:
        upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        balancer.refused.append((time.monotonic(), port))
        client.close()   # the client sees its connection reset, as when a DNAT target refuses
        return
    upstream.settimeout(None)
    back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    back.start()
    _pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


@contextlib.contextmanager
def balancer(endpoints: list[int]) -> Iterator[Balancer]:
    lb = Balancer(port=free_port(), endpoints=list(endpoints))
    listener = socket.create_server(("127.0.0.1", lb.port), backlog=128)
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            threading.Thread(target=_relay, args=(lb, client), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield lb
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
