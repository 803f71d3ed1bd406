"""SelfSignedCert: a CA and a server certificate signed by it, with the registry's IP and DNS SANs.

Docker hosts trust only the CA (/etc/docker/certs.d/<ip:port>/ca.crt), so the server certificate can
be renewed (early_renewal_hours) without touching them.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from components.tls import profile


@dataclass(frozen=True)
class SelfSignedCertArgs:
    ip_addresses: tuple[str, ...]
    dns_names: tuple[str, ...] = ()
    validity_hours: int = 8760
    early_renewal_hours: int = 720
    ca_validity_hours: int = 87600


class SelfSignedCert(pulumi.ComponentResource):
    ca_cert_pem: pulumi.Output[str]
    cert_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]
    not_after: pulumi.Output[str]      # the server certificate's validity end (RFC 3339)

    def __init__(self, name: str, args: SelfSignedCertArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:SelfSignedCert", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key_args = dict(algorithm=profile.KEY_ALGORITHM, ecdsa_curve=profile.ECDSA_CURVE)

        ca_key = tls.PrivateKey(f"{name}-ca-key", **key_args, opts=child)
        ca = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=ca_key.private_key_pem,
            is_ca_certificate=True,
            set_subject_key_id=True,
            allowed_uses=list(profile.CA_ALLOWED_USES),
            validity_period_hours=args.ca_validity_hours,
            subject=tls.SelfSignedCertSubjectArgs(common_name=profile.CA_COMMON_NAME,
                                                  organization=profile.ORGANIZATION),
            opts=child)

        server_key = tls.PrivateKey(f"{name}-server-key", **key_args, opts=child)
        request = tls.CertRequest(
            f"{name}-server-csr",
            private_key_pem=server_key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=profile.SERVER_COMMON_NAME,
                                               organization=profile.ORGANIZATION),
            **profile.server_sans(args.ip_addresses, args.dns_names),
            opts=child)
        server = tls.LocallySignedCert(
            f"{name}-server",
            cert_request_pem=request.cert_request_pem,
            ca_cert_pem=ca.cert_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            allowed_uses=list(profile.SERVER_ALLOWED_USES),
            validity_period_hours=args.validity_hours,
            early_renewal_hours=args.early_renewal_hours,
            set_subject_key_id=True,
            opts=child)

        self.ca_cert_pem = ca.cert_pem
        self.cert_pem = server.cert_pem
        self.private_key_pem = pulumi.Output.secret(server_key.private_key_pem)
        self.not_after = server.validity_end_time
        self.register_outputs({
            "ca_cert_pem": self.ca_cert_pem,
            "cert_pem": self.cert_pem,
            "private_key_pem": self.private_key_pem,
        })
