"""A CA and a CA-signed server certificate made with `cryptography` from the same choices the
SelfSignedCert component gives pulumi-tls (components/tls/profile.py): key algorithm and curve,
common names, allowed uses (mapped to keyUsage / extendedKeyUsage as pulumi-tls does), and the SANs.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from components.tls import profile

_CURVES = {"P224": ec.SECP224R1, "P256": ec.SECP256R1, "P384": ec.SECP384R1, "P521": ec.SECP521R1}
# pulumi-tls allowed_uses → x509 keyUsage bits (terraform-provider-tls keyUsages table).
_KEY_USAGE = {"digital_signature": "digital_signature", "content_commitment": "content_commitment",
              "key_encipherment": "key_encipherment", "data_encipherment": "data_encipherment",
              "key_agreement": "key_agreement", "cert_signing": "key_cert_sign", "crl_signing": "crl_sign",
              "encipher_only": "encipher_only", "decipher_only": "decipher_only"}
_EXT_KEY_USAGE = {"server_auth": ExtendedKeyUsageOID.SERVER_AUTH, "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH}


@dataclass(frozen=True)
class Pem:
    ca_cert: str
    cert: str
    key: str

    def write(self, directory: Path) -> dict[str, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        paths = {"ca": directory / "ca.crt", "cert": directory / "server.crt", "key": directory / "server.key"}
        paths["ca"].write_text(self.ca_cert)
        paths["cert"].write_text(self.cert)
        paths["key"].write_text(self.key)
        paths["key"].chmod(0o600)
        return paths


def _usages(builder: x509.CertificateBuilder, allowed_uses: tuple[str, ...]) -> x509.CertificateBuilder:
    flags = {bit: False for bit in _KEY_USAGE.values()}
    flags.update({_KEY_USAGE[u]: True for u in allowed_uses if u in _KEY_USAGE})
    builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    ext = [_EXT_KEY_USAGE[u] for u in allowed_uses if u in _EXT_KEY_USAGE]
    return builder.add_extension(x509.ExtendedKeyUsage(ext), critical=False) if ext else builder


def _private_key():
    assert profile.KEY_ALGORITHM == "ECDSA", "tlsgen mirrors the ECDSA profile only"
    return ec.generate_private_key(_CURVES[profile.ECDSA_CURVE]())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, profile.ORGANIZATION)])


def make_chain(ip_sans: list[str], dns_sans: list[str] | None = None, *, validity_hours: int = 24) -> Pem:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    ca_key, key = _private_key(), _private_key()
    ca_name = _name(profile.CA_COMMON_NAME)
    ca = _usages(x509.CertificateBuilder()
                 .subject_name(ca_name).issuer_name(ca_name)
                 .public_key(ca_key.public_key())
                 .serial_number(x509.random_serial_number())
                 .not_valid_before(now).not_valid_after(now + dt.timedelta(hours=validity_hours * 10))
                 .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                 .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False),
                 profile.CA_ALLOWED_USES).sign(ca_key, hashes.SHA256())
    sans = profile.server_sans(tuple(ip_sans), tuple(dns_sans or ()))
    alt = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in sans["ip_addresses"]]
    alt += [x509.DNSName(name) for name in sans["dns_names"]]
    cert = _usages(x509.CertificateBuilder()
                   .subject_name(_name(profile.SERVER_COMMON_NAME)).issuer_name(ca_name)
                   .public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + dt.timedelta(hours=validity_hours))
                   .add_extension(x509.SubjectAlternativeName(alt), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False),
                   profile.SERVER_ALLOWED_USES).sign(ca_key, hashes.SHA256())
    pem = serialization.Encoding.PEM
    return Pem(ca_cert=ca.public_bytes(pem).decode(), cert=cert.public_bytes(pem).decode(),
               key=key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode())
