"""What `/boltwatch status|checks|incidents` and App Home read from the database; and the two plain reads the
domain core shares with them (check health by name, silences in force)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from bot.enums import AlertStatus, IncidentStatus, OutboxStatus
from bot.store.models import Alert, CheckHealth, DigestRun, Incident, MaintenanceWindow, OutboxItem, Silence
from bot.store.scheduler_lock import Unlocked, lock_holder
from bot.views.status import (
    WORKER_STALLED_AFTER,
    BlockedLine,
    CheckLine,
    IncidentLine,
    LastDigest,
    LeaderLine,
    QueueLine,
    SilenceLine,
)


def open_incidents(session: Session) -> list[IncidentLine]:
    """Incidents not resolved, newest first, with how many of their alerts fire and how many flap."""
    holding = or_(Alert.status == AlertStatus.FIRING, Alert.flapping.is_(True))
    counts = (
        select(
            Alert.incident_id,
            func.count().filter(Alert.status == AlertStatus.FIRING).label("firing"),
            func.count().filter(Alert.flapping.is_(True)).label("flapping"),
        )
        .where(Alert.incident_id.is_not(None), holding)
        .group_by(Alert.incident_id)
        .subquery()
    )
    rows = session.execute(
        select(Incident, func.coalesce(counts.c.firing, 0), func.coalesce(counts.c.flapping, 0))
        .outerjoin(counts, counts.c.incident_id == Incident.id)
        .where(Incident.status != IncidentStatus.RESOLVED)
        .order_by(Incident.opened_at.desc())
    )
    return [IncidentLine(i.id, i.title, i.severity, i.status, i.opened_at, n, f) for i, n, f in rows]


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


def leader_line(session: Session) -> LeaderLine | None:
    """Which replica holds the scheduler lock and so runs the checks (None for an in-memory database: one process
    is all there is)."""
    holder = lock_holder(session)
    return None if isinstance(holder, Unlocked) else LeaderLine(holder)


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


_WORKERS_SQL = text("""
SELECT count(*) FILTER (WHERE last_heartbeat >= now() - make_interval(secs => :stalled)) AS alive,
       count(*) FILTER (WHERE last_heartbeat < now() - make_interval(secs => :stalled)
                          AND last_heartbeat >= now() - interval '1 hour') AS gone,
       extract(epoch FROM now() - max(last_heartbeat)) AS last_beat
FROM procrastinate_workers
""")
_JOBS_SQL = text("""
SELECT count(*) FILTER (WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())) AS waiting,
       coalesce(extract(epoch FROM now() - min(coalesce(j.scheduled_at, e.at))
                FILTER (WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now()))), 0)
           AS oldest,
       count(*) FILTER (WHERE j.status = 'doing') AS running,
       count(*) FILTER (WHERE j.status = 'doing' AND (w.id IS NULL
                        OR w.last_heartbeat < now() - make_interval(secs => :stalled))) AS stalled
FROM procrastinate_jobs j
LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
WHERE j.status IN ('todo', 'doing')
""")


def queue_line(session: Session) -> QueueLine | None:
    """The distributed engine's workers and queue, from Procrastinate's own tables (PostgreSQL only; None where they
    do not exist: the embedded engine, or no worker has started yet)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    if session.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is None:
        return None
    stalled = {"stalled": WORKER_STALLED_AFTER.total_seconds()}
    workers = session.execute(_WORKERS_SQL, stalled).one()
    jobs = session.execute(_JOBS_SQL, stalled).one()
    return QueueLine(
        workers_alive=int(workers.alive),
        workers_gone=int(workers.gone),
        last_beat=timedelta(seconds=float(workers.last_beat)) if workers.last_beat is not None else None,
        waiting=int(jobs.waiting),
        oldest_waiting=timedelta(seconds=float(jobs.oldest)),
        running=int(jobs.running),
        stalled=int(jobs.stalled),
    )
