"""NginxGateway: one TLS address for docker clients (push → hosted, pull → group) and a plain-HTTP
port for the Nexus UI, as an nginx Deployment with its ConfigMap, TLS Secret and Service."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pulumi
import pulumi_kubernetes as k8s

from components.gateway import manifests as gm
from components.gateway.nginx_conf import render_nginx_conf
from components.k8s_meta import checksum
from components.mirrors import Mirror

__all__ = ["NginxGateway", "NginxGatewayArgs", "render_nginx_conf"]


@dataclass(frozen=True)
class NginxGatewayArgs:
    spec: gm.GatewaySpec
    nexus_host: pulumi.Input[str]      # the NexusServer service host
    nexus_labels: Mapping[str, str]    # the Nexus pods (the only peers the gateway may connect to)
    web_port: int                      # Nexus' 8081
    hosted_port: int
    group_port: int
    cert_pem: pulumi.Input[str]
    private_key_pem: pulumi.Input[str]  # secret
    registry_host: str                 # the address clients dial (first public IP or DNS name)
    tls_profile: str = "intermediate"  # components/gateway/tls_policy.py
    cert_key_type: str = "ECDSA"       # the certificate's key: ECDSA (generated) or RSA (a provided one)
    search_target: str = "hosted"      # who answers `docker search`
    mirrors: tuple[Mirror, ...] = ()   # upstreams routed by containerd's ns (components/mirrors.py)


class NginxGateway(pulumi.ComponentResource):
    registry_address: pulumi.Output[str]
    web_url: pulumi.Output[str]
    push_address: pulumi.Output[str] | None

    def __init__(self, name: str, args: NginxGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:NginxGateway", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        ports = gm.CONTAINER_PORTS

        nginx_conf = pulumi.Output.from_input(args.nexus_host).apply(lambda host: render_nginx_conf(
            hosted_upstream=f"{host}:{args.hosted_port}",
            group_upstream=f"{host}:{args.group_port}",
            web_upstream=f"{host}:{args.web_port}",
            registry_port=ports["registry"], web_port=ports["web"],
            push_port=ports["push"] if spec.push_port else None,
            tls_profile=args.tls_profile, cert_key_type=args.cert_key_type, search_target=args.search_target,
            cert_path=f"{gm.TLS_DIR}/tls.crt", key_path=f"{gm.TLS_DIR}/tls.key", temp_dir=gm.TMP_DIR,
            worker_shutdown_timeout=gm.worker_shutdown_timeout(spec.drain_seconds), mirrors=args.mirrors,
            metrics_log_address=spec.metrics_log_address))

        cm = gm.config_map(spec, nginx_conf)
        config = k8s.core.v1.ConfigMap(f"{name}-config", metadata=cm["metadata"], data=cm["data"], opts=child)
        tls = gm.tls_secret(spec, args.cert_pem, pulumi.Output.secret(args.private_key_pem))
        # after the ConfigMap, which waits for Nexus' Service: the namespace exists by then
        after_config = pulumi.ResourceOptions(parent=self, depends_on=[config])
        secret = k8s.core.v1.Secret(f"{name}-tls", metadata=tls["metadata"], type=tls["type"],
                                    string_data=tls["stringData"], opts=after_config)
        # The certificate is public: hashing it with the config rolls the pods when either changes.
        # The exporter's program rides in the same ConfigMap: hashing all of it rolls the pods on any change.
        extra = [v for k, v in cm["data"].items() if k != "nginx.conf"]
        digest = pulumi.Output.all(nginx_conf, args.cert_pem, *extra).apply(lambda parts: checksum(*parts))
        deploy = gm.deployment(spec, digest)
        deployment = k8s.apps.v1.Deployment(f"{name}-deployment", metadata=deploy["metadata"],
                                            spec=deploy["spec"],
                                            opts=pulumi.ResourceOptions(parent=self, depends_on=[config, secret]))
        pdb = gm.disruption_budget(spec)
        if pdb:
            k8s.policy.v1.PodDisruptionBudget(f"{name}-pdb", metadata=pdb["metadata"], spec=pdb["spec"],
                                              opts=after_config)
        policy = gm.network_policy(spec, args.nexus_labels, (args.web_port, args.hosted_port, args.group_port))
        if policy:
            k8s.networking.v1.NetworkPolicy(f"{name}-network-policy", metadata=policy["metadata"],
                                            spec=policy["spec"], opts=after_config)
        svc = gm.service(spec)
        self.service = k8s.core.v1.Service(f"{name}-service", metadata=svc["metadata"], spec=svc["spec"],
                                           opts=pulumi.ResourceOptions(parent=self, depends_on=[deployment]))

        metrics = gm.metrics_service(spec)
        if metrics:
            k8s.core.v1.Service(f"{name}-metrics-service", metadata=metrics["metadata"], spec=metrics["spec"],
                                opts=pulumi.ResourceOptions(parent=self, depends_on=[deployment]))

        self.registry_address = self.service.id.apply(lambda _: f"{args.registry_host}:{spec.registry_port}")
        self.web_url = self.service.id.apply(lambda _: f"http://{args.registry_host}:{spec.web_port}")
        self.push_address = (self.service.id.apply(lambda _: f"{args.registry_host}:{spec.push_port}")
                             if spec.push_port else None)
        self.register_outputs({"registry_address": self.registry_address, "web_url": self.web_url,
                               "push_address": self.push_address})
