"""The `metrics` user over real HTTP against the Nexus double: the stack's role (only nx-metrics-all) and user,
made by the same providers `pulumi up` runs, can read /service/metrics/prometheus and nothing else; a docker pull
user cannot read the metrics, nobody anonymous can."""
from __future__ import annotations

import requests

from components.monitoring.component import METRICS_PRIVILEGES, METRICS_ROLE, METRICS_USER
from components.monitoring.manifests import NEXUS_METRICS_PATH
from components.nexus_config import accounts
from tests.support.mtail import parse_samples
from tests.support.nexus_fixtures import create, provider_for


def _metrics_user(nexus) -> str:
    create(provider_for(accounts.RoleProvider, nexus), nexus, name=METRICS_ROLE, description="metrics",
           privileges=list(METRICS_PRIVILEGES))
    _, outs = create(provider_for(accounts.LocalUserProvider, nexus), nexus, name=METRICS_USER, roles=[METRICS_ROLE])
    return outs["password"]


def test_the_metrics_user_scrapes_the_component_count(nexus):
    password = _metrics_user(nexus)
    nexus.component_count = 31234
    resp = requests.get(f"{nexus.url}{NEXUS_METRICS_PATH}", auth=(METRICS_USER, password), timeout=10)
    assert resp.status_code == 200, resp.text
    samples = parse_samples(resp.text)
    assert samples[("nexus_analytics_component_total_count", frozenset())] == 31234


def test_the_metrics_user_holds_nothing_else(nexus):
    password = _metrics_user(nexus)
    assert nexus.roles[METRICS_ROLE]["privileges"] == ["nx-metrics-all"]
    assert nexus.login_status(METRICS_USER, password) == 403            # no REST API at all
    resp = requests.get(f"{nexus.url}{NEXUS_METRICS_PATH}", auth=(METRICS_USER, "wrong"), timeout=10)
    assert resp.status_code == 401


def test_other_users_and_anonymous_cannot_scrape(nexus):
    create(provider_for(accounts.RoleProvider, nexus), nexus, name="other", description="no metrics",
           privileges=["nx-repository-view-*-*-read"])
    _, outs = create(provider_for(accounts.LocalUserProvider, nexus), nexus, name="puller", roles=["other"])
    assert requests.get(f"{nexus.url}{NEXUS_METRICS_PATH}", auth=("puller", outs["password"]),
                        timeout=10).status_code == 403
    assert requests.get(f"{nexus.url}{NEXUS_METRICS_PATH}", timeout=10).status_code == 401
