"""bench/gateway_load.py stays runnable and correct (not fast: speed is the bench's job, it prints
ratios): a small run through the real gateway and directly, every answer checked, zero errors."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support.stack import ROOT

pytestmark = pytest.mark.real


def test_small_load_run_has_no_errors_and_reports_both_paths():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "gateway_load.py"), "--clients", "6",
                             "--requests", "24", "--rounds", "1", "--seconds", "30"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {parts[0]: (int(parts[1]), int(parts[2])) for parts in map(str.split, result.stdout.splitlines())
            if parts and parts[0] in ("direct", "gateway")}
    assert rows == {"direct": (144, 0), "gateway": (144, 0)}  # 6 clients x 24 requests each, no error
    assert re.search(r"^gateway/direct p99 \d+\.\d\dx .*errors 0 \(goal 0\)$", result.stdout, re.M)


def test_the_bench_refuses_addresses_outside_loopback():
    result = subprocess.run([sys.executable, "-c", (
        "import asyncio, sys; sys.path.insert(0, 'bench'); import gateway_load as g;"
        "asyncio.run(g.Connection.open('http://10.0.0.1:5000', None))")],
        capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode != 0 and "load goes to 127.0.0.1 only" in result.stderr
