"""The `monitoring` key under Pulumi mocks: what it adds (and that without it nothing changes), the metrics user
and its Secret, the gateway's exporter sidecar, the ServiceMonitors pointing at Services that really carry the
named ports, the rules (PrometheusRule or ConfigMap) and the dashboard ConfigMap."""
from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from components.gateway import metrics_log
from components.monitoring.rules import epoch_seconds
from tests.support.stack import MOCK_CERT_NOT_AFTER, mock_password, plain_occurrences, run_program

DYN = "pulumi-python:dynamic/nexus:"
K8S = "kubernetes:"
OPERATOR = {"monitoring": True, "prometheusOperator": True, "monitoringLabels": ["release=kps"],
            "blobStoreSoftQuota": "8Gi"}


@pytest.fixture(scope="module")
def plain_run():
    return run_program("dev", {"monitoring": True, "blobStoreSoftQuota": "8Gi"})


@pytest.fixture(scope="module")
def operator_run():
    return run_program("dev", OPERATOR)


@pytest.fixture(scope="module")
def off_run():
    return run_program("dev")


def _objects(run, kind: str) -> dict[str, dict]:
    return {o.plain["metadata"]["name"]: o.plain for o in run.kubernetes_objects() if o.typ.endswith(f":{kind}")}


def _gateway_pod(run) -> dict:
    return run.one(f"{K8S}apps/v1:Deployment", "gateway-deployment").plain["spec"]["template"]["spec"]


def _nginx_conf(run) -> str:
    return _objects(run, "ConfigMap")["registry-gateway-config"]["data"]["nginx.conf"]


def test_off_by_default_adds_nothing(off_run):
    assert not [r for r in off_run.resources if "monitoring" in r.name or r.name == "gateway-metrics-service"]
    assert [c["name"] for c in _gateway_pod(off_run)["containers"]] == ["nginx"]
    assert metrics_log.LOG_FORMAT_NAME not in _nginx_conf(off_run)
    assert metrics_log.ROUTE_VARIABLE not in _nginx_conf(off_run)


def test_metrics_user_holds_only_the_metrics_privilege(plain_run):
    role = plain_run.one(f"{DYN}Role").plain
    assert role["name"] == "nexus-registry-metrics" and role["privileges"] == ["nx-metrics-all"]
    user = plain_run.one(f"{DYN}LocalUser")
    assert user.plain["name"] == "metrics" and user.plain["roles"] == ["nexus-registry-metrics"]
    assert user.plain.get("password") is None and user.options["additional_secret_outputs"] == ["password"]


def test_scrape_secret_holds_the_generated_password_only_as_a_secret(plain_run):
    secret = plain_run.one(f"{K8S}core/v1:Secret", "monitoring-scrape-auth")
    assert secret.plain["type"] == "kubernetes.io/basic-auth"
    assert secret.plain["stringData"] == {"username": "metrics", "password": mock_password("monitoring-user")}
    for resource in plain_run.resources:
        assert plain_occurrences(resource.inputs, mock_password("monitoring-user")) == [], resource.name


def test_gateway_gets_the_exporter_as_hardened_as_nginx(plain_run):
    pod = _gateway_pod(plain_run)
    nginx, exporter = pod["containers"]
    assert exporter["image"] == "ghcr.io/google/mtail:3.0.8"
    assert exporter["args"] == metrics_log.mtail_args("/etc/mtail")
    assert exporter["securityContext"] == nginx["securityContext"]
    assert exporter["securityContext"]["readOnlyRootFilesystem"] is True
    assert exporter["resources"]["limits"]["memory"] and exporter["readinessProbe"] and exporter["livenessProbe"]
    program = _objects(plain_run, "ConfigMap")["registry-gateway-config"]["data"][metrics_log.PROGRAM_FILE]
    assert program == metrics_log.mtail_program()
    conf = _nginx_conf(plain_run)
    assert f"syslog:server=127.0.0.1:{metrics_log.SYSLOG_PORT}," in conf
    assert f"set {metrics_log.ROUTE_VARIABLE} $registry_upstream;" in conf


