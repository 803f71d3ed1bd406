"""NetworkPolicy objects as plain dicts: which peers may reach a pod's ports, and where the pod may connect.

The manifest builders of each component use these for their own pods; a pod selected by a policy with
both policy types accepts and opens only what its rules list.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from components.k8s_meta import Namespaced, metadata

# Name lookups: cluster DNS runs under different names per distribution (kube-dns, CoreDNS, node-local
# caches on a link-local address), so the rule opens port 53 to any destination and nothing else.
DNS_EGRESS = {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}


def skips(enabled: bool) -> dict[str, str]:
    """checkov's CKV2_K8S_6 (a pod without a NetworkPolicy) when the stack turned the policies off. It is
    declared on the Deployment: checkov judges a Deployment's pod with the Deployment's suppressions."""
    if enabled:
        return {}
    return {"CKV2_K8S_6": "networkPolicies is off for this stack because the cluster's CNI does not "
                          "enforce NetworkPolicy"}


def tcp(ports: Iterable[int]) -> list[dict]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def pods(labels: Mapping[str, str]) -> dict:
    """A peer: the pods of this namespace that carry `labels`."""
    if not labels:
        raise ValueError("a NetworkPolicy peer needs labels (an empty selector means every pod)")
    return {"podSelector": {"matchLabels": dict(labels)}}


def network_policy(spec: Namespaced, name: str, *, ingress: list[dict], egress: list[dict]) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata(spec, name),
            "spec": {"podSelector": {"matchLabels": spec.labels}, "policyTypes": ["Ingress", "Egress"],
                     "ingress": ingress, "egress": egress}}
