"""The data check (components/nexus_server/data_check.py) run for real against temporary data directories:
under bash started as `sh` (the sonatype/nexus3 image's /bin/sh), dash (strict POSIX) and busybox sh with
only busybox applets, with the real JVM running the lock probe, and a lock held the way Nexus holds it
(fcntl F_SETLK on byte 0 of <data>/lock, by another process; also from another PID namespace)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from components.nexus_server import data_check
from components.nexus_server.manifests import DATA_DIR, NexusSpec, deployment

IMAGE = "sonatype/nexus3:3.94.0"
STARTED = "NEXUS-WOULD-START-NOW"

pytestmark = pytest.mark.java


@pytest.fixture(params=["bash-as-sh", "dash", pytest.param("busybox", marks=pytest.mark.busybox)])
def shell(request, tmp_path_factory):
    """(argv of the shell, PATH) the script runs under; java stays reachable for the probe."""
    java_dir = str(Path(shutil.which("java")).resolve().parent)
    if request.param == "bash-as-sh":          # bash run as sh is POSIX mode, as the image's /bin/sh
        bin_dir = tmp_path_factory.mktemp("sh-bin")
        (bin_dir / "sh").symlink_to(shutil.which("bash"))
        return [str(bin_dir / "sh")], os.environ["PATH"]
    if request.param == "dash":
        return ["dash"], os.environ["PATH"]
    applets = tmp_path_factory.mktemp("busybox-bin")
    subprocess.run(["busybox", "--install", "-s", str(applets)], check=True)
    return [shutil.which("busybox"), "sh"], f"{applets}:{java_dir}"


def run_check(shell, data: Path, tmp_path: Path, image: str = IMAGE, **env) -> subprocess.CompletedProcess:
    argv, path = shell
    term = tmp_path / "termination-log"
    term.write_text("")
    environ = {"PATH": path, "TERMINATION_LOG": str(term),
               **{e["name"]: e["value"] for e in data_check.env(image, str(data))}, **env}
    script = data_check.script(probe_dir=str(tmp_path / "probe"))
    return subprocess.run([*argv, "-c", script, "data-check", "printf", f"{STARTED}\\n"],
                          env=environ, text=True, capture_output=True, timeout=60)


def termination_message(tmp_path: Path) -> str:
    return (tmp_path / "termination-log").read_text()


def make(data: Path, *dirs: str, files: tuple[str, ...] = ()) -> Path:
    data.mkdir(exist_ok=True)
    for d in dirs:
        (data / d).mkdir(parents=True)
    for f in files:
        (data / f).parent.mkdir(parents=True, exist_ok=True)
        (data / f).write_bytes(b"H2 ")
    return data


def orientdb(data: Path) -> Path:
    return make(data, *data_check.ORIENTDB_DIRS)


def h2(data: Path) -> Path:
    return make(data, "blobs/default", files=(data_check.H2_FILE,))


def started(result) -> bool:
    return result.stdout == f"{STARTED}\n"


def test_empty_data_starts_nexus(shell, tmp_path):
    result = run_check(shell, make(tmp_path / "data"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert started(result)
    assert "no database (a new installation): starting Nexus" in result.stderr
    assert termination_message(tmp_path) == ""


def test_h2_data_starts_nexus(shell, tmp_path):
    result = run_check(shell, h2(tmp_path / "data"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert started(result) and "holds an H2 database: starting Nexus" in result.stderr


def test_orientdb_data_stops_a_3_71_or_later_image_with_the_path_out(shell, tmp_path):
    data = orientdb(tmp_path / "data")
    result = run_check(shell, data, tmp_path)
    assert result.returncode == 1 and not started(result)
    message = termination_message(tmp_path)
    assert message.startswith(f"{data_check.PREFIX} {data} holds an OrientDB database")
    assert "sonatype/nexus3:3.70.x" in message
    assert "java -jar nexus-db-migrator-3.70.x.jar --migration_type=h2" in message
    assert f"start {IMAGE} again" in message
    # the path out is in that order: 3.70.x, the migrator, this image
    assert message.index("3.70.x on this data") < message.index("nexus-db-migrator") < message.index(f"{IMAGE} again")
    assert message.strip() in result.stderr     # also the log, for FallbackToLogsOnError and kubectl logs
    assert len(message.encode()) < 4096         # the kubelet keeps at most 4096 bytes of it


def test_orientdb_data_is_left_to_an_image_that_still_reads_it(shell, tmp_path):
    result = run_check(shell, orientdb(tmp_path / "data"), tmp_path, image="sonatype/nexus3:3.70.4")
    assert result.returncode == 0 and started(result)
    assert "holds an OrientDB database: starting Nexus" in result.stderr


def test_h2_beside_an_orientdb_leftover_starts_nexus(shell, tmp_path):
    data = orientdb(tmp_path / "data")
    h2(data)
    result = run_check(shell, data, tmp_path)
    assert result.returncode == 0 and started(result), result.stderr
    assert "an H2 database (beside an OrientDB leftover" in result.stderr


def test_external_postgresql_with_h2_data_stops(shell, tmp_path):
    result = run_check(shell, h2(tmp_path / "data"), tmp_path,
                       NEXUS_DATASTORE_NEXUS_JDBCURL="jdbc:postgresql://pg:5432/nexus")
    assert result.returncode == 1 and not started(result)
    message = termination_message(tmp_path)
    assert "external PostgreSQL (NEXUS_DATASTORE_NEXUS_JDBCURL)" in message and data_check.H2_FILE in message
    assert "docs/scaling.md#moving-from-h2-to-postgresql" in message
    assert "postgresql://pg" not in message and "postgresql://pg" not in result.stderr


def test_external_postgresql_with_empty_data_starts_nexus(shell, tmp_path):
    result = run_check(shell, make(tmp_path / "data"), tmp_path,
                       NEXUS_DATASTORE_NEXUS_JDBCURL="jdbc:postgresql://pg:5432/nexus")
    assert result.returncode == 0 and started(result), result.stderr


HOLD = """
import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)   # fcntl(F_SETLK) on byte 0: NexusFileLock's tryLock(0, 1, false)
f.seek(0); f.truncate(); f.write(sys.argv[2]); f.flush()
print("locked", flush=True)
time.sleep(120)
"""


# NexusFileLock.doLock()'s calls, in a JVM: the lock exactly as a running Nexus takes it.
JAVA_HOLD = """
import java.io.RandomAccessFile;
import java.nio.channels.FileLock;

