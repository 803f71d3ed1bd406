"""OCI images made in the test (no downloads): image layouts on disk for skopeo's `oci:` transport,
and a bare-bones blob upload/download over the distribution API for the large-blob cases."""
from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import random
import shutil
import ssl
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

MIB = 1 << 20
Progress = Callable[[int], None]   # called with the bytes moved so far, after every chunk (may sleep)
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"  # stored as is: no slow gzip of 512 MiB
CONFIG = "application/vnd.oci.image.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
# What containerd's resolver sends on HEAD/GET manifests.
MANIFEST_ACCEPT = ", ".join(["application/vnd.docker.distribution.manifest.v2+json",
                             "application/vnd.docker.distribution.manifest.list.v2+json",
                             MANIFEST, INDEX, "*/*"])


@dataclass(frozen=True)
class Blob:
    digest: str
    size: int
    media_type: str
    path: Path
    diff_id: str = ""  # sha256 of the uncompressed tar, for layers

    def descriptor(self) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class OciImage:
    layout: Path
    tag: str
    manifest: Blob
    config: Blob
    layers: tuple[Blob, ...]

    @property
    def ref(self) -> str:
        """The skopeo source/destination reference."""
        return f"oci:{self.layout}:{self.tag}"

    @property
    def blobs(self) -> tuple[Blob, ...]:
        """Every blob a registry holding the image must have (manifest excluded)."""
        return (self.config, *self.layers)


def _blob_dir(layout: Path) -> Path:
    d = layout / "blobs" / "sha256"
    d.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return d


def write_blob(layout: Path, chunks: Iterable[bytes], media_type: str, diff_id: str = "") -> Blob:
    """Stream `chunks` into layout's blob store under their sha256."""
    blobs = _blob_dir(layout)
    tmp = blobs / f".partial-{os.getpid()}-{random.getrandbits(32):08x}"
    h, size = hashlib.sha256(), 0
    with open(tmp, "wb") as f:
        for chunk in chunks:
            h.update(chunk)
            size += len(chunk)
            f.write(chunk)
    path = tmp.rename(blobs / h.hexdigest())
    digest = f"sha256:{h.hexdigest()}"
    return Blob(digest, size, media_type, path, diff_id or (digest if media_type == LAYER_TAR else ""))


def add_blob(layout: Path, blob: Blob) -> Blob:
    """Put an existing blob (e.g. a base layer shared with another image) into `layout`."""
    dest = _blob_dir(layout) / blob.path.name
    if not dest.exists():
        shutil.copyfile(blob.path, dest)
    return Blob(blob.digest, blob.size, blob.media_type, dest, blob.diff_id)


def _tar_member(name: str, size: int, data: Iterable[bytes]) -> Iterator[bytes]:
    """A one-file tar stream: header, data, padding, end-of-archive."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, 0
    yield info.tobuf(format=tarfile.PAX_FORMAT)
    yield from data
    yield b"\0" * (-size % 512 + 1024)


def random_layer(layout: Path, size: int = 64 * 1024) -> Blob:
    """A small gzip layer holding one file of random bytes (unique per call)."""
    tar = b"".join(_tar_member(f"data-{os.urandom(4).hex()}.bin", size, [os.urandom(size)]))
    diff_id = f"sha256:{hashlib.sha256(tar).hexdigest()}"
    return write_blob(layout, [gzip.compress(tar, compresslevel=1, mtime=0)], LAYER_GZIP, diff_id)


def random_stream(size: int, *, chunk: int = 4 * MIB) -> Iterator[bytes]:
    """`size` incompressible bytes, fast (a seeded PRNG is ~10x faster than os.urandom)."""
    rng = random.Random(os.urandom(16))
    for offset in range(0, size, chunk):
        yield rng.randbytes(min(chunk, size - offset))


def large_layer(layout: Path, size: int = 512 * MIB) -> Blob:
    """An uncompressed tar layer of `size` random bytes."""
    return write_blob(layout, _tar_member("large.bin", size, random_stream(size)), LAYER_TAR)


def _json_blob(layout: Path, doc: dict, media_type: str) -> Blob:
    return write_blob(layout, [json.dumps(doc, separators=(",", ":")).encode()], media_type)


def make_image(layout: Path, tag: str = "latest", *, layers: Iterable[Blob] = (),
               extra_layers: int = 1, layer_size: int = 64 * 1024) -> OciImage:
    """An OCI image in `layout` (created if needed): the given layers (copied in; e.g. a base shared
    with another image) followed by `extra_layers` fresh random ones; tagged `tag` in index.json."""
    blobs = [add_blob(layout, b) for b in layers]
    blobs += [random_layer(layout, layer_size) for _ in range(extra_layers)]
    config = _json_blob(layout, {
        "architecture": "amd64", "os": "linux",
        "config": {"Labels": {"test.nonce": os.urandom(8).hex()}},
        "rootfs": {"type": "layers", "diff_ids": [b.diff_id for b in blobs]},
    }, CONFIG)
    manifest = _json_blob(layout, {
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": config.descriptor(), "layers": [b.descriptor() for b in blobs],
    }, MANIFEST)
    index_path = layout / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {"schemaVersion": 2, "manifests": []}
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({**manifest.descriptor(),
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    index_path.write_text(json.dumps(index))
    return OciImage(layout, tag, manifest, config, tuple(blobs))


# ------------------------------------------------------------------ blobs over the distribution API

def connect(url: str, *, ca: Path | None = None, timeout: float = 300) -> http.client.HTTPConnection:
    """A keep-alive connection to the scheme://host:port of `url`, verifying TLS against `ca`."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
        return http.client.HTTPSConnection(parts.hostname, parts.port, context=ctx, timeout=timeout)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def request(conn: http.client.HTTPConnection, method: str, path: str, *, body: Iterable[bytes] = (),
            headers: dict | None = None, length: int | None = None) -> http.client.HTTPResponse:
    """Send `body` as a stream: with Content-Length when `length` is given, chunked otherwise."""
    conn.putrequest(method, path, skip_accept_encoding=True)
    hdrs = {"Content-Length": str(length)} if length is not None else {"Transfer-Encoding": "chunked"}
    for name, value in {**hdrs, **(headers or {})}.items():
        conn.putheader(name, value)
    conn.endheaders()
    for chunk in body:
        conn.send(chunk if length is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk))
    if length is None:
        conn.send(b"0\r\n\r\n")
    return conn.getresponse()


