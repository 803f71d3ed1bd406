"""The smoke check (components/clients/smoke.py) against real processes on 127.0.0.1: distribution registries
serving TLS with a cert whose only SAN is 127.0.0.1, htpasswd (Basic) or token (Bearer) auth, a tiny
token issuer, and nginx in front where a gateway's routing is the point. No HTTP mocks."""
from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from components.clients.smoke import DEFAULT_REPO, MEDIA_TYPES, login, make_image, ping, pull, push, run_smoke
from components.clients.registry_client import RegistryClient
from tests.support.procs import free_port, require_binary, running
from tests.support.registry import Registry, run_registry
from tests.support.tlsgen import make_chain
from tests.support.token_auth import run_token_issuer

pytestmark = pytest.mark.real

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "smoke", "pw-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("smoke")


@pytest.fixture(scope="module")
def tls(workdir) -> dict[str, Path]:
    return make_chain(["127.0.0.1"]).write(workdir / "tls")


@pytest.fixture(scope="module")
def basic_registry(workdir, tls) -> Registry:
    with run_registry(workdir, "basic", users={USER: PASSWORD}, tls=(tls["cert"], tls["key"])) as registry:
        yield registry


@pytest.fixture(scope="module")
def token_registry(workdir, tls):
    """A registry with `auth: token` (set through distribution's environment overrides, only while it
    starts) pointing at a token issuer on another port and path."""
    with contextlib.ExitStack() as stack:
        server_tls = (tls["cert"], tls["key"])
        issuer = stack.enter_context(run_token_issuer(workdir, {USER: PASSWORD}, tls=server_tls))
        with pytest.MonkeyPatch.context() as env:
            for name, value in issuer.registry_env().items():
                env.setenv(name, value)
            registry = stack.enter_context(run_registry(workdir, "token", tls=server_tls))
        yield registry, issuer


def smoke(address: str, ca: Path, user: str | None = USER, password: str | None = PASSWORD, **kwargs):
    """run_smoke with its printed lines collected: (report, text)."""
    lines: list[str] = []
    report = run_smoke(address, ca, user, password, out=lines.append, **kwargs)
    return report, "\n".join(lines)


