"""Request replays: which signed Slack requests (and Events API events) every replica has seen in the last window.

Recording a sighting is one INSERT … ON CONFLICT statement, so two replicas racing on one key cannot both see it
first, on PostgreSQL or on SQLite; a row older than the window counts as not seen and is taken over.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.store import rows_changed, upsert
from bot.store.models import RequestReplay


def first_sighting(session: Session, *, key: str, now: datetime, window: timedelta) -> bool:
    """Record `key` as seen at `now`; True unless some replica saw it within `window` before."""
    return key in first_sightings(session, keys=[key], now=now, window=window)


def first_sightings(session: Session, *, keys: list[str], now: datetime, window: timedelta) -> set[str]:
    """Record every key (distinct) as seen at `now`, in one statement; the ones no replica saw within `window`."""
    if not keys:
        return set()
    rows = [{"key": key, "seen_at": now} for key in keys]
    insert: Any = upsert(session, RequestReplay).values(rows)
    stale = RequestReplay.seen_at < now - window
    statement = insert.on_conflict_do_update(
        index_elements=["key"], set_={"seen_at": insert.excluded.seen_at}, where=stale
    )
    # RETURNING rather than rowcount, which psycopg reports as -1 for this statement.
    return set(session.scalars(statement.returning(RequestReplay.key)))


def forget_before(session: Session, *, before: datetime) -> int:
    """Delete the sightings older than `before`; returns how many."""
    forgotten = session.execute(
        delete(RequestReplay).where(RequestReplay.seen_at < before).execution_options(synchronize_session=False)
    )
    return rows_changed(forgotten)
