"""checkov, an outside judge, over every Kubernetes object the program registers: no failed check, and
every accepted finding declared on the object itself (a `checkov.io/skipN` annotation) with its reason,
the same reasons docs/tls-and-hardening.md lists. A weakened copy of a Deployment must fail, so the scan can fail."""
from __future__ import annotations

import copy
import re

import pytest

from tests.support.checkov import Report, scan_all
from tests.support.manifests import manifests, write_manifests
from tests.support.stack import ROOT

pytestmark = pytest.mark.checkov
SCANNED = ("dev", "prod", "maximal", "maximal-no-network-policies", "dev-s3-postgresql")
# What a Deployment's own settings buy: with them stripped, checkov must report each of these.
WEAKENED_FAILS = {"CKV_K8S_11", "CKV_K8S_15", "CKV_K8S_43",   # the declared skips are gone
                  "CKV_K8S_20", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_28", "CKV_K8S_29", "CKV_K8S_30",
                  "CKV_K8S_31", "CKV_K8S_37", "CKV_K8S_38", "CKV_K8S_40"}


def _weakened(objects: list[dict]) -> list[dict]:
    """The dev objects with the gateway Deployment stripped of its annotations and security settings."""
    objects = copy.deepcopy(objects)
    gateway = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "registry-gateway")
    del gateway["metadata"]["annotations"]
    pod = gateway["spec"]["template"]["spec"]
    for key in ("securityContext", "automountServiceAccountToken"):
        del pod[key]
    del pod["containers"][0]["securityContext"]
    return objects


@pytest.fixture(scope="module")
def objects() -> dict[str, list[dict]]:
    return {variant: manifests(variant) for variant in SCANNED}


@pytest.fixture(scope="module")
def reports(objects, tmp_path_factory) -> dict[str, Report]:
    root = tmp_path_factory.mktemp("checkov")
    dirs = {name: write_manifests(objs, root / name / "objects.yaml").parent for name, objs in objects.items()}
    dirs["weakened"] = write_manifests(_weakened(objects["dev"]), root / "weakened" / "objects.yaml").parent
    return scan_all(dirs)


@pytest.mark.parametrize("variant", SCANNED)
def test_no_check_fails(reports, objects, variant):
    report = reports[variant]
    templates = sum("template" in o.get("spec", {}) for o in objects[variant])
    # every object was read (checkov also scans each Deployment's or DaemonSet's pod template as a Pod)
    assert report.summary["parsing_errors"] == 0
    assert report.summary["resource_count"] == len(objects[variant]) + templates
    assert len(report.passed) > 100
    assert [(f.check_id, f.resource) for f in report.failed] == []


@pytest.mark.parametrize("variant", SCANNED)
def test_every_skip_is_declared_on_its_object_with_a_reason(reports, objects, variant):
    declared = {(o["metadata"]["name"], value.split("=", 1)[0]): value.split("=", 1)[1]
                for o in objects[variant] for key, value in o["metadata"].get("annotations", {}).items()
                if key.startswith("checkov.io/skip")}
    skipped = {(f.object_name, f.check_id): f.reason for f in reports[variant].skipped}
    assert skipped == declared   # each declared skip is used, and nothing else was skipped
    assert all(len(reason.split()) >= 8 for reason in skipped.values())


def _docs_table() -> set[tuple[str, str, str]]:
    section = (ROOT / "docs" / "tls-and-hardening.md").read_text().split("### Accepted checkov findings", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([\w-]+)` \| `(CKV2?_K8S_\d+)` \| [^|]+ \| (.+) \|$", section, re.M))


def test_the_docs_list_exactly_the_accepted_findings(reports):
    """One row per object and check, with the reason the object declares (the same in every stack)."""
    accepted = {(f.object_name, f.check_id, f.reason) for name in SCANNED for f in reports[name].skipped}
    assert _docs_table() == accepted


def test_images_pinned_by_digest_pass_the_digest_checks(reports):
    """The maximal stack pins nexusImage and nginxImage by digest: no skip, both checks pass."""
    pinned = {(name, check) for name in ("nexus", "registry-gateway") for check in ("CKV_K8S_43", "CKV_K8S_15")}
    assert not {(f.object_name, f.check_id) for f in reports["maximal"].skipped} & pinned
    assert {(f.object_name, f.check_id) for f in reports["maximal"].passed} >= pinned


def test_a_weakened_deployment_fails(reports):
    failed = {(f.object_name, f.check_id) for f in reports["weakened"].failed}
    assert failed == {("registry-gateway", check) for check in WEAKENED_FAILS}


def test_a_tag_pin_skip_names_every_image_it_covers():
    """A checkov skip covers every container of its object: with the monitoring sidecar, the gateway's reason must
    name both images that are pinned by tag only, and neither once both carry a digest."""
    from components.k8s_meta import image_skips

    digest = "@sha256:" + "0" * 64
    both = image_skips("nginx:1.28.0-alpine", "nginxImage", ("ghcr.io/google/mtail:3.0.8", "gatewayExporterImage"))
    assert all("nginxImage and gatewayExporterImage" in reason for reason in both.values())
    only_exporter = image_skips("nginx:1.28.0-alpine" + digest, "nginxImage",
                                ("ghcr.io/google/mtail:3.0.8", "gatewayExporterImage"))
    assert all("nginxImage" not in r and "gatewayExporterImage" in r for r in only_exporter.values())
    assert image_skips("nginx:1.28.0-alpine" + digest, "nginxImage",
                       ("ghcr.io/google/mtail:3.0.8" + digest, "gatewayExporterImage")) == {}
