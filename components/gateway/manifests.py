"""Kubernetes objects of the nginx gateway, as plain camelCase dicts (values may be Pulumi Outputs).

components/gateway/component.py wires them; tests validate them against the Kubernetes schemas.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from components.gateway.nginx_conf import HEALTH_PATH
from components.k8s_meta import CHECKSUM_ANNOTATION, app_labels, metadata
from components.k8s_meta import checksum  # noqa: F401 (component.py uses gm.checksum)

CONF_DIR = "/etc/nginx/registry"
TLS_DIR = "/etc/nginx/registry-tls"
# Ports nginx listens on inside the pod; clients use the Service's ports (the Host header they send
# is passed to Nexus unchanged, so these numbers never leak into URLs).
CONTAINER_PORTS = {"registry": 8443, "web": 8080, "push": 8444}


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

    @property
    def labels(self) -> dict[str, str]:
        return app_labels("nginx-gateway", self.name)

    @property
    def config_name(self) -> str:
        return f"{self.name}-config"

    @property
    def tls_name(self) -> str:
        return f"{self.name}-tls"

    def client_ports(self) -> dict[str, int]:
        ports = {"registry": self.registry_port, "web": self.web_port}
        if self.push_port:
            ports["push"] = self.push_port
        return ports


def config_map(spec: GatewaySpec, nginx_conf) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(spec, spec.config_name),
            "data": {"nginx.conf": nginx_conf}}


def tls_secret(spec: GatewaySpec, cert_pem, key_pem) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata(spec, spec.tls_name),
            "type": "kubernetes.io/tls", "stringData": {"tls.crt": cert_pem, "tls.key": key_pem}}


def deployment(spec: GatewaySpec, config_checksum) -> dict:
    container = {
        "name": "nginx",
        "image": spec.image,
        "command": ["nginx", "-c", f"{CONF_DIR}/nginx.conf", "-g", "daemon off;"],
        "ports": [{"name": name, "containerPort": CONTAINER_PORTS[name]} for name in spec.client_ports()],
        "readinessProbe": {"httpGet": {"path": spec.health_path, "port": "web"},
                           "periodSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {"tcpSocket": {"port": "registry"}, "periodSeconds": 20, "failureThreshold": 3},
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "volumeMounts": [{"name": "config", "mountPath": CONF_DIR, "readOnly": True},
                         {"name": "tls", "mountPath": TLS_DIR, "readOnly": True}],
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    pod: dict = {
        "containers": [container],
        "volumes": [{"name": "config", "configMap": {"name": spec.config_name}},
                    {"name": "tls", "secret": {"secretName": spec.tls_name, "defaultMode": 0o400}}],
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    }
    if spec.replicas > 1:
        # Spread the gateways so one node going down leaves the registry reachable.
        pod["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                               "labelSelector": {"matchLabels": spec.labels}}}]}}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(spec, spec.name),
        "spec": {
            "replicas": spec.replicas,
            "selector": {"matchLabels": spec.labels},
            "template": {"metadata": {"labels": spec.labels,
                                      "annotations": {CHECKSUM_ANNOTATION: config_checksum}},
                         "spec": pod},
        },
    }


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
