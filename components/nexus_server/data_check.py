"""The data check that runs in the Nexus container right before Nexus: what /nexus-data holds, and whether
another Nexus has it open. A POSIX sh script (bash-as-sh in the sonatype/nexus3 image; dash and busybox in
the tests) as plain data; docs/data-check.md explains the checks and messages.

It refuses to start Nexus (exit 1, the reason in the container's termination message) when
  - another running Nexus holds the data directory's lock;
  - the data is an OrientDB database (db/config, db/security, db/component, no db/nexus.mv.db) and the image
    is 3.71 or later, which runs only on H2 or PostgreSQL;
  - the pod is configured for an external PostgreSQL (NEXUS_DATASTORE_NEXUS_JDBCURL) while db/nexus.mv.db
    exists: that data would be silently left behind.
Empty data and H2 data (also H2 beside an OrientDB leftover) go ahead: the script then execs its arguments.

Why in the Nexus container and not an init container: pulumi-kubernetes' Deployment await reports pod
problems every 10 s from `pod.status.containerStatuses` only (provider/pkg/await/deployment.go,
aggregatePodErrors -> await/checker/pod/check.go, collectContainerStatusErrors); it never reads
`initContainerStatuses`, so an init container's termination message would never reach `pulumi up`. The
Nexus container's own termination message (state.terminated.message, lastTerminationState) is printed there.

The lock: Nexus guards its data directory with org.sonatype.nexus.karaf.NexusFileLock (nexus-public,
components/nexus-main; karaf.lock.class in etc/karaf/custom.properties), which takes
FileChannel.tryLock(0, 1, false) on <karaf.data>/lock and exits when it cannot. The JDK takes that lock with
fcntl(F_SETLK): a POSIX record lock, which flock(1) does not see, and which /proc/locks shows only to
readers in the lock holder's PID namespace (another pod's Nexus is invisible there; measured on this kind of
machine with `unshare --pid`). So the check asks the kernel the way Nexus does: DataLockProbe (probe/),
run by the image's own java, requests a shared lock on byte 0 of a read-only handle and reports "held" while
another process has the exclusive one. The probe's class is shipped compiled (the image's headless JRE
has no compiler), written to /tmp at start.
"""
from __future__ import annotations

import base64
import shlex
from pathlib import Path

from components.config_values import nexus_version

PROBE_DIR = Path(__file__).parent / "probe"
PROBE_CLASS_B64 = (PROBE_DIR / "DataLockProbe.class.b64").read_text().strip()
PROBE_CLASS = base64.b64decode(PROBE_CLASS_B64)
ORIENTDB_LAST = (3, 70)         # the last Nexus line that opens OrientDB data (3.71.0 removed it)
ORIENTDB_DIRS = ("db/config", "db/security", "db/component")
H2_FILE = "db/nexus.mv.db"
LOCK_FILE = "lock"
JDBC_URL_ENV = "NEXUS_DATASTORE_NEXUS_JDBCURL"
NEXUS_START = ("/opt/sonatype/nexus/bin/nexus", "run")   # the image's CMD (sonatype/docker-nexus3)
PREFIX = "nexus-registry data check:"

