"""Leases: a row per named job lets exactly one replica run it until the lease expires. Live Tail owners
(scheduler/live_tail_lease.py, bot/core/live_log_tails.py) and retention take them; checks do not (the embedded
engine's leader holds the scheduler lock, bot/store/scheduler_lock.py; Procrastinate locks per target).

Taking a lease is one compare-and-set UPDATE (or an INSERT for a lease never taken), so that two replicas racing
for it cannot both win on PostgreSQL or on SQLite.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import rows_changed
from bot.store.models import Lease


def try_acquire(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holder's lease is live."""
    taken = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(taken) == 1:
        return True
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def release_all(session: Session, *, holder: str) -> int:
    """Give up every lease `holder` has (it is stopping), so that another replica may take each at once; returns
    how many. Deleting, not expiring, the rows: no replica's clock has to agree with the stopping one's."""
    released = session.execute(delete(Lease).where(Lease.holder == holder).execution_options(synchronize_session=False))
    return rows_changed(released)


def release(session: Session, *, name: str, holder: str) -> bool:
    """Give up one lease if `holder` still has it; False when it was not (or no longer) theirs."""
    released = session.execute(
        delete(Lease).where(Lease.name == name, Lease.holder == holder).execution_options(synchronize_session=False)
    )
    return rows_changed(released) == 1


def held_under(session: Session, *, prefix: str, now: datetime) -> dict[str, str]:
    """The live leases whose names start with `prefix`: name → holder."""
    rows = session.execute(
        select(Lease.name, Lease.holder).where(Lease.name.startswith(prefix, autoescape=True), Lease.expires_at > now)
    )
    return {name: holder for name, holder in rows}


def hold_only(session: Session, *, prefix: str, names: set[str], holder: str, now: datetime, ttl: timedelta) -> None:
    """Make `holder`'s leases under `prefix` exactly `names`: renew or take those, give up the others. A name another
    holder has live stays theirs."""
    session.execute(
        delete(Lease)
        .where(Lease.name.startswith(prefix, autoescape=True), Lease.holder == holder, Lease.name.not_in(names))
        .execution_options(synchronize_session=False)
    )
    for name in sorted(names):
        try_acquire(session, name=name, holder=holder, now=now, ttl=ttl)
