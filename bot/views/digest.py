"""What a digest shows about one period, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.views.best_practices import BestPracticeLine


@dataclass(frozen=True)
class Percentiles:
    count: int
    median: timedelta
    p90: timedelta


@dataclass(frozen=True)
class OpenIncident:
    id: int
    title: str
    severity: str
    status: str
    opened_at: datetime


@dataclass(frozen=True)
class ErrorGroupLine:
    source: str
    title: str
    count: int


@dataclass(frozen=True)
class CheckTrouble:
    name: str
    consecutive_failures: int
    last_error: str | None
    last_ok_at: datetime | None
    stale: bool


@dataclass(frozen=True)
class DigestData:
    start: datetime
    end: datetime
    project: str | None
    opened: int
    resolved: int
    still_open: list[OpenIncident]
    mtta: Percentiles | None
    mttr: Percentiles | None
    new_errors: list[ErrorGroupLine]
    regressed_errors: list[ErrorGroupLine]
    noisiest: list[tuple[str, int]]
    checks: list[CheckTrouble]
    practices_appeared: list[BestPracticeLine] = field(default_factory=list)
    practices_fixed: list[BestPracticeLine] = field(default_factory=list)
    flapping: int = 0
    """Alerts flapping at the end of the period."""
    started_flapping: int = 0
    """Times an alert started flapping during the period."""

    @property
    def quiet(self) -> bool:
        return not (
            self.opened or self.resolved or self.still_open or self.new_errors or self.regressed_errors or self.checks
            or self.practices_appeared or self.practices_fixed or self.flapping or self.started_flapping
        )  # fmt: skip
