"""The Quartz cron check (components/quartz_cron.py): what Quartz accepts passes unchanged, the rest is refused
with the reason, and housekeeping runs at most once an hour."""
from __future__ import annotations

import pytest

from components.quartz_cron import CronError, check_cron, housekeeping_cron


@pytest.mark.parametrize("expression", [
    "0 0 2 ? * SUN",            # the default: Sundays at 02:00
    "0 0 1 * * ?",              # Nexus' own "Cleanup service"
    "0 30 3 ? * MON-FRI",
    "0 0 4 1,15 * ?",
    "0 0 */6 ? * *",
    "0 0 2 L * ?",
    "0 0 2 LW * ?",
    "0 0 2 15W * ?",
    "0 0 2 L-3 * ?",
    "0 0 2 ? * 6L",
    "0 0 2 ? * 2#1",
    "0 0 2 ? JAN-MAR,DEC SAT",
    "0 0 2 ? * SUN 2027",
    "0 0 22-2 ? * FRI-MON",     # Quartz wraps backwards ranges
])
def test_quartz_expressions_are_accepted(expression):
    assert check_cron(expression) == expression
    assert housekeeping_cron(expression) == expression


def test_spacing_is_normalised():
    assert check_cron("  0 0 2  ?  * SUN ") == "0 0 2 ? * SUN"


@pytest.mark.parametrize("expression, reason", [
    ("0 2 * * *", "Quartz wants 6 or 7"),                      # a Unix crontab line
    ("0 0 2 * * SUN", "exactly one of day-of-month and day-of-week"),
    ("0 0 2 ? * ?", "exactly one of day-of-month and day-of-week"),
    ("60 0 2 ? * SUN", "seconds 60 is outside 0-59"),
    ("0 0 24 ? * SUN", "hours 24 is outside 0-23"),
    ("0 0 2 32 * ?", "day-of-month 32 is outside 1-31"),
    ("0 0 2 ? 13 SUN", "month 13 is outside 1-12"),
    ("0 0 2 ? * 8", "day-of-week 8 is outside 1-7"),
    ("0 0 2 ? * SUNDAY", "SUN/MON"),
    ("0 0 2-x ? * SUN", "hours 'x' is not a number"),
    ("0 0 */0 ? * SUN", "step '0'"),
    ("0 ? 2 1 * SUN", "'?' is only allowed"),
    ("0 0 2 ? * SUN 1900", "year 1900 is outside 1970-2099"),
])
def test_invalid_expressions_say_why(expression, reason):
    with pytest.raises(CronError, match=reason.replace("?", r"\?").replace("*", r"\*")):
        check_cron(expression)


@pytest.mark.parametrize("expression", ["* 0 2 ? * SUN", "0 * 2 ? * SUN", "0 0,30 2 ? * SUN", "0 */10 * ? * *"])
def test_housekeeping_runs_at_most_hourly(expression):
    check_cron(expression)                                # valid Quartz ...
    with pytest.raises(CronError, match="at most once an hour"):
        housekeeping_cron(expression)                     # ... but too often for compaction and GC
