"""What the digest's chart shows: the last weeks of incidents, counted per UTC day, and the median MTTA and MTTR of
each trailing week, by the same rules as the digest's own figures (`bot.core.digests`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.charts.trend import DayCount, IncidentTrend, WeekTimes
from bot.core.digests import IncidentTimes, incidents_between, percentiles, response_times

TREND_DAYS = 28
TREND_WEEKS = 8


def collect_trend(
    session: Session, *, end: datetime, project: str | None, days: int = TREND_DAYS, weeks: int = TREND_WEEKS
) -> IncidentTrend:
    """The incidents of the `days` UTC days up to `end` (the last one partial) and the `weeks` weeks before `end`."""
    end = end.astimezone(UTC)
    last_day = end.date()
    first_day = last_day - timedelta(days=days - 1)
    day_start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    start = min(day_start, end - timedelta(weeks=weeks))
    incidents = [
        IncidentTimes(i.opened_at, i.acknowledged_at, i.resolved_at, i.resolved_by)
        for i in incidents_between(session, start, end, project)
    ]
    opened: dict[date, int] = {}
    resolved: dict[date, int] = {}
    for incident in incidents:
        if day_start <= incident.opened_at < end:
            day = incident.opened_at.astimezone(UTC).date()
            opened[day] = opened.get(day, 0) + 1
        if incident.resolved_at is not None and day_start <= incident.resolved_at < end:
            day = incident.resolved_at.astimezone(UTC).date()
            resolved[day] = resolved.get(day, 0) + 1
    counts = tuple(
        DayCount(day, opened.get(day, 0), resolved.get(day, 0))
        for day in (first_day + timedelta(days=n) for n in range(days))
    )
    times = []
    for back in range(weeks, 0, -1):
        week_start, week_end = end - timedelta(weeks=back), end - timedelta(weeks=back - 1)
        to_ack, to_resolve = response_times(incidents, start=week_start, end=week_end)
        mtta, mttr = percentiles(to_ack), percentiles(to_resolve)
        times.append(
            WeekTimes(
                week_start.date(),
                mtta.median.total_seconds() if mtta else None,
                mttr.median.total_seconds() if mttr else None,
                mtta.count if mtta else 0,
                mttr.count if mttr else 0,
            )
        )
    scope = f" · {project}" if project else ""
    return IncidentTrend(f"Incidents, last {days} days{scope}", end, counts, tuple(times))
