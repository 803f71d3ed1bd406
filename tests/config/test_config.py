"""Every validation rule of the stack settings: the bad value in, the exact key named in the error out,
and nothing registered (the program fails before its first resource)."""
from __future__ import annotations

import pytest

from components.config import SettingsError, parse_settings
from components.config_keys import KEYS
from tests.support.stack import TEST_PASSWORD, run_program, stack_config

S3 = {"blobStoreType": "s3", "s3Bucket": "nexus-blobs", "s3Region": "eu-west-1"}
PG = {"databaseUrl": "jdbc:postgresql://postgres.db.svc:5432/nexus", "databaseUser": "nexus"}
PG_SECRET = {"databasePassword": "pg-password-1"}
# (id, stack overrides, secret overrides, the key the error must name, a fragment of the reason)
RULES = [
    ("namespace-dns-label", {"namespace": "Nexus_NS"}, {}, "namespace", "DNS-1123"),
    ("image-unpinned", {"nexusImage": "sonatype/nexus3"}, {}, "nexusImage", "pinned"),
    ("image-latest", {"nexusImage": "sonatype/nexus3:latest"}, {}, "nexusImage", "latest"),
    ("image-too-old", {"nexusImage": "sonatype/nexus3:3.70.1"}, {}, "nexusImage", "3.76"),
    ("heap-format", {"nexusHeap": "2GB"}, {}, "nexusHeap", "JVM size"),
    ("memory-quantity", {"nexusMemory": "lots"}, {}, "nexusMemory", "quantity"),
    ("memory-below-heap", {"nexusHeap": "4g", "nexusMemory": "6Gi"}, {}, "nexusMemory", "twice"),
    ("cpu-quantity", {"nexusCpu": "one"}, {}, "nexusCpu", "quantity"),
    ("storage-quantity", {"storageSize": "10 GB"}, {}, "storageSize", "quantity"),
    ("storage-zero", {"storageSize": "0Gi"}, {}, "storageSize", "greater than zero"),
    ("storage-class", {"storageClass": "Fast SSD"}, {}, "storageClass", "StorageClass"),
    ("host-path-relative", {"hostPath": "nexus-data"}, {}, "hostPath", "absolute"),
    ("host-path-needs-node", {"hostPath": "/srv/nexus", "nexusNodeName": ""}, {}, "nexusNodeName", "hostPath"),
    ("node-name-label", {"nexusNodeName": "worker 1"}, {}, "nexusNodeName", "kubernetes.io/hostname label value"),
    ("password-missing", {}, {"adminPassword": None}, "adminPassword", "required"),
    ("password-empty", {}, {"adminPassword": "  "}, "adminPassword", "empty"),
    ("password-default", {}, {"adminPassword": "admin123"}, "adminPassword", "default password"),
    ("password-plaintext", {"adminPassword": "plain-Text-1"}, {"adminPassword": None}, "adminPassword", "--secret"),
    ("ip-invalid", {"publicIps": ["192.168.129.300"]}, {}, "publicIps", "IP address"),
    ("no-address", {"publicIps": [], "dnsNames": []}, {}, "publicIps", "publicIps"),
    ("dns-invalid", {"dnsNames": ["bad_name!"]}, {}, "dnsNames", "DNS name"),
    ("service-type", {"serviceType": "Ingress"}, {}, "serviceType", "NodePort or LoadBalancer"),
    ("node-port-range", {"nodePortRange": "30000"}, {}, "nodePortRange", "range"),
    ("port-out-of-range", {"serviceType": "LoadBalancer", "webPort": 70000}, {}, "webPort", "65535"),
    ("registry-port-outside-nodeports", {"registryPort": 8443}, {}, "registryPort", "nodePortRange"),
    ("push-port-negative", {"pushPort": -1}, {}, "pushPort", "0 (off)"),
    ("client-ports-equal", {"webPort": 30443}, {}, "webPort", "same port as registryPort"),
    ("push-port-equal", {"pushPort": 30081}, {}, "pushPort", "same port as webPort"),
    ("connector-port-jetty", {"hostedPort": 8081}, {}, "hostedPort", "Nexus' own web port"),
    ("connector-ports-equal", {"groupPort": 9897}, {}, "groupPort", "same port as hostedPort"),
    ("repo-name-pattern", {"hostedRepo": "_docker"}, {}, "hostedRepo", "name pattern"),
    ("repo-names-equal", {"proxyRepo": "Docker-Group"}, {}, "proxyRepo", "repository name"),
    ("proxy-url", {"proxyRemoteUrl": "registry-1.docker.io"}, {}, "proxyRemoteUrl", "URL"),
    ("nexus-url", {"nexusUrl": "localhost:8081"}, {}, "nexusUrl", "URL"),
    ("cert-validity", {"certValidityHours": 0}, {}, "certValidityHours", "greater than zero"),
    ("cert-renewal", {"certEarlyRenewalHours": 9000}, {}, "certEarlyRenewalHours", "certValidityHours"),
    ("ca-validity", {"caValidityHours": 100}, {}, "caValidityHours", "at least certValidityHours"),
    ("tls-profile", {"tlsProfile": "old"}, {}, "tlsProfile", "one of intermediate, modern"),
    ("cert-lifespan-intermediate", {"certValidityHours": 9000}, {}, "certValidityHours", "(366 days)"),
    ("cert-lifespan-modern", {"tlsProfile": "modern"}, {}, "certValidityHours", "(90 days) with tlsProfile=modern"),
    ("search-target", {"searchTarget": "proxy"}, {}, "searchTarget", "hosted or group"),
    ("nginx-image", {"nginxImage": "nginx"}, {}, "nginxImage", "pinned"),
    ("gateway-replicas", {"gatewayReplicas": 0}, {}, "gatewayReplicas", "greater than zero"),
    ("gateway-drain-too-short", {"gatewayDrainSeconds": 29}, {}, "gatewayDrainSeconds", "between 30 and 86400"),
    ("gateway-drain-too-long", {"gatewayDrainSeconds": 86401}, {}, "gatewayDrainSeconds", "between 30 and 86400"),
    ("docker-host-format", {"dockerHosts": ["192.168.129.50"]}, {"sshPrivateKey": "KEY"}, "dockerHosts", "user@host"),
    ("docker-host-needs-key", {"dockerHosts": ["root@192.168.129.50"]}, {}, "sshPrivateKey", "dockerHosts"),
    ("ssh-key-plaintext", {"dockerHosts": ["root@192.168.129.50"], "sshPrivateKey": "KEY"}, {}, "sshPrivateKey",
     "--secret"),
    ("push-user-pattern", {"pushUsers": ["_ci"]}, {}, "pushUsers", "user id pattern"),
    ("push-user-too-long", {"pushUsers": ["c" * 201]}, {}, "pushUsers", "at most 200 characters"),
    ("pull-user-builtin", {"pullUsers": ["Admin"]}, {}, "pullUsers", "built-in user"),
    ("pull-user-twice", {"pullUsers": ["node", "Node"]}, {}, "pullUsers", "listed twice"),
    ("user-push-and-pull", {"pushUsers": ["ci"], "pullUsers": ["CI"]}, {}, "pullUsers",
     "in both pushUsers and pullUsers"),
    ("rotation-empty", {"credentialsRotation": ""}, {}, "credentialsRotation", "non-empty"),
    ("rotation-spaces", {"credentialsRotation": " 2 "}, {}, "credentialsRotation", "spaces"),
    ("privilege-repo-case", {"pullUsers": ["node"], "groupRepo": "Docker-Group"}, {}, "groupRepo", "lowercase"),
    ("pull-namespace-dns-label", {"pullSecretNamespaces": ["team-a", "Team_B"]}, {}, "pullSecretNamespaces",
     "DNS-1123 label"),
    ("pull-namespace-twice", {"pullSecretNamespaces": ["team-a", "nexus", "team-a"]}, {}, "pullSecretNamespaces",
     "listed twice"),
    ("pull-secret-name", {"pullSecretName": "Registry_Pull"}, {}, "pullSecretName", "DNS-1123 subdomain"),
    ("pull-secrets-need-a-pull-user", {"pullSecretNamespaces": ["apps"], "pushUsers": ["ci"]}, {},
     "pullSecretNamespaces", "needs a pull-only user"),
    ("pull-secret-name-empty", {"pullSecretName": ""}, {}, "pullSecretName", "DNS-1123 subdomain"),
    # issue 9: Docker Hub credentials, negative cache, cleanup, tasks, soft quota
    ("docker-hub-token-plaintext", {"dockerHubUsername": "team", "dockerHubToken": "dckr_pat_x"}, {},
     "dockerHubToken", "--secret"),
    ("docker-hub-token-needs-user", {}, {"dockerHubToken": "dckr_pat_x"}, "dockerHubUsername",
     "required with dockerHubToken"),
    ("docker-hub-user-needs-token", {"dockerHubUsername": "team"}, {}, "dockerHubToken",
     "required with dockerHubUsername"),
    ("docker-hub-user-email", {"dockerHubUsername": "me@example.com"}, {"dockerHubToken": "dckr_pat_x"},
     "dockerHubUsername", "not an e-mail"),
    ("docker-hub-user-pattern", {"dockerHubUsername": "Team Name"}, {"dockerHubToken": "dckr_pat_x"},
     "dockerHubUsername", "Docker ID"),
    ("docker-hub-token-whitespace", {"dockerHubUsername": "team"}, {"dockerHubToken": "dckr_pat_x\n"},
     "dockerHubToken", "whitespace"),
    ("negative-cache-range", {"proxyNegativeCacheMinutes": -1}, {}, "proxyNegativeCacheMinutes", "0 (off)"),
    ("proxy-cleanup-range", {"proxyCleanupDays": -5}, {}, "proxyCleanupDays", "between 0 (off) and 3650"),
    ("hosted-cleanup-range", {"hostedCleanupDays": 5000}, {}, "hostedCleanupDays", "between 0 (off) and 3650"),
    ("cron-field-count", {"housekeepingCron": "0 2 * * *"}, {}, "housekeepingCron", "6 or 7"),
    ("cron-both-days", {"housekeepingCron": "0 0 2 * * SUN"}, {}, "housekeepingCron", "exactly one"),
    ("cron-value-range", {"housekeepingCron": "0 0 25 ? * SUN"}, {}, "housekeepingCron", "outside 0-23"),
    ("cron-name", {"housekeepingCron": "0 0 2 ? * SUNDAY"}, {}, "housekeepingCron", "SUN/MON"),
    ("cron-too-often", {"housekeepingCron": "0 */5 * ? * *"}, {}, "housekeepingCron", "at most once an hour"),
    ("quota-unitless", {"blobStoreSoftQuota": "80"}, {}, "blobStoreSoftQuota", "needs a unit"),
    ("quota-form", {"blobStoreSoftQuota": "80GB"}, {}, "blobStoreSoftQuota", "must be one of"),
    ("quota-suffix", {"blobStoreSoftQuota": "2Gi left"}, {}, "blobStoreSoftQuota", "must be one of"),
    ("quota-percent-range", {"blobStoreSoftQuota": "100% free"}, {}, "blobStoreSoftQuota", "between 0 and 100"),
    ("quota-zero", {"blobStoreSoftQuota": "0Gi"}, {}, "blobStoreSoftQuota", "greater than zero"),
    ("quota-over-storage", {"blobStoreSoftQuota": "60Gi"}, {}, "blobStoreSoftQuota", "below storageSize"),
    # issue 17: mirrored upstreams and their logins
    ("mirror-scheme", {"mirrors": ["docker.io", "https://ghcr.io"]}, {}, "mirrors", "without a scheme"),
    ("mirror-path", {"mirrors": ["ghcr.io/team"]}, {}, "mirrors", "registry host name"),
    ("mirror-twice", {"mirrors": ["ghcr.io", "quay.io", "ghcr.io"]}, {}, "mirrors", "listed twice"),
    ("mirror-name-taken", {"mirrors": ["ghcr.io"], "hostedRepo": "docker-proxy-ghcr-io"}, {}, "mirrors",
     "hostedRepo already uses"),
    ("mirror-names-collide", {"mirrors": ["a-b.example", "a.b.example"]}, {}, "mirrors",
     "the proxy of mirrors entry 'a-b.example'"),
    ("mirror-credentials-plaintext", {"mirrors": ["ghcr.io"],
                                      "mirrorCredentials": '{"ghcr.io": {"username": "u", "password": "p"}}'}, {},
     "mirrorCredentials", "--secret"),
    ("mirror-credentials-json", {"mirrors": ["ghcr.io"]}, {"mirrorCredentials": "ghcr.io=u:p"}, "mirrorCredentials",
     "JSON object"),
    ("mirror-credentials-unlisted", {"mirrors": ["docker.io"]},
     {"mirrorCredentials": '{"quay.io": {"username": "u", "password": "p"}}'}, "mirrorCredentials",
     "entry 'quay.io': is not listed in mirrors"),
    ("mirror-credentials-docker-hub", {}, {"mirrorCredentials": '{"docker.io": {"username": "u", "password": "p"}}'},
     "mirrorCredentials", "dockerHubUsername and dockerHubToken"),
    ("mirror-credentials-fields", {"mirrors": ["ghcr.io"]}, {"mirrorCredentials": '{"ghcr.io": {"user": "u"}}'},
     "mirrorCredentials", "entry 'ghcr.io': must be an object with exactly username and password"),
    ("mirror-credentials-whitespace", {"mirrors": ["ghcr.io"]},
     {"mirrorCredentials": '{"ghcr.io": {"username": "u", "password": "ghp_x\\n"}}'}, "mirrorCredentials",
     "whitespace"),
    ("quota-percent-needs-storage", {"storageSize": "lots", "blobStoreSoftQuota": "10% free"}, {},
     "blobStoreSoftQuota", "valid storageSize"),
    # issue 18: blob stores on S3, an external PostgreSQL (components/config_scale.py)
    ("blob-store-type", {"blobStoreType": "gcs"}, {}, "blobStoreType", "must be file or s3"),
    ("s3-bucket-missing", {"blobStoreType": "s3", "s3Region": "eu-west-1"}, {}, "s3Bucket", "required with blobStoreType=s3"),
    ("s3-region-missing", {**S3, "s3Region": ""}, {}, "s3Region", "required with blobStoreType=s3"),
    ("s3-region-format", {**S3, "s3Region": "eu west 1"}, {}, "s3Region", "region name"),
    ("s3-bucket-name", {**S3, "s3Bucket": "Nexus_Blobs"}, {}, "s3Bucket", "S3 bucket name"),
    ("s3-bucket-ip", {**S3, "s3Bucket": "192.168.1.10"}, {}, "s3Bucket", "not an IP address"),
    ("s3-bucket-without-s3", {"s3Bucket": "nexus-blobs"}, {}, "s3Bucket", "only used with blobStoreType=s3"),
    ("s3-host-path", {**S3, "hostPath": "/srv/nexus", "nexusNodeName": "node-1"}, {}, "hostPath",
     "must be empty with blobStoreType=s3"),
    ("s3-quota-percent", {**S3, "blobStoreSoftQuota": "80%"}, {}, "blobStoreSoftQuota", "with blobStoreType=s3"),
    ("s3-quota-free", {**S3, "blobStoreSoftQuota": "20Gi free"}, {}, "blobStoreSoftQuota", "never warns"),
    ("s3-endpoint-url", {**S3, "s3Endpoint": "minio.minio.svc:9000"}, {}, "s3Endpoint", "http:// or https://"),
    ("s3-endpoint-path", {**S3, "s3Endpoint": "http://minio:9000/bucket"}, {}, "s3Endpoint", "no path"),
    ("s3-force-path-style-without-s3", {"s3ForcePathStyle": True}, {}, "s3ForcePathStyle",
     "only used with blobStoreType=s3"),
    ("s3-prefix-spaces", {**S3, "s3Prefix": "my registry"}, {}, "s3Prefix", "without spaces"),
    ("s3-access-key-format", {**S3, "s3AccessKeyId": "AKIA 123"}, {"s3SecretAccessKey": "k"}, "s3AccessKeyId",
     "access key id"),
    ("s3-access-key-needs-secret", {**S3, "s3AccessKeyId": "nexus"}, {}, "s3SecretAccessKey",
     "required with s3AccessKeyId"),
    ("s3-secret-plaintext", {**S3, "s3AccessKeyId": "nexus", "s3SecretAccessKey": "abc123"}, {}, "s3SecretAccessKey",
     "--secret"),
    ("s3-secret-needs-key", S3, {"s3SecretAccessKey": "abc123"}, "s3AccessKeyId", "required with s3SecretAccessKey"),
    ("database-url-scheme", {**PG, "databaseUrl": "postgresql://pg:5432/nexus"}, PG_SECRET, "databaseUrl",
     "jdbc:postgresql://"),
    ("database-url-no-database", {**PG, "databaseUrl": "jdbc:postgresql://pg:5432/"}, PG_SECRET, "databaseUrl",
     "names no database"),
    ("database-url-port", {**PG, "databaseUrl": "jdbc:postgresql://pg:70000/nexus"}, PG_SECRET, "databaseUrl",
     "outside 1-65535"),
    ("database-url-password", {**PG, "databaseUrl": "jdbc:postgresql://pg/nexus?password=hunter2"}, PG_SECRET,
     "databaseUrl", "password=****"),
    ("database-url-needed", {"databaseUser": "nexus"}, {}, "databaseUrl", "required with databaseUser"),
    ("database-user-missing", {**PG, "databaseUser": ""}, PG_SECRET, "databaseUser", "required with databaseUrl"),
    ("database-user-format", {**PG, "databaseUser": "nexus user"}, PG_SECRET, "databaseUser", "role name"),
    ("database-password-missing", PG, {}, "databasePassword", "required with databaseUrl"),
    ("database-password-plaintext", {**PG, "databasePassword": "pw"}, {}, "databasePassword", "--secret"),
    ("database-old-nexus", {**PG, "nexusImage": "sonatype/nexus3:3.76.1"}, PG_SECRET, "nexusImage", "3.77"),
    ("cpu-limit-zero", {"nexusCpuLimit": "0"}, {}, "nexusCpuLimit", "greater than zero"),
    ("quota-percent-with-host-path", {"hostPath": "/srv/nexus", "blobStoreSoftQuota": "10% free"}, {},
     "blobStoreSoftQuota", "with hostPath there is none"),
    # issue 17: mirrored upstreams and the nodes' hosts.toml
    ("mirrors-scheme", {"mirrors": ["docker.io", "https://ghcr.io"]}, {}, "mirrors", "without a scheme"),
    ("mirrors-path", {"mirrors": ["ghcr.io/org"]}, {}, "mirrors", "registry host name"),
    ("mirrors-twice", {"mirrors": ["ghcr.io", "quay.io", "ghcr.io"]}, {}, "mirrors", "listed twice"),
    ("mirrors-itself", {"publicIps": ["10.0.0.5"], "mirrors": ["docker.io", "10.0.0.5:30443"]}, {}, "mirrors",
     "this registry's own address"),
    ("mirror-on-nodes-needs-trust", {"mirrorOnNodes": True, "trustOnNodes": False}, {}, "mirrorOnNodes",
     "needs trustOnNodes"),
    ("cpu-limit-below-request", {"nexusCpu": "1500m", "nexusCpuLimit": "1"}, {}, "nexusCpuLimit",
     "at least nexusCpu=1500m"),
    # tlsCertificate/tlsPrivateKey/tlsCaCertificate with real certificates: tests/config/test_own_certificate.py
    ("tls-cert-not-pem", {"tlsCertificate": "domain.crt"}, {"tlsPrivateKey": "x"}, "tlsCertificate", "PEM certificate"),
    ("tls-cert-needs-key", {"tlsCertificate": "-----BEGIN CERTIFICATE-----"}, {}, "tlsPrivateKey",
     "required with tlsCertificate"),
    ("tls-key-plaintext", {"tlsPrivateKey": "-----BEGIN PRIVATE KEY-----"}, {}, "tlsPrivateKey", "--secret"),
    ("tls-ca-alone", {"tlsCaCertificate": "-----BEGIN CERTIFICATE-----"}, {}, "tlsCaCertificate",
     "only with tlsCertificate"),
    # issue 18: monitoring
    ("request-limit-negative", {"monitoring": True, "requestLimit": -1}, {}, "requestLimit", "greater than zero"),
    ("component-limit-zero", {"monitoring": True, "componentLimit": 0}, {}, "componentLimit", "greater than zero"),
    ("exporter-image-latest", {"monitoring": True, "gatewayExporterImage": "ghcr.io/google/mtail:latest"}, {},
     "gatewayExporterImage", "latest"),
    ("monitoring-label-form", {"monitoring": True, "monitoringLabels": ["release"]}, {}, "monitoringLabels",
     "key=value"),
    ("monitoring-label-reserved", {"monitoringLabels": ["app.kubernetes.io/name=x"]}, {}, "monitoringLabels",
     "the stack's own"),
    ("monitoring-label-twice", {"monitoringLabels": ["release=a", "release=b"]}, {}, "monitoringLabels",
     "listed twice"),
    ("operator-needs-monitoring", {"prometheusOperator": True}, {}, "prometheusOperator", "needs monitoring"),
]
# A boolean key's only bad value is one that is not a boolean (the CLI refuses it first; the parser names it too).
BOOLEAN_KEYS = [k.name for k in KEYS if k.type == "boolean"]


