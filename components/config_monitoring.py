"""The stack keys of issue 18's "usage you can see" (`monitoring`, `prometheusOperator`, `componentLimit`,
`requestLimit`, `gatewayExporterImage`, `monitoringLabels`): their typed settings and rules, read through parse_settings' reader
so every problem is reported with the others. Pure: raw values in, a frozen dataclass (or None) out."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from components.config_values import check_positive, parse_image

# A Kubernetes label: optional DNS-subdomain prefix, a name of up to 63 characters; the value likewise.
_LABEL_NAME = r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)"
LABEL_KEY_RE = re.compile(rf"^([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_LABEL_NAME}$")
LABEL_VALUE_RE = re.compile(rf"^{_LABEL_NAME}?$")
RESERVED_PREFIX = "app.kubernetes.io/"


@dataclass(frozen=True)
class Monitoring:
    operator: bool                         # prometheusOperator: ServiceMonitors + PrometheusRule
    component_limit: int                   # componentLimit
    request_limit: int                     # requestLimit (requests in a rolling 24 hours)
    exporter_image: str                    # gatewayExporterImage (the mtail sidecar)
    labels: tuple[tuple[str, str], ...] = ()   # monitoringLabels, e.g. (("release", "kube-prometheus-stack"),)


def parse_label(item: str) -> tuple[str, str]:
    """'key=value' -> (key, value), both valid Kubernetes label parts; the stack's own labels stay its own."""
    key, sep, value = item.partition("=") if isinstance(item, str) else ("", "", "")
    if not sep or not LABEL_KEY_RE.match(key) or not LABEL_VALUE_RE.match(value):
        raise ValueError("must be key=value with a Kubernetes label key and value, "
                         "e.g. release=kube-prometheus-stack")
    if key.startswith(RESERVED_PREFIX):
        raise ValueError(f"{RESERVED_PREFIX}* labels are the stack's own")
    return key, value


def read_monitoring(r: Any) -> dict:
    """{"monitoring": Monitoring | None}; the other keys are checked even when monitoring is off."""
    operator = r.value("prometheusOperator")
    limit = r.value("componentLimit", check_positive)
    requests = r.value("requestLimit", check_positive)
    image = r.value("gatewayExporterImage", parse_image)
    labels = r.each("monitoringLabels", r.value("monitoringLabels"), parse_label)
    keys = [k for k, _ in labels]
    for duplicate in sorted({k for k in keys if keys.count(k) > 1}):
        r.fail("monitoringLabels", duplicate, "is listed twice")
    enabled = r.value("monitoring")
    if operator and not enabled:
        r.fail("prometheusOperator", operator,
               "needs monitoring: true (it chooses how monitoring's objects are made)")
    if not enabled:
        return {"monitoring": None}
    return {"monitoring": Monitoring(operator=bool(operator), component_limit=limit, request_limit=requests,
                                     exporter_image=image,
                                     labels=labels)}


