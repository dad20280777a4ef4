"""What `/boltwatch status|checks|incidents` read from the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.blocks.status import CheckLine, IncidentLine, SilenceLine
from bot.core.check_health import all_health
from bot.core.silences import active_silences
from bot.enums import AlertStatus, IncidentStatus
from bot.store.models import Alert, Incident


def open_incidents(session: Session) -> list[IncidentLine]:
    firing = (
        select(Alert.incident_id, func.count().label("n"))
        .where(Alert.status == AlertStatus.FIRING)
        .group_by(Alert.incident_id)
        .subquery()
    )
    rows = session.execute(
        select(Incident, func.coalesce(firing.c.n, 0))
        .outerjoin(firing, firing.c.incident_id == Incident.id)
        .where(Incident.status != IncidentStatus.RESOLVED)
        .order_by(Incident.opened_at.desc())
    )
    return [IncidentLine(i.id, i.title, i.severity, i.status, i.opened_at, n) for i, n in rows]


def check_lines(session: Session, configured: list[tuple[str, str, object]]) -> list[CheckLine]:
    """`configured` is (name, type, every) per configured check, in config order."""
    health = all_health(session)
    lines = []
    for name, check_type, every in configured:
        h = health.get(name)
        lines.append(
            CheckLine(
                name,
                check_type,
                every,  # type: ignore[arg-type]
                h.last_run_at if h else None,
                h.last_ok_at if h else None,
                h.last_error if h else None,
                h.consecutive_failures if h else 0,
                h.findings_firing if h else 0,
            )
        )
    return lines


def silence_lines(session: Session, now: datetime) -> list[SilenceLine]:
    return [
        SilenceLine(s.id, list(s.matchers), s.ends_at, s.reason, s.author)
        for s in active_silences(session, now)
        if s.incident_id is None
    ]