def _expect(resp: http.client.HTTPResponse, status: int, what: str) -> bytes:
    data = resp.read()
    if resp.status != status:
        raise AssertionError(f"{what}: HTTP {resp.status} (want {status}): {data[:300]!r}")
    return data


def file_chunks(path: Path, chunk: int = MIB, progress: Progress | None = None) -> Iterator[bytes]:
    done = 0
    with open(path, "rb") as f:
        while data := f.read(chunk):
            yield data
            done += len(data)
            if progress:
                progress(done)


def upload_blob(base_url: str, repo: str, blob: Blob, *, ca: Path | None = None,
                chunked: bool = True, progress: Progress | None = None, keep_alive: bool = True) -> str:
    """POST an upload session, stream the blob (PATCH chunked like docker/podman, or one PUT with
    Content-Length like containerd), close it; returns the upload Location the server gave.
    keep_alive=False: every request on a connection of its own (`Connection: close`)."""
    conn = connect(base_url, ca=ca)
    close = {} if keep_alive else {"Connection": "close"}
    try:
        resp = request(conn, "POST", f"/v2/{repo}/blobs/uploads/", length=0, headers=close)
        _expect(resp, 202, "start upload")
        location = resp.getheader("Location")
        base = f"{base_url}/v2/{repo}/blobs/uploads/"
        sep = "&" if "?" in location else "?"
        if chunked:
            body = file_chunks(blob.path, progress=progress)
            resp = request(conn, "PATCH", _path(urljoin(base, location)), body=body, headers=close)
            _expect(resp, 202, "PATCH")
            location = resp.getheader("Location")
            sep = "&" if "?" in location else "?"
            resp = request(conn, "PUT", _path(urljoin(base, location)) + f"{sep}digest={blob.digest}",
                           length=0, headers=close)
        else:
            resp = request(conn, "PUT", _path(urljoin(base, location)) + f"{sep}digest={blob.digest}",
                           body=file_chunks(blob.path, progress=progress), length=blob.size, headers=close)
        _expect(resp, 201, "PUT digest")
        return location
    finally:
        conn.close()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def download_blob(base_url: str, repo: str, digest: str, *, ca: Path | None = None,
                  verify: bool = True, progress: Progress | None = None, query: str = "") -> int:
    """GET a blob streaming; returns its size, checking the digest unless verify=False (benchmarks).
    `query`: appended as ?query (e.g. containerd's `ns=ghcr.io` for a mirror)."""
    conn = connect(base_url, ca=ca)
    try:
        resp = request(conn, "GET", f"/v2/{repo}/blobs/{digest}" + (f"?{query}" if query else ""), length=0)
        if resp.status != 200:
            raise AssertionError(f"GET blob: HTTP {resp.status}: {resp.read()[:300]!r}")
        h, size, buf = hashlib.sha256(), 0, bytearray(MIB)
        view = memoryview(buf)
        while n := resp.readinto(buf):
            size += n
            if verify:
                h.update(view[:n])
            if progress:
                progress(size)
        if verify and f"sha256:{h.hexdigest()}" != digest:
            raise AssertionError(f"GET blob: digest mismatch for {digest}")
        return size
    finally:
        conn.close()


def put_manifest(base_url: str, repo: str, tag: str, image: OciImage, *, ca: Path | None = None) -> None:
    conn = connect(base_url, ca=ca)
    try:
        body = image.manifest.path.read_bytes()
        resp = request(conn, "PUT", f"/v2/{repo}/manifests/{tag}", body=[body], length=len(body),
                       headers={"Content-Type": MANIFEST})
        _expect(resp, 201, "PUT manifest")
    finally:
        conn.close()


def push_image(base_url: str, repo: str, image: OciImage, *, ca: Path | None = None,
               chunked: bool = True) -> None:
    """Push every blob of `image`, then its manifest under image.tag."""
    for blob in image.blobs:
        upload_blob(base_url, repo, blob, ca=ca, chunked=chunked)
    put_manifest(base_url, repo, image.tag, image, ca=ca)
