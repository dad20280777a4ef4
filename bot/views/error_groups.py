"""Error groups as `/errors` shows them: a window's summary of one group, and what the database knows of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.charts.small_multiples import MAX_PANELS, ErrorGroupsChart, GroupCounts
from bot.durations import format_duration

TREND_BUCKETS = 12
"""Slices of the window in the text sparkline."""
CHART_SLICES = 30
"""Slices of the window in the chart, finer than the sparkline: a panel has room for them."""
SPARKS = "▁▂▃▄▅▆▇█"


def error_source(account: str, region: str, log_group: str) -> str:
    """Where error groups are remembered: one log group of one account (by its configured name) and region."""
    return f"{account}/{region}/{log_group}"


@dataclass
class GroupSummary:
    key: str
    kind: str
    title: str
    template: str
    culprit: str | None
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    samples: list[str] = field(default_factory=list)
    buckets: list[int] = field(default_factory=lambda: [0] * TREND_BUCKETS)
    slices: list[int] = field(default_factory=lambda: [0] * CHART_SLICES)

    @property
    def trend(self) -> str:
        peak = max(self.buckets) or 1
        return "".join(
            SPARKS[min(len(SPARKS) - 1, (n * (len(SPARKS) - 1)) // peak)] if n else " " for n in self.buckets
        )


@dataclass(frozen=True)
class GroupView:
    """A summary with what the database knows: its id, and whether it is new, ongoing or regressed."""

    id: int
    summary: GroupSummary
    status: str


def groups_chart(*, log_group: str, groups: list[GroupView], since: timedelta, end: datetime) -> ErrorGroupsChart:
    """The answer's top groups as the chart draws them, in the order the answer lists them."""
    shown = groups[:MAX_PANELS]
    return ErrorGroupsChart(
        title=f"Errors in {log_group}, last {format_duration(since)}",
        start=end - since,
        end=end,
        groups=tuple(GroupCounts(g.summary.title, g.summary.count, tuple(g.summary.slices)) for g in shown),
        others=len(groups) - len(shown),
    )
