"""The registry's certificate: generated (a self-signed CA and a server certificate with IP SANs, pulumi-tls) or
provided in the stack config."""
from components.tls.component import SelfSignedCert, SelfSignedCertArgs
from components.tls.provided import ProvidedCert, ProvidedCertArgs

__all__ = ["ProvidedCert", "ProvidedCertArgs", "SelfSignedCert", "SelfSignedCertArgs"]