def test_network_policies_open_the_exporter_and_nexus_web_port_for_the_scraper(plain_run):
    policies = _objects(plain_run, "NetworkPolicy")
    gateway_ports = {p["port"] for rule in policies["registry-gateway"]["spec"]["ingress"] for p in rule["ports"]}
    assert metrics_log.METRICS_PORT in gateway_ports
    nexus_rules = policies["nexus"]["spec"]["ingress"]
    assert {"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 8081}]} in nexus_rules


def test_service_monitors_select_services_that_carry_the_port(operator_run):
    services = _objects(operator_run, "Service")
    monitors = _objects(operator_run, "ServiceMonitor")
    assert set(monitors) == {"registry-monitoring-nexus", "registry-monitoring-gateway"}
    for monitor in monitors.values():
        selector = monitor["spec"]["selector"]["matchLabels"]
        port = monitor["spec"]["endpoints"][0]["port"]
        matched = [s for s in services.values() if selector.items() <= s["metadata"]["labels"].items()
                   and port in {p["name"] for p in s["spec"]["ports"]}]
        assert len(matched) == 1, (monitor["metadata"]["name"], [s["metadata"]["name"] for s in matched])
        assert monitor["metadata"]["labels"]["release"] == "kps"
    auth = monitors["registry-monitoring-nexus"]["spec"]["endpoints"][0]
    assert auth["path"] == "/service/metrics/prometheus"
    assert auth["basicAuth"]["password"] == {"name": "registry-monitoring-scrape-auth", "key": "password"}
    assert services["registry-gateway-metrics"]["spec"]["type"] == "ClusterIP"


def test_prometheus_rule_or_config_map(operator_run, plain_run):
    rule = _objects(operator_run, "PrometheusRule")["registry-monitoring-rules"]
    assert rule["metadata"]["labels"]["release"] == "kps"
    assert "registry-monitoring-rules" not in _objects(operator_run, "ConfigMap")
    text = _objects(plain_run, "ConfigMap")["registry-monitoring-rules"]["data"]["nexus-registry.rules.yaml"]
    assert not _objects(plain_run, "PrometheusRule")
    assert yaml.safe_load(text) == rule["spec"]
    alerts = {r["alert"]: r for r in rule["spec"]["groups"][0]["rules"]}
    renew_at = epoch_seconds(MOCK_CERT_NOT_AFTER) - 720 * 3600
    assert alerts["RegistryCertificateRenewalDue"]["expr"] == f"vector(time()) > {renew_at}"
    assert alerts["NexusComponentsNearLimit"]["expr"].endswith("> 32000")
    assert 'persistentvolumeclaim="nexus-data"' in alerts["NexusBlobStoreAboveSoftQuota"]["expr"]


def test_host_path_has_no_volume_rule(tmp_path):
    run = run_program("prod", {"monitoring": True, "blobStoreSoftQuota": "80Gi", "componentLimit": 100000})
    text = _objects(run, "ConfigMap")["registry-monitoring-rules"]["data"]["nexus-registry.rules.yaml"]
    alerts = {r["alert"]: r for r in yaml.safe_load(text)["groups"][0]["rules"]}
    assert "NexusBlobStoreAboveSoftQuota" not in alerts
    assert alerts["NexusComponentsAtLimit"]["expr"].endswith(">= 100000")


@pytest.mark.monitoring
def test_promtool_accepts_the_rules_the_stack_registers(plain_run, operator_run, tmp_path):
    from tests.support.procs import require_binary
    files = {"configmap.yaml": _objects(plain_run, "ConfigMap")["registry-monitoring-rules"]["data"][
        "nexus-registry.rules.yaml"],
        "operator.yaml": yaml.safe_dump(_objects(operator_run, "PrometheusRule")["registry-monitoring-rules"]["spec"])}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        result = subprocess.run([require_binary("promtool"), "check", "rules", name], cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_config_map_for_the_grafana_sidecar(plain_run):
    board_cm = _objects(plain_run, "ConfigMap")["registry-monitoring-dashboard"]
    assert board_cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    board = json.loads(board_cm["data"]["nexus-registry.json"])
    assert board["uid"] == "nexus-registry" and len(board["panels"]) == 8
