"""Quartz cron expressions, as Nexus schedules tasks with them (`FrequencyXO.cronExpression`): checked here,
before anything reaches Nexus, so a typo is a config error naming the key instead of a 400 from the server.

Format (Quartz CronExpression): `seconds minutes hours day-of-month month day-of-week [year]`, e.g.
`0 0 2 ? * SUN` (Sundays at 02:00). Exactly one of day-of-month and day-of-week is `?`. Pure: no I/O.

`housekeeping_cron` adds one rule of ours: seconds and minutes are single numbers, so a housekeeping task runs
at most once an hour (compacting a blob store every second is never what anyone meant).
"""
from __future__ import annotations

import re

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_RANGES = {"seconds": (0, 59), "minutes": (0, 59), "hours": (0, 23), "day-of-month": (1, 31),
           "month": (1, 12), "day-of-week": (1, 7), "year": (1970, 2099)}
_NAMES = {"month": MONTHS, "day-of-week": DAYS}
_FIELDS = tuple(_RANGES)


class CronError(ValueError):
    """The reason an expression is refused (the caller adds the key and the value)."""


def _number(field: str, token: str) -> int:
    names = _NAMES.get(field, ())
    if token.upper() in names:
        return names.index(token.upper()) + 1
    if not token.isdigit():
        raise CronError(f"{field} {token!r} is not a number" + (f" or one of {'/'.join(names)}" if names else ""))
    low, high = _RANGES[field]
    if not low <= int(token) <= high:
        raise CronError(f"{field} {token} is outside {low}-{high}")
    return int(token)


def _item(field: str, item: str) -> None:
    """One comma-separated item: *, a value, a range a-b, each optionally with /step."""
    base, _, step = item.partition("/")
    if step and not (step.isdigit() and int(step) > 0):
        raise CronError(f"{field} step {step!r} must be a positive number")
    if base == "*":
        return
    start, _, end = base.partition("-")
    _number(field, start)
    if end:                                          # Quartz wraps a backwards range (FRI-MON, 22-2)
        _number(field, end)


def _special(field: str, value: str) -> bool:
    """Quartz's day specials: ?, L, L-n, nW, LW (day-of-month); ?, nL, n#k (day-of-week)."""
    if value == "?":
        return True
    if field == "day-of-month":
        if value in ("L", "LW") or re.fullmatch(r"L-([0-9]|[12][0-9]|30)", value):
            return True
        match = re.fullmatch(r"(\d{1,2})W", value)
        if match:
            _number(field, match.group(1))
            return True
    if field == "day-of-week":
        if value == "L":
            return True
        match = re.fullmatch(r"(\w+)(L|#([1-5]))", value)
        if match:
            _number(field, match.group(1))
            return True
    return False


def check_cron(expression: str) -> str:
    """The expression, stripped, if Quartz accepts it; CronError(reason) otherwise."""
    if not isinstance(expression, str):
        raise CronError("must be a string")
    parts = expression.split()
    if len(parts) not in (6, 7):
        raise CronError(f"has {len(parts)} fields; Quartz wants 6 or 7: seconds minutes hours day-of-month month "
                        "day-of-week [year], e.g. '0 0 2 ? * SUN'")
    for field, value in zip(_FIELDS, parts):
        if _special(field, value):
            if value == "?" and field not in ("day-of-month", "day-of-week"):
                raise CronError(f"'?' is only allowed in day-of-month or day-of-week, not in {field}")
            continue
        for item in value.split(","):
            _item(field, item)
    if (parts[3] == "?") == (parts[5] == "?"):
        raise CronError("exactly one of day-of-month and day-of-week must be '?' (Quartz cannot combine them), "
                        "e.g. '0 0 2 ? * SUN' or '0 0 2 1 * ?'")
    return " ".join(parts)


def housekeeping_cron(expression: str) -> str:
    """A Quartz expression that fires at most once an hour (single-number seconds and minutes)."""
    cron = check_cron(expression)
    seconds, minutes = cron.split()[:2]
    if not (seconds.isdigit() and minutes.isdigit()):
        raise CronError(f"seconds and minutes must be single numbers (got {seconds!r} and {minutes!r}): "
                        "housekeeping runs at most once an hour")
    return cron
