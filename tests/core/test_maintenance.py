"""Maintenance windows across daylight-saving changes: an occurrence lasts its duration of real time, a crontab
start the spring change skips is when the clocks jump and one the autumn change repeats is its first occurrence
(as cron runs jobs); a one-off window's start and end are its zone's wall-clock times."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import MaintenanceSettings
from bot.core.maintenance import WindowPlan, due_announcements, plan_windows
from bot.store import Database
from bot.store.models import MaintenanceWindow
from bot.views.maintenance import Moment
from scheduler.maintenance import window_plan
from tests.alerting import routes

NEW_YORK = "America/New_York"  # 2026: clocks go 02:00 EST -> 03:00 EDT on 8 March, 02:00 EDT -> 01:00 EST on 1 November


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def plan(**settings: Any) -> WindowPlan:
    fields = {"matchers": {"team": "payments"}, "timezone": NEW_YORK, "reason": "patching", **settings}
    return window_plan(0, MaintenanceSettings.model_validate(fields))


@pytest.mark.parametrize(
    ("cron", "duration", "now", "start", "end"),
    [
        # 02:00 does not exist that night: it starts when the clocks jump to 03:00 EDT and lasts an hour.
        ("0 2 * * 0", "1h", "2026-03-07T12:00", "2026-03-08T07:00", "2026-03-08T08:00"),
        # 01:00 EST plus two hours is 04:00 EDT on the wall: two hours of real time, not one.
        ("0 1 * * 0", "2h", "2026-03-07T12:00", "2026-03-08T06:00", "2026-03-08T08:00"),
        # 01:00 happens twice that night: the first (EDT); an hour of real time, not two.
        ("0 1 * * 0", "1h", "2026-10-31T12:00", "2026-11-01T05:00", "2026-11-01T06:00"),
        # A time the spring change skips on a daily crontab, then the usual time the next night.
        ("30 2 * * *", "1h", "2026-03-08T12:00", "2026-03-09T06:30", "2026-03-09T07:30"),
        # The week after each change: the new offset.
        ("0 2 * * 0", "1h", "2026-03-09T12:00", "2026-03-15T06:00", "2026-03-15T07:00"),
        ("0 1 * * 0", "1h", "2026-11-02T12:00", "2026-11-08T06:00", "2026-11-08T07:00"),
    ],
)
def test_an_occurrence_lasts_its_duration_across_the_clock_changes(
    cron: str, duration: str, now: str, start: str, end: str
) -> None:
    assert plan(cron=cron, duration=duration).occurrence(utc(now)) == (utc(start), utc(end))


def test_the_hour_the_autumn_change_repeats_starts_no_second_occurrence() -> None:
    weekly = plan(cron="0 1 * * 0", duration="1h")
    assert weekly.occurrence(utc("2026-11-01T05:30")) == (utc("2026-11-01T05:00"), utc("2026-11-01T06:00"))
    # 01:00 EST (06:00Z) is the same wall-clock time again: no new window then.
    assert weekly.occurrence(utc("2026-11-01T06:00")) == (utc("2026-11-08T06:00"), utc("2026-11-08T07:00"))
    hourly = plan(cron="0 * * * *", duration="30m")
    starts = []
    at = utc("2026-11-01T03:59")
    while len(starts) < 4:
        start, end = hourly.occurrence(at) or (at, at)
        starts.append(start)
        at = end
    assert starts == [utc("2026-11-01T04:00"), utc("2026-11-01T05:00"), utc("2026-11-01T07:00"),
                      utc("2026-11-01T08:00")]  # fmt: skip


def test_an_occurrence_in_progress_is_the_one_returned() -> None:
    weekly = plan(cron="0 2 * * 0", duration="1h")
    assert weekly.occurrence(utc("2026-03-08T07:59")) == (utc("2026-03-08T07:00"), utc("2026-03-08T08:00"))
    assert weekly.occurrence(utc("2026-03-08T08:00"))[0] == utc("2026-03-15T06:00")  # type: ignore[index]


@pytest.mark.parametrize(
    ("start", "end", "starts", "ends"),
    [
        ("2026-03-08T01:30", "2026-03-08T03:30", "2026-03-08T06:30", "2026-03-08T07:30"),  # one real hour
        ("2026-03-08T02:30", "2026-03-08T04:00", "2026-03-08T07:00", "2026-03-08T08:00"),  # starts at the jump
        ("2026-11-01T01:30", "2026-11-01T02:30", "2026-11-01T05:30", "2026-11-01T07:30"),  # the first 01:30
        ("2026-06-01T22:00", "2026-06-02T01:00", "2026-06-02T02:00", "2026-06-02T05:00"),  # EDT, past midnight
        ("2026-06-01T22:00+02:00", "2026-06-01T23:00+02:00", "2026-06-01T20:00", "2026-06-01T21:00"),  # an offset
    ],
)
def test_a_one_off_window_is_in_its_zone(start: str, end: str, starts: str, ends: str) -> None:
    window = plan(start=start, end=end)
    assert window.occurrence(utc("2026-01-01T00:00")) == (utc(starts), utc(ends))


async def test_the_spring_window_starts_and_ends_an_hour_apart(db: Database) -> None:
    weekly = plan(cron="0 2 * * 0", duration="1h")
    made = await db.run(lambda s: plan_windows(s, [weekly], routes(), now=utc("2026-03-07T12:00")))
    assert [a.moment for a in made] == [Moment.CREATED]
    window = await db.run(lambda s: s.scalars(select(MaintenanceWindow)).one())
    assert (window.starts_at, window.ends_at) == (utc("2026-03-08T07:00"), utc("2026-03-08T08:00"))
    assert window.key.endswith("@2026-03-08T03:00:00-04:00")

    started = await db.run(lambda s: due_announcements(s, now=utc("2026-03-08T07:00:05")))
    assert [a.moment for a in started] == [Moment.STARTED]
    assert await db.run(lambda s: due_announcements(s, now=utc("2026-03-08T07:59"))) == []
    ended = await db.run(lambda s: due_announcements(s, now=utc("2026-03-08T08:00")))
    assert [a.moment for a in ended] == [Moment.ENDED]
