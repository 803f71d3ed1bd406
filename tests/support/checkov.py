"""checkov (pinned in requirements-checkov.txt, in its own venv made by `make venv`) run offline over a
directory of Kubernetes manifests, and its JSON report.

Offline: `--skip-download` and BC_SKIP_MAPPING keep it from fetching policy metadata and guidelines,
CKV_SKIP_PACKAGE_UPDATE_CHECK from asking PyPI for a newer version (done at import time otherwise), and no
API key means nothing is uploaded. On top of that it runs in an empty network namespace (`unshare -rn`)
where the kernel allows one, else behind a proxy that refuses every connection.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tests.support.stack import ROOT

CHECKOV = ROOT / "venv" / "checkov" / "bin" / "checkov"
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "",
    "LOG_LEVEL": "WARNING",
}
ARGS = ("--framework", "kubernetes", "--skip-download", "--output", "json")


@dataclass(frozen=True)
class Finding:
    check_id: str
    resource: str          # Kind.namespace.name (a Deployment's pod: Pod.namespace.<deployment>.<labels>)
    file_path: str
    reason: str = ""       # the suppression's comment, for skipped checks

    @property
    def object_name(self) -> str:
        """The name of the object that declares it (a pod's findings belong to its Deployment)."""
        return self.resource.split(".")[2]


@dataclass(frozen=True)
class Report:
    summary: dict
    passed: tuple[Finding, ...]
    failed: tuple[Finding, ...]
    skipped: tuple[Finding, ...]


def _findings(checks: list[dict]) -> tuple[Finding, ...]:
    return tuple(Finding(c["check_id"], c["resource"], c["file_path"],
                         c["check_result"].get("suppress_comment", "")) for c in checks)


@lru_cache(maxsize=1)
def _isolation() -> tuple[str, ...]:
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0:
        return (unshare, "-rn")
    return ()


def scan(directory: Path) -> Report:
    """checkov's Kubernetes framework over every manifest under `directory` (one graph: a NetworkPolicy
    in one file covers the pods of another, so scan one stack per directory)."""
    if not CHECKOV.exists():
        raise RuntimeError(f"{CHECKOV} is missing; run `make venv` (requirements-checkov.txt)")
    result = subprocess.run([*_isolation(), str(CHECKOV), "--directory", str(directory), *ARGS],
                            capture_output=True, text=True, timeout=300, cwd=directory,
                            env={**os.environ, **OFFLINE_ENV, "HOME": str(directory)})
    if result.returncode not in (0, 1):   # 1: some check failed
        raise RuntimeError(f"checkov exited {result.returncode}:\n{result.stderr[-3000:]}")
    report = json.loads(result.stdout)
    if isinstance(report, list):          # one entry per framework that found something
        report = next(r for r in report if r.get("check_type") == "kubernetes")
    results = report.get("results", {})
    return Report(summary=report["summary"], passed=_findings(results.get("passed_checks", [])),
                  failed=_findings(results.get("failed_checks", [])),
                  skipped=_findings(results.get("skipped_checks", [])))


def scan_all(directories: dict[str, Path]) -> dict[str, Report]:
    """scan() each directory, two at a time (the test machines have 2 cores)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(directories, pool.map(scan, directories.values())))
