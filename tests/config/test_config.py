"""Every validation rule of the stack settings: the bad value in, the exact key named in the error out,
and nothing registered (the program fails before its first resource)."""
from __future__ import annotations

import pytest

from components.config import SettingsError, parse_settings
from tests.support.stack import TEST_PASSWORD, run_program, stack_config

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
    ("docker-host-format", {"dockerHosts": ["192.168.129.50"]}, {"sshPrivateKey": "KEY"}, "dockerHosts", "user@host"),
    ("docker-host-needs-key", {"dockerHosts": ["root@192.168.129.50"]}, {}, "sshPrivateKey", "dockerHosts"),
    ("ssh-key-plaintext", {"dockerHosts": ["root@192.168.129.50"], "sshPrivateKey": "KEY"}, {}, "sshPrivateKey",
     "--secret"),
    ("pull-namespace-dns-label", {"pullSecretNamespaces": ["team-a", "Team_B"]}, {}, "pullSecretNamespaces",
     "DNS-1123 label"),
    ("pull-namespace-twice", {"pullSecretNamespaces": ["team-a", "nexus", "team-a"]}, {}, "pullSecretNamespaces",
     "listed twice"),
    ("pull-secret-name", {"pullSecretName": "Registry_Pull"}, {}, "pullSecretName", "DNS-1123 subdomain"),
    ("pull-secret-name-empty", {"pullSecretName": ""}, {}, "pullSecretName", "DNS-1123 subdomain"),
]


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
                        "trustOnNodes": "true"}, {"adminPassword"})
    assert s.pull_secret_namespaces == ("team-a", "nexus")
    assert (s.pull_secret_name, s.trust_on_nodes) == ("nexus.pull", True)
    defaults = parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": '["10.1.1.1"]'}, {"adminPassword"})
    assert (defaults.pull_secret_namespaces, defaults.pull_secret_name, defaults.trust_on_nodes) == \
        ((), "registry-pull", False)
