"""JSON schemas for the Prometheus Operator objects the stack makes (ServiceMonitor, PrometheusRule): Kubernetes'
own schemas (kubernetes-validate) do not know CRDs, and the operator's CRD files are not here (none is fetched or
committed). These are strict subsets written from the operator's Go types (pkg/apis/monitoring/v1:
servicemonitor_types.go, types.go `Endpoint`/`BasicAuth`/`NamespaceSelector`, prometheusrule_types.go `RuleGroup`/
`Rule`): every field the stack sets must be one of these, with the type there; unknown fields fail."""
from __future__ import annotations

_STR_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_SECRET_KEY = {"type": "object", "required": ["key"], "additionalProperties": False,
               "properties": {"name": {"type": "string"}, "key": {"type": "string"}, "optional": {"type": "boolean"}}}
_DURATION = {"type": "string", "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?"
                                          r"(([0-9]+)s)?(([0-9]+)ms)?)$"}
_ENDPOINT = {"type": "object", "additionalProperties": False, "properties": {
    "port": {"type": "string"}, "path": {"type": "string"}, "scheme": {"enum": ["http", "https"]},
    "interval": _DURATION, "scrapeTimeout": _DURATION,
    "basicAuth": {"type": "object", "additionalProperties": False,
                  "properties": {"username": _SECRET_KEY, "password": _SECRET_KEY}}}}
_LABEL_SELECTOR = {"type": "object", "additionalProperties": False, "properties": {
    "matchLabels": _STR_MAP, "matchExpressions": {"type": "array"}}}

SERVICE_MONITOR_SPEC = {
    "type": "object", "required": ["selector", "endpoints"], "additionalProperties": False, "properties": {
        "selector": _LABEL_SELECTOR,
        "namespaceSelector": {"type": "object", "additionalProperties": False, "properties": {
            "any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}},
        "endpoints": {"type": "array", "minItems": 1, "items": _ENDPOINT},
        "jobLabel": {"type": "string"}}}

PROMETHEUS_RULE_SPEC = {
    "type": "object", "additionalProperties": False, "properties": {
        "groups": {"type": "array", "items": {
            "type": "object", "required": ["name"], "additionalProperties": False, "properties": {
                "name": {"type": "string", "minLength": 1}, "interval": _DURATION,
                "rules": {"type": "array", "items": {
                    "type": "object", "required": ["expr"], "additionalProperties": False, "properties": {
                        "record": {"type": "string"}, "alert": {"type": "string"},
                        "expr": {"type": ["string", "integer"]}, "for": _DURATION,
                        "keep_firing_for": _DURATION, "labels": _STR_MAP, "annotations": _STR_MAP}}}}}}}}

SCHEMAS = {("monitoring.coreos.com/v1", "ServiceMonitor"): SERVICE_MONITOR_SPEC,
           ("monitoring.coreos.com/v1", "PrometheusRule"): PROMETHEUS_RULE_SPEC}


def is_custom(manifest: dict) -> bool:
    return (manifest.get("apiVersion"), manifest.get("kind")) in SCHEMAS
