"""Leases: a row per named job lets exactly one replica run it until the lease expires."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import Lease


def try_acquire(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holder's lease is live."""
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    lease = session.get(Lease, name, with_for_update={"skip_locked": True} if postgres else False)
    if lease is None:
        if postgres and _row_exists_but_locked(session, name):
            return False
        try:
            with session.begin_nested():
                session.add(Lease(name=name, holder=holder, acquired_at=now, expires_at=now + ttl))
        except IntegrityError:
            return False
        return True
    if lease.holder != holder and lease.expires_at > now:
        return False
    if lease.holder != holder:
        lease.holder, lease.acquired_at = holder, now
    lease.expires_at = now + ttl
    return True


def _row_exists_but_locked(session: Session, name: str) -> bool:
    return session.get(Lease, name, populate_existing=True) is not None


def release(session: Session, *, name: str, holder: str) -> None:
    lease = session.get(Lease, name)
    if lease is not None and lease.holder == holder:
        session.delete(lease)
