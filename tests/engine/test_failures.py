"""What `pulumi up` reports when something goes wrong, as the engine receives it from the provider server: the dev
stack exactly as its file sets it (`acceptEula` unset), `nexusUrl` pointing at the Nexus double."""
from __future__ import annotations

import base64
import importlib
import sys

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from tests.engine.conftest import target
from tests.support.engine import Deployment, Goal
from tests.support.engine_wire import Secret
from tests.support.nexus_double import EULA_DISCLAIMER
from tests.support.provider_server import EngineError, ProviderImportError
from tests.support.stack import TEST_PASSWORD


@pytest.fixture(scope="module")
def dev(nexus_port):
    with target("dev", {"nexusUrl": f"http://127.0.0.1:{nexus_port}"}) as t:
        yield t


def test_an_unaccepted_eula_stops_up_naming_the_config_key_and_quoting_nexus(dev, nexus):
    deployment = Deployment(dev.server)
    with pytest.raises(EngineError) as info:
        deployment.up(dev.goals)
    error = info.value
    assert (error.method, error.urn) == ("Create", dev.goal("docker-repos-eula").urn)
    assert "pulumi config set acceptEula true" in error.details
    assert EULA_DISCLAIMER[:60] in error.details           # Nexus' own words
    assert nexus.writes() == 0 and not nexus.eula_accepted
    # Only the read-only preflight (what exists under the stack's names) is in state: it holds no Nexus object.
    assert [r.type for r in deployment.resources.values()] == ["pulumi-python:dynamic/nexus:ExistingObjects"]


def test_a_nexus_refusal_reaches_the_engine_in_nexus_words(dev, nexus):
    nexus.eula_accepted = True                               # accepted by hand in the UI: nothing to do
    taken = {"name": "team-hosted", "online": True, "docker": {"v1Enabled": False, "forceBasicAuth": False,
                                                                "httpPort": 9897},
             "storage": {"blobStoreName": "default", "strictContentTypeValidation": True, "writePolicy": "ALLOW"}}
    assert nexus.outside("POST", "/v1/repositories/docker/hosted", taken) == 201
    deployment = Deployment(dev.server)
    with pytest.raises(EngineError, match="HTTP 400 to POST .*/docker/hosted: .*Port 9897 is already in use") as info:
        deployment.up(dev.goals)
    assert info.value.urn == dev.goal("docker-repos-hosted").urn
    assert nexus.repository("docker-hosted") is None


def test_a_password_changed_in_nexus_is_reported_naming_admin_password(dev, nexus):
    nexus.eula_accepted = True
    nexus.password = "changed-in-the-nexus-ui"
    with pytest.raises(EngineError, match="HTTP 401.*Check the `adminPassword` stack config key") as info:
        Deployment(dev.server).up(dev.goals)
    assert TEST_PASSWORD not in str(info.value) and nexus.password not in str(info.value)
    assert nexus.writes() == 0


def test_a_provider_module_the_server_cannot_import_fails_saying_so(dev, tmp_path, monkeypatch):
    # A provider class in a module this process imports but the provider process, started in the project root,
    # cannot: as after moving or renaming a provider module whose path is stored in the state.
    (tmp_path / "provider_outside_the_project.py").write_text(
        "from pulumi.dynamic import ResourceProvider\n\nclass Provider(ResourceProvider):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = importlib.import_module("provider_outside_the_project")
        blob = serialize_provider(module.Provider())               # pickled by reference: module path + name
    finally:
        sys.modules.pop("provider_outside_the_project", None)
    assert b"provider_outside_the_project" in base64.b64decode(blob)
    goal = Goal("urn:pulumi:dev::nexus-registry::pulumi-python:dynamic:Resource::moved",
                "pulumi-python:dynamic:Resource", {"__provider": Secret(blob), "value": 1})

    with pytest.raises(ProviderImportError, match="cannot be imported by the provider process .*"
                                                  "No module named 'provider_outside_the_project'") as info:
        Deployment(dev.server).up([goal])
    assert info.value.method == "Check"
