"""Kubernetes objects of the nginx gateway, as plain camelCase dicts (values may be Pulumi Outputs).

components/gateway/component.py wires them; tests validate them against the Kubernetes schemas.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from components.gateway import metrics_log
from components.gateway.nginx_conf import HEALTH_PATH
from components.k8s_meta import CHECKSUM_ANNOTATION, app_labels, checkov_skips, image_skips, metadata
from components.network_policy import DNS_EGRESS, network_policy as _network_policy, pods, skips, tcp

CONF_DIR = "/etc/nginx/registry"
MTAIL_DIR = "/etc/mtail"
TLS_DIR = "/etc/nginx/registry-tls"
# Ports nginx listens on inside the pod; clients use the Service's ports (the Host header they send
# is passed to Nexus unchanged, so these numbers never leak into URLs).
CONTAINER_PORTS = {"registry": 8443, "web": 8080, "push": 8444}
# nginx runs as this non-root uid with a read-only root filesystem. It writes only its pid file and the
# (never used: bodies stream) temp paths, both under TMP_DIR, an emptyDir; any uid works with the official
# nginx images, and a high one keeps clear of host users.
NGINX_UID = 10101
TMP_DIR = "/tmp"
# Rollouts: when a pod is deleted, the kubelet runs the preStop hook while the endpoint removal
# propagates (kube-proxy, cloud load balancers), so connections still arriving are served. Then it sends
# the image's STOPSIGNAL: SIGQUIT in the official nginx images, a graceful stop that finishes in-flight
# transfers for up to worker_shutdown_timeout. The grace period (gatewayDrainSeconds) covers both.
PRESTOP_SECONDS = 10
SHUTDOWN_MARGIN_SECONDS = 5   # between nginx giving up and the kubelet's SIGKILL


def nginx_command(conf_path: str, tmp_dir: str) -> list[str]:
    """nginx in the foreground with the rendered config; its pid file in the writable `tmp_dir`, and
    `-e stderr` so the startup log never opens a log file inside the read-only image."""
    return ["nginx", "-c", conf_path, "-g", f"daemon off; pid {tmp_dir}/nginx.pid;", "-e", "stderr"]


def worker_shutdown_timeout(drain_seconds: int) -> int:
    """nginx's worker_shutdown_timeout for a pod whose grace period is `drain_seconds`: just under it."""
    timeout = drain_seconds - PRESTOP_SECONDS - SHUTDOWN_MARGIN_SECONDS
    if timeout < 1:
        raise ValueError(f"drain_seconds must exceed {PRESTOP_SECONDS + SHUTDOWN_MARGIN_SECONDS}, got {drain_seconds}")
    return timeout


@dataclass(frozen=True)
class GatewaySpec:
    name: str
    namespace: str
    image: str
    replicas: int
    service_type: str             # NodePort | LoadBalancer
    registry_port: int            # client-facing ports: the NodePort or the LoadBalancer port
    web_port: int
    push_port: Optional[int] = None
    health_path: str = HEALTH_PATH   # answered by nginx itself (see nginx_conf)
    drain_seconds: int = 300         # the pod's grace period (gatewayDrainSeconds)
    network_policy: bool = True
    exporter_image: Optional[str] = None   # monitoring: the mtail sidecar's image (gatewayExporterImage)

    @property
    def labels(self) -> dict[str, str]:
        return app_labels("nginx-gateway", self.name)

    @property
    def config_name(self) -> str:
        return f"{self.name}-config"

    @property
    def tls_name(self) -> str:
        return f"{self.name}-tls"

    @property
    def metrics_name(self) -> str:
        return f"{self.name}-metrics"

    @property
    def metrics_log_address(self) -> Optional[str]:
        """Where nginx sends the per-request metrics line: the exporter in the same pod, if any."""
        return f"127.0.0.1:{metrics_log.SYSLOG_PORT}" if self.exporter_image else None

    def client_ports(self) -> dict[str, int]:
        ports = {"registry": self.registry_port, "web": self.web_port}
        if self.push_port:
            ports["push"] = self.push_port
        return ports


def config_map(spec: GatewaySpec, nginx_conf) -> dict:
    data = {"nginx.conf": nginx_conf}
    if spec.exporter_image:
        data[metrics_log.PROGRAM_FILE] = metrics_log.mtail_program()
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(spec, spec.config_name), "data": data}


def tls_secret(spec: GatewaySpec, cert_pem, key_pem) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata(spec, spec.tls_name),
            "type": "kubernetes.io/tls", "stringData": {"tls.crt": cert_pem, "tls.key": key_pem}}


def accepted_findings(spec: GatewaySpec) -> dict[str, str]:
    """checkov findings this Deployment declares as accepted, each with its reason."""
    return {
        "CKV_K8S_11": "no CPU limit on purpose: CFS quota throttling would add stalls to every transfer "
                      "through the TLS proxy; the CPU request reserves its share and the memory limit bounds it",
        **image_skips(spec.image, "nginxImage",
                      *([(spec.exporter_image, "gatewayExporterImage")] if spec.exporter_image else [])),
        **skips(spec.network_policy),
    }


_HARDENED = {"runAsNonRoot": True, "runAsUser": NGINX_UID, "runAsGroup": NGINX_UID,
             "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
             "capabilities": {"drop": ["ALL"]}}


