"""ProvidedCert: the certificate, key and CA given in the stack config (tlsCertificate, tlsPrivateKey,
tlsCaCertificate; checked by components/config_tls.py), with the same outputs as SelfSignedCert."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class ProvidedCertArgs:
    cert_pem: str
    private_key_pem: pulumi.Input[str]    # a secret Output
    ca_cert_pem: str                      # tlsCaCertificate, or the certificate itself when self-signed
    not_after: str = ""                   # the certificate's validity end (RFC 3339), as SelfSignedCert gives it


class ProvidedCert(pulumi.ComponentResource):
    ca_cert_pem: pulumi.Output[str]
    cert_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]
    not_after: pulumi.Output[str]      # the certificate's validity end (RFC 3339): the monitoring's expiry alert

    def __init__(self, name: str, args: ProvidedCertArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:ProvidedCert", name, None, opts)
        self.ca_cert_pem = pulumi.Output.from_input(args.ca_cert_pem)
        self.cert_pem = pulumi.Output.from_input(args.cert_pem)
        self.private_key_pem = pulumi.Output.secret(args.private_key_pem)
        self.not_after = pulumi.Output.from_input(args.not_after)
        self.register_outputs({
            "ca_cert_pem": self.ca_cert_pem,
            "cert_pem": self.cert_pem,
            "private_key_pem": self.private_key_pem,
        })
