"""The prod stack (the original how-to's installation) with the how-to's own certificate, under Pulumi mocks:
no certificate is generated, the gateway Secret carries the given pair (the key only as a secret), and
every place that trusts the registry gets that certificate as the CA: the ca_cert_pem output, the docker
hosts' ca.crt, the node-trust script. A new certificate re-rolls the gateway."""
from __future__ import annotations

import pytest

from components.cluster_pull.node_trust import node_trust_script
from components.k8s_meta import CHECKSUM_ANNOTATION
from tests.support.recipe_cert import recipe_cert
from tests.support.stack import plain_occurrences, run_program

IP = "192.168.129.112"        # Pulumi.prod.yaml's publicIps
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----ssh"
OVERRIDES = {"dockerHosts": ["root@192.168.129.50"], "trustOnNodes": True, "pushPort": 10002,
             "pullUsers": ["cluster-pull"], "pullSecretNamespaces": ["team-a"]}


def own_run(cert=None, **more):
    cert = cert or recipe_cert(IP)
    return run_program("prod", {**OVERRIDES, "tlsCertificate": cert.crt, **more},
                       {"tlsPrivateKey": cert.key, "sshPrivateKey": KEY})


@pytest.fixture(scope="module")
def run():
    return own_run()


def _gateway_template(run) -> dict:
    return run.one("kubernetes:apps/v1:Deployment", "gateway-deployment").plain["spec"]["template"]


def test_no_certificate_is_generated(run):
    assert [r.typ for r in run.resources if r.typ.startswith("tls:")] == []
    assert run.one("nexus-registry:index:ProvidedCert").name == "registry-tls"
    assert run.of_type("nexus-registry:index:SelfSignedCert") == []


def test_the_gateway_secret_carries_the_pair_and_the_key_is_never_plaintext(run):
    recipe = recipe_cert(IP)
    secret = run.one("kubernetes:core/v1:Secret", "gateway-tls")
    assert secret.plain["stringData"] == {"tls.crt": recipe.crt, "tls.key": recipe.key}
    key_body = recipe.key.splitlines()[1]
    for r in run.resources:
        assert plain_occurrences(r.inputs, key_body) == [], f"{r.typ} {r.name} holds the TLS key in plaintext"
    for name, value in run.outputs.items():
        assert key_body not in str(value), f"output {name} shows the TLS key"


def test_every_trust_uses_the_certificate_as_the_ca(run):
    recipe = recipe_cert(IP)
    assert run.outputs["ca_cert_pem"] == recipe.crt
    for cmd in run.of_type("command:remote:Command"):
        assert cmd.plain["stdin"] == recipe.crt          # /etc/docker/certs.d/<address>/ca.crt on docker hosts
    script = run.one("kubernetes:core/v1:ConfigMap", "node-trust-config").plain["data"]
    addresses = [run.outputs["registry"], run.outputs["push_registry"]]
    assert node_trust_script(addresses, recipe.crt) in script.values()
    assert run.of_type("kubernetes:core/v1:Secret")    # pull Secrets hold the address and a pull user, no CA
    assert run.outputs["ca_path"] == f"/etc/docker/certs.d/{IP}:10001/ca.crt"


def test_an_rsa_key_gets_the_rsa_suites(run):
    conf = run.one("kubernetes:core/v1:ConfigMap", "gateway-config").plain["data"]["nginx.conf"]
    assert "ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305;" in conf


def test_a_new_certificate_rerolls_the_gateway(run):
    before = _gateway_template(run)["metadata"]["annotations"][CHECKSUM_ANNOTATION]
    renewed = recipe_cert(IP, days=200)
    after = _gateway_template(own_run(renewed))["metadata"]["annotations"][CHECKSUM_ANNOTATION]
    assert before != after
    assert _gateway_template(own_run())["metadata"]["annotations"][CHECKSUM_ANNOTATION] == before


def test_the_days_left_and_warnings_go_to_the_pulumi_log(monkeypatch):
    import pulumi
    logged = []
    monkeypatch.setattr(pulumi.log, "info", lambda msg, *a, **k: logged.append(("info", msg)))
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **k: logged.append(("warn", msg)))
    own_run(tlsProfile="modern")
    mine = [entry for entry in logged if "tlsCertificate" in entry[1]]
    assert [level for level, _ in mine] == ["info", "warn"]
    assert "days left)" in mine[0][1] and "more than Mozilla's 90 for tlsProfile=modern" in mine[1][1]
