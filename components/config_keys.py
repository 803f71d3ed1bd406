"""The stack config keys: name, type, default and secretness, as Pulumi.yaml declares them (kept in sync by
tests/config/test_project_files.py; each key's rule lives in config.py's `parse_settings`)."""
from __future__ import annotations

from dataclasses import dataclass

PROJECT = "nexus-registry"


@dataclass(frozen=True)
class KeySpec:
    """One stack config key as Pulumi.yaml declares it (kept in sync by tests/config/test_project_files.py)."""
    name: str
    type: str                       # string | integer | boolean | array
    default: object = None          # None: required
    secret: bool = False


KEYS: tuple[KeySpec, ...] = (
    KeySpec("namespace", "string", "nexus"),
    KeySpec("createNamespace", "boolean", True),
    KeySpec("networkPolicies", "boolean", True),
    KeySpec("nexusImage", "string", "sonatype/nexus3:3.94.0"),
    KeySpec("nexusHeap", "string", "2g"),
    KeySpec("nexusMemory", "string", "6Gi"),
    KeySpec("nexusCpu", "string", "1"),
    KeySpec("nexusCpuLimit", "string", "4"),
    KeySpec("storageSize", "string", "50Gi"),
    KeySpec("storageClass", "string", ""),
    KeySpec("hostPath", "string", ""),
    KeySpec("nexusNodeName", "string", ""),
    KeySpec("retainData", "boolean", True),
    KeySpec("adminPassword", "string", None, secret=True),
    KeySpec("publicIps", "array", []),
    KeySpec("dnsNames", "array", []),
    KeySpec("serviceType", "string", "NodePort"),
    KeySpec("nodePortRange", "string", "30000-32767"),
    KeySpec("registryPort", "integer", 30443),
    KeySpec("webPort", "integer", 30081),
    KeySpec("pushPort", "integer", 0),
    KeySpec("certValidityHours", "integer", 8760),
    KeySpec("certEarlyRenewalHours", "integer", 720),
    KeySpec("caValidityHours", "integer", 87600),
    KeySpec("tlsProfile", "string", "intermediate"),
    KeySpec("tlsCertificate", "string", ""),
    # Secret by rule, like sshPrivateKey (a default rules out `secret: true`).
    KeySpec("tlsPrivateKey", "string", ""),
    KeySpec("tlsCaCertificate", "string", ""),
    KeySpec("hostedRepo", "string", "docker-hosted"),
    KeySpec("hostedPort", "integer", 9897),
    KeySpec("groupRepo", "string", "docker-group"),
    KeySpec("groupPort", "integer", 9896),
    KeySpec("searchTarget", "string", "hosted"),
    KeySpec("proxyRepo", "string", "docker-proxy"),
    KeySpec("proxyRemoteUrl", "string", "https://registry-1.docker.io"),
    KeySpec("dockerHubUsername", "string", ""),
    # Secret by rule, like sshPrivateKey (a default rules out `secret: true`).
    KeySpec("dockerHubToken", "string", ""),
    KeySpec("proxyNegativeCacheMinutes", "integer", 5),
    KeySpec("sharedBlobStore", "boolean", False),
    KeySpec("anonymousPull", "boolean", False),
    KeySpec("acceptEula", "boolean", False),
    KeySpec("adoptExisting", "boolean", False),
    KeySpec("nexusUrl", "string", ""),
    KeySpec("proxyCleanupDays", "integer", 30),
    KeySpec("hostedCleanupDays", "integer", 0),
    KeySpec("housekeeping", "boolean", True),
    KeySpec("housekeepingCron", "string", "0 0 2 ? * SUN"),
    KeySpec("blobStoreSoftQuota", "string", ""),
    # Issue 18: blob stores on S3 and an external PostgreSQL (components/config_scale.py).
    KeySpec("blobStoreType", "string", "file"),
    KeySpec("s3Bucket", "string", ""),
    KeySpec("s3Region", "string", ""),
    KeySpec("s3Endpoint", "string", ""),
    KeySpec("s3ForcePathStyle", "boolean", False),
    KeySpec("s3Prefix", "string", ""),
    KeySpec("s3AccessKeyId", "string", ""),
    KeySpec("s3SecretAccessKey", "string", ""),          # secret by rule
    KeySpec("databaseUrl", "string", ""),
    KeySpec("databaseUser", "string", ""),
    KeySpec("databasePassword", "string", ""),           # secret by rule
    KeySpec("nginxImage", "string", "nginx:1.28.0-alpine"),
    KeySpec("gatewayReplicas", "integer", 1),
    KeySpec("gatewayDrainSeconds", "integer", 300),
    KeySpec("dockerHosts", "array", []),
    # Secret by rule, checked at run time: Pulumi refuses a `secret: true` key that has a default.
    KeySpec("sshPrivateKey", "string", ""),
    KeySpec("pullSecretNamespaces", "array", []),
    KeySpec("pullSecretName", "string", "registry-pull"),
    KeySpec("trustOnNodes", "boolean", False),
    KeySpec("smoke", "boolean", False),
    KeySpec("pushUsers", "array", []),
    KeySpec("pullUsers", "array", []),
    KeySpec("credentialsRotation", "string", "1"),
    KeySpec("mirrors", "array", ["docker.io"]),
    # Secret by rule, like dockerHubToken: a JSON object of logins per mirrored upstream.
    KeySpec("mirrorCredentials", "string", ""),
    KeySpec("mirrorOnNodes", "boolean", False),
    KeySpec("monitoring", "boolean", False),
    KeySpec("prometheusOperator", "boolean", False),
    KeySpec("componentLimit", "integer", 40000),
    KeySpec("requestLimit", "integer", 100000),
    KeySpec("gatewayExporterImage", "string", "ghcr.io/google/mtail:3.0.8"),
    KeySpec("monitoringLabels", "array", []),
)
KEYS_BY_NAME = {k.name: k for k in KEYS}
SECRET_BY_RULE = ("adminPassword", "sshPrivateKey", "dockerHubToken", "mirrorCredentials", "tlsPrivateKey",
                  "s3SecretAccessKey", "databasePassword")
