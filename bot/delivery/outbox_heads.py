"""Which outbox items may go next: the head (oldest waiting item) of each ordering key, a few per channel.

`claim_due` once read the first thousand waiting rows by id, so one channel with thousands of queued messages hid
every other channel's items behind it. Here the heads are found over every waiting row (one `min(id)` per key), the
due ones are ranked within their channel and lane (posts and replies, or updates: `outbox.pace_key`) with posts
first, and only the first few of each are read: a channel can send one message per claim anyway, so a busy channel
costs no more rows than a quiet one. Window functions (`row_number() OVER (PARTITION BY ...)`) work the same on
PostgreSQL and SQLite (3.25+).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from bot.enums import OutboxOperation, OutboxStatus
from bot.store.models import OutboxItem

PER_CHANNEL = 20
"""Due heads read per channel and lane: more than one, so that heads the claim skips (a chart behind its incident,
a channel addressed by name and by id) leave others to take."""
WAITING = (OutboxStatus.PENDING, OutboxStatus.BLOCKED)
"""Statuses of items still to be sent: a blocked item is retried (and holds back its key's later items)."""
POST, UPDATE = OutboxOperation.POST, OutboxOperation.UPDATE


def due_heads(session: Session, *, now: datetime, per_channel: int = PER_CHANNEL) -> list[OutboxItem]:
    """The due, unclaimed heads of the ordering keys, at most `per_channel` per channel and lane, posts first then
    oldest first. An item not yet due, or claimed, still holds back the items of its key queued after it."""
    heads = (
        select(func.min(OutboxItem.id).label("id"))
        .where(OutboxItem.status.in_(WAITING))
        .group_by(OutboxItem.ordering_key)
        .subquery()
    )
    lane = case((OutboxItem.operation == UPDATE, 1), else_=0)
    posts_first = case((OutboxItem.operation == POST, 0), else_=1)
    rank = func.row_number().over(partition_by=(OutboxItem.channel, lane), order_by=(posts_first, OutboxItem.id))
    ranked = (
        select(OutboxItem.id, rank.label("rank"))
        .join(heads, heads.c.id == OutboxItem.id)
        .where(
            OutboxItem.next_attempt_at <= now,
            or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until <= now),
        )
        .subquery()
    )
    query = (
        select(OutboxItem)
        .join(ranked, ranked.c.id == OutboxItem.id)
        .where(ranked.c.rank <= per_channel)
        .order_by(case((OutboxItem.operation == POST, 0), else_=1), OutboxItem.id)
    )
    return list(session.scalars(query))


def first_waiting(session: Session, keys: list[str]) -> dict[str, int]:
    """The id of the oldest waiting item of each of `keys` that has one."""
    if not keys:
        return {}
    query = (
        select(OutboxItem.ordering_key, func.min(OutboxItem.id))
        .where(OutboxItem.ordering_key.in_(keys), OutboxItem.status.in_(WAITING))
        .group_by(OutboxItem.ordering_key)
    )
    return {key: first for key, first in session.execute(query)}
