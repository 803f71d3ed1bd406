"""Nexus on Kubernetes: the Deployment, its data volume and Service (what the how-to ran by hand)."""
from components.nexus_server.component import NexusServer, NexusServerArgs

__all__ = ["NexusServer", "NexusServerArgs"]
