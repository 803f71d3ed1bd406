"""NginxGateway under Pulumi mocks: what reaches Kubernetes and how it is wired to Nexus and the cert."""
from __future__ import annotations

from tests.support.stack import plain_occurrences, run_program

SERVER_KEY = "-----BEGIN PRIVATE KEY-----registry-tls-server-key"   # the mock's private key value
CA_KEY = "-----BEGIN PRIVATE KEY-----registry-tls-ca-key"


def _conf(run) -> str:
    return run.one("kubernetes:core/v1:ConfigMap").plain["data"]["nginx.conf"]


def _pod_template(run) -> dict:
    return run.one("kubernetes:apps/v1:Deployment", "gateway-deployment").plain["spec"]["template"]


def test_config_routes_to_the_nexus_connectors(dev_run):
    conf = _conf(dev_run)
    for upstream in ("nexus.nexus.svc:9897", "nexus.nexus.svc:9896", "nexus.nexus.svc:8081"):
        assert f"server {upstream}" in conf
    assert "listen 8443 ssl" in conf and "listen 8080" in conf
    assert "/etc/nginx/registry-tls/tls.crt" in conf and "/etc/nginx/registry-tls/tls.key" in conf
    assert "8444" not in conf, "no push-only port unless configured"


def test_connector_ports_follow_the_config():
    conf = _conf(run_program("dev", {"hostedPort": 5001, "groupPort": 5002}))
    assert "server nexus.nexus.svc:5001" in conf and "server nexus.nexus.svc:5002" in conf


def test_tls_material_goes_to_a_tls_secret_never_a_configmap(stack_run):
    secret = stack_run.one("kubernetes:core/v1:Secret", "gateway-tls").plain
    assert secret["type"] == "kubernetes.io/tls"
    assert secret["stringData"]["tls.key"] == SERVER_KEY
    assert secret["stringData"]["tls.crt"].startswith("-----BEGIN CERTIFICATE-----registry-tls-server")
    for r in stack_run.resources:
        for key in (SERVER_KEY, CA_KEY):
            assert plain_occurrences(r.inputs, key) == [], f"{r.typ} {r.name} holds a private key in plaintext"
    assert SERVER_KEY not in _conf(stack_run)
    volumes = {v["name"]: v for v in _pod_template(stack_run)["spec"]["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == secret["metadata"]["name"]
    assert volumes["config"]["configMap"]["name"] == stack_run.one("kubernetes:core/v1:ConfigMap").plain[
        "metadata"]["name"]


def test_pods_roll_when_the_config_changes(dev_run):
    before = _pod_template(dev_run)["metadata"]["annotations"]["nexus-registry/config-checksum"]
    after = _pod_template(run_program("dev", {"hostedPort": 5001}))["metadata"]["annotations"][
        "nexus-registry/config-checksum"]
    again = _pod_template(run_program("dev"))["metadata"]["annotations"]["nexus-registry/config-checksum"]
    assert len(before) == 64 and before != after and before == again


def test_readiness_probe_hits_the_health_endpoint(dev_run):
    nginx = _pod_template(dev_run)["spec"]["containers"][0]
    assert nginx["readinessProbe"]["httpGet"] == {"path": "/nginx-health", "port": "web"}
    assert "location = /nginx-health" in _conf(dev_run)
    assert nginx["command"][:3] == ["nginx", "-c", "/etc/nginx/registry/nginx.conf"]


def test_single_replica_has_no_budget_or_anti_affinity(dev_run):
    assert dev_run.of_type("kubernetes:policy/v1:PodDisruptionBudget") == []
    assert "affinity" not in _pod_template(dev_run)["spec"]


def test_replicas_spread_with_a_disruption_budget(prod_run):
    deploy = prod_run.one("kubernetes:apps/v1:Deployment", "gateway-deployment").plain
    assert deploy["spec"]["replicas"] == 2
    assert "podAntiAffinity" in deploy["spec"]["template"]["spec"]["affinity"]
    pdb = prod_run.one("kubernetes:policy/v1:PodDisruptionBudget").plain
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == deploy["spec"]["selector"]["matchLabels"]


def test_nodeport_service_publishes_the_configured_ports(prod_run):
    svc = prod_run.one("kubernetes:core/v1:Service", "gateway-service").plain["spec"]
    assert svc["type"] == "NodePort"
    assert {p["name"]: p["nodePort"] for p in svc["ports"]} == {"registry": 10001, "web": 10653}
    assert prod_run.outputs["registry"] == "192.168.129.112:10001"


def test_loadbalancer_with_push_only_port():
    run = run_program("dev", {"serviceType": "LoadBalancer", "registryPort": 443, "webPort": 80, "pushPort": 5443})
    svc = run.one("kubernetes:core/v1:Service", "gateway-service").plain["spec"]
    assert svc["type"] == "LoadBalancer"
    assert {p["name"]: (p["port"], p["targetPort"]) for p in svc["ports"]} == {
        "registry": (443, "registry"), "web": (80, "web"), "push": (5443, "push")}
    assert "listen 8444 ssl" in _conf(run)
    assert run.outputs["registry"] == "127.0.0.1:443"
