"""Push deliveries taken in, by SNS MessageId, shared by every replica: the first replica to record a MessageId
acts on it, in the same transaction; SNS's retries and other replicas' copies find it recorded and change nothing.

Recording is one INSERT … ON CONFLICT DO NOTHING: on PostgreSQL a second transaction inserting the same MessageId
waits for the first and then finds the conflict; SQLite has one writer at a time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.store import rows_changed, upsert
from bot.store.models import PushDelivery

KEPT_FOR = timedelta(days=1)


def record_delivery(
    session: Session, *, message_id: str, topic_arn: str, kind: str, outcome: str, now: datetime
) -> bool:
    """Record the delivery of `message_id`; False when it was recorded before (a retry: do nothing)."""
    row = {
        "message_id": message_id[:100], "topic_arn": topic_arn[:300], "kind": kind[:100], "outcome": outcome[:300],
        "received_at": now,
    }  # fmt: skip
    insert: Any = upsert(session, PushDelivery).values([row])
    statement = insert.on_conflict_do_nothing(index_elements=["message_id"]).returning(PushDelivery.message_id)
    return session.scalars(statement).first() is not None


def delivery_recorded(session: Session, *, message_id: str) -> bool:
    return session.get(PushDelivery, message_id[:100]) is not None


def forget_before(session: Session, *, before: datetime) -> int:
    """Delete the deliveries recorded before `before`; returns how many."""
    forgotten = session.execute(
        delete(PushDelivery).where(PushDelivery.received_at < before).execution_options(synchronize_session=False)
    )
    return rows_changed(forgotten)
