"""The alert rules of the `monitoring` stack key, as a Prometheus rule file (`{"groups": [...]}`): the same
document goes into a PrometheusRule's spec (Prometheus Operator) or, as YAML, into a plain ConfigMap.

Pure data in, pure data out; tests run Prometheus' own `promtool check rules` and `promtool test rules` on it.

Where each series comes from:
- `nexus_analytics_component_total_count`: Nexus' /service/metrics/prometheus (Nexus' Dropwizard registry
  through client_java's DropwizardExports: `nexus.analytics.component_total_count` with dots as underscores;
  the gauge itself is in the closed analytics part, its name from ../shared/docs/migration-and-mirrors.md §4).
- `gateway_requests_total`: the gateway's mtail exporter (components/gateway/metrics_log.py), measured in tests.
- `kubelet_volume_stats_used_bytes` / `_available_bytes`: the kubelet's volume stats of the Nexus data claim
  (scraped by every Prometheus Operator stack's kubelet job). Nexus exports no blob store size.
- the certificate: no series. The program itself knows the server certificate's not-after (pulumi_tls'
  `validity_end_time`) and writes it into the rule as a constant: the certificate only changes on a
  `pulumi up`, which re-renders the rule in the same run, so the constant is never stale.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

GROUP = "nexus-registry"
COMPONENT_WARN_SHARE = 0.8
ERROR_RATIO = 0.05        # 5xx share of the gateway's requests on one route
ERROR_MIN_RATE = 0.1      # requests/s on that route, so one failed request in a quiet hour is not an alert
COMPONENTS = "max(nexus_analytics_component_total_count)"
# Requests to Nexus in the last 24 hours, as the gateway counts them: every request it passes on to the docker
# connectors and mirrors, failed ones too (they may count, nexus-public #736). An estimate: Nexus' own
# `content_request_count` is not in its Prometheus output (#692), and what it counts is not documented.
REQUESTS_24H = 'sum(increase(gateway_requests_total{route!="nexus_web"}[24h]))'


@dataclass(frozen=True)
class VolumeQuota:
    """The blob store soft quota as the data volume can show it: `type` spaceUsedQuota or spaceRemainingQuota
    (Nexus' names), `limit` bytes, on the claim `claim` in `namespace`."""
    type: str
    limit: int
    namespace: str
    claim: str


@dataclass(frozen=True)
class AlertSettings:
    component_limit: int                        # componentLimit: the edition's component limit
    request_limit: int = 100000                 # requestLimit: requests in a rolling 24 hours
    quota: Optional[VolumeQuota] = None         # None: no soft quota, or no volume to measure (hostPath)
    cert_not_after: Optional[float] = None      # the server certificate's not-after, Unix seconds
    cert_early_renewal_hours: int = 720         # certEarlyRenewalHours


def _alert(name: str, expr: str, for_: str, severity: str, summary: str, description: str) -> dict:
    rule = {"alert": name, "expr": expr}
    if for_:
        rule["for"] = for_
    rule.update(labels={"severity": severity}, annotations={"summary": summary, "description": description})
    return rule


def _volume(metric: str, quota: VolumeQuota) -> str:
    return f'{metric}{{namespace="{quota.namespace}",persistentvolumeclaim="{quota.claim}"}}'


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def component_rules(limit: int) -> list[dict]:
    warn = int(limit * COMPONENT_WARN_SHARE)
    return [
        _alert("NexusComponentsNearLimit", f"{COMPONENTS} > {warn}", "30m", "warning",
               f"Nexus holds {{{{ $value }}}} components, above {COMPONENT_WARN_SHARE:.0%} of the limit {limit}",
               f"Past {limit} components Community Edition stops adding components after a grace period and its "
               "proxies serve only what is cached: new images fail to pull. Run the cleanup tasks "
               "(proxyCleanupDays, hostedCleanupDays), delete unused images, or plan for Pro."),
        _alert("NexusComponentsAtLimit", f"{COMPONENTS} >= {limit}", "5m", "critical",
               f"Nexus holds {{{{ $value }}}} components: at or past the limit {limit}",
               "The grace period has started or is over: new components are refused and uncached images fail. "
               "Free components now (cleanup tasks, deletions) or move to Pro."),
        _alert("NexusMetricsAbsent", "absent(nexus_analytics_component_total_count)", "30m", "warning",
               "Nexus' component count is not being scraped",
               "Without it the limit alerts cannot fire. Check the scrape of /service/metrics/prometheus: the "
               "metrics user's Secret, the ServiceMonitor or scrape job, and that Nexus is up."),
    ]


def request_rules(limit: int) -> list[dict]:
    warn = int(limit * COMPONENT_WARN_SHARE)
    return [_alert("NexusRequestsNearLimit", f"{REQUESTS_24H} > {warn}", "15m", "warning",
                   f"About {{{{ $value }}}} requests reached Nexus in 24 hours, above {COMPONENT_WARN_SHARE:.0%} of "
                   f"the limit {limit}",
                   "An estimate from the gateway's counts. Past the request limit Community Edition behaves as "
                   "past the component limit. Find the heavy clients (the dashboard's routes), cache images on "
                   "the nodes (imagePullPolicy IfNotPresent), or plan for Pro.")]


def gateway_rules() -> list[dict]:
    total = "sum by (route) (rate(gateway_requests_total[5m]))"
    errors = 'sum by (route) (rate(gateway_requests_total{status=~"5.."}[5m]))'
    expr = f"({errors} / {total} > {ERROR_RATIO}) and ({total} > {ERROR_MIN_RATE})"
    return [_alert("RegistryGateway5xx", expr, "10m", "critical",
                   f"More than {ERROR_RATIO:.0%} of the gateway's requests on route {{{{ $labels.route }}}} fail "
                   "with 5xx",
                   "5xx come from Nexus or from nginx when Nexus does not answer (502/504). Check the Nexus pod "
                   "(restarts, memory, disk full), its log, and for a mirror route the upstream registry.")]


def quota_rules(quota: Optional[VolumeQuota]) -> list[dict]:
    if quota is None:
        return []
    if quota.type == "spaceUsedQuota":
        expr = f"max({_volume('kubelet_volume_stats_used_bytes', quota)}) > {quota.limit}"
        summary = f"The Nexus data volume holds more than the blob store soft quota ({_gib(quota.limit)})"
    else:
        expr = f"min({_volume('kubelet_volume_stats_available_bytes', quota)}) < {quota.limit}"
        summary = f"The Nexus data volume has less free space than the blob store soft quota ({_gib(quota.limit)})"
    return [_alert("NexusBlobStoreAboveSoftQuota", expr, "15m", "warning", summary,
                   "Nexus only warns past a soft quota; a full volume stops every push and proxy fill. Run the "
                   "cleanup and compact tasks, lower proxyCleanupDays, or grow the volume (storageSize).")]


def certificate_rules(not_after: Optional[float], early_renewal_hours: int) -> list[dict]:
    if not_after is None:
        return []
    renew_at = int(not_after) - 3600 * early_renewal_hours
    return [
        _alert("RegistryCertificateRenewalDue", f"vector(time()) > {renew_at}", "", "warning",
               f"The registry's server certificate is within certEarlyRenewalHours ({early_renewal_hours} h) "
               "of expiry",
               f"It expires at Unix time {int(not_after)}. Run `pulumi up`: it issues a new certificate from the "
               "same CA (docker hosts and nodes keep trusting it) and rolls the gateway."),
        _alert("RegistryCertificateExpired", f"vector(time()) > {int(not_after)}", "", "critical",
               "The registry's server certificate has expired",
               "Every docker client now refuses the registry. Run `pulumi up` to issue a new one."),
    ]


def rule_groups(settings: AlertSettings) -> dict:
    """The rule file: one group of alerts."""
    rules = [*component_rules(settings.component_limit), *request_rules(settings.request_limit),
             *gateway_rules(), *quota_rules(settings.quota),
             *certificate_rules(settings.cert_not_after, settings.cert_early_renewal_hours)]
    return {"groups": [{"name": GROUP, "rules": rules}]}


def epoch_seconds(rfc3339: str) -> int:
    """pulumi_tls' `validity_end_time` (RFC 3339, nanoseconds, `Z` or an offset) as Unix seconds."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$", rfc3339 or "")
    if not m:
        raise ValueError(f"not an RFC 3339 time: {rfc3339!r}")
    zone = "+00:00" if m.group(2) == "Z" else m.group(2)
    return int(datetime.fromisoformat(m.group(1) + zone).timestamp())
