"""The `monitoring` key's Nexus side through the engine's side replayed against the SDK's dynamic-provider
server: `up` makes the role holding only nx-metrics-all and the `metrics` user; the password lives only as a
secret output, and with it the double's /service/metrics/prometheus answers; destroy removes both."""
from __future__ import annotations

import pytest
import requests

from components.monitoring.component import METRICS_ROLE, METRICS_USER
from components.monitoring.manifests import NEXUS_METRICS_PATH
from tests.engine.conftest import target
from tests.support.engine import Deployment, ops
from tests.support.engine_wire import Secret, reveal


@pytest.fixture(scope="module")
def dev(nexus_port):
    with target("dev", {"nexusUrl": f"http://127.0.0.1:{nexus_port}", "acceptEula": True, "monitoring": True}) as t:
        yield t


def test_up_makes_the_metrics_user_and_its_password_scrapes(dev, nexus):
    deployment = Deployment(dev.server)
    steps = deployment.up(dev.goals)
    assert {"monitoring-role", "monitoring-user"} <= set(ops(steps, "create"))
    assert nexus.roles[METRICS_ROLE]["privileges"] == ["nx-metrics-all"]
    assert nexus.users[METRICS_USER]["roles"] == [METRICS_ROLE]

    user = next(r for r in deployment.resources.values() if r.type.endswith(":LocalUser"))
    assert isinstance(user.outputs["password"], Secret)
    password = reveal(user.outputs["password"])
    nexus.component_count = 123
    resp = requests.get(f"{nexus.url}{NEXUS_METRICS_PATH}", auth=(METRICS_USER, password), timeout=10)
    assert resp.status_code == 200 and "nexus_analytics_component_total_count 123.0" in resp.text
    assert nexus.login_status(METRICS_USER, password) == 403            # nothing but the metrics
    assert password.encode() not in deployment.plaintext_state()
    assert password.encode() not in dev.server.output()


def test_destroy_removes_the_metrics_user_and_role(dev, nexus):
    deployment = Deployment(dev.server)
    deployment.up(dev.goals)
    deployment.destroy()
    assert METRICS_USER not in nexus.users and METRICS_ROLE not in nexus.roles
