"""Workloads in the cluster pulling from the registry, under Pulumi mocks: the pull Secrets (secret data only)
and the node-trust DaemonSet (its security context, host paths, roll-out checksum, and its script, taken from
the registered ConfigMap and run for real against a temporary root)."""
from __future__ import annotations

import base64
import json
import subprocess
import tomllib

import pytest

from components.cluster_pull.node_trust import CONTAINERD_CERTS_D, DOCKER_CERTS_D, node_trust_script
from components.config_values import parse_image
from components.k8s_meta import CHECKSUM_ANNOTATION, checksum
from tests.support.stack import mock_password, plain_occurrences, run_program

TEAM_NAMESPACES = ["team-a", "nexus", "team-b"]          # prod's own namespace is "nexus"
PULL_USER = "cluster-pull"                                # the first of pullUsers: the Secrets hold its login
PULL_PASSWORD = mock_password(f"docker-accounts-user-{PULL_USER}")
PUSH_PORT = 10002
NEXUS_SERVICE = "nexus-registry:index:NexusServer$kubernetes:core/v1:Service::nexus-service"


@pytest.fixture(scope="module")
def pull_run():
    return run_program("prod", {"pullSecretNamespaces": TEAM_NAMESPACES, "trustOnNodes": True,
                                "pushPort": PUSH_PORT, "pullUsers": [PULL_USER, "second-puller"]})


def _secrets(run) -> dict:
    parent = run.one("nexus-registry:index:RegistryPullSecrets")
    return {s.name: s for s in run.children(parent)}


def _daemon_set(run) -> dict:
    return run.one("kubernetes:apps/v1:DaemonSet", "node-trust-daemonset").plain


def _script(run) -> str:
    return run.one("kubernetes:core/v1:ConfigMap", "node-trust-config").plain["data"]["node-trust.sh"]


def test_nothing_is_added_unless_asked(stack_run):
    assert not {"nexus-registry:index:RegistryPullSecrets", "nexus-registry:index:NodeRegistryTrust"} \
        & stack_run.types()
    assert stack_run.of_type("kubernetes:apps/v1:DaemonSet") == []


def test_one_pull_secret_per_namespace(pull_run):
    secrets = _secrets(pull_run)
    assert sorted(secrets) == sorted(f"pull-secrets-{ns}" for ns in TEAM_NAMESPACES)
    for ns in TEAM_NAMESPACES:
        secret = secrets[f"pull-secrets-{ns}"]
        plain = secret.plain
        assert secret.typ == "kubernetes:core/v1:Secret"
        assert plain["type"] == "kubernetes.io/dockerconfigjson"
        assert plain["metadata"]["name"] == "registry-pull" and plain["metadata"]["namespace"] == ns
        assert list(plain["stringData"]) == [".dockerconfigjson"]


def test_the_docker_config_decodes_to_the_registry_addresses_and_the_user(pull_run):
    addresses = {pull_run.outputs["registry"], pull_run.outputs["push_registry"]}
    assert addresses == {"192.168.129.112:10001", f"192.168.129.112:{PUSH_PORT}"}
    for secret in _secrets(pull_run).values():
        config = json.loads(secret.plain["stringData"][".dockerconfigjson"])
        assert set(config["auths"]) == addresses
        for entry in config["auths"].values():
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            # the first pull user's generated password (never admin's)
            assert user == entry["username"] == PULL_USER
            assert password == entry["password"] == PULL_PASSWORD


def test_the_password_is_never_plaintext(pull_run):
    auth = base64.b64encode(f"{PULL_USER}:{PULL_PASSWORD}".encode()).decode()
    for secret in _secrets(pull_run).values():
        for needle in (PULL_PASSWORD, auth):
            assert plain_occurrences(secret.inputs, needle) == [], f"{secret.name}: {needle!r} in plaintext"
    for r in pull_run.resources:
        assert plain_occurrences(r.inputs, auth) == [], f"{r.typ} {r.name}"


def test_the_stacks_own_namespace_is_waited_for_and_others_must_exist(pull_run):
    secrets = _secrets(pull_run)
    assert any(d.endswith(NEXUS_SERVICE) for d in secrets["pull-secrets-nexus"].options["dependencies"])
    for other in ("pull-secrets-team-a", "pull-secrets-team-b"):
        assert not any(d.endswith(NEXUS_SERVICE) for d in secrets[other].options["dependencies"])


