"""Load through the gateway vs. direct: concurrent clients pulling the way containerd does.

    venv/bin/python bench/gateway_load.py [--clients 50] [--requests 200] [--seconds 60] [--rounds 2]

Everything runs on 127.0.0.1 (the fixture of tests/gateway/test_gateway_real.py: hosted registry, hub, pull-through
cache, group stand-in). Each client keeps one keep-alive connection and repeats containerd's pull of an
image: HEAD the tag's manifest (containerd's Accept header; the answer must carry the right
Docker-Content-Digest), GET the manifest by digest, GET the config and layer blobs (every body checked
against its digest). "direct" is plain HTTP to the group stand-in, where the gateway's pull routes lead;
"gateway" is TLS through the rendered gateway. Rounds alternate the two paths. A round ends when every
client has sent --requests requests or --seconds have passed, whichever comes first.

Prints requests/s, p50/p99 latency and errors per path, and the gateway/direct p99 ratio (goal: 0
errors, p99 within 1.5x direct). Exits 1 if any request failed.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import multiprocessing
import os
import ssl
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.gateway_env import run_backends, run_gateway  # noqa: E402
from tests.support.oci import MANIFEST_ACCEPT, OciImage, make_image, push_image  # noqa: E402

GOAL_P99_RATIO = 1.5


@dataclass(frozen=True)
class Op:
    """One request and what a correct answer is: the status, and the digest of the body (GET) or of
    the Docker-Content-Digest header (HEAD)."""
    method: str
    path: str
    digest: str
    accept: str = "*/*"


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)   # seconds, successful requests
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def add(self, other: "Tally") -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.elapsed += other.elapsed


def pull_ops(repo: str, image: OciImage) -> list[Op]:
    """containerd's pull of repo:tag (core/remotes/docker/resolver.go, fetcher.go)."""
    ops = [Op("HEAD", f"/v2/{repo}/manifests/{image.tag}", image.manifest.digest, MANIFEST_ACCEPT),
           Op("GET", f"/v2/{repo}/manifests/{image.manifest.digest}", image.manifest.digest, MANIFEST_ACCEPT)]
    return ops + [Op("GET", f"/v2/{repo}/blobs/{blob.digest}", blob.digest) for blob in image.blobs]


# ------------------------------------------------------------------------------------------ client

