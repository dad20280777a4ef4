"""`observe_pushed`: findings AWS pushed change their own alerts only, and never with news older than what the
alert already knows."""

from __future__ import annotations

from datetime import timedelta

from bot.core.findings import Finding
from bot.core.incidents import observe_pushed
from bot.store import Database
from tests.alerting import CHECK, NOW, alert, finding, incidents, record_delivered, routes, run_check


def push(db: Database, *findings: Finding, at: timedelta = timedelta(minutes=3)) -> None:
    with db.transaction() as session:
        observe_pushed(session, check=CHECK, findings=list(findings), routes=routes(), now=NOW + at)


def test_a_pushed_clear_resolves_its_alert_and_not_the_others_the_poll_covers(db: Database) -> None:
    run_check(db, [finding("orders-api"), finding("payments")], now=NOW)
    record_delivered(db, now=NOW)

    push(db, finding("orders-api", firing=False, started_at=NOW + timedelta(minutes=2)))

    assert alert(db, "orders-api").status == "resolved"  # type: ignore[union-attr]
    assert alert(db, "payments").status == "firing"  # type: ignore[union-attr]
    assert incidents(db)[0].status == "open"


def test_a_pushed_alarm_opens_an_incident(db: Database) -> None:
    push(db, finding("orders-api", started_at=NOW))

    [incident] = incidents(db)
    assert incident.status == "open" and incident.title == "Alarm orders-api"


def test_a_clear_from_before_the_alarm_fired_changes_nothing(db: Database) -> None:
    push(db, finding("orders-api", started_at=NOW + timedelta(minutes=1)), at=timedelta(minutes=1))
    push(db, finding("orders-api", firing=False, started_at=NOW), at=timedelta(minutes=2))

    assert alert(db, "orders-api").status == "firing"  # type: ignore[union-attr]


def test_an_alarm_from_before_the_alert_resolved_changes_nothing(db: Database) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    run_check(db, [finding("orders-api", firing=False)], now=NOW + timedelta(minutes=5))

    push(db, finding("orders-api", started_at=NOW + timedelta(minutes=4)), at=timedelta(minutes=6))

    assert alert(db, "orders-api").status == "resolved"  # type: ignore[union-attr]
    assert incidents(db)[0].status == "resolved"


def test_an_alarm_after_the_alert_resolved_fires_it_again(db: Database) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    run_check(db, [finding("orders-api", firing=False)], now=NOW + timedelta(minutes=5))

    push(db, finding("orders-api", started_at=NOW + timedelta(minutes=6)), at=timedelta(minutes=6))

    assert alert(db, "orders-api").status == "firing"  # type: ignore[union-attr]
