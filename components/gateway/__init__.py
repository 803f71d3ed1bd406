"""nginx in front of Nexus: one TLS address for push and pull, and the plain-HTTP UI port."""
from components.gateway.component import NginxGateway, NginxGatewayArgs

__all__ = ["NginxGateway", "NginxGatewayArgs"]
