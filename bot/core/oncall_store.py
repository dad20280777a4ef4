"""On-call overrides as stored: `/boltwatch oncall override @USER DURATION [SCHEDULE]` adds one (audited); the
schedules' answers read the ones that hold."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.oncall import HORIZON, Override
from bot.store.models import AuditEvent, OnCallOverride


def active_overrides(session: Session, *, schedule: str, at: datetime, ahead: timedelta = HORIZON) -> list[Override]:
    """The overrides of `schedule` that hold at `at` or begin within `ahead` of it."""
    rows = session.scalars(
        select(OnCallOverride)
        .where(OnCallOverride.schedule == schedule, OnCallOverride.ends_at > at)
        .where(OnCallOverride.starts_at <= at + ahead)
        .order_by(OnCallOverride.id)
    )
    return [Override(row.user, row.starts_at, row.ends_at) for row in rows]


def add_override(
    session: Session, *, schedule: str, user: str, starts: datetime, ends: datetime, by: str, channel: str
) -> None:
    session.add(OnCallOverride(schedule=schedule, user=user, starts_at=starts, ends_at=ends, created_by=by,
                               created_at=starts))  # fmt: skip
    session.add(AuditEvent(
        at=starts, actor=by, action="oncall_override", subject=f"schedule:{schedule}", channel=channel,
        detail={"user": user, "starts": starts.isoformat(), "ends": ends.isoformat()},
    ))  # fmt: skip
