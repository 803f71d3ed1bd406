"""Shared fixtures (programs run under Pulumi mocks, once per stack and session) and the test tiers.

Tiers: every layer that needs something outside the venv declares it in LAYERS. Where that is missing (a
contributor's laptop without root or the Debian packages), its tests are skipped with the reason and the
layer is named in the summary; under CI (CI=true, as .ci/run runs) any skipped test fails the run, so CI
still proves every layer.
"""
from __future__ import annotations

import os
import pickle

import pytest

from tests.support.checkov import CHECKOV
from tests.support.postgres import JDBC_JAR, layer_binaries as postgresql_binaries
from tests.support.procs import find_binary
from tests.support.stack import run_program

# The Nexus double's fixtures (`nexus`, `nexus_spec`) for every test module.
pytest_plugins = ["tests.support.nexus_fixtures"]

ROOT = "root"   # not a binary: the layer needs uid 0 (containerd owns its content store, ctr mounts)

# marker -> (what the layer is, the system binaries it runs, how to get them)
LAYERS = {
    "real": ("real gateway layer (nginx, distribution registry, skopeo on 127.0.0.1)",
             ("nginx", "docker-registry", "skopeo", "openssl"),
             "as root: bash scripts/system-deps.sh (Debian/Ubuntu)"),
    "busybox": ("busybox layer (the node-trust DaemonSet's script under busybox sh and applets, as in its image)",
                ("busybox",),
                "as root: bash scripts/system-deps.sh (Debian/Ubuntu)"),
    "java": ("java layer (the data check's lock probe run by a real JVM, rebuilt from its source with javac)",
             ("java", "javac"),
             "as root: bash scripts/system-deps.sh (Debian/Ubuntu)"),
    "postgresql": ("postgresql layer (a throwaway PostgreSQL cluster on 127.0.0.1 and its JDBC driver under java)",
                   (*postgresql_binaries(), str(JDBC_JAR)),
                   "as root: bash scripts/system-deps.sh (Debian/Ubuntu: postgresql, libpostgresql-jdbc-java, "
                   "openjdk-17-jdk-headless)"),
    "containerd": ("containerd layer (Debian's containerd as root on a temporary root, ctr pulling through the real "
                   "gateway with the node script's hosts.toml; ctr runs in a private mount namespace)",
                   ("containerd", "ctr", "unshare", "nginx", "docker-registry", "skopeo", "dash", ROOT),
                   "as root: bash scripts/system-deps.sh, and run the tests as root"),
    "monitoring": ("monitoring layer (promtool on the alert rules and dashboard queries; nginx, mtail and "
                   "Prometheus on 127.0.0.1)",
                   ("promtool", "prometheus", "mtail", "nginx", "docker-registry"),
                   "as root: bash scripts/system-deps.sh (Debian/Ubuntu)"),
    "checkov": ("checkov layer (the manifest scanner, its own venv: it pins packaging<24)",
                (str(CHECKOV),),
                "make venv (requirements-checkov.txt)"),
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(config, items):
    for marker, (what, binaries, how) in LAYERS.items():
        missing = [b for b in binaries if (os.geteuid() != 0 if b == ROOT else
                   not (find_binary(b) or (b.endswith(".jar") and os.path.isfile(b))))]
        if not missing:
            continue
        skip = pytest.mark.skip(reason=f"{what} skipped: missing {', '.join(missing)} ({how})")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and in_ci() and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = sorted({str(r.longrepr[2]) if isinstance(r.longrepr, tuple) else str(r.longrepr) for r in skipped})
    terminalreporter.section("layers not run here")
    for reason in reasons:
        terminalreporter.write_line(f"  {reason}")
    if in_ci():
        terminalreporter.write_line(f"CI=true: {len(skipped)} skipped test(s) count as a failure: "
                                    "CI must prove every layer", red=True)


# pulumi.dynamic.serialize_provider wraps pickle._Pickler._batch_setitems in a sorting wrapper on every call and
# never unwraps it, so each serialization nests one more level: after some hundreds in one process (a program run
# serializes every dynamic resource's provider) pickling overflows the stack. A `pulumi up` serializes a few dozen;
# this test process serializes thousands, so every test starts from the original pickler.
_PICKLER = (pickle._Pickler._batch_setitems, pickle._Pickler.save_dict)


@pytest.fixture(autouse=True)
def _unwrap_pulumis_pickler_patch():
    yield
    pickle._Pickler._batch_setitems, pickle._Pickler.save_dict = _PICKLER


@pytest.fixture(scope="session")
def dev_run():
    return run_program("dev")


@pytest.fixture(scope="session")
def prod_run():
    return run_program("prod")


@pytest.fixture(scope="session", params=["dev", "prod"])
def stack_run(request, dev_run, prod_run):
    return {"dev": dev_run, "prod": prod_run}[request.param]
