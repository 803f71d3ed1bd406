"""`make doctor` (scripts/doctor.sh, also the first step of `make up`): before anything is created, one line for a
missing or too old Pulumi CLI, a missing kube context or an unreachable API server, and dev NodePorts that do not
answer on 127.0.0.1; a non-zero exit when one fails (issue 19).

The script runs for real (bash, with only the tools it names on PATH) against stand-in `pulumi`/`kubectl`
executables, as tests/stack/test_tiers.py runs .ci/run against a stand-in `make`, and against real sockets on
127.0.0.1: a listener, and a bound port that does not listen (connections to it are refused).
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.markdown import anchors
from tests.support.stack import ROOT

# What doctor.sh runs besides bash and the stand-ins: POSIX tools only, nothing to install.
TOOLS = ("awk", "dirname", "grep", "head", "sed", "tr")

PULUMI = """#!/bin/sh
echo "pulumi $*" >> "$DOCTOR_CALLS"
case "$1" in version) echo "$FAKE_PULUMI_VERSION" ;; esac
"""
KUBECTL = """#!/bin/sh
echo "kubectl $*" >> "$DOCTOR_CALLS"
case "$*" in
  "config current-context")
    [ -n "$FAKE_CONTEXT" ] || { echo "error: current-context is not set" >&2; exit 1; }
    echo "$FAKE_CONTEXT" ;;
  "config view --minify -o jsonpath={.clusters[0].cluster.server}") echo "https://127.0.0.1:6443" ;;
  "--request-timeout=5s get --raw /version")
    [ "$FAKE_API" = up ] || { echo "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?" >&2; exit 1; }
    echo '{"major": "1", "minor": "31"}' ;;
  *"get service registry-gateway -o name")
    [ "$FAKE_GATEWAY_SERVICE" = yes ] || { echo 'Error from server (NotFound): services "registry-gateway" not found' >&2; exit 1; }
    echo "service/registry-gateway" ;;
  *) echo "unexpected: kubectl $*" >&2; exit 2 ;;
