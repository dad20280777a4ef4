"""Persisted log cursors: loaded before a scan, saved in the same transaction as what the scan found.

A cursor only moves forward. Two processes may save one log group's cursor at once: a Live Tail session moving it
past the events it streamed while a scheduled run that loaded it before only aged the group's error groups (in the
same worker or replica, or in another). Saving is one INSERT … ON CONFLICT statement that keeps the stored cursor
when it has gone further than the one saved, so that the stale save cannot take the stream's cursor back (which
would read its events again after the next restart, and forget the error groups they opened).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.core.findings import CursorKey, LogCursorState
from bot.store.models import LogCursor

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def load_cursors(session: Session, *, account: str, region: str) -> dict[str, LogCursorState]:
    rows = session.scalars(select(LogCursor).where(LogCursor.account == account, LogCursor.region == region))
    return {
        row.log_group: LogCursorState(row.timestamp_ms, tuple(row.seen_event_ids), dict(row.memory)) for row in rows
    }


def save_cursors(session: Session, cursors: Mapping[CursorKey, LogCursorState], *, now: datetime) -> None:
    """Save each cursor unless the stored one has reached a later timestamp (another process saved it meanwhile)."""
    if not cursors:
        return
    rows = [
        {
            "account": account,
            "region": region,
            "log_group": log_group,
            "timestamp_ms": state.timestamp_ms,
            "seen_event_ids": list(state.seen_event_ids),
            "memory": dict(state.memory),
            "updated_at": now,
        }
        for (account, region, log_group), state in cursors.items()
    ]
    insert: Any = _INSERTS[session.get_bind().dialect.name](LogCursor).values(rows)  # either dialect's
    excluded = insert.excluded
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["account", "region", "log_group"],
            set_={
                "timestamp_ms": excluded.timestamp_ms,
                "seen_event_ids": excluded.seen_event_ids,
                "memory": excluded.memory,
                "updated_at": excluded.updated_at,
            },
            where=LogCursor.timestamp_ms <= excluded.timestamp_ms,
        )
    )
