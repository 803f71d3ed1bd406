"""Installing the CA on docker hosts: the scripts run for real (against a temporary certs.d), and the
component under mocks makes one secret-keyed SSH command per configured host."""
from __future__ import annotations

import stat
import subprocess

from components.clients.docker_trust import install_script, remove_script
from tests.support.stack import plain_occurrences, run_program

ADDRESS = "192.168.129.112:10001"
HOSTS = ["rancher@192.168.129.50", "ops@192.168.129.51:2222"]
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----test-key"


def _sh(script: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", script], input=stdin, text=True, capture_output=True, check=True)


def test_install_then_remove_the_ca(tmp_path):
    base = str(tmp_path / "certs.d")
    _sh(install_script(ADDRESS, base), "CA-PEM-1\n")
    ca = tmp_path / "certs.d" / ADDRESS / "ca.crt"
    assert ca.read_text() == "CA-PEM-1\n"
    assert stat.S_IMODE(ca.stat().st_mode) == 0o644
    _sh(install_script(ADDRESS, base), "CA-PEM-2\n")      # re-run on a new CA replaces it
    assert ca.read_text() == "CA-PEM-2\n"
    assert sorted(p.name for p in ca.parent.iterdir()) == ["ca.crt"]
    _sh(remove_script(ADDRESS, base))
    assert not ca.parent.exists()
    _sh(remove_script(ADDRESS, base))                     # deleting twice is fine


def test_remove_keeps_a_directory_with_other_files(tmp_path):
    base = str(tmp_path / "certs.d")
    _sh(install_script(ADDRESS, base), "CA\n")
    (tmp_path / "certs.d" / ADDRESS / "client.cert").write_text("someone else's")
    _sh(remove_script(ADDRESS, base))
    assert [p.name for p in (tmp_path / "certs.d" / ADDRESS).iterdir()] == ["client.cert"]


def test_one_trust_command_per_host_with_secret_key():
    run = run_program("prod", {"dockerHosts": HOSTS}, {"sshPrivateKey": KEY})
    trust = run.one("nexus-registry:index:DockerClientTrust")
    commands = run.of_type("command:remote:Command")
    assert {c.name for c in commands} == {"docker-trust-192.168.129.50-22", "docker-trust-192.168.129.51-2222"}
    for cmd in commands:
        assert cmd.options["parent"] == trust.options["urn"]
        plain = cmd.plain
        assert plain["connection"]["privateKey"] == KEY
        assert plain_occurrences(cmd.inputs, KEY) == [], "the SSH key must stay secret"
        assert f"/etc/docker/certs.d/{ADDRESS}" in plain["create"] and "ca.crt" in plain["delete"]
        assert plain["stdin"] == run.outputs["ca_cert_pem"]
        assert plain["triggers"] == [run.outputs["ca_cert_pem"], ADDRESS]
        assert plain["logging"] == "none"
        assert set(cmd.options["additional_secret_outputs"]) >= {"stdout", "stderr"}
    users = {(c.plain["connection"]["user"], c.plain["connection"]["port"]) for c in commands}
    assert users == {("rancher", 22), ("ops", 2222)}


def test_no_hosts_no_trust_resources(dev_run):
    assert "nexus-registry:index:DockerClientTrust" not in dev_run.types()
    assert dev_run.of_type("command:remote:Command") == []


def test_with_a_push_port_the_push_address_is_trusted_too():
    """`docker push <ip:pushPort>/…` from a docker host reads /etc/docker/certs.d/<ip:pushPort>/ca.crt."""
    push = "192.168.129.112:10002"
    run = run_program("prod", {"dockerHosts": HOSTS, "pushPort": 10002}, {"sshPrivateKey": KEY})
    commands = {c.name: c.plain for c in run.of_type("command:remote:Command")}
    assert set(commands) == {"docker-trust-192.168.129.50-22", "docker-trust-192.168.129.51-2222",
                             "docker-trust-192.168.129.50-22-push", "docker-trust-192.168.129.51-2222-push"}
    for name, plain in commands.items():
        address = push if name.endswith("-push") else ADDRESS
        assert plain["create"] == install_script(address) and plain["delete"] == remove_script(address)
        assert plain["stdin"] == run.outputs["ca_cert_pem"]
        assert plain["triggers"] == [run.outputs["ca_cert_pem"], address]
