"""Persisted log cursors: loaded before a scan, saved in the same transaction as what the scan found."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.findings import CursorKey, LogCursorState
from bot.store.models import LogCursor


def load_cursors(session: Session, *, account: str, region: str) -> dict[str, LogCursorState]:
    rows = session.scalars(select(LogCursor).where(LogCursor.account == account, LogCursor.region == region))
    return {
        row.log_group: LogCursorState(row.timestamp_ms, tuple(row.seen_event_ids), dict(row.memory)) for row in rows
    }


def save_cursors(session: Session, cursors: Mapping[CursorKey, LogCursorState], *, now: datetime) -> None:
    for (account, region, log_group), state in cursors.items():
        row = session.scalars(
            select(LogCursor).where(
                LogCursor.account == account, LogCursor.region == region, LogCursor.log_group == log_group
            )
        ).first()
        if row is None:
            row = LogCursor(account=account, region=region, log_group=log_group)
            session.add(row)
        row.timestamp_ms, row.seen_event_ids = state.timestamp_ms, list(state.seen_event_ids)
        row.memory, row.updated_at = dict(state.memory), now
