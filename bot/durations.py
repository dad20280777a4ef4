"""Durations as people write them in config and commands: 30s, 5m, 1h, 1d, 1h30m."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import partial
from typing import Annotated

from pydantic import BeforeValidator

_PART = re.compile(r"([0-9]+)\s*(ms|s|m|h|d|w)")  # ASCII digits: `\d` takes ² and ١, which int() may refuse
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
EXAMPLES = "30s, 5m, 1h"
LONGEST = timedelta(days=3650)
"""No duration anywhere is longer (timedelta itself overflows at ~2.7 million years)."""


class DurationError(ValueError):
    """A text that is not a duration."""


class DurationTooLong(DurationError):
    """A duration beyond what the place it is given in takes."""


def parse_duration(text: object, *, allow_zero: bool = False, at_most: timedelta = LONGEST) -> timedelta:
    """Parse `1h30m` style text (or a number of seconds) into a positive (or, if allowed, zero) timedelta of at
    most `at_most`."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, bool):
        raise DurationError(f"{text!r} is not a duration like {EXAMPLES}")
    if isinstance(text, int | float):
        if not text >= 0 or (text == 0 and not allow_zero):  # `not >=` also refuses NaN
            raise DurationError(f"{text!r} is not a positive duration like {EXAMPLES}")
        return _bounded(text, text, at_most)
    if not isinstance(text, str):
        raise DurationError(f"{text!r} is not a duration like {EXAMPLES}")
    cleaned = text.strip().lower()
    if not cleaned or _PART.sub("", cleaned).strip():
        raise DurationError(f'"{text}" is not a duration like {EXAMPLES}')
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(cleaned))
    if seconds <= 0 and not (allow_zero and seconds == 0):
        raise DurationError(f'"{text}" is not a positive duration like {EXAMPLES}')
    return _bounded(text, seconds, at_most)


def _bounded(text: object, seconds: float, at_most: timedelta) -> timedelta:
    if seconds > at_most.total_seconds():
        raise DurationTooLong(f'"{text}" is longer than {format_duration(at_most)}, the most it can be here')
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Render a timedelta compactly: `1h 5m`, `42s`, `3d 4h`."""
    total = int(delta.total_seconds())
    if total < 60:
        return f"{max(total, 0)}s"
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        value, total = divmod(total, size)
        if value:
            parts.append(f"{value}{unit}")
        if len(parts) == 2:
            break
    return " ".join(parts)


# Pydantic field types: accept `30s`-style text or seconds, hold a timedelta.
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
DurationOrZero = Annotated[timedelta, BeforeValidator(partial(parse_duration, allow_zero=True))]
