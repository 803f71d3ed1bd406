"""The external PostgreSQL, for real (issue 18): a throwaway PostgreSQL 15 from Debian, the database and user
created exactly as docs/scaling.md tells users to, and a login with the exact URL, user and password the stack
hands to Nexus (the Deployment's NEXUS_DATASTORE_NEXUS_* variables resolved through the Secret they reference),
by PostgreSQL's own JDBC driver under java. Also: every URL our check accepts is one the driver parses to the same
hosts, ports and database."""
from __future__ import annotations

import re
import secrets

import pytest

from components.config_scale import check_database_url, jdbc_hosts
from tests.support.postgres import jdbc, throwaway_cluster
from tests.support.stack import ROOT, run_program

pytestmark = pytest.mark.postgresql
DOCS = ROOT / "docs" / "scaling.md"
PLACEHOLDER = "CHANGE-ME"


def documented_sql() -> str:
    """The SQL block of docs/scaling.md's "Creating the database and its user" section."""
    section = DOCS.read_text().split("### Creating the database and its user", 1)[1]
    return re.search(r"```sql\n(.*?)```", section, re.S).group(1)


def nexus_env(run) -> dict[str, str]:
    """NEXUS_DATASTORE_NEXUS_* as the pod would see them: each secretKeyRef resolved in the registered Secret."""
    deployment = next(r.plain for r in run.of_type("kubernetes:apps/v1:Deployment")
                      if r.plain["metadata"]["name"] == "nexus")
    secrets_by_name = {r.plain["metadata"]["name"]: r.plain["stringData"] for r in run.of_type("kubernetes:core/v1:Secret")}
    env = {}
    for var in deployment["spec"]["template"]["spec"]["containers"][0]["env"]:
        if var["name"].startswith("NEXUS_DATASTORE_NEXUS_"):
            ref = var["valueFrom"]["secretKeyRef"]           # never a literal value
            env[var["name"]] = secrets_by_name[ref["name"]][ref["key"]]
    return env


@pytest.fixture(scope="module")
def cluster():
    with throwaway_cluster() as running:
        yield running


@pytest.fixture(scope="module")
def password(cluster) -> str:
    chosen = "Pw-" + secrets.token_urlsafe(18)
    cluster.psql(documented_sql().replace(PLACEHOLDER, chosen))
    return chosen


def test_nexus_logs_in_with_what_the_stack_hands_it(cluster, password):
    url = f"jdbc:postgresql://127.0.0.1:{cluster.port}/nexus?sslmode=disable&ApplicationName=nexus"
    run = run_program("dev", {"databaseUrl": url, "databaseUser": "nexus"}, {"databasePassword": password})
    env = nexus_env(run)
    assert env == {"NEXUS_DATASTORE_NEXUS_JDBCURL": url, "NEXUS_DATASTORE_NEXUS_USERNAME": "nexus",
                   "NEXUS_DATASTORE_NEXUS_PASSWORD": password}
    done = jdbc(["connect"], env)
    assert done.returncode == 0, done.stderr
    assert "user=nexus database=nexus encoding=UTF8" in done.stdout
    assert "created-and-dropped-table=ok" in done.stdout


def test_a_wrong_password_is_refused_by_the_server(cluster, password):
    env = {"NEXUS_DATASTORE_NEXUS_JDBCURL": f"jdbc:postgresql://127.0.0.1:{cluster.port}/nexus",
           "NEXUS_DATASTORE_NEXUS_USERNAME": "nexus", "NEXUS_DATASTORE_NEXUS_PASSWORD": password + "-wrong"}
    done = jdbc(["connect"], env)
    assert done.returncode != 0 and "password authentication failed for user \"nexus\"" in done.stderr


ACCEPTED = ["jdbc:postgresql://postgres.db.svc:5432/nexus", "jdbc:postgresql://10.0.0.5/nexus?sslmode=require",
            "jdbc:postgresql://[::1]:5433/nexus", "jdbc:postgresql://a.db:5432,b.db:5433/nexus?targetServerType=primary",
            "jdbc:postgresql://pg/nexus%2Dregistry?ApplicationName=nexus&connectTimeout=10"]


def test_every_url_we_accept_the_driver_parses_alike():
    for url in ACCEPTED:
        check_database_url(url)
    done = jdbc(["parse", *ACCEPTED, "jdbc:postgresql://pg:70000/nexus"])
    assert done.returncode == 0, done.stderr
    parsed = dict(line.split("\t", 1) for line in done.stdout.splitlines())
    for url in ACCEPTED:
        hosts, ports, database = parsed[url].split("\t")
        ours = jdbc_hosts(url)
        assert hosts.split(",") == [f"[{h}]" if ":" in h else h for h, _ in ours], url
        assert [int(p) for p in ports.split(",")] == [p for _, p in ours], url
        assert database in url.replace("%2D", "-"), url
    assert parsed["jdbc:postgresql://pg:70000/nexus"] == "REJECTED"       # the driver can refuse: the check is real
    with pytest.raises(ValueError):
        check_database_url("jdbc:postgresql://pg:70000/nexus")
