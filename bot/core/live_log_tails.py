"""Which replica runs a `/logs … live` tail, and a Stop asked of it from another replica.

A tail runs in the process that started it (its Live Tail session is a connection of that process's), but its Stop
button may be clicked on any replica. Each running tail holds a lease (bot/core/leases.py) named after its id, which
its process renews every couple of seconds. A Stop that reaches another replica hands the lease to a stop marker
(`stop:` and the user's id) while it is live; the owner's next renewal fails, finds the marker, and ends the tail
with "stopped by" that user. A tail whose lease has expired (its process died) runs nowhere: the click shows it ended.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.core import leases
from bot.store import rows_changed
from bot.store.models import Lease

STOP_MARKER = "stop:"


def tail_lease(tail_id: str) -> str:
    return f"logs-live:{tail_id}"


def keep_running(session: Session, *, tail_id: str, holder: str, now: datetime, ttl: timedelta) -> str | None:
    """Take or renew the tail's lease for `holder`; returns the user who asked another replica to stop it, if one
    did (then the lease is no longer `holder`'s)."""
    name = tail_lease(tail_id)
    if leases.try_acquire(session, name=name, holder=holder, now=now, ttl=ttl):
        return None
    current = session.scalar(select(Lease.holder).where(Lease.name == name))
    if current is not None and current.startswith(STOP_MARKER):
        return current.removeprefix(STOP_MARKER)
    return None


def ask_to_stop(session: Session, *, tail_id: str, user: str, now: datetime) -> bool:
    """Ask the replica that runs the tail to stop it; False when no replica runs it (ended, or its process died)
    or someone asked already."""
    asked = session.execute(
        update(Lease)
        .where(
            Lease.name == tail_lease(tail_id),
            Lease.expires_at > now,
            Lease.holder.not_like(f"{STOP_MARKER}%"),
        )
        .values(holder=f"{STOP_MARKER}{user}")
        .execution_options(synchronize_session=False)
    )
    return rows_changed(asked) == 1


def ended(session: Session, *, tail_id: str) -> None:
    """The tail is over: its lease (or the stop marker in its place) goes."""
    session.execute(delete(Lease).where(Lease.name == tail_lease(tail_id)).execution_options(synchronize_session=False))
