"""The guides tell the truth: what README and docs/ claim about commands, outputs, tasks, scans and test files
is what the program and its tests do."""
from __future__ import annotations

import re

from tests.support.stack import ROOT


def _doc(name: str) -> str:
    return (ROOT / name).read_text()


def test_two_commands_are_documented_and_exist():
    readme = _doc("README.md")
    makefile = _doc("Makefile")
    for target in ("up", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no {target} target"
    assert "make test" in _doc(".ci/run")


def test_every_stack_output_is_documented(dev_run):
    section = _doc("README.md").split("## Stack outputs", 1)[1].split("\n## ", 1)[0]
    for name in list(dev_run.outputs) + ["push_registry"]:
        assert f"`{name}`" in section, f"stack output {name} is not in README's Stack outputs"


def test_the_tasks_to_create_by_hand_are_the_ones_the_program_creates():
    from components.nexus_config.housekeeping_payloads import TASK_UI_NAMES, housekeeping_tasks

    section = _doc("docs/housekeeping.md").split("**When Nexus refuses to create tasks.**", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "nexus-registry: " in line]
    stores = ["docker-hosted", "docker-group", "docker-proxy"]
    documented = set()
    for row in rows:
        for name in re.findall(r"`(nexus-registry: [^`]+)`", row):
            documented |= {name.replace("<store>", s) for s in stores} if "<store>" in name else {name}
        assert any(row.startswith(f"| {ui}") for ui in TASK_UI_NAMES.values()), row
    program = {t["name"] for t in housekeeping_tasks(stores, "docker-hosted", "docker-proxy", 720)}
    assert documented == program


def test_the_weakened_deployment_count_is_the_scans():
    from tests.stack.test_checkov import WEAKENED_FAILS

    claimed = re.search(r"a copy of the gateway Deployment without its annotations and security settings fails (\d+) "
                        r"checks", " ".join(_doc("docs/tls-and-hardening.md").split()))
    assert claimed and int(claimed.group(1)) == len(WEAKENED_FAILS)


def test_every_test_file_the_docs_name_exists():
    """README, docs/ and the docstrings of components/, bench/ and scripts/ point readers at test files: those
    must exist."""
    texts = {"README.md": _doc("README.md")}
    texts |= {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / "docs").glob("*.md")}
    for folder in ("components", "bench", "scripts"):
        texts |= {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / folder).rglob("*.py")}
    missing = sorted({(name, path) for name, text in texts.items()
                      for path in re.findall(r"\btests/[\w/]+\.py\b", text) if not (ROOT / path).exists()})
    assert missing == []
