"""The pull-through mirror proven with a real client: Debian's containerd (`ctr content fetch --hosts-dir`, the
resolver and fetcher of kubelet's CRI pulls) pulls docker.io, ghcr.io, registry.k8s.io, a localhost upstream
and a private one (its proxy behind a Bearer realm under /repository/<repo>/v2/token, anonymous and with a login)
through the real gateway running the rendered nginx.conf, with the hosts.toml files the node-trust script
writes for real under a temporary node root.

Each upstream's stand-in holds a DIFFERENT image under the SAME name (library/app:1): the digest containerd
resolves proves where each pull came from. An upstream without a mirror is refused (NAME_UNKNOWN) and never
reaches the group; with the gateway stopped, containerd falls back to the upstream named in the script's own
`server = "https://<upstream>"` line (a TLS docker-registry at localhost:<port>, which is also mirrored).
Only 127.0.0.1 is contacted: docker.io's, ghcr.io's and registry.k8s.io's fallback servers are never tried
because their mirror answers.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from components.cluster_pull.node_trust import node_trust_script
from components.gateway.nginx_conf import NAME_UNKNOWN_BODY
from tests.support.containerd import Containerd, run_containerd
from tests.support.mirror_env import MirrorEnv, mirror_env
from tests.support.oci import MANIFEST_ACCEPT, OciImage, make_image
from tests.support.procs import free_port, require_binary
from tests.support.registry import run_registry
from tests.support.tlsgen import make_chain

pytestmark = pytest.mark.containerd
NAME, TAG = "library/app", "1"
MIRRORED = ("docker.io", "ghcr.io", "registry.k8s.io")
# A private upstream whose proxy wants a Bearer token from the realm Nexus announces for it. localhost:<port>
# with nothing listening: a refused login falls back to it, and that must stay on 127.0.0.1 (no DNS).
AUTHED = f"localhost:{free_port()}"
USERS = {"puller": "pull-pw"}        # a login for that realm; anonymous gets pull, like Nexus' anonymous read


# ------------------------------------------------------------------------------------------ fixtures

def skopeo_copy(workdir: Path, src: str, dest: str, *args: str) -> None:
    home = workdir / "skopeo-home"
    home.mkdir(exist_ok=True)
    result = subprocess.run([require_binary("skopeo"), "--insecure-policy", "copy", *args, src, dest],
                            capture_output=True, text=True, timeout=300, env={**os.environ, "HOME": str(home)})
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mirror")


@pytest.fixture(scope="module")
def upstream(workdir):
    """The real upstream `localhost:<port>`: a TLS docker-registry whose certificate names localhost, trusted
    the way real upstreams are (the system roots: SSL_CERT_FILE holds only its CA)."""
    pem = make_chain([], ["localhost"]).write(workdir / "upstream-tls")
    port = free_port()
    while f"localhost:{port}" == AUTHED:
        port = free_port()
    with run_registry(workdir, "upstream", tls=(pem["cert"], pem["key"]), port=port) as registry:
        yield registry, pem["ca"], f"localhost:{port}"


@pytest.fixture(scope="module")
def env(workdir, upstream):
    with mirror_env(workdir, [*MIRRORED, upstream[2], AUTHED], token_auth=[AUTHED], users=USERS) as e:
        yield e


@pytest.fixture(scope="module")
def images(workdir, env, upstream) -> dict[str, OciImage]:
    """A different library/app:1 in each upstream's stand-in, and one more in the real localhost upstream."""
    made = {}
    targets = {"docker.io": env.backends.hub, **env.proxies}
    for host, registry in targets.items():
        made[host] = make_image(workdir / "oci" / host.replace(":", "_"), TAG)
        login = ["--dest-creds", "puller:pull-pw"] if host == AUTHED else []
        skopeo_copy(workdir, made[host].ref, f"docker://{registry.address}/{NAME}:{TAG}", "--dest-tls-verify=false",
                    *login)
    _, ca, host = upstream
    made["upstream"] = make_image(workdir / "oci" / "upstream", TAG)
    cert_dir = workdir / "upstream-certs"
    cert_dir.mkdir(exist_ok=True)
    shutil.copyfile(ca, cert_dir / "ca.crt")
    skopeo_copy(workdir, made["upstream"].ref, f"docker://{host}/{NAME}:{TAG}",
                "--dest-cert-dir", str(cert_dir))
    assert len({i.manifest.digest for i in made.values()}) == len(made), "each stand-in holds its own image"
    return made


