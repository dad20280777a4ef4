"""Error groups as `/errors` shows them: a window's summary of one group, and what the database knows of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

TREND_BUCKETS = 12
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
