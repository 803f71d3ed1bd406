"""Both pods under Pulumi mocks: no service account token, read-only root filesystems, the gateway as a
non-root user without capabilities, NetworkPolicies (and the key that turns them off), the gateway's
drain settings, and the checkov suppressions each Deployment declares."""
from __future__ import annotations

import pytest

from components.gateway.manifests import NGINX_UID, PRESTOP_SECONDS, worker_shutdown_timeout
from components.k8s_meta import checkov_skips
from tests.support.stack import run_program

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
GATEWAY_PORTS = {"registry": 8443, "web": 8080, "push": 8444}


def _deployment(run, name: str) -> dict:
    return run.one("kubernetes:apps/v1:Deployment", f"{name}-deployment").plain


def _pod(run, name: str) -> dict:
    return _deployment(run, name)["spec"]["template"]["spec"]


def _mounts(container: dict) -> dict[str, str]:
    return {m["mountPath"]: m["name"] for m in container["volumeMounts"]}


def _skips(run, name: str) -> dict[str, str]:
    annotations = _deployment(run, name)["metadata"].get("annotations", {})
    return dict(v.split("=", 1) for k, v in annotations.items() if k.startswith("checkov.io/skip"))


def test_no_pod_mounts_a_service_account_token(stack_run):
    for name in ("nexus", "gateway"):
        assert _pod(stack_run, name)["automountServiceAccountToken"] is False


def test_gateway_runs_unprivileged_with_a_read_only_root(stack_run):
    pod = _pod(stack_run, "gateway")
    nginx = pod["containers"][0]
    assert nginx["securityContext"] == {"runAsNonRoot": True, "runAsUser": NGINX_UID, "runAsGroup": NGINX_UID,
                                        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "capabilities": {"drop": ["ALL"]}}
    assert pod["securityContext"]["fsGroup"] == NGINX_UID   # lets nginx's group read the TLS key
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert _mounts(nginx)["/tmp"] == "tmp" and "emptyDir" in volumes["tmp"]
    assert volumes["tls"]["secret"]["defaultMode"] == 0o440
    # everything nginx writes goes to the emptyDir: its pid file and the (unused) temp paths
    assert "pid /tmp/nginx.pid;" in nginx["command"][4] and nginx["command"][-2:] == ["-e", "stderr"]
    conf = stack_run.one("kubernetes:core/v1:ConfigMap").plain["data"]["nginx.conf"]
    assert "client_body_temp_path /tmp/client_body;" in conf and "proxy_temp_path /tmp/proxy;" in conf
    assert all(port > 1024 for port in GATEWAY_PORTS.values())   # no NET_BIND_SERVICE needed


def test_nexus_root_filesystem_is_read_only(stack_run):
    pod = _pod(stack_run, "nexus")
    nexus = next(c for c in pod["containers"] if c["name"] == "nexus")
    assert nexus["securityContext"]["readOnlyRootFilesystem"] is True
    assert set(_mounts(nexus)) == {"/nexus-data", "/tmp"}
    assert "emptyDir" in next(v for v in pod["volumes"] if v["name"] == "tmp")
    for init in pod.get("initContainers", []):   # prod's hostPath chown
        assert init["securityContext"]["readOnlyRootFilesystem"] is True
        assert init["resources"]["limits"]["cpu"]


@pytest.mark.parametrize("drain", [300, 45])
def test_gateway_drains_before_it_stops(drain):
    run = run_program("dev", {"gatewayDrainSeconds": drain})
    deploy = _deployment(run, "gateway")
    assert deploy["spec"]["strategy"] == {"type": "RollingUpdate",
                                          "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    pod = deploy["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == drain
    assert pod["containers"][0]["lifecycle"]["preStop"] == {"exec": {"command": ["sleep", str(PRESTOP_SECONDS)]}}
    conf = run.one("kubernetes:core/v1:ConfigMap").plain["data"]["nginx.conf"]
    timeout = worker_shutdown_timeout(drain)
    assert f"worker_shutdown_timeout {timeout}s;" in conf
    assert PRESTOP_SECONDS + timeout < drain   # nginx gives up before the kubelet's SIGKILL


def test_worker_shutdown_timeout_needs_room():
    assert worker_shutdown_timeout(30) == 15
    with pytest.raises(ValueError, match="drain_seconds"):
        worker_shutdown_timeout(PRESTOP_SECONDS + 5)


def test_network_policies_isolate_nexus_behind_the_gateway(stack_run):
    policies = {p.name: p.plain for p in stack_run.of_type(POLICY)}
    assert set(policies) == {"nexus-network-policy", "gateway-network-policy"}
    nexus_labels = _deployment(stack_run, "nexus")["spec"]["selector"]["matchLabels"]
    gateway_labels = _deployment(stack_run, "gateway")["spec"]["selector"]["matchLabels"]
    nexus, gateway = policies["nexus-network-policy"]["spec"], policies["gateway-network-policy"]["spec"]
    for spec, labels in ((nexus, nexus_labels), (gateway, gateway_labels)):
        assert spec["podSelector"] == {"matchLabels": labels}
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        assert {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]} in spec["egress"]
    nexus_ports = [{"protocol": "TCP", "port": p} for p in (8081, 9897, 9896)]
    # Nexus: its three ports from the gateway pods only; out to DNS and the proxy remote (443) only
    assert nexus["ingress"] == [{"from": [{"podSelector": {"matchLabels": gateway_labels}}], "ports": nexus_ports}]
    assert nexus["egress"][1] == {"ports": [{"protocol": "TCP", "port": 443}]}
    # the gateway: its listen ports from anywhere; out to DNS and Nexus' ports on the Nexus pods only
    listen = [p["containerPort"] for p in _pod(stack_run, "gateway")["containers"][0]["ports"]]
    assert gateway["ingress"] == [{"ports": [{"protocol": "TCP", "port": p} for p in listen]}]
    assert gateway["egress"][1] == {"to": [{"podSelector": {"matchLabels": nexus_labels}}], "ports": nexus_ports}


