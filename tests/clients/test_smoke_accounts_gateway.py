"""The smoke check with a push user and a pull user, against the real gateway fixture: nginx with the rendered
config in front of distribution registries whose token auth is a real token issuer granting push or pull per
user (as the Nexus roles do). It passes with the two users, and fails loudly when the pull user is given push."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from components.clients.smoke import DEFAULT_REPO, run_smoke
from components.clients.smoke_check import smoke_script
from tests.support import oci
from tests.support.gateway_env import gateway_env
from tests.support.stack import ROOT
from tests.support.tlsgen import make_chain
from tests.support.token_auth import run_token_issuer

pytestmark = pytest.mark.real

PUSHER, PULLER = "ci", "cluster"
PASSWORDS = {PUSHER: "push-" + secrets.token_urlsafe(16), PULLER: "pull-" + secrets.token_urlsafe(16)}
GRANTS = {PUSHER: {"pull", "push"}, PULLER: {"pull"}}
HUB_IMAGE = "library/busybox"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """(gateway env, token issuer, CA bundle): the issuer serves TLS from its own CA, so clients trust a
    bundle of it and the gateway's CA (docker would trust the issuer's through the system store)."""
    workdir = tmp_path_factory.mktemp("smoke-accounts")
    issuer_tls = make_chain(["127.0.0.1"]).write(workdir / "issuer-tls")
    with run_token_issuer(workdir, PASSWORDS, tls=(issuer_tls["cert"], issuer_tls["key"]),
                          grants={u: set(a) for u, a in GRANTS.items()}) as issuer:
        token_auth = issuer.registry_config()
        with gateway_env(workdir, registry_options={"hosted": token_auth, "cache": token_auth},
                         push_port=False) as env:
            oci.push_image(env.backends.hub.url, HUB_IMAGE, oci.make_image(workdir / "busybox", "latest"))
            bundle = workdir / "ca-bundle.crt"
            bundle.write_text(env.gateway.ca.read_text() + issuer_tls["ca"].read_text())
            yield env, issuer, bundle


@pytest.fixture
def issuer(env):
    """The issuer with the grants reset after each test."""
    issuer = env[1]
    yield issuer
    issuer.grants = {u: set(a) for u, a in GRANTS.items()}


def smoke(env, **kwargs):
    gateway_env_, _, bundle = env
    lines: list[str] = []
    report = run_smoke(gateway_env_.gateway.address, bundle, PUSHER, PASSWORDS[PUSHER], pull_user=PULLER,
                       pull_password=PASSWORDS[PULLER], proxy_image=f"{HUB_IMAGE}:latest", out=lines.append,
                       **kwargs)
    return report, "\n".join(lines)


def test_push_user_pushes_pull_user_pulls_and_is_refused_a_push(env, issuer):
    report, text = smoke(env)
    assert report.ok, text
    assert [s.name for s in report.steps] == ["ping", "login", "push", "login-pull", "pull", "proxy", "no-push"]
    assert f"✓ login  {PUSHER} Bearer" in text and f"✓ login-pull {PULLER} Bearer" in text
    assert f"✓ no-push {PULLER} may not push: POST /v2/{DEFAULT_REPO}/blobs/uploads/ → HTTP 401" in text
    assert "insufficient_scope" in text
    # The issuer saw the pull user ask for push and gave it pull only; it never granted the pull user a push.
    asked_push = [r for r in issuer.requests if r.account == PULLER and any("push" in s for s in r.scopes)]
    assert asked_push and all(r.granted for r in asked_push)
    assert not any(PASSWORDS[u] in text for u in PASSWORDS)


def test_a_pull_user_given_push_fails_the_check_loudly(env, issuer):
    issuer.grants[PULLER] = {"pull", "push"}
    report, text = smoke(env)
    assert not report.ok
    failed = next(s for s in report.steps if not s.ok)
    assert failed.name == "no-push", text
    assert f"{PULLER} could push: POST /v2/{DEFAULT_REPO}/blobs/uploads/ → HTTP 202 (the upload" in failed.detail
    assert report.summary().startswith("smoke check FAILED at no-push")


def test_a_push_user_without_push_fails_at_the_push(env, issuer):
    issuer.grants[PUSHER] = {"pull"}
    report, text = smoke(env)
    assert [s.name for s in report.steps if not s.ok] == ["push"], text


def _run_stack_command(env, pull_password: str) -> subprocess.CompletedProcess:
    """The exact script SmokeCheck hands to local.Command with the two users, with the environment it gets:
    the two users' passwords, and no admin password anywhere."""
    gateway_env_, _, bundle = env
    environ = {k: v for k, v in os.environ.items() if "PASSWORD" not in k}
    environ.update({"REGISTRY_CA_PEM": bundle.read_text(), "NEXUS_REGISTRY_PASSWORD": PASSWORDS[PUSHER],
                    "NEXUS_PULL_PASSWORD": pull_password,
                    "PATH": f"{os.path.dirname(sys.executable)}:" + os.environ["PATH"]})
    script = smoke_script(gateway_env_.gateway.address, PUSHER, proxy_image=f"{HUB_IMAGE}:latest",
                          pull_user=PULLER)
    return subprocess.run(["sh", "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True,
                          timeout=120)


def test_the_stack_smoke_command_runs_as_the_two_users(env, issuer):
    done = _run_stack_command(env, PASSWORDS[PULLER])
    assert done.returncode == 0, done.stdout + done.stderr
    for step in ("push", "pull", "proxy", "no-push"):
        assert f"✓ {step} " in done.stdout, done.stdout
    assert not any(p in done.stdout + done.stderr for p in PASSWORDS.values())


def test_the_stack_smoke_command_exits_non_zero_when_the_pull_user_can_push(env, issuer):
    issuer.grants[PULLER] = {"pull", "push"}
    done = _run_stack_command(env, PASSWORDS[PULLER])
    assert done.returncode != 0
    assert f"✗ no-push {PULLER} could push" in done.stdout, done.stdout
