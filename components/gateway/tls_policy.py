"""The gateway's TLS settings, per Mozilla's Server Side TLS guidelines (version 5.7), as plain data.

`tlsProfile` picks one: "intermediate" (TLS 1.2 + 1.3, every client of the last decade) or "modern"
(TLS 1.3 only). The renderer (components/nginx_conf.py) turns a profile into nginx directives and the
settings parser (components/config.py) holds the server certificate to the profile's lifespan. The
real-gateway tests check the result with sslyze's Mozilla checker, and that these values are a subset
of the Mozilla data sslyze ships.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["TlsProfile", "PROFILES", "profile"]


@dataclass(frozen=True)
class TlsProfile:
    name: str
    protocols: tuple[str, ...]            # nginx ssl_protocols
    ciphers: tuple[str, ...]              # TLS <= 1.2 suites, OpenSSL names (empty without TLS 1.2)
    ciphersuites: tuple[str, ...]         # TLS 1.3 suites, IANA names (OpenSSL takes these)
    curves: tuple[str, ...]               # key exchange groups, OpenSSL names
    max_cert_lifespan_days: int           # Mozilla's maximum_certificate_lifespan

    @property
    def max_cert_validity_hours(self) -> int:
        return self.max_cert_lifespan_days * 24


# The certificate is ECDSA (components/tls/profile.py), so of Mozilla's TLS 1.2 list only the ECDSA
# suites can ever be negotiated; the RSA and DHE ones are left out rather than listed dead (a test
# holds this list to the key algorithm).
_TLS13_SUITES = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
_CURVES = ("X25519", "prime256v1", "secp384r1")  # nginx's default "auto" adds X448 and secp521r1

PROFILES: dict[str, TlsProfile] = {
    "intermediate": TlsProfile(
        name="intermediate",
        protocols=("TLSv1.2", "TLSv1.3"),
        ciphers=("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                 "ECDHE-ECDSA-CHACHA20-POLY1305"),
        ciphersuites=_TLS13_SUITES,
        curves=_CURVES,
        max_cert_lifespan_days=366,
    ),
    "modern": TlsProfile(
        name="modern",
        protocols=("TLSv1.3",),
        ciphers=(),
        ciphersuites=_TLS13_SUITES,
        curves=_CURVES,
        max_cert_lifespan_days=90,
    ),
}


# Mozilla intermediate's ECDHE suites for an RSA key (a provided certificate, e.g. the original how-to's
# rsa:4096 one): without them TLS 1.2 clients could not negotiate at all. Its DHE-RSA suites need a dhparam
# file and are left out.
RSA_CIPHERS = ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305")
KEY_TYPES = ("ECDSA", "RSA")


def for_key(tls: TlsProfile, key_type: str) -> TlsProfile:
    """The profile's TLS 1.2 suites for a certificate key of `key_type` (ECDSA: as listed; RSA: the RSA ones)."""
    if key_type not in KEY_TYPES:
        raise ValueError(f"cert_key_type must be one of {', '.join(KEY_TYPES)}, got {key_type!r}")
    if key_type == "ECDSA" or not tls.ciphers:
        return tls
    return replace(tls, ciphers=RSA_CIPHERS)


def profile(name: str) -> TlsProfile:
    """The profile called `name`; a ValueError naming the choices otherwise."""
    if name not in PROFILES:
        raise ValueError(f"must be one of {', '.join(PROFILES)}")
    return PROFILES[name]