def test_only_the_registry_address_without_a_push_port_and_the_name_from_config():
    run = run_program("dev", {"pullSecretNamespaces": ["apps"], "pullSecretName": "nexus.pull",
                              "pullUsers": [PULL_USER]})
    secret = run.one("kubernetes:core/v1:Secret", "pull-secrets-apps").plain
    assert secret["metadata"] == {**secret["metadata"], "name": "nexus.pull", "namespace": "apps"}
    assert set(json.loads(secret["stringData"][".dockerconfigjson"])["auths"]) == {"127.0.0.1:30443"}


def test_the_daemon_set_runs_everywhere_with_the_least_it_needs(pull_run):
    ds = _daemon_set(pull_run)
    pod = ds["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"operator": "Exists"}]
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}
    host_paths = {v["name"]: v["hostPath"] for v in pod["volumes"] if "hostPath" in v}
    assert sorted(h["path"] for h in host_paths.values()) == sorted([DOCKER_CERTS_D, CONTAINERD_CERTS_D])
    assert not {"hostNetwork", "hostPID", "hostIPC"} & set(pod)
    [container] = pod["containers"]
    sc = container["securityContext"]
    assert sc["privileged"] is False and sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}, "no capability at all: root owns the files it writes"
    assert (sc["runAsUser"], sc["runAsNonRoot"]) == (0, False)
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert {mounts[name]["mountPath"] for name in host_paths} == \
        {f"/host{DOCKER_CERTS_D}", f"/host{CONTAINERD_CERTS_D}"}
    assert mounts["script"] == {"name": "script", "mountPath": "/etc/node-trust/node-trust.sh",
                                "subPath": "node-trust.sh", "readOnly": True}, "pinned: never updated in place"
    assert container["command"] == ["sh", "/etc/node-trust/node-trust.sh", "run"]
    assert container["readinessProbe"]["exec"]["command"] == ["sh", "/etc/node-trust/node-trust.sh", "check"]
    assert container["resources"]["limits"] == {"cpu": "50m", "memory": "16Mi"}
    assert parse_image(container["image"]) == container["image"], "a pinned image"
    assert pod["automountServiceAccountToken"] is False
    configmap = pull_run.one("kubernetes:core/v1:ConfigMap", "node-trust-config").plain
    script_volume = {v["name"]: v for v in pod["volumes"]}["script"]
    assert script_volume["configMap"]["name"] == configmap["metadata"]["name"]
    assert configmap["metadata"]["namespace"] == "nexus"


def test_the_script_holds_the_ca_and_both_addresses_and_its_checksum_rolls_the_pods(pull_run):
    script = _script(pull_run)
    addresses = [pull_run.outputs["registry"], pull_run.outputs["push_registry"]]
    assert script == node_trust_script(addresses, pull_run.outputs["ca_cert_pem"])
    annotation = _daemon_set(pull_run)["spec"]["template"]["metadata"]["annotations"][CHECKSUM_ANNOTATION]
    assert annotation == checksum(script)
    moved = run_program("prod", {"trustOnNodes": True, "pushPort": PUSH_PORT, "registryPort": 10003})
    moved_annotations = _daemon_set(moved)["spec"]["template"]["metadata"]["annotations"]
    assert moved_annotations[CHECKSUM_ANNOTATION] != annotation
    other_ca = node_trust_script(addresses, pull_run.outputs["ca_cert_pem"].replace("registry", "another"))
    assert checksum(other_ca) != annotation, "a new CA changes the script, so the checksum"


def test_the_registered_script_installs_the_stacks_ca_on_a_node(pull_run, tmp_path):
    for directory in (DOCKER_CERTS_D, CONTAINERD_CERTS_D):
        (tmp_path / directory.lstrip("/")).mkdir(parents=True)
    script = tmp_path / "node-trust.sh"
    script.write_text(_script(pull_run))
    subprocess.run(["sh", str(script), "install"], env={"HOST_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"},
                   check=True, capture_output=True, timeout=30)
    ca = pull_run.outputs["ca_cert_pem"]
    for address in (pull_run.outputs["registry"], pull_run.outputs["push_registry"]):
        assert (tmp_path / f"etc/docker/certs.d/{address}/ca.crt").read_text() == ca
        hosts = tomllib.loads((tmp_path / f"etc/containerd/certs.d/{address}/hosts.toml").read_text())
        assert hosts["server"] == f"https://{address}"
        assert hosts["host"][f"https://{address}"]["ca"] == f"{CONTAINERD_CERTS_D}/{address}/ca.crt"
