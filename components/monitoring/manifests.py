"""Kubernetes objects of the `monitoring` stack key, as plain camelCase dicts (values may be Pulumi Outputs).

- the scrape credentials of the `metrics` Nexus user: a Secret (basic auth), never a literal in an object;
- with the Prometheus Operator (`prometheusOperator`): ServiceMonitors for Nexus (through the metrics user) and
  for the gateway's exporter, and a PrometheusRule holding rules.py's groups;
- without it: the same rule file as YAML in a ConfigMap (docs/monitoring.md shows how to load it);
- always: the Grafana dashboard in a ConfigMap with the Grafana sidecar's `grafana_dashboard` label.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping

import yaml

from components.k8s_meta import app_labels, metadata

NEXUS_METRICS_PATH = "/service/metrics/prometheus"
RULES_FILE = "nexus-registry.rules.yaml"
DASHBOARD_FILE = "nexus-registry.json"
# The label kube-prometheus-stack's Grafana sidecar watches for (its default `sidecar.dashboards.label`).
DASHBOARD_LABEL = {"grafana_dashboard": "1"}
SCRAPE_INTERVAL = "60s"          # Nexus' gauges change slowly; the gateway's counters are rates over 5m


@dataclass(frozen=True)
class MonitoringSpec:
    name: str
    namespace: str
    operator: bool                                    # prometheusOperator: CRD objects instead of the ConfigMap
    extra_labels: Mapping[str, str] = field(default_factory=dict)   # monitoringLabels (e.g. release=...)

    @property
    def labels(self) -> dict[str, str]:
        return {**app_labels("monitoring", self.name), **self.extra_labels}

    @property
    def secret_name(self) -> str:
        return f"{self.name}-scrape-auth"


def scrape_secret(spec: MonitoringSpec, username, password) -> dict:
    """Basic-auth credentials of the metrics user; `password` is a secret Output."""
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata(spec, spec.secret_name),
            "type": "kubernetes.io/basic-auth", "stringData": {"username": username, "password": password}}


def _service_monitor(spec: MonitoringSpec, name: str, selector: Mapping[str, str], endpoint: dict) -> dict:
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": metadata(spec, name),
            "spec": {"selector": {"matchLabels": dict(selector)},
                     "namespaceSelector": {"matchNames": [spec.namespace]},
                     "endpoints": [{"interval": SCRAPE_INTERVAL, **endpoint}]}}


def nexus_service_monitor(spec: MonitoringSpec, nexus_labels: Mapping[str, str], port: str) -> dict:
    auth = {key: {"name": spec.secret_name, "key": key} for key in ("username", "password")}
    return _service_monitor(spec, f"{spec.name}-nexus", nexus_labels,
                            {"port": port, "path": NEXUS_METRICS_PATH, "scheme": "http", "basicAuth": auth})


def gateway_service_monitor(spec: MonitoringSpec, gateway_labels: Mapping[str, str], port: str) -> dict:
    return _service_monitor(spec, f"{spec.name}-gateway", gateway_labels, {"port": port, "path": "/metrics"})


def prometheus_rule(spec: MonitoringSpec, groups: dict) -> dict:
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": metadata(spec, f"{spec.name}-rules"), "spec": groups}


def rules_text(groups: dict) -> str:
    return yaml.safe_dump(groups, sort_keys=False, width=1000)


def rules_config_map(spec: MonitoringSpec, text) -> dict:
    """The rule file for a Prometheus without the Operator (`rule_files:`), `text` = rules_text(...)."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(spec, f"{spec.name}-rules"),
            "data": {RULES_FILE: text}}


def dashboard_config_map(spec: MonitoringSpec, board: dict) -> dict:
    md = metadata(spec, f"{spec.name}-dashboard")
    md["labels"] = {**md["labels"], **DASHBOARD_LABEL}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md,
            "data": {DASHBOARD_FILE: json.dumps(board, indent=1, sort_keys=True)}}
