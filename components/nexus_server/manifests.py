"""Kubernetes objects for one Nexus Repository 3 instance, as plain camelCase dicts.

Pure functions of NexusSpec, tested directly and validated against the Kubernetes schemas;
components/nexus_server/component.py only wires them into Pulumi resources.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

from components.k8s_meta import app_labels, checkov_skips, image_skips, metadata
from components.nexus_server import data_check
from components.network_policy import DNS_EGRESS, network_policy as _network_policy, pods, skips, tcp

NEXUS_UID = 200              # the sonatype/nexus3 image runs as uid/gid 200
WEB_PORT = 8081              # Nexus UI and REST API
DATA_DIR = "/nexus-data"
STATUS_PATH = "/service/rest/v1/status"
WRITABLE_PATH = "/service/rest/v1/status/writable"
PASSWORD_KEY = "password"    # key of the admin password in the Secret
# An external PostgreSQL (issue 18): Nexus reads its datastore from these variables (nexus.datastore.nexus.*),
# each from the database Secret by secretKeyRef, never a literal. They fall under the CKV_K8S_35 finding accepted
# below for the admin password: the only file alternative, nexus-store.properties, lives on the data volume.
DATABASE_ENV = (("NEXUS_DATASTORE_NEXUS_JDBCURL", "jdbc-url"), ("NEXUS_DATASTORE_NEXUS_USERNAME", "username"),
                ("NEXUS_DATASTORE_NEXUS_PASSWORD", "password"))
TMP_DIR = "/tmp"             # with the data volume, the only place Nexus writes (read-only root filesystem)


@dataclass(frozen=True)
class NexusSpec:
    name: str
    namespace: str
    image: str
    jvm_options: str
    memory: str
    cpu: str
    cpu_limit: str
    hosted_port: int
    group_port: int
    storage_size: str = "50Gi"
    storage_class: str = ""
    host_path: str = ""
    node_name: str = ""
    network_policy: bool = True
    client_labels: Mapping[str, str] = field(default_factory=dict)  # the pods allowed to reach Nexus' ports
    egress_ports: tuple[int, ...] = (443,)                          # where Nexus connects (proxy remote, S3, DB)
    external_database: bool = False                                 # env from the database Secret (issue 18)
    metrics_scrape: bool = False    # monitoring: Prometheus (anywhere in the cluster) scrapes the web port

    @property
    def ports(self) -> tuple[int, ...]:
        """Nexus' listening ports: the UI/REST API and the two docker connectors."""
        return (WEB_PORT, self.hosted_port, self.group_port)

    @property
    def labels(self) -> dict[str, str]:
        return app_labels("nexus", self.name)

    @property
    def secret_name(self) -> str:
        return f"{self.name}-admin"

    @property
    def database_secret_name(self) -> str:
        return f"{self.name}-database"

    @property
    def claim_name(self) -> str:
        return f"{self.name}-data"

    @property
    def service_host(self) -> str:
        return f"{self.name}.{self.namespace}.svc"


def admin_secret(spec: NexusSpec, password) -> dict:
    """The Secret the pod reads NEXUS_SECURITY_INITIAL_PASSWORD from (`password` may be an Output)."""
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata(spec, spec.secret_name),
            "type": "Opaque", "stringData": {PASSWORD_KEY: password}}


def database_secret(spec: NexusSpec, url: str, user: str, password) -> dict:
    """The Secret the pod reads its external PostgreSQL settings from (`password` may be an Output). The URL and
    user are no secrets, but kept beside the password so the three travel together and none is an env literal."""
    values = dict(zip((key for _, key in DATABASE_ENV), (url, user, password)))
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata(spec, spec.database_secret_name),
            "type": "Opaque", "stringData": values}


def _secret_env(name: str, secret: str, key: str) -> dict:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def data_claim(spec: NexusSpec) -> dict:
    claim = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": spec.storage_size}}}
    if spec.storage_class:
        claim["storageClassName"] = spec.storage_class
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": metadata(spec, spec.claim_name), "spec": claim}


def _data_volume(spec: NexusSpec) -> dict:
    if spec.host_path:
        return {"name": "data", "hostPath": {"path": spec.host_path, "type": "DirectoryOrCreate"}}
    return {"name": "data", "persistentVolumeClaim": {"claimName": spec.claim_name}}


def _probe(path: str, *, period: int, failures: int, timeout: int = 5) -> dict:
    return {"httpGet": {"path": path, "port": "web"}, "periodSeconds": period,
            "failureThreshold": failures, "timeoutSeconds": timeout}


def _chown_init_container(spec: NexusSpec) -> dict:
    """A host directory is not covered by fsGroup: hand it to uid 200 once, as the original how-to's
    `chown -R 200` did by hand (skipped when the top directory already belongs to 200)."""
    script = (f'[ "$(stat -c %u {DATA_DIR})" = "{NEXUS_UID}" ] || '
              f"chown -R {NEXUS_UID}:{NEXUS_UID} {DATA_DIR}")
    return {"name": "chown-data", "image": spec.image, "command": ["sh", "-c", script],
            "securityContext": {"runAsUser": 0, "runAsNonRoot": False, "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"], "add": ["CHOWN", "DAC_OVERRIDE", "FOWNER"]}},
            "volumeMounts": [{"name": "data", "mountPath": DATA_DIR}],
            "resources": {"requests": {"cpu": "50m", "memory": "32Mi"},
                          "limits": {"cpu": "500m", "memory": "128Mi"}}}


