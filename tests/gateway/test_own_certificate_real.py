"""The how-to's own certificate (openssl req -newkey rsa:4096 -x509, IP SAN in [v3_ca]) given as
tlsCertificate/tlsPrivateKey: real nginx serves exactly what the stack puts in the gateway Secret, with the
nginx.conf the stack renders for it, and skopeo pushes and pulls trusting only the stack's ca_cert_pem
output, as a docker host with /etc/docker/certs.d/<ip:port>/ca.crt does."""
from __future__ import annotations

import json
import socket
import ssl

import pytest
import requests

from tests.gateway.test_gateway_real import copy_ok
from tests.support.gateway_env import gateway_env
from tests.support.oci import make_image
from tests.support.recipe_cert import recipe_cert
from tests.support.stack import run_program
from tests.support.tlsgen import Pem

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    recipe = recipe_cert("127.0.0.1")
    run = run_program("dev", {"tlsCertificate": recipe.crt, "dnsNames": []}, {"tlsPrivateKey": recipe.key})
    pair = run.one("kubernetes:core/v1:Secret", "gateway-tls").plain["stringData"]
    served = Pem(ca_cert=run.outputs["ca_cert_pem"], cert=pair["tls.crt"], key=pair["tls.key"])
    with gateway_env(tmp_path_factory.mktemp("own-cert"), tls=served, cert_key_type="RSA") as e:
        yield e


def test_nginx_serves_the_recipe_certificate_over_tls_1_2_and_1_3(env):
    gw = env.gateway
    assert requests.get(f"{gw.url}/v2/", verify=str(gw.ca), timeout=30).status_code == 200
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = ssl.create_default_context(cafile=str(gw.ca))
        ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", gw.port)) as raw, \
                ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.getpeercert(binary_form=True) == ssl.PEM_cert_to_DER_cert(recipe_cert("127.0.0.1").crt)
            assert tls.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
            if version == ssl.TLSVersion.TLSv1_2:
                assert tls.cipher()[0].startswith("ECDHE-RSA-")


def test_skopeo_pushes_and_pulls_trusting_the_ca_output(env):
    gw, workdir = env.gateway, env.workdir
    assert (gw.cert_dir / "ca.crt").read_text() == recipe_cert("127.0.0.1").crt   # what docker hosts hold
    image = make_image(workdir / "oci" / "own", "v1")
    copy_ok(workdir, "--dest-cert-dir", str(gw.cert_dir), image.ref, f"docker://{gw.address}/team/own:v1")
    out = workdir / "oci" / "own-back"
    copy_ok(workdir, "--src-cert-dir", str(gw.cert_dir), f"docker://{gw.address}/team/own:v1", f"oci:{out}:v1")
    assert json.loads((out / "index.json").read_text())["manifests"][0]["digest"] == image.manifest.digest
