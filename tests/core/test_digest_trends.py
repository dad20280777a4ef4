"""The digest chart's numbers: incidents per UTC day and each trailing week's median MTTA and MTTR, read from the
database by the digest's own rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.digest_trends import collect_trend
from bot.store import Database
from bot.store.models import Alert, Incident

END = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday, 09:00 UTC


def incident(id_: int, opened: datetime, *, project: str = "shop", **times: datetime | str) -> list[object]:
    row = Incident(id=id_, group_key=f"g{id_}", route="default", channel="#alerts", title=f"Incident {id_}")
    row.opened_at, row.updated_at = opened, opened
    for name, value in times.items():
        setattr(row, name, value)
    row.status = "resolved" if "resolved_at" in times else "acknowledged" if "acknowledged_at" in times else "open"
    alert = Alert(fingerprint=f"fp{id_}", check_name="alarms", resource="fn", labels={"project": project},
                  first_seen=opened, last_seen=opened, incident_id=id_)  # fmt: skip
    return [row, alert]


def ago(days: float = 0, minutes: float = 0) -> datetime:
    return END - timedelta(days=days, minutes=minutes)


async def test_incidents_are_counted_on_the_utc_day_they_opened_and_resolved(db: Database) -> None:
    def seed(session):  # type: ignore[no-untyped-def]
        session.add_all(incident(1, ago(0, 60), resolved_at=ago(0, 30)))  # today 08:00, resolved 08:30
        session.add_all(incident(2, END.replace(hour=0, minute=5) - timedelta(days=1),
                                 resolved_at=END.replace(hour=0, minute=1)))  # fmt: skip  # across midnight
        session.add_all(incident(3, ago(27, -60)))  # the first day counted, still open
        session.add_all(incident(4, ago(40)))  # before the days counted
        session.add_all(incident(5, END + timedelta(minutes=1)))  # after the end

    await db.run(seed)
    trend = await db.run(lambda s: collect_trend(s, end=END, project=None, days=28))

    assert len(trend.days) == 28
    assert trend.days[0].day == date(2026, 10, 31) and trend.days[-1].day == date(2026, 11, 27)
    counted = {d.day: (d.opened, d.resolved) for d in trend.days if d.opened or d.resolved}
    assert counted == {
        date(2026, 10, 31): (1, 0),
        date(2026, 11, 26): (1, 0),
        date(2026, 11, 27): (1, 2),
    }


async def test_each_week_has_the_median_response_times_of_the_answers_given_in_it(db: Database) -> None:
    def seed(session):  # type: ignore[no-untyped-def]
        # This week: acknowledged after 4 and 10 minutes, resolved after 30 and 60.
        session.add_all(incident(1, ago(2), acknowledged_at=ago(2, -4), resolved_at=ago(2, -30), resolved_by="U1"))
        session.add_all(incident(2, ago(3), acknowledged_at=ago(3, -10), resolved_at=ago(3, -60)))
        # Three weeks back: resolved by a person without an acknowledgement (that is its MTTA too).
        session.add_all(incident(3, ago(20), resolved_at=ago(20, -15), resolved_by="U2"))
        # Another project's: left out of the shop's trend.
        session.add_all(incident(4, ago(1), acknowledged_at=ago(1, -99), project="billing"))

    await db.run(seed)
    trend = await db.run(lambda s: collect_trend(s, end=END, project="shop", weeks=4))

    assert [w.start for w in trend.weeks] == [(END - timedelta(weeks=n)).date() for n in (4, 3, 2, 1)]
    assert [(w.mtta, w.mttr, w.acknowledged, w.resolved) for w in trend.weeks] == [
        (None, None, 0, 0),
        (15 * 60.0, 15 * 60.0, 1, 1),
        (None, None, 0, 0),
        (7 * 60.0, 45 * 60.0, 2, 2),
    ]
    assert trend.title == "Incidents, last 28 days · shop"
