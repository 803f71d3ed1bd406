"""Labels and metadata shared by the Kubernetes objects of every component."""
from __future__ import annotations

import hashlib
from typing import Protocol

PART_OF = "nexus-registry"
# Pod-template annotation holding `checksum(...)` of what the pods read only at start.
CHECKSUM_ANNOTATION = "nexus-registry/config-checksum"


class Namespaced(Protocol):
    namespace: str

    @property
    def labels(self) -> dict[str, str]: ...


def app_labels(app: str, instance: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": instance,
            "app.kubernetes.io/part-of": PART_OF}


def metadata(spec: Namespaced, name: str) -> dict:
    return {"name": name, "namespace": spec.namespace, "labels": spec.labels}


def checksum(*parts: str) -> str:
    """Pod-template annotation value: a new value rolls the pods (they read their config at start)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()
