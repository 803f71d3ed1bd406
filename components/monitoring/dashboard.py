"""The Grafana dashboard of the `monitoring` stack key, as Grafana's dashboard JSON model (a plain dict).

Every query uses only series that exist: the gateway exporter's (components/gateway/metrics_log.py, measured
in tests), Nexus' /service/metrics/prometheus, and the kubelet's volume stats (see rules.py). Tests put every
query into a rule file that `promtool check rules` parses. No Grafana-only macros ($__rate_interval) in the
queries, so they stay plain PromQL.

The cache hit ratio is an estimate (inferred, not read anywhere): Nexus exports no hit/miss counter. A miss
makes the proxy store a new blob; Nexus' blob stores time every blob they create (BlobStoreSupport.updateTimer
"create", exported as `org_sonatype_nexus_blobstore_<kind>_<Class>_create_timer_count`, read in nexus-public).
Pushes create blobs too, so: 1 - (created blobs - pushed blobs and manifests) / pulled blobs and manifests.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from components.monitoring.rules import COMPONENT_WARN_SHARE, COMPONENTS, REQUESTS_24H, VolumeQuota

UID = "nexus-registry"
TITLE = "nexus-registry"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
RATE = "[5m]"
PULL_ROUTES = 'route!~"registry_hosted|nexus_web"'   # the group and every mirror route
BLOB_CREATES = '{__name__=~"org_sonatype_nexus_blobstore_.+_create_timer_count"}'


@dataclass(frozen=True)
class DashboardSettings:
    component_limit: int
    namespace: str
    request_limit: int = 100000
    data_claim: Optional[str] = None          # the Nexus data PVC; None with hostPath (no volume stats)
    quota: Optional[VolumeQuota] = None


def _requests(selector: str) -> str:
    return f"rate(gateway_requests_total{{{selector}}}{RATE})"


def _cache_hit_ratio() -> str:
    pushed = _requests('method="PUT",object=~"upload|manifest",status="201"')
    pulled = _requests(f'{PULL_ROUTES},method="GET",object=~"blob|manifest",status="200"')
    created = f"rate({BLOB_CREATES}{RATE})"
    return (f"1 - clamp_min(sum({created}) - sum({pushed}), 0) / clamp_min(sum({pulled}), 1e-9)")


def panels(settings: DashboardSettings) -> list[tuple[str, str, list[tuple[str, str]], str]]:
    """(title, unit, [(query, legend)], description) per panel, in order."""
    limit = settings.component_limit
    volume = []
    if settings.data_claim:
        claim = f'namespace="{settings.namespace}",persistentvolumeclaim="{settings.data_claim}"'
        volume = [(f"max(kubelet_volume_stats_used_bytes{{{claim}}})", "used"),
                  (f"max(kubelet_volume_stats_capacity_bytes{{{claim}}})", "capacity")]
        if settings.quota and settings.quota.type == "spaceUsedQuota":
            volume.append((f"vector({settings.quota.limit})", "soft quota"))
    pulls = _requests('method=~"GET|HEAD",object="manifest",status=~"2.."')
    pushes = _requests('method="PUT",object="manifest",status="201"')
    errors = _requests('status=~"5.."')
    by_class = f'label_replace({_requests("")}, "class", "${{1}}xx", "status", "([0-9]).*")'
    return [
        ("Image pulls per second by route", "reqps", [(f"sum by (route) ({pulls})", "{{route}}")],
         "Manifest GETs and HEADs answered 2xx: one or two per image pulled (containerd HEADs, then GETs)."),
        ("Image pushes per second by route", "reqps",
         [(f"sum by (route) ({pushes})", "{{route}}")],
         "Manifest PUTs answered 201: one per image pushed."),
        ("Proxy cache hit ratio (estimate)", "percentunit",
         [(_cache_hit_ratio(), "hit ratio")],
         "Estimated: Nexus has no hit/miss counter. 1 - (blobs Nexus created - blobs and manifests pushed) / "
         "blobs and manifests pulled through the group and mirror routes."),
        ("Gateway 5xx per second by route", "reqps",
         [(f"sum by (route) ({errors})", "{{route}}")],
         "Answers 500-599: from Nexus, or from nginx when Nexus does not answer (502/504)."),
        ("Gateway requests by route and status class", "reqps",
         [(f"sum by (route, class) ({by_class})", "{{route}} {{class}}")],
         "Every proxied request, 2xx to 5xx."),
        ("Components against the edition's limit", "short",
         [(COMPONENTS, "components"), (f"vector({limit})", "limit"),
          (f"vector({int(limit * COMPONENT_WARN_SHARE)})", "alert (80%)")],
         "Nexus' component count (nexus_analytics_component_total_count) and componentLimit."),
        ("Requests to Nexus in 24 hours against the edition's limit (estimate)", "short",
         [(REQUESTS_24H, "requests (gateway)"), (f"vector({settings.request_limit})", "limit"),
          (f"vector({int(settings.request_limit * COMPONENT_WARN_SHARE)})", "alert (80%)")],
         "Every request the gateway passed to Nexus' docker connectors and mirrors in the last 24 hours, failed "
         "ones too. An estimate of Nexus' own count, which its Prometheus output does not carry; requestLimit."),
        ("Nexus data volume (blob stores) bytes", "bytes", volume,
         "The kubelet's stats of the Nexus data claim: the blob stores and Nexus' database. "
         + ("" if volume else "This stack keeps Nexus' data in a host directory (hostPath): no volume stats.")),
    ]


def dashboard(settings: DashboardSettings) -> dict:
    out = []
    for n, (title, unit, queries, description) in enumerate(panels(settings)):
        out.append({
            "id": n + 1, "type": "timeseries", "title": title, "description": description,
            "datasource": DATASOURCE,
            "gridPos": {"h": 8, "w": 12, "x": 12 * (n % 2), "y": 8 * (n // 2)},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": [{"datasource": DATASOURCE, "expr": q, "legendFormat": legend, "refId": chr(ord("A") + i)}
                        for i, (q, legend) in enumerate(queries)],
        })
    return {
        "uid": UID, "title": TITLE, "tags": ["nexus-registry"], "timezone": "browser", "schemaVersion": 39,
        "editable": True, "time": {"from": "now-24h", "to": "now"}, "refresh": "1m",
        "templating": {"list": [{"name": "datasource", "label": "Prometheus", "type": "datasource",
                                 "query": "prometheus"}]},
        "panels": out,
    }


def queries(board: dict) -> list[str]:
    """Every PromQL query of a dashboard, in panel order."""
    return [t["expr"] for p in board["panels"] for t in p["targets"]]
