"""Smoke check of the deployed registry over the Docker Registry HTTP API V2, the way
`docker login` / `docker push` / `docker pull` use it, in pure Python + requests (no docker needed).

    NEXUS_REGISTRY_PASSWORD=... python -m components.clients.smoke --registry 10.0.0.5:30443 --ca ca.crt --user admin
    NEXUS_REGISTRY_PASSWORD=... NEXUS_PULL_PASSWORD=... python -m components.clients.smoke \
        --registry 10.0.0.5:30443 --ca ca.crt --user ci --pull-user cluster

Steps: ping (`GET /v2/`, TLS verified against --ca only), login (the 401 challenge: Basic, or a Bearer
token from the realm), push (a tiny generated image), pull (HEAD by tag as containerd does, then GET
the manifest and every blob, digests checked), and optionally a HEAD on an image behind the Docker
Hub proxy. With --pull-user, that user logs in separately (login-pull), does the pull and the proxy
check, and must then be refused a push (no-push: 401 or 403 when it starts an upload). Passwords and
tokens are never printed.
"""
from __future__ import annotations

import argparse
import getpass
import gzip
import hashlib
import io
import json
import os
import secrets
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import requests

from components.clients.registry_client import (  # noqa: F401
    DEFAULT_TIMEOUT,
    Challenge,
    RegistryClient,
    SmokeError,
    describe,
    origin,
)

DEFAULT_REPO = "smoke/nexus-registry-smoke"
PASSWORD_ENV = ("NEXUS_REGISTRY_PASSWORD", "REGISTRY_PASSWORD")
PULL_PASSWORD_ENV = ("NEXUS_PULL_PASSWORD",)
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


# What containerd's resolver sends with HEAD /manifests/<tag> (core/remotes/docker/resolver.go).
RESOLVE_ACCEPT = ", ".join([DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX, "*/*"])


# manifest format → (manifest, config, layer) media types
MEDIA_TYPES = {
    "docker": (DOCKER_MANIFEST, "application/vnd.docker.container.image.v1+json",
               "application/vnd.docker.image.rootfs.diff.tar.gzip"),
    "oci": (OCI_MANIFEST, "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip"),
}


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str
    ms: float

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name:<6} {self.detail} ({self.ms:.0f} ms)"


@dataclass
class SmokeReport:
    registry: str
    image: str = ""            # registry/repo:tag pushed and pulled
    digest: str = ""           # its manifest digest
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    def summary(self) -> str:
        failed = [step for step in self.steps if not step.ok]
        if failed:
            return f"smoke check FAILED at {failed[0].name}: {failed[0].detail}"
        pushed = f"; pushed and pulled {self.image}@{self.digest}" if self.image else ""
        return f"smoke check passed: {len(self.steps)} steps against {self.registry}{pushed}"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _descriptor(media_type: str, data: bytes) -> dict:
    return {"mediaType": media_type, "size": len(data), "digest": sha256(data)}


@dataclass(frozen=True)
class Image:
    manifest: bytes
    media_type: str
    blobs: dict[str, bytes]      # digest → content: config and layer

    @property
    def digest(self) -> str:
        return sha256(self.manifest)


def make_image(manifest_format: str = "docker") -> Image:
    """A one-layer image of random bytes: a gzip'd tar layer, a config and a schema2/OCI manifest."""
    manifest_type, config_type, layer_type = MEDIA_TYPES[manifest_format]
    payload = secrets.token_hex(256).encode()
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        info = tarfile.TarInfo("nexus-registry-smoke.txt")
        info.size, info.mtime = len(payload), int(time.time())
        tar.addfile(info, io.BytesIO(payload))
    layer = gzip.compress(tar_bytes.getvalue(), mtime=0)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": created, "config": {},
        "rootfs": {"type": "layers", "diff_ids": [sha256(tar_bytes.getvalue())]},
        "history": [{"created": created, "created_by": "nexus-registry smoke check"}],
    }).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": manifest_type,
                           "config": _descriptor(config_type, config),
                           "layers": [_descriptor(layer_type, layer)]}, indent=2).encode()
    return Image(manifest=manifest, media_type=manifest_type,
                 blobs={sha256(config): config, sha256(layer): layer})