@pytest.mark.parametrize("overrides,secrets,key,reason", [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule_names_key_and_value_before_any_resource(overrides, secrets, key, reason):
    with pytest.raises(SettingsError) as caught:
        run_program("dev", overrides, secrets)
    err = caught.value
    assert key in err.keys, str(err)
    line = next(str(p) for p in err.problems if p.key == key)
    assert line.startswith(f"nexus-registry:{key} = ")
    assert reason in line, line
    assert err.program_run.resources == [], "a resource was registered before validation failed"


def test_secret_values_are_masked_in_errors():
    with pytest.raises(SettingsError) as caught:
        parse_settings({"adminPassword": "hunter2-but-plaintext", "publicIps": '["10.0.0.1"]'}, set())
    assert "hunter2" not in str(caught.value)
    assert "adminPassword" in str(caught.value)


def test_type_errors_name_the_key():
    with pytest.raises(SettingsError) as caught:
        parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.0.0.1"]', "registryPort": "https",
                        "anonymousPull": "yes"}, {"adminPassword"})
    assert set(caught.value.keys) == {"registryPort", "anonymousPull"}
    assert "'https': must be an integer" in str(caught.value)


def test_all_problems_reported_at_once():
    with pytest.raises(SettingsError) as caught:
        parse_settings({"adminPassword": "admin123", "publicIps": '["nope"]', "hostedRepo": ".x"}, {"adminPassword"})
    assert {"adminPassword", "publicIps", "hostedRepo"} <= set(caught.value.keys)


