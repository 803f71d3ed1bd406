"""Kubernetes objects for workloads pulling from the registry, as plain camelCase dicts (values may be Pulumi
Outputs): the `kubernetes.io/dockerconfigjson` pull Secret, and the node-trust ConfigMap + DaemonSet.

components/cluster_pull/component.py wires them; tests validate them against the Kubernetes schemas.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Sequence

from components.cluster_pull.node_trust import HOST_DIRS, HOST_ROOT
from components.k8s_meta import CHECKSUM_ANNOTATION, app_labels, metadata

DOCKER_CONFIG_TYPE = "kubernetes.io/dockerconfigjson"
DOCKER_CONFIG_KEY = ".dockerconfigjson"
# busybox: sh, cmp, mkdir, chmod, mv, rm, rmdir, sleep and nothing else is needed (1.37.0 = Sept. 2024).
NODE_TRUST_IMAGE = "busybox:1.37.0"
SCRIPT_DIR = "/etc/node-trust"
SCRIPT_NAME = "node-trust.sh"


def docker_config_json(addresses: Sequence[str], username: str, password: str) -> str:
    """The `.dockerconfigjson` kubelet reads: one login for every address, as `docker login` writes it."""
    if ":" in username:
        raise ValueError(f"docker user name {username!r} cannot contain ':' (auth is user:password)")
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    entry = {"username": username, "password": password, "auth": auth}
    return json.dumps({"auths": {address: entry for address in addresses}}, sort_keys=True)


@dataclass(frozen=True)
class PullSecretSpec:
    name: str
    namespace: Any           # the name, or an Output of it (then the Secret waits for the namespace)

    @property
    def labels(self) -> dict[str, str]:
        return app_labels("registry-pull-secret", self.name)


def pull_secret(spec: PullSecretSpec, docker_config) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata(spec, spec.name),
            "type": DOCKER_CONFIG_TYPE, "stringData": {DOCKER_CONFIG_KEY: docker_config}}


@dataclass(frozen=True)
class NodeTrustSpec:
    name: str
    namespace: Any           # the name, or an Output of it
    image: str = NODE_TRUST_IMAGE

    @property
    def labels(self) -> dict[str, str]:
        return app_labels("registry-node-trust", self.name)


def config_map(spec: NodeTrustSpec, script) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(spec, spec.name),
            "data": {SCRIPT_NAME: script}}


def _host_volume_name(host_dir: str) -> str:
    return host_dir.strip("/").replace("/", "-").replace(".", "-")     # etc-docker-certs-d


def daemon_set(spec: NodeTrustSpec, config_checksum) -> dict:
    """One pod per Linux node, whatever its taints: writes the CA files, then sleeps (see node_trust.py).

    Root (the host directories belong to root) without any capability, no privilege escalation, a read-only
    root filesystem; the only host paths are the two certs.d directories.
    """
    script = f"{SCRIPT_DIR}/{SCRIPT_NAME}"
    # subPath: the pod keeps the script it started with (a ConfigMap update never reaches it), so its
    # readiness check and its SIGTERM cleanup are about the files it wrote; new scripts come with new pods.
    mounts = [{"name": "script", "mountPath": script, "subPath": SCRIPT_NAME, "readOnly": True}]
    volumes: list[dict] = [{"name": "script", "configMap": {"name": spec.name, "defaultMode": 0o444}}]
    for host_dir in HOST_DIRS:
        volume = _host_volume_name(host_dir)
        mounts.append({"name": volume, "mountPath": f"{HOST_ROOT}{host_dir}"})
        volumes.append({"name": volume, "hostPath": {"path": host_dir, "type": "DirectoryOrCreate"}})
    container = {
        "name": "node-trust",
        "image": spec.image,
        "command": ["sh", script, "run"],
        "env": [{"name": "HOST_ROOT", "value": HOST_ROOT}],
        # Ready once every file is in place, so `pulumi up` waits until each node trusts the registry.
        "readinessProbe": {"exec": {"command": ["sh", script, "check"]},
                           "initialDelaySeconds": 1, "periodSeconds": 60, "failureThreshold": 1},
        "resources": {"requests": {"cpu": "1m", "memory": "4Mi"}, "limits": {"cpu": "50m", "memory": "16Mi"}},
        "volumeMounts": mounts,
        "securityContext": {"runAsUser": 0, "runAsGroup": 0, "runAsNonRoot": False, "privileged": False,
                            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
    }
    pod = {
        "containers": [container],
        "volumes": volumes,
        "tolerations": [{"operator": "Exists"}],          # every taint: control-plane nodes pull images too
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 30,               # SIGTERM -> the script removes its files
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    }
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": metadata(spec, spec.name),
        "spec": {
            "selector": {"matchLabels": spec.labels},
            # One node at a time: the old pod removes its files before the new one writes them again.
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {"metadata": {"labels": spec.labels,
                                      "annotations": {CHECKSUM_ANNOTATION: config_checksum}},
                         "spec": pod},
        },
    }
