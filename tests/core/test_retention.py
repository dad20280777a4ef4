"""Retention on a real database: a long churn of incidents keeps every table's size flat once pruned; what a user
still needs (an open incident, a firing alert, an unsent Slack item, a row inside its retention) is never pruned;
and pruning goes in bounded batches, one short transaction each."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from bot.core import retention
from bot.delivery import outbox
from bot.enums import OutboxStatus, Severity
from bot.store import Database
from bot.store.models import Alert, AuditEvent, Incident, IncidentEvent, OutboxItem
from tests.alerting import CHANNEL, NOW, finding, record_delivered, routes, run_check
from tests.harness import FakeClock

TABLES = (Incident, IncidentEvent, Alert, OutboxItem)
APART = routes(group_by=["resource"])
"""One incident a resource."""
KEPT = {"incidents": timedelta(days=3), "alerts": timedelta(days=3), "outbox": timedelta(days=1)}


def prune_all(db: Database, *, now: datetime, batch: int = 1000) -> list[int]:
    """Every prune, each run again until it deletes fewer than `batch`, as the scheduled job runs them; returns the
    rows each statement deleted."""
    passes: list[int] = []
    steps = [
        (retention.prune_resolved_incidents, KEPT["incidents"]),
        (retention.prune_resolved_alerts, KEPT["alerts"]),
        (retention.prune_sent_outbox, KEPT["outbox"]),
        (retention.prune_idle_subjects, KEPT["outbox"]),
        (retention.prune_audit_events, timedelta(days=365)),
    ]
    for prune, kept_for in steps:
        while True:
            with db.transaction() as session:
                deleted = prune(session, before=now - kept_for, batch=batch)
            passes.append(deleted)
            if deleted < batch:
                break
    return passes


def sizes(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def churn_one_day(db: Database, clock: FakeClock, day: int, *, incidents: int = 6) -> None:
    """Incidents open, worsen, then resolve, each change posted to Slack; then the rest of the day passes."""
    names = [f"svc-{day}-{i}" for i in range(incidents)]
    run_check(db, [finding(name) for name in names], now=clock.now)
    record_delivered(db, now=clock.now)
    clock.advance(hours=2)
    run_check(db, [finding(name, severity=Severity.CRITICAL) for name in names], now=clock.now)
    record_delivered(db, now=clock.now)
    clock.advance(hours=2)
    run_check(db, [], covered=names, now=clock.now)
    record_delivered(db, now=clock.now)
    clock.advance(hours=20)


def test_a_long_churn_keeps_table_sizes_flat(db: Database) -> None:
    clock = FakeClock(NOW)
    seen: list[dict[str, int]] = []
    for day in range(14):
        churn_one_day(db, clock, day)
        prune_all(db, now=clock.now)
        seen.append(sizes(db))

    assert seen[-1]["incidents"] > 0 and seen[-1]["outbox"] > 0
    assert seen[5:] == [seen[5]] * len(seen[5:])
    assert seen[-1]["incidents"] < 14 * 6


def test_nothing_still_needed_is_pruned(db: Database) -> None:
    long_ago = NOW - timedelta(days=400)
    run_check(db, [finding("still-open")], now=long_ago, routing=APART)
    record_delivered(db, now=long_ago)
    run_check(db, [finding("recent")], now=NOW - timedelta(hours=3), routing=APART)
    record_delivered(db, now=NOW - timedelta(hours=3))
    run_check(db, [], covered=["recent"], now=NOW - timedelta(hours=2), routing=APART)  # resolved inside its retention
    record_delivered(db, now=NOW - timedelta(hours=2))
    with db.transaction() as session:
        blocked = outbox.enqueue_message(session, key="command:old", channel=CHANNEL, text="hi", now=long_ago)
        session.flush()
        outbox.block(session, blocked.id, now=long_ago, at=NOW + timedelta(minutes=1), error="not_in_channel")
        still_open = session.scalars(select(Incident.id).where(Incident.status == "open")).one()
        outbox.enqueue_update(session, incident_id=still_open, channel=CHANNEL, not_before=long_ago)  # unsent
        session.add(AuditEvent(at=NOW - timedelta(days=30), actor="U1", action="ack", subject="incident:1"))
    before = sizes(db)

    prune_all(db, now=NOW)

    with db.transaction() as session:
        statuses = dict(session.execute(select(Incident.title, Incident.status)).all())
        firing = session.scalars(select(Alert.resource).where(Alert.status == "firing")).all()
        waiting = session.scalars(select(OutboxItem.ordering_key).where(OutboxItem.status != OutboxStatus.DONE))
        audit = session.scalar(select(func.count()).select_from(AuditEvent))
        open_id = session.scalars(select(Incident.id).where(Incident.status == "open")).one()
        events = session.scalar(select(func.count()).where(IncidentEvent.incident_id == open_id))
    assert statuses == {"Alarm still-open": "open", "Alarm recent": "resolved"}
    assert firing == ["still-open"]
    assert sorted(waiting.all()) == sorted([f"incident:{open_id}", "command:old"])
    assert audit == 1
    assert events and events > 0
    assert sizes(db)["incidents"] == before["incidents"]


def test_a_resolved_incident_goes_with_its_timeline_alerts_and_items_once_past_retention(db: Database) -> None:
    run_check(db, [finding("gone")], now=NOW)
    record_delivered(db, now=NOW)
    run_check(db, [], covered=["gone"], now=NOW + timedelta(hours=1))
    record_delivered(db, now=NOW + timedelta(hours=1))

    prune_all(db, now=NOW + timedelta(days=2))
    assert sizes(db)["incidents"] == 1  # inside its retention (3 days)

    prune_all(db, now=NOW + timedelta(days=4))
    assert sizes(db) == {"incidents": 0, "incident_events": 0, "alerts": 0, "outbox": 0}


def test_the_first_post_of_a_subject_in_use_is_kept_for_its_replies(db: Database) -> None:
    with db.transaction() as session:
        first = outbox.enqueue_message(session, key="wait:7", channel=CHANNEL, text="waiting", now=NOW)
        reply = outbox.enqueue_key_reply(session, key="wait:7", channel=CHANNEL, payload={"text": "x"}, now=NOW)
        session.flush()
        outbox.complete(session, first.id, now=NOW, result={"ts": "1.2"})
        outbox.complete(session, reply.id, now=NOW, result={})
        outbox.enqueue_key_reply(session, key="wait:7", channel=CHANNEL, payload={"text": "y"},
                                 now=NOW + timedelta(days=2))  # fmt: skip

    prune_all(db, now=NOW + timedelta(days=2))

    with db.transaction() as session:
        assert outbox.posted_ts(session, "wait:7") == "1.2"
        assert session.get(OutboxItem, reply.id) is None


def test_pruning_goes_in_bounded_batches(db: Database) -> None:
    rows = [
        outbox.new_row(key=f"home:U{i}", channel=f"U{i}", operation=outbox.Operation.UPDATE, at=NOW)
        for i in range(10_000)
    ]
    with db.transaction() as session:
        outbox.add_rows(session, rows)
        session.execute(update(OutboxItem).values(status=OutboxStatus.DONE, done_at=NOW))

    passes = prune_all(db, now=NOW + timedelta(days=2), batch=1000)

    assert sum(passes) == 10_000
    assert max(passes) == 1000
    assert len([n for n in passes if n]) == 10
    assert sizes(db)["outbox"] == 0
