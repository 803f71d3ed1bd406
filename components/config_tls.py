"""Bring your own certificate: `tlsCertificate`, the secret `tlsPrivateKey` and optional `tlsCaCertificate`
(all PEM), checked before any resource exists (docs/own-certificate.md).

The pair replaces the generated one. The CA that docker hosts, nodes and clients trust is `tlsCaCertificate`,
or the certificate itself when it is self-signed (as the original how-to's `openssl req -x509` one is).
Checks, each naming its key: the key matches the certificate; its subjectAltName covers every `publicIps`
(IP SAN: docker and containerd ignore the CN) and `dnsNames` entry; it is valid now; the chain verifies to
the CA. The days left and a lifespan above the tlsProfile's cap are notes for the pulumi log, not errors.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from typing import Optional, Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from components.config_reader import ConfigReader, Secret

SOON_DAYS = 30          # fewer days left than this is a warning


@dataclass(frozen=True)
class OwnCertificate:
    cert_pem: str                        # the server certificate (and any intermediates), as given
    private_key: Secret
    ca_pem: str                          # what clients trust
    key_type: str                        # ECDSA or RSA (the gateway's TLS 1.2 suites follow it)
    not_after: dt.datetime
    days_left: int
    notes: tuple[tuple[str, str], ...]   # (info|warn, message) for the pulumi log


def _pem(value: str) -> str:
    return value.strip() + "\n"


def _spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _dns_covered(name: str, sans: Sequence[str]) -> bool:
    for san in (s.lower() for s in sans):
        if san == name:
            return True
        if san.startswith("*.") and "." in name and name.split(".", 1)[1] == san[2:]:
            return True
    return False


def _load_certs(r: ConfigReader, key: str, value: str) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(_pem(value).encode())
    except ValueError:
        certs = []
    if not certs:
        r.fail(key, value[:60] + ("…" if len(value) > 60 else ""), "is not a PEM certificate "
               f"(-----BEGIN CERTIFICATE-----): pulumi config set {key} < domain.crt")
    return certs


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def read_own_certificate(r: ConfigReader, public_ips: Sequence[str], dns_names: Sequence[str],
                         tls_profile, now: Optional[dt.datetime] = None) -> Optional[OwnCertificate]:
    """The provided certificate, checked; None when tlsCertificate is not set. Problems go to `r`."""
    cert_value, ca_value = r.value("tlsCertificate"), r.value("tlsCaCertificate")
    key_secret = r.secret("tlsPrivateKey", r.value("tlsPrivateKey"))
    if not cert_value:
        if key_secret is not None:
            r.fail("tlsCertificate", "", "is required with tlsPrivateKey: pulumi config set tlsCertificate < domain.crt")
        if ca_value:
            r.fail("tlsCaCertificate", "<PEM>", "is used only with tlsCertificate and tlsPrivateKey")
        return None
    if key_secret is None:
        if "tlsPrivateKey" not in {p.key for p in r.problems}:
            r.fail("tlsPrivateKey", "", "is required with tlsCertificate: "
                                        "pulumi config set --secret tlsPrivateKey < domain.key")
        return None
    chain = _load_certs(r, "tlsCertificate", cert_value)
    try:
        key = serialization.load_pem_private_key(_pem(key_secret.reveal()).encode(), password=None)
    except TypeError:
        r.fail("tlsPrivateKey", "<PEM>", "is encrypted: give the key without a passphrase "
                                         "(openssl pkey -in domain.key -out domain.plain.key)")
        return None
    except (ValueError, UnsupportedAlgorithm):   # the value itself is never shown
        r.fail("tlsPrivateKey", "<PEM>", "is not a PEM private key (-----BEGIN PRIVATE KEY----- or "
                                         "-----BEGIN RSA PRIVATE KEY-----)")
        return None
    if not chain:
        return None
    leaf = chain[0]
    problems_before = len(r.problems)
    key_type = {rsa.RSAPrivateKey: "RSA", ec.EllipticCurvePrivateKey: "ECDSA"}.get(
        next((t for t in (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey) if isinstance(key, t)), None))
    if key_type is None:
        r.fail("tlsPrivateKey", "<PEM>", f"is a {type(key).__name__.lstrip('_')}; the gateway serves RSA or ECDSA keys")
    if _spki(key.public_key()) != _spki(leaf.public_key()):
        r.fail("tlsPrivateKey", "<PEM>", f"does not belong to tlsCertificate (subject {leaf.subject.rfc4514_string()}): "
                                         "its public key differs")

    try:
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        ip_sans = {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
        dns_sans = sans.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        ip_sans, dns_sans = set(), []
    for ip in public_ips:
        if str(ipaddress.ip_address(ip)) not in ip_sans:
            r.fail("tlsCertificate", f"subjectAltName {sorted(ip_sans) + dns_sans}",
                   f"does not cover publicIps entry {ip}: docker checks the IP SAN (add subjectAltName = IP:{ip})")
    for name in dns_names:
        if not _dns_covered(name, dns_sans):
            r.fail("tlsCertificate", f"subjectAltName {sorted(ip_sans) + dns_sans}",
                   f"does not cover dnsNames entry {name} (add subjectAltName = DNS:{name})")

    now = now or dt.datetime.now(dt.timezone.utc)
    not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    if now >= not_after:
        r.fail("tlsCertificate", f"notAfter {not_after:%Y-%m-%d %H:%M} UTC", "has expired: renew it (see "
               "docs/own-certificate.md#renewal)")
    elif now < not_before:
        r.fail("tlsCertificate", f"notBefore {not_before:%Y-%m-%d %H:%M} UTC", "is not valid yet")

    if ca_value:
        cas = _load_certs(r, "tlsCaCertificate", ca_value)
        ca_key = "tlsCaCertificate"
    elif _self_signed(chain[-1]):
        cas, ca_key = [chain[-1]], "tlsCertificate"
    else:
        r.fail("tlsCaCertificate", "", f"is required: tlsCertificate is issued by {chain[-1].issuer.rfc4514_string()}, "
                                       "not self-signed; give the CA that docker hosts are to trust")
        return None
    for cert, issuer in zip(chain, chain[1:]):
        if not _issued_by(cert, issuer):
            r.fail("tlsCertificate", cert.subject.rfc4514_string(),
                   f"is not signed by the next certificate in the chain ({issuer.subject.rfc4514_string()})")
    top = chain[-1]
    if cas and not any(_spki(top.public_key()) == _spki(ca.public_key()) or _issued_by(top, ca) for ca in cas):
        r.fail(ca_key, cas[0].subject.rfc4514_string(),
               f"does not verify tlsCertificate: {top.subject.rfc4514_string()} is issued by "
               f"{top.issuer.rfc4514_string()}, which this CA did not sign")
    if len(r.problems) > problems_before or not cas:
        return None

    days_left = (not_after - now).days
    notes = [("info", f"tlsCertificate {leaf.subject.rfc4514_string()} is valid until "
                      f"{not_after:%Y-%m-%d} UTC ({days_left} days left)")]
    if days_left < SOON_DAYS:
        notes.append(("warn", f"tlsCertificate expires in {days_left} days: renew it "
                              "(docs/own-certificate.md#renewal)"))
    lifespan_days = (not_after - not_before).days
    if tls_profile and lifespan_days > tls_profile.max_cert_lifespan_days:
        notes.append(("warn", f"tlsCertificate spans {lifespan_days} days, more than Mozilla's "
                              f"{tls_profile.max_cert_lifespan_days} for tlsProfile={tls_profile.name}; "
                              "it is served anyway (the cap applies to certificates this stack generates)"))
    # The CA as given (byte for byte what docker hosts already hold as ca.crt when it is the recipe's domain.crt).
    ca_pem = _pem(ca_value) if ca_value else cas[0].public_bytes(serialization.Encoding.PEM).decode()
    if not ca_value and len(chain) == 1:
        ca_pem = _pem(cert_value)
    return OwnCertificate(cert_pem=_pem(cert_value), private_key=key_secret, ca_pem=ca_pem, key_type=key_type,
                          not_after=not_after, days_left=days_left, notes=tuple(notes))
