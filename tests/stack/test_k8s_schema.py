"""Every Kubernetes object the program registers validates against Kubernetes' own schemas
(kubernetes-validate, strict mode: unknown fields fail too)."""
from __future__ import annotations

import kubernetes_validate
import pytest

from tests.support.stack import run_program

KUBERNETES_VERSION = "1.35.0"   # a recent release; kubernetes-validate 1.37 ships its schema
VARIANTS = {
    "dev": ("dev", {}),
    "prod": ("prod", {}),
    "dev-loadbalancer-push-port": ("dev", {"serviceType": "LoadBalancer", "registryPort": 443, "webPort": 80,
                                           "pushPort": 5443}),
    "dev-storage-class-no-retain": ("dev", {"storageClass": "fast-ssd", "retainData": False,
                                            "createNamespace": False}),
    "prod-cluster-pull": ("prod", {"pullSecretNamespaces": ["team-a", "nexus"], "trustOnNodes": True,
                                   "pushPort": 10002}),
}


def _ints(value):
    """The mock monitor turns every number into a float; Kubernetes integers must be ints again."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_kubernetes_object_validates(variant):
    stack, overrides = VARIANTS[variant]
    objects = run_program(stack, overrides).kubernetes_objects()
    assert objects, "no Kubernetes objects registered"
    if overrides.get("trustOnNodes"):
        assert {"DaemonSet", "ConfigMap", "Secret"} <= {o.plain["kind"] for o in objects}
    for obj in objects:
        manifest = _ints(obj.plain)
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{obj.typ} {obj.name}: {e.message} at {list(e.path)}")


def test_validation_catches_a_broken_object():
    """Proves the check can fail: a Deployment with a misspelt field is rejected."""
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
              "spec": {"replica": 1, "selector": {"matchLabels": {"a": "b"}},
                       "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
