"""The rendered gateway under real nginx, in front of real distribution registries on 127.0.0.1:
skopeo pushes and pulls through it with TLS verified by IP, containerd-style HEADs, uploads, 3 GiB and
512 MiB bodies. The seed's recipe runs against the same backends and must fail where it is broken."""
from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
import requests

from components.gateway.nginx_conf import HEALTH_PATH, render_nginx_conf
from tests.support.gateway_env import Gateway, gateway_env, run_backends, run_gateway, stub_upstream
from tests.support.oci import (MANIFEST_ACCEPT, MIB, OciImage, connect, download_blob, large_layer,
                               make_image, random_stream, request, upload_blob)
from tests.support.procs import require_binary
from tests.support.seed_conf import render_seed_conf

pytestmark = pytest.mark.real
D = "sha256:" + "cd" * 32


# ------------------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gateway")


@pytest.fixture(scope="session")
def backends(workdir):
    with run_backends(workdir) as b:
        yield b


@pytest.fixture(scope="session")
def gateway(workdir, backends) -> Gateway:
    with run_gateway(workdir, hosted=backends.hosted.address, group=backends.group,
                     web=backends.web.address) as gw:
        yield gw


@pytest.fixture(scope="session")
def seed(workdir, backends) -> Gateway:
    """The seed how-to's nginx.conf over the same backends."""
    with run_gateway(workdir, hosted=backends.hosted.address, group=backends.group,
                     web=backends.web.address, render=render_seed_conf, push_port=False, name="seed") as gw:
        yield gw


