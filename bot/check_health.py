"""Check health: when each check last ran, last succeeded, and how many runs in a row failed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import CheckHealth


def record_run(
    session: Session, *, name: str, check_type: str, now: datetime, error: str | None, firing: int
) -> CheckHealth:
    health = session.get(CheckHealth, name)
    if health is None:
        health = CheckHealth(name=name, check_type=check_type, consecutive_failures=0, findings_firing=0)
        session.add(health)
    health.check_type, health.last_run_at, health.findings_firing = check_type, now, firing
    if error is None:
        health.last_ok_at, health.last_error, health.consecutive_failures = now, None, 0
    else:
        health.last_error = error
        health.consecutive_failures = (health.consecutive_failures or 0) + 1
    return health


def all_health(session: Session) -> dict[str, CheckHealth]:
    return {h.name: h for h in session.scalars(select(CheckHealth))}
