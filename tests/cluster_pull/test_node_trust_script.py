"""The node-trust DaemonSet's script, run for real against a temporary root directory (standing in for the
node's / with its two mounted certs.d directories): under dash (POSIX sh) and under busybox sh with only
busybox applets on PATH, as in the DaemonSet's image."""
from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

from components.cluster_pull.node_trust import (
    CAPABILITIES,
    CONTAINERD_CERTS_D,
    DOCKER_CERTS_D,
    HOST_DIRS,
    hosts_toml,
    mirror_hosts_toml,
    node_files,
    node_trust_script,
)

REGISTRY = "192.168.129.112:10001"
PUSH = "192.168.129.112:10002"
CA_1 = "-----BEGIN CERTIFICATE-----\nMIIB-first-ca\n-----END CERTIFICATE-----\n"
CA_2 = "-----BEGIN CERTIFICATE-----\nMIIB-second-ca\n-----END CERTIFICATE-----\n"


@pytest.fixture(params=["dash", pytest.param("busybox", marks=pytest.mark.busybox)])
def shell(request, tmp_path_factory):
    """(argv prefix, PATH) of the shell the script runs under."""
    if request.param == "dash":
        return ["dash"], os.environ["PATH"]
    applets = tmp_path_factory.mktemp("busybox-bin")
    subprocess.run(["busybox", "--install", "-s", str(applets)], check=True)
    return [shutil.which("busybox"), "sh"], str(applets)


@pytest.fixture
def node(tmp_path):
    """A node's root with the two host directories the pod mounts (DirectoryOrCreate: kubelet makes them)."""
    root = tmp_path / "node"
    for directory in HOST_DIRS:
        (root / directory.lstrip("/")).mkdir(parents=True)
    return root


def run_script(shell, root: Path, script: str, mode: str) -> subprocess.CompletedProcess:
    argv, path = shell
    script_file = root.parent / "node-trust.sh"
    script_file.write_text(script)
    return subprocess.run([*argv, str(script_file), mode], env={"HOST_ROOT": str(root), "PATH": path},
                          text=True, capture_output=True, timeout=30)


