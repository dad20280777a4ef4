"""What `/boltwatch status|checks|incidents` and App Home read from the database; and the two plain reads the
domain core shares with them (check health by name, silences in force)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.enums import AlertStatus, IncidentStatus, OutboxStatus
from bot.store.models import Alert, CheckHealth, DigestRun, Incident, MaintenanceWindow, OutboxItem, Silence
from bot.views.status import BlockedLine, CheckLine, IncidentLine, LastDigest, SilenceLine


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


def blocked_lines(session: Session, *, since_before: datetime | None = None) -> list[BlockedLine]:
    """Outbox items Slack refuses until something is fixed, longest blocked first (only those blocked at or before
    `since_before`, if given)."""
    query = select(OutboxItem).where(OutboxItem.status == OutboxStatus.BLOCKED)
    if since_before is not None:
        query = query.where(OutboxItem.blocked_since <= since_before)
    return [
        BlockedLine(
            item.id,
            item.incident_id,
            item.operation,
            item.channel,
            item.last_error or "",
            item.blocked_since or item.created_at,
            item.ordering_key,
        )
        for item in session.scalars(query.order_by(OutboxItem.blocked_since, OutboxItem.id))
    ]


def all_health(session: Session) -> dict[str, CheckHealth]:
    return {h.name: h for h in session.scalars(select(CheckHealth))}


def check_lines(session: Session, configured: list[tuple[str, str, timedelta]]) -> list[CheckLine]:
    """`configured` is (name, type, every) per configured check, in config order."""
    health = all_health(session)
    lines = []
    for name, check_type, every in configured:
        h = health.get(name)
        lines.append(
            CheckLine(
                name,
                check_type,
                every,
                h.last_run_at if h else None,
                h.last_ok_at if h else None,
                h.last_error if h else None,
                h.consecutive_failures if h else 0,
                h.findings_firing if h else 0,
                timedelta(seconds=h.last_run_seconds) if h and h.last_run_seconds is not None else None,
            )
        )
    return lines


def active_silences(session: Session, now: datetime) -> list[Silence]:
    query = select(Silence).where(Silence.expired_at.is_(None), Silence.starts_at <= now, Silence.ends_at > now)
    return list(session.scalars(query.order_by(Silence.id)))


def alert_resources(session: Session) -> set[str]:
    """The resource of every alert ever recorded: what a mute target is known by first."""
    return set(session.scalars(select(Alert.resource).where(Alert.resource != "").distinct()))


def silence_lines(session: Session, now: datetime) -> list[SilenceLine]:
    """Silences in force (not an incident's own), then maintenance windows still to come, soonest first."""
    windows = set(session.scalars(select(MaintenanceWindow.silence_id).where(MaintenanceWindow.ends_at > now)))
    upcoming = session.scalars(
        select(Silence)
        .where(Silence.id.in_(windows), Silence.expired_at.is_(None), Silence.starts_at > now)
        .order_by(Silence.starts_at, Silence.id)
    )
    return [
        SilenceLine(s.id, list(s.matchers), s.ends_at, s.reason, s.author, maintenance=s.id in windows)
        for s in active_silences(session, now)
        if s.incident_id is None
    ] + [SilenceLine(s.id, list(s.matchers), s.ends_at, s.reason, s.author, True, s.starts_at) for s in upcoming]


def last_digest(session: Session) -> LastDigest | None:
    run = session.scalars(
        select(DigestRun).where(DigestRun.message_ts.is_not(None)).order_by(DigestRun.created_at.desc())
    ).first()
    return LastDigest(run.channel, run.period_end) if run is not None else None
