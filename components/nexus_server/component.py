"""NexusServer: one Nexus Repository 3 pod with its data volume, admin Secret and ClusterIP Service."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from components.k8s_meta import PART_OF
from components.nexus_server import manifests as m

NEXUS_TIMEOUTS = pulumi.CustomTimeouts(create="20m", update="20m")


@dataclass(frozen=True)
class NexusServerArgs:
    spec: m.NexusSpec
    admin_password: pulumi.Input[str]      # secret Output
    create_namespace: bool = True
    retain_data: bool = True
    # An external PostgreSQL (spec.external_database): its JDBC URL, user and password (a secret Output).
    database_url: Optional[str] = None
    database_user: Optional[str] = None
    database_password: Optional[pulumi.Input[str]] = None


class NexusServer(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    service_host: pulumi.Output[str]
    web_port: int
    hosted_port: int
    group_port: int
    pod_labels: dict[str, str]

    def __init__(self, name: str, args: NexusServerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("nexus-registry:index:NexusServer", name, None, opts)
        spec = args.spec
        # Deleting a namespace deletes the PVC in it, so both are kept unless the stack opts out.
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_data)
        depends: list[pulumi.Resource] = []
        if args.create_namespace:
            ns = k8s.core.v1.Namespace(f"{name}-namespace",
                                       metadata={"name": spec.namespace,
                                                 "labels": {"app.kubernetes.io/part-of": PART_OF}},
                                       opts=keep)
            depends.append(ns)
        child = pulumi.ResourceOptions(parent=self, depends_on=depends)

        secret = m.admin_secret(spec, pulumi.Output.secret(args.admin_password))
        admin = k8s.core.v1.Secret(f"{name}-admin", metadata=secret["metadata"], type=secret["type"],
                                   string_data=secret["stringData"], opts=child)
        secrets: list[pulumi.Resource] = [admin]
        if spec.external_database:
            db = m.database_secret(spec, args.database_url, args.database_user,
                                   pulumi.Output.secret(args.database_password))
            secrets.append(k8s.core.v1.Secret(f"{name}-database", metadata=db["metadata"], type=db["type"],
                                              string_data=db["stringData"], opts=child))
        volume: list[pulumi.Resource] = []
        if not spec.host_path:
            claim = m.data_claim(spec)
            volume.append(k8s.core.v1.PersistentVolumeClaim(
                f"{name}-data", metadata=claim["metadata"], spec=claim["spec"],
                opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(depends_on=depends))))

        deploy = m.deployment(spec)
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment", metadata=deploy["metadata"], spec=deploy["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*secrets, *volume, *depends],
                                        custom_timeouts=NEXUS_TIMEOUTS))
        policy = m.network_policy(spec)
        if policy:
            k8s.networking.v1.NetworkPolicy(f"{name}-network-policy", metadata=policy["metadata"],
                                            spec=policy["spec"], opts=child)
        svc = m.service(spec)
        # The Service awaits ready endpoints, so whatever depends on it runs once Nexus is writable.
        self.service = k8s.core.v1.Service(
            f"{name}-service", metadata=svc["metadata"], spec=svc["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[deployment, *depends],
                                        custom_timeouts=NEXUS_TIMEOUTS))

        self.namespace = self.service.metadata.apply(lambda md: md.namespace)
        self.service_host = self.service.metadata.apply(lambda md: f"{md.name}.{md.namespace}.svc")
        self.web_port = m.WEB_PORT
        self.hosted_port = spec.hosted_port
        self.group_port = spec.group_port
        self.pod_labels = spec.labels   # for the gateway's egress rule
        self.claim_name = spec.claim_name   # the data PVC (its kubelet volume stats: monitoring)
        self.register_outputs({
            "namespace": self.namespace,
            "service_host": self.service_host,
            "web_port": self.web_port,
            "hosted_port": self.hosted_port,
            "group_port": self.group_port,
        })
