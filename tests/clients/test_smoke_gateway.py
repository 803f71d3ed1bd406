"""The smoke check against the real gateway fixture: real nginx with the rendered config in front of
real registries with htpasswd auth (the login path), a Docker Hub stand-in behind a pull-through cache.
It passes through the gateway, and fails loudly, with a non-zero exit, through the original recipe."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from components.clients.smoke import run_smoke
from components.clients.smoke_check import smoke_script
from tests.support import oci
from tests.support.gateway_env import gateway_env, run_gateway
from tests.support.seed_conf import render_seed_conf
from tests.support.stack import ROOT

pytestmark = pytest.mark.real

USERS = {"admin": "Smoke-Test-Pass-1"}
HUB_IMAGE = "library/busybox"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("smoke-gw")
    with gateway_env(workdir, users=USERS, push_port=False) as env:
        image = oci.make_image(workdir / "busybox-layout", "latest")
        oci.push_image(env.backends.hub.url, HUB_IMAGE, image)     # only Docker Hub has it
        yield env


def _lines(out: list[str]) -> str:
    return "\n".join(out)


def test_smoke_passes_through_the_gateway(env):
    out: list[str] = []
    report = run_smoke(env.gateway.address, str(env.gateway.ca), "admin", USERS["admin"],
                       proxy_image=f"{HUB_IMAGE}:latest", out=out.append)
    assert report.ok, _lines(out)
    assert [s.name for s in report.steps if s.ok][:2] == ["ping", "login"]
    repo, tag = report.image.split("/", 1)[1].rsplit(":", 1)     # <registry>/<repo>:<tag>
    # really in hosted (checked directly on hosted, not through the gateway)
    resp = requests.head(f"{env.backends.hosted.url}/v2/{repo}/manifests/{tag}", auth=("admin", USERS["admin"]),
                         headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json, "
                                            "application/vnd.oci.image.manifest.v1+json"}, timeout=10)
    assert resp.status_code == 200 and resp.headers["Docker-Content-Digest"] == report.digest
    assert USERS["admin"] not in _lines(out)


def test_the_stack_smoke_command_runs_for_real(env):
    """The exact script SmokeCheck hands to local.Command, with its environment, from the project root."""
    environ = {**os.environ, "REGISTRY_CA_PEM": env.gateway.ca.read_text(),
               "NEXUS_REGISTRY_PASSWORD": USERS["admin"], "PATH": f"{os.path.dirname(sys.executable)}:"
                                                                  + os.environ["PATH"]}
    script = smoke_script(env.gateway.address, proxy_image=f"{HUB_IMAGE}:latest")
    done = subprocess.run(["sh", "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ push" in done.stdout and "✓ pull" in done.stdout and "✓ proxy" in done.stdout
    assert USERS["admin"] not in done.stdout + done.stderr


def test_wrong_password_fails_loudly(env):
    out: list[str] = []
    report = run_smoke(env.gateway.address, str(env.gateway.ca), "admin", "wrong", out=out.append)
    assert not report.ok
    assert any(line.startswith("✗ login") for line in out), _lines(out)


def test_smoke_fails_loudly_through_the_original_recipe(env):
    with run_gateway(env.workdir, hosted=env.backends.hosted.address, group=env.backends.group,
                     web=env.backends.web.address, name="seed-smoke", render=render_seed_conf,
                     push_port=False) as seed:
        out: list[str] = []
        report = run_smoke(seed.address, str(seed.ca), "admin", USERS["admin"],
                           proxy_image=f"{HUB_IMAGE}:latest", out=out.append)
        assert not report.ok
        failed = next(s for s in report.steps if not s.ok)
        assert failed.name in ("push", "pull", "proxy"), _lines(out)
        assert any(line.startswith("✗ ") for line in out)

        environ = {**os.environ, "NEXUS_REGISTRY_PASSWORD": USERS["admin"]}
        done = subprocess.run([sys.executable, "-m", "components.clients.smoke", "--registry", seed.address,
                               "--ca", str(seed.ca), "--user", "admin", "--no-push",
                               "--proxy-image", f"{HUB_IMAGE}:latest"],
                              cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
        # the containerd-style HEAD of a Docker Hub image goes to hosted in the recipe: 404
        assert done.returncode != 0
        assert "✗ proxy" in done.stdout and "404" in done.stdout, done.stdout
