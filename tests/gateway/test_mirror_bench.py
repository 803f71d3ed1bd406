"""bench/mirror_throughput.py stays runnable and correct (not fast: speed is the bench's job, it prints the
ratio): a tiny run pulls through both paths of the real gateway and reports them and the ratio."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support.stack import ROOT

pytestmark = pytest.mark.real


def test_a_tiny_mirror_bench_run_reports_both_paths_and_the_ratio():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "mirror_throughput.py"), "--size-mib", "4",
                             "--rounds", "2"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = re.findall(r"^pull (group|mirror) +(\d+)  \(\d+-\d+\)$", result.stdout, re.M)
    assert [name for name, _ in rows] == ["group", "mirror"] and all(int(mib) > 0 for _, mib in rows)
    assert re.search(r"^pull mirror/group \d+\.\d\dx \(target >= 0\.95\)$", result.stdout, re.M)
