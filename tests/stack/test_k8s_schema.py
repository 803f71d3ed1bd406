"""Every Kubernetes object the program registers validates against Kubernetes' own schemas
(kubernetes-validate, strict mode: unknown fields fail too)."""
from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from tests.support.crd_schemas import SCHEMAS, is_custom
from tests.support.manifests import VARIANTS, manifests

KUBERNETES_VERSION = "1.35.0"   # a recent release; kubernetes-validate 1.37 ships its schema


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_kubernetes_object_validates(variant):
    objects = manifests(variant)
    assert objects, "no Kubernetes objects registered"
    _, overrides, _ = VARIANTS[variant]
    if overrides.get("trustOnNodes"):
        assert {"DaemonSet", "ConfigMap", "Secret"} <= {o["kind"] for o in objects}
    for manifest in objects:
        # A Prometheus Operator object: its metadata against Kubernetes' ObjectMeta (inside a ConfigMap), its spec
        # against the operator's types (tests/support/crd_schemas.py); promtool also checks the rules' spec.
        core = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": manifest["metadata"]} \
            if is_custom(manifest) else manifest
        try:
            kubernetes_validate.validate(core, KUBERNETES_VERSION, strict=True)
            if is_custom(manifest):
                jsonschema.validate(manifest["spec"], SCHEMAS[(manifest["apiVersion"], manifest["kind"])])
                assert set(manifest) == {"apiVersion", "kind", "metadata", "spec"}, manifest.keys()
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as e:
            pytest.fail(f"{manifest['kind']} {manifest['metadata']['name']}: {e.message} at {list(e.path)}")


def test_operator_objects_are_made_and_checked_where_the_operator_runs():
    kinds = {o["kind"] for o in manifests("maximal") if is_custom(o)}
    assert kinds == {"ServiceMonitor", "PrometheusRule"}
    assert not [o for o in manifests("dev-monitoring-configmap") if is_custom(o)]


def test_operator_schemas_catch_a_misspelt_field():
    monitor = next(o for o in manifests("maximal") if o["kind"] == "ServiceMonitor")
    endpoint = monitor["spec"]["endpoints"][0]
    broken = {**monitor["spec"], "endpoints": [{**endpoint, "basicauth": endpoint.get("basicAuth", {})}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMAS[("monitoring.coreos.com/v1", "ServiceMonitor")])


def test_validation_catches_a_broken_object():
    """Proves the check can fail: a Deployment with a misspelt field is rejected."""
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
              "spec": {"replica": 1, "selector": {"matchLabels": {"a": "b"}},
                       "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
