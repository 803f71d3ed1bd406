"""Throughput of a 256 MiB layer through the mirror path vs. the same pull through the group path.

    venv/bin/python bench/mirror_throughput.py [--size-mib 256] [--rounds 5]

Everything runs on 127.0.0.1 (tests/support/mirror_env.py): the rendered gateway with mirrors docker.io and
ghcr.io. The group path is `GET /v2/bench/app/blobs/<d>` (no ns: the gateway -> the group stand-in ->
hosted), the mirror path the same request with containerd's `?ns=ghcr.io` (the gateway -> Nexus' web port
stand-in -> /repository/docker-proxy-ghcr-io/ -> ghcr.io's proxy registry). Both paths have the same hops:
the gateway, one nginx standing for Nexus, one docker-registry holding the layer. Rounds alternate the
order. Prints MiB/s per path (median of the rounds) and the ratio mirror/group (target >= 0.95).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.mirror_env import mirror_env  # noqa: E402
from tests.support.oci import MIB, download_blob, large_layer, upload_blob  # noqa: E402

TARGET = 0.95
REPO = "bench/app"


def run(size_mib: int, rounds: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="mirror-bench-") as tmp:
        work = Path(tmp)
        blob = large_layer(work / "oci", size_mib * MIB)
        with mirror_env(work, ["docker.io", "ghcr.io"]) as env:
            upload_blob(env.backends.hosted.url, REPO, blob)           # the group path reads hosted first
            upload_blob(env.proxies["ghcr.io"].url, REPO, blob)        # what ghcr.io's proxy has cached
            gw = env.gateway
            paths = {"group": "", "mirror": "ns=ghcr.io"}
            samples: dict[str, list[float]] = {name: [] for name in paths}
            for r in range(rounds):
                for name in (list(paths) if r % 2 == 0 else list(paths)[::-1]):
                    start = time.perf_counter()
                    size = download_blob(gw.url, REPO, blob.digest, ca=gw.ca, verify=False, query=paths[name])
                    elapsed = time.perf_counter() - start
                    if size != blob.size:
                        raise AssertionError(f"{name}: got {size} bytes of {blob.size}")
                    samples[name].append(size_mib / elapsed)
            mirrored = [line for line in gw.nginx.log.read_text().splitlines() if "?ns=ghcr.io " in line]
            if len(mirrored) != rounds or not all('" 200 ' in line for line in mirrored):
                raise AssertionError(f"the mirror pulls did not all pass the gateway's ns route: {mirrored}")
            if gw.nginx.temp_file_lines():
                raise AssertionError(gw.nginx.temp_file_lines())
            return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    samples = run(args.size_mib, args.rounds)
    mibs = {name: statistics.median(values) for name, values in samples.items()}
    print(f"{args.size_mib} MiB layer, {args.rounds} rounds; median (min-max) MiB/s")
    for name, values in samples.items():
        print(f"pull {name:7s} {mibs[name]:7.0f}  ({min(values):.0f}-{max(values):.0f})")
    print(f"pull mirror/group {mibs['mirror'] / mibs['group']:.2f}x (target >= {TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