def _require_digest(resp: requests.Response, what: str, expected: str | None = None) -> str:
    digest = resp.headers.get("Docker-Content-Digest", "")
    if not digest:
        raise SmokeError(f"{what}: no Docker-Content-Digest header (HTTP {resp.status_code})")
    if expected and digest != expected:
        raise SmokeError(f"{what}: Docker-Content-Digest {digest}, expected {expected}")
    return digest


def ping(client: RegistryClient) -> tuple[str, requests.Response]:
    if not Path(client.ca_path).is_file():
        raise SmokeError(f"CA file {client.ca_path} not found")
    url = client.url("/v2/")
    resp = client.send("GET", url)
    if resp.status_code not in (200, 401):
        raise SmokeError(f"GET {url} → {describe(resp)}; expected 200 or 401 from a registry")
    version = resp.headers.get("Docker-Distribution-Api-Version", "")
    if "registry/2.0" not in version:
        raise SmokeError(f"GET {url} → HTTP {resp.status_code} without Docker-Distribution-Api-Version: "
                         "registry/2.0; not a registry (or a proxy strips the header)")
    challenge = Challenge.parse(resp.headers.get("WWW-Authenticate"))
    return f"{url} {resp.status_code} {challenge.scheme.capitalize() if challenge else 'open'}", resp


def _who(client: RegistryClient) -> str:
    return client.credentials[0] if client.credentials else "anonymous"


def login(client: RegistryClient, ping_resp: requests.Response) -> str:
    """What `docker login` does: answer the /v2/ challenge, then GET /v2/ must be 200."""
    if ping_resp.status_code == 200:
        return "no challenge: the registry lets anyone in"
    if not client.authenticate(ping_resp):
        raise SmokeError("login failed: the registry asks for credentials (Basic) and none were given"
                         if client.credentials is None else "login failed: no usable challenge on GET /v2/")
    resp = client.send("GET", client.url("/v2/"))
    who = _who(client)
    if resp.status_code != 200:
        raise SmokeError(f"login failed for {who}: GET /v2/ with {client.scheme.capitalize()} "
                         f"→ {describe(resp)}")
    via = f" via token realm {client.realm}" if client.scheme == "bearer" else ""
    return f"{who} {client.scheme.capitalize()}{via}"


def upload_location(client: RegistryClient, location: str | None) -> str:
    """The upload URL to use, exactly as returned: relative → against the registry URL; an absolute
    one on another host:port fails, since docker/containerd drop credentials there."""
    if not location:
        raise SmokeError("POST /blobs/uploads/ → 202 without a Location header")
    url = client.url(location)
    if origin(url) != origin(client.base):
        where = urlsplit(url)
        raise SmokeError(f"upload Location {where.scheme}://{where.netloc} is not the registry "
                         f"{client.base}: clients drop credentials there; the gateway must pass "
                         "Host $http_host and X-Forwarded-Proto https")
    return url


def upload_blob(client: RegistryClient, repo: str, digest: str, blob: bytes) -> None:
    """POST an upload session, then one monolithic PUT <Location>&digest= (as containerd does)."""
    started = client.request("POST", f"/v2/{repo}/blobs/uploads/", expect=(202,))
    url = upload_location(client, started.headers.get("Location"))
    url += ("&" if urlsplit(url).query else "?") + f"digest={digest}"
    done = client.request("PUT", url, data=blob, headers={"Content-Type": "application/octet-stream"},
                          expect=(201,))
    _require_digest(done, f"PUT blob {digest}", digest)


def push(client: RegistryClient, repo: str, tag: str, image: Image) -> str:
    uploaded = 0
    for digest, blob in image.blobs.items():
        if client.request("HEAD", f"/v2/{repo}/blobs/{digest}", expect=(200, 404)).status_code == 404:
            upload_blob(client, repo, digest, blob)
            uploaded += 1
    resp = client.request("PUT", f"/v2/{repo}/manifests/{tag}", data=image.manifest,
                          headers={"Content-Type": image.media_type}, expect=(201,))
    _require_digest(resp, "PUT manifest", image.digest)
    return f"{repo}:{tag} {image.digest} ({uploaded} of {len(image.blobs)} blobs uploaded)"