def skopeo(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """skopeo with its own HOME (blob-info cache, auth) and no system policy dependence."""
    home = workdir / "skopeo-home"
    home.mkdir(exist_ok=True)
    return subprocess.run([require_binary("skopeo"), "--insecure-policy", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "HOME": str(home)})


def copy_ok(workdir: Path, *args: str) -> None:
    result = skopeo(workdir, "copy", *args)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def hub_image(workdir, backends) -> OciImage:
    """library/base:1, only in the hub (pushed there directly, plain HTTP)."""
    image = make_image(workdir / "oci" / "hub-base", "1")
    copy_ok(workdir, "--dest-tls-verify=false", image.ref, f"docker://{backends.hub.address}/library/base:1")
    return image


@pytest.fixture(scope="session")
def large_blob(workdir):
    return large_layer(workdir / "oci" / "large", 512 * MIB)


def head(url: str, gw: Gateway, accept: str = MANIFEST_ACCEPT) -> requests.Response:
    return requests.head(url, headers={"Accept": accept}, verify=str(gw.ca), timeout=30)


def hosted_has(backends, repo: str, kind: str, ref: str) -> bool:
    resp = requests.head(f"{backends.hosted.url}/v2/{repo}/{kind}/{ref}",
                         headers={"Accept": MANIFEST_ACCEPT}, timeout=30)
    return resp.status_code == 200


# -------------------------------------------------------------------------------------- the gateway

def test_tls_verifies_against_the_ca_by_ip(gateway):
    resp = requests.get(f"{gateway.url}/v2/", verify=str(gateway.ca), timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Docker-Distribution-Api-Version"] == "registry/2.0"
    ctx = ssl.create_default_context(cafile=str(gateway.ca))
    with socket.create_connection(("127.0.0.1", gateway.port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.getpeercert()["subjectAltName"] == (("IP Address", "127.0.0.1"),)
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
    with pytest.raises(ssl.SSLCertVerificationError):  # the name is not in the cert: verification is real
        with socket.create_connection(("127.0.0.1", gateway.port)) as raw:
            ctx.wrap_socket(raw, server_hostname="localhost")


def test_push_lands_in_hosted_and_pulls_back(workdir, backends, gateway):
    image = make_image(workdir / "oci" / "app", "v1")
    copy_ok(workdir, "--dest-cert-dir", str(gateway.cert_dir), image.ref, f"docker://{gateway.address}/team/app:v1")
    resp = requests.get(f"{backends.hosted.url}/v2/team/app/manifests/v1",
                        headers={"Accept": MANIFEST_ACCEPT}, timeout=30)
    assert resp.status_code == 200 and resp.headers["Docker-Content-Digest"] == image.manifest.digest
    assert all(hosted_has(backends, "team/app", "blobs", b.digest) for b in image.blobs)
    out = workdir / "oci" / "app-back"
    copy_ok(workdir, "--src-cert-dir", str(gateway.cert_dir), f"docker://{gateway.address}/team/app:v1",
            f"oci:{out}:v1")
    assert json.loads((out / "index.json").read_text())["manifests"][0]["digest"] == image.manifest.digest


def test_pull_of_hub_only_image_and_containerd_head(workdir, backends, gateway, hub_image):
    assert not hosted_has(backends, "library/base", "manifests", "1")
    out = workdir / "oci" / "base-pulled"
    copy_ok(workdir, "--src-cert-dir", str(gateway.cert_dir), f"docker://{gateway.address}/library/base:1",
            f"oci:{out}:1")
    assert json.loads((out / "index.json").read_text())["manifests"][0]["digest"] == hub_image.manifest.digest
    # containerd resolves the tag with HEAD only: it needs 200 and the digest header
    resp = head(f"{gateway.url}/v2/library/base/manifests/1", gateway)
    assert resp.status_code == 200
    assert resp.headers["Docker-Content-Digest"] == hub_image.manifest.digest


def test_push_of_image_whose_base_is_only_in_the_hub_is_complete_in_hosted(workdir, backends, gateway,
                                                                         hub_image):
    base = hub_image.layers[0]
    # the trap: the group (via the hub cache) has the base layer, hosted does not
    copy_ok(workdir, "--src-cert-dir", str(gateway.cert_dir), f"docker://{gateway.address}/library/base:1",
            f"oci:{workdir / 'oci' / 'base-warm'}:1")
    assert requests.head(f"http://{backends.group}/v2/library/base/blobs/{base.digest}", timeout=30).ok
    assert not hosted_has(backends, "team/derived", "blobs", base.digest)
    derived = make_image(workdir / "oci" / "derived", "1", layers=[base])
    copy_ok(workdir, "--dest-cert-dir", str(gateway.cert_dir), derived.ref,
            f"docker://{gateway.address}/team/derived:1")
    assert hosted_has(backends, "team/derived", "manifests", "1")
    missing = [b.digest for b in derived.blobs if not hosted_has(backends, "team/derived", "blobs", b.digest)]
    assert missing == []


def test_upload_location_is_relative_and_status_reaches_hosted(backends, gateway):
    def call(method: str, url: str) -> requests.Response:  # verify= per call: REQUESTS_CA_BUNDLE beats Session.verify
        return requests.request(method, requests.compat.urljoin(gateway.url, url), verify=str(gateway.ca),
                                timeout=30)

    resp = call("POST", "/v2/team/loc/blobs/uploads/")
    assert resp.status_code == 202
    location = resp.headers["Location"]
    assert location.startswith("/v2/team/loc/blobs/uploads/") or location.startswith(f"{gateway.url}/")
    status = call("GET", location)
    assert status.status_code == 204 and status.headers["Range"] == "0-0"
    path = requests.compat.urlsplit(location)
    direct = requests.get(f"{backends.hosted.url}{path.path}?{path.query}", timeout=30)
    assert direct.status_code == 204  # the session lives in hosted, under the same id
    assert direct.headers["Docker-Upload-UUID"] == status.headers["Docker-Upload-UUID"]
    assert call("DELETE", location).status_code == 204


def announce_body(gw: Gateway, path: str, length: int) -> str:
    """PATCH announcing `length` bytes with Expect: 100-continue; returns nginx's first status line.
    nginx answers 100 only once it has decided to read (stream) the body, 413 if it refuses it."""
    conn = connect(gw.url, ca=gw.ca, timeout=30)
    try:
        conn.putrequest("PATCH", path, skip_accept_encoding=True)
        for name, value in {"Content-Length": str(length), "Expect": "100-continue",
                            "Content-Type": "application/octet-stream"}.items():
            conn.putheader(name, value)
        conn.endheaders()
        line = conn.sock.makefile("rb").readline().decode().strip()
        if line.endswith("100 Continue"):
            conn.send(next(random_stream(4 * MIB)))  # a little of the 3 GiB, then hang up
        return line
    finally:
        conn.close()


def upload_path(gw: Gateway, repo: str) -> str:
    resp = requests.post(f"{gw.url}/v2/{repo}/blobs/uploads/", verify=str(gw.ca), timeout=30)
    assert resp.status_code == 202
    return requests.compat.urlsplit(resp.headers["Location"]).path


def test_a_3gib_body_is_streamed_not_refused(gateway):
    assert announce_body(gateway, upload_path(gateway, "team/huge"), 3 << 30) == "HTTP/1.1 100 Continue"


def test_512mib_push_and_pulls_never_touch_a_temp_file(backends, gateway, large_blob):
    # docker/podman style: one chunked PATCH (unknown length) through the routed port
    upload_blob(gateway.url, "team/large", large_blob, ca=gateway.ca, chunked=True)
    assert hosted_has(backends, "team/large", "blobs", large_blob.digest)
    assert download_blob(gateway.url, "team/large", large_blob.digest, ca=gateway.ca) == large_blob.size
    # containerd style: one PUT with Content-Length through the push-only port
    upload_blob(gateway.push_url, "team/large2", large_blob, ca=gateway.ca, chunked=False)
    assert hosted_has(backends, "team/large2", "blobs", large_blob.digest)
    assert gateway.nginx.temp_file_lines() == []
    assert gateway.nginx.error_log.exists()  # the detector did run at info level


# ------------------------------------------------------------------------ routing as a backend sees it

@pytest.fixture(scope="module")
def stubbed(workdir):
    """The gateway in front of stub upstreams that echo what they received."""
    with stub_upstream("hosted") as hosted, stub_upstream("group") as group, stub_upstream("web") as web, \
            run_gateway(workdir, hosted=hosted.address, group=group.address, web=web.address,
                        name="gateway-stubs") as gw:
        yield gw, {"hosted": hosted, "group": group, "web": web}


def send(gw: Gateway, method: str, raw_path: str, *, port: int | None = None,
         headers: dict | None = None) -> tuple[int, dict, dict]:
    """One request with the path exactly as given (no client-side normalisation)."""
    conn = http.client.HTTPSConnection("127.0.0.1", port or gw.port,
                                       context=ssl.create_default_context(cafile=str(gw.ca)), timeout=30)
    try:
        conn.putrequest(method, raw_path, skip_accept_encoding=True)
        for name, value in {"Content-Length": "0", **(headers or {})}.items():
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        echo = json.loads(body) if resp.getheader("Content-Type") == "application/json" and body else {}
        return resp.status, dict(resp.getheaders()), echo
    finally:
        conn.close()


@pytest.mark.parametrize("method,raw_path,backend", [
    ("GET", "//v2//team//app//manifests//v1", "group"),           # slashes merged, as Go backends clean
    ("GET", "/v2/team/app/blobs/uploads/../../manifests/v1", "group"),  # dot segments resolved
    ("PUT", "/v2/team/app/blobs/uploads/../../manifests/v1", "hosted"),
    ("HEAD", f"/v2/team%2Fapp/blobs/{D}", "hosted"),              # %2F decoded: still a push check
    ("GET", f"/v2/team%2Fapp/blobs/{D}", "group"),
    ("GET", "/v2/team/app/blobs/%75ploads/x", "hosted"),          # encoded "uploads" is still uploads
    ("GET", "/v2/team/app/manifests/..%2F..%2Fblobs%2Fuploads%2Fx", "hosted"),  # ambiguous: fail closed
    ("HEAD", "/v2/team/app/manifests/v1?x=/blobs/uploads/", "group"),  # the query is not the path
    ("PROPFIND", "/v2/", "hosted"), ("BREW", "/v2/team/app/manifests/v1", "hosted"),
    ("POST", "/v2/token", "group"),
])
def test_odd_paths_route_by_the_normalised_path(stubbed, method, raw_path, backend):
    gw, stubs = stubbed
    before = {name: len(s.seen) for name, s in stubs.items()}
    status, _, _ = send(gw, method, raw_path)
    assert status == 200
    got = [name for name, s in stubs.items() if len(s.seen) > before[name]]
    assert got == [backend]
    assert stubs[backend].seen[-1]["path"] == raw_path  # forwarded untouched


def test_path_escaping_the_root_is_refused_by_nginx(stubbed):
    gw, stubs = stubbed
    before = sum(len(s.seen) for s in stubs.values())
    assert send(gw, "GET", "/v2/../../etc/passwd")[0] == 400
    assert sum(len(s.seen) for s in stubs.values()) == before


def test_backend_sees_client_host_and_https_and_no_forwarded_host(stubbed):
    gw, stubs = stubbed
    _, _, echo = send(gw, "GET", "/v2/team/app/manifests/v1")
    headers = echo["headers"]
    assert headers["Host"] == gw.address
    assert headers["X-Forwarded-Proto"] == "https"
    assert "X-Forwarded-Host" not in headers and "X-Forwarded-Port" not in headers
    assert "Connection" not in headers  # keepalive to the upstream, not "close"


@pytest.mark.parametrize("template,expected", [
    ("http://{self}/v2/a/blobs/uploads/u1?_state=x", "/v2/a/blobs/uploads/u1?_state=x"),  # internal addr
    ("https://{host}/v2/a/blobs/uploads/u2", "/v2/a/blobs/uploads/u2"),                  # our own address
    ("http://{host}/v2/a/blobs/uploads/u3", "/v2/a/blobs/uploads/u3"),                   # wrong scheme
    ("/v2/a/blobs/uploads/u4", "/v2/a/blobs/uploads/u4"),                                # relative stays
    ("https://storage.example.com/b?sig=1", "https://storage.example.com/b?sig=1"),      # foreign: kept
])
def test_upstream_locations_are_made_relative(stubbed, template, expected):
    gw, _ = stubbed
    for port in (gw.port, gw.push_port):
        status, headers, _ = send(gw, "POST", "/v2/a/blobs/uploads/", port=port,
                                  headers={"X-Stub-Location": template})
        assert status == 202 and headers["Location"] == expected


def test_push_port_sends_everything_to_hosted(stubbed):
    gw, stubs = stubbed
    for method in ("HEAD", "GET"):
        _, _, _ = send(gw, method, "/v2/library/nginx/manifests/1.27", port=gw.push_port)
        assert stubs["hosted"].seen[-1]["method"] == method
        assert stubs["hosted"].seen[-1]["path"] == "/v2/library/nginx/manifests/1.27"


def test_web_port_health_and_large_bodies(stubbed):
    gw, stubs = stubbed
    seen = len(stubs["web"].seen)
    health = requests.get(f"{gw.web_url}{HEALTH_PATH}", timeout=30)
    assert health.status_code == 200 and health.text == "ok\n"
    assert len(stubs["web"].seen) == seen  # answered by nginx itself
    body = b"x" * (20 * MIB)  # above any default client_max_body_size
    resp = requests.post(f"{gw.web_url}/service/rest/v1/components?repository=raw", data=body, timeout=60)
    echo = resp.json()
    assert resp.status_code == 200 and echo["body_bytes"] == len(body)
    assert echo["headers"]["Host"] == f"127.0.0.1:{gw.web_port}"
    assert echo["headers"]["X-Forwarded-Proto"] == "http"


@pytest.mark.parametrize("options", [{}, {"push_port": None, "search_target": "group", "tls_profile": "modern"},
                                     {"worker_processes": 2, "timeout": 3600, "keepalive": 4}])
def test_rendered_variants_pass_nginx_t(workdir, options):
    conf_dir = workdir / "nginx-t"
    conf_dir.mkdir(exist_ok=True)
    conf = conf_dir / "nginx.conf"
    opts = {"push_port": 8444, "temp_dir": str(conf_dir), **options}
    conf.write_text(render_nginx_conf(hosted_upstream="127.0.0.1:8083", group_upstream="127.0.0.1:8082",
                                      web_upstream="127.0.0.1:8081", registry_port=8443, web_port=8000,
                                      cert_path=str(workdir / "gateway" / "tls" / "server.crt"),
                                      key_path=str(workdir / "gateway" / "tls" / "server.key"), **opts))
    result = subprocess.run([require_binary("nginx"), "-t", "-p", f"{conf_dir}/", "-c", str(conf),
                             "-g", f"pid {conf_dir}/nginx.pid;"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------- the seed recipe must fail here

def test_seed_head_manifest_of_hub_image_is_404(seed, hub_image, gateway):
    url = "/v2/library/base/manifests/1"
    assert head(f"{gateway.url}{url}", gateway).status_code == 200
    assert head(f"{seed.url}{url}", seed).status_code == 404  # sent to hosted: containerd pulls fail


def test_seed_push_fails_and_hosted_stays_empty(workdir, backends, seed):
    image = make_image(workdir / "oci" / "seed-app", "v1")
    result = skopeo(workdir, "copy", "--dest-cert-dir", str(seed.cert_dir), image.ref,
                    f"docker://{seed.address}/seed/app:v1")
    assert result.returncode != 0
    # Host $host:$proxy_port names the upstream's port (80): the upload Location points nowhere
    assert "http://127.0.0.1:80/v2/seed/app/blobs/uploads/" in result.stderr
    assert not hosted_has(backends, "seed/app", "manifests", "v1")


def test_seed_refuses_3gib_and_spools_chunked_uploads(seed):
    path = upload_path(seed, "seed/big")
    assert announce_body(seed, path, 3 << 30).startswith("HTTP/1.1 413")
    # a chunked PATCH (docker/podman) is written to disk first: no proxy_http_version 1.1
    conn = connect(seed.url, ca=seed.ca)
    try:
        resp = request(conn, "PATCH", upload_path(seed, "seed/chunked"), body=random_stream(8 * MIB, chunk=MIB))
        resp.read()
    finally:
        conn.close()
    assert any("client request body is buffered" in line for line in seed.nginx.temp_file_lines())


# ------------------------------------------------------------------------------ the composed fixture

def test_gateway_env_with_htpasswd_backends(tmp_path):
    """gateway_env(users=...) puts Basic auth on hosted and the cache: the challenge comes through the
    gateway unchanged and credentials reach whichever backend the route picks."""
    image = make_image(tmp_path / "oci", "v1")
    with gateway_env(tmp_path, users={"dev": "s3cret"}, push_port=False) as env:
        gw = env.gateway
        resp = requests.get(f"{gw.url}/v2/", verify=str(gw.ca), timeout=30)
        assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Basic ")
        creds = ("--dest-creds", "dev:s3cret", "--dest-cert-dir", str(gw.cert_dir))
        copy_ok(tmp_path, *creds, image.ref, f"docker://{gw.address}/team/auth:v1")
        assert requests.head(f"{env.backends.hosted.url}/v2/team/auth/manifests/v1", auth=("dev", "s3cret"),
                             headers={"Accept": MANIFEST_ACCEPT}, timeout=30).status_code == 200
        denied = skopeo(tmp_path, "copy", "--dest-cert-dir", str(gw.cert_dir), image.ref,
                        f"docker://{gw.address}/team/auth:v2")
        assert denied.returncode != 0 and "authentication required" in denied.stderr