_SCRIPT = r"""
# nexus-registry data check (docs/data-check.md): runs before Nexus; refuses to start it, with the reason
# as the container's termination message, or execs the command it was given.
set -u
dir=$DATA_CHECK_DIR
term=${TERMINATION_LOG:-/dev/termination-log}

refuse() {
  printf '%s %s\n' "$prefix" "$1" >&2
  { printf '%s %s\n' "$prefix" "$1" > "$term"; } 2>/dev/null || :
  exit 1
}

# 1. Another Nexus has this data open (its NexusFileLock on $dir/lock): two Nexus on one database corrupt it.
if [ -f "$dir/lock" ]; then
  mkdir -p "$probe_dir" && printf '%s' "$probe_class" | base64 -d > "$probe_dir/DataLockProbe.class"
  java=${JAVA_HOME:+$JAVA_HOME/bin/}java
  verdict=$("$java" -Xmx16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData \
            -cp "$probe_dir" DataLockProbe "$dir/lock" 2>&1) || verdict="error: $verdict"
  case $verdict in
    held)
      holder=
      IFS= read -r holder < "$dir/lock" || :
      refuse "$dir is in use by another running Nexus (it holds $dir/lock; written by the JVM ${holder:-?}, \
as pid@hostname). Two Nexus on one database corrupt it. Stop the other one first (e.g. scale the old \
workload to 0: kubectl scale deployment/<old> --replicas=0), then this pod starts on its next restart." ;;
    free) ;;
    *) printf '%s cannot probe %s/lock (%s); Nexus itself still refuses a held lock\n' \
              "$prefix" "$dir" "$verdict" >&2 ;;
  esac
fi

orientdb=yes
for d in $orientdb_dirs; do [ -d "$dir/$d" ] || orientdb=no; done
h2=no
[ -f "$dir/$h2_file" ] && h2=yes

# 2. OrientDB data with an image that has no OrientDB any more (3.71+).
if [ "$orientdb" = yes ] && [ "$h2" = no ] && [ "$DATA_CHECK_ORIENTDB" = refuse ]; then
  refuse "$dir holds an OrientDB database (db/config, db/security, db/component; no $h2_file). \
$DATA_CHECK_IMAGE runs only on H2 or PostgreSQL (Nexus 3.71.0 removed OrientDB). Path out: \
1) run the latest sonatype/nexus3:3.70.x on this data; \
2) back up its databases (task 'Admin - Export databases for backup') and, in the backup directory, run \
java -jar nexus-db-migrator-3.70.x.jar --migration_type=h2; \
3) put the nexus.mv.db it writes into $dir/db and start $DATA_CHECK_IMAGE again. See docs/data-check.md."
fi

# 3. An external PostgreSQL is configured, but the data is an H2 database: switching is a migration.
if [ -n "${$jdbc_env:-}" ] && [ "$h2" = yes ]; then
  refuse "the pod is configured for an external PostgreSQL ($jdbc_env) but $dir/$h2_file exists: \
Nexus would start on an empty PostgreSQL database and leave this installation's data behind. Moving from \
H2 is not a config switch: migrate with Sonatype's nexus-db-migrator (--migration_type=postgres) first, \
see docs/scaling.md#moving-from-h2-to-postgresql."
fi

if [ "$h2" = yes ]; then found="an H2 database"
elif [ "$orientdb" = yes ]; then found="an OrientDB database"
elif [ -d "$dir/db" ]; then found="a db directory without a known database"
else found="no database (a new installation)"; fi
[ "$orientdb" = yes ] && [ "$h2" = yes ] && found="$found (beside an OrientDB leftover, which Nexus ignores)"
printf '%s %s holds %s: starting Nexus\n' "$prefix" "$dir" "$found" >&2
[ "$#" -eq 0 ] || exec "$@"
"""


def orientdb_policy(image: str) -> str:
    """'refuse' for images without OrientDB (3.71+, and unversioned tags, which are new ones), else 'allow'."""
    version = nexus_version(image)
    return "allow" if version is not None and version <= ORIENTDB_LAST else "refuse"


def script(probe_dir: str = "/tmp/nexus-registry-probe") -> str:
    """The check as one POSIX sh script (its arguments: the command to exec when the data may be opened)."""
    head = "\n".join([
        f"prefix={shlex.quote(PREFIX)}",
        f"probe_dir={shlex.quote(probe_dir)}",
        f"probe_class={shlex.quote(PROBE_CLASS_B64)}",
        f"orientdb_dirs={shlex.quote(' '.join(ORIENTDB_DIRS))}",
        f"h2_file={shlex.quote(H2_FILE)}",
    ])
    return head + _SCRIPT.replace("${$jdbc_env:-}", "${" + JDBC_URL_ENV + ":-}").replace("$jdbc_env", JDBC_URL_ENV)


def env(image: str, data_dir: str) -> list[dict]:
    """The check's settings, as container env entries."""
    return [{"name": "DATA_CHECK_DIR", "value": data_dir},
            {"name": "DATA_CHECK_IMAGE", "value": image},
            {"name": "DATA_CHECK_ORIENTDB", "value": orientdb_policy(image)}]


def command() -> list[str]:
    """The Nexus container's command: the check, which then execs the image's own start command."""
    return ["/bin/sh", "-c", script(), "data-check", *NEXUS_START]
