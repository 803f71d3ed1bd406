"""README tells the truth: its config table is Pulumi.yaml's, and its two commands exist."""
from __future__ import annotations

import json
import re

from tests.support.stack import ROOT, project_file


def _readme() -> str:
    return (ROOT / "README.md").read_text()


def _config_table() -> dict[str, tuple[str, str]]:
    section = _readme().split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"^\| `(\w+)` \| ([\w<>]+) \| (.+?) \| (.+) \|$", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


def test_config_table_matches_pulumi_yaml():
    decls = project_file()["config"]
    rows = _config_table()
    assert list(rows) == list(decls), "README config table keys differ from Pulumi.yaml (order too)"
    for key, decl in decls.items():
        kind = decl["type"] + (f"<{decl['items']['type']}>" if decl["type"] == "array" else "")
        default = f"`{json.dumps(decl['default'])}`" if "default" in decl else "*(required, secret)*"
        assert rows[key] == (kind, default), key


def test_two_commands_are_documented_and_exist():
    readme = _readme()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("up", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no {target} target"
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_stack_output_is_documented(dev_run):
    readme = _readme()
    for name in list(dev_run.outputs) + ["push_registry"]:
        assert f"`{name}`" in readme, f"stack output {name} is not in README"


def test_the_tasks_to_create_by_hand_are_the_ones_the_program_creates():
    from components.nexus_config.housekeeping_payloads import TASK_UI_NAMES, housekeeping_tasks

    section = _readme().split("**When Nexus refuses to create tasks.**", 1)[1].split("\n## ", 1)[0]
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
                        r"checks", " ".join(_readme().split()))
    assert claimed and int(claimed.group(1)) == len(WEAKENED_FAILS)


def test_every_test_file_the_docs_name_exists():
    """README and the docstrings of components/ and bench/ point readers at test files: those must exist."""
    texts = {"README.md": _readme()}
    for folder in ("components", "bench"):
        texts |= {str(p.relative_to(ROOT)): p.read_text() for p in (ROOT / folder).rglob("*.py")}
    missing = sorted({(name, path) for name, text in texts.items()
                      for path in re.findall(r"\btests/[\w/]+\.py\b", text) if not (ROOT / path).exists()})
    assert missing == []
