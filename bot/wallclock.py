"""Wall-clock times in a time zone and the instants they name, across daylight-saving changes. Pure.

A local time the autumn change repeats names its first occurrence (PEP 495's fold=0), and one the spring change
skips names the moment of the change, when the clocks pass it: cron's rule (Vixie cron and cronie run a job whose
time the spring change skips as the clocks jump, and one whose time the autumn change repeats once).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def local_naive(zone: ZoneInfo, instant: datetime) -> datetime:
    """The wall-clock time `instant` shows in `zone`, without its zone."""
    return instant.astimezone(zone).replace(tzinfo=None)


def instant_of(zone: ZoneInfo, local: datetime) -> datetime:
    """The first instant whose wall-clock time in `zone` is `local` or later: a time the autumn change repeats
    is its first occurrence (PEP 495's fold=0), and a time the spring change skips (02:30) is the moment of the
    change itself (02:00 becoming 03:00), when the clocks pass it."""
    instant = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if local_naive(zone, instant) == local:
        return instant
    # In the gap: the change lies between the readings with the offsets after and before it; find its second.
    low = int(local.replace(tzinfo=zone, fold=1).timestamp())
    high = int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if local_naive(zone, datetime.fromtimestamp(middle, UTC)) >= local else (middle, high)
    return datetime.fromtimestamp(high, UTC)
