"""Labels, metadata and checkov suppressions shared by the Kubernetes objects of every component."""
from __future__ import annotations

import hashlib
from typing import Mapping, Optional, Protocol

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


def metadata(spec: Namespaced, name: str, annotations: Optional[Mapping[str, str]] = None) -> dict:
    md = {"name": name, "namespace": spec.namespace, "labels": spec.labels}
    if annotations:
        md["annotations"] = dict(annotations)
    return md


def checkov_skips(reasons: Mapping[str, str]) -> dict[str, str]:
    """The suppressions checkov reads from the object itself: `checkov.io/skipN: <check id>=<reason>`.
    Every accepted finding carries its reason here, where a reviewer of the object sees it;
    docs/tls-and-hardening.md lists them. checkov splits the value at '=', so a reason must be a sentence without one."""
    annotations = {}
    for n, (check, reason) in enumerate(sorted(reasons.items()), start=1):
        if "=" in reason or len(reason.split()) < 5:
            raise ValueError(f"checkov skip {check} needs a reason (a sentence without '='), got {reason!r}")
        annotations[f"checkov.io/skip{n}"] = f"{check}={reason}"
    return annotations


def image_skips(image: str, source: str, *more: tuple[str, str]) -> dict[str, str]:
    """checkov wants images pinned by digest (CKV_K8S_43) or pulled on every start (CKV_K8S_15). An image
    pinned by release tag (`source`: the stack key or constant that names it) is accepted; with a digest
    there both checks pass and no skip is declared. `more`: the object's other (image, source) pairs, since a
    skip covers every container of the object and its reason must name each image it covers."""
    sources = [s for i, s in ((image, source), *more) if "@sha256:" not in i]
    if not sources:
        return {}
    names = " and ".join(sources)
    pins, digest = ("pins", "a digest") if len(sources) == 1 else ("pin", "digests")
    return {
        "CKV_K8S_43": f"{names} {pins} a release tag, never latest; with {digest} added there "
                      "(repository:tag@sha256:...) this check passes",
        "CKV_K8S_15": "IfNotPresent on purpose: restarting these pods must not depend on the image registry "
                      f"being reachable; with {digest} in {names} this check passes",
    }


def checksum(*parts: str) -> str:
    """Pod-template annotation value: a new value rolls the pods (they read their config at start)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()
