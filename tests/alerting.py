"""Building blocks for tests of the alert path on a real database: findings, check runs through `observe`,
and what the incidents, their timelines and the outbox hold afterwards."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.core.findings import CheckResult, Finding
from bot.core.incidents import Observation, observe
from bot.core.routing import Route, RouteSettings, build_routes
from bot.delivery import outbox
from bot.delivery.drainer import reply_text
from bot.enums import Severity
from bot.store import Database
from bot.store.models import Alert, Incident, IncidentEvent, OutboxItem

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHECK = "alarms"
CHANNEL = "#alerts"


def fingerprint(name: str, region: str = "us-east-1") -> str:
    return f"{CHECK}:{region}:{name}"


def finding(
    name: str, *, firing: bool = True, severity: Severity = Severity.WARNING, region: str = "us-east-1", **fields: Any
) -> Finding:
    """A finding of the `alarms` check about the resource `name`."""
    return Finding(
        fingerprint=fingerprint(name, region),
        firing=firing,
        title=f"Alarm {name}",
        severity=severity,
        summary=f"{name} is failing",
        resource=name,
        account="123456789012",
        region=region,
        **fields,
    )


def routes(**settings: Any) -> list[Route]:
    """The catch-all route to #alerts, with `settings` (group_wait, repeat_interval, mentions...) if given."""
    return build_routes([RouteSettings(**settings)] if settings else [], CHANNEL)


def run_check(
    db: Database,
    findings: Iterable[Finding],
    *,
    now: datetime,
    covered: Iterable[str] = (),
    routing: list[Route] | None = None,
) -> Observation:
    """One run of the check, observed in one transaction as the scheduler's runner does."""
    result = CheckResult.of(list(findings), {fingerprint(name) for name in covered})
    with db.transaction() as session:
        return observe(session, check=CHECK, result=result, routes=routing or routes(), now=now)


@dataclass(frozen=True)
class Queued:
    """One outbox row, as much of it as the tests look at."""

    operation: str
    incident_id: int | None
    status: str
    next_attempt_at: datetime
    text: str | None


def _words(item: OutboxItem) -> str | None:
    """A thread reply's text as the drainer will send it (it may be queued as the change a person made)."""
    return reply_text(item.payload) if item.operation == outbox.Operation.REPLY else None


def outbox_items(db: Database) -> list[Queued]:
    with db.transaction() as session:
        return [
            Queued(item.operation, item.incident_id, item.status, item.next_attempt_at, _words(item))
            for item in session.scalars(select(OutboxItem).order_by(OutboxItem.id))
        ]


def pending(db: Database) -> list[tuple[str, int | None]]:
    return [(item.operation, item.incident_id) for item in outbox_items(db) if item.status == "pending"]


def record_delivered(db: Database, *, now: datetime) -> None:
    """What the drainer writes once Slack took every queued item: the items done, each incident's message ts."""
    with db.transaction() as session:
        for item in session.scalars(select(OutboxItem).where(OutboxItem.status == "pending")).all():
            outbox.complete(session, item.id, now=now, result={})
            incident = session.get_one(Incident, item.incident_id)
            if incident.message_ts is None:
                incident.message_ts = f"{1_772_400_000 + incident.id}.000100"
            if item.operation != outbox.Operation.REPLY:
                incident.last_notified_at = now


def incidents(db: Database) -> list[Incident]:
    """Every incident, oldest first, with its columns loaded (they stay readable after the transaction)."""
    with db.transaction() as session:
        return list(session.scalars(select(Incident).order_by(Incident.id)))


def alert(db: Database, name: str) -> Alert | None:
    with db.transaction() as session:
        return session.scalars(select(Alert).where(Alert.fingerprint == fingerprint(name))).first()


def timeline(db: Database, incident_id: int) -> list[tuple[str, str]]:
    """(actor, kind) of each timeline event, oldest first."""
    with db.transaction() as session:
        events = session.scalars(
            select(IncidentEvent).where(IncidentEvent.incident_id == incident_id).order_by(IncidentEvent.id)
        )
        return [(event.actor, event.kind) for event in events]
