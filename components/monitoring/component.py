"""Monitoring: the `metrics` Nexus user (a role holding only nx-metrics-all, a generated password) and the
Secret a scraper reads it from; ServiceMonitors and a PrometheusRule where the Prometheus Operator runs, else
the rules in a ConfigMap; the Grafana dashboard ConfigMap. The rules, dashboard and objects are built by the
pure modules next to this one; this component only wires them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.monitoring import manifests as mm
from components.monitoring.dashboard import DashboardSettings, dashboard
from components.monitoring.rules import AlertSettings, VolumeQuota, epoch_seconds, rule_groups
from components.nexus_config.accounts import LocalUser, Role

METRICS_USER = "metrics"
METRICS_ROLE = "nexus-registry-metrics"
METRICS_PRIVILEGES = ("nx-metrics-all",)   # MetricsSecurityContributor in nexus-public: the metrics endpoints


@dataclass(frozen=True)
class MonitoringArgs:
    spec: mm.MonitoringSpec
    nexus_url: pulumi.Input[str]
    nexus_labels: Mapping[str, str]             # the Nexus Service's labels, and its web port's name
    nexus_port: str
    gateway_labels: Mapping[str, str]           # the gateway's metrics Service, and its port's name
    gateway_port: str
    component_limit: int
    request_limit: int
    cert_not_after: pulumi.Input[str]           # RFC 3339 (pulumi_tls validity_end_time)
    cert_early_renewal_hours: int
    data_claim: Optional[str] = None            # the Nexus data PVC; None with hostPath
    quota: Optional[tuple[str, int]] = None     # the blob store soft quota: (Nexus type, limit bytes)
    rotation: str = "1"                         # credentialsRotation: a new value, a new password
    depends_on: Sequence[pulumi.Resource] = ()  # Nexus must be configured (and reachable) first


class Monitoring(pulumi.ComponentResource):
    user: pulumi.Output[str]                    # the metrics user's id (its password: the Secret only)

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:Monitoring", name, None, opts)
        spec = args.spec
        self._after = list(args.depends_on)
        managed_by = f"managed by Pulumi stack {pulumi.get_project()}/{pulumi.get_stack()}"
        # Nexus' objects need Nexus configured; the Kubernetes ones the namespace (Nexus' Service waits for it)
        after_nexus = pulumi.ResourceOptions(parent=self, depends_on=self._after)
        role = Role(f"{name}-role", nexus_url=args.nexus_url, name=METRICS_ROLE,
                    description=f"read Nexus' metrics endpoints ({managed_by})",
                    privileges=list(METRICS_PRIVILEGES), opts=after_nexus)
        user = LocalUser(f"{name}-user", nexus_url=args.nexus_url, name=METRICS_USER, roles=[role.name],
                         last_name=managed_by, rotation=args.rotation, opts=after_nexus)
        self.user = user.name
        secret = mm.scrape_secret(spec, user.name, pulumi.Output.secret(user.password))
        k8s.core.v1.Secret(f"{name}-scrape-auth", metadata=secret["metadata"], type=secret["type"],
                           string_data=secret["stringData"], opts=after_nexus)

        quota = VolumeQuota(args.quota[0], args.quota[1], spec.namespace, args.data_claim) \
            if args.quota and args.data_claim else None
        groups = pulumi.Output.from_input(args.cert_not_after).apply(lambda end: rule_groups(AlertSettings(
            component_limit=args.component_limit, request_limit=args.request_limit, quota=quota,
            cert_not_after=epoch_seconds(end) if end else None,
            cert_early_renewal_hours=args.cert_early_renewal_hours)))
        if spec.operator:
            monitors = {"nexus": mm.nexus_service_monitor(spec, args.nexus_labels, args.nexus_port),
                        "gateway": mm.gateway_service_monitor(spec, args.gateway_labels, args.gateway_port)}
            for target, monitor in monitors.items():
                self._custom(monitor, f"{name}-{target}-monitor")
            self._custom(mm.prometheus_rule(spec, groups), f"{name}-rules")
        else:
            rules = mm.rules_config_map(spec, groups.apply(mm.rules_text))
            k8s.core.v1.ConfigMap(f"{name}-rules", metadata=rules["metadata"], data=rules["data"],
                                  opts=after_nexus)
        board = mm.dashboard_config_map(spec, dashboard(DashboardSettings(
            component_limit=args.component_limit, request_limit=args.request_limit, namespace=spec.namespace, data_claim=args.data_claim,
            quota=quota)))
        k8s.core.v1.ConfigMap(f"{name}-dashboard", metadata=board["metadata"], data=board["data"],
                              opts=after_nexus)
        self.register_outputs({"user": self.user})

    def _custom(self, obj: dict, resource_name: str) -> None:
        """A Prometheus Operator object (its CRD must exist in the cluster: prometheusOperator)."""
        k8s.apiextensions.CustomResource(resource_name, api_version=obj["apiVersion"], kind=obj["kind"],
                                         metadata=obj["metadata"], spec=obj["spec"],
                                         opts=pulumi.ResourceOptions(parent=self, depends_on=self._after))