public class NexusLikeLock {
    public static void main(String[] args) throws Exception {
        RandomAccessFile file = new RandomAccessFile(args[0], "rws");
        FileLock lock = file.getChannel().tryLock(0L, 1L, false);
        file.setLength(0);
        file.seek(0);
        file.write(args[1].getBytes("UTF-8"));
        System.out.println(lock == null ? "failed" : "locked");
        Thread.sleep(120000);
    }
}
"""


def java_holder(directory: Path) -> tuple[str, ...]:
    (directory / "NexusLikeLock.java").write_text(JAVA_HOLD)
    subprocess.run(["javac", "-d", str(directory), str(directory / "NexusLikeLock.java")], check=True)
    return ("java", "-cp", str(directory), "NexusLikeLock")


class Holder:
    """Another process holding <data>/lock as a running Nexus does (optionally from its own PID namespace):
    a JVM doing what NexusFileLock does, or Python's fcntl.lockf on the same byte."""

    def __init__(self, lock: Path, *, prefix: tuple[str, ...] = (), command: tuple[str, ...] | None = None):
        lock.touch()
        command = command or (sys.executable, "-c", HOLD)
        self.proc = subprocess.Popen([*prefix, *command, str(lock), "7@nexus-old-5f7d"],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def stop(self):
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.mark.parametrize("held_by", ["jvm", "fcntl"])
def test_data_in_use_by_another_nexus_stops_it(shell, tmp_path, held_by):
    data = h2(tmp_path / "data")
    (tmp_path / "holder").mkdir()
    holder = Holder(data / data_check.LOCK_FILE, command=java_holder(tmp_path / "holder") if held_by == "jvm" else None)
    try:
        result = run_check(shell, data, tmp_path)
    finally:
        holder.stop()
    assert result.returncode == 1 and not started(result), result.stderr
    message = termination_message(tmp_path)
    assert f"{data} is in use by another running Nexus" in message
    assert "written by the JVM 7@nexus-old-5f7d" in message and "--replicas=0" in message
    again = run_check(shell, data, tmp_path)       # once the other one is gone, the next restart starts
    assert again.returncode == 0 and started(again), again.stderr


def test_a_lock_file_left_by_a_stopped_nexus_is_no_obstacle(shell, tmp_path):
    data = h2(tmp_path / "data")
    (data / data_check.LOCK_FILE).write_text("1@nexus-crashed")
    result = run_check(shell, data, tmp_path)
    assert result.returncode == 0 and started(result), result.stderr
    assert (data / data_check.LOCK_FILE).read_text() == "1@nexus-crashed"   # the probe writes nothing


def test_a_lock_held_in_another_pid_namespace_is_seen(tmp_path):
    """A pod has its own PID namespace: /proc/locks hides another pod's lock there, the probe does not."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.fail("needs root and unshare (util-linux), as CI has")
    data = h2(tmp_path / "data")
    lock = data / data_check.LOCK_FILE
    holder = Holder(lock, prefix=("unshare", "--pid", "--fork", "--mount-proc"))
    try:
        listed = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "cat", "/proc/locks"],
                                capture_output=True, text=True, check=True).stdout
        result = run_check((["dash"], os.environ["PATH"]), data, tmp_path)
    finally:
        holder.stop()
    assert f":{lock.stat().st_ino} " not in listed, "the kernel lists it in the other namespace after all"
    assert result.returncode == 1 and "in use by another running Nexus" in termination_message(tmp_path)


def test_the_shipped_probe_is_its_source_compiled(tmp_path):
    """PROBE_CLASS is DataLockProbe.java built with javac --release 11 (compared as javap's disassembly)."""
    subprocess.run(["javac", "--release", "11", "-d", str(tmp_path / "built"),
                    str(data_check.PROBE_DIR / "DataLockProbe.java")], check=True)
    (tmp_path / "shipped").mkdir()
    (tmp_path / "shipped" / "DataLockProbe.class").write_bytes(data_check.PROBE_CLASS)

    def disassembled(d):
        return subprocess.run(["javap", "-c", "-p", "-cp", str(tmp_path / d), "DataLockProbe"],
                              capture_output=True, text=True, check=True).stdout
    assert disassembled("shipped") == disassembled("built")
    assert data_check.PROBE_CLASS[6:8] == (55).to_bytes(2, "big")   # class file 55: runs on Java 11 and later


def test_the_nexus_container_runs_the_check_then_the_image_command():
    spec = NexusSpec(name="nexus", namespace="nexus", image=IMAGE, jvm_options="-Xmx2g", memory="6Gi",
                     cpu="1", cpu_limit="4", hosted_port=9897, group_port=9896)
    nexus = deployment(spec)["spec"]["template"]["spec"]["containers"][0]
    assert nexus["command"][:2] == ["/bin/sh", "-c"] and nexus["command"][2] == data_check.script()
    assert nexus["command"][3:] == ["data-check", "/opt/sonatype/nexus/bin/nexus", "run"]
    env = {e["name"]: e.get("value") for e in nexus["env"]}
    assert env["DATA_CHECK_DIR"] == DATA_DIR and env["DATA_CHECK_ORIENTDB"] == "refuse"
    assert nexus["terminationMessagePolicy"] == "FallbackToLogsOnError"


@pytest.mark.parametrize("image, policy", [("sonatype/nexus3:3.94.0", "refuse"), ("sonatype/nexus3:3.71.0", "refuse"),
                                           ("sonatype/nexus3:3.70.4-java11", "allow"),
                                           ("registry.local/nexus3@sha256:" + "a" * 64, "refuse")])
def test_orientdb_policy_follows_the_image_version(image, policy):
    assert data_check.orientdb_policy(image) == policy