def test_valid_defaults_parse_to_settings():
    s = parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["192.168.129.112"]'}, {"adminPassword"})
    assert s.registry_address == "192.168.129.112:30443"
    assert (s.hosted.name, s.hosted.port, s.group.name, s.group.port) == ("docker-hosted", 9897, "docker-group", 9896)
    assert s.proxy.remote_url == "https://registry-1.docker.io"
    assert s.retain_data is True and s.push_port is None
    assert "Secret(****)" in repr(s) and TEST_PASSWORD not in repr(s)
    assert s.jvm_options.startswith("-Xms2g -Xmx2g -XX:MaxDirectMemorySize=2g")


def test_docker_hosts_parse_user_host_and_port():
    s = parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]',
                        "dockerHosts": '["rancher@192.168.129.50", "ops@node-2:2222"]', "sshPrivateKey": "KEY"},
                       {"adminPassword", "sshPrivateKey"})
    assert [h.label for h in s.docker_hosts] == ["rancher@192.168.129.50:22", "ops@node-2:2222"]
    assert s.ssh_private_key.reveal() == "KEY"


def test_network_policies_must_be_a_boolean():
    """The CLI refuses a non-boolean for a boolean key; a raw config string that slips through (e.g. an
    environment override) is refused here, naming the key."""
    with pytest.raises(SettingsError) as caught:
        parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.0.0.1"]', "networkPolicies": "enforce"},
                       {"adminPassword"})
    assert caught.value.keys == ["networkPolicies"]
    assert str(caught.value.problems[0]) == "nexus-registry:networkPolicies = 'enforce': must be true or false"


