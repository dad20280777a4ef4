"""Request replays: which signed Slack requests (and Events API events) every replica has seen in the last window.

Recording a sighting is one INSERT … ON CONFLICT statement, so two replicas racing on one key cannot both see it
first, on PostgreSQL or on SQLite; a row older than the window counts as not seen and is taken over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.store.models import RequestReplay

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def first_sighting(session: Session, *, key: str, now: datetime, window: timedelta) -> bool:
    """Record `key` as seen at `now`; True unless some replica saw it within `window` before."""
    insert = _INSERTS[session.get_bind().dialect.name](RequestReplay).values(key=key, seen_at=now)
    stale = RequestReplay.seen_at < now - window
    statement = insert.on_conflict_do_update(index_elements=["key"], set_={"seen_at": now}, where=stale)
    # RETURNING rather than rowcount, which psycopg reports as -1 for this statement.
    return session.execute(statement.returning(RequestReplay.key)).first() is not None


def forget_before(session: Session, *, before: datetime) -> int:
    """Delete the sightings older than `before`; returns how many."""
    forgotten = session.execute(
        delete(RequestReplay).where(RequestReplay.seen_at < before).execution_options(synchronize_session=False)
    )
    return forgotten.rowcount
