"""Every Kubernetes object the program registers validates against Kubernetes' own schemas
(kubernetes-validate, strict mode: unknown fields fail too)."""
from __future__ import annotations

import kubernetes_validate
import pytest

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
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{manifest['kind']} {manifest['metadata']['name']}: {e.message} at {list(e.path)}")


def test_validation_catches_a_broken_object():
    """Proves the check can fail: a Deployment with a misspelt field is rejected."""
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
              "spec": {"replica": 1, "selector": {"matchLabels": {"a": "b"}},
                       "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
