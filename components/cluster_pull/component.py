"""The two concerns of workloads pulling from the registry, each a ComponentResource that only wires the pure
builders of manifests.py and node_trust.py:

- RegistryPullSecrets: one `kubernetes.io/dockerconfigjson` Secret per listed namespace, built from secret
  Outputs only (kubelet hands the login to the container runtime when a pod names it in imagePullSecrets);
- NodeRegistryTrust: a DaemonSet whose pod writes the registry CA for docker and containerd on its node, and
  removes those files again when it is deleted (see node_trust.py for the limits).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

import pulumi
import pulumi_kubernetes as k8s

from components.cluster_pull import manifests as m
from components.cluster_pull.node_trust import node_trust_script
from components.k8s_meta import checksum


def _addresses(registry_address: pulumi.Input[str],
               push_address: Optional[pulumi.Input[str]]) -> pulumi.Output:
    """The registry address, then the push-only address when there is one."""
    return pulumi.Output.all(registry_address, *([push_address] if push_address is not None else []))


@dataclass(frozen=True)
class RegistryPullSecretsArgs:
    namespaces: Mapping[str, pulumi.Input[str]]   # namespace name -> the namespace to use (an Output of it
    #                                               for the stack's own, so the Secret waits for it to exist)
    secret_name: str
    registry_address: pulumi.Input[str]
    push_address: Optional[pulumi.Input[str]]
    pull_username: pulumi.Input[str]
    pull_password: pulumi.Input[str]              # secret


class RegistryPullSecrets(pulumi.ComponentResource):
    secrets: dict[str, k8s.core.v1.Secret]

    def __init__(self, name: str, args: RegistryPullSecretsArgs,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("nexus-registry:index:RegistryPullSecrets", name, None, opts)
        login = pulumi.Output.all(_addresses(args.registry_address, args.push_address), args.pull_username,
                                  pulumi.Output.secret(args.pull_password))
        docker_config = pulumi.Output.secret(login.apply(lambda v: m.docker_config_json(*v)))
        self.secrets = {}
        for key, namespace in args.namespaces.items():
            secret = m.pull_secret(m.PullSecretSpec(args.secret_name, namespace), docker_config)
            self.secrets[key] = k8s.core.v1.Secret(
                f"{name}-{key}", metadata=secret["metadata"], type=secret["type"],
                string_data=secret["stringData"], opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"secret_name": args.secret_name, "namespaces": list(args.namespaces)})


@dataclass(frozen=True)
class NodeRegistryTrustArgs:
    spec: m.NodeTrustSpec
    registry_address: pulumi.Input[str]
    push_address: Optional[pulumi.Input[str]]
    ca_cert_pem: pulumi.Input[str]
    mirrors: tuple[str, ...] = ()                 # mirrorOnNodes: upstreams whose hosts.toml names the registry


class NodeRegistryTrust(pulumi.ComponentResource):
    daemon_set: k8s.apps.v1.DaemonSet

    def __init__(self, name: str, args: NodeRegistryTrustArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("nexus-registry:index:NodeRegistryTrust", name, None, opts)
        spec = args.spec
        script = pulumi.Output.all(_addresses(args.registry_address, args.push_address), args.ca_cert_pem) \
            .apply(lambda v: node_trust_script(v[0], v[1], args.mirrors))
        cm = m.config_map(spec, script)
        config = k8s.core.v1.ConfigMap(f"{name}-config", metadata=cm["metadata"], data=cm["data"],
                                       opts=pulumi.ResourceOptions(parent=self))
        # The script holds the CA, the addresses and the mirrors: a change rolls the pods (one node at a time).
        policy = m.network_policy(spec)
        if policy:
            k8s.networking.v1.NetworkPolicy(f"{name}-network-policy", metadata=policy["metadata"],
                                            spec=policy["spec"], opts=pulumi.ResourceOptions(parent=self))
        ds = m.daemon_set(spec, script.apply(checksum))
        self.daemon_set = k8s.apps.v1.DaemonSet(f"{name}-daemonset", metadata=ds["metadata"], spec=ds["spec"],
                                                opts=pulumi.ResourceOptions(parent=self, depends_on=[config]))
        self.register_outputs({"daemon_set": spec.name})
