"""The outbox: Slack operations written in the same transaction as the state change they report.

Operations on one incident share an ordering key and are applied strictly in order. Message updates carry no
payload: the drainer renders the incident as it is when the update is sent, so queued updates coalesce.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import OutboxItem

CLAIM_SECONDS = 60
SCAN_LIMIT = 1000


class Operation(StrEnum):
    POST_INCIDENT = "post_incident"
    UPDATE_INCIDENT = "update_incident"
    THREAD_REPLY = "thread_reply"


def ordering_key(incident_id: int) -> str:
    return f"incident:{incident_id}"


def enqueue_post(session: Session, *, incident_id: int, channel: str, not_before: datetime) -> OutboxItem:
    item = OutboxItem(
        ordering_key=ordering_key(incident_id),
        operation=Operation.POST_INCIDENT,
        channel=channel,
        incident_id=incident_id,
        next_attempt_at=not_before,
        created_at=not_before,
    )
    session.add(item)
    return item


def enqueue_update(session: Session, *, incident_id: int, channel: str, not_before: datetime) -> OutboxItem:
    """Queue a message update, or bring forward the one already waiting (it renders the latest state)."""
    waiting = session.scalars(
        select(OutboxItem).where(
            OutboxItem.ordering_key == ordering_key(incident_id),
            OutboxItem.status == "pending",
            OutboxItem.operation.in_([Operation.UPDATE_INCIDENT, Operation.POST_INCIDENT]),
            OutboxItem.claimed_by.is_(None),
        )
    ).first()
    if waiting is not None:
        if waiting.operation == Operation.UPDATE_INCIDENT and not_before < waiting.next_attempt_at:
            waiting.next_attempt_at = not_before
        return waiting
    item = OutboxItem(
        ordering_key=ordering_key(incident_id),
        operation=Operation.UPDATE_INCIDENT,
        channel=channel,
        incident_id=incident_id,
        next_attempt_at=not_before,
        created_at=not_before,
    )
    session.add(item)
    return item


def enqueue_reply(session: Session, *, incident_id: int, channel: str, text: str, now: datetime) -> OutboxItem:
    item = OutboxItem(
        ordering_key=ordering_key(incident_id),
        operation=Operation.THREAD_REPLY,
        channel=channel,
        incident_id=incident_id,
        payload={"text": text},
        next_attempt_at=now,
        created_at=now,
    )
    session.add(item)
    return item


@dataclass(frozen=True)
class Claimed:
    id: int
    operation: Operation
    channel: str
    incident_id: int | None
    payload: dict[str, Any]
    attempts: int


def claim_due(
    session: Session,
    *,
    holder: str,
    now: datetime,
    channels_paused: Sequence[str] = (),
    channel_key: Callable[[str], str] = str,
    limit: int = 50,
) -> list[Claimed]:
    """Claim the first pending item of each ordering key, if it is due and its channel is not paused.

    At most one item per channel is claimed per call; `channel_key` maps a channel name to its id.
    """
    query = select(OutboxItem).where(OutboxItem.status == "pending").order_by(OutboxItem.id).limit(SCAN_LIMIT)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    heads: dict[str, OutboxItem] = {}
    for item in session.scalars(query):
        heads.setdefault(item.ordering_key, item)
    claimed: list[Claimed] = []
    used_channels: set[str] = set()
    for item in heads.values():
        busy = item.claimed_until is not None and item.claimed_until > now
        channel = channel_key(item.channel)
        if busy or item.next_attempt_at > now or channel in channels_paused or channel in used_channels:
            continue
        item.claimed_by, item.claimed_until = holder, now + timedelta(seconds=CLAIM_SECONDS)
        used_channels.add(channel)
        claimed.append(
            Claimed(
                item.id, Operation(item.operation), item.channel, item.incident_id, dict(item.payload), item.attempts
            )
        )
        if len(claimed) >= limit:
            break
    return claimed


def complete(session: Session, item_id: int, *, now: datetime, result: dict[str, Any]) -> None:
    item = session.get_one(OutboxItem, item_id)
    item.status, item.done_at, item.result = "done", now, result
    item.claimed_by = item.claimed_until = None


def retry_later(session: Session, item_id: int, *, at: datetime, error: str, count_attempt: bool = True) -> None:
    item = session.get_one(OutboxItem, item_id)
    item.next_attempt_at, item.last_error = at, error
    item.attempts += 1 if count_attempt else 0
    item.claimed_by = item.claimed_until = None


def give_up(session: Session, item_id: int, *, now: datetime, error: str) -> None:
    """A permanent failure (the channel is gone, the message is invalid): keep it for the record, stop trying."""
    item = session.get_one(OutboxItem, item_id)
    item.status, item.done_at, item.last_error = "failed", now, error
    item.attempts += 1
    item.claimed_by = item.claimed_until = None


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "pending")) or 0