def exporter_container(spec: GatewaySpec) -> dict:
    """mtail: counts the request lines nginx sends over loopback UDP (metrics_log.py), serves /metrics. It
    reads only its program and writes nothing (logs on stderr), so it runs as hardened as nginx."""
    return {
        "name": "metrics",
        "image": spec.exporter_image,
        "args": metrics_log.mtail_args(MTAIL_DIR),
        "ports": [{"name": "metrics", "containerPort": metrics_log.METRICS_PORT}],
        "readinessProbe": {"httpGet": {"path": "/metrics", "port": "metrics"}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": "metrics"}, "periodSeconds": 20, "failureThreshold": 3},
        "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
        "volumeMounts": [{"name": "metrics-program", "mountPath": MTAIL_DIR, "readOnly": True}],
        "securityContext": dict(_HARDENED),
    }


def deployment(spec: GatewaySpec, config_checksum) -> dict:
    container = {
        "name": "nginx",
        "image": spec.image,
        "command": nginx_command(f"{CONF_DIR}/nginx.conf", TMP_DIR),
        "ports": [{"name": name, "containerPort": CONTAINER_PORTS[name]} for name in spec.client_ports()],
        "readinessProbe": {"httpGet": {"path": spec.health_path, "port": "web"},
                           "periodSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {"tcpSocket": {"port": "registry"}, "periodSeconds": 20, "failureThreshold": 3},
        # Endpoint removal propagates while this runs; then the kubelet sends STOPSIGNAL (SIGQUIT).
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(PRESTOP_SECONDS)]}}},
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "volumeMounts": [{"name": "config", "mountPath": CONF_DIR, "readOnly": True},
                         {"name": "tls", "mountPath": TLS_DIR, "readOnly": True},
                         {"name": "tmp", "mountPath": TMP_DIR}],
        "securityContext": dict(_HARDENED),
    }
    pod: dict = {
        "containers": [container, exporter_container(spec)] if spec.exporter_image else [container],
        # the key is group-readable: fsGroup gives the volume to nginx's group, nobody else reads it
        "volumes": [{"name": "config", "configMap": {"name": spec.config_name}},
                    {"name": "tls", "secret": {"secretName": spec.tls_name, "defaultMode": 0o440}},
                    {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
                    *([{"name": "metrics-program", "configMap": {
                        "name": spec.config_name,
                        "items": [{"key": metrics_log.PROGRAM_FILE, "path": metrics_log.PROGRAM_FILE}]}}]
                      if spec.exporter_image else [])],
        "securityContext": {"runAsNonRoot": True, "runAsUser": NGINX_UID, "runAsGroup": NGINX_UID,
                            "fsGroup": NGINX_UID, "seccompProfile": {"type": "RuntimeDefault"}},
        "automountServiceAccountToken": False,  # nginx never calls the Kubernetes API
        "terminationGracePeriodSeconds": spec.drain_seconds,
    }
    if spec.replicas > 1:
        # Spread the gateways so one node going down leaves the registry reachable.
        pod["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                               "labelSelector": {"matchLabels": spec.labels}}}]}}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": metadata(spec, spec.name, checkov_skips(accepted_findings(spec))),
        "spec": {
            "replicas": spec.replicas,
            # a new pod is ready before an old one stops: capacity never drops during a rollout
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "selector": {"matchLabels": spec.labels},
            "template": {"metadata": {"labels": spec.labels,
                                      "annotations": {CHECKSUM_ANNOTATION: config_checksum}},
                         "spec": pod},
        },
    }


def network_policy(spec: GatewaySpec, nexus_labels: Mapping[str, str],
                   nexus_ports: tuple[int, ...]) -> Optional[dict]:
    """Clients reach the gateway's ports from anywhere; the gateway connects only to DNS (it resolves the
    Nexus service name) and to Nexus' ports."""
    if not spec.network_policy:
        return None
    listen = [CONTAINER_PORTS[name] for name in spec.client_ports()]
    if spec.exporter_image:
        listen.append(metrics_log.METRICS_PORT)   # the scraper runs wherever the cluster's Prometheus does
    return _network_policy(spec, spec.name, ingress=[{"ports": tcp(listen)}],
                           egress=[DNS_EGRESS, {"to": [pods(nexus_labels)], "ports": tcp(nexus_ports)}])


def disruption_budget(spec: GatewaySpec) -> Optional[dict]:
    if spec.replicas <= 1:
        return None
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": metadata(spec, spec.name),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": spec.labels}}}


def service(spec: GatewaySpec) -> dict:
    ports = []
    for name, client_port in spec.client_ports().items():
        port = {"name": name, "protocol": "TCP", "targetPort": name}
        if spec.service_type == "NodePort":
            port.update(port=CONTAINER_PORTS[name], nodePort=client_port)
        else:
            port.update(port=client_port)
        ports.append(port)
    svc_spec = {"type": spec.service_type, "selector": spec.labels, "ports": ports}
    # Keep the client address in nginx's logs and avoid a second hop for registry traffic.
    svc_spec["externalTrafficPolicy"] = "Local" if spec.service_type == "LoadBalancer" else "Cluster"
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(spec, spec.name), "spec": svc_spec}


def metrics_service(spec: GatewaySpec) -> Optional[dict]:
    """The exporter's port inside the cluster only (ClusterIP), for Prometheus; None without the exporter."""
    if not spec.exporter_image:
        return None
    ports = [{"name": "metrics", "protocol": "TCP", "port": metrics_log.METRICS_PORT, "targetPort": "metrics"}]
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(spec, spec.metrics_name),
            "spec": {"type": "ClusterIP", "selector": spec.labels, "ports": ports}}