def run_cli(registry: str, ca: Path, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    env = {**os.environ, "NEXUS_REGISTRY_PASSWORD": password, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "components.clients.smoke", "--registry", registry, "--ca", str(ca),
                           "--user", USER, "--timeout", "10", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


# --- Basic auth -----------------------------------------------------------------------------------

@pytest.mark.parametrize("manifest_format", sorted(MEDIA_TYPES))
def test_push_and_pull_end_to_end_with_basic_auth(basic_registry, tls, manifest_format):
    tag = f"basic-{manifest_format}"
    report, text = smoke(basic_registry.address, tls["ca"], tag=tag, manifest_format=manifest_format)

    assert report.ok, text
    assert [s.name for s in report.steps] == ["ping", "login", "push", "pull"]
    assert f"✓ ping   https://{basic_registry.address}/v2/ 401 Basic" in text
    assert report.image == f"{basic_registry.address}/{DEFAULT_REPO}:{tag}"
    # The image is really in the registry: its storage tags it, its API serves it.
    link = (basic_registry.root / "data/docker/registry/v2/repositories" / DEFAULT_REPO
            / "_manifests/tags" / tag / "current/link")
    assert link.read_text() == report.digest
    resp = requests.get(f"{basic_registry.url}/v2/{DEFAULT_REPO}/manifests/{tag}", auth=(USER, PASSWORD),
                        headers={"Accept": MEDIA_TYPES[manifest_format][0]}, verify=str(tls["ca"]),
                        timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Docker-Content-Digest"] == report.digest
    assert resp.headers["Content-Type"] == MEDIA_TYPES[manifest_format][0]


def test_pushing_the_same_image_again_skips_the_blobs_it_has(basic_registry, tls):
    client = RegistryClient(basic_registry.address, str(tls["ca"]), USER, PASSWORD, timeout=10)
    image = make_image()
    login(client, ping(client)[1])

    assert "(2 of 2 blobs uploaded)" in push(client, "smoke/twice", "one", image)
    assert "(0 of 2 blobs uploaded)" in push(client, "smoke/twice", "two", image)
    assert "manifest and 2 blobs verified" in pull(client, "smoke/twice", "two", image)


def test_cli_exits_0_prints_steps_and_never_the_password(basic_registry, tls):
    done = run_cli(basic_registry.address, tls["ca"], "--repo", "smoke/cli")

    assert done.returncode == 0, done.stdout + done.stderr
    for step in ("ping", "login", "push", "pull"):
        assert f"✓ {step}" in done.stdout
    assert "smoke check passed" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr


def test_wrong_password_fails_login_loudly(basic_registry, tls):
    wrong = "wrong-" + secrets.token_hex(6)
    done = run_cli(basic_registry.address, tls["ca"], password=wrong)

    assert done.returncode != 0
    assert "✗ login  login failed for smoke" in done.stdout
    assert "HTTP 401 UNAUTHORIZED" in done.stdout
    assert "✓ push" not in done.stdout
    assert wrong not in done.stdout + done.stderr


def test_ca_that_did_not_sign_the_cert_is_a_clear_tls_error(basic_registry, workdir):
    other_ca = make_chain(["127.0.0.1"]).write(workdir / "other-tls")["ca"]
    report, text = smoke(basic_registry.address, other_ca)

    assert not report.ok
    assert [s.name for s in report.steps] == ["ping"]
    assert "✗ ping   TLS: the certificate of" in text
    assert f"is not signed by the CA in {other_ca}" in text


def test_address_missing_from_the_cert_sans_is_a_clear_tls_error(basic_registry, tls):
    lines: list[str] = []
    report = run_smoke(f"localhost:{basic_registry.port}", tls["ca"], USER, PASSWORD, out=lines.append)

    assert not report.ok
    assert "does not cover localhost" in lines[0] and "publicIps" in lines[0]


def test_proxy_image_resolves_by_head_or_fails(basic_registry, tls):
    report, text = smoke(basic_registry.address, tls["ca"], tag="for-proxy",
                         proxy_image=f"{DEFAULT_REPO}:for-proxy")
    assert report.ok, text
    assert f"✓ proxy  {DEFAULT_REPO}:for-proxy → {report.digest}" in text

    report, text = smoke(basic_registry.address, tls["ca"], push_image=False, proxy_image="busybox")
    assert not report.ok
    assert "✗ proxy  HEAD /v2/library/busybox/manifests/latest → HTTP 404" in text


# --- Bearer tokens --------------------------------------------------------------------------------

def test_bearer_login_push_pull_like_docker(token_registry, tls):
    registry, issuer = token_registry
    first = len(issuer.requests)
    report, text = smoke(registry.address, tls["ca"], tag="bearer")
    requests_made = issuer.requests[first:]

    assert report.ok, text
    assert f"✓ ping   https://{registry.address}/v2/ 401 Bearer" in text
    assert f"✓ login  smoke Bearer via token realm {issuer.realm}" in text
    assert all(r.granted and r.account == USER for r in requests_made)
    # docker login's token has no scope; the registry's later 401s ask for pull, then pull+push
    # (in either order), and the client fetches a token for each.
    assert requests_made[0].scopes == ()
    asked = {(scope.rsplit(":", 1)[0], frozenset(scope.rsplit(":", 1)[1].split(",")))
             for r in requests_made[1:] for scope in r.scopes}
    assert asked == {(f"repository:{DEFAULT_REPO}", frozenset({"pull"})),
                     (f"repository:{DEFAULT_REPO}", frozenset({"pull", "push"}))}


def test_bearer_wrong_password_fails_at_the_token_realm(token_registry, tls):
    registry, issuer = token_registry
    report, text = smoke(registry.address, tls["ca"], password="wrong")

    assert not report.ok
    assert f"✗ login  login failed: token realm {issuer.realm} → HTTP 401" in text
    assert not issuer.requests[-1].granted


def test_anonymous_bearer_token_cannot_push(token_registry, tls):
    registry, issuer = token_registry
    report, text = smoke(registry.address, tls["ca"], user=None, password=None)

    assert [s.ok for s in report.steps] == [True, True, False]
    assert "✓ login  anonymous Bearer" in text
    assert "insufficient_scope" in text and issuer.requests[-1].account is None


# --- through an nginx gateway ---------------------------------------------------------------------

NGINX_CONF = """
daemon off; user root; worker_processes 1;
pid {dir}/nginx.pid; error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log {dir}/access.log;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  upstream real {{ server {real}; }}
  upstream head {{ server {head}; }}
  map $request_method $backend {{ HEAD head; default real; }}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert}; ssl_certificate_key {key};
    client_max_body_size 0;
    location / {{ proxy_pass http://$backend; {directives} }}
  }}
}}
"""
FORWARD_HOST = "proxy_set_header Host $http_host; proxy_set_header X-Forwarded-Proto https;"


@contextlib.contextmanager
def nginx_gateway(workdir: Path, name: str, tls: dict[str, Path], *, real: Registry, head: Registry,
                  directives: str = FORWARD_HOST):
    """TLS nginx that sends HEAD to `head` and every other method to `real` (plain HTTP backends),
    with extra `directives` in its location."""
    directory = workdir / name
    directory.mkdir()
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=directory, port=port, cert=tls["cert"], key=tls["key"],
                                      real=real.address, head=head.address, directives=directives))
    args = [require_binary("nginx"), "-p", directory, "-c", conf, "-e", directory / "error.log"]
    with running([str(arg) for arg in args], log=directory / "nginx.log", port=port):
        yield f"127.0.0.1:{port}"


def test_head_manifests_answered_by_an_empty_registry_fail_the_pull(workdir, tls):
    """The original recipe's split (only GET to the pull side) in miniature: HEAD lands on a registry
    that lacks the image, so the tag does not resolve the way containerd resolves it."""
    with run_registry(workdir, "hosted-real", users={USER: PASSWORD}) as real, \
            run_registry(workdir, "hosted-empty") as empty, \
            nginx_gateway(workdir, "nginx-head-split", tls, real=real, head=empty) as gateway:
        done = run_cli(gateway, tls["ca"])

    assert done.returncode != 0
    assert "✓ push" in done.stdout  # uploads and the manifest PUT reached the real registry
    assert f"✗ pull   HEAD /v2/{DEFAULT_REPO}/manifests/" in done.stdout
    assert "HTTP 404; containerd-based clients" in done.stdout


def test_upload_location_on_another_host_fails_the_push(workdir, tls):
    """A gateway that does not pass Host / X-Forwarded-Proto makes the registry hand out an upload
    Location on its own address; real clients drop credentials there, so the check fails."""
    with run_registry(workdir, "hosted-noforward", users={USER: PASSWORD}) as real, \
            nginx_gateway(workdir, "nginx-no-host", tls, real=real, head=real, directives="") as gateway:
        report, text = smoke(gateway, tls["ca"])

    assert [s.ok for s in report.steps] == [True, True, False]
    assert "✗ push   upload Location http://real is not the registry" in text


@pytest.fixture(scope="module")
def plain_registry(workdir) -> Registry:
    """An HTTP backend for gateways: Basic auth, no TLS (nginx terminates it)."""
    with run_registry(workdir, "backend", users={USER: PASSWORD}) as registry:
        yield registry


def test_relative_upload_location_is_resolved_against_the_registry(workdir, tls, plain_registry):
    relative = "proxy_redirect http://real/ /;"  # the registry's absolute Location becomes /v2/…
    with nginx_gateway(workdir, "nginx-relative", tls, real=plain_registry, head=plain_registry,
                       directives=relative) as gateway:
        report, text = smoke(gateway, tls["ca"], tag="relative")
        access_log = (workdir / "nginx-relative/access.log").read_text()

    assert report.ok, text
    assert 'PUT /v2/smoke/nexus-registry-smoke/blobs/uploads/' in access_log


def test_a_gateway_that_drops_the_api_version_header_fails_the_ping(workdir, tls, plain_registry):
    with nginx_gateway(workdir, "nginx-no-version", tls, real=plain_registry, head=plain_registry,
                       directives=f"{FORWARD_HOST} proxy_hide_header Docker-Distribution-Api-Version;") \
            as gateway:
        report, text = smoke(gateway, tls["ca"])

    assert [s.name for s in report.steps] == ["ping"] and not report.ok
    assert "without Docker-Distribution-Api-Version: registry/2.0" in text


def test_cli_without_a_password_and_no_terminal_fails_at_once_naming_the_variable(tmp_path):
    """Under the stack's local.Command stdin is no terminal: a missing password must fail, not wait for input."""
    env = {k: v for k, v in os.environ.items() if k not in ("NEXUS_REGISTRY_PASSWORD", "REGISTRY_PASSWORD")}
    done = subprocess.run([sys.executable, "-m", "components.clients.smoke", "--registry", "127.0.0.1:9",
                           "--ca", str(tmp_path / "ca.crt"), "--user", USER],
                          cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "no password for " + USER in done.stderr and "$NEXUS_REGISTRY_PASSWORD" in done.stderr
