"""The self-signed CA and the registry certificate with IP SANs (pulumi-tls)."""
from components.tls.component import SelfSignedCert, SelfSignedCertArgs

__all__ = ["SelfSignedCert", "SelfSignedCertArgs"]