@pytest.mark.parametrize("remote,ports", [("https://registry-1.docker.io", (443,)),
                                          ("http://mirror.internal:5000", (443, 5000)),
                                          ("http://mirror.internal", (80, 443))])
def test_proxy_egress_ports_follow_the_remote(remote, ports):
    settings = parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.0.0.1"]',
                               "proxyRemoteUrl": remote}, {"adminPassword"})
    assert settings.proxy_egress_ports == ports


def test_push_and_pull_users_parse_in_order():
    s = parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]', "pushUsers": '["ci", "release"]',
                        "pullUsers": '["cluster"]', "credentialsRotation": "2026-05"}, {"adminPassword"})
    assert (s.push_users, s.pull_users, s.credentials_rotation) == (("ci", "release"), ("cluster",), "2026-05")
    defaults = parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]'}, {"adminPassword"})
    assert (defaults.push_users, defaults.pull_users, defaults.credentials_rotation) == ((), (), "1")


def test_capitalised_repositories_are_fine_without_accounts():
    s = parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]', "hostedRepo": "Docker-Hosted"},
                       {"adminPassword"})
    assert s.hosted.name == "Docker-Hosted"


def test_tls_profile_and_search_target_parse():
    base = {"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]'}
    s = parse_settings(base, {"adminPassword"})
    assert (s.tls_profile, s.search_target, s.cert_validity_hours) == ("intermediate", "hosted", 8760)
    s = parse_settings({**base, "tlsProfile": "modern", "certValidityHours": "2160", "searchTarget": "group"},
                       {"adminPassword"})
    assert (s.tls_profile, s.search_target, s.cert_validity_hours) == ("modern", "group", 2160)


def test_trust_on_nodes_must_be_a_boolean():
    """The CLI refuses a non-boolean for a boolean key before the program runs; the parser names it too."""
    with pytest.raises(TypeError, match="trustOnNodes"):
        stack_config("dev", {"trustOnNodes": "yes"})
    with pytest.raises(SettingsError) as caught:
        parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.0.0.1"]', "trustOnNodes": "yes"},
                       {"adminPassword"})
    assert caught.value.keys == ["trustOnNodes"]
    assert "nexus-registry:trustOnNodes = 'yes': must be true or false" in str(caught.value)


