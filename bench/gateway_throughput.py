"""Throughput of a >= 512 MiB blob through the gateway vs. a minimal tuned TLS proxy vs. direct.

    venv/bin/python bench/gateway_throughput.py [--size-mib 512] [--rounds 5] [--no-rep-movsb]

Everything runs on 127.0.0.1 (the fixture of tests/gateway/test_gateway_real.py): pushes go to the hosted
registry, pulls come through the group stand-in. Prints MiB/s per path (median of the rounds) and
the ratios gateway/tuned (pull) and gateway/direct (push).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.gateway_env import run_backends, run_gateway, run_nginx, streaming_proxy_conf  # noqa: E402
from tests.support.oci import MIB, Blob, download_blob, large_layer, upload_blob  # noqa: E402
from tests.support.procs import free_port  # noqa: E402
from tests.support.tlsgen import make_chain  # noqa: E402


def tuned_proxy_conf(*, pull_port: int, push_port: int, group: str, hosted: str, cert: Path, key: Path) -> str:
    """The baseline: a plain TLS reverse proxy with buffering off (distribution/Harbor recipe style)
    and the gateway's buffer sizes, one port per direction: what the routing map and the rest cost."""
    servers = "\n".join(f"""    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{ proxy_pass http://{name}; }}
    }}""" for port, name in ((pull_port, "pull"), (push_port, "push")))
    return streaming_proxy_conf(upstreams={"pull": group, "push": hosted}, servers=servers,
                                buffer_size="128k", workers="auto", forwarded_proto="https")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(size_mib: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        blob: Blob = large_layer(work / "oci", size_mib * MIB)
        b = stack.enter_context(run_backends(work))
        gw = stack.enter_context(run_gateway(work, hosted=b.hosted.address, group=b.group, web=b.web.address))
        pem = make_chain(["127.0.0.1"]).write(work / "tuned-tls")
        pull_port, push_port = free_port(), free_port()
        stack.enter_context(run_nginx(work, "tuned", tuned_proxy_conf(
            pull_port=pull_port, push_port=push_port, group=b.group, hosted=b.hosted.address,
            cert=pem["cert"], key=pem["key"]), [pull_port, push_port]))
        tuned_pull, tuned_push = f"https://127.0.0.1:{pull_port}", f"https://127.0.0.1:{push_port}"
        upload_blob(b.hosted.url, "bench/seed", blob)  # the pulls need it in hosted
        paths = {  # name: (push url, pull url, ca)
            "direct": (b.hosted.url, f"http://{b.group}", None),
            "tuned": (tuned_push, tuned_pull, pem["ca"]),
            "gateway": (gw.url, gw.url, gw.ca),
        }
        samples: dict[str, list[float]] = {}
        names = list(paths)
        for r in range(rounds):
            for name in names[r % 3:] + names[:r % 3]:  # rotate the order: neighbours' load spreads evenly
                push_url, pull_url, ca = paths[name]
                push = timed(lambda: upload_blob(push_url, f"bench/{name}{r}", blob, ca=ca, chunked=False))
                pull = timed(lambda: download_blob(pull_url, "bench/seed", blob.digest, ca=ca, verify=False))
                samples.setdefault(f"push {name}", []).append(size_mib / push)
                samples.setdefault(f"pull {name}", []).append(size_mib / pull)
        assert gw.nginx.temp_file_lines() == [], gw.nginx.temp_file_lines()
        return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-rep-movsb", action="store_true",
                        help="run the servers with glibc's rep-movsb memcpy off (see docs/gateway-routing.md: on some AMD "
                             "CPUs its speed depends on buffer alignment, which differs per nginx config)")
    args = parser.parse_args(argv)
    if args.no_rep_movsb:  # inherited by every process the fixture starts
        os.environ["GLIBC_TUNABLES"] = "glibc.cpu.x86_rep_movsb_threshold=4294967295"
    samples = run(args.size_mib, args.rounds)
    mibs = {name: statistics.median(values) for name, values in samples.items()}
    print(f"{args.size_mib} MiB blob, {args.rounds} rounds, {os.cpu_count()} CPUs"
          f"{', rep movsb off' if args.no_rep_movsb else ''}; median (min-max) MiB/s")
    for name in sorted(samples):
        print(f"{name:14s} {mibs[name]:6.0f}  ({min(samples[name]):.0f}-{max(samples[name]):.0f})")
    print(f"pull gateway/tuned  {mibs['pull gateway'] / mibs['pull tuned']:.2f}x (target >= 0.90)")
    print(f"push gateway/direct {mibs['push gateway'] / mibs['push direct']:.2f}x")
    print(f"push gateway/tuned  {mibs['push gateway'] / mibs['push tuned']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
