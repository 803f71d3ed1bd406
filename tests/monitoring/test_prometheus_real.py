"""The whole chain under a real Prometheus (Debian's, on 127.0.0.1): it scrapes the real mtail behind the real
gateway nginx and the Nexus double's /service/metrics/prometheus with the metrics user's basic auth (the scrape
jobs docs/monitoring.md gives), loads the rendered rule file, and after real traffic the alerts go pending on the
series they are meant for while every dashboard query evaluates."""
from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
import requests
import yaml

from components.monitoring.component import METRICS_PRIVILEGES, METRICS_ROLE, METRICS_USER
from components.monitoring.dashboard import DashboardSettings, dashboard, queries
from components.monitoring.manifests import NEXUS_METRICS_PATH, rules_text
from components.monitoring.rules import COMPONENTS, AlertSettings, rule_groups
from components.nexus_config import accounts
from tests.support.gateway_env import run_backends, run_gateway
from tests.support.mtail import run_mtail
from tests.support.nexus_double import NexusDouble
from tests.support.nexus_fixtures import create, provider_for
from tests.support.oci import MANIFEST_ACCEPT, make_image, push_image
from tests.support.procs import free_port, require_binary, running

pytestmark = pytest.mark.monitoring
LIMIT = 40000


@contextlib.contextmanager
def run_prometheus(workdir: Path, config: dict):
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    args = [require_binary("prometheus"), f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"]
    with running(args, log=workdir / "prometheus.log", port=port, cwd=workdir, timeout=30):
        yield f"http://127.0.0.1:{port}"


def _poll(what, timeout: float = 40.0):
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("prometheus-chain")
    with NexusDouble() as nexus, run_mtail(workdir) as exporter, run_backends(workdir) as backends, \
            run_gateway(workdir, hosted=backends.hosted.address, group=backends.group,
                        web=f"127.0.0.1:{free_port()}", metrics_log_address=exporter.syslog_address) as gw:
        create(provider_for(accounts.RoleProvider, nexus), nexus, name=METRICS_ROLE, description="metrics",
               privileges=list(METRICS_PRIVILEGES))
        _, user = create(provider_for(accounts.LocalUserProvider, nexus), nexus, name=METRICS_USER,
                         roles=[METRICS_ROLE])
        (workdir / "nexus-metrics.password").write_text(user["password"])
        nexus.component_count = int(LIMIT * 0.8) + 500
        (workdir / "rules.yaml").write_text(rules_text(rule_groups(AlertSettings(component_limit=LIMIT))))
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(workdir / "rules.yaml")],
            "scrape_configs": [
                {"job_name": "nexus", "metrics_path": NEXUS_METRICS_PATH,
                 "basic_auth": {"username": METRICS_USER, "password_file": str(workdir / "nexus-metrics.password")},
                 "static_configs": [{"targets": [nexus.url.removeprefix("http://")]}]},
                {"job_name": "registry-gateway", "static_configs": [{"targets": [f"127.0.0.1:{exporter.port}"]}]},
            ]}
        with run_prometheus(workdir, config) as prometheus:
            image = make_image(workdir / "oci" / "app", "1")
            push_image(gw.url, "team/app", image, ca=gw.ca)
            deadline = time.monotonic() + 8       # several scrapes see the counters grow
            while time.monotonic() < deadline:
                requests.get(f"{gw.url}/v2/team/app/manifests/1", headers={"Accept": MANIFEST_ACCEPT},
                             verify=str(gw.ca), timeout=30)
                requests.get(f"{gw.web_url}/service/rest/v1/status", timeout=30)     # 502: nothing listens
                time.sleep(0.1)
            yield prometheus


def _alerts(prometheus: str) -> list[dict]:
    return requests.get(f"{prometheus}/api/v1/alerts", timeout=10).json()["data"]["alerts"]


def _query(prometheus: str, expr: str) -> dict:
    return requests.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10).json()


def test_both_targets_are_scraped(chain):
    def up():
        result = _query(chain, "up")["data"]["result"]
        return {r["metric"]["job"]: r["value"][1] for r in result} if len(result) == 2 else None
    assert _poll(up) == {"nexus": "1", "registry-gateway": "1"}


def test_component_alert_goes_pending_from_the_scraped_gauge(chain):
    pending = _poll(lambda: [a for a in _alerts(chain) if a["labels"]["alertname"] == "NexusComponentsNearLimit"])
    assert pending and pending[0]["state"] == "pending"          # `for: 30m` keeps it pending in a test
    assert float(pending[0]["value"]) == LIMIT * 0.8 + 500


def test_5xx_alert_goes_pending_on_the_failing_route_only(chain):
    alerts = _poll(lambda: [a for a in _alerts(chain) if a["labels"]["alertname"] == "RegistryGateway5xx"])
    assert [a["labels"]["route"] for a in alerts] == ["nexus_web"]
    assert alerts[0]["state"] == "pending"


def test_every_dashboard_query_evaluates_and_traffic_shows(chain):
    board = dashboard(DashboardSettings(component_limit=LIMIT, namespace="nexus", data_claim="nexus-data"))
    for expr in queries(board):
        answer = _query(chain, expr)
        assert answer["status"] == "success", (expr, answer)
    pulls = _query(chain, queries(board)[0])["data"]["result"]
    assert {r["metric"]["route"] for r in pulls} == {"registry_group"} and float(pulls[0]["value"][1]) > 0
    components = _query(chain, COMPONENTS)["data"]["result"]
    assert COMPONENTS in queries(board)
    assert float(components[0]["value"][1]) == LIMIT * 0.8 + 500
