from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.config import FileSettings, crontab_trigger, describe_validation_error
from bot.core.digests import IncidentTimes, collect_digest, percentiles, response_times
from bot.store import Database, make_engine, upgrade
from bot.store.models import Alert, CheckHealth, ErrorGroup, Incident
from scheduler.digest import latest_fire_time

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
END = START + timedelta(days=1)


def minutes(*values: float) -> list[timedelta]:
    return [timedelta(minutes=v) for v in values]


def test_no_durations_have_no_percentiles() -> None:
    assert percentiles([]) is None


def test_one_duration_is_its_own_median_and_p90() -> None:
    figures = percentiles(minutes(7))
    assert figures is not None and (figures.count, figures.median, figures.p90) == (1, *minutes(7, 7))


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    figures = percentiles(minutes(10, 1, 4, 3))
    assert figures is not None and figures.median == timedelta(minutes=3.5)


@pytest.mark.parametrize(
    ("values", "p90"),
    [
        (list(range(1, 11)), 9),  # ten values: the 9th smallest meets 90%
        (list(range(1, 12)), 10),  # eleven: ceil(9.9) = 10th
        ([5, 1, 3], 5),  # three: ceil(2.7) = 3rd, the largest
        ([1] * 19 + [600], 1),  # one outlier in twenty stays out of p90
    ],
)
def test_p90_is_the_nearest_rank_a_real_incident_met(values: list[int], p90: int) -> None:
    figures = percentiles(minutes(*values))
    assert figures is not None and figures.p90 == timedelta(minutes=p90)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def test_mtta_counts_acknowledgements_and_resolves_by_a_person_but_not_by_the_bot() -> None:
    incidents = [
        IncidentTimes(opened_at=at(1), acknowledged_at=at(1.1), resolved_at=at(2), resolved_by="U1"),
        IncidentTimes(opened_at=at(3), acknowledged_at=None, resolved_at=at(3.5), resolved_by="U2"),
        IncidentTimes(opened_at=at(4), acknowledged_at=None, resolved_at=at(6), resolved_by=None),
        IncidentTimes(opened_at=at(5), acknowledged_at=None, resolved_at=None, resolved_by=None),
    ]
    to_ack, to_resolve = response_times(incidents, start=START, end=END)
    assert to_ack == minutes(6, 30)
    assert to_resolve == minutes(60, 30, 120)


def test_answers_outside_the_period_do_not_count_even_for_incidents_inside_it() -> None:
    incidents = [IncidentTimes(opened_at=at(-2), acknowledged_at=at(-1), resolved_at=at(2), resolved_by="U1")]
    to_ack, to_resolve = response_times(incidents, start=START, end=END)
    assert to_ack == [] and to_resolve == [timedelta(hours=4)]


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    upgrade(engine)
    database = Database(engine)
    yield database
    database.close()


def incident(id_: int, opened: float, *, project: str = "shop", **times: datetime) -> list[object]:
    row = Incident(id=id_, group_key=f"g{id_}", route="default", channel="#alerts", title=f"Incident {id_}")
    row.opened_at, row.updated_at = at(opened), at(opened)
    for name, value in times.items():
        setattr(row, name, value)
    row.status = "resolved" if "resolved_at" in times else "acknowledged" if "acknowledged_at" in times else "open"
    alert = Alert(
        fingerprint=f"fp{id_}", check_name="alarms", resource=f"fn-{id_ % 2}", labels={"project": project},
        first_seen=at(opened), last_seen=at(opened), incident_id=id_,
    )  # fmt: skip
    if "resolved_at" in times:  # a resolved incident's alerts are resolved, when it was (or before)
        alert.status, alert.resolved_at, alert.last_seen = "resolved", times["resolved_at"], times["resolved_at"]
    return [row, alert]


async def test_collect_reads_incidents_errors_noise_and_check_trouble_of_the_period(db: Database) -> None:
    def seed(session):  # type: ignore[no-untyped-def]
        session.add_all(incident(1, 1, acknowledged_at=at(1.1), resolved_at=at(2), resolved_by="U1"))
        session.add_all(incident(2, 3, project="billing"))
        session.add_all(incident(3, -30, resolved_at=at(-29)))  # all before the period
        session.add_all(incident(4, 5))
        session.flush()
        session.add_all(
            [
                ErrorGroup(source="/aws/lambda/a", key="k1", kind="exception", title="KeyError", template="",
                           first_seen=at(2), last_seen=at(3), count=12, status="new"),
                ErrorGroup(source="/aws/lambda/a", key="k2", kind="exception", title="Timeout", template="",
                           first_seen=at(-90), last_seen=at(4), count=3, status="regressed"),
                ErrorGroup(source="/aws/lambda/a", key="k3", kind="exception", title="Old", template="",
                           first_seen=at(-90), last_seen=at(4), count=99, status="ongoing"),
                CheckHealth(name="alarms", check_type="cloudwatch_alarms", last_run_at=at(23.95), last_ok_at=at(23.95),
                            consecutive_failures=0, findings_firing=0),
                CheckHealth(name="logs", check_type="log_errors", last_run_at=at(23), last_ok_at=at(20),
                            last_error="AccessDenied", consecutive_failures=2, findings_firing=0),
            ]
        )  # fmt: skip

    await db.run(seed)
    checks = [("alarms", "cloudwatch_alarms", timedelta(minutes=5)), ("logs", "log_errors", timedelta(minutes=5))]
    data = await db.run(lambda s: collect_digest(s, start=START, end=END, project=None, checks=checks))
    assert (data.opened, data.resolved, [i.id for i in data.still_open]) == (3, 1, [2, 4])
    assert data.mtta is not None and data.mtta.median == timedelta(minutes=6)
    assert data.mttr is not None and data.mttr.median == timedelta(hours=1)
    assert [g.title for g in data.new_errors] == ["KeyError"] and [g.title for g in data.regressed_errors] == [
        "Timeout"
    ]
    assert data.noisiest == [("fn-0", 2), ("fn-1", 1)]
    assert [(c.name, c.consecutive_failures, c.stale) for c in data.checks] == [("logs", 2, True)]

    shop = await db.run(lambda s: collect_digest(s, start=START, end=END, project="shop", checks=[]))
    assert (shop.opened, [i.id for i in shop.still_open], shop.noisiest) == (2, [4], [("fn-0", 1), ("fn-1", 1)])
    assert shop.new_errors == [] and shop.checks == []


PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("now", "fired"),
    [
        (datetime(2026, 11, 23, 9, 0, 0, tzinfo=PARIS), datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)),
        (datetime(2026, 11, 23, 9, 4, 59, tzinfo=PARIS), datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)),  # a late job
        (datetime(2026, 11, 23, 8, 59, 59, tzinfo=PARIS), datetime(2026, 11, 20, 9, 0, tzinfo=PARIS)),  # Friday's
        (datetime(2026, 11, 29, 12, 0, tzinfo=PARIS), datetime(2026, 11, 27, 9, 0, tzinfo=PARIS)),  # a Sunday
    ],
)
def test_a_digest_belongs_to_the_period_that_fired_last(now: datetime, fired: datetime) -> None:
    assert latest_fire_time(crontab_trigger("0 9 * * 1-5", "Europe/Paris"), now) == fired


def _at_most_seconds(seconds: float, work: Callable[[], datetime | None]) -> datetime | None:
    """`work()`, failing the test when it has not returned within `seconds` (a search that never ends)."""
    done: list[datetime | None] = []
    thread = threading.Thread(target=lambda: done.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert done, f"still searching after {seconds} s"
    return done[0]


@pytest.mark.parametrize(
    ("now", "fired"),
    [
        # 25 October 2026: 03:00 summer time (01:00 UTC) becomes 02:00 winter time; APScheduler fires 02:30 twice.
        (datetime(2026, 10, 25, 0, 30, 1, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # summer time
        (datetime(2026, 10, 25, 1, 30, 1, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # winter: the same
        (datetime(2026, 10, 26, 1, 30, 1, tzinfo=UTC), datetime(2026, 10, 26, 1, 30, tzinfo=UTC)),
        # 28 March 2027: 02:00 winter time (01:00 UTC) becomes 03:00; 02:30 never shows, APScheduler fires at 03:30.
        (datetime(2027, 3, 28, 1, 30, 1, tzinfo=UTC), datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),  # the change
        (datetime(2027, 3, 29, 0, 30, 1, tzinfo=UTC), datetime(2027, 3, 29, 0, 30, tzinfo=UTC)),
    ],
)
def test_a_digest_time_the_clocks_repeat_or_skip_is_one_period(now: datetime, fired: datetime) -> None:
    """The period a digest's run belongs to names a wall-clock time once: the autumn change's second 02:30 is the
    first's period (claimed already: no second digest), and the spring change's missing 02:30 is one period, at the
    change. The search for it ends (it went on forever at the second 02:30, freezing the bot)."""
    trigger = crontab_trigger("30 2 * * *", "Europe/Paris")
    assert _at_most_seconds(5, lambda: latest_fire_time(trigger, now)) == fired


def test_crontab_weekdays_count_from_sunday_as_cron_does_not_from_monday_as_apscheduler_3() -> None:
    saturday = datetime(2026, 11, 28, tzinfo=UTC)
    next_fire = crontab_trigger("0 9 * * 1-5", "UTC").get_next_fire_time(None, saturday)
    assert next_fire == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday, not Saturday
    assert crontab_trigger("0 9 * * 0", "UTC").get_next_fire_time(None, saturday).weekday() == 6  # type: ignore[union-attr]
    every_other = crontab_trigger("0 9 * * */2", "UTC")  # Sunday, Tuesday, Thursday, Saturday
    assert every_other.get_next_fire_time(None, saturday) == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_bad_digest_settings_are_named_by_their_path() -> None:
    raw = {
        "slack": {"channel": "#alerts"},
        "digests": [
            {"channel": "#alerts", "cron": "0 9 * *"},
            {"channel": "#ops", "cron": "0 9 * * 8"},
            {"channel": "#ops", "timezone": "Mars/Olympus"},
        ],
    }
    with pytest.raises(ValidationError) as caught:
        FileSettings.model_validate(raw)
    problems = describe_validation_error(caught.value)
    assert problems[0].startswith("digests[0].cron: '0 9 * *' is not a crontab line like \"0 9 * * 1-5\": it has 4")
    assert problems[1].startswith("digests[1].cron:") and "8 is not a day of the week" in problems[1]
    assert problems[2] == "digests[2].timezone: 'Mars/Olympus' is not a time zone like UTC or Europe/Paris"


def test_digest_defaults_are_weekdays_at_nine_utc_and_one_digest_per_channel_and_project() -> None:
    settings = FileSettings.model_validate(
        {"slack": {"channel": "#a"}, "digests": [{"channel": "#a"}, {"channel": "#a", "project": "shop"}]}
    )
    assert [(d.cron, d.timezone, d.project) for d in settings.digests] == [
        ("0 9 * * 1-5", "UTC", None),
        ("0 9 * * 1-5", "UTC", "shop"),
    ]
    with pytest.raises(ValidationError, match="two digests go to #a; keep one"):
        FileSettings.model_validate({"slack": {"channel": "#a"}, "digests": [{"channel": "#a"}, {"channel": "#a"}]})
