"""Checks that several config sections share, each raising the ValueError pydantic reports under the field's path."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def known_time_zone(timezone: str) -> str:
    """`timezone` when it names an IANA time zone (UTC, Europe/Berlin)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{timezone!r} is not a time zone like UTC or Europe/Paris") from None
    return timezone


def regular_expressions(patterns: dict[str, str]) -> dict[str, str]:
    """`patterns` (label: regex) when each one compiles."""
    for label, pattern in patterns.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{label}: {pattern!r} is not a regular expression ({exc})") from None
    return patterns