esac
"""


@dataclass
class Ports:
    open: int          # a listener on 127.0.0.1
    closed: int        # bound, not listening: connections are refused


@pytest.fixture
def ports() -> Iterator[Ports]:
    listener, bound = socket.socket(), socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    bound.bind(("127.0.0.1", 0))
    try:
        yield Ports(listener.getsockname()[1], bound.getsockname()[1])
    finally:
        listener.close()
        bound.close()


class Doctor:
    """A copy of the project's doctor.sh, Pulumi.yaml and stack files in a temporary directory (so a test stack
    can name its own ports), with stand-ins for `pulumi` and `kubectl` that log their calls."""

    def __init__(self, tmp: Path):
        self.root, self.bin, self.calls = tmp / "project", tmp / "bin", tmp / "calls"
        (self.root / "scripts").mkdir(parents=True)
        self.bin.mkdir()
        for name in ("scripts/doctor.sh", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
            shutil.copy(ROOT / name, self.root / name)
        for tool in TOOLS:
            (self.bin / tool).symlink_to(shutil.which(tool))
        self.env = {"DOCTOR_CALLS": str(self.calls), "FAKE_PULUMI_VERSION": "v3.139.0", "FAKE_CONTEXT": "kind-dev",
                    "FAKE_API": "up", "FAKE_GATEWAY_SERVICE": "no"}

    def stand_in(self, name: str, script: str) -> None:
        path = self.bin / name
        path.write_text(script)
        path.chmod(0o755)

    def dev_ports(self, registry: int, web: int) -> None:
        text = (ROOT / "Pulumi.dev.yaml").read_text()
        text = re.sub(r"(nexus-registry:registryPort:) \d+", rf"\g<1> {registry}", text)
        text = re.sub(r"(nexus-registry:webPort:) \d+", rf"\g<1> {web}", text)
        (self.root / "Pulumi.dev.yaml").write_text(text)

    def run(self, stack: str = "dev", **env: str) -> subprocess.CompletedProcess:
        done = subprocess.run([shutil.which("bash"), str(self.root / "scripts" / "doctor.sh")],
                              env={**self.env, **env, "PATH": str(self.bin), "STACK": stack},
                              capture_output=True, text=True, timeout=60)
        assert done.stderr == "", done.stderr
        return done

    def called(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []


@pytest.fixture
def doctor(tmp_path, ports) -> Doctor:
    """Everything fine: Pulumi 3.139.0, context kind-dev whose API server answers, both dev NodePorts listening."""
    d = Doctor(tmp_path)
    d.stand_in("pulumi", PULUMI)
    d.stand_in("kubectl", KUBECTL)
    d.dev_ports(ports.open, ports.open)
    return d


def failures(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stdout.splitlines() if line.startswith("FAIL")]


def test_all_good_exits_0_with_one_ok_line_per_check_and_reads_only(doctor, ports):
    done = doctor.run()
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines() == [
        "ok    Pulumi CLI: v3.139.0",
        "ok    kube context: kind-dev (API server https://127.0.0.1:6443 answers)",
        f"ok    NodePorts: 127.0.0.1:{ports.open} and 127.0.0.1:{ports.open} answer",
    ]
    assert doctor.called() == ["pulumi version", "kubectl config current-context",
                               "kubectl config view --minify -o jsonpath={.clusters[0].cluster.server}",
                               "kubectl --request-timeout=5s get --raw /version"]


def test_a_missing_pulumi_cli_is_one_line_naming_the_minimum(doctor):
    (doctor.bin / "pulumi").unlink()
    done = doctor.run()
    assert done.returncode == 1
    assert failures(done) == ["FAIL  Pulumi CLI: not found on PATH; install 3.139 or newer: "
                              "https://www.pulumi.com/docs/install/"]


@pytest.mark.parametrize("version", ["v3.138.2", "v2.25.0", "3.99.0"])
def test_a_pulumi_cli_older_than_3_139_is_one_line_showing_its_version(doctor, version):
    done = doctor.run(FAKE_PULUMI_VERSION=version)
    assert done.returncode == 1
    assert failures(done) == [f"FAIL  Pulumi CLI: {version} is too old, 3.139 or newer is needed: "
                              "https://www.pulumi.com/docs/install/"]


@pytest.mark.parametrize("version", ["v3.139.0", "v3.140.1", "v4.0.0"])
def test_pulumi_3_139_and_newer_pass(doctor, version):
    done = doctor.run(FAKE_PULUMI_VERSION=version)
    assert done.returncode == 0 and f"ok    Pulumi CLI: {version}" in done.stdout.splitlines()


def test_an_unreadable_pulumi_version_is_a_failure(doctor):
    done = doctor.run(FAKE_PULUMI_VERSION="warning: something odd")
    assert done.returncode == 1
    assert failures(done) == ["FAIL  Pulumi CLI: `pulumi version` printed 'warning: something odd', not a version; "
                              "install 3.139 or newer: https://www.pulumi.com/docs/install/"]


def test_no_kube_context_is_one_line(doctor):
    done = doctor.run(FAKE_CONTEXT="")
    assert done.returncode == 1
    assert failures(done) == ["FAIL  kube context: none is set; create a cluster (kind create cluster, k3d cluster "
                              "create) or pick one: kubectl config use-context <name>"]


def test_an_unreachable_api_server_is_one_line_naming_context_server_and_kubectls_words(doctor):
    done = doctor.run(FAKE_API="down")
    assert done.returncode == 1
    assert failures(done) == ["FAIL  kube context: kind-dev, its API server https://127.0.0.1:6443 cannot be reached "
                              "(The connection to the server 127.0.0.1:6443 was refused - did you specify the right "
                              "host or port?); start the cluster or pick another context: "
                              "kubectl config use-context <name>"]


def test_a_missing_kubectl_is_one_line(doctor):
    (doctor.bin / "kubectl").unlink()
    done = doctor.run()
    assert done.returncode == 1
    assert failures(done) == ["FAIL  kube context: kubectl not found on PATH (it reads the kube context); install "
                              "it: https://kubernetes.io/docs/tasks/tools/"]


def mapping_lines(registry: int, web: int) -> tuple[str, str]:
    return (f"k3d `--port {registry}:{registry}@server:0 --port {web}:{web}@server:0`",
            f"kind `extraPortMappings` containerPort = hostPort {registry} and {web}")


def test_a_dev_nodeport_nothing_answers_on_is_one_line_with_the_port_mappings(doctor, ports):
    doctor.dev_ports(registry=ports.open, web=ports.closed)
    done = doctor.run()
    assert done.returncode == 1
    [line] = failures(done)
    assert line.startswith(f"FAIL  NodePorts: stack dev serves on 127.0.0.1:{ports.closed} (webPort), and nothing "
                           "answers there; publish the NodePorts on 127.0.0.1")
    k3d, kind = mapping_lines(ports.open, ports.closed)
    assert k3d in line and kind in line and "see README.md#a-local-clusters-ports" in line


def test_both_dev_nodeports_closed_are_named_in_the_one_line(doctor, ports):
    doctor.dev_ports(registry=ports.closed, web=ports.closed)
    [line] = failures(doctor.run())
    assert (f"serves on 127.0.0.1:{ports.closed} (registryPort) and 127.0.0.1:{ports.closed} (webPort), "
            in line)


def test_the_port_mappings_named_are_the_readmes_for_the_dev_stack():
    """The failure line gives the k3d flags and kind mappings, for the dev stack's ports, that the README section it
    names shows."""
    dev = (ROOT / "Pulumi.dev.yaml").read_text()
    registry, web = (int(re.search(rf"nexus-registry:{key}: (\d+)", dev).group(1)) for key in ("registryPort", "webPort"))
    readme = (ROOT / "README.md").read_text()
    assert "a-local-clusters-ports" in anchors(readme), "doctor.sh names README.md#a-local-clusters-ports"
    section = readme.split("### A local cluster's ports", 1)[1].split("\n## ", 1)[0]
    assert f"--port {registry}:{registry}@server:0 --port {web}:{web}@server:0" in section
    for port in (registry, web):
        assert re.search(rf"containerPort: {port}\s+hostPort: {port}", section), port


def test_every_failure_is_reported_in_one_run(doctor, ports):
    (doctor.bin / "pulumi").unlink()
    doctor.dev_ports(registry=ports.closed, web=ports.open)
    done = doctor.run(FAKE_CONTEXT="")
    assert done.returncode == 1
    assert [line.split(":")[0] for line in failures(done)] == ["FAIL  Pulumi CLI", "FAIL  kube context",
                                                              "FAIL  NodePorts"]


def test_docker_desktop_before_the_gateway_service_exists_is_not_a_failure(doctor, ports):
    doctor.dev_ports(registry=ports.closed, web=ports.closed)
    done = doctor.run(FAKE_CONTEXT="docker-desktop", FAKE_GATEWAY_SERVICE="no")
    assert done.returncode == 0, done.stdout
    assert (f"ok    NodePorts: Docker Desktop publishes {ports.closed} and {ports.closed} on 127.0.0.1 once the "
            "gateway Service exists") in done.stdout.splitlines()
    assert "kubectl --request-timeout=5s -n nexus get service registry-gateway -o name" in doctor.called()


def test_docker_desktop_with_the_gateway_service_and_nothing_answering_is_a_failure(doctor, ports):
    doctor.dev_ports(registry=ports.closed, web=ports.open)
    done = doctor.run(FAKE_CONTEXT="docker-desktop", FAKE_GATEWAY_SERVICE="yes")
    assert done.returncode == 1
    assert [line.split(":")[0] for line in failures(done)] == ["FAIL  NodePorts"]


def test_a_stack_not_served_on_127_0_0_1_skips_the_nodeport_check(doctor):
    done = doctor.run(stack="prod")
    assert done.returncode == 0, done.stdout
    assert "ok    NodePorts: stack prod does not serve on 127.0.0.1 (publicIps), not checked" in done.stdout


def test_a_stack_with_nexus_url_set_skips_the_nodeport_check(doctor, ports):
    """A port-forward `nexusUrl` can only answer once the stack has created Nexus: not a reason to stop `make up`."""
    doctor.dev_ports(registry=ports.closed, web=ports.closed)
    with open(doctor.root / "Pulumi.dev.yaml", "a") as stack_file:
        stack_file.write("  nexus-registry:nexusUrl: http://127.0.0.1:8081\n")
    done = doctor.run()
    assert done.returncode == 0, done.stdout
    assert (f"ok    NodePorts: not checked, nexusUrl is set (http://127.0.0.1:8081): pulumi up reaches Nexus there; "
            f"docker clients still need 127.0.0.1:{ports.closed}") in done.stdout.splitlines()


# ---- the commands that run it -------------------------------------------------------------------------------------

def run_in_repo(command: list[str], doctor: Doctor, **env: str) -> subprocess.CompletedProcess:
    path = f"{doctor.bin}:{os.environ['PATH']}"
    return subprocess.run(command, cwd=ROOT, env={**os.environ, **doctor.env, **env, "PATH": path},
                          capture_output=True, text=True, timeout=60)


def test_make_doctor_runs_the_checks_and_fails_with_them(doctor):
    """`make doctor` on the project itself (the prod stack: no 127.0.0.1 NodePorts to need here)."""
    good = run_in_repo(["make", "--no-print-directory", "doctor", "STACK=prod"], doctor)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "ok    Pulumi CLI: v3.139.0" in good.stdout
    bad = run_in_repo(["make", "--no-print-directory", "doctor", "STACK=prod"], doctor, FAKE_PULUMI_VERSION="v3.100.0")
    assert bad.returncode != 0
    assert "FAIL  Pulumi CLI: v3.100.0 is too old, 3.139 or newer is needed" in bad.stdout


def test_up_stops_at_a_failed_check_before_pulumi_does_anything(doctor):
    done = run_in_repo(["bash", str(ROOT / "scripts" / "up.sh")], doctor, STACK="prod", FAKE_API="down")
    assert done.returncode == 1
    assert "FAIL  kube context: kind-dev, its API server" in done.stdout
    assert [call for call in doctor.called() if call.startswith("pulumi")] == ["pulumi version"], \
        "no login, stack or config command may run before the checks pass"


def test_every_line_docs_explain_is_one_the_script_prints(doctor, ports):
    """docs/troubleshooting.md#make-doctor quotes the lines (`…` and `<name>` for what varies): each must match a
    line doctor.sh prints in one of the situations above."""
    printed = []
    for pulumi, env in [(False, {}), (True, {"FAKE_PULUMI_VERSION": "v3.100.0"}),
                        (True, {"FAKE_PULUMI_VERSION": "oops"}), (True, {"FAKE_CONTEXT": ""}),
                        (True, {"FAKE_API": "down"}), (True, {"FAKE_CONTEXT": "docker-desktop"})]:
        (doctor.bin / "pulumi").unlink(missing_ok=True)
        if pulumi:
            doctor.stand_in("pulumi", PULUMI)
        doctor.dev_ports(registry=ports.open, web=ports.closed)
        printed += doctor.run(**env).stdout.splitlines()
    printed += doctor.run(stack="prod").stdout.splitlines()
    (doctor.bin / "kubectl").unlink()
    printed += doctor.run().stdout.splitlines()
    section = (ROOT / "docs" / "troubleshooting.md").read_text().split("## `make doctor`", 1)[1]
    quoted = [m.group(1) for m in re.finditer(r"^\| `+(?: )?((?:FAIL|ok) .+?)(?: )?`+ \|", section, re.M)]
    assert len(quoted) == 9
    for line in quoted:
        pattern = ".*".join(re.escape(part) for part in re.split(r"…|<[^>]+>|\d+", line))
        assert any(re.fullmatch(pattern, out) for out in printed), line
