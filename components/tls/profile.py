"""The certificate choices SelfSignedCert makes, as plain data.

tests/support/tlsgen.py builds a chain with `cryptography` from these same values and a real TLS
handshake proves that a client trusting only the CA accepts the server by IP.
"""
from __future__ import annotations

KEY_ALGORITHM = "ECDSA"
ECDSA_CURVE = "P256"

CA_COMMON_NAME = "nexus-registry CA"
SERVER_COMMON_NAME = "nexus-registry"
ORGANIZATION = "nexus-registry"

# pulumi-tls `allowed_uses` names.
CA_ALLOWED_USES = ("cert_signing", "crl_signing", "digital_signature")
SERVER_ALLOWED_USES = ("digital_signature", "key_encipherment", "server_auth")


def server_sans(public_ips: tuple[str, ...], dns_names: tuple[str, ...]) -> dict[str, list[str]]:
    """Subject alternative names of the server certificate: every address a client may dial.

    Go (docker, containerd) ignores the CN, so an address missing here fails the handshake
    ("doesn't contain any IP SANs").
    """
    return {"ip_addresses": list(public_ips), "dns_names": list(dns_names)}