class Connection:
    """A minimal HTTP/1.1 keep-alive client connection (Content-Length or chunked bodies)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, url: str, ctx: ssl.SSLContext | None) -> "Connection":
        parts = urlsplit(url)
        if parts.hostname != "127.0.0.1":
            raise ValueError(f"load goes to 127.0.0.1 only, not {url}")
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port, ssl=ctx,
                                                       server_hostname=parts.hostname if ctx else None)
        return cls(reader, writer, parts.netloc)

    async def send(self, op: Op) -> tuple[int, dict[str, str], bytes]:
        self.writer.write(f"{op.method} {op.path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: {op.accept}\r\n"
                          "User-Agent: containerd/2.0 (gateway_load)\r\n\r\n".encode())
        await self.writer.drain()
        status = int((await self.reader.readline()).split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if op.method == "HEAD" or status in (204, 304):
            body = b""
        elif "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        return status, headers, body

    async def _chunked(self) -> bytes:
        parts = []
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        while await self.reader.readline() not in (b"\r\n", b""):  # trailers
            pass
        return b"".join(parts)

    def close(self) -> None:
        self.writer.close()


def check(op: Op, status: int, headers: dict[str, str], body: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}"
    if op.method == "HEAD":
        got = headers.get("docker-content-digest")
        return None if got == op.digest else f"Docker-Content-Digest {got!r}"
    got = "sha256:" + hashlib.sha256(body).hexdigest()
    return None if got == op.digest else f"body digest {got} ({len(body)} bytes)"


async def one_client(url: str, ctx: ssl.SSLContext | None, ops: list[Op], offset: int, requests: int,
                     deadline: float, tally: Tally) -> None:
    conn: Connection | None = None
    try:
        for i in range(requests):
            if time.monotonic() >= deadline:
                break
            op = ops[(offset + i) % len(ops)]
            start = time.perf_counter()
            try:
                conn = conn or await Connection.open(url, ctx)
                status, headers, body = await asyncio.wait_for(conn.send(op), timeout=30)
                problem = check(op, status, headers, body)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as err:
                status, headers, problem = 0, {"connection": "close"}, f"{type(err).__name__}: {err}"
            if problem:
                tally.errors.append(f"{op.method} {op.path}: {problem}")
            else:
                tally.latencies.append(time.perf_counter() - start)
            if headers.get("connection", "").lower() == "close" and conn:
                conn.close()
                conn = None
    finally:
        if conn:
            conn.close()


def run_clients(url: str, ca: str | None, ops: list[Op], clients: range, requests: int, seconds: float) -> Tally:
    """`clients` concurrent clients in this process (an asyncio loop); client k starts at op k."""
    async def main() -> Tally:
        ctx = ssl.create_default_context(cafile=ca) if ca else None
        tally = Tally()
        start = time.perf_counter()
        await asyncio.gather(*(one_client(url, ctx, ops, k * 7, requests, time.monotonic() + seconds, tally)
                               for k in clients))
        tally.elapsed = time.perf_counter() - start
        return tally
    return asyncio.run(main())


def load_round(pool: ProcessPoolExecutor, procs: int, url: str, ca: Path | None, ops: list[Op],
               clients: int, requests: int, seconds: float) -> Tally:
    """`clients` clients spread over `procs` processes (so the Python client is not the bottleneck)."""
    shares = [range(p, clients, procs) for p in range(procs)]
    futures = [pool.submit(run_clients, url, str(ca) if ca else None, ops, share, requests, seconds)
               for share in shares if share]
    tally = Tally()
    for future in futures:
        part = future.result()
        tally.latencies += part.latencies
        tally.errors += part.errors
        tally.elapsed = max(tally.elapsed, part.elapsed)
    return tally


# ------------------------------------------------------------------------------------------- bench

def seed_images(work: Path, backends, hosted_images: int, hub_images: int) -> list[Op]:
    """Images pushed straight to hosted, and to the hub (so pulled through the cache); their pull ops."""
    ops: list[Op] = []
    for i in range(hosted_images + hub_images):
        in_hub = i >= hosted_images
        repo = f"library/base{i}" if in_hub else f"team/app{i}"
        image = make_image(work / "oci" / f"img{i}", "1", extra_layers=2, layer_size=256 * 1024)
        push_image((backends.hub if in_hub else backends.hosted).url, repo, image, chunked=False)
        ops += pull_ops(repo, image)
    return ops


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else \
        (values[0] if values else float("nan"))


def run(*, clients: int, requests: int, seconds: float, rounds: int, procs: int) -> dict[str, Tally]:
    with tempfile.TemporaryDirectory(prefix="gw-load-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        b = stack.enter_context(run_backends(work))
        gw = stack.enter_context(run_gateway(work, hosted=b.hosted.address, group=b.group, web=b.web.address))
        ops = seed_images(work, b, hosted_images=4, hub_images=2)
        paths = {"direct": (f"http://{b.group}", None), "gateway": (gw.url, gw.ca)}
        # spawn, not fork: this process runs server threads (the fixture's stubs)
        pool = stack.enter_context(ProcessPoolExecutor(max_workers=procs,
                                                       mp_context=multiprocessing.get_context("spawn")))
        for url, ca in paths.values():  # warm-up: the cache fetches hub images once, processes start
            warm = load_round(pool, procs, url, ca, ops, procs, len(ops), seconds)
            if warm.errors:
                raise RuntimeError(f"warm-up failed on {url}: {warm.errors[:3]}")
        tallies = {name: Tally() for name in paths}
        names = list(paths)
        for r in range(rounds):
            for name in names[r % 2:] + names[:r % 2]:  # alternate which path goes first
                url, ca = paths[name]
                tallies[name].add(load_round(pool, procs, url, ca, ops, clients, requests, seconds))
        return tallies


def report(tallies: dict[str, Tally]) -> list[str]:
    lines = [f"{'path':8s} {'requests':>9s} {'errors':>7s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s}"]
    p99 = {}
    for name, t in tallies.items():
        p99[name] = percentile(t.latencies, 99) * 1000
        rate = len(t.latencies) / t.elapsed if t.elapsed else 0.0
        lines.append(f"{name:8s} {len(t.latencies):9d} {len(t.errors):7d} {rate:8.0f} "
                     f"{percentile(t.latencies, 50) * 1000:8.1f} {p99[name]:8.1f}")
    ratio = p99["gateway"] / p99["direct"]
    errors = sum(len(t.errors) for t in tallies.values())
    lines.append(f"gateway/direct p99 {ratio:.2f}x (goal <= {GOAL_P99_RATIO:.1f}x: "
                 f"{'met' if ratio <= GOAL_P99_RATIO else 'NOT met'}); errors {errors} (goal 0)")
    for name, t in tallies.items():
        lines += [f"  {name} error: {e}" for e in t.errors[:5]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (connections)")
    parser.add_argument("--requests", type=int, default=200, help="requests per client per round (bound)")
    parser.add_argument("--seconds", type=float, default=60, help="time bound of one round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per path, alternating the paths")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1, help="client processes")
    args = parser.parse_args(argv)
    for name in ("clients", "requests", "rounds", "procs"):
        if not 1 <= getattr(args, name) <= 10_000:
            parser.error(f"--{name} must be between 1 and 10000")
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be in (0, 600]")
    tallies = run(clients=args.clients, requests=args.requests, seconds=args.seconds, rounds=args.rounds,
                  procs=min(args.procs, args.clients))
    print(f"{args.clients} clients over {min(args.procs, args.clients)} processes, <= {args.requests} requests "
          f"each per round, {args.rounds} round(s) per path, <= {args.seconds:.0f} s per round, "
          f"{os.cpu_count()} CPUs; containerd-style pulls (HEAD tag, GET manifest, GET blobs) of 6 images")
    print("\n".join(report(tallies)))
    return 1 if any(t.errors for t in tallies.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
