"""Labels and metadata shared by the Kubernetes objects of every component."""
from __future__ import annotations

from typing import Protocol

PART_OF = "nexus-registry"


class Namespaced(Protocol):
    namespace: str

    @property
    def labels(self) -> dict[str, str]: ...


def app_labels(app: str, instance: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": instance,
            "app.kubernetes.io/part-of": PART_OF}


def metadata(spec: Namespaced, name: str) -> dict:
    return {"name": name, "namespace": spec.namespace, "labels": spec.labels}
