"""The docker hosts' side: the CA in /etc/docker/certs.d on each host, and the smoke check (login, push,
pull through the gateway)."""
from components.clients.docker_trust import DockerClientTrust, DockerClientTrustArgs
from components.clients.smoke_check import SmokeCheck, SmokeCheckArgs

__all__ = ["DockerClientTrust", "DockerClientTrustArgs", "SmokeCheck", "SmokeCheckArgs"]