@pytest.fixture(scope="module")
def node(workdir, env, upstream) -> Path:
    """A node root with the files the DaemonSet's script writes (run for real: `install` under dash)."""
    root = workdir / "node"
    for d in ("etc/docker/certs.d", "etc/containerd/certs.d"):
        (root / d).mkdir(parents=True, exist_ok=True)
    script = workdir / "node-trust.sh"
    script.write_text(node_trust_script([env.gateway.address], env.gateway.ca.read_text(),
                                        [*MIRRORED, upstream[2], AUTHED]))
    result = subprocess.run(["dash", str(script), "install"], env={"HOST_ROOT": str(root), "PATH": os.environ["PATH"]},
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def containerd(workdir) -> Containerd:
    with run_containerd(workdir) as c:
        yield c


@pytest.fixture(scope="module")
def system_roots(workdir, upstream) -> dict[str, str]:
    """ctr's environment: the system trust store holds only the localhost upstream's CA (Go reads
    SSL_CERT_FILE); the gateway's CA comes from the hosts.toml `ca` line alone."""
    bundle = workdir / "system-roots.pem"
    bundle.write_bytes(upstream[1].read_bytes())
    return {"SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": str(workdir / "no-cert-dir")}


def gateway_lines(env: MirrorEnv, needle: str) -> list[str]:
    return [line for line in env.gateway.nginx.log.read_text().splitlines() if needle in line]


# ---------------------------------------------------------------------------------------------- tests

@pytest.mark.parametrize("host", [*MIRRORED, "localhost", AUTHED])
def test_each_upstream_is_pulled_through_its_own_mirror(host, env, images, node, containerd, system_roots, upstream):
    upstream_host = upstream[2] if host == "localhost" else host
    ref = f"{upstream_host}/{NAME}:{TAG}"
    result = containerd.fetch(ref, node_root=node, env=system_roots)
    assert result.returncode == 0, result.stderr
    expected = images[upstream_host]
    assert containerd.image_digest(ref) == expected.manifest.digest, "the digest of this upstream's stand-in"
    assert all(containerd.has_blob(b.digest) for b in expected.blobs)
    # containerd named the upstream on every request it sent to the gateway (a port's ':' as %3A)
    ns = upstream_host.replace(":", "%3A")
    assert gateway_lines(env, f"/v2/{NAME}/manifests/{TAG}?ns={ns} "), "the tag was resolved through the gateway"
    for blob in expected.blobs:
        [line] = gateway_lines(env, f"GET /v2/{NAME}/blobs/{blob.digest}?ns={ns} ")
        assert '" 200 ' in line


def test_the_mirrors_and_the_group_each_saw_only_their_own_pulls(env, images, node, containerd, system_roots):
    for host, registry in env.proxies.items():
        log = registry.log.read_text()
        digest = images[host].manifest.digest
        assert digest in log or f"/v2/{NAME}/manifests/{TAG}" in log
        others = [i.config.digest for h, i in images.items() if h != host]
        assert not any(d in log for d in others), f"{host}'s proxy served another upstream's blobs"
    hub_side = env.backends.cache.log.read_text()
    assert images["docker.io"].config.digest in hub_side
    assert not any(images[h].config.digest in hub_side for h in env.proxies)


def test_an_unconfigured_upstream_is_refused_and_never_reaches_the_group(workdir, env, images, containerd,
                                                                        system_roots):
    before = env.backends.cache.log.read_text().count(f"/v2/{NAME}/manifests/{TAG}")
    resp = requests.head(f"{env.gateway.url}/v2/{NAME}/manifests/{TAG}?ns=quay.io",
                         headers={"Accept": MANIFEST_ACCEPT}, verify=str(env.gateway.ca), timeout=30)
    assert resp.status_code == 404
    resp = requests.get(f"{env.gateway.url}/v2/{NAME}/manifests/{TAG}?ns=quay.io",
                        headers={"Accept": MANIFEST_ACCEPT}, verify=str(env.gateway.ca), timeout=30)
    assert resp.status_code == 404 and resp.headers["Content-Type"] == "application/json"
    assert resp.json() == json.loads(NAME_UNKNOWN_BODY)
    assert resp.json()["errors"][0]["code"] == "NAME_UNKNOWN"
    # containerd with a hand-made hosts.toml for quay.io naming the gateway (as a _default one would); the
    # gateway is its server too, so nothing but 127.0.0.1 is ever tried
    other = workdir / "node-quay"
    quay = other / "etc/containerd/certs.d/quay.io"
    quay.mkdir(parents=True)
    url = f"https://{env.gateway.address}"
    (quay / "hosts.toml").write_text(f'server = "{url}"\nca = "{env.gateway.ca}"\n\n'
                                     f'[host."{url}"]\n  capabilities = ["pull", "resolve"]\n  ca = "{env.gateway.ca}"\n')
    result = containerd.fetch(f"quay.io/{NAME}:{TAG}", node_root=other, env=system_roots)
    assert result.returncode != 0 and "not found" in result.stderr, result.stderr
    assert "failed to decode" not in result.stderr
    assert gateway_lines(env, f"HEAD /v2/{NAME}/manifests/{TAG}?ns=quay.io ")
    after = env.backends.cache.log.read_text().count(f"/v2/{NAME}/manifests/{TAG}")
    assert after == before, "the group's Docker Hub proxy was asked for quay.io's image"


def test_a_mirror_proxys_token_realm_reaches_nexus_web_as_sent(env):
    """The Bearer realm Nexus gives a proxy reached by path is /repository/<repo>/v2/token: `docker login` style
    token requests for it pass the gateway unchanged, credentials included; /v2/token stays on the group."""
    seen = len(env.web_rest.seen)
    query = "scope=repository:library/app:pull&service=x"
    resp = requests.get(f"{env.gateway.url}/repository/docker-proxy-ghcr-io/v2/token?{query}",
                        auth=("puller", "secret"), verify=str(env.gateway.ca), timeout=30)
    assert resp.status_code == 200
    [arrived] = env.web_rest.seen[seen:]
    assert arrived["path"] == f"/repository/docker-proxy-ghcr-io/v2/token?{query}"
    assert arrived["headers"]["Authorization"].startswith("Basic ")
    assert arrived["headers"]["Host"] == env.gateway.address
    refused = requests.get(f"{env.gateway.url}/repository/docker-hosted/v2/token", verify=str(env.gateway.ca),
                           timeout=30)
    assert refused.status_code == 404 and refused.json()["errors"][0]["code"] == "NAME_UNKNOWN"
    assert len(env.web_rest.seen) == seen + 1


def test_an_anonymous_pull_took_its_token_from_the_proxys_realm_through_the_gateway(env, images):
    """kubelet has no login for a mirror: the private upstream's pull above answered the 401 with an anonymous token
    fetched from https://<gateway>/repository/docker-proxy-localhost-<port>/v2/token (the mirror_token route)."""
    issuer = env.issuers[AUTHED]
    pulls = [r for r in issuer.requests if r.account is None and f"repository:{NAME}:pull" in r.scopes]
    assert pulls and all(r.granted for r in pulls)
    repo = env.mirrors[-1].repo
    assert gateway_lines(env, f"GET /repository/{repo}/v2/token?scope=repository%3Alibrary%2Fapp%3Apull")


@pytest.mark.parametrize("password,ok", [("pull-pw", True), ("wrong", False)])
def test_a_login_to_the_mirror_works_through_the_gateway(password, ok, env, images, node, containerd, system_roots):
    """ctr --user (a login in containerd's config, or docker login): the same realm with Basic credentials
    (containerd tries the OAuth POST first and then GET, both routed), a bad password refused."""
    issuer = env.issuers[AUTHED]
    seen = len(issuer.requests)
    ref = f"{AUTHED}/{NAME}:{TAG}"
    result = containerd.fetch(ref, node_root=node, env=system_roots, user=f"puller:{password}")
    logins = [r for r in issuer.requests[seen:] if r.account == "puller" or not r.granted]
    if ok:
        assert result.returncode == 0, result.stderr
        assert containerd.image_digest(ref) == images[AUTHED].manifest.digest
        assert logins and all(r.account == "puller" and r.granted for r in logins)
        assert gateway_lines(env, f"POST /repository/{env.mirrors[-1].repo}/v2/token ")
    else:
        assert result.returncode != 0 and "401" in result.stderr, result.stderr
        assert "lookup" not in result.stderr, "the fallback must not leave 127.0.0.1"
        assert logins and not any(r.granted for r in logins)


def test_with_the_gateway_stopped_containerd_falls_back_to_the_upstream(env, images, node, containerd,
                                                                       system_roots, upstream):
    """Last in this module: it stops the gateway. The script's own server line is what containerd uses."""
    registry, _, host = upstream
    ref = f"{host}/{NAME}:{TAG}"
    hosts_toml = (node / f"etc/containerd/certs.d/{host}/hosts.toml").read_text()
    assert f'server = "https://{host}"' in hosts_toml
    master = env.gateway.nginx.master
    master.terminate()
    master.wait(timeout=30)
    result = containerd.fetch(ref, node_root=node, env=system_roots)
    assert result.returncode == 0, result.stderr
    assert containerd.image_digest(ref) == images["upstream"].manifest.digest, "served by the upstream itself"
    assert all(containerd.has_blob(b.digest) for b in images["upstream"].blobs)
    assert f"/v2/{NAME}/manifests/{TAG}" in registry.log.read_text()
