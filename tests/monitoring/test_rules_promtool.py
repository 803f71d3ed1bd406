"""The alert rules under Prometheus' own promtool: `check rules` on the rendered file, and `test rules` with
series that cross each threshold and series that stay just below it (promtool's unit tests evaluate the
real rule engine over synthetic series)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from components.monitoring.rules import AlertSettings, VolumeQuota, rule_groups
from tests.support.procs import require_binary

pytestmark = pytest.mark.monitoring

LIMIT = 40000
DAY = 86400
QUOTA = VolumeQuota("spaceUsedQuota", 80 * 2**30, "nexus", "nexus-data")
SETTINGS = AlertSettings(component_limit=LIMIT, quota=QUOTA, cert_not_after=10 * DAY, cert_early_renewal_hours=24)


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([require_binary("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def write_rules(tmp_path: Path, settings: AlertSettings = SETTINGS) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(rule_groups(settings), sort_keys=False))
    return path


def _rule(settings: AlertSettings, name: str) -> dict:
    return next(r for r in rule_groups(settings)["groups"][0]["rules"] if r["alert"] == name)


def expected(name: str, settings: AlertSettings = SETTINGS, value: str = "", **labels: str) -> dict:
    """An alert as promtool reports it: its labels and its annotations with the templates filled in."""
    rule = _rule(settings, name)
    annotations = {k: v.replace("{{ $value }}", value).replace("{{ $labels.route }}", labels.get("route", ""))
                   for k, v in rule["annotations"].items()}
    return {"exp_labels": {**labels, **rule["labels"]}, "exp_annotations": annotations}


def run_tests(tmp_path: Path, tests: list[dict], settings: AlertSettings = SETTINGS) -> subprocess.CompletedProcess:
    write_rules(tmp_path, settings)
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(
        {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    return promtool("test", "rules", "tests.yaml", cwd=tmp_path)


def alert_test(series: dict[str, str], checks: list[tuple[str, str, list[dict]]]) -> dict:
    return {"interval": "1m",
            "input_series": [{"series": s, "values": v} for s, v in series.items()],
            "alert_rule_test": [{"eval_time": t, "alertname": a, "exp_alerts": e} for t, a, e in checks]}


def assert_passes(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_check_rules_accepts_the_rendered_file(tmp_path):
    result = promtool("check", "rules", str(write_rules(tmp_path)), cwd=tmp_path)
    assert_passes(result)
    assert "8 rules found" in result.stdout


def test_check_rules_can_fail(tmp_path):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [
        {"alert": "Broken", "expr": "sum by (route) (rate(gateway_requests_total[5m])"}]}]}))
    assert promtool("check", "rules", "bad.yaml", cwd=tmp_path).returncode != 0


def test_components_near_and_at_the_limit(tmp_path):
    warn = int(LIMIT * 0.8)
    near = alert_test({'nexus_analytics_component_total_count{instance="nexus"}': f"{warn + 1}x60"}, [
        ("29m", "NexusComponentsNearLimit", []),                    # `for: 30m` not yet over
        ("40m", "NexusComponentsNearLimit", [expected("NexusComponentsNearLimit", value=str(warn + 1))]),
        ("40m", "NexusComponentsAtLimit", []),
    ])
    below = alert_test({'nexus_analytics_component_total_count{instance="nexus"}': f"{warn}x60"}, [
        ("50m", "NexusComponentsNearLimit", []), ("50m", "NexusComponentsAtLimit", []),
    ])
    at = alert_test({'nexus_analytics_component_total_count{instance="nexus"}': f"{LIMIT - 1} {LIMIT}x20"}, [
        ("4m", "NexusComponentsAtLimit", []),
        ("10m", "NexusComponentsAtLimit", [expected("NexusComponentsAtLimit", value=str(LIMIT))]),
    ])
    assert_passes(run_tests(tmp_path, [near, below, at]))


def test_component_count_absent(tmp_path):
    nothing = alert_test({'up{job="other"}': "1x60"}, [
        ("20m", "NexusMetricsAbsent", []),
        ("40m", "NexusMetricsAbsent", [expected("NexusMetricsAbsent")]),
    ])
    present = alert_test({'nexus_analytics_component_total_count{instance="nexus"}': "5x60"}, [
        ("40m", "NexusMetricsAbsent", []),
    ])
    assert_passes(run_tests(tmp_path, [nothing, present]))


def test_requests_in_24_hours_near_the_limit(tmp_path):
    """80,000 requests in 24 h: 60/min crosses it after 22.2 h (web-port requests never count); 50/min never."""
    busy = alert_test({
        'gateway_requests_total{route="registry_group",method="GET",object="blob",status="200"}': "0+60x1500",
        'gateway_requests_total{route="nexus_web",method="GET",object="other",status="200"}': "0+1000x1500",
    }, [("22h", "NexusRequestsNearLimit", []),
        ("23h", "NexusRequestsNearLimit", [expected("NexusRequestsNearLimit", value="82800")])])
    quiet = alert_test({
        'gateway_requests_total{route="registry_group",method="GET",object="blob",status="200"}': "0+50x1500",
        'gateway_requests_total{route="nexus_web",method="GET",object="other",status="200"}': "0+1000x1500",
    }, [("24h", "NexusRequestsNearLimit", [])])
    assert_passes(run_tests(tmp_path, [busy, quiet]))


def test_gateway_5xx_rate(tmp_path):
    # group: 10% of 2 req/s fail -> alert; hosted: 1% fail -> none; web: all fail but 1 request a minute -> none
    series = {
        'gateway_requests_total{route="registry_group",method="GET",object="blob",status="200"}': "0+108x60",
        'gateway_requests_total{route="registry_group",method="GET",object="blob",status="502"}': "0+12x60",
        'gateway_requests_total{route="registry_hosted",method="PUT",object="upload",status="201"}': "0+119x60",
        'gateway_requests_total{route="registry_hosted",method="PUT",object="upload",status="500"}': "0+1x60",
        'gateway_requests_total{route="nexus_web",method="GET",object="other",status="502"}': "0+1x60",
    }
    test = alert_test(series, [
        ("9m", "RegistryGateway5xx", []),                            # `for: 10m` not yet over
        ("30m", "RegistryGateway5xx", [expected("RegistryGateway5xx", route="registry_group")]),
    ])
    assert_passes(run_tests(tmp_path, [test]))


def test_blob_store_volume_above_the_soft_quota(tmp_path):
    claim = 'namespace="nexus",persistentvolumeclaim="nexus-data"'
    other = 'namespace="other",persistentvolumeclaim="nexus-data"'
    above = alert_test({f"kubelet_volume_stats_used_bytes{{{claim}}}": f"{QUOTA.limit + 1}x60",
                        f"kubelet_volume_stats_used_bytes{{{other}}}": f"{QUOTA.limit * 2}x60"}, [
        ("10m", "NexusBlobStoreAboveSoftQuota", []),
        ("20m", "NexusBlobStoreAboveSoftQuota", [expected("NexusBlobStoreAboveSoftQuota")]),
    ])
    below = alert_test({f"kubelet_volume_stats_used_bytes{{{claim}}}": f"{QUOTA.limit}x60",
                        f"kubelet_volume_stats_used_bytes{{{other}}}": f"{QUOTA.limit * 2}x60"}, [
        ("30m", "NexusBlobStoreAboveSoftQuota", []),
    ])
    assert_passes(run_tests(tmp_path, [above, below]))


def test_free_space_quota_watches_available_bytes(tmp_path):
    quota = VolumeQuota("spaceRemainingQuota", 20 * 2**30, "nexus", "nexus-data")
    settings = AlertSettings(component_limit=LIMIT, quota=quota)
    claim = 'namespace="nexus",persistentvolumeclaim="nexus-data"'
    low = alert_test({f"kubelet_volume_stats_available_bytes{{{claim}}}": f"{quota.limit - 1}x60"}, [
        ("20m", "NexusBlobStoreAboveSoftQuota", [expected("NexusBlobStoreAboveSoftQuota", settings)])])
    enough = alert_test({f"kubelet_volume_stats_available_bytes{{{claim}}}": f"{quota.limit}x60"}, [
        ("20m", "NexusBlobStoreAboveSoftQuota", [])])
    assert_passes(run_tests(tmp_path, [low, enough], settings))


def test_certificate_within_early_renewal_and_expired(tmp_path):
    """promtool's clock starts at Unix time 0: not-after is day 10, renewal is due from day 9."""
    series = {'up{job="x"}': "1+0x15"}
    test = {**alert_test(series, []), "interval": "1d", "alert_rule_test": [
        {"eval_time": t, "alertname": a, "exp_alerts": e} for t, a, e in [
            ("8d", "RegistryCertificateRenewalDue", []),
            ("9d1m", "RegistryCertificateRenewalDue", [expected("RegistryCertificateRenewalDue")]),
            ("9d1m", "RegistryCertificateExpired", []),
            ("10d1m", "RegistryCertificateExpired", [expected("RegistryCertificateExpired")]),
        ]]}
    assert_passes(run_tests(tmp_path, [test]))


def test_optional_rules_are_left_out_without_their_facts():
    names = [r["alert"] for r in rule_groups(AlertSettings(component_limit=LIMIT))["groups"][0]["rules"]]
    assert names == ["NexusComponentsNearLimit", "NexusComponentsAtLimit", "NexusMetricsAbsent",
                     "NexusRequestsNearLimit", "RegistryGateway5xx"]