def resolve(client: RegistryClient, name: str, reference: str) -> str:
    """HEAD the manifest with containerd's Accept list: 200 + Docker-Content-Digest, no GET fallback."""
    path = f"/v2/{name}/manifests/{reference}"
    resp = client.request("HEAD", path, headers={"Accept": RESOLVE_ACCEPT}, expect=None)
    if resp.status_code != 200:
        hint = ("; containerd-based clients (docker 29+, BuildKit, kubelet) resolve tags with HEAD only "
                "and do not retry with GET" if resp.status_code == 404 else "")
        raise SmokeError(f"HEAD {path} → {describe(resp)}{hint}")
    return _require_digest(resp, f"HEAD {path}")


def _get_verified(client: RegistryClient, path: str, digest: str, **kwargs) -> bytes:
    body = client.request("GET", path, **kwargs).content
    if sha256(body) != digest:
        raise SmokeError(f"GET {path}: content digest {sha256(body)}, expected {digest}")
    return body


def pull(client: RegistryClient, repo: str, tag: str, image: Image) -> str:
    digest = resolve(client, repo, tag)
    if digest != image.digest:
        raise SmokeError(f"HEAD {repo}:{tag} → {digest}, but {image.digest} was pushed")
    manifest = json.loads(_get_verified(client, f"/v2/{repo}/manifests/{digest}", digest,
                                        headers={"Accept": RESOLVE_ACCEPT}))
    descriptors = [manifest["config"], *manifest["layers"]]
    for descriptor in descriptors:
        _get_verified(client, f"/v2/{repo}/blobs/{descriptor['digest']}", descriptor["digest"])
    return f"{repo}:{tag} → {digest}; manifest and {len(descriptors)} blobs verified"


def _cancel_upload(client: RegistryClient, started: requests.Response) -> str:
    """Leave no upload session behind: DELETE its Location, as `docker push` does when interrupted."""
    location = started.headers.get("Location")
    if not location:
        return "no upload Location to cancel"
    try:
        done = client.request("DELETE", location, expect=None)
    except SmokeError as exc:
        return f"the upload could not be cancelled: {exc}"
    return "the upload was cancelled" if done.status_code < 300 else \
        f"the upload could not be cancelled: DELETE → {describe(done)}"


def refuse_push(client: RegistryClient, repo: str) -> str:
    """A pull-only user must be refused a push where docker starts one (POST an upload): 401 or 403."""
    path = f"/v2/{repo}/blobs/uploads/"
    resp = client.request("POST", path, expect=None)
    if resp.status_code in (401, 403):
        return f"{_who(client)} may not push: POST {path} → {describe(resp)}"
    if resp.status_code == 202:
        raise SmokeError(f"{_who(client)} could push: POST {path} → HTTP 202 ({_cancel_upload(client, resp)}); "
                         "a pull user must not hold push rights: check the pull role's privileges")
    raise SmokeError(f"POST {path} as {_who(client)} → {describe(resp)}; expected 401 or 403 for a pull user")


def split_reference(image: str) -> tuple[str, str]:
    """`busybox` → (`library/busybox`, `latest`); `a/b:t` → (`a/b`, `t`); `a/b@sha256:…` by digest."""
    name, sep, digest = image.partition("@")
    reference = digest if sep else "latest"
    if not sep and ":" in name.rsplit("/", 1)[-1]:
        name, reference = name.rsplit(":", 1)
    return (name if "/" in name else f"library/{name}"), reference


def check_proxy(client: RegistryClient, proxy_image: str) -> str:
    name, reference = split_reference(proxy_image)
    return f"{name}:{reference} → {resolve(client, name, reference)}"


def _normalise(registry: str) -> str:
    """`IP:PORT`, also accepting `https://IP:PORT/` as given by mistake."""
    return urlsplit(registry).netloc if "://" in registry else registry.strip("/")


