"""Workloads in the cluster pulling from the registry: pull Secrets in the listed namespaces, and the registry
CA on every node (a DaemonSet) so the nodes' container runtime accepts it."""
from components.cluster_pull.component import (
    NodeRegistryTrust,
    NodeRegistryTrustArgs,
    RegistryPullSecrets,
    RegistryPullSecretsArgs,
)

__all__ = ["NodeRegistryTrust", "NodeRegistryTrustArgs", "RegistryPullSecrets", "RegistryPullSecretsArgs"]
