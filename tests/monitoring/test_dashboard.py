"""The Grafana dashboard: every query parses as PromQL (promtool checks each as a recording rule) and uses only
series that exist (the exporter's measured names, Nexus', the kubelet's)."""
from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml

from components.gateway import metrics_log
from components.monitoring.dashboard import DashboardSettings, dashboard, queries
from components.monitoring.rules import VolumeQuota
from tests.support.procs import require_binary

QUOTA = VolumeQuota("spaceUsedQuota", 80 * 2**30, "nexus", "nexus-data")
FULL = DashboardSettings(component_limit=40000, namespace="nexus", data_claim="nexus-data", quota=QUOTA)
HOST_PATH = DashboardSettings(component_limit=40000, namespace="nexus")
# Series the queries may read: the exporter's (measured in test_gateway_metrics_real), Nexus' component gauge,
# Nexus' blob store create timers (a regex over their class names), the kubelet's volume stats.
KNOWN = {*metrics_log.METRICS, "nexus_analytics_component_total_count", "kubelet_volume_stats_used_bytes",
         "kubelet_volume_stats_capacity_bytes"}
FUNCTIONS = {"sum", "by", "rate", "increase", "max", "vector", "clamp_min", "label_replace", "and"}


@pytest.mark.monitoring
@pytest.mark.parametrize("settings", [FULL, HOST_PATH], ids=["volume", "host-path"])
def test_every_query_parses_under_promtool(tmp_path, settings):
    exprs = queries(dashboard(settings))
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"dashboard:query_{n}", "expr": e}
                                                         for n, e in enumerate(exprs)]}]}
    (tmp_path / "dashboard.rules.yaml").write_text(yaml.safe_dump(rules))
    result = subprocess.run([require_binary("promtool"), "check", "rules", "dashboard.rules.yaml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(exprs)} rules found" in result.stdout


def test_queries_read_only_series_that_exist():
    for expr in queries(dashboard(FULL)):
        stripped = re.sub(r'\{[^}]*\}|"[^"]*"|\[[^\]]*\]', "", expr)
        names = set(re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", stripped)) - FUNCTIONS - {"route", "class", "e"}
        assert names <= KNOWN, (expr, names - KNOWN)


def test_the_panels_the_issue_asks_for():
    board = dashboard(FULL)
    titles = [p["title"] for p in board["panels"]]
    for wanted in ("pulls", "pushes", "cache hit ratio", "5xx", "Components", "bytes", "Requests to Nexus in 24"):
        assert any(wanted.lower() in t.lower() for t in titles), wanted
    assert json.loads(json.dumps(board)) == board
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])
    volume = next(p for p in board["panels"] if "bytes" in p["title"])
    assert [t["legendFormat"] for t in volume["targets"]] == ["used", "capacity", "soft quota"]
    assert next(p for p in dashboard(HOST_PATH)["panels"] if "bytes" in p["title"])["targets"] == []