def nexus_container(spec: NexusSpec) -> dict:
    return {
        "name": "nexus",
        "image": spec.image,
        # The data check (data_check.py) runs first and execs the image's start command; a refusal is the
        # container's termination message, which pulumi up prints (it does not read init containers').
        "command": data_check.command(),
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "ports": [{"name": "web", "containerPort": WEB_PORT},
                  {"name": "docker-hosted", "containerPort": spec.hosted_port},
                  {"name": "docker-group", "containerPort": spec.group_port}],
        "env": [
            {"name": "INSTALL4J_ADD_VM_PARAMS", "value": spec.jvm_options},
            # Read by Nexus >= 3.76 on first start only; never a literal in the pod spec.
            _secret_env("NEXUS_SECURITY_INITIAL_PASSWORD", spec.secret_name, PASSWORD_KEY),
            {"name": "NEXUS_SECURITY_RANDOMPASSWORD", "value": "false"},
            *data_check.env(spec.image, DATA_DIR),
            *(_secret_env(env, spec.database_secret_name, key) for env, key in DATABASE_ENV
              if spec.external_database),
        ],
        "resources": {"requests": {"cpu": spec.cpu, "memory": spec.memory},
                      "limits": {"cpu": spec.cpu_limit, "memory": spec.memory}},
        # Nexus takes 2-3 minutes to start (longer on a first start with a migration): allow 15.
        "startupProbe": _probe(STATUS_PATH, period=10, failures=90),
        "readinessProbe": _probe(WRITABLE_PATH, period=15, failures=4),
        "livenessProbe": _probe(STATUS_PATH, period=30, failures=6, timeout=10),
        "volumeMounts": [{"name": "data", "mountPath": DATA_DIR}, {"name": "tmp", "mountPath": TMP_DIR}],
        # Read-only root: Nexus writes to /nexus-data (its karaf.data, java.io.tmpdir and logs) and the JVM
        # to /tmp, as in the stevehipwell/nexus3 chart that runs 3.95 this way.
        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
    }


def accepted_findings(spec: NexusSpec) -> dict[str, str]:
    """checkov findings this Deployment declares as accepted, each with its reason."""
    reasons = {
        "CKV_K8S_40": f"the sonatype/nexus3 image runs as uid {NEXUS_UID}, which owns {DATA_DIR} and the data of "
                      "existing installs (another uid would lose access to them); with hostPath the one-shot "
                      "chown init container runs as root to hand the directory over",
        "CKV_K8S_35": "Nexus takes its first admin password only from the NEXUS_SECURITY_INITIAL_PASSWORD "
                      "environment variable (System.getenv in StaticSecurityConfigurationSource); the value "
                      "comes from a Secret by secretKeyRef and is never a literal",
        **image_skips(spec.image, "nexusImage"),
        **skips(spec.network_policy),
    }
    if spec.host_path:
        reasons["CKV_K8S_25"] = ("the one-shot init container hands the hostPath data directory to uid "
                                 f"{NEXUS_UID} (fsGroup does not apply to hostPath) and needs CHOWN, "
                                 "DAC_OVERRIDE and FOWNER for it; Nexus itself drops ALL")
    return reasons


def deployment(spec: NexusSpec) -> dict:
    pod = {
        "securityContext": {"runAsUser": NEXUS_UID, "runAsGroup": NEXUS_UID, "fsGroup": NEXUS_UID,
                            "fsGroupChangePolicy": "OnRootMismatch",
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "terminationGracePeriodSeconds": 120,
        "automountServiceAccountToken": False,  # Nexus never calls the Kubernetes API
        "containers": [nexus_container(spec)],
        "volumes": [_data_volume(spec), {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}],
    }
    if spec.host_path:
        pod["initContainers"] = [_chown_init_container(spec)]
    if spec.node_name:
        pod["nodeSelector"] = {"kubernetes.io/hostname": spec.node_name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": metadata(spec, spec.name, checkov_skips(accepted_findings(spec))),
        "spec": {
            "replicas": 1,  # one embedded-database instance; a second pod would corrupt it
            "strategy": {"type": "Recreate"},  # the RWO volume and the DB lock forbid overlap
            "selector": {"matchLabels": spec.labels},
            "template": {"metadata": {"labels": spec.labels}, "spec": pod},
        },
    }


def network_policy(spec: NexusSpec) -> Optional[dict]:
    """Nexus' ports answer only the gateway pods; Nexus connects only to DNS and the proxy remote. With
    monitoring, the web port also answers any pod of the cluster: Prometheus' namespace and labels differ per
    installation, and the same port is public through the gateway's web port anyway."""
    if not spec.network_policy:
        return None
    ingress = [{"from": [pods(spec.client_labels)], "ports": tcp(spec.ports)}]
    if spec.metrics_scrape:
        ingress.append({"from": [{"namespaceSelector": {}}], "ports": tcp([WEB_PORT])})
    return _network_policy(spec, spec.name, ingress=ingress,
                           egress=[DNS_EGRESS, {"ports": tcp(spec.egress_ports)}])


def service(spec: NexusSpec) -> dict:
    ports = [{"name": "web", "port": WEB_PORT, "targetPort": "web"},
             {"name": "docker-hosted", "port": spec.hosted_port, "targetPort": "docker-hosted"},
             {"name": "docker-group", "port": spec.group_port, "targetPort": "docker-group"}]
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(spec, spec.name),
            "spec": {"type": "ClusterIP", "selector": spec.labels, "ports": ports}}
