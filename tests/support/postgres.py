"""A throwaway PostgreSQL cluster from Debian's postgresql package, on a free 127.0.0.1 port and a temporary
directory, stopped and removed afterwards; and PostgreSQL's own JDBC driver (libpostgresql-jdbc-java) run through
tests/support/JdbcProbe.java with the machine's java.

PostgreSQL refuses to run as root: as root the cluster runs as `nobody` (setpriv), otherwise as the current user.
Password logins over TCP use scram-sha-256; the socket (in the data directory, never /var/run) trusts the admin.
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Sequence

from tests.support.procs import free_port, require_binary

JDBC_JAR = Path("/usr/share/java/postgresql.jar")
PROBE = Path(__file__).with_name("JdbcProbe.java")
NOBODY = 65534


def pg_bin() -> Optional[Path]:
    """The newest installed PostgreSQL server's bin directory (Debian keeps it off PATH)."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name))
    return Path(dirs[-1]) if dirs else None


def layer_binaries() -> tuple[str, ...]:
    """What the postgresql tier needs, as paths `find_binary` can check."""
    found = pg_bin()
    server = [str(found / b) for b in ("initdb", "pg_ctl", "postgres", "psql")] if found else ["initdb"]
    return (*server, "java", "javac")


@dataclass
class Cluster:
    port: int
    socket_dir: Path
    bin: Path
    user_prefix: Sequence[str]

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser `postgres` over the socket; fails on the first error."""
        done = subprocess.run([*self.user_prefix, str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                               "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-d", database,
                               "-At", "-f", "-"], input=sql, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed ({done.returncode}): {done.stderr}")
        return done.stdout


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    binary = pg_bin()
    if binary is None:
        raise RuntimeError("postgresql is not installed; run `make system-deps` (scripts/system-deps.sh)")
    root = Path(tempfile.mkdtemp(prefix="nexus-registry-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        os.chown(root, NOBODY, NOBODY)
        prefix = [require_binary("setpriv"), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    data, port = root / "data", free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8"}

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120, env=env, cwd=root)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    try:
        run(str(binary / "initdb"), "-D", str(data), "-U", "postgres", "--encoding=UTF8", "--locale=C.UTF-8",
            "--auth-local=trust", "--auth-host=scram-sha-256")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
        run(str(binary / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-o", options, "-w",
            "-t", "60", "start")
        try:
            yield Cluster(port, root, binary, prefix)
        finally:
            run(str(binary / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def jdbc(args: Sequence[str], env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """The probe under the real driver: `java -cp postgresql.jar JdbcProbe.java ARGS`."""
    if not JDBC_JAR.is_file():
        raise RuntimeError(f"{JDBC_JAR} is missing; install libpostgresql-jdbc-java (scripts/system-deps.sh)")
    return subprocess.run([require_binary("java"), "-cp", str(JDBC_JAR), str(PROBE), *args], capture_output=True,
                          text=True, timeout=180, env={**os.environ, **(env or {})})