def test_network_policy_ports_follow_the_config():
    run = run_program("dev", {"pushPort": 30444, "hostedPort": 5001, "proxyRemoteUrl": "http://mirror.lan:5000"})
    policies = {p.name: p.plain["spec"] for p in run.of_type(POLICY)}
    assert [p["port"] for p in policies["gateway-network-policy"]["ingress"][0]["ports"]] == [8443, 8080, 8444]
    assert [p["port"] for p in policies["nexus-network-policy"]["ingress"][0]["ports"]] == [8081, 5001, 9896]
    assert [p["port"] for p in policies["nexus-network-policy"]["egress"][1]["ports"]] == [443, 5000]


def test_network_policies_can_be_turned_off_and_say_so_to_checkov():
    run = run_program("prod", {"networkPolicies": False})
    assert run.of_type(POLICY) == []
    for name in ("nexus", "gateway"):
        assert "CNI does not enforce NetworkPolicy" in _skips(run, name)["CKV2_K8S_6"]


def test_declared_checkov_skips(dev_run, prod_run):
    assert set(_skips(dev_run, "nexus")) == {"CKV_K8S_40", "CKV_K8S_35", "CKV_K8S_43", "CKV_K8S_15"}
    assert set(_skips(prod_run, "nexus")) == {"CKV_K8S_40", "CKV_K8S_35", "CKV_K8S_43", "CKV_K8S_15",
                                              "CKV_K8S_25"}   # the hostPath chown's capabilities
    assert set(_skips(prod_run, "gateway")) == {"CKV_K8S_11", "CKV_K8S_43", "CKV_K8S_15"}


def test_images_pinned_by_digest_need_no_digest_skips():
    digest = "@sha256:" + "0" * 64
    run = run_program("dev", {"nexusImage": f"sonatype/nexus3:3.94.0{digest}",
                              "nginxImage": f"nginx:1.28.0-alpine{digest}"})
    for name in ("nexus", "gateway"):
        assert not {"CKV_K8S_43", "CKV_K8S_15"} & set(_skips(run, name))


def test_a_skip_without_a_real_reason_is_refused():
    assert checkov_skips({"CKV_K8S_40": "the image runs as uid 200 on purpose"}) == {
        "checkov.io/skip1": "CKV_K8S_40=the image runs as uid 200 on purpose"}
    for reason in ("", "because", "uid=200 is what the image uses"):   # checkov splits at '='
        with pytest.raises(ValueError, match="CKV_K8S_40"):
            checkov_skips({"CKV_K8S_40": reason})


def test_node_trust_pods_may_not_connect_anywhere():
    """The node-trust DaemonSet only writes files on its node: its policy admits nothing in or out."""
    run = run_program("prod", {"trustOnNodes": True})
    daemon_set = run.one("kubernetes:apps/v1:DaemonSet").plain
    policy = run.one(POLICY, "node-trust-network-policy").plain["spec"]
    assert policy == {"podSelector": {"matchLabels": daemon_set["spec"]["selector"]["matchLabels"]},
                      "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}
    skips = {v.split("=", 1)[0] for k, v in daemon_set["metadata"]["annotations"].items()}
    assert skips == {"CKV_K8S_23", "CKV_K8S_40", "CKV_K8S_8", "CKV_K8S_43", "CKV_K8S_15"}
    off = run_program("prod", {"trustOnNodes": True, "networkPolicies": False})
    assert off.of_type(POLICY) == []
    assert "CKV2_K8S_6" in off.one("kubernetes:apps/v1:DaemonSet").plain["metadata"]["annotations"]["checkov.io/skip1"]
