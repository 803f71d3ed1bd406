"""The Kubernetes objects a stack registers, as plain manifests, for the outside judges
(kubernetes-validate, checkov). Variants cover dev, prod, a "maximal" stack with every optional feature
on, and the switches that change which objects exist."""
from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.stack import run_program

DIGEST = "@sha256:" + "5" * 64   # never pulled: only the shape of a digest pin matters to the scanners
# every optional feature on: push port, 3 gateways, images pinned by digest, CA on docker hosts and on
# the nodes, pull Secrets, push and pull users, the smoke check, anonymous pull, the EULA, one blob store
# with a soft quota, hosted cleanup, Docker Hub credentials, the modern TLS profile, search on the group,
# DNS SANs, NetworkPolicies (the default), on prod's host directory
MAXIMAL = {"pushPort": 10002, "gatewayReplicas": 3, "dnsNames": ["registry.example.com"],
           "nexusImage": f"sonatype/nexus3:3.94.0{DIGEST}", "nginxImage": f"nginx:1.28.0-alpine{DIGEST}",
           "dockerHosts": ["root@192.168.129.50", "deploy@192.168.129.51:2222"], "smoke": True,
           "anonymousPull": True, "acceptEula": True, "sharedBlobStore": True, "blobStoreSoftQuota": "80Gi",
           "hostedCleanupDays": 90, "dockerHubUsername": "mirror-bot", "tlsProfile": "modern",
           "certValidityHours": 2160, "searchTarget": "group", "pushUsers": ["ci"], "pullUsers": ["cluster"],
           "pullSecretNamespaces": ["team-a", "nexus"], "trustOnNodes": True, "gatewayDrainSeconds": 900,
           "monitoring": True, "prometheusOperator": True, "monitoringLabels": ["release=kube-prometheus-stack"],
           "gatewayExporterImage": f"ghcr.io/google/mtail:3.0.8{DIGEST}"}
SECRETS = {"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----", "dockerHubToken": "dckr_pat_test"}
# issue 18: blob stores in a MinIO bucket with keys, Nexus' database on an external PostgreSQL
SCALE = {"blobStoreType": "s3", "s3Bucket": "nexus-blobs", "s3Region": "us-east-1",
         "s3Endpoint": "http://minio.minio.svc:9000", "s3ForcePathStyle": True, "s3Prefix": "registry",
         "s3AccessKeyId": "nexus", "databaseUrl": "jdbc:postgresql://postgres.db.svc:5432/nexus?sslmode=require",
         "databaseUser": "nexus", "blobStoreSoftQuota": "500Gi"}
SCALE_SECRETS = {"s3SecretAccessKey": "minio-secret-key-1", "databasePassword": "pg-password-1"}
# (stack, overrides, secrets)
VARIANTS: dict[str, tuple[str, dict, dict]] = {
    "dev": ("dev", {}, {}),
    "prod": ("prod", {}, {}),
    "maximal": ("prod", MAXIMAL, SECRETS),
    "maximal-no-network-policies": ("prod", {**MAXIMAL, "networkPolicies": False}, SECRETS),
    "dev-loadbalancer-push-port": ("dev", {"serviceType": "LoadBalancer", "registryPort": 443, "webPort": 80,
                                           "pushPort": 5443}, {}),
    "dev-storage-class-no-retain": ("dev", {"storageClass": "fast-ssd", "retainData": False,
                                            "createNamespace": False}, {}),
    # monitoring without the Prometheus Operator, on a volume (its stats) with a free-space soft quota
    "dev-monitoring-configmap": ("dev", {"monitoring": True, "blobStoreSoftQuota": "2Gi free"}, {}),
    "prod-cluster-pull": ("prod", {"pullSecretNamespaces": ["team-a", "nexus"], "trustOnNodes": True,
                                   "pullUsers": ["cluster-pull"], "pushPort": 10002}, {}),
    "dev-s3-postgresql": ("dev", SCALE, SCALE_SECRETS),
}


def _ints(value):
    """The mock monitor turns every number into a float; Kubernetes integers must be ints again."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def manifests(variant: str) -> list[dict]:
    """Every Kubernetes object the variant registers, as the manifest Kubernetes would receive."""
    stack, overrides, secrets = VARIANTS[variant]
    return [_ints(obj.plain) for obj in run_program(stack, overrides, secrets).kubernetes_objects()]


def write_manifests(objects: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return path
