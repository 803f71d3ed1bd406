"""The certificate choices SelfSignedCert makes, proven with a real TLS handshake on 127.0.0.1.

tests/support/tlsgen.py builds the chain with `cryptography` from components/tls/profile.py, the same
data the component passes to pulumi-tls (checked below under mocks). A client that trusts only the CA
must accept the server when dialling it by IP.
"""
from __future__ import annotations

import socket
import ssl
import threading

import pytest

from components.tls import profile
from tests.support.tlsgen import make_chain


def _serve_once(paths) -> tuple[int, threading.Thread]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(paths["cert"], paths["key"])
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        with listener:
            conn, _ = listener.accept()
            try:
                with ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"ok")
            except (ssl.SSLError, OSError):
                pass   # the client refused the certificate

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, thread


def _handshake(port: int, ca_path, host: str = "127.0.0.1") -> bytes:
    ctx = ssl.create_default_context(cafile=str(ca_path))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            return tls.recv(2)


def test_client_trusting_only_the_ca_accepts_the_server_by_ip(tmp_path):
    paths = make_chain(["127.0.0.1"]).write(tmp_path)
    port, thread = _serve_once(paths)
    assert _handshake(port, paths["ca"]) == b"ok"
    thread.join(5)


def test_a_certificate_without_the_ip_san_is_refused(tmp_path):
    paths = make_chain([], ["registry.example"]).write(tmp_path)
    port, thread = _serve_once(paths)
    with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
        _handshake(port, paths["ca"])
    thread.join(5)


def test_a_client_trusting_another_ca_refuses_the_server(tmp_path):
    paths = make_chain(["127.0.0.1"]).write(tmp_path / "a")
    other = make_chain(["127.0.0.1"]).write(tmp_path / "b")
    port, thread = _serve_once(paths)
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        _handshake(port, other["ca"])
    thread.join(5)


def test_component_passes_the_profile_to_pulumi_tls(dev_run):
    keys = [r.plain for r in dev_run.of_type("tls:index/privateKey:PrivateKey")]
    assert len(keys) == 2
    assert all(k["algorithm"] == profile.KEY_ALGORITHM and k["ecdsaCurve"] == profile.ECDSA_CURVE for k in keys)
    ca = dev_run.one("tls:index/selfSignedCert:SelfSignedCert").plain
    assert tuple(ca["allowedUses"]) == profile.CA_ALLOWED_USES
    assert ca["subject"]["commonName"] == profile.CA_COMMON_NAME
    server = dev_run.one("tls:index/locallySignedCert:LocallySignedCert").plain
    assert tuple(server["allowedUses"]) == profile.SERVER_ALLOWED_USES
    csr = dev_run.one("tls:index/certRequest:CertRequest").plain
    assert {"ip_addresses": csr["ipAddresses"], "dns_names": csr["dnsNames"]} == \
        profile.server_sans(("127.0.0.1",), ("localhost",))
    assert "private_key_pem" not in dev_run.outputs   # the server key is never a stack output
