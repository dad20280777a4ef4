"""MessageIds taken in: the first recording wins, a repeat is told so, old records go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.push_deliveries import delivery_recorded, forget_before, record_delivery
from bot.store import Database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def record(db: Database, message_id: str, now: datetime = NOW) -> bool:
    with db.transaction() as session:
        return record_delivery(
            session, message_id=message_id, topic_arn="arn:aws:sns:us-east-1:123456789012:t", kind="unknown",
            outcome="ignored", now=now,
        )  # fmt: skip


def test_a_message_id_is_recorded_once(db: Database) -> None:
    assert record(db, "m-1") is True
    assert record(db, "m-1", NOW + timedelta(minutes=5)) is False
    assert record(db, "m-2") is True


def test_records_older_than_the_cut_are_forgotten(db: Database) -> None:
    record(db, "old", NOW - timedelta(days=2))
    record(db, "new", NOW)
    with db.transaction() as session:
        assert forget_before(session, before=NOW - timedelta(days=1)) == 1
    with db.transaction() as session:
        assert not delivery_recorded(session, message_id="old")
        assert delivery_recorded(session, message_id="new")
