"""Values in scenarios: field matchers, durations and timestamps."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from harness.rules import phones

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
MATCHERS = ("phone", "contains", "starts_with", "one_of", "present", "not", "between")


def seconds(duration: float | int | str) -> float:
    """90, "90s", "40m", "1h30m", "3d" -> seconds."""
    if isinstance(duration, (int, float)):
        return float(duration)
    days, hours, minutes, secs = (int(g or 0) for g in _DURATION.fullmatch(duration).groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + secs)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def matches(observed: Any, expected: Any) -> bool:
    """Whether `observed` satisfies `expected`: a literal, a matcher object, or a nested object."""
    if isinstance(expected, dict) and len(expected) == 1 and next(iter(expected)) in MATCHERS:
        (kind, arg), = expected.items()
        if kind == "phone":
            return isinstance(observed, str) and phones.same_phone(observed, arg)
        if kind == "contains":
            return isinstance(observed, str) and arg in observed
        if kind == "starts_with":
            return isinstance(observed, str) and observed.startswith(arg)
        if kind == "one_of":
            return any(matches(observed, option) for option in arg)
        if kind == "present":
            return (observed is not None) is arg
        if kind == "between":
            return _between(observed, *arg)
        return not matches(observed, arg)
    if isinstance(expected, dict):
        return isinstance(observed, dict) and all(matches(observed.get(k), v) for k, v in expected.items())
    if isinstance(expected, str) and isinstance(observed, str) and _looks_like_time(expected):
        return _same_instant(observed, expected)
    if isinstance(expected, bool) or isinstance(observed, bool):
        return observed is expected
    return observed == expected


def fields_match(observed: dict, expected: dict) -> bool:
    return all(matches(observed.get(key), value) for key, value in expected.items())


def _looks_like_time(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", text))


def _between(observed: Any, earliest: str, latest: str) -> bool:
    """A timestamp within [earliest, latest]: where a seed allows a range ("Wait 1-2 hours")."""
    try:
        return isinstance(observed, str) and parse_time(earliest) <= parse_time(observed) <= parse_time(latest)
    except ValueError:
        return False


def _same_instant(observed: str, expected: str) -> bool:
    try:
        return parse_time(observed) == parse_time(expected)
    except ValueError:
        return False