def run_smoke(registry: str, ca_path: str | Path, user: str | None = None, password: str | None = None, *,
              repo: str = DEFAULT_REPO, tag: str | None = None, proxy_image: str | None = None,
              push_image: bool = True, manifest_format: str = "docker", timeout: float = DEFAULT_TIMEOUT,
              pull_user: str | None = None, pull_password: str | None = None,
              out: Callable[[str], None] = print) -> SmokeReport:
    """Run the steps in order, printing each as it ends through `out`; stop at the first failure.
    `user` pushes; `pull_user` (when given) pulls and must be refused a push."""
    registry = _normalise(registry)
    client = RegistryClient(registry, str(ca_path), user, password, timeout=timeout)
    reader = RegistryClient(registry, str(ca_path), pull_user, pull_password, timeout=timeout) if pull_user \
        else client
    report = SmokeReport(registry=registry)
    tag = tag or time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    image = make_image(manifest_format)
    state: dict = {}

    def do_ping() -> str:
        detail, state["ping"] = ping(client)
        return detail

    steps: list[tuple[str, Callable[[], str]]] = [("ping", do_ping),
                                                   ("login", lambda: login(client, state["ping"]))]
    if push_image:
        steps.append(("push", lambda: push(client, repo, tag, image)))
    if pull_user:
        steps.append(("login-pull", lambda: login(reader, state["ping"])))
    if push_image:
        steps.append(("pull", lambda: pull(reader, repo, tag, image)))
    if proxy_image:
        steps.append(("proxy", lambda: check_proxy(reader, proxy_image)))
    if pull_user:
        steps.append(("no-push", lambda: refuse_push(reader, repo)))
    for name, action in steps:
        started = time.monotonic()
        try:
            detail, ok = action(), True
        except SmokeError as exc:
            detail, ok = str(exc), False
        report.steps.append(Step(name, ok, detail, (time.monotonic() - started) * 1000))
        out(report.steps[-1].line())
        if not ok:
            break
    if push_image and report.ok:
        report.image, report.digest = f"{registry}/{repo}:{tag}", image.digest
    out(report.summary())
    return report


def read_password(user: str, registry: str, env: tuple[str, ...] = PASSWORD_ENV) -> str:
    for name in env:
        if os.environ.get(name):
            return os.environ[name]
    if not sys.stdin.isatty():      # e.g. under the stack's local.Command: nobody to ask, so never wait
        raise SystemExit(f"smoke: no password for {user}: set ${env[0]} (stdin is not a terminal to ask on)")
    return getpass.getpass(f"password for {user} at {registry}: ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m components.clients.smoke", description=__doc__.split("\n\n")[0],
        epilog=f"The password comes from ${PASSWORD_ENV[0]} or ${PASSWORD_ENV[1]} (--pull-user's from "
               f"${PULL_PASSWORD_ENV[0]}), else an interactive prompt.")
    parser.add_argument("--registry", required=True, help="the registry address, IP:PORT")
    parser.add_argument("--ca", required=True,
                        help="the CA certificate (PEM) to trust; nothing else is trusted")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="registry user (docker login -u)")
    who.add_argument("--anonymous", action="store_true", help="no credentials (anonymous pull)")
    parser.add_argument("--pull-user", help="a pull-only user: pulls what --user pushed, and must be refused a push")
    parser.add_argument("--repo", default=DEFAULT_REPO,
                        help=f"repository to push to (default {DEFAULT_REPO})")
    parser.add_argument("--tag", help="tag to push (default: a timestamp and random suffix)")
    parser.add_argument("--format", choices=sorted(MEDIA_TYPES), default="docker", dest="manifest_format",
                        help="manifest format of the pushed image (default docker schema2)")
    parser.add_argument("--no-push", action="store_false", dest="push_image",
                        help="only ping, login and the proxy check")
    parser.add_argument("--proxy-image", help="also resolve this image through the Docker Hub proxy, "
                                              "e.g. library/busybox:latest")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds per request (default {DEFAULT_TIMEOUT:g})")
    args = parser.parse_args(argv)
    password = None if args.anonymous else read_password(args.user, args.registry)
    pull_password = read_password(args.pull_user, args.registry, PULL_PASSWORD_ENV) if args.pull_user else None
    report = run_smoke(args.registry, args.ca, args.user, password, repo=args.repo, tag=args.tag,
                       proxy_image=args.proxy_image, push_image=args.push_image,
                       manifest_format=args.manifest_format, timeout=args.timeout,
                       pull_user=args.pull_user, pull_password=pull_password)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
