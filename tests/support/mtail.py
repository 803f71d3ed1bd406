"""Debian's mtail on 127.0.0.1 with the gateway's program, and a reader of Prometheus' text format.

    with run_mtail(workdir) as exporter:
        exporter.syslog_address    # 127.0.0.1:<udp port>: the gateway's metrics_log_address
        exporter.samples()         # {(name, frozenset(labels.items())): value} from its /metrics
"""
from __future__ import annotations

import contextlib
import re
import socket
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from components.gateway import metrics_log
from tests.support.procs import free_port, require_binary, running

_SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Prometheus' text exposition format, comments skipped: (name, labels) -> value."""
    samples = {}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m and not line.startswith("#"):
            labels = frozenset(_LABEL.findall(m.group("labels") or ""))
            samples[(m.group("name"), labels)] = float(m.group("value"))
    return samples


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Mtail:
    port: int
    syslog_port: int

    @property
    def syslog_address(self) -> str:
        return f"127.0.0.1:{self.syslog_port}"

    def text(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as resp:
            return resp.read().decode()

    def samples(self) -> dict[tuple[str, frozenset], float]:
        return parse_samples(self.text())


@contextlib.contextmanager
def run_mtail(workdir: Path, program: str | None = None) -> Iterator[Mtail]:
    """mtail with `program` (default: the gateway's), reading syslog datagrams on a free UDP port, serving
    /metrics on a free TCP port, both on 127.0.0.1 only."""
    progs = workdir / "mtail" / "progs"
    progs.mkdir(parents=True, exist_ok=True)
    (progs / metrics_log.PROGRAM_FILE).write_text(program or metrics_log.mtail_program())
    port, udp = free_port(), free_udp_port()
    args = [require_binary("mtail"), *metrics_log.mtail_args(str(progs), syslog_port=udp, metrics_port=port,
                                                            address="127.0.0.1")]
    with running(args, log=workdir / "mtail" / "mtail.log", port=port):
        yield Mtail(port=port, syslog_port=udp)
