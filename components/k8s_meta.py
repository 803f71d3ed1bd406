"""Labels, metadata and checkov suppressions shared by the Kubernetes objects of every component."""
from __future__ import annotations

from typing import Mapping, Optional, Protocol

PART_OF = "nexus-registry"


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
    Every accepted finding carries its reason here, where a reviewer of the object sees it; README lists
    them. checkov splits the value at '=', so a reason must be a sentence without one."""
    annotations = {}
    for n, (check, reason) in enumerate(sorted(reasons.items()), start=1):
        if "=" in reason or len(reason.split()) < 5:
            raise ValueError(f"checkov skip {check} needs a reason (a sentence without '='), got {reason!r}")
        annotations[f"checkov.io/skip{n}"] = f"{check}={reason}"
    return annotations


def image_skips(image: str, key: str) -> dict[str, str]:
    """checkov wants images pinned by digest (CKV_K8S_43) or pulled on every start (CKV_K8S_15). A stack
    key that pins a release tag is accepted; with a digest in the key both checks pass and no skip is
    declared."""
    if "@sha256:" in image:
        return {}
    return {
        "CKV_K8S_43": f"{key} pins a release tag (never latest) and accepts repository:tag@sha256:...; "
                      "with a digest there this check passes",
        "CKV_K8S_15": "IfNotPresent on purpose: restarting a registry pod must not depend on the image "
                      f"registry being reachable; with a digest in {key} this check passes",
    }
