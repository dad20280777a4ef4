"""The digest's and `/errors`' charts as the charts benchmark draws them: plausible, seeded, so each run (and each
example PNG) draws the same picture."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from bot.charts.small_multiples import MAX_PANELS, ErrorGroupsChart, GroupCounts
from bot.charts.trend import DayCount, IncidentTrend, WeekTimes

END = datetime(2024, 5, 27, 8, 0, tzinfo=UTC)
ERROR_TITLES = (
    "KeyError: 'customer_id' in orders.handler.charge",
    "Task timed out after 30.00 seconds",
    "ConnectionError: payments.internal:443 refused the connection",
    "ValueError: invalid literal for int() with base 10: '$12.50'",
    "ThrottlingException: Rate exceeded (DynamoDB orders table)",
    "RuntimeError: Unclosed client session",
    "TypeError: 'NoneType' object is not subscriptable",
)


def incident_trend(rng: random.Random, days: int = 28, weeks: int = 8) -> IncidentTrend:
    """A month with a bad week in it: more incidents, slower answers."""
    first = END.date() - timedelta(days=days - 1)
    counts = []
    for n in range(days):
        bad = 12 <= n < 18
        opened = rng.randint(2, 7) if bad else rng.choice((0, 0, 1, 1, 2, 3))
        counts.append(DayCount(first + timedelta(days=n), opened, max(0, opened + rng.randint(-1, 1))))
    times = []
    for n in range(weeks):
        start: date = (END - timedelta(weeks=weeks - n)).date()
        slow = 3.0 if n == weeks - 2 else 1.0
        times.append(WeekTimes(start, rng.uniform(180, 900) * slow, rng.uniform(1800, 7200) * slow,
                               rng.randint(3, 12), rng.randint(3, 12)))  # fmt: skip
    times[1] = WeekTimes(times[1].start, None, times[1].mttr, 0, times[1].resolved)  # a week nobody answered
    return IncidentTrend(f"Incidents, last {days} days", END, tuple(counts), tuple(times))


def error_groups(rng: random.Random, panels: int = MAX_PANELS, slices: int = 30) -> ErrorGroupsChart:
    """Groups of different shapes: a burst, a steady drip, one that began late, a rare one."""
    shapes = []
    for index in range(panels):
        if index % 4 == 0:
            counts = [rng.randint(0, 3) + (60 if 17 <= s <= 20 else 0) for s in range(slices)]
        elif index % 4 == 1:
            counts = [rng.randint(4, 9) for _ in range(slices)]
        elif index % 4 == 2:
            counts = [0 if s < 22 else rng.randint(5, 25) for s in range(slices)]
        else:
            counts = [1 if rng.random() < 0.15 else 0 for _ in range(slices)]
        shapes.append((ERROR_TITLES[index % len(ERROR_TITLES)], counts))
    shapes.sort(key=lambda shape: -sum(shape[1]))
    groups = tuple(GroupCounts(title, sum(counts), tuple(counts)) for title, counts in shapes)
    return ErrorGroupsChart("Errors in /aws/lambda/orders-api, last 1h", END - timedelta(hours=1), END, groups, 3)