def test_cluster_pull_keys_parse():
    s = parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]',
                        "pullSecretNamespaces": '["team-a", "nexus"]', "pullSecretName": "nexus.pull",
                        "pullUsers": '["cluster-pull"]',
                        "trustOnNodes": "true"}, {"adminPassword"})
    assert s.pull_secret_namespaces == ("team-a", "nexus")
    assert (s.pull_secret_name, s.trust_on_nodes) == ("nexus.pull", True)
    defaults = parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]'}, {"adminPassword"})
    assert (defaults.pull_secret_namespaces, defaults.pull_secret_name, defaults.trust_on_nodes) == \
        ((), "registry-pull", False)


# ---- issue 9 ----------------------------------------------------------------------------------------------------

BASE = {"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]'}


def test_housekeeping_defaults():
    s = parse_settings(BASE, {"adminPassword"})
    assert s.docker_hub is None and s.proxy_negative_cache_minutes == 5
    h = s.housekeeping
    assert (h.proxy_cleanup_days, h.hosted_cleanup_days, h.tasks, h.cron, h.soft_quota) == \
        (30, 0, True, "0 0 2 ? * SUN", None)


def test_docker_hub_credentials_keep_the_token_secret():
    s = parse_settings({**BASE, "dockerHubUsername": "team-ci", "dockerHubToken": "dckr_pat_s3cr3t"},
                       {"adminPassword", "dockerHubToken"})
    assert s.docker_hub.username == "team-ci" and s.docker_hub.token.reveal() == "dckr_pat_s3cr3t"
    assert "dckr_pat_s3cr3t" not in repr(s)


def test_a_bad_token_is_never_echoed_in_the_error():
    with pytest.raises(SettingsError) as caught:
        parse_settings({**BASE, "dockerHubUsername": "team", "dockerHubToken": "dckr_pat_leak me"},
                       {"adminPassword", "dockerHubToken"})
    assert caught.value.keys == ["dockerHubToken"] and "leak" not in str(caught.value)
    with pytest.raises(SettingsError) as caught:
        parse_settings({**BASE, "dockerHubUsername": "team", "dockerHubToken": "dckr_pat_plain"}, {"adminPassword"})
    assert "dckr_pat_plain" not in str(caught.value) and "--secret dockerHubToken" in str(caught.value)


@pytest.mark.parametrize("spec, storage, kind, limit", [
    ("1Gi", "50Gi", "spaceUsedQuota", 1073741824),
    ("80Gi", "100Gi", "spaceUsedQuota", 80 * 2**30),
    ("1.5Ti", "2Ti", "spaceUsedQuota", int(1.5 * 2**40)),
    ("80%", "10Gi", "spaceUsedQuota", 8 * 2**30),
    ("20Gi  free", "100Gi", "spaceRemainingQuota", 20 * 2**30),
    ("10% free", "10Gi", "spaceRemainingQuota", 1073741824),
])
def test_soft_quota_is_sent_in_bytes(spec, storage, kind, limit):
    quota = parse_settings({**BASE, "storageSize": storage, "blobStoreSoftQuota": spec},
                           {"adminPassword"}).housekeeping.soft_quota
    assert quota.request() == {"type": kind, "limit": limit}


def test_housekeeping_switch_is_a_boolean_naming_its_key():
    with pytest.raises(SettingsError) as caught:
        parse_settings({**BASE, "housekeeping": "maybe"}, {"adminPassword"})
    assert caught.value.keys == ["housekeeping"] and "must be true or false" in str(caught.value)
    assert parse_settings({**BASE, "housekeeping": "false"}, {"adminPassword"}).housekeeping.tasks is False


@pytest.mark.parametrize("key", BOOLEAN_KEYS)
def test_a_boolean_key_refuses_a_non_boolean_naming_itself(key):
    with pytest.raises(SettingsError) as caught:
        parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.0.0.1"]', key: "maybe"}, {"adminPassword"})
    assert caught.value.keys == [key]
    assert f"nexus-registry:{key} = 'maybe': must be true or false" in str(caught.value)


def test_every_stack_key_has_a_bad_value_test():
    covered = {rule[3] for rule in RULES} | set(BOOLEAN_KEYS)
    assert [k.name for k in KEYS if k.name not in covered] == []


def test_an_absolute_soft_quota_with_host_path_is_not_held_to_storage_size():
    s = parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]', "hostPath": "/srv/nexus",
                        "nexusNodeName": "node-1", "storageSize": "10Gi", "blobStoreSoftQuota": "80Gi"}, {"adminPassword"})
    assert s.housekeeping.soft_quota.request() == {"type": "spaceUsedQuota", "limit": 80 * 2**30}