def on_node(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


def tree(root: Path) -> dict[str, tuple]:
    """Everything under root with what a write would change: inode, mode, mtime, content."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        out[str(p.relative_to(root))] = (st.st_ino, st.st_mode, st.st_mtime_ns,
                                         p.read_bytes() if p.is_file() else None)
    return out


def test_install_writes_the_files_with_content_and_modes(shell, node):
    script = node_trust_script([REGISTRY, PUSH], CA_1)
    result = run_script(shell, node, script, "install")
    assert result.returncode == 0, result.stderr
    written = {f.path for f in node_files([REGISTRY, PUSH], CA_1)}
    assert len(written) == 6
    for address in (REGISTRY, PUSH):
        docker_ca = on_node(node, f"{DOCKER_CERTS_D}/{address}/ca.crt")
        containerd_dir = on_node(node, f"{CONTAINERD_CERTS_D}/{address}")
        assert docker_ca.read_text() == CA_1
        assert (containerd_dir / "ca.crt").read_text() == CA_1
        hosts = tomllib.loads((containerd_dir / "hosts.toml").read_text())
        url = f"https://{address}"
        ca_on_node = f"{CONTAINERD_CERTS_D}/{address}/ca.crt"
        assert hosts == {"server": url, "host": {url: {"capabilities": ["pull", "resolve", "push"],
                                                       "ca": ca_on_node}}}
        assert on_node(node, hosts["host"][url]["ca"]).read_text() == CA_1, "hosts.toml names the CA written"
        for f in (docker_ca, containerd_dir / "ca.crt", containerd_dir / "hosts.toml"):
            assert stat.S_IMODE(f.stat().st_mode) == 0o644, f
        for d in (docker_ca.parent, containerd_dir):
            assert stat.S_IMODE(d.stat().st_mode) == 0o755, d
    assert sorted(line for line in result.stdout.splitlines() if line.startswith("wrote ")) == \
        sorted(f"wrote {p}" for p in written)
    leftovers = [p for p in node.rglob("*.tmp")]
    assert leftovers == [], "temporary files left behind"


def test_a_second_run_changes_nothing(shell, node):
    script = node_trust_script([REGISTRY, PUSH], CA_1)
    assert run_script(shell, node, script, "install").returncode == 0
    before = tree(node)
    time.sleep(0.01)      # a rewrite would show in mtime_ns
    again = run_script(shell, node, script, "install")
    assert again.returncode == 0, again.stderr
    assert tree(node) == before
    assert "wrote" not in again.stdout


def test_a_ca_change_rewrites_both_ca_files_and_nothing_else(shell, node):
    assert run_script(shell, node, node_trust_script([REGISTRY], CA_1), "install").returncode == 0
    before = tree(node)
    result = run_script(shell, node, node_trust_script([REGISTRY], CA_2), "install")
    assert result.returncode == 0, result.stderr
    after = tree(node)
    changed = sorted(k for k in after if after[k] != before.get(k) and after[k][3] is not None)
    assert changed == sorted([f"etc/docker/certs.d/{REGISTRY}/ca.crt",
                              f"etc/containerd/certs.d/{REGISTRY}/ca.crt"])
    for path in changed:
        assert (node / path).read_text() == CA_2
    assert after[f"etc/containerd/certs.d/{REGISTRY}/hosts.toml"] == \
        before[f"etc/containerd/certs.d/{REGISTRY}/hosts.toml"]


def test_other_files_in_those_directories_are_left_alone(shell, node):
    others = {
        f"{DOCKER_CERTS_D}/{REGISTRY}/client.cert": "someone's client certificate",
        f"{DOCKER_CERTS_D}/docker.io/ca.crt": "another registry's CA",
        f"{CONTAINERD_CERTS_D}/_default/hosts.toml": 'server = "https://mirror.example"\n',
        f"{CONTAINERD_CERTS_D}/{REGISTRY}/client.key": "someone's key",
    }
    for path, content in others.items():
        on_node(node, path).parent.mkdir(parents=True, exist_ok=True)
        on_node(node, path).write_text(content)
    script = node_trust_script([REGISTRY], CA_1)
    assert run_script(shell, node, script, "install").returncode == 0
    assert run_script(shell, node, script, "remove").returncode == 0
    for path, content in others.items():
        assert on_node(node, path).read_text() == content, path
    assert sorted(p.name for p in on_node(node, f"{DOCKER_CERTS_D}/{REGISTRY}").iterdir()) == ["client.cert"]
    assert [p.name for p in on_node(node, f"{CONTAINERD_CERTS_D}/{REGISTRY}").iterdir()] == ["client.key"]


def test_remove_takes_away_only_what_it_wrote(shell, node):
    script = node_trust_script([REGISTRY, PUSH], CA_1)
    assert run_script(shell, node, script, "install").returncode == 0
    edited = on_node(node, f"{CONTAINERD_CERTS_D}/{PUSH}/hosts.toml")
    edited.write_text(edited.read_text() + '  skip_verify = false\n')     # an admin's edit: no longer ours
    result = run_script(shell, node, script, "remove")
    assert result.returncode == 0, result.stderr
    remaining = sorted(str(p.relative_to(node)) for p in node.rglob("*") if p.is_file())
    assert remaining == [f"etc/containerd/certs.d/{PUSH}/hosts.toml"]
    assert not on_node(node, f"{DOCKER_CERTS_D}/{REGISTRY}").exists(), "an emptied directory is removed"
    for directory in HOST_DIRS:
        assert on_node(node, directory).is_dir(), "the mounted host directories themselves stay"
    assert result.stdout.count("removed ") == 5
    again = run_script(shell, node, script, "remove")
    assert again.returncode == 0 and "removed" not in again.stdout, "removing twice is harmless"


def test_run_installs_sleeps_and_cleans_up_on_sigterm(shell, node):
    """The DaemonSet's container: install, then sleep; a deleted pod gets SIGTERM and removes its files."""
    argv, path = shell
    script_file = node.parent / "node-trust.sh"
    script_file.write_text(node_trust_script([REGISTRY], CA_1))
    proc = subprocess.Popen([*argv, str(script_file), "run"], env={"HOST_ROOT": str(node), "PATH": path},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        hosts = on_node(node, f"{CONTAINERD_CERTS_D}/{REGISTRY}/hosts.toml")
        for _ in range(200):
            if hosts.exists() and proc.poll() is None:
                break
            time.sleep(0.05)
        time.sleep(0.2)               # now in its sleep loop
        assert proc.poll() is None, "run must keep the container alive"
        assert on_node(node, f"{DOCKER_CERTS_D}/{REGISTRY}/ca.crt").read_text() == CA_1
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "registry CA installed" in out and out.count("removed ") == 3
    assert [p for p in node.rglob("*") if p.is_file()] == []
    assert sorted(str(p.relative_to(node)) for p in node.rglob("*")) == \
        sorted(["etc", "etc/docker", "etc/docker/certs.d", "etc/containerd", "etc/containerd/certs.d"])


def test_an_unknown_mode_is_refused(shell, node):
    result = run_script(shell, node, node_trust_script([REGISTRY], CA_1), "uninstall")
    assert result.returncode == 2 and "usage" in result.stderr
    assert [p for p in node.rglob("*") if p.is_file()] == []


def test_hosts_toml_names_the_registry_and_its_ca():
    parsed = tomllib.loads(hosts_toml(REGISTRY, "/etc/containerd/certs.d/x/ca.crt"))
    assert parsed["server"] == f"https://{REGISTRY}"
    assert parsed["host"][f"https://{REGISTRY}"] == {"capabilities": list(CAPABILITIES),
                                                      "ca": "/etc/containerd/certs.d/x/ca.crt"}


def test_the_ca_gets_one_final_newline_and_the_terminator_cannot_hide_in_it():
    assert {f.content for f in node_files([REGISTRY], CA_1.rstrip("\n")) if f.name == "ca.crt"} == {CA_1}
    with pytest.raises(ValueError, match="terminator"):
        node_trust_script([REGISTRY], CA_1 + "NEXUS_REGISTRY_EOF\n")


def test_check_passes_only_while_every_file_is_in_place(shell, node):
    script = node_trust_script([REGISTRY, PUSH], CA_1)
    missing = run_script(shell, node, script, "check")
    assert missing.returncode == 1
    assert f"missing or changed: {DOCKER_CERTS_D}/{REGISTRY}/ca.crt" in missing.stderr
    assert run_script(shell, node, script, "install").returncode == 0
    assert run_script(shell, node, script, "check").returncode == 0
    on_node(node, f"{CONTAINERD_CERTS_D}/{PUSH}/ca.crt").write_text(CA_2)
    changed = run_script(shell, node, script, "check")
    assert changed.returncode == 1 and f"{CONTAINERD_CERTS_D}/{PUSH}/ca.crt" in changed.stderr


# ------------------------------------------------------------------- mirrorOnNodes: the upstreams' hosts.toml

MIRRORED = ("docker.io", "ghcr.io", "registry.k8s.io", "localhost:5000")


def test_mirror_hosts_toml_names_the_registry_first_and_the_upstream_as_fallback():
    ca = f"{CONTAINERD_CERTS_D}/{REGISTRY}/ca.crt"
    for upstream, server in (("ghcr.io", "https://ghcr.io"), ("docker.io", "https://registry-1.docker.io"),
                             ("localhost:5000", "https://localhost:5000")):
        parsed = tomllib.loads(mirror_hosts_toml(upstream, REGISTRY, ca))
        assert parsed == {"server": server, "host": {f"https://{REGISTRY}": {"capabilities": ["pull", "resolve"],
                                                                           "ca": ca}}}


def test_install_with_mirrors_writes_one_hosts_toml_per_upstream_and_remove_takes_them_away(shell, node):
    script = node_trust_script([REGISTRY, PUSH], CA_1, MIRRORED)
    result = run_script(shell, node, script, "install")
    assert result.returncode == 0, result.stderr
    for upstream in MIRRORED:
        hosts = tomllib.loads(on_node(node, f"{CONTAINERD_CERTS_D}/{upstream}/hosts.toml").read_text())
        [(url, host)] = hosts["host"].items()
        assert url == f"https://{REGISTRY}", "the registry address, not the push-only one"
        assert on_node(node, host["ca"]).read_text() == CA_1, "names the CA the script wrote"
        assert sorted(p.name for p in on_node(node, f"{CONTAINERD_CERTS_D}/{upstream}").iterdir()) == ["hosts.toml"]
    assert result.stdout.count("wrote ") == 6 + len(MIRRORED)
    assert run_script(shell, node, script, "check").returncode == 0
    removed = run_script(shell, node, script, "remove")
    assert removed.returncode == 0 and removed.stdout.count("removed ") == 6 + len(MIRRORED)
    assert sorted(str(p.relative_to(node)) for p in node.rglob("*")) == \
        sorted(["etc", "etc/docker", "etc/docker/certs.d", "etc/containerd", "etc/containerd/certs.d"])


def test_without_mirrors_the_script_is_unchanged():
    assert node_trust_script([REGISTRY], CA_1, ()) == node_trust_script([REGISTRY], CA_1)
    assert "hosts.toml" not in "".join(f.path for f in node_files([REGISTRY], CA_1) if "docker.io" in f.path)
    assert not [f for f in node_files([REGISTRY], CA_1) if f.content.startswith("# nexus-registry mirror")]


def test_an_admins_own_hosts_toml_for_an_upstream_is_left_alone(shell, node):
    own = on_node(node, f"{CONTAINERD_CERTS_D}/docker.io/hosts.toml")
    own.parent.mkdir(parents=True)
    own.write_text('server = "https://registry-1.docker.io"\n\n[host."https://mirror.corp"]\n  capabilities = ["pull"]\n')
    before = own.read_text()
    script = node_trust_script([REGISTRY], CA_1, ("docker.io", "ghcr.io"))
    result = run_script(shell, node, script, "install")
    assert result.returncode == 0, result.stderr
    assert own.read_text() == before
    assert f"left alone (not written by nexus-registry): {CONTAINERD_CERTS_D}/docker.io/hosts.toml" in result.stderr
    assert on_node(node, f"{CONTAINERD_CERTS_D}/ghcr.io/hosts.toml").exists()
    check = run_script(shell, node, script, "check")
    assert check.returncode == 0 and "another hosts.toml is in place" in check.stderr
    assert run_script(shell, node, script, "remove").returncode == 0
    assert own.read_text() == before
    assert not on_node(node, f"{CONTAINERD_CERTS_D}/ghcr.io").exists()


def test_a_mirror_file_the_script_wrote_earlier_is_updated_when_the_registry_moves(shell, node):
    assert run_script(shell, node, node_trust_script([REGISTRY], CA_1, ("ghcr.io",)), "install").returncode == 0
    moved = "192.168.129.113:10001"
    result = run_script(shell, node, node_trust_script([moved], CA_1, ("ghcr.io",)), "install")
    assert result.returncode == 0, result.stderr
    hosts = tomllib.loads(on_node(node, f"{CONTAINERD_CERTS_D}/ghcr.io/hosts.toml").read_text())
    assert list(hosts["host"]) == [f"https://{moved}"]


def test_an_upstream_that_is_a_registry_address_is_refused():
    with pytest.raises(ValueError, match="registry addresses"):
        node_files([REGISTRY], CA_1, (REGISTRY,))
